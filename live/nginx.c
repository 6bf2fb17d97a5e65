/* The NGINX port of lbd; see nginx.h. */
#include "nginx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_client.h"
#include "log.h"
#include "nginx_workers.h"
#include "proc.h"

/* Consecutive replies with the new version that count as a finished
 * reload, because one reply only shows that some new worker runs. */
#define LIVE_CONFIRM_HITS 3
#define LIVE_CONFIRM_RETRY_US 20000

typedef enum live_notice_kind {
    LIVE_NOTICE_APPLIED,
    LIVE_NOTICE_REJECTED,
    LIVE_NOTICE_STATS,
    LIVE_NOTICE_DROPPING,
} live_notice_kind;

/* A reply waiting for the event loop to hand it to the controller. */
typedef struct live_notice {
    live_notice_kind kind;
    uint64_t version;
    char text[512]; /* reason, or instance for dropping */
    uint64_t errors;
    int64_t window_us;
    lb_stats stats;
} live_notice;

typedef enum live_apply_state {
    LIVE_APPLY_IDLE,
    LIVE_APPLY_TESTING,
    LIVE_APPLY_RELOADING,
    LIVE_APPLY_CONFIRMING,
} live_apply_state;

typedef struct live_apply {
    uint64_t version;
    char *text;
} live_apply;

struct live_nginx {
    live_loop *loop;
    const live_nginx_config *config;
    lb_controller *controller;

    live_nginx_log log;
    int64_t stats_since_us;
    uint64_t log_timer;

    live_apply_state state;
    live_apply current;
    live_apply waiting; /* text is NULL when none waits */
    bool had_previous;  /* the routes file existed before this apply */
    bool stopping;      /* set by live_nginx_stop: no new apply starts */
    char path_tmp[4096];
    char path_last_good[4096];
    char status_url[300];
    int64_t confirm_deadline_us;
    int confirm_hits;
    uint64_t confirm_timer;
    pid_t master_pid; /* -1 when the old workers are not tracked */
    pid_t old_workers[LIVE_NGINX_WORKERS_MAX];
    size_t old_worker_count;

    live_notice *notices;
    size_t notice_count;
    uint64_t notice_timer;
};

static void live_notices_deliver(void *ctx);

static live_notice *live_notice_push(live_nginx *nginx, live_notice_kind kind)
{
    live_notice *grown = realloc(nginx->notices, (nginx->notice_count + 1) *
                                 sizeof(*grown));
    if (!grown) {
        live_log(LB_LOG_ERROR, "nginx_notice_lost", "error=out_of_memory");
        return NULL;
    }
    nginx->notices = grown;
    live_notice *notice = &nginx->notices[nginx->notice_count++];
    memset(notice, 0, sizeof(*notice));
    notice->kind = kind;
    if (!nginx->notice_timer) {
        nginx->notice_timer = live_loop_timer_start(
            nginx->loop, live_loop_now_us(nginx->loop), live_notices_deliver,
            nginx);
    }
    return notice;
}

static void live_notice_deliver(live_nginx *nginx, live_notice *notice)
{
    switch (notice->kind) {
    case LIVE_NOTICE_APPLIED:
        lb_on_routes_applied(nginx->controller, notice->version);
        break;
    case LIVE_NOTICE_REJECTED:
        lb_on_routes_rejected(nginx->controller, notice->version,
                              notice->text);
        break;
    case LIVE_NOTICE_STATS:
        lb_on_stats_reply(nginx->controller, &notice->stats);
        live_nginx_log_stats_free(&notice->stats);
        break;
    case LIVE_NOTICE_DROPPING:
        lb_on_instance_dropping(nginx->controller, notice->text,
                                notice->errors, notice->window_us);
        break;
    }
}

/* Hands queued replies to the controller. Replies its calls cause go to
 * a fresh queue and wait for the next round of the loop. */
static void live_notices_deliver(void *ctx)
{
    live_nginx *nginx = ctx;
    live_notice *notices = nginx->notices;
    size_t count = nginx->notice_count;

    nginx->notice_timer = 0;
    nginx->notices = NULL;
    nginx->notice_count = 0;
    for (size_t i = 0; i < count; i++) {
        live_notice_deliver(nginx, &notices[i]);
    }
    free(notices);
}

/* Queues routes_rejected. The controller logs it as a warning when it
 * gets it, so this adapter logs it at debug level only. */
static void live_reject(live_nginx *nginx, uint64_t version, const char *reason)
{
    char quoted[600];

    live_log(LB_LOG_DEBUG, "routes_rejected", "version=%llu reason=%s",
             (unsigned long long)version,
             live_log_quote(quoted, sizeof(quoted), reason));
    live_notice *notice = live_notice_push(nginx, LIVE_NOTICE_REJECTED);
    if (notice) {
        notice->version = version;
        /* nginx's output is outside text, passed on as one plain line. */
        live_text_clean(notice->text, sizeof(notice->text), reason);
    }
}

static int live_write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -errno;
    }
    size_t len = strlen(text);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int rc = -errno;
            close(fd);
            return rc;
        }
        done += (size_t)n;
    }
    int rc = fsync(fd) == 0 ? 0 : -errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -errno;
    }
    return rc;
}

/* Puts the new file in place. The old one stays reachable as last-good
 * through a hard link, and the rename replaces the path in one step, so
 * the routes file exists at every moment. On failure reason names the
 * step that failed and the error. */
static int live_swap_in(live_nginx *nginx, const char *text, char *reason,
                        size_t reason_len)
{
    const char *path = nginx->config->routes_file;
    int rc = live_write_file(nginx->path_tmp, text);
    if (rc != 0) {
        snprintf(reason, reason_len, "cannot write %.200s: %s", nginx->path_tmp,
                 strerror(-rc));
        return rc;
    }
    unlink(nginx->path_last_good);
    nginx->had_previous = link(path, nginx->path_last_good) == 0;
    if (!nginx->had_previous && errno != ENOENT) {
        rc = -errno;
        snprintf(reason, reason_len, "cannot link %.200s to %.200s: %s", path,
                 nginx->path_last_good, strerror(-rc));
        unlink(nginx->path_tmp);
        return rc;
    }
    if (rename(nginx->path_tmp, path) != 0) {
        rc = -errno;
        snprintf(reason, reason_len, "cannot rename %.200s to %.200s: %s",
                 nginx->path_tmp, path, strerror(-rc));
        unlink(nginx->path_tmp);
        return rc;
    }
    return 0;
}

static void live_restore(live_nginx *nginx)
{
    const char *path = nginx->config->routes_file;
    int rc = nginx->had_previous ? rename(nginx->path_last_good, path) :
                                   unlink(path);
    if (rc != 0) {
        live_log(LB_LOG_ERROR, "routes_restore_failed", "file=%s error=%s",
                 path, strerror(errno));
    }
}

/* Picks the line of nginx's output that describes the failure. */
static void live_command_reason(const live_proc_result *result, char *out,
                                size_t out_len)
{
    const char *text = result->err_len ? result->err : result->out;
    const char *line = strstr(text, "[emerg]");
    if (!line) {
        line = text;
    }
    size_t len = strcspn(line, "\n");
    if (result->result == -ETIMEDOUT) {
        snprintf(out, out_len, "command timed out");
    } else if (result->result == -ECANCELED) {
        snprintf(out, out_len, "command killed because lbd stops");
    } else if (len == 0) {
        snprintf(out, out_len, "command exited with status %d",
                 result->exit_status);
    } else {
        snprintf(out, out_len, "%.*s", (int)len, line);
    }
}

static void live_apply_next(live_nginx *nginx);

static void live_apply_finish(live_nginx *nginx, bool applied,
                              const char *reason)
{
    if (applied) {
        live_log(LB_LOG_INFO, "routes_applied", "version=%llu",
                 (unsigned long long)nginx->current.version);
        live_notice *notice = live_notice_push(nginx, LIVE_NOTICE_APPLIED);
        if (notice) {
            notice->version = nginx->current.version;
        }
    } else {
        live_reject(nginx, nginx->current.version, reason);
    }
    free(nginx->current.text);
    nginx->current.text = NULL;
    nginx->state = LIVE_APPLY_IDLE;
    live_apply_next(nginx);
}

static void live_confirm_poll(void *ctx);

static void live_confirm_reply_cb(void *ctx, const live_http_reply *reply)
{
    live_nginx *nginx = ctx;
    unsigned long long seen = 0;

    if (reply->result == 0 && reply->status == 200 &&
        sscanf(reply->body, "%llu", &seen) == 1 &&
        seen == nginx->current.version) {
        nginx->confirm_hits++;
    } else {
        nginx->confirm_hits = 0;
    }
    if (nginx->confirm_hits >= LIVE_CONFIRM_HITS &&
        (nginx->master_pid < 0 ||
         live_nginx_workers_gone(nginx->master_pid, nginx->old_workers,
                                 nginx->old_worker_count))) {
        live_apply_finish(nginx, true, NULL);
        return;
    }
    if (live_loop_now_us(nginx->loop) >= nginx->confirm_deadline_us) {
        /* The file stays: nginx may still load it, and it passed nginx -t. */
        live_apply_finish(nginx, false, "reload not confirmed: the version "
                          "server did not answer with the new version");
        return;
    }
    nginx->confirm_timer = live_loop_timer_start(
        nginx->loop, live_loop_now_us(nginx->loop) + LIVE_CONFIRM_RETRY_US,
        live_confirm_poll, nginx);
}

static void live_confirm_poll(void *ctx)
{
    live_nginx *nginx = ctx;

    nginx->confirm_timer = 0;
    int rc = live_http_request(nginx->loop, "GET", nginx->status_url, NULL,
                               NULL, 1000, live_confirm_reply_cb, nginx);
    if (rc != 0) {
        live_apply_finish(nginx, false, "cannot query the version server");
    }
}

static void live_reload_done_cb(void *ctx, const live_proc_result *result)
{
    live_nginx *nginx = ctx;
    char reason[512];

    if (result->result != 0 || result->exit_status != 0) {
        live_command_reason(result, reason, sizeof(reason));
        live_restore(nginx);
        live_apply_finish(nginx, false, reason);
        return;
    }
    if (!nginx->status_url[0]) {
        live_apply_finish(nginx, true, NULL);
        return;
    }
    nginx->state = LIVE_APPLY_CONFIRMING;
    nginx->confirm_hits = 0;
    nginx->confirm_deadline_us = live_loop_now_us(nginx->loop) +
                                 nginx->config->confirm_timeout_us;
    live_confirm_poll(nginx);
}

/* Notes which workers serve the table being replaced. */
static void live_workers_remember(live_nginx *nginx)
{
    nginx->master_pid = live_nginx_master_pid(nginx->config->pid_file);
    nginx->old_worker_count = 0;
    if (nginx->master_pid < 0) {
        return;
    }
    int count = live_nginx_workers_accepting(nginx->master_pid,
                                             nginx->old_workers,
                                             LIVE_NGINX_WORKERS_MAX);
    if (count < 0) {
        nginx->master_pid = -1;
        return;
    }
    nginx->old_worker_count = (size_t)count;
}

static void live_test_done_cb(void *ctx, const live_proc_result *result)
{
    live_nginx *nginx = ctx;
    char reason[512];

    if (result->result != 0 || result->exit_status != 0) {
        live_command_reason(result, reason, sizeof(reason));
        live_restore(nginx);
        live_apply_finish(nginx, false, reason);
        return;
    }
    nginx->state = LIVE_APPLY_RELOADING;
    live_workers_remember(nginx);
    int rc = live_proc_run(nginx->loop, nginx->config->reload_argv,
                           nginx->config->command_timeout_us,
                           live_reload_done_cb, nginx);
    if (rc != 0) {
        live_restore(nginx);
        live_apply_finish(nginx, false, "cannot run the reload command");
    }
}

static void live_apply_start(live_nginx *nginx)
{
    char reason[512];

    nginx->state = LIVE_APPLY_TESTING;
    int rc = live_swap_in(nginx, nginx->current.text, reason, sizeof(reason));
    if (rc != 0) {
        live_apply_finish(nginx, false, reason);
        return;
    }
    rc = live_proc_run(nginx->loop, nginx->config->test_argv,
                       nginx->config->command_timeout_us, live_test_done_cb,
                       nginx);
    if (rc != 0) {
        live_restore(nginx);
        live_apply_finish(nginx, false, "cannot run the test command");
    }
}

static void live_apply_next(live_nginx *nginx)
{
    if (nginx->stopping || nginx->state != LIVE_APPLY_IDLE ||
        !nginx->waiting.text) {
        return;
    }
    nginx->current = nginx->waiting;
    nginx->waiting.text = NULL;
    live_apply_start(nginx);
}

int live_nginx_routes_apply(void *ctx, const lb_routes *routes)
{
    live_nginx *nginx = ctx;
    char err[512];
    char *text = NULL;
    char reason[128];

    int rc = live_nginx_render(&nginx->config->render, routes, &text, err,
                               sizeof(err));
    if (rc != 0) {
        live_reject(nginx, routes->version, err);
        return 0; /* sent; the reply is routes_rejected */
    }
    if (nginx->waiting.text) {
        snprintf(reason, sizeof(reason), "superseded by version %llu",
                 (unsigned long long)routes->version);
        live_reject(nginx, nginx->waiting.version, reason);
        free(nginx->waiting.text);
    }
    nginx->waiting.version = routes->version;
    nginx->waiting.text = text;
    live_log(LB_LOG_DEBUG, "routes_queued", "version=%llu",
             (unsigned long long)routes->version);
    live_apply_next(nginx);
    return 0;
}

void live_nginx_stop(live_nginx *nginx)
{
    nginx->stopping = true;
    live_loop_timer_stop(nginx->loop, nginx->confirm_timer);
    nginx->confirm_timer = 0;
}

bool live_nginx_busy(const live_nginx *nginx)
{
    return nginx->state != LIVE_APPLY_IDLE || nginx->waiting.text;
}

static void live_dropping_found_cb(void *ctx, const char *instance,
                                   uint64_t errors, int64_t window_us)
{
    live_nginx *nginx = ctx;

    live_log(LB_LOG_WARN, "instance_dropping", "instance=%s errors=%llu "
             "window_us=%lld", instance, (unsigned long long)errors,
             (long long)window_us);
    live_notice *notice = live_notice_push(nginx, LIVE_NOTICE_DROPPING);
    if (notice) {
        snprintf(notice->text, sizeof(notice->text), "%s", instance);
        notice->errors = errors;
        notice->window_us = window_us;
    }
}

static void live_log_poll(live_nginx *nginx)
{
    int rc = live_nginx_log_poll(&nginx->log, live_loop_now_us(nginx->loop));
    if (rc != 0) {
        live_log(LB_LOG_WARN, "access_log_unreadable", "file=%s error=%s",
                 nginx->config->access_log, strerror(-rc));
    }
}

static void live_log_timer_cb(void *ctx)
{
    live_nginx *nginx = ctx;

    live_log_poll(nginx);
    nginx->log_timer = live_loop_timer_start(
        nginx->loop, live_loop_now_us(nginx->loop) + nginx->config->log_poll_us,
        live_log_timer_cb, nginx);
}

void live_nginx_component_down(live_nginx *nginx, const char *instance,
                               const char *component)
{
    live_nginx_log_component_state(&nginx->log, instance, component,
                                   INT64_MAX);
}

void live_nginx_component_up(live_nginx *nginx, const char *instance,
                             const char *component)
{
    live_nginx_log_component_state(&nginx->log, instance, component,
                                   live_loop_now_us(nginx->loop) +
                                   nginx->config->dropping_window_us);
}

int live_nginx_stats_request(void *ctx, lb_request_id id)
{
    live_nginx *nginx = ctx;
    int64_t now_us = live_loop_now_us(nginx->loop);

    live_log_poll(nginx);
    live_notice *notice = live_notice_push(nginx, LIVE_NOTICE_STATS);
    if (!notice) {
        return -ENOMEM;
    }
    live_nginx_log_take(&nginx->log, &notice->stats);
    notice->stats.request_id = id;
    notice->stats.interval_us = now_us - nginx->stats_since_us;
    nginx->stats_since_us = now_us;
    live_log(LB_LOG_INFO, "stats_reply", "request_id=%llu rows=%zu",
             (unsigned long long)id, notice->stats.row_count);
    return 0;
}

live_nginx *live_nginx_create(live_loop *loop, const live_nginx_config *config)
{
    live_nginx *nginx = calloc(1, sizeof(*nginx));
    if (!nginx) {
        return NULL;
    }
    nginx->loop = loop;
    nginx->config = config;
    snprintf(nginx->path_tmp, sizeof(nginx->path_tmp), "%s.tmp",
             config->routes_file);
    snprintf(nginx->path_last_good, sizeof(nginx->path_last_good),
             "%s.last-good", config->routes_file);
    if (config->render.status_listen) {
        snprintf(nginx->status_url, sizeof(nginx->status_url),
                 "http://%s/lbsim/version", config->render.status_listen);
    }
    if (live_nginx_log_init(&nginx->log, config->access_log,
                            config->render.components,
                            config->render.component_count) != 0) {
        free(nginx);
        return NULL;
    }
    live_nginx_log_dropping(&nginx->log, config->dropping_errors,
                            config->dropping_window_us, live_dropping_found_cb,
                            nginx);
    nginx->stats_since_us = live_loop_now_us(loop);
    return nginx;
}

void live_nginx_attach(live_nginx *nginx, lb_controller *controller)
{
    nginx->controller = controller;
    live_log_poll(nginx);
    nginx->log_timer = live_loop_timer_start(
        nginx->loop, live_loop_now_us(nginx->loop) + nginx->config->log_poll_us,
        live_log_timer_cb, nginx);
}

void live_nginx_destroy(live_nginx *nginx)
{
    if (!nginx) {
        return;
    }
    live_loop_timer_stop(nginx->loop, nginx->log_timer);
    live_loop_timer_stop(nginx->loop, nginx->confirm_timer);
    live_loop_timer_stop(nginx->loop, nginx->notice_timer);
    for (size_t i = 0; i < nginx->notice_count; i++) {
        if (nginx->notices[i].kind == LIVE_NOTICE_STATS) {
            live_nginx_log_stats_free(&nginx->notices[i].stats);
        }
    }
    free(nginx->notices);
    free(nginx->current.text);
    free(nginx->waiting.text);
    live_nginx_log_deinit(&nginx->log);
    free(nginx);
}
