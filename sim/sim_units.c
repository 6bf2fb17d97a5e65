/* Duration parsing and time formatting in integer arithmetic, so that the
 * same input prints the same text on every machine. */
#include "sim_units.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct sim_unit {
    const char *suffix;
    int64_t us;
} sim_unit;

/* Longer suffixes first, so that "ms" is not read as "m". */
static const sim_unit sim_units[] = {
    {"us", 1},
    {"ms", SIM_US_PER_MS},
    {"s", SIM_US_PER_S},
    {"m", 60 * SIM_US_PER_S},
    {"h", 3600 * SIM_US_PER_S},
};

static const sim_unit *sim_unit_find(const char *suffix)
{
    for (size_t i = 0; i < sizeof(sim_units) / sizeof(sim_units[0]); i++) {
        if (strcmp(sim_units[i].suffix, suffix) == 0) {
            return &sim_units[i];
        }
    }
    return NULL;
}

/* Reads digits into *value; returns the number of digits read, or -ERANGE on
 * overflow. */
static int sim_digits_read(const char **cursor, int64_t *value, int *count)
{
    *count = 0;
    while (**cursor >= '0' && **cursor <= '9') {
        int digit = **cursor - '0';

        if (*value > (INT64_MAX - digit) / 10) {
            return -ERANGE;
        }
        *value = *value * 10 + digit;
        (*cursor)++;
        (*count)++;
    }
    return 0;
}

int sim_duration_parse(const char *text, sim_time_t *out_us)
{
    const char *cursor = text;
    int64_t whole = 0;
    int64_t fraction = 0;
    int64_t fraction_scale = 1;
    int whole_digits = 0;
    int fraction_digits = 0;

    if (*cursor == '-') {
        return -ERANGE;
    }
    if (sim_digits_read(&cursor, &whole, &whole_digits) != 0) {
        return -ERANGE;
    }
    if (*cursor == '.') {
        cursor++;
        if (sim_digits_read(&cursor, &fraction, &fraction_digits) != 0 ||
            fraction_digits > 9) {
            return -ERANGE;
        }
        /* ".5s" and "5.s" are rejected: a point has digits on both sides. */
        if (whole_digits == 0 || fraction_digits == 0) {
            return -EINVAL;
        }
        for (int i = 0; i < fraction_digits; i++) {
            fraction_scale *= 10;
        }
    }
    if (whole_digits + fraction_digits == 0) {
        return -EINVAL;
    }

    if (*cursor == '\0') {
        if (whole != 0 || fraction != 0) {
            return -EINVAL;
        }
        *out_us = 0;
        return 0;
    }
    const sim_unit *unit = sim_unit_find(cursor);
    if (unit == NULL) {
        return -EINVAL;
    }

    if (whole > INT64_MAX / unit->us) {
        return -ERANGE;
    }
    /* The fraction must name whole microseconds: 1.5us is rejected. */
    if ((fraction * unit->us) % fraction_scale != 0) {
        return -ERANGE;
    }
    int64_t fraction_us = fraction * unit->us / fraction_scale;
    if (whole * unit->us > INT64_MAX - fraction_us) {
        return -ERANGE;
    }
    *out_us = whole * unit->us + fraction_us;
    return 0;
}

void sim_format_seconds_fixed(char *buf, size_t buf_len, sim_time_t us)
{
    const char *sign = us < 0 ? "-" : "";
    uint64_t magnitude = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;

    snprintf(buf, buf_len, "%s%" PRIu64 ".%06" PRIu64, sign,
             magnitude / 1000000u, magnitude % 1000000u);
}

void sim_format_seconds(char *buf, size_t buf_len, sim_time_t us)
{
    char fixed[40];
    size_t len;

    sim_format_seconds_fixed(fixed, sizeof(fixed), us);
    len = strlen(fixed);
    while (fixed[len - 1] == '0') {
        len--;
    }
    if (fixed[len - 1] == '.') {
        len--;
    }
    fixed[len] = '\0';
    snprintf(buf, buf_len, "%ss", fixed);
}
