/* Structured log lines through the log port, and the names used in them.
 *
 * Every line is an event name plus space-separated key=value fields, so that
 * the simulator's log and lbd's log read alike and tools can parse them. */
#include "state.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Maximum length of the fields text. A longer one is cut and ends in "...". */
#define LB_LOG_FIELDS_MAX 1024

void lb_log(lb_controller *c, lb_log_level level, const char *event,
            const char *format, ...)
{
    char fields[LB_LOG_FIELDS_MAX];
    va_list args;

    if (c->ports.log.write == NULL) {
        return;
    }
    va_start(args, format);
    int len = vsnprintf(fields, sizeof fields, format, args);
    va_end(args);
    if (len >= (int)sizeof fields) {
        memcpy(fields + sizeof fields - 4, "...", 4);
    }
    c->ports.log.write(c->ports.log.ctx, level, event, fields);
}

/* Writes the ids of tenants as a comma-separated list ("-" for none).
 * Returns the length written, cut to fit buf. */
size_t lb_log_tenants(const lb_controller *c, const uint32_t *tenants,
                      size_t count, char *buf, size_t buf_len)
{
    size_t len = 0;

    assert(buf_len > 4);
    buf[0] = '\0';
    if (count == 0) {
        snprintf(buf, buf_len, "-");
        return 1;
    }
    for (size_t i = 0; i < count; i++) {
        const char *id = c->tenants[tenants[i]].id;
        int n = snprintf(buf + len, buf_len - len, "%s%s", i ? "," : "", id);
        if (n < 0 || (size_t)n >= buf_len - len) {
            memcpy(buf + buf_len - 4, "...", 4);
            return buf_len - 1;
        }
        len += (size_t)n;
    }
    return len;
}

const char *lb_instance_name(const lb_controller *c, uint32_t slot)
{
    if (slot == LB_NONE) {
        return "-";
    }
    assert(slot < c->instance_cap);
    return c->instances[slot].id[0] ? c->instances[slot].id : "(creating)";
}

const char *lb_component_name(const lb_controller *c, uint32_t component)
{
    assert(component < c->component_count);
    return c->component_names[component];
}

const char *lb_instance_state_name(lb_instance_state state)
{
    switch (state) {
    case LB_INSTANCE_FREE: return "free";
    case LB_INSTANCE_PROVISIONING: return "provisioning";
    case LB_INSTANCE_BOOTING: return "booting";
    case LB_INSTANCE_STARTING: return "starting";
    case LB_INSTANCE_ACTIVE: return "active";
    case LB_INSTANCE_DEGRADED: return "degraded";
    case LB_INSTANCE_RESTARTING: return "restarting";
    case LB_INSTANCE_FAILED: return "failed";
    case LB_INSTANCE_DRAINING: return "draining";
    case LB_INSTANCE_REMOVING: return "removing";
    }
    return "unknown";
}

const char *lb_log_escape(const char *text, char *buf, size_t buf_len)
{
    size_t len = 0;

    assert(buf_len >= 5);
    if (text == NULL) {
        snprintf(buf, buf_len, "-");
        return buf;
    }
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        char piece[5];
        if (*p == '"' || *p == '\\') {
            snprintf(piece, sizeof piece, "\\%c", *p);
        } else if (*p <= ' ' || *p >= 0x7f || *p == '=') {
            snprintf(piece, sizeof piece, "\\x%02x", *p);
        } else {
            snprintf(piece, sizeof piece, "%c", *p);
        }

        /* An escape is never cut in half. */
        size_t piece_len = strlen(piece);
        if (len + piece_len >= buf_len) {
            break;
        }
        memcpy(buf + len, piece, piece_len);
        len += piece_len;
    }
    buf[len] = '\0';
    return buf;
}

bool lb_id_printable(const char *id)
{
    if (id == NULL || id[0] == '\0' || strlen(id) > LB_ID_LEN_MAX) {
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '\\' ||
            *p == '=') {
            return false;
        }
    }
    return true;
}

void lb_log_request_closed(lb_controller *c, const char *kind, uint64_t id,
                           const char *reason)
{
    lb_log(c, LB_LOG_INFO, "request_closed", "request=%s id=%llu reason=%s",
           kind, (unsigned long long)id, reason);
}
