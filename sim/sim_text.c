/* The growable text buffer: doubles its capacity as it fills. */
#include "sim_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static bool sim_text_reserve(sim_text *text, size_t extra)
{
    size_t capacity = text->capacity == 0 ? 256 : text->capacity;
    char *grown;

    if (text->len + extra + 1 <= text->capacity) {
        return true;
    }
    while (capacity < text->len + extra + 1) {
        capacity *= 2;
    }
    grown = realloc(text->data, capacity);
    if (grown == NULL) {
        text->failed = true;
        return false;
    }
    text->data = grown;
    text->capacity = capacity;
    return true;
}

void sim_text_printf(sim_text *text, const char *format, ...)
{
    va_list args;
    int needed;

    va_start(args, format);
    needed = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (needed < 0 || !sim_text_reserve(text, (size_t)needed)) {
        text->failed = true;
        return;
    }
    va_start(args, format);
    vsnprintf(text->data + text->len, text->capacity - text->len, format,
              args);
    va_end(args);
    text->len += (size_t)needed;
}

const char *sim_text_get(const sim_text *text)
{
    return text->data != NULL ? text->data : "";
}

void sim_text_free(sim_text *text)
{
    free(text->data);
    text->data = NULL;
    text->len = 0;
    text->capacity = 0;
    text->failed = false;
}
