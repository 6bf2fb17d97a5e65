/* The faults and tenant_events sections. Each fault kind takes only the keys
 * that mean something for it, and every name it gives (instance, component,
 * tenant, actor, message kind) must exist. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario_loader.h"

/* In the order of world_fault_kind. */
static const char *const sim_fault_names[] = {
    "kill_process",    "crash_instance",  "provider_slow",
    "provider_fail",   "message_drop",    "message_delay",
    "message_duplicate", "message_reorder", NULL,
};

static const char *const *sim_fault_keys(world_fault_kind kind)
{
    static const char *const process[] = {"kind", "at", "instance",
                                          "component", NULL};
    static const char *const instance[] = {"kind", "at", "instance", NULL};
    static const char *const slow[] = {"kind", "at", "until", "probability",
                                       "count", "delay", NULL};
    static const char *const fail[] = {"kind", "at", "until", "probability",
                                       "count", NULL};
    static const char *const message[] = {"kind", "at", "until",
                                          "probability", "count", "from",
                                          "to", "message", "delay", NULL};

    switch (kind) {
    case WORLD_FAULT_KILL_PROCESS:
        return process;
    case WORLD_FAULT_CRASH_INSTANCE:
        return instance;
    case WORLD_FAULT_PROVIDER_SLOW:
        return slow;
    case WORLD_FAULT_PROVIDER_FAIL:
        return fail;
    default:
        return message;
    }
}

static const char *const *sim_fault_required(world_fault_kind kind)
{
    static const char *const process[] = {"instance", "component", NULL};
    static const char *const instance[] = {"instance", NULL};
    static const char *const delay[] = {"delay", NULL};
    static const char *const none[] = {NULL};

    switch (kind) {
    case WORLD_FAULT_KILL_PROCESS:
        return process;
    case WORLD_FAULT_CRASH_INSTANCE:
        return instance;
    case WORLD_FAULT_PROVIDER_SLOW:
    case WORLD_FAULT_MSG_DELAY:
        return delay;
    default:
        return none;
    }
}

static int sim_load_fault_instance(sim_loader *loader,
                                   const yaml_node_t *node, const char *key,
                                   const char **out)
{
    const world_config *config = &loader->scenario->world;
    int rc = sim_load_id(loader, node, key, out);

    for (size_t i = 0; rc == 0 && i < config->instance_count; i++) {
        if (strcmp(config->instances[i].id, *out) == 0) {
            return 0;
        }
    }

    /* Instances that the Provider creates during the run are named vm-1,
     * vm-2, ... in order; a fault on one that does not exist at its time
     * is skipped and logged. */
    if (rc == 0 && world_instance_name_is_future(*out)) {
        return 0;
    }
    if (rc == 0) {
        rc = sim_yaml_fail(&loader->y, node, key,
                           "expected an instance of topology.instances or "
                           "a name the Provider gives (vm-<n>), got "
                           "unknown instance '%s'",
                           *out);
    }
    return rc;
}

/* Actors are "lb", "nginx", "provider", "bm_router", "dfm/<instance>" and
 * "dev/<instance>". The instance part is not checked: instances created
 * during the run get their ids from the Provider model. */
int sim_load_actor(sim_loader *loader, const yaml_node_t *node,
                          const char *key, const char **out)
{
    static const char *const plain[] = {"lb", "nginx", "provider",
                                        "bm_router", NULL};
    const char *text = sim_yaml_text(node);

    if (sim_yaml_is_scalar(node)) {
        for (size_t i = 0; plain[i] != NULL; i++) {
            if (strcmp(text, plain[i]) == 0) {
                return sim_yaml_node_string(&loader->y, node, key, out);
            }
        }
        if ((strncmp(text, "dfm/", 4) == 0 || strncmp(text, "dev/", 4) == 0) &&
            text[4] != '\0') {
            return sim_yaml_node_string(&loader->y, node, key, out);
        }
    }
    return sim_yaml_fail_expected(&loader->y, node, key,
                                  "an actor: lb, nginx, provider, bm_router, "
                                  "dfm/<instance> or dev/<instance>");
}

static int sim_load_fault_names(sim_loader *loader, const yaml_node_t *node,
                                const char *path, world_fault *fault)
{
    sim_yaml *y = &loader->y;
    char key[SIM_YAML_PATH_MAX];
    const yaml_node_t *value;
    size_t kind_index = 0;
    uint32_t component = 0;
    int rc = 0;

    if ((value = sim_yaml_get(y, node, "instance")) != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "instance");
        rc = sim_load_fault_instance(loader, value, key, &fault->instance);
    }
    if (rc == 0 && (value = sim_yaml_get(y, node, "component")) != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "component");
        rc = sim_load_component_index(loader, value, key, &component);
        if (rc == 0) {
            fault->component =
                loader->scenario->world.components[component].name;
        }
    }
    if (rc == 0 && (value = sim_yaml_get(y, node, "from")) != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "from");
        rc = sim_load_actor(loader, value, key, &fault->from);
    }
    if (rc == 0 && (value = sim_yaml_get(y, node, "to")) != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "to");
        rc = sim_load_actor(loader, value, key, &fault->to);
    }
    if (rc == 0 && (value = sim_yaml_get(y, node, "message")) != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "message");
        rc = sim_yaml_node_choice(y, value, key, sim_msg_kinds, &kind_index);
        fault->kind_match = rc == 0 ? sim_msg_kinds[kind_index] : NULL;
    }
    return rc;
}

static int sim_load_fault_times(sim_loader *loader, const yaml_node_t *node,
                                const char *path, world_fault *fault)
{
    sim_yaml *y = &loader->y;
    char key[SIM_YAML_PATH_MAX];
    int rc;

    rc = sim_yaml_opt_duration(y, node, path, "at", &fault->at_us);
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, path, "until", &fault->until_us);
    }
    if (rc == 0 && fault->until_us <= fault->at_us) {
        sim_yaml_path_key(key, sizeof(key), path, "until");
        rc = sim_yaml_fail_expected(y, sim_yaml_get(y, node, "until"), key,
                                    "a time after at");
    }
    if (rc == 0) {
        rc = sim_yaml_opt_double(y, node, path, "probability", 0.0, 1.0,
                                 &fault->probability);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_u32(y, node, path, "count", UINT32_MAX,
                              &fault->count);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, path, "delay", &fault->delay_us);
    }
    return rc;
}

/* A process can be killed only on an instance that runs it. */
static int sim_check_kill_target(sim_loader *loader, const yaml_node_t *node,
                                 const char *path, const world_fault *fault)
{
    const world_config *config = &loader->scenario->world;
    char key[SIM_YAML_PATH_MAX];
    lb_component_mask bit = 0;

    for (size_t c = 0; c < config->component_count; c++) {
        if (strcmp(config->components[c].name, fault->component) == 0) {
            bit = (lb_component_mask)1 << c;
        }
    }
    for (size_t i = 0; i < config->instance_count; i++) {
        const world_instance_config *instance = &config->instances[i];

        if (strcmp(instance->id, fault->instance) == 0 &&
            (instance->components & bit) == 0) {
            sim_yaml_path_key(key, sizeof(key), path, "component");
            return sim_yaml_fail(&loader->y,
                                 sim_yaml_get(&loader->y, node, "component"),
                                 key,
                                 "expected a component that instance '%s' "
                                 "runs, got '%s'",
                                 instance->id, fault->component);
        }
    }
    return 0;
}

static int sim_load_fault(sim_loader *loader, const yaml_node_t *node,
                          const char *path, world_fault *fault)
{
    sim_yaml *y = &loader->y;
    static const char *const required[] = {"kind", NULL};
    char key[SIM_YAML_PATH_MAX];
    size_t kind = 0;
    int rc;

    fault->until_us = SIM_TIME_MAX;
    fault->probability = 1.0;
    rc = sim_yaml_want_mapping(y, node, path);
    if (rc == 0) {
        rc = sim_yaml_require(y, node, path, required);
    }
    if (rc == 0) {
        sim_yaml_path_key(key, sizeof(key), path, "kind");
        rc = sim_yaml_node_choice(y, sim_yaml_get(y, node, "kind"), key,
                                  sim_fault_names, &kind);
    }
    fault->kind = (world_fault_kind)kind;
    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, path, sim_fault_keys(fault->kind));
    }
    if (rc == 0) {
        rc = sim_yaml_require(y, node, path, sim_fault_required(fault->kind));
    }
    if (rc == 0) {
        rc = sim_load_fault_times(loader, node, path, fault);
    }
    if (rc == 0) {
        rc = sim_load_fault_names(loader, node, path, fault);
    }
    if (rc == 0 && fault->kind == WORLD_FAULT_KILL_PROCESS) {
        rc = sim_check_kill_target(loader, node, path, fault);
    }
    if (rc == 0 && fault->at_us >= loader->scenario->world.duration_us) {
        sim_yaml_path_key(key, sizeof(key), path, "at");
        rc = sim_yaml_fail_expected(y, sim_yaml_get(y, node, "at"), key,
                                    "a time within the scenario's duration");
    }
    return rc;
}

int sim_load_faults(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    world_config *config = &loader->scenario->world;
    world_fault *faults;
    size_t count;
    int rc = sim_yaml_want_sequence(y, node, "faults");

    if (rc != 0) {
        return rc;
    }
    count = sim_yaml_item_count(node);
    faults = sim_pool_calloc(&loader->scenario->pool, count + 1,
                             sizeof(*faults));
    if (faults == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char path[SIM_YAML_PATH_MAX];

        sim_yaml_path_index(path, sizeof(path), "faults", i);
        rc = sim_load_fault(loader, sim_yaml_item(y, node, i), path,
                            &faults[i]);
    }
    config->faults = faults;
    config->fault_count = count;
    return rc;
}
