/* Outgoing HTTP requests with JSON bodies, run on the event loop's libcurl
 * multi handle. Only http and https are allowed and redirects are not
 * followed, so a reply cannot send lbd to another address. */
#ifndef LIVE_HTTP_CLIENT_H
#define LIVE_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

/* Largest reply body kept, in bytes; a longer reply fails with -EMSGSIZE. */
#define LIVE_HTTP_REPLY_MAX (1024 * 1024)

typedef struct live_http_reply {
    int result;   /* 0, or a negative errno value when no reply came */
    long status;  /* HTTP status when result is 0 */
    const char *body; /* NUL-terminated */
    size_t body_len;
    const char *error; /* libcurl's message when result is not 0 */
} live_http_reply;

typedef void (*live_http_done_cb)(void *ctx, const live_http_reply *reply);

/* Sends method to url with json_body (NULL for none) and, when token is not
 * NULL, "Authorization: Bearer <token>". Gives up after timeout_ms.
 * Returns 0 when the request started, else a negative errno value and cb
 * is never called. */
int live_http_request(live_loop *loop, const char *method, const char *url,
                      const char *token, const char *json_body,
                      long timeout_ms, live_http_done_cb cb, void *ctx);

#endif
