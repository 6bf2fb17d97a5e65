/* Tenants: where each one lives, and placing new ones.
 *
 * A tenant created by DEV on some instance is placed there when that
 * instance has room by its load estimate, else on the least loaded instance
 * with room. Either way its components start with it before it gets
 * explicit routes, and until then the default route carries its requests. */
#include "state.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int lb_tenants_grow(lb_controller *c)
{
    size_t cap = c->tenant_cap ? c->tenant_cap * 2 : 16;
    lb_tenant *grown = realloc(c->tenants, cap * sizeof *grown);
    if (grown == NULL) {
        return -1;
    }
    c->tenants = grown;
    memset(grown + c->tenant_cap, 0, (cap - c->tenant_cap) * sizeof *grown);

    uint32_t *scratch = realloc(c->scratch, cap * sizeof *scratch);
    if (scratch == NULL) {
        return -1;
    }
    c->scratch = scratch;
    c->tenant_cap = cap;
    return 0;
}

uint32_t lb_tenant_alloc(lb_controller *c, const char *id)
{
    size_t slot = c->tenant_free_hint;

    while (slot < c->tenant_cap && c->tenants[slot].used) {
        slot++;
    }
    c->tenant_free_hint = slot + 1;
    if (slot == c->tenant_cap && lb_tenants_grow(c) != 0) {
        return LB_NONE;
    }

    lb_tenant *tenant = &c->tenants[slot];
    memset(tenant, 0, sizeof *tenant);
    tenant->used = true;
    snprintf(tenant->id, sizeof tenant->id, "%s", id);
    tenant->home = LB_NONE;
    tenant->moving_to = LB_NONE;
    tenant->guest_of = LB_NONE;
    tenant->cpu_permille = c->policy.tenant_new_cpu_permille;
    lb_tenant_index_add(c, (uint32_t)slot);
    return (uint32_t)slot;
}

uint32_t lb_place_choose(const lb_controller *c, uint32_t except,
                         lb_component_mask components, uint32_t cpu_permille,
                         uint32_t cpu_limit_permille)
{
    uint32_t best = LB_NONE;

    /* Only active instances past their warm-up take tenants: a draining,
     * starting or degraded one never does, and a warming one has no load
     * estimate yet. */
    for (size_t i = 0; i < c->instance_cap; i++) {
        const lb_instance *instance = &c->instances[i];
        if (i == except || instance->state != LB_INSTANCE_ACTIVE ||
            instance->warmup_until_us > c->now_us ||
            (components & ~instance->components) != 0) {
            continue;
        }
        if (instance->cpu_permille + cpu_permille > cpu_limit_permille) {
            continue;
        }
        if (best == LB_NONE ||
            instance->cpu_permille < c->instances[best].cpu_permille) {
            best = (uint32_t)i;
        }
    }
    return best;
}

/* Returns the active instance with the lowest load estimate, warming or not,
 * or LB_NONE. */
static uint32_t lb_least_loaded_active(const lb_controller *c)
{
    uint32_t best = LB_NONE;

    for (size_t i = 0; i < c->instance_cap; i++) {
        if (c->instances[i].state != LB_INSTANCE_ACTIVE) {
            continue;
        }
        if (best == LB_NONE ||
            c->instances[i].cpu_permille < c->instances[best].cpu_permille) {
            best = (uint32_t)i;
        }
    }
    return best;
}

/* Picks the instance for a new tenant: where DEV created it when there is
 * room, else the least loaded with room, else where DEV created it, else the
 * least loaded active instance. */
static uint32_t lb_tenant_place(const lb_controller *c, uint32_t created_on,
                                const char **reason)
{
    uint32_t cpu_permille = c->policy.tenant_new_cpu_permille;
    uint32_t limit = c->policy.target_cpu_permille;

    if (created_on != LB_NONE &&
        c->instances[created_on].state == LB_INSTANCE_ACTIVE &&
        c->instances[created_on].cpu_permille + cpu_permille <= limit) {
        *reason = "created_there";
        return created_on;
    }

    lb_component_mask components =
        created_on != LB_NONE ? c->instances[created_on].components : 1u;
    uint32_t slot = lb_place_choose(c, LB_NONE, components, cpu_permille,
                                    limit);
    if (slot != LB_NONE) {
        *reason = "room";
        return slot;
    }
    if (created_on != LB_NONE &&
        (c->instances[created_on].state == LB_INSTANCE_ACTIVE ||
         c->instances[created_on].state == LB_INSTANCE_DEGRADED)) {
        *reason = "no_room_elsewhere";
        return created_on;
    }
    slot = lb_least_loaded_active(c);
    *reason = slot == LB_NONE ? "no_instance" : "least_loaded";
    return slot;
}

void lb_tenants_place_waiting(lb_controller *c)
{
    for (size_t t = 0; t < c->tenant_cap; t++) {
        lb_tenant *tenant = &c->tenants[t];
        if (!tenant->used || tenant->home != LB_NONE ||
            tenant->moving_to != LB_NONE) {
            continue;
        }

        const char *reason = NULL;
        uint32_t place = lb_tenant_place(c, LB_NONE, &reason);
        if (place == LB_NONE) {
            return;
        }
        uint32_t slot = (uint32_t)t;
        lb_log(c, LB_LOG_INFO, "decision",
               "action=place tenant=%s instance=%s cpu_permille=%u "
               "reason=waiting_%s",
               tenant->id, lb_instance_name(c, place), tenant->cpu_permille,
               reason);
        lb_move_begin(c, place, &slot, 1);
    }
}

void lb_on_tenant_created(lb_controller *controller, const char *tenant,
                          const char *instance)
{
    lb_controller *c = controller;

    char text[LB_ID_LEN_MAX + 1];

    lb_input_begin(c);
    if (!lb_id_printable(tenant)) {
        lb_log(c, LB_LOG_WARN, "tenant_invalid",
               "tenant=%s reason=not_1_to_%d_printable_bytes",
               lb_log_escape(tenant, text, sizeof text), LB_ID_LEN_MAX);
        lb_input_end(c);
        return;
    }
    if (lb_tenant_find(c, tenant) != LB_NONE) {
        lb_log(c, LB_LOG_INFO, "tenant_duplicate", "tenant=%s instance=%s",
               tenant, lb_log_escape(instance, text, sizeof text));
        lb_input_end(c);
        return;
    }

    uint32_t slot = lb_tenant_alloc(c, tenant);
    assert(slot != LB_NONE && "tenant table allocation failed");
    const char *reason = NULL;
    uint32_t place = lb_tenant_place(c, lb_instance_find(c, instance),
                                     &reason);
    lb_log(c, LB_LOG_INFO, "decision",
           "action=place tenant=%s instance=%s created_on=%s "
           "cpu_permille=%u reason=%s",
           tenant, lb_instance_name(c, place),
           lb_log_escape(instance, text, sizeof text),
           c->tenants[slot].cpu_permille, reason);
    if (place != LB_NONE) {
        lb_move_begin(c, place, &slot, 1);
    }
    lb_input_end(c);
}

void lb_on_tenant_removed(lb_controller *controller, const char *tenant)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    uint32_t slot = lb_tenant_find(c, tenant);
    if (slot == LB_NONE) {
        char text[LB_ID_LEN_MAX + 1];
        lb_log(c, LB_LOG_INFO, "tenant_unknown", "tenant=%s",
               lb_log_escape(tenant, text, sizeof text));
        lb_input_end(c);
        return;
    }

    lb_tenant *removed = &c->tenants[slot];
    uint32_t home = removed->home;
    lb_log(c, LB_LOG_INFO, "decision",
           "action=forget tenant=%s instance=%s reason=tenant_removed",
           tenant, lb_instance_name(c, home));
    if (home != LB_NONE) {
        lb_instance *instance = &c->instances[home];
        instance->cpu_permille = instance->cpu_permille > removed->cpu_permille
                                     ? instance->cpu_permille - removed->cpu_permille
                                     : 0;
    }
    lb_tenant_index_remove(c, slot);
    memset(removed, 0, sizeof *removed);
    if (slot < c->tenant_free_hint) {
        c->tenant_free_hint = slot;
    }
    if (home != LB_NONE) {
        lb_routes_change(c);
        if (c->instances[home].state == LB_INSTANCE_DRAINING) {
            lb_drain_moves_done(c, home);
        }
    }
    lb_input_end(c);
}
