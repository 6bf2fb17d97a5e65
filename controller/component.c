/* A component process down and up again on one instance.
 *
 * When a process goes down its tenants' requests for that component go to
 * another instance that runs it. When it is up again they come back only
 * after it stayed up for component_stable_us, or for crash_loop_stable_us
 * when it went down crash_loop_downs times within crash_loop_window_us: a
 * process that keeps crashing is not routed back after each restart. */
#include "state.h"

#include <assert.h>

static bool lb_component_input_valid(lb_controller *c, const char *event,
                                     uint32_t slot, const char *instance,
                                     uint32_t component)
{
    if (slot == LB_NONE) {
        char text[LB_ID_LEN_MAX + 1];
        lb_log(c, LB_LOG_INFO, event,
               "instance=%s component=%u reason=unknown_instance",
               lb_log_escape(instance, text, sizeof text), component);
        return false;
    }
    if (component >= c->component_count ||
        (c->instances[slot].components & (1u << component)) == 0) {
        lb_log(c, LB_LOG_WARN, event,
               "instance=%s component=%u reason=component_not_on_instance",
               instance, component);
        return false;
    }
    lb_instance_state state = c->instances[slot].state;
    if (state != LB_INSTANCE_ACTIVE && state != LB_INSTANCE_DEGRADED) {
        /* Components of a starting, draining or restarting instance come
         * and go as planned. */
        lb_log(c, LB_LOG_INFO, event, "instance=%s component=%s reason=%s",
               instance, lb_component_name(c, component),
               lb_instance_state_name(state));
        return false;
    }
    return true;
}

/* Counts the downs of health within crash_loop_window_us before now. */
static uint32_t lb_component_recent_downs(const lb_controller *c,
                                          const lb_component_health *health)
{
    uint32_t count = 0;

    for (size_t i = 0; i < LB_CRASH_HISTORY; i++) {
        lb_time_t at_us = health->down_at_us[i];
        if (at_us != 0 && c->now_us - at_us <= c->policy.crash_loop_window_us) {
            count++;
        }
    }
    return count;
}

static void lb_instance_update_degraded(lb_controller *c, uint32_t slot)
{
    lb_instance *instance = &c->instances[slot];
    bool degraded = false;

    for (size_t k = 0; k < c->component_count; k++) {
        degraded = degraded || instance->health[k].avoided;
    }
    instance->state = degraded ? LB_INSTANCE_DEGRADED : LB_INSTANCE_ACTIVE;
}

void lb_on_component_down(lb_controller *controller, const char *instance,
                          uint32_t component)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    uint32_t slot = lb_instance_find(c, instance);
    if (!lb_component_input_valid(c, "component_down_ignored", slot, instance,
                                  component)) {
        lb_input_end(c);
        return;
    }

    lb_component_health *health = &c->instances[slot].health[component];
    if (health->down) {
        lb_log(c, LB_LOG_INFO, "notification_duplicate",
               "notification=component_down instance=%s component=%s",
               instance, lb_component_name(c, component));
        lb_input_end(c);
        return;
    }

    /* Time 0 marks an empty ring slot, so a down at 0 is stored as 1. */
    health->down_at_us[health->down_next] = c->now_us > 0 ? c->now_us : 1;
    health->down_next = (health->down_next + 1) % LB_CRASH_HISTORY;
    health->down = true;
    health->stable_at_us = LB_TIME_NEVER;
    if (health->avoided) {
        /* Down again before it was stable: its tenants are elsewhere
         * already, and the wait for stability starts over at its next up. */
        lb_log(c, LB_LOG_INFO, "decision",
               "action=none instance=%s component=%s downs=%u "
               "reason=down_before_stable",
               instance, lb_component_name(c, component),
               lb_component_recent_downs(c, health));
        lb_input_end(c);
        return;
    }
    health->avoided = true;
    lb_instance_update_degraded(c, slot);

    size_t count = lb_tenants_on(c, slot, c->scratch);
    char list[512];
    lb_log_tenants(c, c->scratch, count, list, sizeof list);
    lb_log(c, LB_LOG_INFO, "decision",
           "action=reroute instance=%s component=%s tenants=%s downs=%u "
           "reason=component_down",
           instance, lb_component_name(c, component), list,
           lb_component_recent_downs(c, health));
    lb_routes_failover(c);
    lb_input_end(c);
}

/* Starts the wait for stability of a component that runs again. */
void lb_component_mark_up(lb_controller *c, uint32_t slot, uint32_t component,
                          const char *reason)
{
    lb_component_health *health = &c->instances[slot].health[component];
    uint32_t downs = lb_component_recent_downs(c, health);
    bool looping = downs >= c->policy.crash_loop_downs;
    lb_time_t wait_us = looping ? c->policy.crash_loop_stable_us
                                : c->policy.component_stable_us;

    health->down = false;
    health->stable_at_us = c->now_us + wait_us;
    lb_log(c, LB_LOG_INFO, "decision",
           "action=wait_stable instance=%s component=%s downs=%u "
           "stable_us=%lld reason=%s",
           c->instances[slot].id, lb_component_name(c, component), downs,
           (long long)wait_us, looping ? "crash_loop" : reason);
}

void lb_on_component_up(lb_controller *controller, const char *instance,
                        uint32_t component)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    uint32_t slot = lb_instance_find(c, instance);
    if (!lb_component_input_valid(c, "component_up_ignored", slot, instance,
                                  component)) {
        lb_input_end(c);
        return;
    }

    lb_component_health *health = &c->instances[slot].health[component];
    if (!health->down) {
        lb_log(c, LB_LOG_INFO, "notification_duplicate",
               "notification=component_up instance=%s component=%s",
               instance, lb_component_name(c, component));
        lb_input_end(c);
        return;
    }
    lb_component_mark_up(c, slot, component, "component_up");
    lb_input_end(c);
}

void lb_components_check_deadlines(lb_controller *c)
{
    for (size_t i = 0; i < c->instance_cap; i++) {
        lb_instance *instance = &c->instances[i];
        for (uint32_t k = 0; k < c->component_count; k++) {
            lb_component_health *health = &instance->health[k];
            if (health->down || health->stable_at_us > c->now_us) {
                continue;
            }
            health->avoided = false;
            health->stable_at_us = LB_TIME_NEVER;
            lb_instance_update_degraded(c, (uint32_t)i);

            size_t count = lb_tenants_on(c, (uint32_t)i, c->scratch);
            char list[512];
            lb_log_tenants(c, c->scratch, count, list, sizeof list);
            lb_log(c, LB_LOG_INFO, "decision",
                   "action=route_back instance=%s component=%s tenants=%s "
                   "reason=component_stable",
                   instance->id, lb_component_name(c, k), list);
            lb_routes_change(c);
        }
    }
}

lb_time_t lb_components_next_deadline(const lb_controller *c)
{
    lb_time_t next_us = LB_TIME_NEVER;

    for (size_t i = 0; i < c->instance_cap; i++) {
        for (uint32_t k = 0; k < c->component_count; k++) {
            const lb_component_health *health = &c->instances[i].health[k];
            if (!health->down && health->stable_at_us < next_us) {
                next_us = health->stable_at_us;
            }
        }
    }
    return next_us;
}
