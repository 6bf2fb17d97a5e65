/* The instances that the controller tracks, for status output and tests. */
#include "state.h"

static const lb_instance *lb_status_slot(const lb_controller *c, size_t index)
{
    size_t seen = 0;

    for (size_t i = 0; i < c->instance_cap; i++) {
        if (c->instances[i].state == LB_INSTANCE_FREE) {
            continue;
        }
        if (seen == index) {
            return &c->instances[i];
        }
        seen++;
    }
    return NULL;
}

size_t lb_controller_instance_count(const lb_controller *controller)
{
    size_t count = 0;

    for (size_t i = 0; i < controller->instance_cap; i++) {
        count += controller->instances[i].state != LB_INSTANCE_FREE;
    }
    return count;
}

void lb_controller_instance_status(const lb_controller *controller,
                                   size_t index, lb_instance_status *out)
{
    const lb_controller *c = controller;
    const lb_instance *instance = lb_status_slot(c, index);
    assert(instance != NULL && "instance index out of range");

    uint32_t slot = (uint32_t)(instance - c->instances);
    size_t tenant_count = 0;
    for (size_t t = 0; t < c->tenant_cap; t++) {
        tenant_count += c->tenants[t].used && c->tenants[t].home == slot;
    }
    *out = (lb_instance_status){
        .id = instance->id,
        .state = lb_instance_state_name(instance->state),
        .cpu_permille = instance->cpu_permille,
        .tenant_count = tenant_count,
    };
}
