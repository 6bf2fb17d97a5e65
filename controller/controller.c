/* Creating, starting and destroying the controller, and the bracket around
 * every input: read the clock once, and afterwards ask the clock port to
 * wake the controller at its earliest deadline. */
#include "state.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LB_ERR_LEN 256

static bool lb_id_valid(const char *id)
{
    return id != NULL && id[0] != '\0' && strlen(id) <= LB_ID_LEN_MAX;
}

static int lb_config_check_instance(const lb_config *config, size_t index,
                                    char *err, size_t err_len)
{
    const lb_instance_init *init = &config->instances[index];
    lb_component_mask all = (lb_component_mask)((1u << config->component_count) - 1u);

    if (!lb_id_valid(init->id)) {
        snprintf(err, err_len, "instances[%zu].id: expected 1 to %d bytes",
                 index, LB_ID_LEN_MAX);
        return -EINVAL;
    }
    if (init->components == 0 || (init->components & ~all) != 0) {
        snprintf(err, err_len,
                 "instances[%zu].components: expected a non-empty set of the "
                 "%zu configured components", index, config->component_count);
        return -EINVAL;
    }
    for (size_t j = 0; j < index; j++) {
        if (strcmp(config->instances[j].id, init->id) == 0) {
            snprintf(err, err_len, "instances[%zu].id: duplicate id %s",
                     index, init->id);
            return -EINVAL;
        }
    }
    if (init->tenant_count > 0 && init->tenants == NULL) {
        snprintf(err, err_len, "instances[%zu].tenants: missing for %zu "
                 "tenants", index, init->tenant_count);
        return -EINVAL;
    }
    for (size_t t = 0; t < init->tenant_count; t++) {
        if (!lb_id_valid(init->tenants[t])) {
            snprintf(err, err_len,
                     "instances[%zu].tenants[%zu]: expected 1 to %d bytes",
                     index, t, LB_ID_LEN_MAX);
            return -EINVAL;
        }
    }
    return 0;
}

static int lb_config_check(const lb_config *config, char *err, size_t err_len)
{
    if (config->policy == NULL) {
        snprintf(err, err_len, "policy: missing");
        return -EINVAL;
    }
    int rc = lb_policy_validate(config->policy, err, err_len);
    if (rc != 0) {
        return rc;
    }
    if (config->component_count == 0 ||
        config->component_count > LB_COMPONENTS_MAX) {
        snprintf(err, err_len, "component_count: expected 1 to %d, got %zu",
                 LB_COMPONENTS_MAX, config->component_count);
        return -EINVAL;
    }
    if (config->component_names == NULL ||
        (config->instance_count > 0 && config->instances == NULL)) {
        snprintf(err, err_len, "component_names or instances: missing");
        return -EINVAL;
    }
    for (size_t i = 0; i < config->component_count; i++) {
        if (!lb_id_valid(config->component_names[i])) {
            snprintf(err, err_len,
                     "component_names[%zu]: expected 1 to %d bytes", i,
                     LB_ID_LEN_MAX);
            return -EINVAL;
        }
    }
    for (size_t i = 0; i < config->instance_count; i++) {
        rc = lb_config_check_instance(config, i, err, err_len);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int lb_add_initial_instance(lb_controller *c,
                                   const lb_instance_init *init)
{
    uint32_t slot = lb_instance_alloc(c);
    if (slot == LB_NONE) {
        return -ENOMEM;
    }

    lb_instance *instance = &c->instances[slot];
    instance->state = LB_INSTANCE_ACTIVE;
    snprintf(instance->id, sizeof instance->id, "%s", init->id);
    snprintf(instance->address, sizeof instance->address, "%s",
             init->address ? init->address : init->id);
    instance->components = init->components;

    for (size_t t = 0; t < init->tenant_count; t++) {
        if (lb_tenant_find(c, init->tenants[t]) != LB_NONE) {
            lb_log(c, LB_LOG_WARN, "config_tenant_duplicate",
                   "tenant=%s instance=%s reason=already_on_another_instance",
                   init->tenants[t], init->id);
            continue;
        }
        uint32_t tenant = lb_tenant_alloc(c, init->tenants[t]);
        if (tenant == LB_NONE) {
            return -ENOMEM;
        }
        c->tenants[tenant].home = slot;
    }
    return 0;
}

lb_controller *lb_controller_create(const lb_config *config,
                                    const lb_ports *ports)
{
    char err[LB_ERR_LEN];

    assert(config != NULL);
    assert(ports != NULL);
    assert(ports->clock.now != NULL);
    assert(ports->clock.wake_at != NULL);

    lb_controller *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->ports = *ports;
    if (lb_config_check(config, err, sizeof err) != 0) {
        lb_log(c, LB_LOG_ERROR, "config_invalid", "reason=\"%s\"", err);
        free(c);
        return NULL;
    }

    c->policy = *config->policy;
    c->component_count = config->component_count;
    for (size_t i = 0; i < config->component_count; i++) {
        snprintf(c->component_names[i], sizeof c->component_names[i], "%s",
                 config->component_names[i]);
    }
    c->next_id = 1;
    c->default_instance = LB_NONE;
    c->wake_armed_us = LB_TIME_NEVER;
    c->routes_deadline_us = LB_TIME_NEVER;
    c->routes_retry_at_us = LB_TIME_NEVER;
    c->stats_next_at_us = LB_TIME_NEVER;
    c->now_us = ports->clock.now(ports->clock.ctx);

    for (size_t i = 0; i < config->instance_count; i++) {
        if (lb_add_initial_instance(c, &config->instances[i]) != 0) {
            lb_controller_destroy(c);
            return NULL;
        }
    }
    return c;
}

void lb_controller_destroy(lb_controller *controller)
{
    if (controller == NULL) {
        return;
    }
    free(controller->instances);
    free(controller->tenants);
    free(controller->scratch);
    free(controller->tenant_index);
    free(controller->requests);
    free(controller->foreign_ids);
    lb_stats_drop(controller);
    free(controller);
}

void lb_controller_start(lb_controller *controller)
{
    lb_controller *c = controller;

    assert(!c->started);
    c->started = true;
    lb_input_begin(c);
    lb_log(c, LB_LOG_INFO, "controller_start",
           "instances=%zu instances_min=%u instances_max=%u",
           lb_instance_count(c), c->policy.instances_min,
           c->policy.instances_max);
    lb_routes_send(c);

    /* The listing at start names the running instances that are not the
     * controller's, so that the cleanup after a lost create spares them. */
    lb_listing_start(c);
    if (c->policy.stats_interval_us > 0) {
        c->stats_next_at_us = c->now_us + c->policy.stats_interval_us;
    }
    lb_input_end(c);
}

void lb_input_begin(lb_controller *c)
{
    /* Replies delivered from inside a port call would change the tables
     * that the sending code is still walking. */
    assert(!c->in_port_call && "a port called the controller back");

    lb_time_t now_us = c->ports.clock.now(c->ports.clock.ctx);

    /* A clock that goes back would break every deadline; keep time still. */
    if (now_us > c->now_us) {
        c->now_us = now_us;
    }
}

static lb_time_t lb_min_time(lb_time_t a, lb_time_t b)
{
    return a < b ? a : b;
}

void lb_input_end(lb_controller *c)
{
    lb_routes_flush(c);

    lb_time_t next_us = lb_requests_next_deadline(c);

    next_us = lb_min_time(next_us, lb_routes_next_deadline(c));
    next_us = lb_min_time(next_us, lb_instances_next_deadline(c));
    next_us = lb_min_time(next_us, lb_components_next_deadline(c));
    next_us = lb_min_time(next_us, lb_stats_next_deadline(c));

    /* The clock port keeps one wake-up, so ask again only when the
     * earliest deadline moved. A wake-up with nothing due is harmless. */
    if (next_us == LB_TIME_NEVER || next_us == c->wake_armed_us) {
        return;
    }
    c->wake_armed_us = next_us;
    c->ports.clock.wake_at(c->ports.clock.ctx, next_us);
}

void lb_on_timer(lb_controller *controller)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    c->wake_armed_us = LB_TIME_NEVER;
    lb_requests_check_deadlines(c);
    lb_routes_check_deadlines(c);
    lb_instances_check_deadlines(c);
    lb_components_check_deadlines(c);
    lb_stats_check_deadlines(c);
    lb_input_end(c);
}
