/* A line-at-a-time CSV reader over libcsv. */
#include "model_csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static void field_cb(void *data, size_t len, void *ctx)
{
    model_csv_reader *reader = ctx;
    model_csv_row *row = &reader->row;

    if (row->field_count < MODEL_CSV_FIELDS_MAX) {
        if (len > MODEL_CSV_FIELD_LEN_MAX) {
            row->field_too_long = true;
            len = MODEL_CSV_FIELD_LEN_MAX;
        }
        if (len > 0)
            memcpy(row->fields[row->field_count], data, len);
        row->fields[row->field_count][len] = '\0';
    }
    row->field_count++;
}

static void row_cb(int terminator, void *ctx)
{
    model_csv_reader *reader = ctx;

    (void)terminator;
    reader->row.line = reader->line_no;
    reader->row_ready = true;
}

static void row_reset(model_csv_reader *reader)
{
    reader->row.field_count = 0;
    reader->row.field_too_long = false;
    reader->row_ready = false;
}

int model_csv_open(model_csv_reader *reader, const char *path, char *err,
                   size_t err_len)
{
    memset(reader, 0, sizeof(*reader));
    reader->file = fopen(path, "r");
    if (reader->file == NULL) {
        int code = errno;

        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(code));
        return -code;
    }

    /* Strict mode rejects a quote inside an unquoted field and an unclosed
     * quote at the end of the file. */
    if (csv_init(&reader->parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        fclose(reader->file);
        reader->file = NULL;
        snprintf(err, err_len, "%s: out of memory", path);
        return -ENOMEM;
    }
    return 0;
}

static int parse_error(model_csv_reader *reader, char *err, size_t err_len)
{
    snprintf(err, err_len, "invalid CSV: %s",
             csv_strerror(csv_error(&reader->parser)));
    return -EINVAL;
}

/* Feeds lines until libcsv completes a row or the file ends. */
int model_csv_next(model_csv_reader *reader, const model_csv_row **row_out,
                   char *err, size_t err_len)
{
    row_reset(reader);
    while (!reader->row_ready && !reader->at_eof) {
        ssize_t len = getline(&reader->line_buf, &reader->line_cap,
                              reader->file);

        if (len < 0) {
            if (ferror(reader->file)) {
                snprintf(err, err_len, "read failed");
                return -EIO;
            }
            reader->at_eof = true;
            if (csv_fini(&reader->parser, field_cb, row_cb, reader) != 0)
                return parse_error(reader, err, err_len);
            break;
        }

        reader->line_no++;
        if ((size_t)len != strlen(reader->line_buf)) {
            snprintf(err, err_len, "the line contains a NUL byte");
            return -EINVAL;
        }
        if (csv_parse(&reader->parser, reader->line_buf, (size_t)len,
                      field_cb, row_cb, reader) != (size_t)len)
            return parse_error(reader, err, err_len);
    }

    if (!reader->row_ready)
        return 0;
    *row_out = &reader->row;
    return 1;
}

void model_csv_close(model_csv_reader *reader)
{
    if (reader->file != NULL) {
        csv_free(&reader->parser);
        fclose(reader->file);
    }
    free(reader->line_buf);
    memset(reader, 0, sizeof(*reader));
}
