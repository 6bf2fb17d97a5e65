/* Helpers for the real-mode tests: free loopback ports, a private nginx
 * instance in a temporary folder, blocking HTTP calls and cleanup. */
#ifndef TEST_LIVE_SUPPORT_H
#define TEST_LIVE_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A port on 127.0.0.1 that was free a moment ago (bound to port 0 and
 * released), or 0. */
uint16_t support_free_port(void);

/* Writes text to path. Returns 0 or -errno. */
int support_write_file(const char *path, const char *text);

/* Reads a whole file into a new string, or NULL. */
char *support_read_file(const char *path);

/* Removes a folder and everything in it. */
void support_remove_tree(const char *path);

/* Starts nginx in the foreground with prefix dir and dir/nginx.conf.
 * Returns its pid, or -1. */
pid_t support_nginx_start(const char *dir);

/* Stops the nginx master (SIGQUIT, then SIGKILL after 5 s) and reaps it. */
void support_nginx_stop(pid_t pid);

/* GETs url with header (or NULL) using blocking libcurl, with a 2 s
 * timeout. Returns the HTTP status, or -1 when no answer came; the body
 * goes to body when it is not NULL. */
long support_http_get(const char *url, const char *header, char *body,
                      size_t body_len);

/* Polls url until it answers at all, for at most timeout_ms. */
bool support_wait_http(const char *url, long timeout_ms);

#endif
