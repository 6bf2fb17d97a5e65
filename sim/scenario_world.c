/* The last step of a load: the scenario's world is built once and torn down
 * without running, so that validate and run reject the same files. The
 * loader checks what it can itself, with precise messages. A rule that only
 * the world checks still stops the load, placed at the key that its message
 * names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_loader.h"

/* A world error that starts with prefix and an index ("faults[2]") names
 * item index of the list at key. */
typedef struct sim_world_list {
    const char *prefix;
    const char *key;
} sim_world_list;

static const sim_world_list sim_world_lists[] = {
    {"tenants[", "tenants"},
    {"instances[", "topology.instances"},
    {"faults[", "faults"},
    {"tenant_events[", "tenant_events"},
};

/* A world error that starts with prefix names the section at key. */
static const sim_world_list sim_world_sections[] = {
    {"components", "topology.components"},
    {"instance_vcpus", "topology.instance_vcpus"},
    {"instance tenants", "topology.instances"},
    {"provider", "provider"},
    {"nginx", "nginx"},
    {"dfm", "dfm"},
    {"the controller", "topology.instances"},
};

/* The node at a dotted key of the root, or NULL. */
static const yaml_node_t *sim_world_node_at(sim_loader *loader,
                                            const char *key)
{
    sim_yaml *y = &loader->y;
    const yaml_node_t *node = loader->root;
    char part[SIM_YAML_PATH_MAX];

    while (node != NULL && *key != '\0') {
        size_t len = strcspn(key, ".");

        snprintf(part, sizeof(part), "%.*s", (int)len, key);
        node = sim_yaml_is_mapping(node) ? sim_yaml_get(y, node, part) : NULL;
        key += key[len] == '.' ? len + 1 : len;
    }
    return node;
}

/* Places "tenant ID: ..." at the tenant's key, in the tenants section or at
 * the tenant_events create that makes it. */
static const yaml_node_t *sim_world_tenant_node(sim_loader *loader,
                                                const char *id, char *key,
                                                size_t key_len)
{
    sim_yaml *y = &loader->y;
    const yaml_node_t *tenants = sim_world_node_at(loader, "tenants");
    const yaml_node_t *events = sim_world_node_at(loader, "tenant_events");

    if (tenants != NULL && sim_yaml_get(y, tenants, id) != NULL) {
        snprintf(key, key_len, "tenants.%s", id);
        return sim_yaml_get(y, tenants, id);
    }
    for (size_t i = 0; events != NULL && i < sim_yaml_item_count(events);
         i++) {
        const yaml_node_t *event = sim_yaml_item(y, events, i);
        const yaml_node_t *tenant = sim_yaml_get(y, event, "tenant");

        if (tenant != NULL && sim_yaml_text(tenant) != NULL &&
            strcmp(sim_yaml_text(tenant), id) == 0) {
            snprintf(key, key_len, "tenant_events[%zu]", i);
            return event;
        }
    }
    return NULL;
}

/* Finds the node and key that a world error names; the root when it names
 * no key of the scenario file. NOTE: the loader rejects every case known to
 * fail in world_create first, so no test reaches this mapping. */
static const yaml_node_t *sim_world_error_node(sim_loader *loader,
                                               const char *err, char *key,
                                               size_t key_len)
{
    const yaml_node_t *node = NULL;
    char id[LB_ID_LEN_MAX + 1];

    key[0] = '\0';
    if (sscanf(err, "tenant %63[^:]:", id) == 1) {
        node = sim_world_tenant_node(loader, id, key, key_len);
    }
    for (size_t i = 0; node == NULL && i < sizeof(sim_world_lists) /
                                               sizeof(sim_world_lists[0]);
         i++) {
        const sim_world_list *list = &sim_world_lists[i];
        size_t len = strlen(list->prefix);
        const yaml_node_t *items = sim_world_node_at(loader, list->key);
        size_t index;

        if (strncmp(err, list->prefix, len) != 0 || items == NULL ||
            !sim_yaml_is_sequence(items) ||
            sscanf(err + len, "%zu", &index) != 1 ||
            index >= sim_yaml_item_count(items)) {
            continue;
        }
        snprintf(key, key_len, "%s[%zu]", list->key, index);
        node = sim_yaml_item(&loader->y, items, index);
    }
    for (size_t i = 0; node == NULL && i < sizeof(sim_world_sections) /
                                               sizeof(sim_world_sections[0]);
         i++) {
        const sim_world_list *section = &sim_world_sections[i];

        if (strncmp(err, section->prefix, strlen(section->prefix)) == 0) {
            node = sim_world_node_at(loader, section->key);
            snprintf(key, key_len, "%s", node != NULL ? section->key : "");
        }
    }
    return node != NULL ? node : loader->root;
}

int sim_load_world_check(sim_loader *loader)
{
    char err[1024] = "";
    char key[SIM_YAML_PATH_MAX];
    const yaml_node_t *node;
    world *w;

    w = world_create(&loader->scenario->world, NULL, err, sizeof(err));
    if (w != NULL) {
        world_destroy(w);
        return 0;
    }
    if (strstr(err, "out of memory") != NULL) {
        return -ENOMEM;
    }
    node = sim_world_error_node(loader, err, key, sizeof(key));
    return sim_yaml_fail(&loader->y, node, key,
                         "expected settings that the simulated world "
                         "accepts, got: %s",
                         err);
}
