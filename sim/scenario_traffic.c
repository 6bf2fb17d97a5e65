/* The traffic section: a trace CSV replayed for tenants with pattern trace.
 * The loader reads the trace once (scenario_files.c), so that a missing or
 * malformed trace stops the load and its tenants can be named elsewhere. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario_loader.h"

static const char *const sim_traffic_keys[] = {
    "trace", "time_scale", "rate_scale", "clones", NULL,
};
static const char *const sim_traffic_required[] = {"trace", NULL};

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
    loader->scenario->world.trace = trace;
    return rc;
}
