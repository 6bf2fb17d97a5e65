/* Reads nginx's access log in the lbsim format, incrementally, and keeps
 * per (tenant, instance, component) counts and per-instance gateway errors.
 *
 * The format, defined by the rendered configuration, is one tab-separated
 * line per request:
 *   msec  tenant  component  instance  status  request_time  upstream_status
 * The reader keeps its place between polls. When the file is rotated (its
 * inode changes), it finishes the old file and starts the new one. When
 * the file is truncated in place (copytruncate), it starts over. */
#ifndef LIVE_NGINX_LOG_H
#define LIVE_NGINX_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nginx_render.h"
#include "ports.h"

#define LIVE_NGINX_LOG_LINE_MAX 4096

typedef struct live_log_line {
    char tenant[LB_ID_LEN_MAX + 1];   /* empty when the request had none */
    char instance[LB_ID_LEN_MAX + 1]; /* empty when it was not proxied */
    char component[16];
    unsigned status;
    uint64_t latency_us;
} live_log_line;

/* Called when an instance's gateway errors (502, 504) within the window
 * reach the threshold; once per window and instance. */
typedef void (*live_dropping_cb)(void *ctx, const char *instance,
                                 uint64_t errors, int64_t window_us);

typedef struct live_instance_errors {
    char instance[LB_ID_LEN_MAX + 1];
    int64_t window_start_us;
    uint64_t errors;
    bool reported;
} live_instance_errors;

/* A component the DFM reported down: its gateway errors are explained and
 * do not count toward the instance dropping requests. */
typedef struct live_component_down {
    char instance[LB_ID_LEN_MAX + 1];
    char component[16];
    int64_t until_us; /* INT64_MAX while down, then a grace after it is up */
} live_component_down;

typedef struct live_nginx_log {
    char *path;
    int fd;
    dev_t dev;
    ino_t ino;
    off_t offset;
    char tail[64]; /* the last bytes read, ending at offset */
    size_t tail_len;
    bool opened_once;
    char partial[LIVE_NGINX_LOG_LINE_MAX];
    size_t partial_len;
    bool partial_overflow; /* the current line is too long: skip it */

    const live_component *components;
    size_t component_count;

    lb_stats_row *rows; /* tenant and instance strings owned here */
    size_t row_count;
    size_t row_cap;

    live_instance_errors *instances;
    size_t instance_count;
    uint64_t dropping_errors;
    int64_t dropping_window_us;
    live_dropping_cb dropping_cb;
    void *dropping_ctx;
    live_component_down *downs;
    size_t down_count;

    uint64_t lines_invalid;
} live_nginx_log;

/* Prepares a reader of path; nothing is opened yet. The first poll starts
 * at the end of an existing file, since older lines are not news. Returns
 * 0 or -ENOMEM. */
int live_nginx_log_init(live_nginx_log *log, const char *path,
                        const live_component *components,
                        size_t component_count);
void live_nginx_log_deinit(live_nginx_log *log);

/* Sets the dropped-request detection: errors within window_us. */
void live_nginx_log_dropping(live_nginx_log *log, uint64_t errors,
                             int64_t window_us, live_dropping_cb cb,
                             void *ctx);

/* Marks a component down (until_us INT64_MAX) or up again, with gateway
 * errors still ignored until until_us (requests nginx sent before the
 * table changed). Returns 0 or -ENOMEM. */
int live_nginx_log_component_state(live_nginx_log *log, const char *instance,
                                   const char *component, int64_t until_us);

/* Reads what was appended since the last poll. now_us stamps the errors
 * for the dropping window. Returns 0, or a negative errno value when the
 * file cannot be read (a missing file is not an error). */
int live_nginx_log_poll(live_nginx_log *log, int64_t now_us);

/* Parses one line without its newline. Returns 0 or -EINVAL. */
int live_nginx_log_parse(const char *line, size_t len, live_log_line *parsed);

/* Moves the counts gathered since the last call into stats->rows and
 * stats->row_count, and starts new counts. The caller owns the rows and
 * frees them with live_nginx_log_stats_free. */
void live_nginx_log_take(live_nginx_log *log, lb_stats *stats);
void live_nginx_log_stats_free(lb_stats *stats);

#endif
