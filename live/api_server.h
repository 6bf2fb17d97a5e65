/* An HTTP/JSON API server on the event loop (libmicrohttpd, no threads).
 *
 * Every call must carry "Authorization: Bearer <token>"; a missing or wrong
 * token gets 401 before the body is looked at. POST bodies must be one JSON
 * object of at most LIVE_API_BODY_MAX bytes; anything else gets 400 (or
 * 413) with {"error": "..."} saying what was wrong. Handlers see only
 * checked input. A 503 reply carries Retry-After. */
#ifndef LIVE_API_SERVER_H
#define LIVE_API_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "loop.h"

#define LIVE_API_BODY_MAX 65536

/* Connection limits against callers that open connections and send
 * nothing or send slowly: all connections, connections from one address,
 * and seconds a connection may stay without any traffic before it is
 * closed (a call normally completes in milliseconds). */
#define LIVE_API_CONNECTIONS_MAX 256
#define LIVE_API_CONNECTIONS_PER_IP_MAX 64
#define LIVE_API_IDLE_TIMEOUT_S 5

/* Retry-After value of a 503 reply, in seconds. */
#define LIVE_API_RETRY_AFTER_S "1"

/* Handles one call. body is the JSON object of a POST, NULL for a GET.
 * Returns the HTTP status. For a status of 400 or more, err holds the
 * message; otherwise *reply may be set to a JSON object the server sends
 * and frees (left NULL, the reply is {"status": "ok"}). */
typedef unsigned (*live_api_handler)(void *ctx, const json_t *body,
                                     json_t **reply, char *err,
                                     size_t err_len);

typedef struct live_api_route {
    const char *method; /* "GET" or "POST" */
    const char *path;   /* exact path, such as "/v1/dfm/ready" */
    live_api_handler handler;
    void *ctx;
} live_api_route;

typedef struct live_api_server live_api_server;

/* Starts listening on address ("127.0.0.1:8700", "[::1]:0"; port 0 picks a
 * free one) and registers with loop. token is copied. Returns NULL with a
 * message in err when the address is invalid or cannot be bound. */
live_api_server *live_api_server_start(live_loop *loop, const char *address,
                                       const char *token,
                                       const live_api_route *routes,
                                       size_t route_count, char *err,
                                       size_t err_len);

/* The port the server listens on. */
uint16_t live_api_server_port(const live_api_server *server);

/* Stops listening, closes connections and frees the server. */
void live_api_server_stop(live_api_server *server);

/* Parses "host:port" with a numeric IPv4 or bracketed IPv6 host into addr.
 * Returns 0 or -EINVAL. */
struct sockaddr_storage;
int live_api_address_parse(const char *address, struct sockaddr_storage *addr,
                           size_t *addr_len);

#endif
