/* Child processes run from the event loop: nginx -t, nginx -s reload and
 * the provider's commands. The child's stdout and stderr are collected
 * (64 KiB each at most; the rest is dropped) without blocking the loop. */
#ifndef LIVE_PROC_H
#define LIVE_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define LIVE_PROC_OUTPUT_MAX 65536

typedef struct live_proc_result {
    /* 0 when the child exited, -ETIMEDOUT when killed at its deadline,
     * -ECANCELED when killed by live_proc_cancel_all */
    int result;
    int exit_status; /* exit code, or 128 + signal number */
    const char *out; /* stdout, NUL-terminated */
    size_t out_len;
    const char *err; /* stderr, NUL-terminated */
    size_t err_len;
    bool out_truncated; /* stdout was longer than LIVE_PROC_OUTPUT_MAX */
    bool err_truncated;
} live_proc_result;

/* Called once when the child ends; the result is valid during the call. */
typedef void (*live_proc_done_cb)(void *ctx, const live_proc_result *result);

/* Runs argv[0] (searched in PATH) with argv, stdin from /dev/null, in a
 * process group of its own; kills that group with SIGKILL after
 * timeout_us. No shell is involved. Returns 0 when the child started, or a
 * negative errno value (then cb is never called); -ECANCELED after
 * live_proc_cancel_all. */
int live_proc_run(live_loop *loop, const char *const *argv, int64_t timeout_us,
                  live_proc_done_cb cb, void *ctx);

/* Children started and not yet reported. */
int live_proc_running(void);

/* Kills the process group of every running child and reports each with
 * result -ECANCELED. Later live_proc_run calls fail. lbd calls it when it
 * stops, so that no command outlives it. */
void live_proc_cancel_all(void);

/* Runs the loop until the child has been reported or stop_us passes; for
 * start-up steps that need the result before anything else. */
int live_proc_run_sync(live_loop *loop, const char *const *argv,
                       int64_t timeout_us, live_proc_done_cb cb, void *ctx);

#endif
