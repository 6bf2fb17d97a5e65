/* The controller's actions, read back from the message trace: scale-outs,
 * scale-ins, instance restarts and routing changes. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_metrics.h"

const char *sim_action_name(sim_action_kind kind)
{
    static const char *const names[] = {"scale_out", "scale_in", "restart",
                                        "route_change"};

    return names[kind];
}

/* The action a message from the LB starts, or -1. */
static int sim_action_of(const sim_msg *msg)
{
    if (strcmp(msg->from, "lb") != 0) {
        return -1;
    }
    if (strcmp(msg->kind, "instance_create") == 0) {
        return SIM_ACTION_SCALE_OUT;
    }
    if (strcmp(msg->kind, "instance_remove") == 0) {
        return SIM_ACTION_SCALE_IN;
    }
    if (strcmp(msg->kind, "instance_restart") == 0) {
        return SIM_ACTION_RESTART;
    }
    if (strcmp(msg->kind, "routes_apply") == 0) {
        return SIM_ACTION_ROUTE_CHANGE;
    }
    return -1;
}

/* The request id of an action, or the table version of a routes_apply: a
 * retry repeats it. */
static uint64_t sim_action_key(const sim_msg *msg, sim_action_kind kind)
{
    char version[32];

    if (kind == SIM_ACTION_ROUTE_CHANGE &&
        sim_fields_get(msg->fields, "version", version, sizeof(version)) == 0) {
        return strtoull(version, NULL, 10);
    }
    return msg->request_id;
}

static bool sim_action_seen(const sim_action *actions, size_t count,
                            sim_action_kind kind, uint64_t key)
{
    for (size_t i = 0; i < count; i++) {
        if (actions[i].kind == kind && actions[i].request_id == key) {
            return true;
        }
    }
    return false;
}

/* Writes the instance that the provider's reply to request id names, or
 * "-". */
static void sim_created_instance(const sim_record *record, size_t from,
                                 uint64_t request_id, char *instance)
{
    for (size_t i = from; i < record->msg_count; i++) {
        const sim_msg *msg = &record->msgs[i];

        if (msg->request_id == request_id &&
            strcmp(msg->kind, "instance_created") == 0 &&
            sim_fields_get(msg->fields, "instance", instance,
                           LB_ID_LEN_MAX + 1) == 0) {
            return;
        }
    }
    strcpy(instance, "-");
}

/* Writes the instance an action's request names, or "-". */
static void sim_action_instance(const sim_record *record, size_t index,
                                sim_action *action)
{
    const sim_msg *msg = &record->msgs[index];

    if (action->kind == SIM_ACTION_SCALE_OUT) {
        sim_created_instance(record, index, msg->request_id,
                             action->instance);
        return;
    }
    if (action->kind == SIM_ACTION_ROUTE_CHANGE ||
        sim_fields_get(msg->fields, "instance", action->instance,
                       sizeof(action->instance)) != 0) {
        strcpy(action->instance, "-");
    }
}

int sim_actions_collect(const sim_record *record, sim_action **out,
                        size_t *count)
{
    sim_action *actions = calloc(record->msg_count + 1, sizeof(*actions));
    size_t n = 0;

    if (actions == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < record->msg_count; i++) {
        const sim_msg *msg = &record->msgs[i];
        int kind = sim_action_of(msg);
        uint64_t key;

        if (kind < 0) {
            continue;
        }
        key = sim_action_key(msg, (sim_action_kind)kind);
        if (sim_action_seen(actions, n, (sim_action_kind)kind, key)) {
            continue;
        }
        actions[n].at_us = msg->at_us;
        actions[n].kind = (sim_action_kind)kind;
        actions[n].request_id = key;
        sim_action_instance(record, i, &actions[n]);
        n++;
    }
    *out = actions;
    *count = n;
    return 0;
}
