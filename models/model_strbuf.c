/* A growable text buffer. */
#include "model_strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"

static void strbuf_reserve(model_strbuf *buf, size_t extra)
{
    if (buf->len + extra + 1 <= buf->cap)
        return;

    size_t cap = buf->cap == 0 ? 64 : buf->cap;

    while (cap < buf->len + extra + 1)
        cap *= 2;
    buf->text = realloc(buf->text, cap);
    MODEL_ASSERT(buf->text != NULL); /* out of memory */
    buf->cap = cap;
}

void model_strbuf_printf(model_strbuf *buf, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    int need = vsnprintf(NULL, 0, format, args);
    va_end(args);
    MODEL_ASSERT(need >= 0);

    strbuf_reserve(buf, (size_t)need);
    va_start(args, format);
    vsnprintf(buf->text + buf->len, buf->cap - buf->len, format, args);
    va_end(args);
    buf->len += (size_t)need;
}

void model_strbuf_key(model_strbuf *buf, const char *key)
{
    model_strbuf_printf(buf, "%s%s=", buf->len == 0 ? "" : " ", key);
}

char *model_strbuf_take(model_strbuf *buf)
{
    if (buf->text == NULL) {
        buf->text = strdup("");
        MODEL_ASSERT(buf->text != NULL); /* out of memory */
    }

    char *text = buf->text;

    memset(buf, 0, sizeof(*buf));
    return text;
}
