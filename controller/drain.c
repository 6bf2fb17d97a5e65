/* Low load: draining an instance and removing it.
 *
 * A low-load report leads to a removal only when the other active instances
 * can take all of the instance's tenants while each stays under
 * overload_cpu_permille minus headroom_cpu_permille, and instances_min still
 * holds. The steps: request statistics to estimate every instance's load,
 * move the tenants (their components start on the receivers), send a table
 * without the instance, and once NGINX applied it, stop the instance's
 * components gracefully, then remove it. One removal at a time. */
#include "state.h"

#include <assert.h>
#include <stdlib.h>

static const char *lb_low_load_blocked(const lb_controller *c, uint32_t slot)
{
    const lb_instance *instance = &c->instances[slot];

    if (instance->state != LB_INSTANCE_ACTIVE) {
        return lb_instance_state_name(instance->state);
    }
    if (instance->stats_pending) {
        return "stats_pending";
    }
    if (c->now_us < instance->warmup_until_us) {
        return "warmup";
    }
    if (c->now_us < c->scale_in_quiet_until_us) {
        return "cooldown";
    }
    if (lb_scale_out_in_flight(c)) {
        return "scale_out_in_flight";
    }
    for (size_t i = 0; i < c->instance_cap; i++) {
        lb_instance_state state = c->instances[i].state;
        if (state == LB_INSTANCE_DRAINING || state == LB_INSTANCE_REMOVING) {
            return "removal_in_progress";
        }
    }
    for (size_t t = 0; t < c->tenant_cap; t++) {
        const lb_tenant *tenant = &c->tenants[t];
        if (tenant->used && (tenant->moving_to == slot ||
                             (tenant->home == slot &&
                              tenant->moving_to != LB_NONE))) {
            return "move_in_progress";
        }
    }
    if (lb_instance_count(c) <= c->policy.instances_min) {
        return "instances_min";
    }
    return NULL;
}

/* Scales the tenants' estimates so that they add up to the reported CPU. */
static void lb_low_load_estimate(lb_controller *c, const uint32_t *tenants,
                                 size_t count, uint32_t cpu_permille)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < count; i++) {
        sum += c->tenants[tenants[i]].cpu_permille;
    }
    for (size_t i = 0; i < count; i++) {
        lb_tenant *tenant = &c->tenants[tenants[i]];
        tenant->cpu_permille = sum == 0
            ? cpu_permille / (uint32_t)count
            : (uint32_t)((uint64_t)tenant->cpu_permille * cpu_permille / sum);
    }
}

/* Assigns every tenant, largest first, to the receiver with the most room.
 * Returns false when one does not fit anywhere. */
static bool lb_low_load_plan(const lb_controller *c, uint32_t slot,
                             const uint32_t *tenants, size_t count,
                             uint32_t *receiver_of)
{
    uint32_t limit = c->policy.overload_cpu_permille -
                     c->policy.headroom_cpu_permille;
    uint32_t *load = calloc(c->instance_cap, sizeof *load);
    assert(load != NULL && "drain plan allocation failed");

    for (size_t i = 0; i < c->instance_cap; i++) {
        load[i] = c->instances[i].cpu_permille;
    }
    bool fits = true;
    for (size_t n = 0; n < count && fits; n++) {
        uint32_t cpu = c->tenants[tenants[n]].cpu_permille;
        uint32_t best = LB_NONE;
        for (size_t i = 0; i < c->instance_cap; i++) {
            const lb_instance *other = &c->instances[i];
            if (i == slot || other->state != LB_INSTANCE_ACTIVE ||
                c->now_us < other->warmup_until_us ||
                (c->instances[slot].components & ~other->components) != 0 ||
                load[i] + cpu > limit) {
                continue;
            }
            if (best == LB_NONE || load[i] < load[best]) {
                best = (uint32_t)i;
            }
        }
        fits = best != LB_NONE;
        if (fits) {
            load[best] += cpu;
            receiver_of[n] = best;
        }
    }
    free(load);
    return fits;
}

/* Starts moving each receiver's share of the tenants. */
static void lb_drain_begin(lb_controller *c, const uint32_t *tenants,
                           size_t count, const uint32_t *receiver_of)
{
    uint32_t *group = malloc((count ? count : 1) * sizeof *group);
    assert(group != NULL && "drain allocation failed");

    for (size_t i = 0; i < c->instance_cap; i++) {
        size_t group_count = 0;
        for (size_t n = 0; n < count; n++) {
            if (receiver_of[n] == i) {
                group[group_count++] = tenants[n];
            }
        }
        if (group_count > 0) {
            lb_move_begin(c, (uint32_t)i, group, group_count);
        }
    }
    free(group);
}

static void lb_low_load_decide(lb_controller *c, uint32_t slot)
{
    char list[512];
    size_t count = lb_tenants_on(c, slot, c->scratch);
    uint32_t *tenants = malloc((count ? count : 1) * 2 * sizeof *tenants);
    assert(tenants != NULL && "drain allocation failed");
    uint32_t *receiver_of = tenants + (count ? count : 1);

    for (size_t n = 0; n < count; n++) {
        tenants[n] = c->scratch[n];
    }
    lb_low_load_estimate(c, tenants, count, c->instances[slot].cpu_permille);
    lb_tenants_sort_by_cpu(c, tenants, count);
    lb_log_tenants(c, tenants, count, list, sizeof list);

    if (!lb_low_load_plan(c, slot, tenants, count, receiver_of)) {
        lb_log(c, LB_LOG_INFO, "decision",
               "action=none instance=%s tenants=%s cpu_permille=%u "
               "reason=no_headroom",
               c->instances[slot].id, list, c->instances[slot].cpu_permille);
        free(tenants);
        return;
    }

    lb_log(c, LB_LOG_INFO, "decision",
           "action=drain instance=%s tenants=%s cpu_permille=%u "
           "reason=low_load",
           c->instances[slot].id, list, c->instances[slot].cpu_permille);
    c->instances[slot].state = LB_INSTANCE_DRAINING;
    lb_drain_begin(c, tenants, count, receiver_of);
    free(tenants);
    lb_drain_moves_done(c, slot);
}

void lb_on_low_load(lb_controller *controller, const lb_load_report *report)
{
    lb_controller *c = controller;

    char text[LB_ID_LEN_MAX + 1];

    lb_input_begin(c);
    uint32_t slot = lb_instance_find(c, report->instance);
    const char *blocked = slot == LB_NONE ? "unknown_instance"
                                          : lb_low_load_blocked(c, slot);
    if (blocked != NULL) {
        lb_log(c, LB_LOG_INFO, "decision",
               "action=none instance=%s cpu_permille=%u "
               "reason=low_load_ignored_%s",
               lb_log_escape(report->instance, text, sizeof text),
               report->cpu_permille, blocked);
        lb_input_end(c);
        return;
    }

    lb_log(c, LB_LOG_INFO, "decision",
           "action=stats_request instance=%s cpu_permille=%u window_us=%lld "
           "reason=low_load",
           report->instance, report->cpu_permille,
           (long long)report->window_us);
    lb_stats_request(c, slot, report, true);
    lb_input_end(c);
}

void lb_low_load_decide_checked(lb_controller *c, uint32_t slot)
{
    const char *blocked = lb_low_load_blocked(c, slot);

    if (blocked != NULL) {
        lb_log(c, LB_LOG_INFO, "decision",
               "action=none instance=%s cpu_permille=%u "
               "reason=low_load_ignored_%s",
               c->instances[slot].id, c->instances[slot].cpu_permille,
               blocked);
        return;
    }
    lb_low_load_decide(c, slot);
}

void lb_drain_moves_done(lb_controller *c, uint32_t slot)
{
    lb_instance *instance = &c->instances[slot];

    if (instance->state != LB_INSTANCE_DRAINING || instance->stop_wait_routes) {
        return;
    }
    for (size_t t = 0; t < c->tenant_cap; t++) {
        if (c->tenants[t].used && c->tenants[t].home == slot) {
            return;
        }
    }
    instance->stop_wait_routes = true;
    instance->stop_routes_version = 0;
    lb_routes_change(c);
}

void lb_drain_routes_applied(lb_controller *c)
{
    for (size_t i = 0; i < c->instance_cap; i++) {
        lb_instance *instance = &c->instances[i];
        if (instance->state != LB_INSTANCE_DRAINING ||
            !instance->stop_wait_routes || instance->stop_routes_version == 0 ||
            c->routes_applied_version < instance->stop_routes_version) {
            continue;
        }
        instance->stop_wait_routes = false;
        instance->stop_sent = true;
        lb_log(c, LB_LOG_INFO, "decision",
               "action=stop instance=%s grace_us=%lld reason=routes_applied",
               instance->id, (long long)c->policy.stop_grace_us);
        lb_request_send(c, LB_REQUEST_STOP, (uint32_t)i, false);
    }
}

void lb_drain_stopped(lb_controller *c, uint32_t slot, const char *reason)
{
    if (c->instances[slot].state != LB_INSTANCE_DRAINING) {
        lb_log(c, LB_LOG_INFO, "reply_stale", "reply=components_stopped "
               "instance=%s state=%s", c->instances[slot].id,
               lb_instance_state_name(c->instances[slot].state));
        return;
    }
    c->scale_in_quiet_until_us = c->now_us + c->policy.scale_in_cooldown_us;
    lb_instance_remove(c, slot, reason);
}
