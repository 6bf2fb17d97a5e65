/* Duration distributions: deterministic, exponential, lognormal, empirical. */
#include "model_dist.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "model_csv.h"

static int load_error(const char *path, size_t line, const char *reason,
                      char *err, size_t err_len)
{
    snprintf(err, err_len, "%s:%zu: %s", path, line, reason);
    return -EINVAL;
}

static int push_value(model_sampler *sampler, size_t *cap, double value)
{
    if (sampler->value_count == *cap) {
        size_t new_cap = *cap == 0 ? 64 : *cap * 2;
        double *grown = realloc(sampler->values, new_cap * sizeof(*grown));

        if (grown == NULL)
            return -ENOMEM;
        sampler->values = grown;
        *cap = new_cap;
    }
    sampler->values[sampler->value_count++] = value;
    return 0;
}

static int parse_value_row(const char *path, const model_csv_row *row,
                           double *out, char *err, size_t err_len)
{
    char reason[256];
    char *end = NULL;

    if (row->field_count != 1 || row->field_too_long) {
        snprintf(reason, sizeof(reason), "%zu fields, expected 1 (value_us)",
                 row->field_count);
        return load_error(path, row->line, reason, err, err_len);
    }

    errno = 0;
    *out = strtod(row->fields[0], &end);
    if (end == row->fields[0] || *end != '\0' || errno != 0 ||
        !isfinite(*out) || *out < 0) {
        snprintf(reason, sizeof(reason),
                 "value_us is not a non-negative number: \"%s\"",
                 row->fields[0]);
        return load_error(path, row->line, reason, err, err_len);
    }
    return 0;
}

static int load_rows(model_sampler *sampler, model_csv_reader *csv,
                     const char *path, char *err, size_t err_len)
{
    const model_csv_row *row = NULL;
    char inner[256];
    size_t cap = 0;
    bool header = true;
    int rc;

    while ((rc = model_csv_next(csv, &row, inner, sizeof(inner))) == 1) {
        if (header) {
            header = false;
            if (row->field_count != 1 || strcmp(row->fields[0], "value_us"))
                return load_error(path, row->line,
                                  "wrong header: expected value_us", err,
                                  err_len);
            continue;
        }

        double value;

        rc = parse_value_row(path, row, &value, err, err_len);
        if (rc == 0)
            rc = push_value(sampler, &cap, value);
        if (rc == -ENOMEM)
            snprintf(err, err_len, "%s: out of memory", path);
        if (rc != 0)
            return rc;
    }
    if (rc < 0)
        return load_error(path, csv->line_no, inner, err, err_len);
    if (sampler->value_count == 0)
        return load_error(path, csv->line_no, "no values after the header",
                          err, err_len);
    return 0;
}

static int load_empirical(model_sampler *sampler, const char *path,
                          const char *what, char *err, size_t err_len)
{
    model_csv_reader csv;

    if (path == NULL || path[0] == '\0') {
        snprintf(err, err_len, "%s: empirical distribution without a file",
                 what);
        return -EINVAL;
    }

    int rc = model_csv_open(&csv, path, err, err_len);

    if (rc != 0)
        return rc;
    rc = load_rows(sampler, &csv, path, err, err_len);
    model_csv_close(&csv);
    if (rc != 0)
        model_sampler_deinit(sampler);
    return rc;
}

int model_sampler_init(model_sampler *sampler, const model_dist *dist,
                       const char *what, char *err, size_t err_len)
{
    memset(sampler, 0, sizeof(*sampler));
    sampler->kind = dist->kind;
    sampler->mean_us = dist->mean_us;
    sampler->sigma = dist->sigma;

    switch (dist->kind) {
    case MODEL_DIST_DETERMINISTIC:
    case MODEL_DIST_EXPONENTIAL:
        break;
    case MODEL_DIST_LOGNORMAL:
        if (!(dist->sigma >= 0) || !isfinite(dist->sigma)) {
            snprintf(err, err_len, "%s: sigma must be a number >= 0", what);
            return -EINVAL;
        }
        break;
    case MODEL_DIST_EMPIRICAL:
        return load_empirical(sampler, dist->empirical_path, what, err,
                              err_len);
    default:
        snprintf(err, err_len, "%s: unknown distribution kind %d", what,
                 (int)dist->kind);
        return -EINVAL;
    }

    if (!(dist->mean_us >= 0) || !isfinite(dist->mean_us)) {
        snprintf(err, err_len, "%s: mean_us must be a number >= 0", what);
        return -EINVAL;
    }
    return 0;
}

void model_sampler_deinit(model_sampler *sampler)
{
    free(sampler->values);
    memset(sampler, 0, sizeof(*sampler));
}

double model_sampler_draw(const model_sampler *sampler, gsl_rng *rng)
{
    switch (sampler->kind) {
    case MODEL_DIST_DETERMINISTIC:
        return sampler->mean_us;
    case MODEL_DIST_EXPONENTIAL:
        return sampler->mean_us > 0
                   ? gsl_ran_exponential(rng, sampler->mean_us)
                   : 0.0;
    case MODEL_DIST_LOGNORMAL: {
        if (sampler->mean_us <= 0)
            return 0.0;
        double zeta = log(sampler->mean_us) -
                      sampler->sigma * sampler->sigma / 2.0;

        return gsl_ran_lognormal(rng, zeta, sampler->sigma);
    }
    case MODEL_DIST_EMPIRICAL:
        return sampler->values[gsl_rng_uniform_int(rng, sampler->value_count)];
    }
    return 0.0;
}

int64_t model_sampler_draw_us(const model_sampler *sampler, gsl_rng *rng)
{
    return (int64_t)llround(model_sampler_draw(sampler, rng));
}
