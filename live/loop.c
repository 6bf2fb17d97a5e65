/* lbd's event loop: curl_multi_poll over libcurl's sockets, libmicrohttpd
 * epoll descriptors and extra descriptors, then due timers. */
#include "loop.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

typedef struct live_timer {
    uint64_t id;
    int64_t at_us;
    live_timer_cb cb;
    void *ctx;
} live_timer;

typedef struct live_watch {
    int fd;
    short events;
    uint64_t generation; /* tells a re-registered fd from the old one */
    live_fd_cb cb;
    void *ctx;
} live_watch;

struct live_loop {
    CURLM *multi;
    int curl_running;
    int64_t now_us;
    bool stopping;

    live_timer *timers;
    size_t timer_count;
    size_t timer_cap;
    uint64_t timer_next_id;

    live_watch *watches;
    size_t watch_count;
    size_t watch_cap;
    uint64_t watch_generation;

    struct MHD_Daemon **daemons;
    size_t daemon_count;
    size_t daemon_cap;
};

static int64_t live_clock_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Grows an array of elem_size items to hold one more. Returns 0 or -ENOMEM. */
static int live_grow(void **items, size_t count, size_t *cap, size_t elem_size)
{
    if (count < *cap) {
        return 0;
    }
    size_t cap_new = *cap ? *cap * 2 : 8;
    void *grown = realloc(*items, cap_new * elem_size);
    if (!grown) {
        return -ENOMEM;
    }
    *items = grown;
    *cap = cap_new;
    return 0;
}

live_loop *live_loop_create(void)
{
    live_loop *loop = calloc(1, sizeof(*loop));
    if (!loop) {
        return NULL;
    }
    loop->multi = curl_multi_init();
    if (!loop->multi) {
        free(loop);
        return NULL;
    }
    loop->now_us = live_clock_us();
    loop->timer_next_id = 1;
    return loop;
}

void live_loop_destroy(live_loop *loop)
{
    if (!loop) {
        return;
    }
    curl_multi_cleanup(loop->multi);
    free(loop->timers);
    free(loop->watches);
    free(loop->daemons);
    free(loop);
}

int64_t live_loop_now_us(const live_loop *loop)
{
    return loop->now_us;
}

uint64_t live_loop_timer_start(live_loop *loop, int64_t at_us,
                               live_timer_cb cb, void *ctx)
{
    assert(cb);
    if (live_grow((void **)&loop->timers, loop->timer_count, &loop->timer_cap,
                  sizeof(*loop->timers)) != 0) {
        return 0;
    }
    live_timer *timer = &loop->timers[loop->timer_count++];
    timer->id = loop->timer_next_id++;
    timer->at_us = at_us;
    timer->cb = cb;
    timer->ctx = ctx;
    return timer->id;
}

void live_loop_timer_stop(live_loop *loop, uint64_t timer_id)
{
    for (size_t i = 0; i < loop->timer_count; i++) {
        if (loop->timers[i].id == timer_id) {
            loop->timers[i] = loop->timers[--loop->timer_count];
            return;
        }
    }
}

int live_loop_fd_add(live_loop *loop, int fd, short events, live_fd_cb cb,
                     void *ctx)
{
    assert(fd >= 0 && cb);
    live_loop_fd_remove(loop, fd);
    if (live_grow((void **)&loop->watches, loop->watch_count,
                  &loop->watch_cap, sizeof(*loop->watches)) != 0) {
        return -ENOMEM;
    }
    live_watch *watch = &loop->watches[loop->watch_count++];
    watch->fd = fd;
    watch->events = events;
    watch->generation = ++loop->watch_generation;
    watch->cb = cb;
    watch->ctx = ctx;
    return 0;
}

void live_loop_fd_remove(live_loop *loop, int fd)
{
    for (size_t i = 0; i < loop->watch_count; i++) {
        if (loop->watches[i].fd == fd) {
            loop->watches[i] = loop->watches[--loop->watch_count];
            return;
        }
    }
}

int live_loop_mhd_add(live_loop *loop, struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_EPOLL_FD);
    if (!info || info->epoll_fd < 0) {
        return -EINVAL;
    }
    if (live_grow((void **)&loop->daemons, loop->daemon_count,
                  &loop->daemon_cap, sizeof(*loop->daemons)) != 0) {
        return -ENOMEM;
    }
    loop->daemons[loop->daemon_count++] = daemon;
    return 0;
}

void live_loop_mhd_remove(live_loop *loop, struct MHD_Daemon *daemon)
{
    for (size_t i = 0; i < loop->daemon_count; i++) {
        if (loop->daemons[i] == daemon) {
            loop->daemons[i] = loop->daemons[--loop->daemon_count];
            return;
        }
    }
}

int live_loop_curl_start(live_loop *loop, live_curl_job *job)
{
    assert(job && job->easy && job->done);
    if (curl_multi_add_handle(loop->multi, job->easy) != CURLM_OK) {
        return -EIO;
    }
    loop->curl_running++;
    return 0;
}

int live_loop_curl_running(const live_loop *loop)
{
    return loop->curl_running;
}

/* Shortens the wait to the next timer and to what libmicrohttpd needs. */
static int live_wait_ms(const live_loop *loop, int64_t max_wait_us)
{
    int64_t wait_us = max_wait_us;

    for (size_t i = 0; i < loop->timer_count; i++) {
        int64_t until_us = loop->timers[i].at_us - loop->now_us;
        if (until_us < wait_us) {
            wait_us = until_us;
        }
    }
    for (size_t i = 0; i < loop->daemon_count; i++) {
        MHD_UNSIGNED_LONG_LONG mhd_ms = 0;
        if (MHD_get_timeout(loop->daemons[i], &mhd_ms) == MHD_YES &&
            (int64_t)mhd_ms * 1000 < wait_us) {
            wait_us = (int64_t)mhd_ms * 1000;
        }
    }
    if (wait_us <= 0) {
        return 0;
    }
    return (int)((wait_us + 999) / 1000);
}

static void live_curl_finish(live_loop *loop)
{
    int still_running = 0;
    int queued = 0;
    CURLMsg *msg;

    curl_multi_perform(loop->multi, &still_running);
    while ((msg = curl_multi_info_read(loop->multi, &queued))) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        live_curl_job *job = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&job);
        curl_multi_remove_handle(loop->multi, easy);
        loop->curl_running--;
        assert(job && job->easy == easy);
        job->done(job, result);
    }
}

/* Calls the callbacks of descriptors that polled ready. A callback may drop
 * other watches, so each one is looked up again before its call. */
static void live_fds_dispatch(live_loop *loop, const struct curl_waitfd *polled,
                              const uint64_t *generations, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (!polled[i].revents) {
            continue;
        }
        for (size_t w = 0; w < loop->watch_count; w++) {
            live_watch watch = loop->watches[w];
            if (watch.fd == polled[i].fd &&
                watch.generation == generations[i]) {
                watch.cb(watch.ctx, watch.fd, (short)polled[i].revents);
                break;
            }
        }
    }
}

/* Fires the timers due now. Timers armed by these callbacks wait for the
 * next round, so a zero-delay timer cannot starve the poll. */
static void live_timers_fire(live_loop *loop)
{
    uint64_t id_limit = loop->timer_next_id;

    for (;;) {
        size_t due = SIZE_MAX;
        for (size_t i = 0; i < loop->timer_count; i++) {
            const live_timer *timer = &loop->timers[i];
            if (timer->id < id_limit && timer->at_us <= loop->now_us &&
                (due == SIZE_MAX || timer->at_us < loop->timers[due].at_us ||
                 (timer->at_us == loop->timers[due].at_us &&
                  timer->id < loop->timers[due].id))) {
                due = i;
            }
        }
        if (due == SIZE_MAX) {
            return;
        }
        live_timer fired = loop->timers[due];
        loop->timers[due] = loop->timers[--loop->timer_count];
        fired.cb(fired.ctx);
    }
}

int live_loop_run_once(live_loop *loop, int64_t max_wait_us)
{
    size_t watch_snapshot = loop->watch_count;
    size_t count = watch_snapshot + loop->daemon_count;
    struct curl_waitfd *polled = calloc(count + 1, sizeof(*polled));
    uint64_t *generations = calloc(count + 1, sizeof(*generations));
    if (!polled || !generations) {
        free(polled);
        free(generations);
        return -ENOMEM;
    }

    for (size_t i = 0; i < loop->watch_count; i++) {
        polled[i].fd = loop->watches[i].fd;
        polled[i].events = (short)((loop->watches[i].events & POLLIN ?
                                    CURL_WAIT_POLLIN : 0) |
                                   (loop->watches[i].events & POLLOUT ?
                                    CURL_WAIT_POLLOUT : 0));
        generations[i] = loop->watches[i].generation;
    }
    for (size_t i = 0; i < loop->daemon_count; i++) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(loop->daemons[i], MHD_DAEMON_INFO_EPOLL_FD);
        polled[watch_snapshot + i].fd = info->epoll_fd;
        polled[watch_snapshot + i].events = CURL_WAIT_POLLIN;
    }

    int numfds = 0;
    CURLMcode rc = curl_multi_poll(loop->multi, polled, (unsigned)count,
                                   live_wait_ms(loop, max_wait_us), &numfds);
    loop->now_us = live_clock_us();
    if (rc != CURLM_OK) {
        free(polled);
        free(generations);
        return -EIO;
    }

    live_curl_finish(loop);
    for (size_t i = 0; i < loop->daemon_count; i++) {
        MHD_run(loop->daemons[i]);
    }
    live_fds_dispatch(loop, polled, generations, watch_snapshot);
    live_timers_fire(loop);

    free(polled);
    free(generations);
    return 0;
}

int live_loop_run(live_loop *loop)
{
    while (!loop->stopping) {
        int rc = live_loop_run_once(loop, 1000000);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

void live_loop_stop(live_loop *loop)
{
    loop->stopping = true;
}

bool live_loop_stopping(const live_loop *loop)
{
    return loop->stopping;
}
