/* Structured logs of lbd and the stand-in: one line per event on stderr,
 *   ts=2026-12-04T20:01:02.123Z level=info event=routes_applied version=3
 * Fields are key=value pairs; values that come from outside (error texts,
 * command output) go through live_log_quote first. No line carries a
 * secret: callers never pass the API token. */
#ifndef LIVE_LOG_H
#define LIVE_LOG_H

#include <stddef.h>

#include "ports.h"

/* Lines below level are dropped. The default is LB_LOG_INFO. */
void live_log_set_level(lb_log_level level);

/* Parses "debug", "info", "warn" or "error". Returns 0 or -EINVAL. */
int live_log_level_parse(const char *text, lb_log_level *level);

/* Writes one line; fields_format is a printf format for the fields. */
void live_log(lb_log_level level, const char *event, const char *fields_format,
              ...) __attribute__((format(printf, 3, 4)));

/* Writes text as one double-quoted value into out (escaping quotes,
 * backslashes and control characters, cut to fit). Returns out. */
char *live_log_quote(char *out, size_t out_len, const char *text);

/* Copies outside text (a command's stderr, an HTTP body, a DFM's reason)
 * into out as one plain line for the controller. Control characters become
 * spaces, '"' becomes '\'' and '\\' becomes '/', so the text fits inside a
 * quoted log value unchanged. It is cut to out_len - 1 bytes. Returns out. */
char *live_text_clean(char *out, size_t out_len, const char *text);

/* The log port of the controller, writing through live_log. */
void live_log_port_write(void *ctx, lb_log_level level, const char *event,
                         const char *fields);

#endif
