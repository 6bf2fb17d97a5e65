/* The HTTP/JSON API server; see api_server.h. */
#include "api_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "log.h"

/* At most this many api_call_rejected lines per second are written; the
 * rest are counted, so a flood of bad calls cannot flood the log. */
#define LIVE_API_REJECT_LOGS_PER_S 10

struct live_api_server {
    live_loop *loop;
    struct MHD_Daemon *daemon;
    char *token;
    live_api_route *routes;
    size_t route_count;
    int64_t reject_second;      /* monotonic second of the lines counted */
    unsigned reject_logged;     /* lines written in reject_second */
    unsigned long reject_muted; /* lines not written since the last note */
};

/* Body of one call, gathered across the access handler's calls. */
typedef struct live_api_call {
    char *body;
    size_t len;
    bool too_large;
} live_api_call;

int live_api_address_parse(const char *address, struct sockaddr_storage *addr,
                           size_t *addr_len)
{
    char host[64];
    const char *colon = address ? strrchr(address, ':') : NULL;
    if (!colon || (size_t)(colon - address) >= sizeof(host)) {
        return -EINVAL;
    }
    char *end = NULL;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || port > 65535) {
        return -EINVAL;
    }

    memset(addr, 0, sizeof(*addr));
    memcpy(host, address, (size_t)(colon - address));
    host[colon - address] = '\0';
    if (host[0] == '[') {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
        size_t len = strlen(host);
        if (len < 3 || host[len - 1] != ']') {
            return -EINVAL;
        }
        host[len - 1] = '\0';
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *addr_len = sizeof(*in6);
        int parsed = inet_pton(AF_INET6, host + 1, &in6->sin6_addr);
        return parsed == 1 ? 0 : -EINVAL;
    }
    struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    *addr_len = sizeof(*in4);
    return inet_pton(AF_INET, host, &in4->sin_addr) == 1 ? 0 : -EINVAL;
}

/* Compares in time independent of where the strings differ. */
static bool live_api_token_equal(const char *given, const char *token)
{
    size_t given_len = strlen(given);
    size_t token_len = strlen(token);
    unsigned char diff = given_len != token_len;

    for (size_t i = 0; i < token_len; i++) {
        diff |= (unsigned char)(token[i] ^ given[i < given_len ? i : 0]);
    }
    return diff == 0;
}

static bool live_api_authorized(const live_api_server *server,
                                struct MHD_Connection *connection)
{
    const char *header = MHD_lookup_connection_value(
        connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    /* The scheme name is case-insensitive (RFC 7235 section 2.1). */
    if (!header || strncasecmp(header, "Bearer ", 7) != 0) {
        return false;
    }
    return live_api_token_equal(header + 7, server->token);
}

static enum MHD_Result live_api_send(struct MHD_Connection *connection,
                                     unsigned status, json_t *reply)
{
    char *text = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    if (!text) {
        return MHD_NO;
    }
    size_t len = strlen(text);
    struct MHD_Response *response = MHD_create_response_from_buffer(
        len, text, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    if (status == MHD_HTTP_UNAUTHORIZED) {
        MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer");
        /* An unauthenticated caller gets no kept-alive connection. */
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE) {
        MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER,
                                LIVE_API_RETRY_AFTER_S);
    }
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

/* Decides whether a rejected call is logged, at most
 * LIVE_API_REJECT_LOGS_PER_S a second; notes how many were left out. */
static bool live_api_reject_log_allowed(live_api_server *server)
{
    int64_t second = live_loop_now_us(server->loop) / 1000000;

    if (second != server->reject_second) {
        if (server->reject_muted > 0) {
            live_log(LB_LOG_WARN, "api_call_rejected_unlogged", "count=%lu",
                     server->reject_muted);
        }
        server->reject_second = second;
        server->reject_logged = 0;
        server->reject_muted = 0;
    }
    if (server->reject_logged >= LIVE_API_REJECT_LOGS_PER_S) {
        server->reject_muted++;
        return false;
    }
    server->reject_logged++;
    return true;
}

static enum MHD_Result live_api_error(live_api_server *server,
                                      struct MHD_Connection *connection,
                                      unsigned status, const char *path,
                                      const char *message)
{
    char quoted_path[300];
    char quoted[600];

    /* The path is the caller's, already percent-decoded, so it may hold
     * line breaks; quoting keeps it inside this one line. */
    if (live_api_reject_log_allowed(server)) {
        live_log(LB_LOG_WARN, "api_call_rejected", "path=%s status=%u "
                 "error=%s", live_log_quote(quoted_path, sizeof(quoted_path),
                                            path),
                 status, live_log_quote(quoted, sizeof(quoted), message));
    }
    return live_api_send(connection, status, json_pack("{s:s}", "error",
                                                       message));
}

static const live_api_route *live_api_find(const live_api_server *server,
                                           const char *path,
                                           const char *method,
                                           bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < server->route_count; i++) {
        if (strcmp(server->routes[i].path, path) == 0) {
            *path_known = true;
            if (strcmp(server->routes[i].method, method) == 0) {
                return &server->routes[i];
            }
        }
    }
    return NULL;
}

/* Parses a POST body into one JSON object, or fills err. */
static json_t *live_api_parse(const live_api_call *call, char *err,
                              size_t err_len)
{
    json_error_t error;

    if (call->len == 0) {
        snprintf(err, err_len, "empty body: expected a JSON object");
        return NULL;
    }
    json_t *body = json_loadb(call->body, call->len, JSON_REJECT_DUPLICATES,
                              &error);
    if (!body) {
        snprintf(err, err_len, "invalid JSON at line %d column %d: %s",
                 error.line, error.column, error.text);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        snprintf(err, err_len, "invalid body: expected a JSON object");
        return NULL;
    }
    return body;
}

static enum MHD_Result live_api_dispatch(live_api_server *server,
                                         struct MHD_Connection *connection,
                                         const char *path, const char *method,
                                         live_api_call *call)
{
    char err[512] = "";
    bool path_known = false;
    json_t *body = NULL;
    json_t *reply = NULL;

    if (!live_api_authorized(server, connection)) {
        return live_api_error(server, connection, MHD_HTTP_UNAUTHORIZED, path,
                              "missing or invalid bearer token");
    }
    const live_api_route *route = live_api_find(server, path, method,
                                                &path_known);
    if (!route) {
        return live_api_error(server, connection, path_known ?
                              MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND,
                              path, path_known ? "method not allowed" :
                              "no such endpoint");
    }
    if (call->too_large) {
        snprintf(err, sizeof(err), "body larger than %d bytes",
                 LIVE_API_BODY_MAX);
        return live_api_error(server, connection, 413, path, err);
    }
    if (strcmp(method, "POST") == 0) {
        body = live_api_parse(call, err, sizeof(err));
        if (!body) {
            return live_api_error(server, connection, MHD_HTTP_BAD_REQUEST,
                                  path, err);
        }
    }

    unsigned status = route->handler(route->ctx, body, &reply, err,
                                     sizeof(err));
    json_decref(body);
    if (status >= 400) {
        json_decref(reply);
        return live_api_error(server, connection, status, path,
                              err[0] ? err : "request failed");
    }
    if (!reply) {
        reply = json_pack("{s:s}", "status", status == 202 ? "accepted" : "ok");
    }
    return live_api_send(connection, status, reply);
}

static enum MHD_Result live_api_access_cb(void *cls,
                                          struct MHD_Connection *connection,
                                          const char *url, const char *method,
                                          const char *version,
                                          const char *upload_data,
                                          size_t *upload_data_size,
                                          void **con_cls)
{
    live_api_server *server = cls;
    live_api_call *call = *con_cls;
    (void)version;

    if (!call) {
        call = calloc(1, sizeof(*call));
        *con_cls = call;
        return call ? MHD_YES : MHD_NO;
    }
    if (*upload_data_size > 0) {
        size_t len = *upload_data_size;
        *upload_data_size = 0;
        if (call->too_large || call->len + len > LIVE_API_BODY_MAX) {
            call->too_large = true;
            return MHD_YES;
        }
        char *grown = realloc(call->body, call->len + len + 1);
        if (!grown) {
            return MHD_NO;
        }
        memcpy(grown + call->len, upload_data, len);
        call->body = grown;
        call->len += len;
        call->body[call->len] = '\0';
        return MHD_YES;
    }
    return live_api_dispatch(server, connection, url, method, call);
}

static void live_api_completed_cb(void *cls, struct MHD_Connection *connection,
                                  void **con_cls,
                                  enum MHD_RequestTerminationCode code)
{
    live_api_call *call = *con_cls;
    (void)cls;
    (void)connection;
    (void)code;

    if (call) {
        free(call->body);
        free(call);
        *con_cls = NULL;
    }
}

static int live_api_copy_routes(live_api_server *server,
                                const live_api_route *routes, size_t count)
{
    server->routes = calloc(count ? count : 1, sizeof(*routes));
    if (!server->routes) {
        return -ENOMEM;
    }
    memcpy(server->routes, routes, count * sizeof(*routes));
    server->route_count = count;
    return 0;
}

live_api_server *live_api_server_start(live_loop *loop, const char *address,
                                       const char *token,
                                       const live_api_route *routes,
                                       size_t route_count, char *err,
                                       size_t err_len)
{
    struct sockaddr_storage addr;
    size_t addr_len = 0;

    if (live_api_address_parse(address, &addr, &addr_len) != 0) {
        snprintf(err, err_len, "invalid listen address \"%s\" (expected "
                 "127.0.0.1:PORT or [::1]:PORT)", address);
        return NULL;
    }
    live_api_server *server = calloc(1, sizeof(*server));
    if (!server || !(server->token = strdup(token)) ||
        live_api_copy_routes(server, routes, route_count) != 0) {
        snprintf(err, err_len, "out of memory");
        goto fail;
    }
    server->loop = loop;
    unsigned flags = MHD_USE_EPOLL | (addr.ss_family == AF_INET6 ?
                                      MHD_USE_IPv6 : 0);
    server->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, live_api_access_cb, server,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)LIVE_API_CONNECTIONS_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)LIVE_API_CONNECTIONS_PER_IP_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)LIVE_API_IDLE_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, live_api_completed_cb, server,
        MHD_OPTION_END);
    if (!server->daemon) {
        snprintf(err, err_len, "cannot listen on %s (address in use or not "
                 "local?)", address);
        goto fail;
    }
    if (live_loop_mhd_add(loop, server->daemon) != 0) {
        snprintf(err, err_len, "cannot add the server to the event loop");
        goto fail;
    }
    return server;

fail:
    if (server) {
        if (server->daemon) {
            MHD_stop_daemon(server->daemon);
        }
        free(server->token);
        free(server->routes);
        free(server);
    }
    return NULL;
}

uint16_t live_api_server_port(const live_api_server *server)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

void live_api_server_stop(live_api_server *server)
{
    if (!server) {
        return;
    }
    live_loop_mhd_remove(server->loop, server->daemon);
    MHD_stop_daemon(server->daemon);
    /* Overwritten so the token does not linger in freed memory. */
    memset(server->token, 0, strlen(server->token));
    free(server->token);
    free(server->routes);
    free(server);
}
