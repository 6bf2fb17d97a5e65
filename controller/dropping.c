/* An instance whose requests fail at NGINX.
 *
 * Its tenants go to other instances at once, the provider restarts it, and
 * once its DFM is ready and its components started again the tenants come
 * back. Further dropping notices during the restart change nothing. */
#include "state.h"

void lb_on_instance_dropping(lb_controller *controller, const char *instance,
                             uint64_t errors, lb_time_t window_us)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    uint32_t slot = lb_instance_find(c, instance);
    if (slot == LB_NONE) {
        lb_log(c, LB_LOG_INFO, "instance_dropping_ignored",
               "instance=%s reason=unknown_instance",
               instance ? instance : "-");
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

    size_t count = lb_tenants_on(c, slot, c->scratch);
    char list[512];
    lb_log_tenants(c, c->scratch, count, list, sizeof list);
    lb_log(c, LB_LOG_INFO, "decision",
           "action=restart instance=%s tenants=%s errors=%llu window_us=%lld "
           "reason=instance_dropping",
           instance, list, (unsigned long long)errors, (long long)window_us);

    /* Moves toward it are abandoned: its components are about to restart
     * without those tenants. */
    lb_request_cancel_instance(c, slot);
    lb_move_abandon(c, slot, 0);
    dropping->state = LB_INSTANCE_RESTARTING;
    dropping->ready_seen = false;
    dropping->stats_pending = false;
    for (size_t k = 0; k < LB_COMPONENTS_MAX; k++) {
        dropping->health[k].down = false;
        dropping->health[k].avoided = false;
        dropping->health[k].stable_at_us = LB_TIME_NEVER;
    }
    /* Routes first, so that no new request meets the restart. */
    lb_routes_change(c);
    lb_routes_flush(c);
    lb_request_send(c, LB_REQUEST_RESTART, slot, false);
    lb_input_end(c);
}
