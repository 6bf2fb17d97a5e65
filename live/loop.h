/* lbd's event loop: one thread, one poll.
 *
 * The loop waits in curl_multi_poll, so libcurl's sockets, the
 * libmicrohttpd daemons (through their epoll descriptors) and any extra
 * descriptor (child process pipes, the signal pipe) share one wait. Timers
 * are kept in a small unsorted array: lbd has a few dozen at most.
 * Callbacks run on the loop's thread only and may add or remove timers,
 * descriptors and transfers. */
#ifndef LIVE_LOOP_H
#define LIVE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

struct MHD_Daemon;

typedef struct live_loop live_loop;

typedef void (*live_timer_cb)(void *ctx);
typedef void (*live_fd_cb)(void *ctx, int fd, short revents);

/* A libcurl transfer owned by the loop's multi handle. The loop calls done
 * once when the transfer ends; the job must be the easy handle's
 * CURLOPT_PRIVATE. */
typedef struct live_curl_job {
    CURL *easy;
    void (*done)(struct live_curl_job *job, CURLcode result);
} live_curl_job;

/* Creates a loop. Returns NULL when memory or libcurl setup fails. */
live_loop *live_loop_create(void);
void live_loop_destroy(live_loop *loop);

/* Microseconds on CLOCK_MONOTONIC, cached at the start of each iteration. */
int64_t live_loop_now_us(const live_loop *loop);

/* Arms a one-shot timer that calls cb(ctx) at or after at_us. Returns its id
 * (never 0), or 0 when memory runs out. */
uint64_t live_loop_timer_start(live_loop *loop, int64_t at_us,
                               live_timer_cb cb, void *ctx);
/* Cancels a timer; unknown or already fired ids are ignored. */
void live_loop_timer_stop(live_loop *loop, uint64_t timer_id);

/* Watches fd for events (POLLIN, POLLOUT). Returns 0 or -ENOMEM. */
int live_loop_fd_add(live_loop *loop, int fd, short events, live_fd_cb cb,
                     void *ctx);
void live_loop_fd_remove(live_loop *loop, int fd);

/* Drives a libmicrohttpd daemon started with MHD_USE_EPOLL and no internal
 * thread. Returns 0, -EINVAL when it has no epoll descriptor, or -ENOMEM. */
int live_loop_mhd_add(live_loop *loop, struct MHD_Daemon *daemon);
void live_loop_mhd_remove(live_loop *loop, struct MHD_Daemon *daemon);

/* Starts a transfer prepared on job->easy. Returns 0 or -EIO. */
int live_loop_curl_start(live_loop *loop, live_curl_job *job);
/* Number of transfers still running. */
int live_loop_curl_running(const live_loop *loop);

/* Waits at most max_wait_us for one round of events, then runs every ready
 * callback and every due timer. Returns 0 or -EIO when polling fails. */
int live_loop_run_once(live_loop *loop, int64_t max_wait_us);

/* Runs until live_loop_stop is called. */
int live_loop_run(live_loop *loop);
void live_loop_stop(live_loop *loop);
bool live_loop_stopping(const live_loop *loop);

#endif
