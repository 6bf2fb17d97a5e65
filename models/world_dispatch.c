/* Delivery of messages that reach the LB: each becomes the lb_on_* call of
 * the controller, with tenant and instance indexes turned back into ids. */
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"
#include "model_sim.h"
#include "world_internal.h"

static const char *instance_id(const model_sim *sim, uint32_t index)
{
    return index < sim->instance_count ? sim->instances[index].id : "";
}

/* Tenant ids are copied before they go to the controller: a port call it
 * makes during the input may add a tenant, which can move the tenant
 * table. */
typedef char tenant_name[LB_ID_LEN_MAX + 1];

static void deliver_stats(world *w, const model_sim *sim, const model_msg *msg)
{
    const model_stats_item *items = msg->items;
    lb_stats_row *rows = calloc(msg->item_count + 1, sizeof(*rows));
    tenant_name *names = calloc(msg->item_count + 1, sizeof(*names));

    MODEL_ASSERT(rows != NULL && names != NULL); /* out of memory */
    for (size_t i = 0; i < msg->item_count; i++) {
        memcpy(names[i], sim->tenants[items[i].tenant].id, sizeof(names[i]));
        rows[i] = (lb_stats_row){
            .tenant = names[i],
            .instance = instance_id(sim, items[i].instance),
            .component = items[i].component,
            .requests = items[i].requests,
            .errors = items[i].errors,
            .latency_us_sum = items[i].latency_us_sum,
            .latency_us_max = items[i].latency_us_max,
        };
    }

    lb_stats stats = {
        .request_id = msg->request_id,
        .interval_us = msg->time_us,
        .row_count = msg->item_count,
        .rows = rows,
    };

    lb_on_stats_reply(w->controller, &stats);
    free(rows);
    free(names);
}

static void deliver_load(world *w, const model_sim *sim, const model_msg *msg)
{
    lb_load_report report = {
        .instance = instance_id(sim, msg->instance),
        .cpu_permille = msg->cpu_permille,
        .window_us = msg->time_us,
        .process_count = msg->item_count,
        .processes = msg->items,
    };

    if (msg->kind == MODEL_MSG_OVERLOAD)
        lb_on_overload(w->controller, &report);
    else
        lb_on_low_load(w->controller, &report);
}

static void deliver_list(world *w, const model_sim *sim, const model_msg *msg)
{
    const uint32_t *items = msg->items;
    lb_instance_info *list = calloc(msg->item_count + 1, sizeof(*list));

    MODEL_ASSERT(list != NULL); /* out of memory */
    for (size_t i = 0; i < msg->item_count; i++)
        list[i] = (lb_instance_info){instance_id(sim, items[i]),
                                     instance_id(sim, items[i])};
    lb_on_instance_list(w->controller, msg->request_id, msg->item_count,
                        list);
    free(list);
}

static void deliver_provider(world *w, const model_sim *sim,
                             const model_msg *msg)
{
    lb_controller *c = w->controller;
    const char *id = instance_id(sim, msg->instance);

    switch (msg->kind) {
    case MODEL_MSG_INSTANCE_CREATED:
        lb_on_instance_created(c, msg->request_id, id, id);
        break;
    case MODEL_MSG_INSTANCE_CREATE_FAILED:
        lb_on_instance_create_failed(c, msg->request_id, msg->text);
        break;
    case MODEL_MSG_INSTANCE_REMOVED:
        lb_on_instance_removed(c, msg->request_id, id);
        break;
    case MODEL_MSG_INSTANCE_REMOVE_FAILED:
        lb_on_instance_remove_failed(c, msg->request_id, msg->text);
        break;
    case MODEL_MSG_INSTANCE_RESTARTED:
        lb_on_instance_restarted(c, msg->request_id, id);
        break;
    case MODEL_MSG_INSTANCE_RESTART_FAILED:
        lb_on_instance_restart_failed(c, msg->request_id, msg->text);
        break;
    default:
        deliver_list(w, sim, msg);
        break;
    }
}

static void deliver_dfm(world *w, const model_sim *sim, const model_msg *msg)
{
    lb_controller *c = w->controller;
    const char *id = instance_id(sim, msg->instance);

    switch (msg->kind) {
    case MODEL_MSG_DFM_READY:
        lb_on_dfm_ready(c, id);
        break;
    case MODEL_MSG_COMPONENT_DOWN:
        lb_on_component_down(c, id, msg->component);
        break;
    case MODEL_MSG_COMPONENT_UP:
        lb_on_component_up(c, id, msg->component);
        break;
    case MODEL_MSG_COMPONENTS_STARTED:
        lb_on_components_started(c, msg->request_id, id);
        break;
    case MODEL_MSG_COMPONENTS_START_FAILED:
        lb_on_components_start_failed(c, msg->request_id, id, msg->text);
        break;
    case MODEL_MSG_COMPONENTS_STOPPED:
        lb_on_components_stopped(c, msg->request_id, id, msg->value);
        break;
    default:
        deliver_load(w, sim, msg);
        break;
    }
}

static void deliver_nginx(world *w, const model_sim *sim, const model_msg *msg)
{
    lb_controller *c = w->controller;
    tenant_name tenant = "";

    if (msg->tenant != MODEL_NONE)
        memcpy(tenant, sim->tenants[msg->tenant].id, sizeof(tenant));

    switch (msg->kind) {
    case MODEL_MSG_STATS_REPLY:
        deliver_stats(w, sim, msg);
        break;
    case MODEL_MSG_ROUTES_APPLIED:
        lb_on_routes_applied(c, msg->value);
        break;
    case MODEL_MSG_ROUTES_REJECTED:
        lb_on_routes_rejected(c, msg->value, msg->text);
        break;
    case MODEL_MSG_INSTANCE_DROPPING:
        lb_on_instance_dropping(c, instance_id(sim, msg->instance),
                                msg->value, msg->time_us);
        break;
    case MODEL_MSG_TENANT_CREATED:
        lb_on_tenant_created(c, tenant, instance_id(sim, msg->instance));
        break;
    case MODEL_MSG_TENANT_REMOVED:
        lb_on_tenant_removed(c, tenant);
        break;
    default:
        break;
    }
}

void world_deliver(void *ctx, model_sim *sim, const model_msg *msg)
{
    world *w = ctx;

    switch (msg->from.kind) {
    case MODEL_ACTOR_NGINX:
        deliver_nginx(w, sim, msg);
        break;
    case MODEL_ACTOR_PROVIDER:
        deliver_provider(w, sim, msg);
        break;
    case MODEL_ACTOR_DFM:
        deliver_dfm(w, sim, msg);
        break;
    default:
        break;
    }
}

void world_timer(void *ctx)
{
    world *w = ctx;

    lb_on_timer(w->controller);
}
