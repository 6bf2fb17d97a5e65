/* The controller's ports in the simulator: each request becomes a message
 * from "lb" over the links, copied at the call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"
#include "model_sim.h"

static model_msg *lb_msg(model_msg_kind kind, model_actor to, uint64_t id)
{
    return model_msg_new(kind, model_actor_of(MODEL_ACTOR_LB), to, id);
}

/* ---- clock -------------------------------------------------------------- */

static lb_time_t clock_now(void *ctx)
{
    return model_now(ctx);
}

static void wake_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;

    (void)engine;
    (void)arg;
    sim->wake_pending = false;
    if (sim->lb.timer != NULL)
        sim->lb.timer(sim->lb.ctx);
}

static void clock_wake_at(void *ctx, lb_time_t at_us)
{
    model_sim *sim = ctx;

    if (sim->wake_pending)
        model_cancel(sim, sim->wake_event);
    sim->wake_event = model_schedule(sim, at_us, wake_cb, sim, 0);
    sim->wake_pending = true;
}

/* ---- nginx -------------------------------------------------------------- */

static int nginx_stats_request(void *ctx, lb_request_id id)
{
    model_link_send(ctx, lb_msg(MODEL_MSG_STATS_REQUEST,
                                model_actor_of(MODEL_ACTOR_NGINX), id));
    return 0;
}

/* Resolves instance id for a table; an unknown one is named in msg->text
 * (NGINX rejects the table) and becomes MODEL_NONE. */
static uint32_t table_instance(model_sim *sim, model_msg *msg, const char *id)
{
    uint32_t index = model_instance_find(sim, id);

    if (index == MODEL_NONE && msg->text[0] == '\0')
        snprintf(msg->text, sizeof(msg->text), "%s", id);
    return index;
}

static int nginx_routes_apply(void *ctx, const lb_routes *routes)
{
    model_sim *sim = ctx;
    model_msg *msg = lb_msg(MODEL_MSG_ROUTES_APPLY,
                            model_actor_of(MODEL_ACTOR_NGINX),
                            routes->version);
    model_route_item *items = calloc(routes->route_count + 1,
                                     sizeof(*items));

    MODEL_ASSERT(items != NULL); /* out of memory */
    for (size_t i = 0; i < routes->route_count; i++) {
        const lb_route *route = &routes->routes[i];
        uint32_t tenant = model_tenant_intern(sim, route->tenant);

        if (tenant == MODEL_NONE || route->instance >= routes->instance_count) {
            free(items);
            model_msg_free(msg);
            return -EINVAL;
        }
        items[i] = (model_route_item){
            .tenant = tenant,
            .component = route->component,
            .instance = table_instance(sim, msg,
                                       routes->instances[route->instance].id),
        };
    }
    if (routes->default_instance != LB_ROUTE_NO_DEFAULT) {
        if (routes->default_instance >= routes->instance_count) {
            free(items);
            model_msg_free(msg);
            return -EINVAL;
        }
        msg->instance = table_instance(
            sim, msg, routes->instances[routes->default_instance].id);
    }

    msg->value = routes->version;
    model_msg_set_items(msg, items, routes->route_count, sizeof(*items));
    free(items);
    model_link_send(sim, msg);
    return 0;
}

/* ---- provider --------------------------------------------------------------- */

static int provider_create(void *ctx, lb_request_id id, const char *type)
{
    model_msg *msg = lb_msg(MODEL_MSG_INSTANCE_CREATE,
                            model_actor_of(MODEL_ACTOR_PROVIDER), id);

    snprintf(msg->text, sizeof(msg->text), "%s", type != NULL ? type : "");
    model_link_send(ctx, msg);
    return 0;
}

static int provider_operation(model_sim *sim, model_msg_kind kind,
                              lb_request_id id, const char *instance)
{
    model_msg *msg = lb_msg(kind, model_actor_of(MODEL_ACTOR_PROVIDER), id);

    /* An unknown id still goes out, and the provider replies not_found. */
    msg->instance = model_instance_find(sim, instance);
    snprintf(msg->text, sizeof(msg->text), "%s", instance);
    model_link_send(sim, msg);
    return 0;
}

static int provider_remove(void *ctx, lb_request_id id, const char *instance)
{
    return provider_operation(ctx, MODEL_MSG_INSTANCE_REMOVE, id, instance);
}

static int provider_restart(void *ctx, lb_request_id id, const char *instance)
{
    return provider_operation(ctx, MODEL_MSG_INSTANCE_RESTART, id, instance);
}

static int provider_list(void *ctx, lb_request_id id)
{
    model_link_send(ctx, lb_msg(MODEL_MSG_INSTANCE_LIST,
                                model_actor_of(MODEL_ACTOR_PROVIDER), id));
    return 0;
}

/* ---- dfm ---------------------------------------------------------------- */

static int dfm_start(void *ctx, const char *instance, lb_request_id id,
                     lb_component_mask components, const char *const *tenants,
                     size_t tenant_count)
{
    model_sim *sim = ctx;
    uint32_t index = model_instance_find(sim, instance);

    if (index == MODEL_NONE)
        return -ENOENT;

    uint32_t *items = calloc(tenant_count + 1, sizeof(*items));

    MODEL_ASSERT(items != NULL); /* out of memory */
    for (size_t i = 0; i < tenant_count; i++) {
        items[i] = model_tenant_intern(sim, tenants[i]);
        if (items[i] == MODEL_NONE) {
            free(items);
            return -EINVAL;
        }
    }

    model_msg *msg = lb_msg(MODEL_MSG_COMPONENTS_START,
                            model_actor_at(MODEL_ACTOR_DFM, index), id);

    msg->instance = index;
    msg->components = components;
    model_msg_set_items(msg, items, tenant_count, sizeof(*items));
    free(items);
    model_link_send(sim, msg);
    return 0;
}

static int dfm_stop(void *ctx, const char *instance, lb_request_id id,
                    lb_component_mask components, lb_time_t deadline_us)
{
    model_sim *sim = ctx;
    uint32_t index = model_instance_find(sim, instance);

    if (index == MODEL_NONE)
        return -ENOENT;

    model_msg *msg = lb_msg(MODEL_MSG_COMPONENTS_STOP,
                            model_actor_at(MODEL_ACTOR_DFM, index), id);

    msg->instance = index;
    msg->components = components;
    msg->time_us = deadline_us;
    model_link_send(sim, msg);
    return 0;
}

/* ---- log ------------------------------------------------------------------ */

static void log_write(void *ctx, lb_log_level level, const char *event,
                      const char *fields)
{
    model_log(ctx, level, event, fields != NULL ? fields : "");
}

void model_ports_fill(model_sim *sim, lb_ports *ports)
{
    memset(ports, 0, sizeof(*ports));
    ports->clock = (lb_clock_port){sim, clock_now, clock_wake_at};
    ports->nginx = (lb_nginx_port){sim, nginx_stats_request,
                                   nginx_routes_apply};
    ports->provider = (lb_provider_port){sim, provider_create, provider_remove,
                                         provider_restart, provider_list};
    ports->dfm = (lb_dfm_port){sim, dfm_start, dfm_stop};
    ports->log = (lb_log_port){sim, log_write};
}
