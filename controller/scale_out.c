/* Scale-outs as a whole: whether one is under way, the backoff after failed
 * ones, and the creates that keep instances_min.
 *
 * A create that fails, is given up, or whose instance never starts makes
 * the next one wait scale_out_backoff_min_us, doubling with each failure in
 * a row up to scale_out_backoff_max_us. An instance that becomes active
 * resets the count. */
#include "state.h"

#include <assert.h>

bool lb_scale_out_in_flight(const lb_controller *c)
{
    for (size_t i = 0; i < c->instance_cap; i++) {
        const lb_instance *instance = &c->instances[i];
        bool early = instance->state == LB_INSTANCE_PROVISIONING ||
                     instance->state == LB_INSTANCE_BOOTING ||
                     instance->state == LB_INSTANCE_STARTING;
        if (early && instance->created_by_lb) {
            return true;
        }
    }
    return false;
}

bool lb_scale_out_backoff(const lb_controller *c)
{
    return c->now_us < c->scale_out_retry_at_us;
}

void lb_scale_out_failed(lb_controller *c, const char *reason)
{
    lb_time_t wait_us = c->policy.scale_out_backoff_min_us;

    c->scale_out_failures++;
    for (uint32_t i = 1; i < c->scale_out_failures; i++) {
        if (wait_us >= c->policy.scale_out_backoff_max_us / 2) {
            wait_us = c->policy.scale_out_backoff_max_us;
            break;
        }
        wait_us *= 2;
    }
    c->scale_out_retry_at_us = c->now_us + wait_us;
    lb_log(c, LB_LOG_WARN, "decision",
           "action=scale_out_backoff failures=%u create_in_us=%lld reason=%s",
           c->scale_out_failures, (long long)wait_us, reason);
}

/* Creates instances until instances_min run or are being created. They
 * start with no tenants, and placement fills them. Not before the listing
 * at start settled, because it would count the new instances as foreign. */
void lb_instances_keep_min(lb_controller *c)
{
    size_t count = lb_instance_count(c);

    if (count >= c->policy.instances_min || lb_scale_out_backoff(c) ||
        !c->foreign_known) {
        return;
    }
    lb_log(c, LB_LOG_INFO, "decision",
           "action=scale_out instances=%zu instances_min=%u creates=%zu "
           "instance_type=%s reason=instances_min",
           count, c->policy.instances_min,
           (size_t)c->policy.instances_min - count, c->policy.instance_type);
    for (; count < c->policy.instances_min; count++) {
        uint32_t slot = lb_instance_alloc(c);
        assert(slot != LB_NONE && "instance table allocation failed");
        lb_instance *instance = &c->instances[slot];
        instance->state = LB_INSTANCE_PROVISIONING;
        instance->created_by_lb = true;
        instance->components =
            (lb_component_mask)((1u << c->component_count) - 1u);
        lb_request_send(c, LB_REQUEST_CREATE, slot, false);
    }
}
