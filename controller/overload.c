/* Overload of an instance: which tenants to move, and where.
 *
 * On a DFM overload report the controller requests per-tenant request
 * counts from NGINX, which give each tenant's share of the instance's CPU
 * (see stats.c). The fewest tenants whose shares bring the instance down to
 * target_cpu_permille move, largest first, to an existing instance with room
 * or else to a new one. One scale-out at a time, and an instance that just
 * shed tenants ignores overload reports for overload_cooldown_us. */
#include "state.h"

#include <assert.h>
#include <string.h>

static bool lb_overload_ignored(lb_controller *c, uint32_t slot,
                                const char *id)
{
    const char *reason = NULL;
    const lb_instance *instance = slot == LB_NONE ? NULL : &c->instances[slot];

    if (instance == NULL) {
        reason = "unknown_instance";
    } else if (instance->state != LB_INSTANCE_ACTIVE) {
        reason = lb_instance_state_name(instance->state);
    } else if (c->now_us < instance->warmup_until_us) {
        reason = "warmup";
    } else if (c->now_us < instance->overload_quiet_until_us) {
        reason = "cooldown";
    } else if (instance->stats_pending) {
        reason = "stats_pending";
    } else {
        for (size_t t = 0; t < c->tenant_cap; t++) {
            const lb_tenant *tenant = &c->tenants[t];
            if (tenant->used && tenant->home == slot &&
                tenant->moving_to != LB_NONE) {
                reason = "move_in_progress";
                break;
            }
        }
    }
    if (reason == NULL) {
        return false;
    }
    lb_log(c, LB_LOG_INFO, "decision",
           "action=none instance=%s reason=overload_ignored_%s", id, reason);
    return true;
}

void lb_on_overload(lb_controller *controller, const lb_load_report *report)
{
    lb_controller *c = controller;

    char text[LB_ID_LEN_MAX + 1];

    lb_input_begin(c);
    uint32_t slot = lb_instance_find(c, report->instance);
    if (lb_overload_ignored(c, slot,
                            lb_log_escape(report->instance, text,
                                          sizeof text))) {
        lb_input_end(c);
        return;
    }

    lb_log(c, LB_LOG_INFO, "decision",
           "action=stats_request instance=%s cpu_permille=%u window_us=%lld "
           "reason=overload",
           report->instance, report->cpu_permille,
           (long long)report->window_us);
    lb_stats_request(c, slot, report, false);
    lb_input_end(c);
}

/* Returns whether tenant a goes before b: larger CPU estimate first, then
 * by id so that equal estimates keep a fixed order. */
static bool lb_tenant_before(const lb_tenant *a, const lb_tenant *b)
{
    if (a->cpu_permille != b->cpu_permille) {
        return a->cpu_permille > b->cpu_permille;
    }
    return strcmp(a->id, b->id) < 0;
}

void lb_tenants_sort_by_cpu(const lb_controller *c, uint32_t *tenants,
                            size_t count)
{
    /* Insertion sort: qsort takes no context pointer, and the lists are
     * the tenants of one instance. */
    for (size_t i = 1; i < count; i++) {
        uint32_t moving = tenants[i];
        size_t j = i;
        while (j > 0 &&
               lb_tenant_before(&c->tenants[moving], &c->tenants[tenants[j - 1]])) {
            tenants[j] = tenants[j - 1];
            j--;
        }
        tenants[j] = moving;
    }
}

/* Picks the fewest tenants, largest first, whose move brings slot down to
 * the target; at least one tenant stays. Returns how many, in c->scratch,
 * and their total CPU in moved_permille. */
static size_t lb_overload_choose(lb_controller *c, uint32_t slot,
                                 uint32_t *moved_permille)
{
    uint32_t *tenants = c->scratch;
    size_t count = lb_tenants_movable(c, slot, tenants);
    uint32_t cpu_permille = c->instances[slot].cpu_permille;
    size_t chosen = 0;

    lb_tenants_sort_by_cpu(c, tenants, count);
    *moved_permille = 0;
    while (chosen + 1 < count &&
           cpu_permille - *moved_permille > c->policy.target_cpu_permille &&
           c->tenants[tenants[chosen]].cpu_permille > 0) {
        *moved_permille += c->tenants[tenants[chosen]].cpu_permille;
        if (*moved_permille > cpu_permille) {
            *moved_permille = cpu_permille;
        }
        chosen++;
    }
    return chosen;
}

static void lb_overload_scale_out(lb_controller *c, uint32_t slot,
                                  size_t chosen, const char *list,
                                  uint32_t moved_permille)
{
    const char *blocked = NULL;

    if (lb_scale_out_in_flight(c)) {
        blocked = "scale_out_in_flight";
    } else if (lb_scale_out_backoff(c)) {
        blocked = "scale_out_backoff";
    } else if (lb_instance_count(c) >= c->policy.instances_max) {
        blocked = "instances_max";
    }
    if (blocked != NULL) {
        lb_log(c, LB_LOG_INFO, "decision",
               "action=none instance=%s tenants=%s cpu_permille=%u "
               "moved_cpu_permille=%u reason=%s",
               c->instances[slot].id, list, c->instances[slot].cpu_permille,
               moved_permille, blocked);
        return;
    }

    uint32_t created = lb_instance_alloc(c);
    assert(created != LB_NONE && "instance table allocation failed");
    lb_instance *instance = &c->instances[created];
    instance->state = LB_INSTANCE_PROVISIONING;
    instance->created_by_lb = true;
    instance->components = c->instances[slot].components;

    lb_log(c, LB_LOG_INFO, "decision",
           "action=scale_out instance=%s tenants=%s cpu_permille=%u "
           "moved_cpu_permille=%u instance_type=%s reason=overload",
           c->instances[slot].id, list, c->instances[slot].cpu_permille,
           moved_permille, c->policy.instance_type);
    lb_move_begin(c, created, c->scratch, chosen);
    lb_request_send(c, LB_REQUEST_CREATE, created, false);
}

void lb_overload_decide(lb_controller *c, uint32_t slot)
{
    char list[512];
    uint32_t moved_permille = 0;
    size_t chosen = lb_overload_choose(c, slot, &moved_permille);

    if (chosen == 0) {
        lb_log(c, LB_LOG_INFO, "decision",
               "action=none instance=%s cpu_permille=%u "
               "reason=no_tenant_to_move",
               c->instances[slot].id, c->instances[slot].cpu_permille);
        return;
    }
    lb_log_tenants(c, c->scratch, chosen, list, sizeof list);

    uint32_t target = lb_place_choose(c, slot, c->instances[slot].components,
                                      moved_permille,
                                      c->policy.target_cpu_permille);
    if (target == LB_NONE) {
        lb_overload_scale_out(c, slot, chosen, list, moved_permille);
        return;
    }
    lb_log(c, LB_LOG_INFO, "decision",
           "action=move instance=%s to=%s tenants=%s cpu_permille=%u "
           "moved_cpu_permille=%u to_cpu_permille=%u reason=overload",
           c->instances[slot].id, c->instances[target].id, list,
           c->instances[slot].cpu_permille, moved_permille,
           c->instances[target].cpu_permille);
    lb_move_begin(c, target, c->scratch, chosen);
}
