/* Child processes with collected output; see proc.h. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct live_output {
    int fd;         /* -1 once at end of file */
    char *data;     /* NUL-terminated */
    size_t len;
    bool truncated; /* more than LIVE_PROC_OUTPUT_MAX bytes came */
} live_output;

typedef struct live_proc {
    struct live_proc *next; /* in live_proc_list */
    live_loop *loop;
    pid_t pid;
    live_output out;
    live_output err;
    int64_t deadline_us;
    uint64_t timer_id;
    live_proc_done_cb cb;
    void *ctx;
} live_proc;

static int live_proc_count;
static live_proc *live_proc_list; /* children started and not reported */
static bool live_proc_closed;     /* set by live_proc_cancel_all */

/* Polls a child that closed its pipes until it exits. */
#define LIVE_PROC_REAP_US 5000

int live_proc_running(void)
{
    return live_proc_count;
}

static void live_proc_free(live_proc *proc)
{
    free(proc->out.data);
    free(proc->err.data);
    free(proc);
}

static void live_proc_unlink(live_proc *proc)
{
    for (live_proc **link = &live_proc_list; *link; link = &(*link)->next) {
        if (*link == proc) {
            *link = proc->next;
            return;
        }
    }
}

static void live_proc_report(live_proc *proc, int result, int status)
{
    live_proc_result report = {
        .result = result,
        .exit_status = WIFEXITED(status) ? WEXITSTATUS(status) :
                       WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255,
        .out = proc->out.data ? proc->out.data : "",
        .out_len = proc->out.len,
        .err = proc->err.data ? proc->err.data : "",
        .err_len = proc->err.len,
        .out_truncated = proc->out.truncated,
        .err_truncated = proc->err.truncated,
    };

    live_proc_unlink(proc);
    live_proc_count--;
    proc->cb(proc->ctx, &report);
    live_proc_free(proc);
}

static void live_output_close(live_loop *loop, live_output *output)
{
    if (output->fd >= 0) {
        live_loop_fd_remove(loop, output->fd);
        close(output->fd);
        output->fd = -1;
    }
}

static void live_proc_timer_cb(void *ctx);

/* Kills the child's whole process group, so that what a provider command
 * started in the background dies with it, and reaps the child. */
static int live_proc_kill(live_proc *proc)
{
    int status = 0;

    kill(-proc->pid, SIGKILL);
    waitpid(proc->pid, &status, 0);
    live_output_close(proc->loop, &proc->out);
    live_output_close(proc->loop, &proc->err);
    live_loop_timer_stop(proc->loop, proc->timer_id);
    proc->timer_id = 0;
    return status;
}

/* Once both pipes are closed, waits for the exit without blocking. */
static void live_proc_try_reap(live_proc *proc)
{
    int status = 0;

    if (proc->out.fd >= 0 || proc->err.fd >= 0) {
        return;
    }
    pid_t done = waitpid(proc->pid, &status, WNOHANG);
    if (done == proc->pid || (done < 0 && errno == ECHILD)) {
        live_loop_timer_stop(proc->loop, proc->timer_id);
        live_proc_report(proc, 0, status);
        return;
    }
    live_loop_timer_stop(proc->loop, proc->timer_id);
    int64_t next_us = live_loop_now_us(proc->loop) + LIVE_PROC_REAP_US;
    if (next_us > proc->deadline_us) {
        next_us = proc->deadline_us;
    }
    proc->timer_id = live_loop_timer_start(proc->loop, next_us,
                                           live_proc_timer_cb, proc);
}

static void live_proc_timer_cb(void *ctx)
{
    live_proc *proc = ctx;
    int status = 0;

    proc->timer_id = 0;
    if (live_loop_now_us(proc->loop) < proc->deadline_us) {
        live_proc_try_reap(proc);
        return;
    }
    status = live_proc_kill(proc);
    live_proc_report(proc, -ETIMEDOUT, status);
}

static void live_output_read(live_proc *proc, live_output *output)
{
    char buf[4096];
    ssize_t n = read(output->fd, buf, sizeof(buf));

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        live_output_close(proc->loop, output);
        live_proc_try_reap(proc);
        return;
    }
    size_t keep = (size_t)n;
    if (output->len + keep > LIVE_PROC_OUTPUT_MAX) {
        keep = LIVE_PROC_OUTPUT_MAX - output->len;
        output->truncated = true;
    }
    if (keep > 0) {
        memcpy(output->data + output->len, buf, keep);
        output->len += keep;
        output->data[output->len] = '\0';
    }
}

static void live_proc_out_cb(void *ctx, int fd, short revents)
{
    live_proc *proc = ctx;
    (void)revents;
    live_output_read(proc, fd == proc->out.fd ? &proc->out : &proc->err);
}

/* Makes a pipe whose read end is non-blocking and both ends close on exec
 * (the child's copies are made by dup2, which clears the flag). */
static int live_pipe(int fds[2])
{
    if (pipe(fds) != 0) {
        return -errno;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    return 0;
}

static int live_proc_spawn(live_proc *proc, const char *const *argv,
                           int out_w, int err_w)
{
    posix_spawn_file_actions_t actions;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) {
        return -rc;
    }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_w, 1);
    posix_spawn_file_actions_adddup2(&actions, err_w, 2);

    /* lbd ignores SIGPIPE; the child gets the default back, as a shell
     * pipeline in a provider command expects. */
    posix_spawnattr_t attr;
    sigset_t defaults;
    posix_spawnattr_init(&attr);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    /* A process group of its own, so a timeout or lbd's stop can kill the
     * child and everything it started. */
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
                             POSIX_SPAWN_SETPGROUP);

    rc = posix_spawnp(&proc->pid, argv[0], &actions, &attr,
                      (char *const *)argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return -rc;
}

int live_proc_run(live_loop *loop, const char *const *argv, int64_t timeout_us,
                  live_proc_done_cb cb, void *ctx)
{
    int out_fds[2] = {-1, -1};
    int err_fds[2] = {-1, -1};
    live_proc *proc = calloc(1, sizeof(*proc));
    int rc = -ENOMEM;

    if (live_proc_closed) {
        free(proc);
        return -ECANCELED;
    }
    if (!proc) {
        return -ENOMEM;
    }
    proc->out.data = calloc(1, LIVE_PROC_OUTPUT_MAX + 1);
    proc->err.data = calloc(1, LIVE_PROC_OUTPUT_MAX + 1);
    if (!proc->out.data || !proc->err.data) {
        goto fail;
    }
    if ((rc = live_pipe(out_fds)) != 0 || (rc = live_pipe(err_fds)) != 0) {
        goto fail;
    }
    rc = live_proc_spawn(proc, argv, out_fds[1], err_fds[1]);
    close(out_fds[1]);
    close(err_fds[1]);
    out_fds[1] = err_fds[1] = -1;
    if (rc != 0) {
        goto fail;
    }

    proc->loop = loop;
    proc->out.fd = out_fds[0];
    proc->err.fd = err_fds[0];
    proc->cb = cb;
    proc->ctx = ctx;
    proc->deadline_us = live_loop_now_us(loop) + timeout_us;
    proc->timer_id = live_loop_timer_start(loop, proc->deadline_us,
                                           live_proc_timer_cb, proc);
    live_loop_fd_add(loop, proc->out.fd, POLLIN, live_proc_out_cb, proc);
    live_loop_fd_add(loop, proc->err.fd, POLLIN, live_proc_out_cb, proc);
    live_proc_count++;
    proc->next = live_proc_list;
    live_proc_list = proc;
    return 0;

fail:
    for (int i = 0; i < 2; i++) {
        if (out_fds[i] >= 0) {
            close(out_fds[i]);
        }
        if (err_fds[i] >= 0) {
            close(err_fds[i]);
        }
    }
    live_proc_free(proc);
    return rc;
}

void live_proc_cancel_all(void)
{
    live_proc_closed = true;
    while (live_proc_list) {
        live_proc *proc = live_proc_list;
        int status = live_proc_kill(proc);
        live_proc_report(proc, -ECANCELED, status);
    }
}

typedef struct live_proc_sync {
    bool done;
    live_proc_done_cb cb;
    void *ctx;
} live_proc_sync;

static void live_proc_sync_cb(void *ctx, const live_proc_result *result)
{
    live_proc_sync *sync = ctx;
    sync->done = true;
    sync->cb(sync->ctx, result);
}

int live_proc_run_sync(live_loop *loop, const char *const *argv,
                       int64_t timeout_us, live_proc_done_cb cb, void *ctx)
{
    live_proc_sync sync = {.done = false, .cb = cb, .ctx = ctx};
    int rc = live_proc_run(loop, argv, timeout_us, live_proc_sync_cb, &sync);
    if (rc != 0) {
        return rc;
    }
    /* The child's own timeout bounds this loop. */
    while (!sync.done) {
        rc = live_loop_run_once(loop, 100000);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}
