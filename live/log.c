/* Structured one-line logs on stderr. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static lb_log_level live_log_level_min = LB_LOG_INFO;

static const char *const live_log_level_names[] = {
    [LB_LOG_DEBUG] = "debug",
    [LB_LOG_INFO] = "info",
    [LB_LOG_WARN] = "warn",
    [LB_LOG_ERROR] = "error",
};

void live_log_set_level(lb_log_level level)
{
    live_log_level_min = level;
}

int live_log_level_parse(const char *text, lb_log_level *level)
{
    for (int i = LB_LOG_DEBUG; i <= LB_LOG_ERROR; i++) {
        if (strcmp(text, live_log_level_names[i]) == 0) {
            *level = (lb_log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* Formats the wall-clock time as ISO 8601 UTC with milliseconds. */
static void live_log_timestamp(char *out, size_t out_len)
{
    struct timespec ts;
    struct tm utc;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &utc);
    size_t n = strftime(out, out_len, "%Y-%m-%dT%H:%M:%S", &utc);
    snprintf(out + n, out_len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void live_log_line(lb_log_level level, const char *event,
                          const char *fields)
{
    char ts[40];

    if (level < live_log_level_min) {
        return;
    }
    live_log_timestamp(ts, sizeof(ts));
    /* One fprintf call per line, so that lines of processes sharing stderr
     * are less likely to interleave. */
    fprintf(stderr, "ts=%s level=%s event=%s%s%s\n", ts,
            live_log_level_names[level], event, fields[0] ? " " : "", fields);
}

void live_log(lb_log_level level, const char *event, const char *fields_format,
              ...)
{
    char fields[2048];
    va_list args;

    va_start(args, fields_format);
    vsnprintf(fields, sizeof(fields), fields_format, args);
    va_end(args);
    live_log_line(level, event, fields);
}

char *live_log_quote(char *out, size_t out_len, const char *text)
{
    size_t n = 0;

    if (out_len < 3) {
        if (out_len) {
            out[0] = '\0';
        }
        return out;
    }
    out[n++] = '"';
    for (const char *p = text ? text : ""; *p && n + 3 < out_len; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            out[n++] = ' ';
        } else {
            out[n++] = (char)c;
        }
    }
    out[n++] = '"';
    out[n] = '\0';
    return out;
}

char *live_text_clean(char *out, size_t out_len, const char *text)
{
    size_t n = 0;

    if (out_len == 0) {
        return out;
    }
    for (const char *p = text ? text : ""; *p && n + 1 < out_len; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f) {
            c = ' ';
        } else if (c == '"') {
            c = '\'';
        } else if (c == '\\') {
            c = '/';
        }
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return out;
}

void live_log_port_write(void *ctx, lb_log_level level, const char *event,
                         const char *fields)
{
    (void)ctx;
    live_log_line(level, event, fields ? fields : "");
}
