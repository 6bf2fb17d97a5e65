/* Statistics from NGINX and the load estimates made from them.
 *
 * An overload or low-load report is followed by a statistics request. The
 * reply splits the reporting instance's CPU over its tenants, in proportion
 * to their requests to each process, and estimates every other active
 * instance's CPU from its request count at the same cost per request. The
 * decision that requested the statistics then runs on those estimates. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

/* Fewest failed requests, and no request that succeeded, in one statistics
 * interval that count an instance as dropping. A single failure of a quiet
 * tenant is not enough to restart an instance.
 * NOTE: 3 is a judgment, not a measured rate; it is not a policy parameter. */
#define LB_LIVENESS_ERRORS_MIN 3

bool lb_tenant_on(const lb_controller *c, uint32_t tenant, uint32_t slot)
{
    const lb_tenant *t = &c->tenants[tenant];

    return t->used && (t->home == slot || t->guest_of == slot);
}

size_t lb_tenants_movable(const lb_controller *c, uint32_t slot,
                          uint32_t *out)
{
    size_t count = 0;

    for (size_t t = 0; t < c->tenant_cap; t++) {
        if (lb_tenant_on(c, (uint32_t)t, slot) &&
            c->tenants[t].moving_to == LB_NONE) {
            out[count++] = (uint32_t)t;
        }
    }
    return count;
}

/* Marks the tenants whose home failed and whose requests NGINX sent to
 * slot: they only stay there, and an overload may move them for good. */
static void lb_stats_find_guests(lb_controller *c, uint32_t slot,
                                 const lb_stats *stats)
{
    for (size_t t = 0; t < c->tenant_cap; t++) {
        if (c->tenants[t].guest_of == slot) {
            c->tenants[t].guest_of = LB_NONE;
        }
    }
    for (size_t r = 0; r < stats->row_count; r++) {
        const lb_stats_row *row = &stats->rows[r];
        uint32_t tenant = lb_tenant_find(c, row->tenant);
        if (tenant == LB_NONE || row->requests == 0 ||
            lb_instance_find(c, row->instance) != slot) {
            continue;
        }
        uint32_t home = c->tenants[tenant].home;
        if (home != LB_NONE && home != slot &&
            c->instances[home].state == LB_INSTANCE_FAILED) {
            c->tenants[tenant].guest_of = slot;
        }
    }
}

void lb_stats_request(lb_controller *c, uint32_t slot,
                      const lb_load_report *report, bool low_load)
{
    lb_instance *instance = &c->instances[slot];

    instance->cpu_permille = report->cpu_permille;
    memset(instance->process_cpu_permille, 0,
           sizeof instance->process_cpu_permille);
    for (size_t i = 0; i < report->process_count; i++) {
        const lb_process_cpu *process = &report->processes[i];
        if (process->component < c->component_count) {
            instance->process_cpu_permille[process->component] +=
                process->cpu_permille;
        }
    }
    instance->stats_pending = true;
    lb_request_send(c, LB_REQUEST_STATS, slot, low_load);
}

/* Estimates the CPU share of each tenant on slot from the statistics rows,
 * and of every other instance from its request count at the same cost per
 * request. Returns false when the rows hold no request to slot. */
static bool lb_stats_estimate_tenants(lb_controller *c, uint32_t slot,
                                 const lb_stats *stats)
{
    lb_instance *instance = &c->instances[slot];
    uint64_t requests_per_component[LB_COMPONENTS_MAX] = { 0 };
    uint64_t requests_total = 0;
    uint32_t process_total = 0;

    lb_stats_find_guests(c, slot, stats);
    for (size_t r = 0; r < stats->row_count; r++) {
        const lb_stats_row *row = &stats->rows[r];
        uint32_t tenant = lb_tenant_find(c, row->tenant);
        if (row->component >= c->component_count || tenant == LB_NONE ||
            !lb_tenant_on(c, tenant, slot) ||
            lb_instance_find(c, row->instance) != slot) {
            continue;
        }
        requests_per_component[row->component] += row->requests;
        requests_total += row->requests;
    }
    if (requests_total == 0) {
        return false;
    }
    for (size_t k = 0; k < c->component_count; k++) {
        process_total += instance->process_cpu_permille[k];
    }

    for (size_t t = 0; t < c->tenant_cap; t++) {
        if (lb_tenant_on(c, (uint32_t)t, slot)) {
            c->tenants[t].cpu_permille = 0;
        }
    }
    for (size_t r = 0; r < stats->row_count; r++) {
        const lb_stats_row *row = &stats->rows[r];
        uint32_t tenant = lb_tenant_find(c, row->tenant);
        if (row->component >= c->component_count || tenant == LB_NONE ||
            !lb_tenant_on(c, tenant, slot) ||
            lb_instance_find(c, row->instance) != slot) {
            continue;
        }
        if (row->requests == 0) {
            continue;
        }
        /* Without per-process CPU the whole instance's CPU is split over
         * all requests alike. */
        uint64_t share = process_total == 0
            ? (uint64_t)instance->cpu_permille * row->requests / requests_total
            : (uint64_t)instance->process_cpu_permille[row->component] *
                  row->requests / requests_per_component[row->component];
        c->tenants[tenant].cpu_permille += (uint32_t)share;
    }
    return true;
}

/* Sets the load estimate of instances other than slot from their request
 * counts, at the cost per request measured on slot. */
static void lb_stats_estimate_others(lb_controller *c, uint32_t slot,
                                        const lb_stats *stats)
{
    uint64_t requests_on_slot = 0;

    for (size_t r = 0; r < stats->row_count; r++) {
        if (lb_instance_find(c, stats->rows[r].instance) == slot) {
            requests_on_slot += stats->rows[r].requests;
        }
    }
    if (requests_on_slot == 0) {
        return;
    }
    for (size_t i = 0; i < c->instance_cap; i++) {
        lb_instance *other = &c->instances[i];
        if (i == slot || other->state != LB_INSTANCE_ACTIVE ||
            c->now_us < other->warmup_until_us) {
            continue;
        }
        uint64_t requests = 0;
        for (size_t r = 0; r < stats->row_count; r++) {
            if (lb_instance_find(c, stats->rows[r].instance) == i) {
                requests += stats->rows[r].requests;
            }
        }
        uint64_t cpu = (uint64_t)c->instances[slot].cpu_permille * requests /
                       requests_on_slot;
        other->cpu_permille = cpu > 1000 ? 1000 : (uint32_t)cpu;
    }
}

/* Splits the instance's CPU evenly when no statistics are usable. */
static void lb_stats_estimate_even(lb_controller *c, uint32_t slot)
{
    uint32_t *tenants = c->scratch;
    size_t count = lb_tenants_on(c, slot, tenants);

    for (size_t i = 0; i < count; i++) {
        c->tenants[tenants[i]].cpu_permille =
            c->instances[slot].cpu_permille / (uint32_t)count;
    }
}

/* Runs the decision that requested the statistics. */
static void lb_stats_decide(lb_controller *c, uint32_t slot, bool low_load)
{
    if (low_load) {
        lb_low_load_decide_checked(c, slot);
        return;
    }
    if (c->instances[slot].state != LB_INSTANCE_ACTIVE) {
        lb_log(c, LB_LOG_INFO, "decision",
               "action=none instance=%s reason=overload_ignored_%s",
               c->instances[slot].id,
               lb_instance_state_name(c->instances[slot].state));
        return;
    }
    lb_overload_decide(c, slot);
}

/* Treats an active instance whose requests all failed over the interval
 * like one that NGINX reports dropping: a crashed instance whose tenants
 * send too little to reach NGINX's dropping threshold is found this way. */
static void lb_stats_check_liveness(lb_controller *c, const lb_stats *stats)
{
    uint64_t *counts = calloc(2 * (c->instance_cap ? c->instance_cap : 1),
                              sizeof *counts);
    assert(counts != NULL && "statistics allocation failed");
    uint64_t *requests = counts;
    uint64_t *errors = counts + c->instance_cap;

    for (size_t r = 0; r < stats->row_count; r++) {
        uint32_t slot = lb_instance_find(c, stats->rows[r].instance);
        if (slot != LB_NONE) {
            requests[slot] += stats->rows[r].requests;
            errors[slot] += stats->rows[r].errors;
        }
    }
    for (size_t i = 0; i < c->instance_cap; i++) {
        lb_instance_state state = c->instances[i].state;
        if ((state != LB_INSTANCE_ACTIVE && state != LB_INSTANCE_DEGRADED) ||
            errors[i] < LB_LIVENESS_ERRORS_MIN || errors[i] < requests[i]) {
            continue;
        }
        lb_dropping_decide(c, (uint32_t)i, errors[i], stats->interval_us,
                           "stats_errors_only");
    }
    free(counts);
}

void lb_stats_check_deadlines(lb_controller *c)
{
    if (c->stats_next_at_us > c->now_us) {
        return;
    }
    c->stats_next_at_us = c->now_us + c->policy.stats_interval_us;
    if (lb_request_pending_kind(c, LB_REQUEST_STATS, LB_NONE)) {
        return;
    }
    lb_request *request = lb_request_send(c, LB_REQUEST_STATS, LB_NONE,
                                          false);
    lb_log(c, LB_LOG_DEBUG, "stats_poll", "id=%llu reason=liveness",
           (unsigned long long)request->id);
}

lb_time_t lb_stats_next_deadline(const lb_controller *c)
{
    return c->stats_next_at_us;
}

void lb_on_stats_reply(lb_controller *controller, const lb_stats *stats)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    const lb_request *request = lb_request_take(c, LB_REQUEST_STATS,
                                                stats->request_id,
                                                "stats_reply");
    if (request == NULL) {
        lb_input_end(c);
        return;
    }

    uint32_t slot = request->instance;
    bool low_load = request->low_load;
    lb_stats_check_liveness(c, stats);
    if (slot == LB_NONE) {
        lb_stats_keep(c, stats);
        lb_input_end(c);
        return;
    }

    lb_stats merged;
    lb_stats_row *rows = lb_stats_merge(c, stats, &merged);
    c->instances[slot].stats_pending = false;
    if (lb_stats_estimate_tenants(c, slot, &merged)) {
        lb_stats_estimate_others(c, slot, &merged);
    } else {
        lb_log(c, LB_LOG_WARN, "stats_empty",
               "instance=%s rows=%zu reason=no_requests_to_instance",
               c->instances[slot].id, merged.row_count);
        lb_stats_estimate_even(c, slot);
    }
    free(rows);
    lb_stats_drop(c);
    lb_stats_decide(c, slot, low_load);
    lb_input_end(c);
}

void lb_stats_given_up(lb_controller *c, uint32_t slot, bool low_load)
{
    if (slot == LB_NONE) {
        return;
    }
    c->instances[slot].stats_pending = false;
    lb_log(c, LB_LOG_WARN, "stats_unavailable",
           "instance=%s reason=stats_request_given_up", c->instances[slot].id);
    lb_stats_estimate_even(c, slot);
    lb_stats_decide(c, slot, low_load);
}
