/* Streaming, checked reader of "time_s,tenant,requests" traces. */
#include "model_trace.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const trace_columns[3] = {"time_s", "tenant", "requests"};

static int row_error(const model_trace_reader *reader, size_t line,
                     char *err, size_t err_len, const char *reason)
{
    snprintf(err, err_len, "%s:%zu: %s", reader->path, line, reason);
    return -EINVAL;
}

static int check_header(model_trace_reader *reader, char *err, size_t err_len)
{
    const model_csv_row *row = NULL;
    char inner[256];
    int rc = model_csv_next(&reader->csv, &row, inner, sizeof(inner));

    if (rc < 0) {
        row_error(reader, reader->csv.line_no, err, err_len, inner);
        return rc;
    }
    if (rc == 0)
        return row_error(reader, 1, err, err_len,
                         "empty file: expected the header "
                         "time_s,tenant,requests");

    bool same = row->field_count == 3 && !row->field_too_long;

    for (size_t i = 0; same && i < 3; i++)
        same = strcmp(row->fields[i], trace_columns[i]) == 0;
    if (!same)
        return row_error(reader, row->line, err, err_len,
                         "wrong header: expected time_s,tenant,requests");
    return 0;
}

int model_trace_open(model_trace_reader *reader, const char *path, char *err,
                     size_t err_len)
{
    memset(reader, 0, sizeof(*reader));
    reader->path = strdup(path);
    if (reader->path == NULL) {
        snprintf(err, err_len, "%s: out of memory", path);
        return -ENOMEM;
    }

    int rc = model_csv_open(&reader->csv, path, err, err_len);

    if (rc == 0)
        rc = check_header(reader, err, err_len);
    if (rc != 0)
        model_trace_close(reader);
    return rc;
}

int model_trace_tenant_valid(const char *id)
{
    size_t len = strlen(id);

    if (len == 0 || len > MODEL_TRACE_TENANT_LEN_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

/* Parses field "time_s": a finite non-negative decimal number. */
static int parse_time(model_trace_reader *reader, const model_csv_row *row,
                      double *out, char *err, size_t err_len)
{
    char reason[256];
    char *end = NULL;
    double value;

    errno = 0;
    value = strtod(row->fields[0], &end);
    if (end == row->fields[0] || *end != '\0' || errno != 0 ||
        !isfinite(value)) {
        snprintf(reason, sizeof(reason), "time_s is not a number: \"%s\"",
                 row->fields[0]);
        return row_error(reader, row->line, err, err_len, reason);
    }
    if (value < 0) {
        snprintf(reason, sizeof(reason), "time_s is negative: %s",
                 row->fields[0]);
        return row_error(reader, row->line, err, err_len, reason);
    }
    if (value < reader->last_time_s) {
        snprintf(reason, sizeof(reason),
                 "time goes backwards: time_s %s is earlier than %.17g "
                 "on the row before",
                 row->fields[0], reader->last_time_s);
        return row_error(reader, row->line, err, err_len, reason);
    }
    *out = value;
    return 0;
}

/* Parses field "requests": a non-negative decimal integer. */
static int parse_requests(model_trace_reader *reader,
                          const model_csv_row *row, uint64_t *out, char *err,
                          size_t err_len)
{
    const char *text = row->fields[2];
    char reason[256];

    if (text[0] == '-') {
        snprintf(reason, sizeof(reason), "requests is negative: %s", text);
        return row_error(reader, row->line, err, err_len, reason);
    }

    char *end = NULL;
    unsigned long long value;

    errno = 0;
    value = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 || text[0] == '+' ||
        text[0] == ' ') {
        snprintf(reason, sizeof(reason),
                 "requests is not a non-negative integer: \"%s\"", text);
        return row_error(reader, row->line, err, err_len, reason);
    }
    *out = value;
    return 0;
}

static int check_fields(model_trace_reader *reader, const model_csv_row *row,
                        char *err, size_t err_len)
{
    char reason[256];

    if (row->field_too_long)
        return row_error(reader, row->line, err, err_len,
                         "a field is longer than 127 bytes");
    if (row->field_count > 3) {
        snprintf(reason, sizeof(reason),
                 "%zu fields, expected 3 (time_s,tenant,requests)",
                 row->field_count);
        return row_error(reader, row->line, err, err_len, reason);
    }
    for (size_t i = 0; i < 3; i++) {
        if (i >= row->field_count || row->fields[i][0] == '\0') {
            snprintf(reason, sizeof(reason), "missing field %s",
                     trace_columns[i]);
            return row_error(reader, row->line, err, err_len, reason);
        }
    }
    if (!model_trace_tenant_valid(row->fields[1])) {
        snprintf(reason, sizeof(reason),
                 "invalid tenant id \"%s\": expected 1 to %d characters of "
                 "a-z, 0-9, _ and -",
                 row->fields[1], MODEL_TRACE_TENANT_LEN_MAX);
        return row_error(reader, row->line, err, err_len, reason);
    }
    return 0;
}

int model_trace_next(model_trace_reader *reader, model_trace_row *row,
                     char *err, size_t err_len)
{
    const model_csv_row *csv_row = NULL;
    char inner[256];
    int rc = model_csv_next(&reader->csv, &csv_row, inner, sizeof(inner));

    if (rc < 0) {
        row_error(reader, reader->csv.line_no, err, err_len, inner);
        return rc;
    }
    if (rc == 0)
        return 0;

    rc = check_fields(reader, csv_row, err, err_len);
    if (rc == 0)
        rc = parse_time(reader, csv_row, &row->time_s, err, err_len);
    if (rc == 0)
        rc = parse_requests(reader, csv_row, &row->requests, err, err_len);
    if (rc != 0)
        return rc;

    reader->last_time_s = row->time_s;
    row->tenant = csv_row->fields[1];
    row->line = csv_row->line;
    return 1;
}

void model_trace_close(model_trace_reader *reader)
{
    model_csv_close(&reader->csv);
    free(reader->path);
    memset(reader, 0, sizeof(*reader));
}
