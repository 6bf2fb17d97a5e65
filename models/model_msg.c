/* Messages: kind names, actors, allocation and the key=value fields. */
#include "model_msg.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"
#include "model_sim.h"
#include "model_strbuf.h"

static const char *const kind_names[MODEL_MSG_KIND_COUNT] = {
    [MODEL_MSG_STATS_REQUEST] = "stats_request",
    [MODEL_MSG_STATS_REPLY] = "stats_reply",
    [MODEL_MSG_ROUTES_APPLY] = "routes_apply",
    [MODEL_MSG_ROUTES_APPLIED] = "routes_applied",
    [MODEL_MSG_ROUTES_REJECTED] = "routes_rejected",
    [MODEL_MSG_INSTANCE_DROPPING] = "instance_dropping",
    [MODEL_MSG_INSTANCE_CREATE] = "instance_create",
    [MODEL_MSG_INSTANCE_CREATED] = "instance_created",
    [MODEL_MSG_INSTANCE_CREATE_FAILED] = "instance_create_failed",
    [MODEL_MSG_INSTANCE_REMOVE] = "instance_remove",
    [MODEL_MSG_INSTANCE_REMOVED] = "instance_removed",
    [MODEL_MSG_INSTANCE_REMOVE_FAILED] = "instance_remove_failed",
    [MODEL_MSG_INSTANCE_RESTART] = "instance_restart",
    [MODEL_MSG_INSTANCE_RESTARTED] = "instance_restarted",
    [MODEL_MSG_INSTANCE_RESTART_FAILED] = "instance_restart_failed",
    [MODEL_MSG_INSTANCE_LIST] = "instance_list",
    [MODEL_MSG_INSTANCE_LIST_REPLY] = "instance_list_reply",
    [MODEL_MSG_DFM_READY] = "dfm_ready",
    [MODEL_MSG_OVERLOAD] = "overload",
    [MODEL_MSG_LOW_LOAD] = "low_load",
    [MODEL_MSG_COMPONENT_DOWN] = "component_down",
    [MODEL_MSG_COMPONENT_UP] = "component_up",
    [MODEL_MSG_COMPONENTS_START] = "components_start",
    [MODEL_MSG_COMPONENTS_STARTED] = "components_started",
    [MODEL_MSG_COMPONENTS_START_FAILED] = "components_start_failed",
    [MODEL_MSG_COMPONENTS_STOP] = "components_stop",
    [MODEL_MSG_COMPONENTS_STOPPED] = "components_stopped",
    [MODEL_MSG_TENANT_CREATE] = "tenant_create",
    [MODEL_MSG_TENANT_REMOVE] = "tenant_remove",
    [MODEL_MSG_TENANT_CREATED] = "tenant_created",
    [MODEL_MSG_TENANT_REMOVED] = "tenant_removed",
};

const char *model_msg_kind_name(model_msg_kind kind)
{
    MODEL_ASSERT((unsigned)kind < MODEL_MSG_KIND_COUNT);
    return kind_names[kind];
}

model_actor model_actor_of(model_actor_kind kind)
{
    return (model_actor){.kind = kind, .instance = MODEL_NONE};
}

model_actor model_actor_at(model_actor_kind kind, uint32_t instance)
{
    return (model_actor){.kind = kind, .instance = instance};
}

const char *model_actor_name(const model_sim *sim, model_actor actor)
{
    switch (actor.kind) {
    case MODEL_ACTOR_LB:
        return "lb";
    case MODEL_ACTOR_NGINX:
        return "nginx";
    case MODEL_ACTOR_PROVIDER:
        return "provider";
    case MODEL_ACTOR_BM_ROUTER:
        return "bm_router";
    case MODEL_ACTOR_DFM:
        MODEL_ASSERT(actor.instance < sim->instance_count);
        return sim->instances[actor.instance].dfm_name;
    case MODEL_ACTOR_DEV:
        MODEL_ASSERT(actor.instance < sim->instance_count);
        return sim->instances[actor.instance].dev_name;
    }
    MODEL_ASSERT(0 && "unknown actor kind");
    return "";
}

model_msg *model_msg_new(model_msg_kind kind, model_actor from,
                         model_actor to, uint64_t request_id)
{
    model_msg *msg = calloc(1, sizeof(*msg));

    MODEL_ASSERT(msg != NULL); /* out of memory */
    msg->kind = kind;
    msg->from = from;
    msg->to = to;
    msg->request_id = request_id;
    msg->instance = MODEL_NONE;
    msg->tenant = MODEL_NONE;
    msg->component = MODEL_NONE;
    return msg;
}

void model_msg_set_items(model_msg *msg, const void *items, size_t count,
                         size_t size)
{
    free(msg->items);
    msg->items = NULL;
    msg->item_count = count;
    msg->item_size = size;
    if (count == 0)
        return;

    msg->items = malloc(count * size);
    MODEL_ASSERT(msg->items != NULL); /* out of memory */
    memcpy(msg->items, items, count * size);
}

model_msg *model_msg_clone(const model_msg *msg)
{
    model_msg *copy = model_msg_new(msg->kind, msg->from, msg->to,
                                    msg->request_id);
    char *fields = NULL;

    if (msg->fields != NULL) {
        fields = strdup(msg->fields);
        MODEL_ASSERT(fields != NULL); /* out of memory */
    }
    *copy = *msg;
    copy->items = NULL;
    model_msg_set_items(copy, msg->items, msg->item_count, msg->item_size);
    copy->fields = fields;
    copy->prev = NULL;
    copy->next = NULL;
    return copy;
}

void model_msg_free(model_msg *msg)
{
    if (msg == NULL)
        return;
    free(msg->items);
    free(msg->fields);
    free(msg);
}
