/* The NGINX port of lbd.
 *
 * routes_apply renders the table (checking every id and address first),
 * writes it beside the routes file, moves it in place keeping the previous
 * file as <routes_file>.last-good, runs the configured test command
 * (nginx -t) and, if that passes, the reload command; then it polls the
 * version server until nginx answers with the new version and the old
 * workers no longer accept connections. A failed check
 * or reload puts the last good file back, so nginx keeps serving the
 * previous table, and the controller gets routes_rejected with the reason.
 * A table that arrives while another is being applied waits; a newer one
 * replaces a waiting one, which is rejected as superseded.
 *
 * stats_request reads the access log up to now and replies with the counts
 * since the previous request. The log is also polled on a timer to detect
 * instances that drop requests. Replies reach the controller from the
 * event loop, never from inside a port call. */
#ifndef LIVE_NGINX_H
#define LIVE_NGINX_H

#include <stdint.h>

#include "controller.h"
#include "loop.h"
#include "nginx_log.h"
#include "nginx_render.h"

typedef struct live_nginx_config {
    live_nginx_render_config render;
    const char *routes_file;
    const char *const *test_argv;   /* NULL-terminated */
    const char *const *reload_argv; /* NULL-terminated */
    int64_t command_timeout_us;
    int64_t confirm_timeout_us; /* waiting for the version server */
    /* nginx's pid file; when set, a reload also waits until the workers
     * that served the old table stop accepting connections. */
    const char *pid_file;
    const char *access_log;
    int64_t log_poll_us;
    uint64_t dropping_errors;
    int64_t dropping_window_us;
} live_nginx_config;

typedef struct live_nginx live_nginx;

/* Creates the adapter; config and what it points to must outlive it.
 * Returns NULL when memory runs out. */
live_nginx *live_nginx_create(live_loop *loop, const live_nginx_config *config);
void live_nginx_destroy(live_nginx *nginx);

/* Sets the controller that gets the replies and starts polling the log. */
void live_nginx_attach(live_nginx *nginx, lb_controller *controller);

/* Starts no further table, for lbd's stop. A table whose check or reload
 * is cut short (see live_proc_cancel_all) is rejected and its last good
 * file put back. */
void live_nginx_stop(live_nginx *nginx);

/* True while a table is being checked, reloaded or waits its turn. */
bool live_nginx_busy(const live_nginx *nginx);

/* Tells the dropped-request detection that the DFM reported a component
 * of instance down or up. Errors of a down component are not counted
 * against the instance, nor for one dropping window after it is up, since
 * requests sent before may still fail. */
void live_nginx_component_down(live_nginx *nginx, const char *instance,
                               const char *component);
void live_nginx_component_up(live_nginx *nginx, const char *instance,
                             const char *component);

/* Port functions; ctx is the live_nginx. */
int live_nginx_stats_request(void *ctx, lb_request_id id);
int live_nginx_routes_apply(void *ctx, const lb_routes *routes);

#endif
