/* An instance whose requests fail at NGINX.
 *
 * Its tenants go to other instances at once, the provider restarts it, and
 * once its DFM is ready and its components started again the tenants come
 * back. Further dropping notices during the restart change nothing.
 *
 * Errors that NGINX counts shortly after a restart are mostly requests sent
 * during it that timed out later, so dropping reports within
 * dropping_grace_us of the activation cause no restart, and two restarts of
 * one instance are at least restart_cooldown_us apart. A process that the
 * DFM reported down explains the errors too: within dropping_grace_us of the
 * down the report only reroutes.
 *
 * A restart that is given up leaves the instance failed, and it is
 * restarted again after restart_cooldown_us, doubling with each failure in
 * a row up to restart_backoff_max_us. */
#include "state.h"

/* Returns the time of the latest down of a component of slot that is still
 * down, or LB_TIME_NEVER when every component runs. */
static lb_time_t lb_dropping_down_since(const lb_controller *c, uint32_t slot)
{
    const lb_instance *instance = &c->instances[slot];
    lb_time_t since_us = LB_TIME_NEVER;

    for (uint32_t k = 0; k < c->component_count; k++) {
        const lb_component_health *health = &instance->health[k];
        if (!health->down) {
            continue;
        }
        uint32_t last = (health->down_next + LB_CRASH_HISTORY - 1) %
                        LB_CRASH_HISTORY;
        if (health->down_at_us[last] < since_us) {
            since_us = health->down_at_us[last];
        }
    }
    return since_us;
}

/* Returns why a dropping report on an active instance causes no restart,
 * or NULL. */
static const char *lb_dropping_restart_blocked(const lb_controller *c, uint32_t slot)
{
    const lb_instance *instance = &c->instances[slot];

    if (c->now_us < instance->dropping_quiet_until_us) {
        return "after_activation";
    }
    if (instance->restarted &&
        c->now_us - instance->restart_sent_at_us < c->policy.restart_cooldown_us) {
        return "restart_cooldown";
    }
    return NULL;
}

/* Returns the wait before the next restart of an instance that failed
 * failures times in a row: restart_cooldown_us, doubling up to
 * restart_backoff_max_us. */
static lb_time_t lb_restart_backoff_us(const lb_controller *c,
                                       uint32_t failures)
{
    lb_time_t wait_us = c->policy.restart_cooldown_us;

    for (uint32_t i = 1; i < failures; i++) {
        if (wait_us >= c->policy.restart_backoff_max_us / 2) {
            return c->policy.restart_backoff_max_us;
        }
        wait_us *= 2;
    }
    return wait_us;
}

void lb_instance_fail(lb_controller *c, uint32_t slot, const char *reason)
{
    lb_instance *instance = &c->instances[slot];

    lb_request_cancel_instance(c, slot);
    lb_move_abandon(c, slot, 0);
    instance->state = LB_INSTANCE_FAILED;
    instance->ready_deadline_us = LB_TIME_NEVER;
    instance->probe_at_us = LB_TIME_NEVER;
    instance->restart_failures++;

    /* Its tenants stay on fallback routes, and an overloaded instance that
     * carries them may move them elsewhere for good.
     * TODO: replace an instance that keeps failing with a new one, within
     * instances_max, instead of only restarting it again. */
    lb_time_t wait_us = lb_restart_backoff_us(c, instance->restart_failures);
    instance->restart_retry_at_us = c->now_us + wait_us;
    lb_log(c, LB_LOG_ERROR, "decision",
           "action=give_up instance=%s failures=%u restart_in_us=%lld "
           "reason=%s",
           lb_instance_name(c, slot), instance->restart_failures,
           (long long)wait_us, reason);
    lb_routes_failover(c);
}

void lb_instance_restart(lb_controller *c, uint32_t slot)
{
    lb_instance *instance = &c->instances[slot];

    /* Moves toward it are abandoned: its components are about to restart
     * without those tenants. */
    lb_request_cancel_instance(c, slot);
    lb_move_abandon(c, slot, 0);
    instance->state = LB_INSTANCE_RESTARTING;
    instance->stats_pending = false;
    instance->restarted = true;
    instance->restart_sent_at_us = c->now_us;
    instance->restart_retry_at_us = LB_TIME_NEVER;
    for (size_t k = 0; k < LB_COMPONENTS_MAX; k++) {
        instance->health[k].down = false;
        instance->health[k].avoided = false;
        instance->health[k].stable_at_us = LB_TIME_NEVER;
    }

    /* Routes first, so that no new request meets the restart. */
    lb_routes_failover(c);
    lb_routes_flush(c);
    lb_request_send(c, LB_REQUEST_RESTART, slot, false);
}

void lb_dropping_decide(lb_controller *c, uint32_t slot, uint64_t errors,
                        lb_time_t window_us, const char *reason)
{
    const char *id = c->instances[slot].id;
    const char *blocked = lb_dropping_restart_blocked(c, slot);

    if (blocked != NULL) {
        lb_log(c, LB_LOG_INFO, "instance_dropping_ignored",
               "instance=%s errors=%llu reason=%s signal=%s", id,
               (unsigned long long)errors, blocked, reason);
        return;
    }

    lb_time_t down_since_us = lb_dropping_down_since(c, slot);
    if (down_since_us != LB_TIME_NEVER &&
        c->now_us - down_since_us < c->policy.dropping_grace_us) {
        lb_log(c, LB_LOG_INFO, "decision",
               "action=reroute instance=%s errors=%llu down_for_us=%lld "
               "reason=%s_component_down",
               id, (unsigned long long)errors,
               (long long)(c->now_us - down_since_us), reason);
        lb_routes_failover(c);
        return;
    }

    size_t count = lb_tenants_on(c, slot, c->scratch);
    char list[512];
    lb_log_tenants(c, c->scratch, count, list, sizeof list);
    lb_log(c, LB_LOG_INFO, "decision",
           "action=restart instance=%s tenants=%s errors=%llu window_us=%lld "
           "reason=%s",
           id, list, (unsigned long long)errors, (long long)window_us, reason);
    lb_instance_restart(c, slot);
}

void lb_on_instance_dropping(lb_controller *controller, const char *instance,
                             uint64_t errors, lb_time_t window_us)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    uint32_t slot = lb_instance_find(c, instance);
    if (slot == LB_NONE) {
        char text[LB_ID_LEN_MAX + 1];
        lb_log(c, LB_LOG_INFO, "instance_dropping_ignored",
               "instance=%s reason=unknown_instance",
               lb_log_escape(instance, text, sizeof text));
        lb_input_end(c);
        return;
    }

    lb_instance *dropping = &c->instances[slot];
    if (dropping->state != LB_INSTANCE_ACTIVE &&
        dropping->state != LB_INSTANCE_DEGRADED) {
        lb_log(c, LB_LOG_INFO, "instance_dropping_ignored",
               "instance=%s errors=%llu reason=%s", instance,
               (unsigned long long)errors,
               lb_instance_state_name(dropping->state));
        lb_input_end(c);
        return;
    }
    lb_dropping_decide(c, slot, errors, window_us, "instance_dropping");
    lb_input_end(c);
}
