/* Which nginx worker processes still accept connections, read from /proc.
 *
 * After a reload the nginx master starts new workers and signals the old
 * ones to stop accepting a little later (seen with Debian's nginx 1.22).
 * Until they stop, new connections may still be served with the old table.
 * A worker that stops accepting renames itself "nginx: worker process is
 * shutting down", so its title shows whether it still accepts. NOTE: this
 * relies on that title and on /proc, so it works on Linux only. */
#ifndef LIVE_NGINX_WORKERS_H
#define LIVE_NGINX_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LIVE_NGINX_WORKERS_MAX 256

/* The master's pid from nginx's pid file, or -1. */
pid_t live_nginx_master_pid(const char *pid_file);

/* Fills pids with the children of master that accept connections. Returns
 * their number (at most max), or a negative errno value. */
int live_nginx_workers_accepting(pid_t master, pid_t *pids, size_t max);

/* True when none of the count pids is still an accepting worker of master. */
bool live_nginx_workers_gone(pid_t master, const pid_t *pids, size_t count);

#endif
