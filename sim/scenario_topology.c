/* The topology section: instance size, component kinds with their worker
 * pools and service times, and the instances that run at the start. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario_loader.h"

static const char *const sim_topology_keys[] = {
    "instance_vcpus", "components", "instances", NULL,
};
static const char *const sim_topology_required[] = {
    "components", "instances", NULL,
};
static const char *const sim_component_keys[] = {
    "workers", "queue", "service", NULL,
};
static const char *const sim_dist_keys[] = {
    "dist", "mean", "sigma", "file", NULL,
};
static const char *const sim_dist_names[] = {
    "deterministic", "exponential", "lognormal", "empirical", NULL,
};

int sim_load_component_index(sim_loader *loader, const yaml_node_t *node,
                             const char *key, uint32_t *out_index)
{
    const world_config *config = &loader->scenario->world;
    const char *names[LB_COMPONENTS_MAX + 1];
    size_t index;
    int rc;

    for (size_t i = 0; i < config->component_count; i++) {
        names[i] = config->components[i].name;
    }
    names[config->component_count] = NULL;
    rc = sim_yaml_node_choice(&loader->y, node, key, names, &index);
    if (rc == 0) {
        *out_index = (uint32_t)index;
    }
    return rc;
}

static int sim_load_dist_map(sim_loader *loader, const yaml_node_t *node,
                             const char *key, model_dist *out)
{
    sim_yaml *y = &loader->y;
    const char *file = NULL;
    size_t kind = MODEL_DIST_DETERMINISTIC;
    sim_time_t mean_us = 0;
    char path[SIM_YAML_PATH_MAX];
    int rc;

    rc = sim_yaml_check_keys(y, node, key, sim_dist_keys);
    if (rc == 0 && sim_yaml_get(y, node, "dist") != NULL) {
        sim_yaml_path_key(path, sizeof(path), key, "dist");
        rc = sim_yaml_node_choice(y, sim_yaml_get(y, node, "dist"), path,
                                  sim_dist_names, &kind);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, key, "mean", &mean_us);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_double(y, node, key, "sigma", 0.0, 10.0,
                                 &out->sigma);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_string(y, node, key, "file", &file);
    }
    if (rc != 0) {
        return rc;
    }

    out->kind = (model_dist_kind)kind;
    out->mean_us = (double)mean_us;
    if (out->kind == MODEL_DIST_EMPIRICAL) {
        if (file == NULL) {
            sim_yaml_path_key(path, sizeof(path), key, "file");
            return sim_yaml_fail(y, node, path,
                                 "expected a CSV file for dist empirical, "
                                 "got none");
        }
        out->empirical_path = sim_load_resolve_path(loader, file);
        if (out->empirical_path == NULL) {
            return -ENOMEM;
        }
        sim_yaml_path_key(path, sizeof(path), key, "file");
        return sim_load_empirical_file(loader, sim_yaml_get(y, node, "file"),
                                       path, out);
    } else if (sim_yaml_get(y, node, "mean") == NULL) {
        sim_yaml_path_key(path, sizeof(path), key, "mean");
        return sim_yaml_fail(y, node, path,
                             "expected a mean duration, got none");
    }
    return 0;
}

int sim_load_dist(sim_loader *loader, const yaml_node_t *node,
                  const char *key, model_dist *out)
{
    sim_time_t value_us;
    int rc;

    memset(out, 0, sizeof(*out));
    if (sim_yaml_is_mapping(node)) {
        return sim_load_dist_map(loader, node, key, out);
    }
    rc = sim_yaml_node_duration(&loader->y, node, key, &value_us);
    if (rc == 0) {
        out->kind = MODEL_DIST_DETERMINISTIC;
        out->mean_us = (double)value_us;
    }
    return rc;
}

static int sim_load_component(sim_loader *loader, const yaml_node_t *node,
                              const char *path,
                              world_component_config *component)
{
    sim_yaml *y = &loader->y;
    char key[SIM_YAML_PATH_MAX];
    int rc;

    component->workers = 4;
    component->queue_capacity = 64;
    component->service.kind = MODEL_DIST_EXPONENTIAL;
    component->service.mean_us = (double)SIM_MS(10);

    rc = sim_yaml_want_mapping(y, node, path);
    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, path, sim_component_keys);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_u32_range(y, node, path, "workers", 1, 100000,
                                    &component->workers);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_u32(y, node, path, "queue", 10000000,
                              &component->queue_capacity);
    }
    if (rc == 0 && sim_yaml_get(y, node, "service") != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "service");
        rc = sim_load_dist(loader, sim_yaml_get(y, node, "service"), key,
                           &component->service);
    }
    return rc;
}

static int sim_load_components(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    world_config *config = &loader->scenario->world;
    world_component_config *components;
    size_t count;
    int rc;

    rc = sim_yaml_want_mapping(y, node, "topology.components");
    if (rc != 0) {
        return rc;
    }
    count = sim_yaml_pair_count(node);
    if (count == 0 || count > LB_COMPONENTS_MAX) {
        return sim_yaml_fail(y, node, "topology.components",
                             "expected 1 to %d components, got %zu",
                             LB_COMPONENTS_MAX, count);
    }
    components = sim_pool_calloc(&loader->scenario->pool, count,
                                 sizeof(*components));
    if (components == NULL) {
        return -ENOMEM;
    }

    for (size_t i = 0; rc == 0 && i < count; i++) {
        yaml_node_t *name = sim_yaml_pair_key(y, node, i);
        char path[SIM_YAML_PATH_MAX];

        sim_yaml_path_key(path, sizeof(path), "topology.components",
                          sim_yaml_text(name) != NULL ? sim_yaml_text(name)
                                                      : "?");
        rc = sim_load_id(loader, name, path, &components[i].name);
        for (size_t j = 0; rc == 0 && j < i; j++) {
            if (strcmp(components[j].name, components[i].name) == 0) {
                rc = sim_yaml_fail(y, name, path,
                                   "expected each component once, got it "
                                   "twice");
            }
        }
        if (rc == 0) {
            rc = sim_load_component(loader, sim_yaml_pair_value(y, node, i),
                                    path, &components[i]);
        }
    }
    config->components = components;
    config->component_count = count;
    return rc;
}

int sim_load_topology(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    world_config *config = &loader->scenario->world;
    int rc;

    rc = sim_yaml_want_mapping(y, node, "topology");
    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, "topology", sim_topology_keys);
    }
    if (rc == 0) {
        rc = sim_yaml_require(y, node, "topology", sim_topology_required);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_u32_range(y, node, "topology", "instance_vcpus", 1,
                                    1024, &config->instance_vcpus);
    }
    if (rc == 0) {
        rc = sim_load_components(loader, sim_yaml_get(y, node, "components"));
    }
    /* Instances name tenants, so they are read after the tenants section,
     * by sim_load_instances. */
    return rc;
}
