/* The traffic section: a trace CSV replayed for tenants with pattern trace.
 * The loader reads the trace once (scenario_files.c), so that a missing or
 * malformed trace stops the load and its tenants can be named elsewhere. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "scenario_loader.h"

static const char *const sim_traffic_keys[] = {
    "trace", "time_scale", "rate_scale", "clones", NULL,
};
static const char *const sim_traffic_required[] = {"trace", NULL};

/* Returns whether the models clone a trace tenant. They replay the trace,
 * and so clone, only tenants that the tenants section omits or gives
 * pattern trace (models/model_traffic.c). */
static bool sim_trace_tenant_cloned(const sim_loader *loader,
                                    const char *id)
{
    const world_config *config = &loader->scenario->world;
    size_t index;

    if (!sim_name_list_get(&loader->tenants, id, &index) ||
        index >= config->tenant_count) {
        return true;
    }
    return config->tenants[index].pattern.kind == WORLD_PATTERN_NONE;
}

/* Adds the ids "<id>-c1" to "<id>-c<clones - 1>" of each cloned trace tenant
 * to the tenants and clones lists, as the models name them, so that the
 * rest of the file can name clones and placement can find them. */
static int sim_add_clone_ids(sim_loader *loader, uint32_t clones)
{
    const sim_name_list *traced = &loader->traced;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < traced->count; i++) {
        if (!sim_trace_tenant_cloned(loader, traced->names[i])) {
            continue;
        }
        for (uint32_t k = 1; rc == 0 && k < clones; k++) {
            char id[LB_ID_LEN_MAX + 16];
            const char *clone;

            snprintf(id, sizeof(id), "%s-c%u", traced->names[i], k);
            clone = sim_pool_strdup(&loader->scenario->pool, id);
            if (clone == NULL) {
                return -ENOMEM;
            }
            rc = sim_name_list_put(loader, &loader->clones, clone, i);
            if (rc == 0) {
                rc = sim_name_list_add(loader, &loader->tenants, clone);
            }
        }
    }
    return rc;
}

int sim_load_traffic(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    world_trace_config *trace;
    const char *file = NULL;
    int rc;

    trace = sim_pool_calloc(&loader->scenario->pool, 1, sizeof(*trace));
    if (trace == NULL) {
        return -ENOMEM;
    }
    trace->time_scale = 1.0;
    trace->rate_scale = 1.0;
    trace->clones = 1;

    rc = sim_yaml_want_mapping(y, node, "traffic");
    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, "traffic", sim_traffic_keys);
    }
    if (rc == 0) {
        rc = sim_yaml_require(y, node, "traffic", sim_traffic_required);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_string(y, node, "traffic", "trace", &file);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_double(y, node, "traffic", "time_scale", 1e-6, 1e6,
                                 &trace->time_scale);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_double(y, node, "traffic", "rate_scale", 0.0, 1e6,
                                 &trace->rate_scale);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_u32_range(y, node, "traffic", "clones", 1, 1000,
                                    &trace->clones);
    }
    if (rc == 0) {
        trace->path = sim_load_resolve_path(loader, file);
        rc = trace->path == NULL ? -ENOMEM : 0;
    }
    if (rc == 0) {
        rc = sim_load_trace_tenants(loader, sim_yaml_get(y, node, "trace"),
                                    "traffic.trace", trace->path);
    }
    if (rc == 0) {
        rc = sim_add_clone_ids(loader, trace->clones);
    }
    loader->scenario->world.trace = trace;
    return rc;
}
