/* Which nginx worker processes still accept connections, read from /proc.
 *
 * After a reload the nginx master starts new workers, waits a little and
 * only then tells the old ones to stop accepting; until they do, new
 * connections may still be served with the old table. A worker that got
 * the signal renames itself "nginx: worker process is shutting down" and
 * closes its listening sockets in the same step, so its title tells
 * whether it still accepts. Linux only. */
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
