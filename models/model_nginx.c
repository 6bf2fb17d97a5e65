/* The NGINX model: routes requests, applies routing tables, counts
 * statistics, detects instances that drop requests and proxies tenant
 * creates and removes from the BM Router to the DEV of the tenant's
 * instance.
 *
 * The table is kept materialised in each tenant (instance per component),
 * so routing a request is two array reads. A new table changes where new
 * requests go; requests in flight keep the instance they were sent to. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"
#include "model_sim.h"

static model_msg *nginx_msg(model_msg_kind kind, model_actor to,
                            uint64_t request_id)
{
    return model_msg_new(kind, model_actor_of(MODEL_ACTOR_NGINX), to,
                         request_id);
}

static uint32_t route_of(const model_sim *sim, uint32_t tenant,
                         uint32_t component)
{
    uint32_t instance = sim->tenants[tenant].route[component];

    return instance != MODEL_NONE ? instance : sim->default_instance;
}

static void check_stopped_target(model_sim *sim, const model_request *req)
{
    model_process *p = &sim->instances[req->instance].procs[req->component];
    char detail[256];

    if (!p->stop_requested || p->stop_violation_reported)
        return;
    p->stop_violation_reported = true;
    snprintf(detail, sizeof(detail), "instance=%s component=%s tenant=%s",
             sim->instances[req->instance].id,
             sim->components[req->component].name,
             sim->tenants[req->tenant].id);
    model_violation(sim, "no_request_after_stop", detail);
}

void model_nginx_route(model_sim *sim, uint32_t r)
{
    model_request *req = &sim->requests[r];
    uint32_t instance = route_of(sim, req->tenant, req->component);

    if (instance == MODEL_NONE) {
        model_request_finish(sim, r, MODEL_FAIL_NO_ROUTE);
        return;
    }
    req->instance = instance;
    check_stopped_target(sim, req);
    model_instance_accept(sim, r);
}

/* ---- dropping detection ---------------------------------------------- */

/* An error counts at the time it happens (a timeout when it fires), as a
 * detector that reads the error log sees it. The count of an instance
 * starts over when its DFM is ready after a boot, and errors of requests
 * sent before that (to the crashed instance, or while it booted) do not
 * count. Otherwise the timeouts of requests sent before a restart would
 * mark the restarted instance as dropping as soon as it is back. */
void model_nginx_note_error(model_sim *sim, uint32_t index,
                            sim_time_t sent_us)
{
    uint32_t threshold = sim->nginx.drop_errors;
    model_instance *inst = &sim->instances[index];
    sim_time_t now = model_now(sim);

    if (threshold == 0 || sent_us < inst->errors_from_us)
        return;
    inst->error_ring[inst->error_head] = now;
    inst->error_head = (inst->error_head + 1) % threshold;
    if (inst->error_count < threshold)
        inst->error_count++;
    if (inst->error_count < threshold)
        return;

    /* The ring is full: its oldest entry is the next to overwrite. */
    sim_time_t oldest = inst->error_ring[inst->error_head];

    if (now - oldest > sim->nginx.drop_window_us)
        return;
    if (inst->dropping_notified_us >= 0 &&
        now - inst->dropping_notified_us < sim->nginx.drop_window_us)
        return;

    inst->dropping_notified_us = now;
    inst->error_count = 0;

    model_msg *msg = nginx_msg(MODEL_MSG_INSTANCE_DROPPING,
                               model_actor_of(MODEL_ACTOR_LB), 0);

    msg->instance = index;
    msg->value = threshold;
    msg->time_us = sim->nginx.drop_window_us;
    model_link_send(sim, msg);
}

void model_nginx_instance_ready(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];

    inst->error_head = 0;
    inst->error_count = 0;
    inst->dropping_notified_us = -1;
    inst->errors_from_us = model_now(sim);
}

/* ---- statistics -------------------------------------------------------- */

static void stats_reply(model_sim *sim, const model_msg *request)
{
    model_stats_item *items = NULL;
    size_t count = 0;
    size_t cap = 0;

    model_instances_sync(sim);
    for (uint32_t t = 0; t < sim->tenant_count; t++) {
        model_tenant *tenant = &sim->tenants[t];

        for (size_t i = 0; i < tenant->cell_count; i++) {
            model_stats_cell *cell = &tenant->cells[i];

            if (cell->requests == 0)
                continue;
            if (count == cap) {
                cap = cap == 0 ? 64 : cap * 2;
                items = realloc(items, cap * sizeof(*items));
                MODEL_ASSERT(items != NULL); /* out of memory */
            }
            items[count++] = (model_stats_item){
                .tenant = t,
                .instance = cell->instance,
                .component = cell->component,
                .requests = cell->requests,
                .errors = cell->errors,
                .latency_us_sum = cell->latency_us_sum,
                .latency_us_max = cell->latency_us_max,
            };
            /* Counts restart from zero: the next reply covers the time
             * since this request. */
            cell->requests = 0;
            cell->errors = 0;
            cell->latency_us_sum = 0;
            cell->latency_us_max = 0;
        }
    }

    model_msg *reply = nginx_msg(MODEL_MSG_STATS_REPLY, request->from,
                                 request->request_id);

    reply->time_us = model_now(sim) - sim->stats_mark_us;
    sim->stats_mark_us = model_now(sim);
    model_msg_set_items(reply, items, count, sizeof(*items));
    free(items);
    model_link_send(sim, reply);
}

/* ---- routing tables ---------------------------------------------------- */

static const char *table_problem(const model_sim *sim, const model_msg *msg)
{
    const model_route_item *routes = msg->items;

    if (msg->text[0] != '\0')
        return "unknown_instance";
    if (msg->value < sim->routes_version)
        return "stale_version";
    for (size_t i = 0; i < msg->item_count; i++)
        if (routes[i].component >= sim->component_count ||
            routes[i].tenant >= sim->tenant_count)
            return "unknown_component";
    return NULL;
}

static void table_apply(model_sim *sim, const model_msg *msg)
{
    const model_route_item *routes = msg->items;

    for (uint32_t t = 0; t < sim->tenant_count; t++)
        for (size_t c = 0; c < LB_COMPONENTS_MAX; c++)
            sim->tenants[t].route[c] = MODEL_NONE;
    for (size_t i = 0; i < msg->item_count; i++)
        sim->tenants[routes[i].tenant].route[routes[i].component] =
            routes[i].instance;
    sim->default_instance = msg->instance;
    if (msg->value != sim->routes_version)
        sim->routing_changes++;
    sim->routes_version = msg->value;
}

static void routes_apply(model_sim *sim, const model_msg *msg)
{
    const char *problem = table_problem(sim, msg);
    model_msg *reply;

    if (problem != NULL) {
        reply = nginx_msg(MODEL_MSG_ROUTES_REJECTED, msg->from,
                          msg->request_id);
        if (msg->text[0] != '\0')
            snprintf(reply->text, sizeof(reply->text), "%.30s:%.90s", problem,
                     msg->text);
        else
            snprintf(reply->text, sizeof(reply->text), "%s", problem);
    } else {
        /* The same version again (a duplicate) is applied again, which
         * changes nothing, and confirmed again. */
        table_apply(sim, msg);
        reply = nginx_msg(MODEL_MSG_ROUTES_APPLIED, msg->from,
                          msg->request_id);
    }
    reply->value = msg->value;
    model_link_send(sim, reply);
    if (problem == NULL)
        model_invariants_check(sim);
}

void model_nginx_init_routes(model_sim *sim, const world_config *config)
{
    for (uint32_t i = 0; i < config->instance_count; i++) {
        const world_instance_config *ic = &config->instances[i];

        for (size_t k = 0; k < ic->tenant_count; k++) {
            uint32_t t = model_tenant_find(sim, ic->tenants[k]);

            for (uint32_t c = 0; c < sim->component_count; c++)
                if ((ic->components & (1u << c)) &&
                    sim->tenants[t].route[c] == MODEL_NONE)
                    sim->tenants[t].route[c] = i;
        }
    }
    sim->default_instance = config->instance_count > 0 ? 0 : MODEL_NONE;
}

/* ---- tenant create and remove ------------------------------------------ */

/* TODO: a create or remove lost on the way (DEV down, instance crashed, a
 * drop rule) is not retried by NGINX or the BM Router, so the LB never
 * hears of that tenant. */
static void proxy_to_dev(model_sim *sim, const model_msg *msg)
{
    /* DEV is component 0: the tenant's DEV route, else the default. */
    uint32_t instance = route_of(sim, msg->tenant, 0);

    if (instance == MODEL_NONE) {
        char fields[128];

        snprintf(fields, sizeof(fields), "tenant=%s",
                 sim->tenants[msg->tenant].id);
        model_log(sim, LB_LOG_WARN, "tenant_proxy_no_instance", fields);
        return;
    }

    model_msg *fwd = nginx_msg(msg->kind,
                               model_actor_at(MODEL_ACTOR_DEV, instance),
                               msg->request_id);

    fwd->tenant = msg->tenant;
    fwd->instance = instance;
    model_link_send(sim, fwd);
}

static void notify_lb(model_sim *sim, const model_msg *msg)
{
    model_msg *fwd = nginx_msg(msg->kind, model_actor_of(MODEL_ACTOR_LB),
                               msg->request_id);

    fwd->tenant = msg->tenant;
    fwd->instance = msg->instance;
    model_link_send(sim, fwd);
}

void model_nginx_receive(model_sim *sim, const model_msg *msg)
{
    switch (msg->kind) {
    case MODEL_MSG_STATS_REQUEST:
        stats_reply(sim, msg);
        break;
    case MODEL_MSG_ROUTES_APPLY:
        routes_apply(sim, msg);
        break;
    case MODEL_MSG_TENANT_CREATE:
    case MODEL_MSG_TENANT_REMOVE:
        proxy_to_dev(sim, msg);
        break;
    case MODEL_MSG_TENANT_CREATED:
    case MODEL_MSG_TENANT_REMOVED:
        notify_lb(sim, msg);
        break;
    default:
        model_log(sim, LB_LOG_WARN, "nginx_unexpected_message",
                  model_msg_kind_name(msg->kind));
        break;
    }
}
