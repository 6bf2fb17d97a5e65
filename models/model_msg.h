/* Messages between actors and the links that carry them.
 *
 * A message owns a copy of everything it carries, taken at send time, so a
 * late or duplicated delivery carries what was sent. Tenants and instances
 * travel as indexes into the model_sim tables, whose entries never move or
 * disappear during a run. Each delivery (and each loss) is reported to the
 * observer as a sim_msg with the kind names of the controller's protocol. */
#ifndef MODELS_MODEL_MSG_H
#define MODELS_MODEL_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "ports.h"

typedef struct model_sim model_sim;

typedef enum model_msg_kind {
    MODEL_MSG_STATS_REQUEST = 0,
    MODEL_MSG_STATS_REPLY,
    MODEL_MSG_ROUTES_APPLY,
    MODEL_MSG_ROUTES_APPLIED,
    MODEL_MSG_ROUTES_REJECTED,
    MODEL_MSG_INSTANCE_DROPPING,
    MODEL_MSG_INSTANCE_CREATE,
    MODEL_MSG_INSTANCE_CREATED,
    MODEL_MSG_INSTANCE_CREATE_FAILED,
    MODEL_MSG_INSTANCE_REMOVE,
    MODEL_MSG_INSTANCE_REMOVED,
    MODEL_MSG_INSTANCE_REMOVE_FAILED,
    MODEL_MSG_INSTANCE_RESTART,
    MODEL_MSG_INSTANCE_RESTARTED,
    MODEL_MSG_INSTANCE_RESTART_FAILED,
    MODEL_MSG_INSTANCE_LIST,
    MODEL_MSG_INSTANCE_LIST_REPLY,
    MODEL_MSG_DFM_READY,
    MODEL_MSG_OVERLOAD,
    MODEL_MSG_LOW_LOAD,
    MODEL_MSG_COMPONENT_DOWN,
    MODEL_MSG_COMPONENT_UP,
    MODEL_MSG_COMPONENTS_START,
    MODEL_MSG_COMPONENTS_STARTED,
    MODEL_MSG_COMPONENTS_START_FAILED,
    MODEL_MSG_COMPONENTS_STOP,
    MODEL_MSG_COMPONENTS_STOPPED,
    MODEL_MSG_TENANT_CREATE,
    MODEL_MSG_TENANT_REMOVE,
    MODEL_MSG_TENANT_CREATED,
    MODEL_MSG_TENANT_REMOVED,
    MODEL_MSG_KIND_COUNT,
} model_msg_kind;

/* The protocol name of kind ("stats_request", ...). */
const char *model_msg_kind_name(model_msg_kind kind);

typedef enum model_actor_kind {
    MODEL_ACTOR_LB = 0,
    MODEL_ACTOR_NGINX,
    MODEL_ACTOR_PROVIDER,
    MODEL_ACTOR_BM_ROUTER,
    MODEL_ACTOR_DFM, /* of instance */
    MODEL_ACTOR_DEV, /* of instance */
} model_actor_kind;

typedef struct model_actor {
    model_actor_kind kind;
    uint32_t instance; /* DFM and DEV only */
} model_actor;

model_actor model_actor_of(model_actor_kind kind);
model_actor model_actor_at(model_actor_kind kind, uint32_t instance);
/* "lb", "nginx", "provider", "bm_router", "dfm/<id>" or "dev/<id>". */
const char *model_actor_name(const model_sim *sim, model_actor actor);

/* Items of a routes_apply. instance is MODEL_NONE for an id NGINX does not
 * know (the message's text names it). */
typedef struct model_route_item {
    uint32_t tenant;
    uint32_t component;
    uint32_t instance;
} model_route_item;

/* Items of a stats_reply. */
typedef struct model_stats_item {
    uint32_t tenant;
    uint32_t instance; /* MODEL_NONE: requests NGINX could not route */
    uint32_t component;
    uint64_t requests;
    uint64_t errors;
    uint64_t latency_us_sum;
    uint64_t latency_us_max;
} model_stats_item;

typedef struct model_msg {
    model_msg_kind kind;
    model_actor from;
    model_actor to;
    uint64_t request_id;

    /* Scalar payload; which fields a kind uses is in model_msg_fields.c. */
    uint32_t instance;  /* subject instance, MODEL_NONE for none */
    uint32_t tenant;    /* MODEL_NONE for none */
    uint32_t component; /* MODEL_NONE for none */
    lb_component_mask components;
    uint64_t value;      /* table version, killed or error count */
    int64_t time_us;     /* deadline, window or interval */
    uint32_t cpu_permille;
    char text[128];      /* reason, instance type or unknown id */

    /* Array payload: routes, statistics, tenants, CPU per process or
     * instances, item_size bytes each. */
    void *items;
    size_t item_count;
    size_t item_size;

    char *fields; /* key=value text, built at send time */

    /* Link bookkeeping. */
    int64_t sent_us;
    struct model_msg *prev;
    struct model_msg *next;
    sim_event_id event;
} model_msg;

/* Allocates a message with no payload (indexes MODEL_NONE). Dies when memory
 * runs out: control messages are few, and a run without them is void. */
model_msg *model_msg_new(model_msg_kind kind, model_actor from,
                         model_actor to, uint64_t request_id);
/* Copies count items of size bytes into msg. */
void model_msg_set_items(model_msg *msg, const void *items, size_t count,
                         size_t size);
model_msg *model_msg_clone(const model_msg *msg);
void model_msg_free(model_msg *msg);

/* Builds msg->fields from its payload. */
void model_msg_build_fields(const model_sim *sim, model_msg *msg);

/* Sends msg (taking it) over the link between its actors: link latency,
 * FIFO order per pair of actors, then the fault rules. */
void model_link_send(model_sim *sim, model_msg *msg);
/* Records msg as lost at the current time and frees it. */
void model_link_lose(model_sim *sim, model_msg *msg);
/* Frees every message still in flight. */
void model_link_clear(model_sim *sim);

#endif
