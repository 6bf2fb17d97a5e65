/* lbd: the LB controller with live adapters (real nginx, HTTP to the DFMs,
 * the provider's commands or API), on one single-threaded event loop.
 *
 *   lbd -c lbd.conf            run until SIGTERM or SIGINT
 *   lbd -c lbd.conf --check    check the config file and exit
 *   lbd -c lbd.conf --init-routes
 *                              write an empty routes file for nginx's first
 *                              start if there is none, and exit */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_server.h"
#include "dfm.h"
#include "lbd_config.h"
#include "lbd_state.h"
#include "log.h"
#include "loop.h"
#include "nginx.h"
#include "proc.h"
#include "provider.h"
#include "registry.h"

/* Maximum wait for requests in flight after SIGTERM. */
#define LBD_DRAIN_US (10 * 1000000)

typedef struct lbd {
    lbd_config config;
    live_loop *loop;
    live_registry registry;
    live_nginx *nginx;
    live_dfm dfm;
    live_provider provider;
    live_api_server *api;
    lb_controller *controller;
    uint64_t wake_timer;
    int signal_pipe[2];
} lbd;

static lbd *lbd_signal_target;

static void lbd_signal_handler(int signo)
{
    int saved = errno;
    unsigned char byte = (unsigned char)signo;
    if (write(lbd_signal_target->signal_pipe[1], &byte, 1) < 0) {
        /* The pipe is full, so a stop is already pending. */
    }
    errno = saved;
}

static void lbd_signal_cb(void *ctx, int fd, short revents)
{
    lbd *daemon = ctx;
    unsigned char byte = 0;
    (void)revents;

    if (read(fd, &byte, 1) == 1) {
        live_log(LB_LOG_INFO, "stopping", "signal=%d", byte);
        live_loop_stop(daemon->loop);
    }
}

static int lbd_signals_install(lbd *daemon)
{
    struct sigaction action;

    if (pipe(daemon->signal_pipe) != 0) {
        return -errno;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(daemon->signal_pipe[i], F_SETFD, FD_CLOEXEC);
        fcntl(daemon->signal_pipe[i], F_SETFL,
              fcntl(daemon->signal_pipe[i], F_GETFL) | O_NONBLOCK);
    }
    lbd_signal_target = daemon;
    memset(&action, 0, sizeof(action));
    action.sa_handler = lbd_signal_handler;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    return live_loop_fd_add(daemon->loop, daemon->signal_pipe[0], POLLIN,
                            lbd_signal_cb, daemon);
}

static lb_time_t lbd_clock_now(void *ctx)
{
    lbd *daemon = ctx;
    return live_loop_now_us(daemon->loop);
}

static void lbd_wake_cb(void *ctx)
{
    lbd *daemon = ctx;
    daemon->wake_timer = 0;
    lb_on_timer(daemon->controller);
}

static void lbd_clock_wake_at(void *ctx, lb_time_t at_us)
{
    lbd *daemon = ctx;

    live_loop_timer_stop(daemon->loop, daemon->wake_timer);
    daemon->wake_timer = live_loop_timer_start(daemon->loop, at_us,
                                               lbd_wake_cb, daemon);
}

static lb_ports lbd_ports(lbd *daemon)
{
    lb_ports ports = {
        .clock = {daemon, lbd_clock_now, lbd_clock_wake_at},
        .nginx = {daemon->nginx, live_nginx_stats_request,
                  live_nginx_routes_apply},
        .provider = {&daemon->provider, live_provider_instance_create,
                     live_provider_instance_remove,
                     live_provider_instance_restart,
                     live_provider_instance_list},
        .dfm = {&daemon->dfm, live_dfm_components_start,
                live_dfm_components_stop},
        .log = {NULL, live_log_port_write},
    };
    return ports;
}

static int lbd_adapters_create(lbd *daemon, char *err, size_t err_len)
{
    lbd_config *config = &daemon->config;

    daemon->loop = live_loop_create();
    live_registry_init(&daemon->registry);
    /* An early dfm_ready waits at least as long as a create may take. */
    if (daemon->registry.pending_ttl_us < 2 * config->provider.timeout_us) {
        daemon->registry.pending_ttl_us = 2 * config->provider.timeout_us;
    }
    daemon->nginx = daemon->loop ? live_nginx_create(daemon->loop,
                                                     &config->nginx) : NULL;
    if (!daemon->nginx) {
        snprintf(err, err_len, "out of memory");
        return -ENOMEM;
    }
    daemon->dfm = (live_dfm){
        .loop = daemon->loop,
        .registry = &daemon->registry,
        .components = config->components,
        .component_count = config->component_count,
        .token = config->token,
        .timeout_ms = config->dfm_timeout_ms,
        .nginx = daemon->nginx,
    };
    daemon->provider = (live_provider){
        .loop = daemon->loop,
        .config = &config->provider,
        .registry = &daemon->registry,
        .dfm = &daemon->dfm,
    };
    return 0;
}

static int lbd_api_start(lbd *daemon, char *err, size_t err_len)
{
    live_api_route routes[LIVE_DFM_ROUTE_COUNT + LIVE_TENANT_ROUTE_COUNT];
    size_t count = live_dfm_api_routes(&daemon->dfm, routes);

    count += live_tenant_api_routes(&daemon->dfm, routes + count);

    daemon->api = live_api_server_start(daemon->loop, daemon->config.listen,
                                        daemon->config.token, routes, count,
                                        err, err_len);
    if (!daemon->api) {
        return -EADDRNOTAVAIL;
    }
    live_log(LB_LOG_INFO, "api_listening", "address=%s port=%u",
             daemon->config.listen, live_api_server_port(daemon->api));
    return 0;
}

/* Asks the provider what exists and merges it with the routes file. */
static int lbd_state_restore(lbd *daemon, lbd_state *state, char *err,
                             size_t err_len)
{
    lb_instance_info *listed = NULL;
    size_t listed_count = 0;
    char list_err[512] = "";
    char quoted[600];

    int rc = live_provider_list_now(&daemon->provider, &listed, &listed_count,
                                    list_err, sizeof(list_err));
    if (rc != 0) {
        live_log(LB_LOG_WARN, "provider_list_failed", "reason=%s "
                 "effect=keeping_all_known_instances",
                 live_log_quote(quoted, sizeof(quoted), list_err));
    }
    rc = lbd_state_build(state, &daemon->config, rc == 0 ? listed : NULL,
                         listed_count, err, err_len);
    live_provider_list_free(listed, listed_count);
    for (size_t i = 0; rc == 0 && i < state->instance_count; i++) {
        live_registry_set(&daemon->registry, state->instances[i].id,
                          state->instances[i].address);
    }
    return rc;
}

static int lbd_controller_start(lbd *daemon, const lbd_state *state,
                                char *err, size_t err_len)
{
    lb_ports ports = lbd_ports(daemon);
    lb_config config = {
        .policy = &daemon->config.policy,
        .component_count = daemon->config.component_count,
        .component_names = daemon->config.component_names,
        .instance_count = state->instance_count,
        .instances = state->instances,
    };

    daemon->controller = lb_controller_create(&config, &ports);
    if (!daemon->controller) {
        snprintf(err, err_len, "the controller rejected its configuration "
                 "(see the log line before)");
        return -EINVAL;
    }
    daemon->dfm.controller = daemon->controller;
    daemon->provider.controller = daemon->controller;
    live_nginx_attach(daemon->nginx, daemon->controller);
    lb_controller_start(daemon->controller);
    live_dfm_ready_replay_known(&daemon->dfm);
    return 0;
}

static bool lbd_idle(const lbd *daemon)
{
    return !live_nginx_busy(daemon->nginx) && daemon->provider.running == 0 &&
           live_loop_curl_running(daemon->loop) == 0 &&
           live_proc_running() == 0;
}

/* Stops taking notifications, then lets nginx reloads, provider commands
 * and DFM requests in flight finish, for at most LBD_DRAIN_US. */
static void lbd_drain(lbd *daemon)
{
    live_api_server_stop(daemon->api);
    daemon->api = NULL;
    int64_t deadline_us = live_loop_now_us(daemon->loop) + LBD_DRAIN_US;
    while (!lbd_idle(daemon) && live_loop_now_us(daemon->loop) < deadline_us) {
        live_loop_run_once(daemon->loop, 100000);
    }
    if (!lbd_idle(daemon)) {
        live_log(LB_LOG_WARN, "stop_incomplete", "reason=requests_in_flight "
                 "commands=%d", live_proc_running());
    }
    /* No command outlives lbd: a routes check cut short puts the last
     * good file back instead of leaving an unchecked table in place. */
    live_nginx_stop(daemon->nginx);
    live_proc_cancel_all();
}

static void lbd_destroy(lbd *daemon)
{
    if (daemon->api) {
        live_api_server_stop(daemon->api);
    }
    if (daemon->controller) {
        lb_controller_destroy(daemon->controller);
    }
    live_nginx_destroy(daemon->nginx);
    live_registry_deinit(&daemon->registry);
    if (daemon->loop) {
        live_loop_destroy(daemon->loop);
    }
    for (int i = 0; i < 2; i++) {
        if (daemon->signal_pipe[i] > 0) {
            close(daemon->signal_pipe[i]);
        }
    }
    lbd_config_free(&daemon->config);
}

/* Writes the routes file for an empty table unless one exists, so nginx
 * can start before lbd's first table. */
static int lbd_init_routes(const lbd_config *config, char *err, size_t err_len)
{
    const lb_routes empty = {.default_instance = LB_ROUTE_NO_DEFAULT};
    char *text = NULL;

    if (access(config->nginx.routes_file, F_OK) == 0) {
        live_log(LB_LOG_INFO, "routes_file_kept", "file=%s",
                 config->nginx.routes_file);
        return 0;
    }
    int rc = live_nginx_render(&config->nginx.render, &empty, &text, err,
                               err_len);
    if (rc != 0) {
        return rc;
    }
    FILE *file = fopen(config->nginx.routes_file, "w");
    if (file) {
        rc = fputs(text, file) < 0 ? -EIO : 0;
        rc = fclose(file) != 0 ? -EIO : rc;
    }
    free(text);
    if (!file || rc != 0) {
        snprintf(err, err_len, "%s: cannot write: %s",
                 config->nginx.routes_file, strerror(errno));
        return -EIO;
    }
    live_log(LB_LOG_INFO, "routes_file_written", "file=%s",
             config->nginx.routes_file);
    return 0;
}

static void lbd_usage(FILE *out)
{
    fprintf(out, "usage: lbd -c CONFIG_FILE [--check | --init-routes]\n"
            "  --check        check the config file and exit\n"
            "  --init-routes  write an empty routes file if none exists, "
            "and exit\n"
            "  --help         print this help and exit\n");
}

static int lbd_run(lbd *daemon, char *err, size_t err_len)
{
    lbd_state state;

    int rc = lbd_adapters_create(daemon, err, err_len);
    if (rc == 0) {
        rc = lbd_signals_install(daemon);
    }
    if (rc == 0) {
        rc = lbd_api_start(daemon, err, err_len);
    }
    if (rc != 0) {
        return rc;
    }
    rc = lbd_state_restore(daemon, &state, err, err_len);
    if (rc == -ECANCELED && live_loop_stopping(daemon->loop)) {
        return 0;
    }
    if (rc != 0) {
        return rc;
    }
    rc = lbd_controller_start(daemon, &state, err, err_len);
    lbd_state_free(&state);
    if (rc != 0) {
        return rc;
    }

    live_log(LB_LOG_INFO, "started", "pid=%ld", (long)getpid());
    rc = live_loop_run(daemon->loop);
    lbd_drain(daemon);
    if (rc != 0) {
        snprintf(err, err_len, "event loop failed");
    }
    return rc;
}

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    bool check_only = false;
    bool init_routes = false;
    char err[1024] = "";
    char quoted[1100];
    lbd daemon;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--check") == 0) {
            check_only = true;
        } else if (strcmp(argv[i], "--init-routes") == 0) {
            init_routes = true;
        } else if (strcmp(argv[i], "--help") == 0 ||
                   strcmp(argv[i], "-h") == 0) {
            lbd_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "lbd: unknown or incomplete option \"%s\"\n",
                    argv[i]);
            lbd_usage(stderr);
            return 2;
        }
    }
    if (check_only && init_routes) {
        fprintf(stderr, "lbd: --check and --init-routes exclude each other; "
                "give one of them\n");
        return 2;
    }
    if (!config_path) {
        lbd_usage(stderr);
        return 2;
    }

    memset(&daemon, 0, sizeof(daemon));
    daemon.signal_pipe[0] = daemon.signal_pipe[1] = -1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = lbd_config_load(&daemon.config, config_path, err, sizeof(err));
    if (rc == 0) {
        live_log_set_level(daemon.config.log_level);
        if (check_only) {
            live_log(LB_LOG_INFO, "config_valid", "file=%s", config_path);
        } else if (init_routes) {
            rc = lbd_init_routes(&daemon.config, err, sizeof(err));
        } else {
            rc = lbd_run(&daemon, err, sizeof(err));
        }
    }
    if (rc != 0) {
        live_log(LB_LOG_ERROR, "failed", "error=%s",
                 live_log_quote(quoted, sizeof(quoted), err));
    } else if (!check_only && !init_routes) {
        live_log(LB_LOG_INFO, "stopped", "%s", "");
    }
    lbd_destroy(&daemon);
    curl_global_cleanup();
    return rc == 0 ? 0 : 1;
}
