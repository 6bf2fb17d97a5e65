/* Streaming reader for the CSV files of a run folder (built on libcsv). */
#include "plot_csv.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Column positions are looked up in the header once. */
#define PLOT_CSV_MAX_COLUMNS 16

typedef struct plot_csv_state {
    const char *path;
    const char *const *columns;
    size_t column_count;
    size_t position[PLOT_CSV_MAX_COLUMNS];
    plot_csv_row_cb row_cb;
    void *ctx;
    FILE *err;

    /* Fields of the record being parsed, each a malloc'd string. */
    char **fields;
    size_t field_count;
    size_t field_capacity;

    size_t line;
    int header_done;
    int rc;
} plot_csv_state;

static void plot_csv_on_field(void *text, size_t len, void *data)
{
    plot_csv_state *state = data;
    char *copy;

    if (state->rc != 0) {
        return;
    }
    if (state->field_count == state->field_capacity) {
        size_t capacity = state->field_capacity ? state->field_capacity * 2 : 16;
        char **grown = realloc(state->fields, capacity * sizeof *grown);

        if (grown == NULL) {
            state->rc = -ENOMEM;
            return;
        }
        state->fields = grown;
        state->field_capacity = capacity;
    }
    copy = malloc(len + 1);
    if (copy == NULL) {
        state->rc = -ENOMEM;
        return;
    }
    memcpy(copy, text != NULL ? text : "", text != NULL ? len : 0);
    copy[text != NULL ? len : 0] = '\0';
    state->fields[state->field_count++] = copy;
}

static int plot_csv_map_header(plot_csv_state *state)
{
    for (size_t c = 0; c < state->column_count; c++) {
        size_t f = 0;

        while (f < state->field_count &&
               strcmp(state->fields[f], state->columns[c]) != 0) {
            f++;
        }
        if (f == state->field_count) {
            fprintf(state->err, "plots: %s: the header has no column '%s'\n",
                    state->path, state->columns[c]);
            return -EINVAL;
        }
        state->position[c] = f;
    }
    return 0;
}

static int plot_csv_deliver(plot_csv_state *state)
{
    const char *ordered[PLOT_CSV_MAX_COLUMNS];
    plot_csv_row row = {ordered, state->path, state->line};

    for (size_t c = 0; c < state->column_count; c++) {
        if (state->position[c] >= state->field_count) {
            fprintf(state->err, "plots: %s line %zu: %zu fields, but column "
                    "'%s' is field %zu of the header\n", state->path,
                    state->line, state->field_count, state->columns[c],
                    state->position[c] + 1);
            return -EINVAL;
        }
        ordered[c] = state->fields[state->position[c]];
    }
    return state->row_cb(state->ctx, &row, state->err);
}

static void plot_csv_on_record(int terminator, void *data)
{
    plot_csv_state *state = data;

    (void)terminator;
    state->line++;
    if (state->rc == 0) {
        if (!state->header_done) {
            state->rc = plot_csv_map_header(state);
            state->header_done = 1;
        } else {
            state->rc = plot_csv_deliver(state);
        }
    }

    for (size_t f = 0; f < state->field_count; f++) {
        free(state->fields[f]);
    }
    state->field_count = 0;
}

static int plot_csv_parse_file(FILE *file, struct csv_parser *parser,
                               plot_csv_state *state)
{
    char buf[16384];
    size_t n;

    while (state->rc == 0 && (n = fread(buf, 1, sizeof buf, file)) > 0) {
        if (csv_parse(parser, buf, n, plot_csv_on_field, plot_csv_on_record,
                      state) != n) {
            fprintf(state->err, "plots: %s: invalid CSV after line %zu: %s\n",
                    state->path, state->line,
                    csv_strerror(csv_error(parser)));
            return -EINVAL;
        }
    }
    if (ferror(file)) {
        fprintf(state->err, "plots: %s: read failed: %s\n", state->path,
                strerror(errno));
        return -EINVAL;
    }
    csv_fini(parser, plot_csv_on_field, plot_csv_on_record, state);
    return state->rc;
}

int plot_csv_read(const char *path, const char *const *columns,
                  size_t column_count, plot_csv_row_cb row_cb, void *ctx,
                  FILE *err)
{
    plot_csv_state state = {0};
    struct csv_parser parser;
    FILE *file;
    int rc;

    if (column_count > PLOT_CSV_MAX_COLUMNS) {
        fprintf(err, "plots: %s: %zu columns requested, at most %d are "
                "supported\n", path, column_count, PLOT_CSV_MAX_COLUMNS);
        return -EINVAL;
    }
    file = fopen(path, "r");
    if (file == NULL) {
        fprintf(err, "plots: cannot open %s: %s\n", path, strerror(errno));
        return -EINVAL;
    }
    if (csv_init(&parser, CSV_APPEND_NULL) != 0) {
        fclose(file);
        return -ENOMEM;
    }

    state.path = path;
    state.columns = columns;
    state.column_count = column_count;
    state.row_cb = row_cb;
    state.ctx = ctx;
    state.err = err;
    rc = plot_csv_parse_file(file, &parser, &state);
    if (rc == 0 && !state.header_done) {
        fprintf(err, "plots: %s is empty; expected a header row\n", path);
        rc = -EINVAL;
    }

    for (size_t f = 0; f < state.field_count; f++) {
        free(state.fields[f]);
    }
    free(state.fields);
    csv_free(&parser);
    fclose(file);
    return rc;
}

int plot_csv_number(const plot_csv_row *row, size_t index, const char *column,
                    double *value, FILE *err)
{
    const char *text = row->fields[index];
    char *end = NULL;

    errno = 0;
    *value = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(*value)) {
        fprintf(err, "plots: %s line %zu: column %s is '%s', expected a "
                "finite number\n", row->path, row->line, column, text);
        return -EINVAL;
    }
    return 0;
}
