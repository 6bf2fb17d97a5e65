/* The tenants section: each tenant's traffic pattern, request mix over the
 * components and cost factor. Tenant creates of the BM Router use the same
 * settings. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario_loader.h"

static const char *const sim_tenant_keys[] = {
    "pattern", "rate", "rate2", "start", "end", "period", "mix", "cost", NULL,
};

/* In the order of world_pattern_kind; "trace" is WORLD_PATTERN_NONE. */
static const char *const sim_pattern_names[] = {
    "trace", "constant", "step", "ramp", "spike", "diurnal", NULL,
};

#define SIM_RATE_MAX 1e7

static int sim_load_mix(sim_loader *loader, const yaml_node_t *node,
                        const char *path, world_tenant_config *tenant)
{
    sim_yaml *y = &loader->y;
    double total = 0.0;
    int rc = sim_yaml_want_mapping(y, node, path);

    if (rc != 0) {
        return rc;
    }
    memset(tenant->mix, 0, sizeof(tenant->mix));
    for (size_t i = 0; rc == 0 && i < sim_yaml_pair_count(node); i++) {
        yaml_node_t *name = sim_yaml_pair_key(y, node, i);
        char key[SIM_YAML_PATH_MAX];
        uint32_t component = 0;
        double share = 0.0;

        sim_yaml_path_key(key, sizeof(key), path,
                          sim_yaml_text(name) != NULL ? sim_yaml_text(name)
                                                      : "?");
        rc = sim_load_component_index(loader, name, key, &component);
        if (rc == 0) {
            rc = sim_yaml_node_double(y, sim_yaml_pair_value(y, node, i),
                                      key, 0.0, 1e9, &share);
        }
        tenant->mix[component < LB_COMPONENTS_MAX ? component : 0] = share;
        total += share;
    }
    if (rc == 0 && total <= 0.0) {
        return sim_yaml_fail_expected(y, node, path,
                                      "at least one share above 0");
    }
    /* Shares are relative: {dev: 3, dep: 1} sends 75 % of requests to dev. */
    for (size_t i = 0; rc == 0 && i < LB_COMPONENTS_MAX; i++) {
        tenant->mix[i] /= total;
    }
    return rc;
}

static int sim_load_pattern_times(sim_loader *loader, const yaml_node_t *node,
                                  const char *path, world_pattern *pattern)
{
    sim_yaml *y = &loader->y;
    char key[SIM_YAML_PATH_MAX];
    int rc;

    rc = sim_yaml_opt_double(y, node, path, "rate", 0.0, SIM_RATE_MAX,
                             &pattern->rate_per_s);
    if (rc == 0) {
        rc = sim_yaml_opt_double(y, node, path, "rate2", 0.0, SIM_RATE_MAX,
                                 &pattern->rate2_per_s);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, path, "start", &pattern->start_us);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, path, "end", &pattern->end_us);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, path, "period",
                                   &pattern->period_us);
    }
    if (rc == 0 && sim_yaml_get(y, node, "end") != NULL &&
        pattern->end_us <= pattern->start_us) {
        sim_yaml_path_key(key, sizeof(key), path, "end");
        rc = sim_yaml_fail_expected(y, sim_yaml_get(y, node, "end"), key,
                                    "a time after start");
    }
    return rc;
}

/* A diurnal rate is rate + rate2 * sin(...): a period of 0 has no cycle, and
 * an amplitude above the mean would make the rate negative. */
static int sim_check_diurnal(sim_loader *loader, const yaml_node_t *node,
                             const char *path, const world_pattern *pattern)
{
    sim_yaml *y = &loader->y;
    char key[SIM_YAML_PATH_MAX];

    if (pattern->kind != WORLD_PATTERN_DIURNAL) {
        return 0;
    }
    if (pattern->period_us == 0) {
        sim_yaml_path_key(key, sizeof(key), path, "period");
        return sim_yaml_fail_expected(y, sim_yaml_get(y, node, "period"), key,
                                      "a period above 0 for pattern diurnal");
    }
    if (pattern->rate2_per_s > pattern->rate_per_s) {
        sim_yaml_path_key(key, sizeof(key), path, "rate2");
        return sim_yaml_fail(y, sim_yaml_get(y, node, "rate2"), key,
                             "expected an amplitude no larger than rate "
                             "(%g) for pattern diurnal, got %g",
                             pattern->rate_per_s, pattern->rate2_per_s);
    }
    return 0;
}

/* The keys each pattern needs, beyond "pattern" itself. */
static const char *const *sim_pattern_required(world_pattern_kind kind)
{
    static const char *const none[] = {NULL};
    static const char *const constant[] = {"rate", NULL};
    static const char *const step[] = {"rate", "rate2", "start", NULL};
    static const char *const window[] = {"rate", "rate2", "start", "end",
                                         NULL};
    static const char *const diurnal[] = {"rate", "rate2", "period", NULL};

    switch (kind) {
    case WORLD_PATTERN_CONSTANT:
        return constant;
    case WORLD_PATTERN_STEP:
        return step;
    case WORLD_PATTERN_RAMP:
    case WORLD_PATTERN_SPIKE:
        return window;
    case WORLD_PATTERN_DIURNAL:
        return diurnal;
    default:
        return none;
    }
}

int sim_load_tenant_settings(sim_loader *loader, const yaml_node_t *node,
                             const char *path, const char *const *allowed,
                             world_tenant_config *tenant)
{
    sim_yaml *y = &loader->y;
    char key[SIM_YAML_PATH_MAX];
    size_t pattern = WORLD_PATTERN_CONSTANT;
    int rc;

    tenant->cost_factor = 1.0;
    tenant->mix[0] = 1.0;
    rc = sim_yaml_want_mapping(y, node, path);
    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, path, allowed);
    }
    if (rc == 0 && sim_yaml_get(y, node, "pattern") != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "pattern");
        rc = sim_yaml_node_choice(y, sim_yaml_get(y, node, "pattern"), key,
                                  sim_pattern_names, &pattern);
    }
    tenant->pattern.kind = (world_pattern_kind)pattern;
    if (rc == 0) {
        rc = sim_yaml_require(y, node, path,
                              sim_pattern_required(tenant->pattern.kind));
    }
    if (rc == 0) {
        rc = sim_load_pattern_times(loader, node, path, &tenant->pattern);
    }
    if (rc == 0) {
        rc = sim_check_diurnal(loader, node, path, &tenant->pattern);
    }
    if (rc == 0 && sim_yaml_get(y, node, "mix") != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "mix");
        rc = sim_load_mix(loader, sim_yaml_get(y, node, "mix"), key, tenant);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_double(y, node, path, "cost", 0.0, 1e6,
                                 &tenant->cost_factor);
    }
    return rc;
}

/* A tenant that takes its traffic from the trace needs a trace. */
static int sim_check_trace_needed(sim_loader *loader, const yaml_node_t *node,
                                  const char *path)
{
    sim_yaml *y = &loader->y;
    char key[SIM_YAML_PATH_MAX];

    if (sim_yaml_get(y, loader->root, "traffic") != NULL) {
        return 0;
    }
    sim_yaml_path_key(key, sizeof(key), path, "pattern");
    return sim_yaml_fail(y, sim_yaml_get(y, node, "pattern"), key,
                         "expected a pattern other than trace, or a traffic "
                         "section with a trace file, got pattern trace "
                         "without a trace");
}

int sim_load_tenants(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    world_config *config = &loader->scenario->world;
    world_tenant_config *tenants;
    size_t count;
    int rc = sim_yaml_want_mapping(y, node, "tenants");

    if (rc != 0) {
        return rc;
    }
    count = sim_yaml_pair_count(node);
    tenants = sim_pool_calloc(&loader->scenario->pool, count + 1,
                              sizeof(*tenants));
    if (tenants == NULL) {
        return -ENOMEM;
    }

    for (size_t i = 0; rc == 0 && i < count; i++) {
        yaml_node_t *name = sim_yaml_pair_key(y, node, i);
        yaml_node_t *value = sim_yaml_pair_value(y, node, i);
        char path[SIM_YAML_PATH_MAX];

        sim_yaml_path_key(path, sizeof(path), "tenants",
                          sim_yaml_text(name) != NULL ? sim_yaml_text(name)
                                                      : "?");
        rc = sim_load_id(loader, name, path, &tenants[i].id);
        if (rc == 0 && sim_name_list_has(&loader->tenants, tenants[i].id)) {
            rc = sim_yaml_fail(y, name, path,
                               "expected each tenant once, got it twice");
        }
        if (rc == 0) {
            rc = sim_load_tenant_settings(loader, value, path,
                                          sim_tenant_keys, &tenants[i]);
        }
        if (rc == 0 && tenants[i].pattern.kind == WORLD_PATTERN_NONE) {
            rc = sim_check_trace_needed(loader, value, path);
        }
        if (rc == 0) {
            rc = sim_name_list_put(loader, &loader->tenants, tenants[i].id,
                                   i);
        }
    }
    config->tenants = tenants;
    config->tenant_count = count;
    return rc;
}
