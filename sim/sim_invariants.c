/* Invariants read from the message trace and the controller's log. */
#include "sim_invariants.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A request kind the LB sends, the reply kinds that close it, and the
 * policy timeout that bounds the wait for them. */
typedef struct sim_request_kind {
    const char *request;
    const char *replies[2];
    int timeout; /* 0 request, 1 provider, 2 stop */
} sim_request_kind;

static const sim_request_kind sim_request_kinds[] = {
    {"stats_request", {"stats_reply", NULL}, 0},
    {"routes_apply", {"routes_applied", "routes_rejected"}, 0},
    {"instance_create", {"instance_created", "instance_create_failed"}, 1},
    {"instance_remove", {"instance_removed", "instance_remove_failed"}, 1},
    {"instance_restart", {"instance_restarted", "instance_restart_failed"},
     1},
    {"instance_list", {"instance_list_reply", NULL}, 1},
    {"components_start", {"components_started", "components_start_failed"},
     0},
    {"components_stop", {"components_stopped", NULL}, 2},
};

static const sim_request_kind *sim_request_kind_of(const sim_msg *msg)
{
    if (strcmp(msg->from, "lb") != 0 || msg->request_id == 0) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof(sim_request_kinds) /
                               sizeof(sim_request_kinds[0]);
         i++) {
        if (strcmp(sim_request_kinds[i].request, msg->kind) == 0) {
            return &sim_request_kinds[i];
        }
    }
    return NULL;
}

static sim_time_t sim_request_timeout_us(const sim_request_kind *kind,
                                         const lb_policy *policy)
{
    switch (kind->timeout) {
    case 1:
        return policy->provider_timeout_us;
    case 2:
        return policy->stop_grace_us + policy->request_timeout_us;
    default:
        return policy->request_timeout_us;
    }
}

/* Whether an earlier message already sent this request (a retry).
 * NOTE: a linear scan, so the two checks are quadratic in the number of LB
 * requests; an index by (kind, id) would make them linear. */
static bool sim_request_seen(const sim_record *record, size_t index)
{
    const sim_msg *msg = &record->msgs[index];

    for (size_t i = 0; i < index; i++) {
        const sim_msg *earlier = &record->msgs[i];

        if (earlier->request_id == msg->request_id &&
            earlier->kind == msg->kind && earlier->from == msg->from) {
            return true;
        }
    }
    return false;
}

static bool sim_request_answered(const sim_record *record, size_t index,
                                 const sim_request_kind *kind)
{
    const sim_msg *request = &record->msgs[index];

    for (size_t i = index + 1; i < record->msg_count; i++) {
        const sim_msg *msg = &record->msgs[i];

        if (msg->request_id != request->request_id ||
            strcmp(msg->to, "lb") != 0 || strcmp(msg->from, request->to) != 0 ||
            msg->fate != SIM_MSG_DELIVERED) {
            continue;
        }
        for (size_t r = 0; r < 2 && kind->replies[r] != NULL; r++) {
            if (strcmp(msg->kind, kind->replies[r]) == 0) {
                return true;
            }
        }
    }
    return false;
}

/* Whether the controller closed the request other than by a reply: an
 * event naming "timeout", "timed_out", "given_up" or "closed" (for example
 * request_closed with reason=cancelled, superseded or adopted) with fields
 * request=<kind> and id=<id> (version=<id> for routing tables). */
static bool sim_request_timed_out(const sim_record *record,
                                  const sim_msg *request)
{
    char want_kind[64];
    char want_id[40];
    char value[64];

    snprintf(want_kind, sizeof(want_kind), "%s", request->kind);
    snprintf(want_id, sizeof(want_id), "%" PRIu64, request->request_id);
    for (size_t i = 0; i < record->log_count; i++) {
        const sim_log_entry *entry = &record->logs[i];
        const char *id_key = strcmp(request->kind, "routes_apply") == 0
                                 ? "version"
                                 : "id";

        if (entry->at_us < request->at_us ||
            (strstr(entry->event, "timeout") == NULL &&
             strstr(entry->event, "timed_out") == NULL &&
             strstr(entry->event, "given_up") == NULL &&
             strstr(entry->event, "closed") == NULL)) {
            continue;
        }
        if (sim_fields_get(entry->fields, "request", value, sizeof(value)) ==
                0 &&
            strcmp(value, want_kind) == 0 &&
            sim_fields_get(entry->fields, id_key, value, sizeof(value)) == 0 &&
            strcmp(value, want_id) == 0) {
            return true;
        }
    }
    return false;
}

static int sim_check_requests_answered(sim_record *record,
                                       const lb_policy *policy,
                                       sim_time_t end_us)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < record->msg_count; i++) {
        const sim_msg *msg = &record->msgs[i];
        const sim_request_kind *kind = sim_request_kind_of(msg);
        char detail[160];

        if (kind == NULL || sim_request_seen(record, i) ||
            msg->at_us + sim_request_timeout_us(kind, policy) > end_us ||
            sim_request_answered(record, i, kind) ||
            sim_request_timed_out(record, msg)) {
            continue;
        }
        snprintf(detail, sizeof(detail),
                 "request=%s id=%" PRIu64 " to=%s: no reply and no timeout",
                 msg->kind, msg->request_id, msg->to);
        rc = sim_record_violation(record, msg->at_us, "requests_answered",
                                  detail);
    }
    return rc;
}

/* Index of the last overload notification delivered to the LB before
 * index, or SIZE_MAX. */
static size_t sim_last_overload(const sim_record *record, size_t index)
{
    for (size_t i = index; i-- > 0;) {
        const sim_msg *msg = &record->msgs[i];

        if (strcmp(msg->kind, "overload") == 0 && strcmp(msg->to, "lb") == 0 &&
            msg->fate == SIM_MSG_DELIVERED) {
            return i;
        }
    }
    return SIZE_MAX;
}

static int sim_check_single_scale_out(sim_record *record)
{
    size_t last_cause = SIZE_MAX;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < record->msg_count; i++) {
        const sim_msg *msg = &record->msgs[i];
        size_t cause;
        char detail[160];

        if (strcmp(msg->kind, "instance_create") != 0 ||
            strcmp(msg->from, "lb") != 0 || sim_request_seen(record, i)) {
            continue;
        }
        cause = sim_last_overload(record, i);
        if (cause != SIZE_MAX && cause == last_cause) {
            snprintf(detail, sizeof(detail),
                     "instance_create id=%" PRIu64
                     " answers the overload of %s at_us=%" PRId64
                     " a second time",
                     msg->request_id, record->msgs[cause].from,
                     record->msgs[cause].at_us);
            rc = sim_record_violation(record, msg->at_us, "single_scale_out",
                                      detail);
        }
        last_cause = cause;
    }
    return rc;
}

int sim_invariants_check_trace(sim_record *record, const lb_policy *policy,
                               sim_time_t end_us)
{
    int rc = sim_check_single_scale_out(record);

    if (rc == 0) {
        rc = sim_check_requests_answered(record, policy, end_us);
    }
    return rc;
}
