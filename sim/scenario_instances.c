/* The initial instances of the topology: their ids, the components each
 * runs and the tenants each serves. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario_loader.h"

static const char *const sim_instance_keys[] = {
    "id", "components", "tenants", NULL,
};
static const char *const sim_instance_required[] = {
    "id", "components", NULL,
};

static int sim_load_instance_components(sim_loader *loader,
                                        const yaml_node_t *node,
                                        const char *path,
                                        lb_component_mask *mask)
{
    sim_yaml *y = &loader->y;
    int rc = sim_yaml_want_sequence(y, node, path);

    if (rc == 0 && sim_yaml_item_count(node) == 0) {
        rc = sim_yaml_fail_expected(y, node, path, "at least one component");
    }
    for (size_t i = 0; rc == 0 && i < sim_yaml_item_count(node); i++) {
        char key[SIM_YAML_PATH_MAX];
        uint32_t index;

        sim_yaml_path_index(key, sizeof(key), path, i);
        rc = sim_load_component_index(loader, sim_yaml_item(y, node, i), key,
                                      &index);
        if (rc == 0 && (*mask & ((lb_component_mask)1 << index)) != 0) {
            rc = sim_yaml_fail(y, sim_yaml_item(y, node, i), key,
                               "expected each component once, got '%s' "
                               "twice",
                               sim_yaml_text(sim_yaml_item(y, node, i)));
        }
        if (rc == 0) {
            *mask |= (lb_component_mask)1 << index;
        }
    }
    return rc;
}

/* Returns the tenant whose mix a tenant uses. The models give a trace clone
 * its original's mix, and any other tenant its own. */
static const char *sim_settings_tenant(const sim_loader *loader,
                                       const char *tenant)
{
    size_t original;

    if (sim_name_list_get(&loader->clones, tenant, &original)) {
        return loader->traced.names[original];
    }
    return tenant;
}

/* A tenant is served by one initial instance, and that instance runs every
 * component the tenant's mix sends requests to. */
static int sim_check_instance_tenant(sim_loader *loader,
                                     const yaml_node_t *item, const char *key,
                                     size_t instance_index,
                                     const world_instance_config *instance,
                                     const char *tenant)
{
    const world_config *config = &loader->scenario->world;
    sim_yaml *y = &loader->y;
    size_t index;

    if (sim_name_list_get(&loader->placed, tenant, &index)) {
        if (index == instance_index) {
            return sim_yaml_fail(y, item, key,
                                 "expected each tenant once, got '%s' twice "
                                 "in this list",
                                 tenant);
        }
        return sim_yaml_fail(y, item, key,
                             "expected a tenant that no other initial "
                             "instance serves, got '%s' which "
                             "topology.instances[%zu] (%s) serves already",
                             tenant, index, config->instances[index].id);
    }
    if (!sim_name_list_get(&loader->tenants,
                           sim_settings_tenant(loader, tenant), &index) ||
        index >= config->tenant_count) {
        return 0;
    }
    for (size_t c = 0; c < config->component_count; c++) {
        bool runs = (instance->components & ((lb_component_mask)1 << c)) != 0;

        if (config->tenants[index].mix[c] > 0.0 && !runs) {
            return sim_yaml_fail(y, item, key,
                                 "expected a tenant whose mix needs only "
                                 "components that instance '%s' runs, got "
                                 "'%s' whose mix sends requests to '%s'",
                                 instance->id, tenant,
                                 config->components[c].name);
        }
    }
    return 0;
}

static int sim_load_instance_tenants(sim_loader *loader,
                                     const yaml_node_t *node,
                                     const char *path, size_t instance_index,
                                     world_instance_config *instance)
{
    sim_yaml *y = &loader->y;
    const char **tenants;
    size_t count;
    int rc = sim_yaml_want_sequence(y, node, path);

    if (rc != 0) {
        return rc;
    }
    count = sim_yaml_item_count(node);
    tenants = sim_pool_calloc(&loader->scenario->pool, count + 1,
                              sizeof(*tenants));
    if (tenants == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        yaml_node_t *item = sim_yaml_item(y, node, i);
        char key[SIM_YAML_PATH_MAX];

        sim_yaml_path_index(key, sizeof(key), path, i);
        rc = sim_load_id(loader, item, key, &tenants[i]);
        if (rc == 0 && !sim_name_list_has(&loader->tenants, tenants[i])) {
            rc = sim_yaml_fail(y, item, key,
                               "expected a tenant of the tenants section or "
                               "the trace, got unknown tenant '%s'",
                               tenants[i]);
        }
        if (rc == 0) {
            rc = sim_check_instance_tenant(loader, item, key, instance_index,
                                           instance, tenants[i]);
        }
        if (rc == 0) {
            rc = sim_name_list_put(loader, &loader->placed, tenants[i],
                                   instance_index);
        }
    }
    instance->tenants = tenants;
    instance->tenant_count = count;
    return rc;
}

static int sim_load_instance(sim_loader *loader, const yaml_node_t *node,
                             const char *path, size_t index,
                             world_instance_config *instance)
{
    sim_yaml *y = &loader->y;
    char key[SIM_YAML_PATH_MAX];
    int rc;

    rc = sim_yaml_want_mapping(y, node, path);
    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, path, sim_instance_keys);
    }
    if (rc == 0) {
        rc = sim_yaml_require(y, node, path, sim_instance_required);
    }
    if (rc == 0) {
        sim_yaml_path_key(key, sizeof(key), path, "id");
        rc = sim_load_id(loader, sim_yaml_get(y, node, "id"), key,
                         &instance->id);
    }
    if (rc == 0) {
        sim_yaml_path_key(key, sizeof(key), path, "components");
        rc = sim_load_instance_components(
            loader, sim_yaml_get(y, node, "components"), key,
            &instance->components);
    }
    if (rc == 0 && sim_yaml_get(y, node, "tenants") != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "tenants");
        rc = sim_load_instance_tenants(
            loader, sim_yaml_get(y, node, "tenants"), key, index, instance);
    }
    return rc;
}

int sim_load_instances(sim_loader *loader, const yaml_node_t *topology)
{
    sim_yaml *y = &loader->y;
    world_config *config = &loader->scenario->world;
    const yaml_node_t *node = sim_yaml_get(y, topology, "instances");
    world_instance_config *instances;
    size_t count;
    int rc;

    rc = sim_yaml_want_sequence(y, node, "topology.instances");
    if (rc != 0) {
        return rc;
    }
    count = sim_yaml_item_count(node);
    if (count == 0) {
        return sim_yaml_fail_expected(y, node, "topology.instances",
                                      "at least one instance");
    }
    instances = sim_pool_calloc(&loader->scenario->pool, count,
                                sizeof(*instances));
    if (instances == NULL) {
        return -ENOMEM;
    }
    /* Set first: a tenant's check names the instance that serves it. */
    config->instances = instances;
    config->instance_count = count;

    for (size_t i = 0; rc == 0 && i < count; i++) {
        char path[SIM_YAML_PATH_MAX];

        sim_yaml_path_index(path, sizeof(path), "topology.instances", i);
        rc = sim_load_instance(loader, sim_yaml_item(y, node, i), path, i,
                               &instances[i]);
        for (size_t j = 0; rc == 0 && j < i; j++) {
            if (strcmp(instances[j].id, instances[i].id) == 0) {
                rc = sim_yaml_fail(y, sim_yaml_item(y, node, i), path,
                                   "expected a new instance id, got '%s' "
                                   "twice",
                                   instances[i].id);
            }
        }
    }
    if (rc == 0) {
        rc = sim_load_place_clones(loader);
    }
    return rc;
}

/* Returns the index of the instance that a clone starts on, or
 * SIM_NAME_NO_VALUE when the file lists the clone itself or no initial
 * instance serves its original. */
static size_t sim_clone_instance(const sim_loader *loader, size_t clone)
{
    const char *original;
    size_t instance;

    if (sim_name_list_has(&loader->placed, loader->clones.names[clone])) {
        return SIM_NAME_NO_VALUE;
    }
    original = loader->traced.names[loader->clones.values[clone]];
    if (!sim_name_list_get(&loader->placed, original, &instance)) {
        return SIM_NAME_NO_VALUE;
    }
    return instance;
}

/* The world's instances, which world_config declares const. They are
 * writable, because sim_load_instances allocates them in the pool. */
static world_instance_config *sim_instances(sim_loader *loader)
{
    return (world_instance_config *)loader->scenario->world.instances;
}

/* Copies each instance's tenant list into lists[i], with room for its
 * added[i] clones and the NULL that ends it. */
static int sim_grow_instance_tenants(sim_loader *loader, const size_t *added,
                                     const char ***lists)
{
    const world_config *config = &loader->scenario->world;

    for (size_t i = 0; i < config->instance_count; i++) {
        world_instance_config *instance = &sim_instances(loader)[i];

        if (added[i] == 0) {
            continue;
        }
        lists[i] = sim_pool_calloc(&loader->scenario->pool,
                                   instance->tenant_count + added[i] + 1,
                                   sizeof(*lists[i]));
        if (lists[i] == NULL) {
            return -ENOMEM;
        }
        for (size_t t = 0; t < instance->tenant_count; t++) {
            lists[i][t] = instance->tenants[t];
        }
        instance->tenants = lists[i];
    }
    return 0;
}

int sim_load_place_clones(sim_loader *loader)
{
    const world_config *config = &loader->scenario->world;
    const sim_name_list *clones = &loader->clones;
    sim_pool *pool = &loader->scenario->pool;
    const char ***lists;
    size_t *targets;
    size_t *added;
    int rc;

    if (clones->count == 0) {
        return 0;
    }
    targets = sim_pool_calloc(pool, clones->count, sizeof(*targets));
    added = sim_pool_calloc(pool, config->instance_count, sizeof(*added));
    lists = sim_pool_calloc(pool, config->instance_count, sizeof(*lists));
    if (targets == NULL || added == NULL || lists == NULL) {
        return -ENOMEM;
    }

    /* Decide every clone's instance before placing any, because placing a
     * clone adds it to the placed list that the decision reads. */
    for (size_t c = 0; c < clones->count; c++) {
        targets[c] = sim_clone_instance(loader, c);
        if (targets[c] != SIM_NAME_NO_VALUE) {
            added[targets[c]]++;
        }
    }
    rc = sim_grow_instance_tenants(loader, added, lists);

    for (size_t c = 0; rc == 0 && c < clones->count; c++) {
        size_t i = targets[c];

        if (i == SIM_NAME_NO_VALUE) {
            continue;
        }
        lists[i][sim_instances(loader)[i].tenant_count++] = clones->names[c];
        rc = sim_name_list_put(loader, &loader->placed, clones->names[c], i);
    }
    return rc;
}
