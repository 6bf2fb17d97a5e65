/* Checks across sections, run when every section is read: every tenant
 * with traffic has an instance to serve it, and the initial instances fit
 * the policy's bounds. */
#include <stdio.h>

#include "scenario_loader.h"

/* Fails on the first tenant of the tenants section or the trace that no
 * initial instance serves: its requests would have no route until the LB
 * learns of it, and the LB learns only of created tenants. */
static int sim_check_placement(sim_loader *loader)
{
    sim_yaml *y = &loader->y;
    const sim_name_list *tenants = &loader->tenants;
    const yaml_node_t *section = sim_yaml_get(y, loader->root, "tenants");

    for (size_t i = 0; i < tenants->count; i++) {
        const char *id = tenants->names[i];
        char key[SIM_YAML_PATH_MAX];
        const yaml_node_t *node;

        if (tenants->values[i] == SIM_NAME_CREATED ||
            sim_name_list_has(&loader->placed, id)) {
            continue;
        }
        if (tenants->values[i] != SIM_NAME_NO_VALUE) {
            sim_yaml_path_key(key, sizeof(key), "tenants", id);
            node = sim_yaml_pair_key(y, section, tenants->values[i]);
        } else {
            snprintf(key, sizeof(key), "traffic.trace");
            node = sim_yaml_get(y, sim_yaml_get(y, loader->root, "traffic"),
                                "trace");
        }
        return sim_yaml_fail(y, node, key,
                             "expected a tenant that an initial instance "
                             "serves, got '%s' which no instance lists; list "
                             "it under an instance's tenants, or create it "
                             "with tenant_events",
                             id);
    }
    return 0;
}

static int sim_check_instance_bounds(sim_loader *loader)
{
    const world_config *config = &loader->scenario->world;
    uint32_t max = loader->scenario->policy.instances_max;
    sim_yaml *y = &loader->y;

    if (config->instance_count <= max) {
        return 0;
    }
    return sim_yaml_fail(y,
                         sim_yaml_get(y, sim_yaml_get(y, loader->root,
                                                      "topology"),
                                      "instances"),
                         "topology.instances",
                         "expected at most policy.instances_max (%u) "
                         "initial instances, got %zu",
                         max, config->instance_count);
}

int sim_load_cross_checks(sim_loader *loader)
{
    int rc = sim_check_placement(loader);

    if (rc == 0) {
        rc = sim_check_instance_bounds(loader);
    }
    return rc;
}
