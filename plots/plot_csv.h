/* Streaming reader for the CSV files of a run folder (built on libcsv).
 *
 * The first record is the header. The caller lists the columns it needs by
 * name. Every later record reaches the callback with its fields in that
 * order, whatever the order of the columns in the file. */
#ifndef PLOT_CSV_H
#define PLOT_CSV_H

#include <stddef.h>
#include <stdio.h>

typedef struct plot_csv_row {
    /* Fields in the order of the requested columns, NUL-terminated; valid
     * only during the callback. */
    const char *const *fields;
    /* File being read, and the record's line number (exact unless a quoted
     * field spans lines), for error messages. */
    const char *path;
    size_t line;
} plot_csv_row;

/* Handles one data record. Returns 0 to go on, or a negative errno value
 * after printing a message to err, which stops the reading. */
typedef int (*plot_csv_row_cb)(void *ctx, const plot_csv_row *row, FILE *err);

/* Reads path and calls row_cb once per data record. Returns 0, the
 * callback's error, or -EINVAL when the file is missing or malformed. A
 * file is malformed when it lacks a requested column or has a record with
 * fewer fields than the header. Each error is printed to err with the file
 * name. */
int plot_csv_read(const char *path, const char *const *columns,
                  size_t column_count, plot_csv_row_cb row_cb, void *ctx,
                  FILE *err);

/* Parses a number field. Returns 0, or -EINVAL after printing a message that
 * names the file, line and column. */
int plot_csv_number(const plot_csv_row *row, size_t index, const char *column,
                    double *value, FILE *err);

#endif
