/* The BM Router: sends tenant creates and removes to NGINX at their times;
 * NGINX proxies each to the DEV of the tenant's instance. */
#include "model_sim.h"

static void tenant_event_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    const world_tenant_event *ev = &sim->tenant_events[arg];
    model_msg *msg = model_msg_new(
        ev->kind == WORLD_TENANT_CREATE ? MODEL_MSG_TENANT_CREATE
                                        : MODEL_MSG_TENANT_REMOVE,
        model_actor_of(MODEL_ACTOR_BM_ROUTER),
        model_actor_of(MODEL_ACTOR_NGINX), arg + 1);

    (void)engine;
    msg->tenant = model_tenant_find(sim, ev->tenant.id);
    model_link_send(sim, msg);
}

int model_bm_router_start(model_sim *sim)
{
    for (size_t i = 0; i < sim->tenant_event_count; i++)
        model_schedule(sim, sim->tenant_events[i].at_us, tenant_event_cb, sim,
                       i);
    return 0;
}
