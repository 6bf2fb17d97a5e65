/* Metric bounds of the expect section, and the names of metrics and
 * invariants that scenario files use. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario_loader.h"

const char *const sim_invariant_names[SIM_INVARIANT_COUNT] = {
    "route_to_running",        /* every tenant routed to a running instance */
    "no_request_after_stop",   /* nothing sent to stopped components */
    "instances_within_bounds", /* min_instances <= count <= max_instances */
    "single_scale_out",        /* one scale-out per overload */
    "requests_answered",       /* every LB request replied to or timed out */
};

int sim_invariant_index(const char *name)
{
    for (int i = 0; i < SIM_INVARIANT_COUNT; i++) {
        if (strcmp(sim_invariant_names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

static const char *const sim_metric_names[SIM_METRIC_COUNT] = {
    "failed_requests", "latency_p50_ms",  "latency_p95_ms",
    "latency_p99_ms",  "instances",       "instance_hours",
    "scaling_actions", "recovery_time",
};

const char *sim_metric_name(sim_metric metric)
{
    return sim_metric_names[metric];
}

typedef enum sim_bound_type {
    SIM_BOUND_COUNT,    /* a whole number */
    SIM_BOUND_NUMBER,   /* any non-negative number */
    SIM_BOUND_DURATION, /* a duration, kept in seconds */
} sim_bound_type;

typedef struct sim_bound_key {
    const char *key;
    sim_metric metric;
    bool is_max;
    sim_bound_type type;
} sim_bound_key;

static const sim_bound_key sim_bound_keys[] = {
    {"failed_requests_max", SIM_METRIC_FAILED_REQUESTS, true, SIM_BOUND_COUNT},
    {"latency_p50_ms_max", SIM_METRIC_LATENCY_P50_MS, true, SIM_BOUND_NUMBER},
    {"latency_p95_ms_max", SIM_METRIC_LATENCY_P95_MS, true, SIM_BOUND_NUMBER},
    {"latency_p99_ms_max", SIM_METRIC_LATENCY_P99_MS, true, SIM_BOUND_NUMBER},
    {"instances_min", SIM_METRIC_INSTANCES, false, SIM_BOUND_COUNT},
    {"instances_max", SIM_METRIC_INSTANCES, true, SIM_BOUND_COUNT},
    {"instance_hours_max", SIM_METRIC_INSTANCE_HOURS, true, SIM_BOUND_NUMBER},
    {"scaling_actions_max", SIM_METRIC_SCALING_ACTIONS, true,
     SIM_BOUND_COUNT},
    {"recovery_time_max", SIM_METRIC_RECOVERY_TIME_S, true,
     SIM_BOUND_DURATION},
};

#define SIM_BOUND_KEY_COUNT (sizeof(sim_bound_keys) / sizeof(sim_bound_keys[0]))

static int sim_load_bound(sim_loader *loader, const yaml_node_t *node,
                          const char *key, const sim_bound_key *spec,
                          sim_metric_bound *bound)
{
    sim_yaml *y = &loader->y;
    uint64_t count = 0;
    sim_time_t duration_us = 0;
    int rc;

    bound->name = spec->key;
    bound->metric = spec->metric;
    bound->is_max = spec->is_max;
    switch (spec->type) {
    case SIM_BOUND_COUNT:
        rc = sim_yaml_node_uint(y, node, key, UINT32_MAX, &count);
        bound->value = (double)count;
        return rc;
    case SIM_BOUND_NUMBER:
        return sim_yaml_node_double(y, node, key, 0.0, 1e12, &bound->value);
    default:
        rc = sim_yaml_node_duration(y, node, key, &duration_us);
        bound->value = (double)duration_us / (double)SIM_US_PER_S;
        return rc;
    }
}

int sim_load_metrics(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    sim_expect *expect = &loader->scenario->expect;
    const char *names[SIM_BOUND_KEY_COUNT + 1];
    sim_metric_bound *bounds;
    size_t count = 0;
    int rc = sim_yaml_want_mapping(y, node, "expect.metrics");

    for (size_t i = 0; i < SIM_BOUND_KEY_COUNT; i++) {
        names[i] = sim_bound_keys[i].key;
    }
    names[SIM_BOUND_KEY_COUNT] = NULL;
    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, "expect.metrics", names);
    }
    bounds = sim_pool_calloc(&loader->scenario->pool, SIM_BOUND_KEY_COUNT,
                             sizeof(*bounds));
    if (bounds == NULL) {
        return -ENOMEM;
    }

    /* Bounds are kept in the order of the table, not of the file, so that
     * reports list them the same way in every scenario. */
    for (size_t i = 0; rc == 0 && i < SIM_BOUND_KEY_COUNT; i++) {
        const yaml_node_t *value = sim_yaml_get(y, node, sim_bound_keys[i].key);
        char key[SIM_YAML_PATH_MAX];

        if (value == NULL) {
            continue;
        }
        sim_yaml_path_key(key, sizeof(key), "expect.metrics",
                          sim_bound_keys[i].key);
        rc = sim_load_bound(loader, value, key, &sim_bound_keys[i],
                            &bounds[count++]);
    }
    expect->bounds = bounds;
    expect->bound_count = count;
    return rc;
}
