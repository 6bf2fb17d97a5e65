/* A growable text buffer for message fields. */
#ifndef MODELS_MODEL_STRBUF_H
#define MODELS_MODEL_STRBUF_H

#include <stddef.h>

typedef struct model_strbuf {
    char *text;
    size_t len;
    size_t cap;
} model_strbuf;

/* Appends printf-style text; dies when memory runs out. */
void model_strbuf_printf(model_strbuf *buf, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends " key=" (no space when the buffer is empty). */
void model_strbuf_key(model_strbuf *buf, const char *key);
/* Returns the text (never NULL) and hands it to the caller. */
char *model_strbuf_take(model_strbuf *buf);

#endif
