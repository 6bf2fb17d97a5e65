/* Incremental reader of the lbsim access log; see nginx_log.h. */
#include "nginx_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "id.h"

/* Bounds one poll so a huge backlog cannot stall the event loop. */
#define LIVE_NGINX_LOG_POLL_BYTES_MAX (8 * 1024 * 1024)

int live_nginx_log_init(live_nginx_log *log, const char *path,
                        const live_component *components,
                        size_t component_count)
{
    memset(log, 0, sizeof(*log));
    log->fd = -1;
    log->path = strdup(path);
    log->components = components;
    log->component_count = component_count;
    return log->path ? 0 : -ENOMEM;
}

static void live_nginx_log_rows_clear(live_nginx_log *log)
{
    for (size_t i = 0; i < log->row_count; i++) {
        free((char *)log->rows[i].tenant);
        free((char *)log->rows[i].instance);
    }
    log->row_count = 0;
}

void live_nginx_log_deinit(live_nginx_log *log)
{
    if (log->fd >= 0) {
        close(log->fd);
    }
    live_nginx_log_rows_clear(log);
    free(log->rows);
    free(log->instances);
    free(log->downs);
    free(log->path);
    memset(log, 0, sizeof(*log));
    log->fd = -1;
}

void live_nginx_log_dropping(live_nginx_log *log, uint64_t errors,
                             int64_t window_us, live_dropping_cb cb, void *ctx)
{
    log->dropping_errors = errors;
    log->dropping_window_us = window_us;
    log->dropping_cb = cb;
    log->dropping_ctx = ctx;
}

/* Copies the tab-separated field at *cursor into out and moves past it.
 * Every field but the last must end with a tab. */
static int live_field(const char **cursor, const char *end, char *out,
                      size_t out_len, bool last)
{
    const char *start = *cursor;
    const char *tab = memchr(start, '\t', (size_t)(end - start));
    const char *stop = tab ? tab : end;
    size_t len = (size_t)(stop - start);

    if (len >= out_len || (!last && !tab)) {
        return -EINVAL;
    }
    memcpy(out, start, len);
    out[len] = '\0';
    *cursor = tab ? tab + 1 : end;
    return 0;
}

/* Parses "S.mmm" seconds into microseconds. */
static int live_seconds_us(const char *text, uint64_t *us)
{
    char *end = NULL;
    unsigned long long seconds = strtoull(text, &end, 10);
    uint64_t fraction_us = 0;
    uint64_t scale = 100000;

    if (end == text) {
        return -EINVAL;
    }
    if (*end == '.') {
        for (end++; *end >= '0' && *end <= '9'; end++) {
            fraction_us += (uint64_t)(*end - '0') * scale;
            scale /= 10;
        }
    }
    if (*end) {
        return -EINVAL;
    }
    *us = (uint64_t)seconds * 1000000 + fraction_us;
    return 0;
}

int live_nginx_log_parse(const char *line, size_t len, live_log_line *parsed)
{
    const char *cursor = line;
    const char *end = line + len;
    char msec[32], status[8], request_time[32], upstream_status[64];

    memset(parsed, 0, sizeof(*parsed));
    if (live_field(&cursor, end, msec, sizeof(msec), false) != 0 ||
        live_field(&cursor, end, parsed->tenant, sizeof(parsed->tenant),
                   false) ||
        live_field(&cursor, end, parsed->component, sizeof(parsed->component),
                   false) ||
        live_field(&cursor, end, parsed->instance, sizeof(parsed->instance),
                   false) ||
        live_field(&cursor, end, status, sizeof(status), false) ||
        live_field(&cursor, end, request_time, sizeof(request_time), false) ||
        live_field(&cursor, end, upstream_status, sizeof(upstream_status),
                   true) ||
        cursor != end) {
        return -EINVAL;
    }
    if ((parsed->tenant[0] && !live_id_valid(parsed->tenant)) ||
        (parsed->instance[0] && !live_id_valid(parsed->instance))) {
        return -EINVAL;
    }

    char *status_end = NULL;
    unsigned long code = strtoul(status, &status_end, 10);
    if (status_end == status || *status_end || code < 100 || code > 999) {
        return -EINVAL;
    }
    parsed->status = (unsigned)code;
    return live_seconds_us(request_time, &parsed->latency_us);
}

static int live_component_index(const live_nginx_log *log, const char *name,
                                uint32_t *index)
{
    for (size_t c = 0; c < log->component_count; c++) {
        if (strcmp(log->components[c].name, name) == 0) {
            *index = (uint32_t)c;
            return 0;
        }
    }
    return -ENOENT;
}

static lb_stats_row *live_row_find(live_nginx_log *log, const char *tenant,
                                   const char *instance, uint32_t component)
{
    for (size_t i = 0; i < log->row_count; i++) {
        lb_stats_row *row = &log->rows[i];
        if (row->component == component && strcmp(row->tenant, tenant) == 0 &&
            strcmp(row->instance, instance) == 0) {
            return row;
        }
    }
    if (log->row_count == log->row_cap) {
        size_t cap = log->row_cap ? log->row_cap * 2 : 32;
        lb_stats_row *grown = realloc(log->rows, cap * sizeof(*grown));
        if (!grown) {
            return NULL;
        }
        log->rows = grown;
        log->row_cap = cap;
    }
    lb_stats_row *row = &log->rows[log->row_count];
    memset(row, 0, sizeof(*row));
    row->tenant = strdup(tenant);
    row->instance = strdup(instance);
    row->component = component;
    if (!row->tenant || !row->instance) {
        free((char *)row->tenant);
        free((char *)row->instance);
        return NULL;
    }
    log->row_count++;
    return row;
}

static live_instance_errors *live_errors_find(live_nginx_log *log,
                                              const char *instance)
{
    for (size_t i = 0; i < log->instance_count; i++) {
        if (strcmp(log->instances[i].instance, instance) == 0) {
            return &log->instances[i];
        }
    }
    live_instance_errors *grown = realloc(
        log->instances, (log->instance_count + 1) * sizeof(*grown));
    if (!grown) {
        return NULL;
    }
    log->instances = grown;
    live_instance_errors *entry = &log->instances[log->instance_count++];
    memset(entry, 0, sizeof(*entry));
    strcpy(entry->instance, instance);
    return entry;
}

int live_nginx_log_component_state(live_nginx_log *log, const char *instance,
                                   const char *component, int64_t until_us)
{
    for (size_t i = 0; i < log->down_count; i++) {
        live_component_down *down = &log->downs[i];
        if (strcmp(down->instance, instance) == 0 &&
            strcmp(down->component, component) == 0) {
            down->until_us = until_us;
            return 0;
        }
    }
    live_component_down *grown = realloc(log->downs, (log->down_count + 1) *
                                         sizeof(*grown));
    if (!grown) {
        return -ENOMEM;
    }
    log->downs = grown;
    live_component_down *down = &log->downs[log->down_count++];
    snprintf(down->instance, sizeof(down->instance), "%s", instance);
    snprintf(down->component, sizeof(down->component), "%s", component);
    down->until_us = until_us;
    return 0;
}

static bool live_component_reported_down(const live_nginx_log *log,
                                         const live_log_line *line,
                                         int64_t now_us)
{
    for (size_t i = 0; i < log->down_count; i++) {
        const live_component_down *down = &log->downs[i];
        if (down->until_us > now_us &&
            strcmp(down->instance, line->instance) == 0 &&
            strcmp(down->component, line->component) == 0) {
            return true;
        }
    }
    return false;
}

/* A 502 or 504 means nginx got no response from the instance. Errors of a
 * component the DFM reported down are left out, because the DFM handles
 * those. */
static void live_count_gateway_error(live_nginx_log *log,
                                     const live_log_line *line, int64_t now_us)
{
    if ((line->status != 502 && line->status != 504) || !line->instance[0] ||
        !log->dropping_cb || live_component_reported_down(log, line, now_us)) {
        return;
    }
    live_instance_errors *entry = live_errors_find(log, line->instance);
    if (!entry) {
        return;
    }
    if (now_us - entry->window_start_us > log->dropping_window_us) {
        entry->window_start_us = now_us;
        entry->errors = 0;
        entry->reported = false;
    }
    entry->errors++;
    if (!entry->reported && entry->errors >= log->dropping_errors) {
        entry->reported = true;
        log->dropping_cb(log->dropping_ctx, entry->instance, entry->errors,
                         log->dropping_window_us);
    }
}

static void live_count_line(live_nginx_log *log, const char *text, size_t len,
                            int64_t now_us)
{
    live_log_line line;
    uint32_t component = 0;

    if (live_nginx_log_parse(text, len, &line) != 0) {
        log->lines_invalid++;
        return;
    }
    live_count_gateway_error(log, &line, now_us);
    if (!line.tenant[0] || !line.instance[0] ||
        live_component_index(log, line.component, &component) != 0) {
        return;
    }
    lb_stats_row *row = live_row_find(log, line.tenant, line.instance,
                                      component);
    if (!row) {
        return;
    }
    row->requests++;
    row->errors += line.status >= 500;
    row->latency_us_sum += line.latency_us;
    if (line.latency_us > row->latency_us_max) {
        row->latency_us_max = line.latency_us;
    }
}

/* Splits data into lines, joining the first with the unfinished one kept
 * from the previous read. */
static void live_consume(live_nginx_log *log, const char *data, size_t len,
                         int64_t now_us)
{
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            if (!log->partial_overflow) {
                live_count_line(log, log->partial, log->partial_len, now_us);
            } else {
                log->lines_invalid++;
            }
            log->partial_len = 0;
            log->partial_overflow = false;
        } else if (log->partial_len < sizeof(log->partial)) {
            log->partial[log->partial_len++] = data[i];
        } else {
            log->partial_overflow = true;
        }
    }
}

/* Keeps the last bytes read, to notice a truncation that the size alone
 * hides (the file refilled past the old offset between two polls). */
static void live_tail_update(live_nginx_log *log, const char *data, size_t len)
{
    size_t cap = sizeof(log->tail);

    if (len >= cap) {
        memcpy(log->tail, data + len - cap, cap);
        log->tail_len = cap;
        return;
    }
    size_t keep = log->tail_len + len > cap ? cap - len : log->tail_len;
    memmove(log->tail, log->tail + log->tail_len - keep, keep);
    memcpy(log->tail + keep, data, len);
    log->tail_len = keep + len;
}

/* True when the bytes before the offset are no longer the ones read. */
static bool live_tail_changed(const live_nginx_log *log)
{
    char now[sizeof(log->tail)];

    if (log->tail_len == 0 || log->offset < (off_t)log->tail_len) {
        return false;
    }
    ssize_t n = pread(log->fd, now, log->tail_len,
                      log->offset - (off_t)log->tail_len);
    return n != (ssize_t)log->tail_len ||
           memcmp(now, log->tail, log->tail_len) != 0;
}

/* Reads the open file to its end. Returns 0 or -errno. */
static int live_read_to_end(live_nginx_log *log, int64_t now_us)
{
    char buf[65536];
    size_t total = 0;

    while (total < LIVE_NGINX_LOG_POLL_BYTES_MAX) {
        ssize_t n = pread(log->fd, buf, sizeof(buf), log->offset);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            break;
        }
        log->offset += n;
        total += (size_t)n;
        live_tail_update(log, buf, (size_t)n);
        live_consume(log, buf, (size_t)n, now_us);
    }
    return 0;
}

static int live_open(live_nginx_log *log, bool from_end)
{
    struct stat st;
    int fd = open(log->path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        return errno == ENOENT ? 0 : -errno;
    }
    if (fstat(fd, &st) != 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    log->fd = fd;
    log->dev = st.st_dev;
    log->ino = st.st_ino;
    log->offset = from_end ? st.st_size : 0;
    log->tail_len = 0;
    log->partial_len = 0;
    log->partial_overflow = false;
    log->opened_once = true;
    return 0;
}

int live_nginx_log_poll(live_nginx_log *log, int64_t now_us)
{
    struct stat st;
    int rc = 0;

    if (log->fd < 0) {
        rc = live_open(log, !log->opened_once);
        if (rc != 0 || log->fd < 0) {
            return rc;
        }
    }
    bool path_there = stat(log->path, &st) == 0;
    bool rotated = !path_there || st.st_dev != log->dev ||
                   st.st_ino != log->ino;

    if (!rotated && (st.st_size < log->offset || live_tail_changed(log))) {
        /* Truncated in place (copytruncate). NOTE: a truncated file that
         * refills with the very same bytes is not noticed. */
        log->offset = 0;
        log->tail_len = 0;
        log->partial_len = 0;
    }
    rc = live_read_to_end(log, now_us);
    if (rc != 0 || !rotated) {
        return rc;
    }

    /* Lines written to the old file before the rotation are read above;
     * from now on only the new file grows. */
    close(log->fd);
    log->fd = -1;
    rc = live_open(log, false);
    if (rc == 0 && log->fd >= 0) {
        rc = live_read_to_end(log, now_us);
    }
    return rc;
}

void live_nginx_log_take(live_nginx_log *log, lb_stats *stats)
{
    stats->row_count = log->row_count;
    stats->rows = log->rows;
    log->rows = NULL;
    log->row_count = 0;
    log->row_cap = 0;
}

void live_nginx_log_stats_free(lb_stats *stats)
{
    for (size_t i = 0; i < stats->row_count; i++) {
        free((char *)stats->rows[i].tenant);
        free((char *)stats->rows[i].instance);
    }
    free((lb_stats_row *)stats->rows);
    stats->rows = NULL;
    stats->row_count = 0;
}
