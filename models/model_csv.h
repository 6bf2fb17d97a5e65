/* A CSV reader that returns one row at a time, parsed with libcsv.
 *
 * The file is read line by line with getline, so memory stays bounded by the
 * longest line whatever the file's length, and every row records the line
 * it ends on (for error messages). A row holds at most MODEL_CSV_FIELDS_MAX
 * fields of at most MODEL_CSV_FIELD_LEN_MAX bytes; longer ones are flagged,
 * not truncated silently. */
#ifndef MODELS_MODEL_CSV_H
#define MODELS_MODEL_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <csv.h>

#define MODEL_CSV_FIELDS_MAX 8
#define MODEL_CSV_FIELD_LEN_MAX 127

typedef struct model_csv_row {
    size_t line;        /* 1-based line of the file the row ends on */
    size_t field_count; /* fields seen, may exceed MODEL_CSV_FIELDS_MAX */
    bool field_too_long;
    char fields[MODEL_CSV_FIELDS_MAX][MODEL_CSV_FIELD_LEN_MAX + 1];
} model_csv_row;

typedef struct model_csv_reader {
    FILE *file;
    struct csv_parser parser;
    char *line_buf;
    size_t line_cap;
    size_t line_no;
    bool row_ready;
    bool at_eof;
    model_csv_row row;
} model_csv_reader;

/* Opens path for reading. Returns 0, or a negative errno value (-ENOENT when
 * the file does not exist) with a message naming the file in err. */
int model_csv_open(model_csv_reader *reader, const char *path, char *err,
                   size_t err_len);

/* Reads the next row into *row_out (valid until the next call). Returns 1
 * for a row, 0 at the end of the file, or -EINVAL / -EIO with the reason in
 * err for a CSV syntax or read error; reader->line_no is then the line. */
int model_csv_next(model_csv_reader *reader, const model_csv_row **row_out,
                   char *err, size_t err_len);

void model_csv_close(model_csv_reader *reader);

#endif
