/* Moving tenants to another instance.
 *
 * A move first makes the target's DFM serve the tenants (components_start),
 * and only when the DFM replies does the tenant's home change and a new
 * routing table go out. Until then NGINX keeps sending the tenant where it
 * was, so no request goes to an instance that cannot serve it. */
#include "state.h"

#include <assert.h>

size_t lb_tenants_on(const lb_controller *c, uint32_t slot, uint32_t *out)
{
    size_t count = 0;

    for (size_t t = 0; t < c->tenant_cap; t++) {
        const lb_tenant *tenant = &c->tenants[t];
        if (tenant->used && tenant->home == slot) {
            out[count++] = (uint32_t)t;
        }
    }
    return count;
}

void lb_move_send_start(lb_controller *c, uint32_t to, bool boot)
{
    /* The request takes the next id. Tenants carry it, so that the reply
     * moves exactly the tenants this request named. */
    lb_request_id id = c->next_id;

    for (size_t t = 0; t < c->tenant_cap; t++) {
        lb_tenant *tenant = &c->tenants[t];
        if (!tenant->used || tenant->moving_to != to) {
            continue;
        }
        if (boot || tenant->move_id == 0) {
            tenant->move_id = id;
        }
    }
    lb_request *request = lb_request_send(c, LB_REQUEST_START, to, boot);
    assert(request->id == id);
}

void lb_move_begin(lb_controller *c, uint32_t to, const uint32_t *tenants,
                   size_t count)
{
    lb_instance_state state = c->instances[to].state;

    for (size_t i = 0; i < count; i++) {
        lb_tenant *tenant = &c->tenants[tenants[i]];
        assert(tenant->moving_to == LB_NONE);
        tenant->moving_to = to;
        tenant->move_id = 0;
    }

    /* An instance still being created gets its tenants with its first
     * components_start, once its DFM is ready. */
    if (state == LB_INSTANCE_ACTIVE || state == LB_INSTANCE_DEGRADED) {
        lb_move_send_start(c, to, false);
    }
}

/* Sets the load estimates after tenant moved from one instance to another. */
static void lb_move_load(lb_controller *c, uint32_t from, uint32_t to,
                         uint32_t cpu_permille)
{
    if (from != LB_NONE) {
        lb_instance *source = &c->instances[from];
        source->cpu_permille = source->cpu_permille > cpu_permille
                                   ? source->cpu_permille - cpu_permille
                                   : 0;
        source->overload_quiet_until_us =
            c->now_us + c->policy.overload_cooldown_us;
    }
    c->instances[to].cpu_permille += cpu_permille;
}

void lb_move_started(lb_controller *c, lb_request_id id, uint32_t to)
{
    char list[512];
    size_t count = 0;

    for (size_t t = 0; t < c->tenant_cap; t++) {
        lb_tenant *tenant = &c->tenants[t];
        if (!tenant->used || tenant->moving_to != to ||
            tenant->move_id != id) {
            continue;
        }
        uint32_t from = tenant->home;
        /* A tenant whose home failed loads the instance that carried it. */
        uint32_t load_from = tenant->guest_of != LB_NONE ? tenant->guest_of
                                                         : from;
        tenant->home = to;
        tenant->moving_to = LB_NONE;
        tenant->move_id = 0;
        tenant->guest_of = LB_NONE;
        lb_move_load(c, load_from, to, tenant->cpu_permille);
        c->scratch[count++] = (uint32_t)t;
        if (from != LB_NONE &&
            c->instances[from].state == LB_INSTANCE_DRAINING) {
            lb_drain_moves_done(c, from);
        }
    }
    if (count == 0) {
        return;
    }

    lb_log_tenants(c, c->scratch, count, list, sizeof list);
    lb_log(c, LB_LOG_INFO, "decision",
           "action=route instance=%s tenants=%s cpu_permille=%u "
           "reason=components_started",
           lb_instance_name(c, to), list, c->instances[to].cpu_permille);
    lb_routes_change(c);
}

void lb_move_abandon(lb_controller *c, uint32_t to, lb_request_id id)
{
    char list[512];
    size_t count = 0;

    for (size_t t = 0; t < c->tenant_cap; t++) {
        lb_tenant *tenant = &c->tenants[t];
        if (!tenant->used || tenant->moving_to != to ||
            (id != 0 && tenant->move_id != id)) {
            continue;
        }
        tenant->moving_to = LB_NONE;
        tenant->move_id = 0;
        c->scratch[count++] = (uint32_t)t;
    }
    if (count == 0) {
        return;
    }

    /* An instance whose create is abandoned has no id to name. */
    const char *target = c->instances[to].id[0] != '\0'
                             ? c->instances[to].id
                             : "new_instance";
    lb_log_tenants(c, c->scratch, count, list, sizeof list);
    lb_log(c, LB_LOG_WARN, "decision",
           "action=keep tenants=%s instance=%s target=%s "
           "reason=move_abandoned",
           list, lb_instance_name(c, c->tenants[c->scratch[0]].home),
           target);

    /* A drain whose tenants cannot leave stops being a drain. */
    for (size_t i = 0; i < count; i++) {
        uint32_t from = c->tenants[c->scratch[i]].home;
        if (from != LB_NONE &&
            c->instances[from].state == LB_INSTANCE_DRAINING &&
            !c->instances[from].stop_wait_routes &&
            !c->instances[from].stop_sent) {
            c->instances[from].state = LB_INSTANCE_ACTIVE;
            lb_log(c, LB_LOG_WARN, "decision",
                   "action=cancel_drain instance=%s reason=move_abandoned",
                   lb_instance_name(c, from));
        }
    }
}
