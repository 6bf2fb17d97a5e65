/* A growable text buffer for reports built line by line. */
#ifndef SIM_TEXT_H
#define SIM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sim_text {
    char *data; /* NUL-terminated; NULL until something is added */
    size_t len;
    size_t capacity;
    bool failed; /* memory ran out: the text is cut short */
} sim_text;

/* Appends formatted text. A failure sets text->failed and keeps the rest. */
void sim_text_printf(sim_text *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* The text so far, "" when empty. */
const char *sim_text_get(const sim_text *text);

void sim_text_free(sim_text *text);

#endif
