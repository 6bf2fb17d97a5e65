/* lbd-standin's main: its DFM API, its control API for tests, and its
 * notifications to lbd; see standin.h.
 *
 *   lbd-standin --id ID --lbd-url URL --token-file FILE
 *               --component NAME:OFFSET ... [--running NAME,...]
 *               [--port PORT] [--address-file FILE]
 *               [--overload-permille N] [--low-permille N]
 *               [--window-ms N] [--report-ms N] [--cpu-permille N]
 *
 * Without --port it picks a free port whose component ports are free too.
 * Once listening it writes "127.0.0.1:PORT" to the address file, then
 * sends dfm_ready to lbd until lbd accepts it. */
#include "standin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_client.h"
#include "id.h"
#include "json_field.h"
#include "log.h"

#define STANDIN_NOTIFY_TRIES 5
#define STANDIN_READY_TRIES 120
#define STANDIN_RETRY_US 500000

typedef struct standin_notice {
    standin *self;
    char path[64];
    char *body;
    int tries_left;
} standin_notice;

static int standin_signal_pipe[2] = {-1, -1};

static void standin_notice_send(void *ctx);

static void standin_notice_reply_cb(void *ctx, const live_http_reply *reply)
{
    standin_notice *notice = ctx;

    if (reply->result == 0 && reply->status >= 200 && reply->status < 300) {
        if (strcmp(notice->path, "/v1/dfm/ready") == 0) {
            notice->self->ready_sent = true;
        }
        free(notice->body);
        free(notice);
        return;
    }
    live_log(LB_LOG_WARN, "notify_failed", "instance=%s path=%s status=%ld "
             "tries_left=%d", notice->self->id, notice->path, reply->status,
             notice->tries_left);
    if (notice->tries_left <= 0) {
        free(notice->body);
        free(notice);
        return;
    }
    live_loop_timer_start(notice->self->loop,
                          live_loop_now_us(notice->self->loop) +
                          STANDIN_RETRY_US, standin_notice_send, notice);
}

static void standin_notice_send(void *ctx)
{
    standin_notice *notice = ctx;
    char url[384];

    notice->tries_left--;
    snprintf(url, sizeof(url), "%s%s", notice->self->lbd_url, notice->path);
    if (live_http_request(notice->self->loop, "POST", url, notice->self->token,
                          notice->body, 2000, standin_notice_reply_cb,
                          notice) != 0) {
        free(notice->body);
        free(notice);
    }
}

void standin_notify(standin *self, const char *path, json_t *body)
{
    standin_notice *notice = calloc(1, sizeof(*notice));

    json_object_set_new(body, "instance", json_string(self->id));
    if (notice) {
        notice->self = self;
        snprintf(notice->path, sizeof(notice->path), "%s", path);
        notice->body = json_dumps(body, JSON_COMPACT);
        notice->tries_left = strcmp(path, "/v1/dfm/ready") == 0 ?
                             STANDIN_READY_TRIES : STANDIN_NOTIFY_TRIES;
    }
    json_decref(body);
    if (!notice || !notice->body) {
        free(notice);
        return;
    }
    live_log(LB_LOG_INFO, "notify", "instance=%s path=%s", self->id, path);
    standin_notice_send(notice);
}

static int standin_component_find(const standin *self, const char *name)
{
    for (size_t c = 0; c < self->component_count; c++) {
        if (strcmp(self->components[c].name, name) == 0) {
            return (int)c;
        }
    }
    return -1;
}

/* Reads "components": [names] into a mask of component indexes. */
static int standin_components_parse(const standin *self, const json_t *body,
                                    uint32_t *mask, char *err, size_t err_len)
{
    const json_t *list = json_object_get(body, "components");
    size_t index;
    const json_t *item;

    *mask = 0;
    if (!json_is_array(list)) {
        snprintf(err, err_len, "field \"components\": expected an array");
        return -EINVAL;
    }
    json_array_foreach(list, index, item) {
        int c = json_is_string(item) ?
                standin_component_find(self, json_string_value(item)) : -1;
        if (c < 0) {
            snprintf(err, err_len, "field \"components[%zu]\": unknown "
                     "component", index);
            return -EINVAL;
        }
        *mask |= 1u << c;
    }
    return 0;
}

static int standin_own_request(const standin *self, const json_t *body,
                               uint64_t *request_id, char *err, size_t err_len)
{
    const char *instance = NULL;

    if (live_json_uint(body, "request_id", false, 0, INT64_MAX, request_id,
                       err, err_len) != 0 ||
        live_json_id(body, "instance", &instance, err, err_len) != 0) {
        return -EINVAL;
    }
    if (strcmp(instance, self->id) != 0) {
        snprintf(err, err_len, "field \"instance\": this is instance %s",
                 self->id);
        return -EINVAL;
    }
    return 0;
}

static void standin_tenants_add(standin *self, const json_t *tenants)
{
    size_t index;
    const json_t *item;

    json_array_foreach(tenants, index, item) {
        const char *tenant = json_string_value(item);
        bool known = false;
        for (size_t t = 0; t < self->tenant_count; t++) {
            known = known || strcmp(self->tenants[t], tenant) == 0;
        }
        if (!known && self->tenant_count < STANDIN_TENANTS_MAX) {
            snprintf(self->tenants[self->tenant_count++], LB_ID_LEN_MAX + 1,
                     "%s", tenant);
        }
    }
}

static unsigned standin_start_handler(void *ctx, const json_t *body,
                                      json_t **reply, char *err,
                                      size_t err_len)
{
    standin *self = ctx;
    uint64_t request_id = 0;
    uint32_t mask = 0;
    const json_t *tenants = NULL;
    (void)reply;

    if (standin_own_request(self, body, &request_id, err, err_len) != 0 ||
        standin_components_parse(self, body, &mask, err, err_len) != 0 ||
        live_json_id_array(body, "tenants", STANDIN_TENANTS_MAX, &tenants,
                           err, err_len) != 0) {
        return 400;
    }
    standin_tenants_add(self, tenants);
    for (size_t c = 0; c < self->component_count; c++) {
        if ((mask & (1u << c)) && standin_component_start(self, c) != 0) {
            standin_notify(self, "/v1/dfm/components_start_failed",
                           json_pack("{s:I,s:s}", "request_id",
                                     (json_int_t)request_id, "reason",
                                     "component port in use"));
            return 202;
        }
    }
    standin_notify(self, "/v1/dfm/components_started",
                   json_pack("{s:I}", "request_id", (json_int_t)request_id));
    return 202;
}

/* Reports the stop once the last of its components has stopped. */
typedef struct standin_stop_batch {
    uint32_t left;
    uint64_t killed;
} standin_stop_batch;

static standin_stop_batch standin_batches[64];

static void standin_stopped(standin *self, size_t index, uint64_t killed,
                            uint64_t request_id)
{
    standin_stop_batch *batch = &standin_batches[request_id % 64];
    (void)index;

    batch->killed += killed;
    if (--batch->left == 0) {
        standin_notify(self, "/v1/dfm/components_stopped",
                       json_pack("{s:I,s:I}", "request_id",
                                 (json_int_t)request_id, "requests_killed",
                                 (json_int_t)batch->killed));
    }
}

static unsigned standin_stop_handler(void *ctx, const json_t *body,
                                     json_t **reply, char *err, size_t err_len)
{
    standin *self = ctx;
    uint64_t request_id = 0;
    uint64_t deadline_ms = 0;
    uint32_t mask = 0;
    (void)reply;

    if (standin_own_request(self, body, &request_id, err, err_len) != 0 ||
        standin_components_parse(self, body, &mask, err, err_len) != 0 ||
        live_json_uint(body, "deadline_ms", false, 0, 3600000, &deadline_ms,
                       err, err_len) != 0) {
        return 400;
    }
    standin_stop_batch *batch = &standin_batches[request_id % 64];
    batch->left = 1; /* held until every stop below has started */
    batch->killed = 0;
    int64_t deadline_us = live_loop_now_us(self->loop) +
                          (int64_t)deadline_ms * 1000;
    for (size_t c = 0; c < self->component_count; c++) {
        if (mask & (1u << c)) {
            batch->left++;
            standin_component_stop(self, c, deadline_us, request_id,
                                   standin_stopped);
        }
    }
    standin_stopped(self, 0, 0, request_id);
    return 202;
}

static unsigned standin_load_handler(void *ctx, const json_t *body,
                                     json_t **reply, char *err, size_t err_len)
{
    standin *self = ctx;
    uint64_t cpu = 0;
    (void)reply;

    if (live_json_uint(body, "cpu_permille", false, 0, 1000, &cpu, err,
                       err_len) != 0) {
        return 400;
    }
    self->cpu_permille = (uint32_t)cpu;
    self->above_since_us = -1;
    self->below_since_us = -1;
    live_log(LB_LOG_INFO, "load_set", "instance=%s cpu_permille=%u", self->id,
             self->cpu_permille);
    return 200;
}

typedef struct standin_revive {
    standin *self;
    size_t index;
} standin_revive;

static void standin_revive_cb(void *ctx)
{
    standin_revive *revive = ctx;
    standin *self = revive->self;
    standin_component *component = &self->components[revive->index];

    if (standin_component_start(self, revive->index) == 0) {
        standin_notify(self, "/v1/dfm/component_up",
                       json_pack("{s:s}", "component", component->name));
    }
    free(revive);
}

static unsigned standin_crash_handler(void *ctx, const json_t *body,
                                      json_t **reply, char *err,
                                      size_t err_len)
{
    standin *self = ctx;
    const char *name = NULL;
    uint64_t down_ms = 0;
    (void)reply;

    if (live_json_string(body, "component", false, NULL, 15, &name, err,
                         err_len) != 0 ||
        live_json_uint(body, "down_ms", false, 0, 3600000, &down_ms, err,
                       err_len) != 0) {
        return 400;
    }
    int c = standin_component_find(self, name);
    if (c < 0 || !self->components[c].daemon) {
        snprintf(err, err_len, "field \"component\": not running here");
        return 409;
    }
    standin_revive *revive = calloc(1, sizeof(*revive));
    if (!revive) {
        snprintf(err, err_len, "out of memory");
        return 500;
    }
    standin_component_kill(self, (size_t)c);
    live_log(LB_LOG_INFO, "component_crashed", "instance=%s component=%s "
             "down_ms=%llu", self->id, name, (unsigned long long)down_ms);
    standin_notify(self, "/v1/dfm/component_down",
                   json_pack("{s:s}", "component", name));
    *revive = (standin_revive){self, (size_t)c};
    live_loop_timer_start(self->loop, live_loop_now_us(self->loop) +
                          (int64_t)down_ms * 1000, standin_revive_cb, revive);
    return 200;
}

static unsigned standin_status_handler(void *ctx, const json_t *body,
                                       json_t **reply, char *err,
                                       size_t err_len)
{
    standin *self = ctx;
    json_t *components = json_object();
    json_t *tenants = json_array();
    (void)body;
    (void)err;
    (void)err_len;

    for (size_t c = 0; c < self->component_count; c++) {
        const standin_component *component = &self->components[c];
        json_object_set_new(components, component->name, json_pack(
            "{s:b,s:I}", "running", component->daemon && !component->stopping,
            "requests", (json_int_t)component->requests));
    }
    for (size_t t = 0; t < self->tenant_count; t++) {
        json_array_append_new(tenants, json_string(self->tenants[t]));
    }
    *reply = json_pack("{s:s,s:i,s:o,s:o,s:b}", "instance", self->id,
                       "cpu_permille", (int)self->cpu_permille, "components",
                       components, "tenants", tenants, "ready",
                       self->ready_sent);
    return 200;
}

/* The load the DFM reports: all of it on the first running component. */
static json_t *standin_load_body(const standin *self)
{
    json_t *processes = json_array();

    for (size_t c = 0; c < self->component_count; c++) {
        if (self->components[c].daemon) {
            json_array_append_new(processes, json_pack(
                "{s:s,s:i}", "component", self->components[c].name,
                "cpu_permille", (int)self->cpu_permille));
            break;
        }
    }
    return json_pack("{s:i,s:I,s:o}", "cpu_permille", (int)self->cpu_permille,
                     "window_ms", (json_int_t)(self->window_us / 1000),
                     "processes", processes);
}

/* Sends overload or low_load once the condition has held for a window,
 * then again after each further window while it holds. */
static void standin_report_cb(void *ctx)
{
    standin *self = ctx;
    int64_t now_us = live_loop_now_us(self->loop);
    bool above = self->cpu_permille >= self->overload_permille;
    bool below = self->cpu_permille <= self->low_permille;

    self->above_since_us = above ? (self->above_since_us < 0 ? now_us :
                                    self->above_since_us) : -1;
    self->below_since_us = below ? (self->below_since_us < 0 ? now_us :
                                    self->below_since_us) : -1;
    if (above && now_us - self->above_since_us >= self->window_us) {
        standin_notify(self, "/v1/dfm/overload", standin_load_body(self));
        self->above_since_us = now_us;
    }
    if (below && now_us - self->below_since_us >= self->window_us) {
        standin_notify(self, "/v1/dfm/low_load", standin_load_body(self));
        self->below_since_us = now_us;
    }
    live_loop_timer_start(self->loop, now_us + self->report_us,
                          standin_report_cb, self);
}

static bool standin_port_free(unsigned port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;

    if (fd < 0 || port == 0 || port > 65535) {
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)port);
    bool free_now = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    close(fd);
    return free_now;
}

static const live_api_route *standin_routes(standin *self, size_t *count)
{
    static live_api_route routes[5];

    routes[0] = (live_api_route){"POST", "/v1/components/start",
                                 standin_start_handler, self};
    routes[1] = (live_api_route){"POST", "/v1/components/stop",
                                 standin_stop_handler, self};
    routes[2] = (live_api_route){"POST", "/v1/standin/load",
                                 standin_load_handler, self};
    routes[3] = (live_api_route){"POST", "/v1/standin/crash",
                                 standin_crash_handler, self};
    routes[4] = (live_api_route){"GET", "/v1/standin/status",
                                 standin_status_handler, self};
    *count = 5;
    return routes;
}

/* Listens on port, or on a free port whose component ports are free too
 * (bounded number of tries). Returns 0 or -EADDRINUSE. */
static int standin_listen(standin *self, unsigned port, char *err,
                          size_t err_len)
{
    char address[32];
    size_t count = 0;
    const live_api_route *routes = standin_routes(self, &count);

    for (int attempt = 0; attempt < 50; attempt++) {
        snprintf(address, sizeof(address), "127.0.0.1:%u", port);
        self->api = live_api_server_start(self->loop, address, self->token,
                                          routes, count, err, err_len);
        if (!self->api) {
            if (port != 0) {
                return -EADDRINUSE;
            }
            continue;
        }
        self->port = live_api_server_port(self->api);
        bool components_free = true;
        for (size_t c = 0; c < self->component_count; c++) {
            components_free = components_free &&
                standin_port_free(self->port + self->components[c].port_offset);
        }
        if (components_free || port != 0) {
            return 0;
        }
        live_api_server_stop(self->api);
        self->api = NULL;
    }
    snprintf(err, err_len, "no free port found");
    return -EADDRINUSE;
}

static int standin_address_write(const standin *self, const char *path)
{
    char tmp[4096];
    FILE *file;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    file = fopen(tmp, "w");
    if (!file) {
        return -errno;
    }
    fprintf(file, "127.0.0.1:%u\n", self->port);
    if (fclose(file) != 0 || rename(tmp, path) != 0) {
        return -errno;
    }
    return 0;
}

static char *standin_read_token(const char *path)
{
    char buf[512] = "";
    FILE *file = fopen(path, "r");

    if (!file) {
        return NULL;
    }
    if (!fgets(buf, sizeof(buf), file)) {
        buf[0] = '\0';
    }
    fclose(file);
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf[0] ? strdup(buf) : NULL;
}

static void standin_signal_handler(int signo)
{
    unsigned char byte = (unsigned char)signo;
    if (write(standin_signal_pipe[1], &byte, 1) < 0) {
        /* A stop is pending already. */
    }
}

static void standin_signal_cb(void *ctx, int fd, short revents)
{
    standin *self = ctx;
    unsigned char byte = 0;
    (void)revents;

    if (read(fd, &byte, 1) == 1) {
        live_loop_stop(self->loop);
    }
}

typedef struct standin_args {
    const char *token_file;
    const char *address_file;
    const char *running;
    unsigned port;
} standin_args;

static int standin_number(const char *text, unsigned long max,
                          unsigned long *value)
{
    char *end = NULL;
    errno = 0;
    *value = strtoul(text, &end, 10);
    return errno || end == text || *end || *value > max ? -EINVAL : 0;
}

static int standin_component_arg(standin *self, const char *text)
{
    const char *colon = strchr(text, ':');
    unsigned long offset = 0;

    if (!colon || self->component_count == LB_COMPONENTS_MAX ||
        (size_t)(colon - text) >= sizeof(self->components[0].name) ||
        standin_number(colon + 1, 1000, &offset) != 0 || offset == 0) {
        return -EINVAL;
    }
    standin_component *component = &self->components[self->component_count++];
    snprintf(component->name, sizeof(component->name), "%.*s",
             (int)(colon - text), text);
    component->port_offset = (unsigned)offset;
    return live_component_name_valid(component->name) ? 0 : -EINVAL;
}

/* Parses one "--name value" pair. Returns 0 or -EINVAL. */
static int standin_arg(standin *self, standin_args *args, const char *name,
                       const char *value)
{
    unsigned long number = 0;

    if (strcmp(name, "--id") == 0 && live_id_valid(value)) {
        snprintf(self->id, sizeof(self->id), "%s", value);
    } else if (strcmp(name, "--lbd-url") == 0 && strlen(value) < 200) {
        snprintf(self->lbd_url, sizeof(self->lbd_url), "%s", value);
    } else if (strcmp(name, "--token-file") == 0) {
        args->token_file = value;
    } else if (strcmp(name, "--address-file") == 0) {
        args->address_file = value;
    } else if (strcmp(name, "--running") == 0) {
        args->running = value;
    } else if (strcmp(name, "--component") == 0) {
        return standin_component_arg(self, value);
    } else if (standin_number(value, 65535, &number) != 0) {
        return -EINVAL;
    } else if (strcmp(name, "--port") == 0) {
        args->port = (unsigned)number;
    } else if (strcmp(name, "--overload-permille") == 0 && number <= 1000) {
        self->overload_permille = (uint32_t)number;
    } else if (strcmp(name, "--low-permille") == 0 && number <= 1000) {
        self->low_permille = (uint32_t)number;
    } else if (strcmp(name, "--cpu-permille") == 0 && number <= 1000) {
        self->cpu_permille = (uint32_t)number;
    } else if (strcmp(name, "--window-ms") == 0 && number > 0) {
        self->window_us = (int64_t)number * 1000;
    } else if (strcmp(name, "--report-ms") == 0 && number > 0) {
        self->report_us = (int64_t)number * 1000;
    } else {
        return -EINVAL;
    }
    return 0;
}

static int standin_start_running(standin *self, const char *running)
{
    char list[256];

    snprintf(list, sizeof(list), "%s", running ? running : "");
    for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
        int c = standin_component_find(self, name);
        if (c < 0 || standin_component_start(self, (size_t)c) != 0) {
            return -EINVAL;
        }
    }
    return 0;
}

static int standin_setup(standin *self, const standin_args *args)
{
    char err[256];
    char quoted[300];

    if (standin_listen(self, args->port, err, sizeof(err)) != 0) {
        live_log(LB_LOG_ERROR, "listen_failed", "instance=%s error=%s",
                 self->id, live_log_quote(quoted, sizeof(quoted), err));
        return -EADDRINUSE;
    }
    if (standin_start_running(self, args->running) != 0) {
        live_log(LB_LOG_ERROR, "component_start_failed", "instance=%s",
                 self->id);
        return -EADDRINUSE;
    }
    if (args->address_file &&
        standin_address_write(self, args->address_file) != 0) {
        live_log(LB_LOG_ERROR, "address_file_failed", "file=%s",
                 args->address_file);
        return -EIO;
    }
    if (pipe(standin_signal_pipe) != 0) {
        return -errno;
    }
    signal(SIGTERM, standin_signal_handler);
    signal(SIGINT, standin_signal_handler);
    signal(SIGPIPE, SIG_IGN);
    live_loop_fd_add(self->loop, standin_signal_pipe[0], POLLIN,
                     standin_signal_cb, self);
    live_log(LB_LOG_INFO, "standin_started", "instance=%s address=127.0.0.1:%u",
             self->id, self->port);
    standin_notify(self, "/v1/dfm/ready", json_object());
    live_loop_timer_start(self->loop, live_loop_now_us(self->loop) +
                          self->report_us, standin_report_cb, self);
    return 0;
}

int main(int argc, char **argv)
{
    static standin self;
    standin_args args = {0};

    self.overload_permille = 800;
    self.low_permille = 100;
    self.cpu_permille = 300;
    self.window_us = 1000000;
    self.report_us = 200000;
    self.above_since_us = self.below_since_us = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (standin_arg(&self, &args, argv[i], argv[i + 1]) != 0) {
            fprintf(stderr, "lbd-standin: invalid option %s %s\n", argv[i],
                    argv[i + 1]);
            return 2;
        }
    }
    if (argc % 2 == 0 || !self.id[0] || !self.lbd_url[0] || !args.token_file ||
        !self.component_count ||
        !(self.token = standin_read_token(args.token_file))) {
        fprintf(stderr, "usage: lbd-standin --id ID --lbd-url URL "
                "--token-file FILE --component NAME:OFFSET ... [options]\n");
        return 2;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    self.loop = live_loop_create();
    int rc = self.loop ? standin_setup(&self, &args) : -ENOMEM;
    if (rc == 0) {
        rc = live_loop_run(self.loop);
    }
    for (size_t c = 0; c < self.component_count; c++) {
        standin_component_kill(&self, c);
    }
    live_api_server_stop(self.api);
    live_log(LB_LOG_INFO, "standin_stopped", "instance=%s", self.id);
    live_loop_destroy(self.loop);
    free(self.token);
    curl_global_cleanup();
    return rc == 0 ? 0 : 1;
}
