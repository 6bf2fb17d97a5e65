/* Instance slots and their lifecycle: creation, boot, start, removal.
 *
 * A worker instance goes provisioning -> booting -> starting -> active when
 * the LB creates it, and restarting -> booting -> starting -> active after a
 * restart. Only active and degraded instances get requests. A running
 * instance that the controller did not plan for (a create whose reply was
 * lost) is adopted while that create is pending, and removed otherwise. */
#include "state.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

uint32_t lb_instance_find(const lb_controller *c, const char *id)
{
    if (id == NULL || id[0] == '\0') {
        return LB_NONE;
    }
    for (size_t i = 0; i < c->instance_cap; i++) {
        const lb_instance *instance = &c->instances[i];
        if (instance->state != LB_INSTANCE_FREE &&
            strcmp(instance->id, id) == 0) {
            return (uint32_t)i;
        }
    }
    return LB_NONE;
}

static void lb_instance_init_slot(lb_instance *instance)
{
    memset(instance, 0, sizeof *instance);
    instance->ready_deadline_us = LB_TIME_NEVER;
    instance->probe_at_us = LB_TIME_NEVER;
    instance->restart_retry_at_us = LB_TIME_NEVER;
    for (size_t k = 0; k < LB_COMPONENTS_MAX; k++) {
        instance->health[k].stable_at_us = LB_TIME_NEVER;
    }
}

uint32_t lb_instance_alloc(lb_controller *c)
{
    for (size_t i = 0; i < c->instance_cap; i++) {
        if (c->instances[i].state == LB_INSTANCE_FREE) {
            lb_instance_init_slot(&c->instances[i]);
            return (uint32_t)i;
        }
    }

    size_t cap = c->instance_cap ? c->instance_cap * 2 : 8;
    lb_instance *grown = realloc(c->instances, cap * sizeof *grown);
    if (grown == NULL) {
        return LB_NONE;
    }
    for (size_t i = c->instance_cap; i < cap; i++) {
        lb_instance_init_slot(&grown[i]);
    }
    c->instances = grown;
    uint32_t slot = (uint32_t)c->instance_cap;
    c->instance_cap = cap;
    return slot;
}

void lb_instance_free(lb_controller *c, uint32_t slot)
{
    assert(slot < c->instance_cap);

    lb_request_cancel_instance(c, slot);
    for (size_t t = 0; t < c->tenant_cap; t++) {
        lb_tenant *tenant = &c->tenants[t];
        assert(!tenant->used || tenant->moving_to != slot);
        if (tenant->used && tenant->home == slot) {
            tenant->home = LB_NONE;
        }
        if (tenant->used && tenant->guest_of == slot) {
            tenant->guest_of = LB_NONE;
        }
    }
    if (c->default_instance == slot) {
        c->default_instance = LB_NONE;
    }
    lb_instance_init_slot(&c->instances[slot]);
}

bool lb_instance_serves(const lb_controller *c, uint32_t slot,
                        uint32_t component)
{
    const lb_instance *instance = &c->instances[slot];

    if (instance->state != LB_INSTANCE_ACTIVE &&
        instance->state != LB_INSTANCE_DEGRADED) {
        return false;
    }
    return (instance->components & (1u << component)) != 0 &&
           !instance->health[component].avoided;
}

size_t lb_instance_count(const lb_controller *c)
{
    size_t count = 0;

    for (size_t i = 0; i < c->instance_cap; i++) {
        lb_instance_state state = c->instances[i].state;
        if (state != LB_INSTANCE_FREE && state != LB_INSTANCE_REMOVING) {
            count++;
        }
    }
    return count;
}

void lb_instance_remove(lb_controller *c, uint32_t slot, const char *reason)
{
    lb_instance *instance = &c->instances[slot];

    lb_request_cancel_instance(c, slot);
    lb_move_abandon(c, slot, 0);
    lb_log(c, LB_LOG_INFO, "decision",
           "action=remove instance=%s state=%s reason=%s",
           lb_instance_name(c, slot), lb_instance_state_name(instance->state),
           reason);
    instance->state = LB_INSTANCE_REMOVING;
    instance->ready_deadline_us = LB_TIME_NEVER;
    instance->stop_wait_routes = false;
    lb_request_send(c, LB_REQUEST_REMOVE, slot, false);
}

/* Returns whether id can name an instance, and logs a reply that names an
 * invalid one. */
static bool lb_instance_id_valid(lb_controller *c, const char *reply,
                                 const char *id)
{
    char text[LB_ID_LEN_MAX + 1];

    if (lb_id_printable(id)) {
        return true;
    }
    lb_log(c, LB_LOG_WARN, "reply_invalid",
           "reply=%s instance=%s reason=instance_id_not_1_to_%d_"
           "printable_bytes", reply, lb_log_escape(id, text, sizeof text),
           LB_ID_LEN_MAX);
    return false;
}

/* Removes an instance that runs but that the controller did not plan for. */
void lb_instance_remove_unknown(lb_controller *c, const char *id,
                                const char *reason)
{
    uint32_t slot = lb_instance_alloc(c);
    assert(slot != LB_NONE && "instance table allocation failed");

    snprintf(c->instances[slot].id, sizeof c->instances[slot].id, "%s", id);
    snprintf(c->instances[slot].address, sizeof c->instances[slot].address,
             "%s", id);
    lb_instance_remove(c, slot, reason);
}

/* Counts the tenants that live on slot or move to it. */
static size_t lb_instance_tenant_count(const lb_controller *c, uint32_t slot)
{
    size_t count = 0;

    for (size_t t = 0; t < c->tenant_cap; t++) {
        const lb_tenant *tenant = &c->tenants[t];
        count += tenant->used &&
                 (tenant->home == slot || tenant->moving_to == slot);
    }
    return count;
}

/* Makes the DFM of a freshly booted instance start its components. A new
 * instance left with no tenant (they were removed meanwhile) is removed
 * instead, unless instances_min needs it. */
static void lb_instance_start_components(lb_controller *c, uint32_t slot)
{
    lb_instance *instance = &c->instances[slot];

    if (instance->created_by_lb && lb_instance_tenant_count(c, slot) == 0 &&
        lb_instance_count(c) > c->policy.instances_min) {
        lb_instance_remove(c, slot, "no_tenants_to_move");
        return;
    }
    instance->state = LB_INSTANCE_STARTING;
    instance->probe_at_us = LB_TIME_NEVER;
    instance->ready_deadline_us = LB_TIME_NEVER;
    lb_log(c, LB_LOG_INFO, "decision",
           "action=start_components instance=%s reason=dfm_ready",
           lb_instance_name(c, slot));
    lb_move_send_start(c, slot, true);
}

static void lb_instance_boot(lb_controller *c, uint32_t slot)
{
    lb_instance *instance = &c->instances[slot];

    instance->state = LB_INSTANCE_BOOTING;
    instance->ready_deadline_us = c->now_us + c->policy.ready_timeout_us;
    instance->probe_at_us = c->policy.ready_probe_us > 0
                                ? c->now_us + c->policy.ready_probe_us
                                : LB_TIME_NEVER;
}

void lb_instance_start_given_up(lb_controller *c, uint32_t slot,
                                lb_request_id id)
{
    lb_instance *instance = &c->instances[slot];

    if (instance->state == LB_INSTANCE_BOOTING) {
        /* A probe found no DFM yet: wait for its ready, and probe again. */
        instance->probe_at_us = c->now_us + c->policy.ready_probe_us;
        lb_log(c, LB_LOG_INFO, "ready_probe_unanswered",
               "instance=%s id=%llu next_probe_us=%lld", instance->id,
               (unsigned long long)id, (long long)c->policy.ready_probe_us);
        return;
    }
    if (instance->state != LB_INSTANCE_STARTING) {
        lb_move_abandon(c, slot, id);
        return;
    }
    if (instance->created_by_lb) {
        lb_instance_remove(c, slot, "components_start_failed");
        lb_scale_out_failed(c, "components_start_failed");
    } else {
        lb_instance_fail(c, slot, "components_start_failed");
    }
}

/* Sends components_start to a booting instance whose dfm_ready has not
 * come, because the DFM sends that notification once, and a DFM that
 * replies to the start is up. The instance stays booting until the reply. */
static void lb_instance_probe(lb_controller *c, uint32_t slot)
{
    lb_instance *instance = &c->instances[slot];

    instance->probe_at_us = LB_TIME_NEVER;
    if (lb_request_pending_kind(c, LB_REQUEST_START, slot)) {
        return;
    }
    lb_log(c, LB_LOG_INFO, "decision",
           "action=start_components instance=%s waited_us=%lld "
           "reason=dfm_ready_missing",
           instance->id, (long long)c->policy.ready_probe_us);
    lb_move_send_start(c, slot, true);
}

static void lb_instance_ready_timeout(lb_controller *c, uint32_t slot)
{
    lb_instance *instance = &c->instances[slot];

    lb_log(c, LB_LOG_WARN, "ready_timeout", "instance=%s waited_us=%lld",
           instance->id, (long long)c->policy.ready_timeout_us);
    if (instance->created_by_lb) {
        lb_instance_remove(c, slot, "ready_timeout");
        lb_scale_out_failed(c, "ready_timeout");
    } else {
        lb_instance_fail(c, slot, "ready_timeout");
    }
}

void lb_instances_check_deadlines(lb_controller *c)
{
    for (size_t i = 0; i < c->instance_cap; i++) {
        lb_instance *instance = &c->instances[i];
        uint32_t slot = (uint32_t)i;
        if (instance->state == LB_INSTANCE_BOOTING &&
            instance->ready_deadline_us <= c->now_us) {
            lb_instance_ready_timeout(c, slot);
        } else if (instance->state == LB_INSTANCE_BOOTING &&
                   instance->probe_at_us <= c->now_us) {
            lb_instance_probe(c, slot);
        } else if (instance->state == LB_INSTANCE_FAILED &&
                   instance->restart_retry_at_us <= c->now_us) {
            lb_log(c, LB_LOG_INFO, "decision",
                   "action=restart instance=%s failures=%u "
                   "reason=failed_retry",
                   instance->id, instance->restart_failures);
            lb_instance_restart(c, slot);
        }
    }
    lb_instances_keep_min(c);
}

lb_time_t lb_instances_next_deadline(const lb_controller *c)
{
    lb_time_t next_us = LB_TIME_NEVER;

    for (size_t i = 0; i < c->instance_cap; i++) {
        const lb_instance *instance = &c->instances[i];
        lb_time_t due_us = LB_TIME_NEVER;
        if (instance->state == LB_INSTANCE_BOOTING) {
            due_us = instance->ready_deadline_us < instance->probe_at_us
                         ? instance->ready_deadline_us
                         : instance->probe_at_us;
        } else if (instance->state == LB_INSTANCE_FAILED) {
            due_us = instance->restart_retry_at_us;
        }
        if (due_us < next_us) {
            next_us = due_us;
        }
    }
    /* lb_instances_keep_min runs at this wake-up and creates, so a due
     * time in the past wakes the controller once. */
    if (c->foreign_known &&
        lb_instance_count(c) < c->policy.instances_min &&
        c->scale_out_retry_at_us < next_us) {
        next_us = c->scale_out_retry_at_us;
    }
    return next_us;
}

/* Replies from the provider. */

void lb_on_instance_created(lb_controller *controller, lb_request_id id,
                            const char *instance, const char *address)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    if (!lb_instance_id_valid(c, "instance_created", instance)) {
        lb_input_end(c);
        return;
    }
    const lb_request *request = lb_request_take(c, LB_REQUEST_CREATE, id,
                                                "instance_created");
    if (request == NULL) {
        /* A create given up earlier succeeded after all, or an adopted
         * instance's create made a second one: neither is wanted. */
        if (c->orphans_possible > 0) {
            c->orphans_possible--;
        }
        if (lb_instance_find(c, instance) == LB_NONE) {
            lb_instance_remove_unknown(c, instance, "created_unplanned");
        }
        lb_input_end(c);
        return;
    }

    lb_instance *created = &c->instances[request->instance];
    snprintf(created->id, sizeof created->id, "%s", instance);
    snprintf(created->address, sizeof created->address, "%s",
             address ? address : instance);
    lb_log(c, LB_LOG_INFO, "instance_created", "instance=%s address=%s",
           created->id, created->address);
    lb_instance_boot(c, request->instance);
    lb_input_end(c);
}

void lb_on_instance_create_failed(lb_controller *controller, lb_request_id id,
                                  const char *reason)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    const lb_request *request = lb_request_take(c, LB_REQUEST_CREATE, id,
                                          "instance_create_failed");
    if (request != NULL) {
        uint32_t slot = request->instance;
        char text[256];
        lb_log(c, LB_LOG_WARN, "decision",
               "action=abandon_scale_out id=%llu reason=create_failed "
               "detail=\"%s\"",
               (unsigned long long)id, lb_log_escape(reason, text, sizeof text));
        lb_move_abandon(c, slot, 0);
        lb_instance_free(c, slot);
        lb_scale_out_failed(c, "create_failed");
    }
    lb_input_end(c);
}

void lb_on_instance_removed(lb_controller *controller, lb_request_id id,
                            const char *instance)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    (void)instance;
    const lb_request *request = lb_request_take(c, LB_REQUEST_REMOVE, id,
                                          "instance_removed");
    if (request != NULL) {
        lb_log(c, LB_LOG_INFO, "instance_removed", "instance=%s",
               lb_instance_name(c, request->instance));
        lb_instance_free(c, request->instance);
    }
    lb_input_end(c);
}

/* A failed reply to a request worth repeating goes through the retries. */
static void lb_request_failed_reply(lb_controller *c, lb_request_kind kind,
                                    lb_request_id id, const char *reply,
                                    const char *reason)
{
    lb_input_begin(c);
    lb_request *request = lb_request_find(c, kind, id, reply);
    if (request != NULL) {
        char text[256];
        lb_log(c, LB_LOG_WARN, reply, "id=%llu reason=\"%s\"",
               (unsigned long long)id, lb_log_escape(reason, text, sizeof text));
        lb_request_retry_or_fail(c, request, reply);
    }
    lb_input_end(c);
}

void lb_on_instance_remove_failed(lb_controller *controller, lb_request_id id,
                                  const char *reason)
{
    lb_request_failed_reply(controller, LB_REQUEST_REMOVE, id,
                            "instance_remove_failed", reason);
}

void lb_on_instance_restarted(lb_controller *controller, lb_request_id id,
                              const char *instance)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    const lb_request *request = lb_request_take(c, LB_REQUEST_RESTART, id,
                                          "instance_restarted");
    if (request != NULL) {
        uint32_t slot = request->instance;
        (void)instance;
        lb_log(c, LB_LOG_INFO, "instance_restarted", "instance=%s",
               lb_instance_name(c, slot));
        lb_instance_boot(c, slot);
    }
    lb_input_end(c);
}

void lb_on_instance_restart_failed(lb_controller *controller, lb_request_id id,
                                   const char *reason)
{
    lb_request_failed_reply(controller, LB_REQUEST_RESTART, id,
                            "instance_restart_failed", reason);
}

/* DFM notifications. */

static void lb_dfm_ready_unknown(lb_controller *c, const char *id)
{
    for (size_t i = 0; i < c->instance_cap; i++) {
        lb_instance *instance = &c->instances[i];
        if (instance->state != LB_INSTANCE_PROVISIONING) {
            continue;
        }
        /* The create's reply was lost or is late: adopt this instance. */
        snprintf(instance->id, sizeof instance->id, "%s", id);
        snprintf(instance->address, sizeof instance->address, "%s", id);
        for (size_t r = 0; r < c->request_cap; r++) {
            lb_request *request = &c->requests[r];
            if (request->used && request->kind == LB_REQUEST_CREATE &&
                request->instance == i) {
                lb_log_request_closed(c, "instance_create", request->id,
                                      "adopted");
                request->used = false;
                lb_done_remember(c, request->id);
            }
        }
        lb_log(c, LB_LOG_INFO, "decision",
               "action=adopt instance=%s reason=dfm_ready_while_creating",
               id);

        /* The ready may come from another instance than the one this
         * create made, and that one would run unknown if its reply is lost
         * too: a listing finds it. */
        c->orphans_possible++;
        lb_listing_request(c);
        lb_instance_start_components(c, (uint32_t)i);
        return;
    }

    if (lb_foreign(c, id)) {
        lb_log(c, LB_LOG_WARN, "dfm_ready_ignored",
               "instance=%s reason=foreign_instance", id);
        return;
    }
    if (c->orphans_possible > 0) {
        c->orphans_possible--;
    }
    lb_instance_remove_unknown(c, id, "unknown_instance_ready");
}

/* Closes the pending restart request of slot, whose reply is no longer
 * needed. */
static void lb_instance_close_restart(lb_controller *c, uint32_t slot)
{
    for (size_t r = 0; r < c->request_cap; r++) {
        lb_request *request = &c->requests[r];
        if (request->used && request->kind == LB_REQUEST_RESTART &&
            request->instance == slot) {
            lb_log_request_closed(c, "instance_restart", request->id,
                                  "superseded");
            request->used = false;
            lb_done_remember(c, request->id);
        }
    }
}

void lb_on_dfm_ready(lb_controller *controller, const char *instance)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    if (!lb_instance_id_valid(c, "dfm_ready", instance)) {
        lb_input_end(c);
        return;
    }
    uint32_t slot = lb_instance_find(c, instance);
    if (slot == LB_NONE) {
        lb_dfm_ready_unknown(c, instance);
        lb_input_end(c);
        return;
    }

    lb_instance *known = &c->instances[slot];
    switch (known->state) {
    case LB_INSTANCE_BOOTING:
        if (lb_request_pending_kind(c, LB_REQUEST_START, slot)) {
            /* A probe is out already and carries the tenants. */
            known->state = LB_INSTANCE_STARTING;
            known->probe_at_us = LB_TIME_NEVER;
            break;
        }
        lb_instance_start_components(c, slot);
        break;
    case LB_INSTANCE_FAILED:
        /* It booted after all, later than ready_timeout_us: use it. */
        lb_log(c, LB_LOG_INFO, "dfm_ready_late", "instance=%s", instance);
        lb_instance_start_components(c, slot);
        break;
    case LB_INSTANCE_RESTARTING:
        /* The DFM booted, so the restart is done even if its reply is
         * late or lost. */
        lb_log(c, LB_LOG_INFO, "decision",
               "action=restart_done instance=%s reason=dfm_ready_while_"
               "restarting", instance);
        lb_instance_close_restart(c, slot);
        lb_instance_start_components(c, slot);
        break;
    case LB_INSTANCE_ACTIVE:
    case LB_INSTANCE_DEGRADED:
        /* The DFM came back by itself: make sure its components run with
         * their tenants; starting running components is harmless. */
        lb_log(c, LB_LOG_WARN, "dfm_ready_unexpected", "instance=%s state=%s",
               instance, lb_instance_state_name(known->state));
        if (!lb_request_pending_kind(c, LB_REQUEST_START, slot)) {
            lb_request_send(c, LB_REQUEST_START, slot, true);
        }
        break;
    default:
        lb_log(c, LB_LOG_INFO, "dfm_ready_ignored", "instance=%s state=%s",
               instance, lb_instance_state_name(known->state));
        break;
    }
    lb_input_end(c);
}

static void lb_instance_activate(lb_controller *c, uint32_t slot)
{
    lb_instance *instance = &c->instances[slot];

    instance->state = LB_INSTANCE_ACTIVE;
    instance->warmup_until_us = c->now_us + c->policy.warmup_us;
    if (instance->restarted) {
        /* Requests sent to it while it restarted may still time out. */
        instance->dropping_quiet_until_us =
            c->now_us + c->policy.dropping_grace_us;
    }
    instance->probe_at_us = LB_TIME_NEVER;
    instance->restart_failures = 0;
    instance->restart_retry_at_us = LB_TIME_NEVER;
    for (size_t k = 0; k < LB_COMPONENTS_MAX; k++) {
        instance->health[k].down = false;
        instance->health[k].avoided = false;
        instance->health[k].stable_at_us = LB_TIME_NEVER;
    }
    if (instance->created_by_lb) {
        c->scale_in_quiet_until_us = c->now_us + c->policy.scale_in_cooldown_us;
        c->scale_out_failures = 0;
    }
    lb_log(c, LB_LOG_INFO, "decision",
           "action=activate instance=%s warmup_us=%lld reason=components_started",
           instance->id, (long long)c->policy.warmup_us);
    lb_routes_change(c);
    lb_tenants_place_waiting(c);
}

/* A components_start requests every component of the instance, so its
 * reply means that each of them runs, even one reported down before. */
static void lb_instance_components_up(lb_controller *c, uint32_t slot)
{
    for (uint32_t k = 0; k < c->component_count; k++) {
        if (c->instances[slot].health[k].down) {
            lb_component_mark_up(c, slot, k, "components_started");
        }
    }
}

void lb_on_components_started(lb_controller *controller, lb_request_id id,
                              const char *instance)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    const lb_request *request = lb_request_take(c, LB_REQUEST_START, id,
                                          "components_started");
    if (request == NULL) {
        lb_input_end(c);
        return;
    }

    uint32_t slot = request->instance;
    if (instance != NULL && strcmp(instance, c->instances[slot].id) != 0) {
        char text[LB_ID_LEN_MAX + 1];
        lb_log(c, LB_LOG_WARN, "reply_instance_mismatch",
               "reply=components_started id=%llu instance=%s expected=%s",
               (unsigned long long)id,
               lb_log_escape(instance, text, sizeof text),
               c->instances[slot].id);
    }
    lb_instance_state state = c->instances[slot].state;
    if (state == LB_INSTANCE_STARTING || state == LB_INSTANCE_BOOTING) {
        lb_instance_activate(c, slot);
    } else if (state == LB_INSTANCE_ACTIVE || state == LB_INSTANCE_DEGRADED) {
        lb_instance_components_up(c, slot);
    }
    lb_move_started(c, id, slot);
    lb_input_end(c);
}

void lb_on_components_start_failed(lb_controller *controller, lb_request_id id,
                                   const char *instance, const char *reason)
{
    (void)instance;
    lb_request_failed_reply(controller, LB_REQUEST_START, id,
                            "components_start_failed", reason);
}

void lb_on_components_stopped(lb_controller *controller, lb_request_id id,
                              const char *instance, uint64_t requests_killed)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    const lb_request *request = lb_request_take(c, LB_REQUEST_STOP, id,
                                          "components_stopped");
    if (request != NULL) {
        (void)instance;
        lb_log(c, LB_LOG_INFO, "components_stopped",
               "instance=%s requests_killed=%llu",
               lb_instance_name(c, request->instance),
               (unsigned long long)requests_killed);
        lb_drain_stopped(c, request->instance, "components_stopped");
    }
    lb_input_end(c);
}
