/* The scenario loader's entry point: top-level keys, defaults, and the
 * helpers its sections share. */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario_loader.h"

static const char *const sim_top_keys[] = {
    "name",     "description", "seed",     "duration", "sample_interval",
    "topology", "tenants",     "policy",   "traffic",  "dfm",
    "nginx",    "provider",    "link_latency", "faults", "tenant_events",
    "expect",   NULL,
};

static const char *const sim_top_required[] = {
    "name", "duration", "topology", "tenants", NULL,
};

/* Defaults of everything a file may leave out; documented in
 * docs/scenario-format.md. */
static void sim_scenario_defaults(sim_scenario *scenario)
{
    world_config *config = &scenario->world;

    scenario->description = "";
    lb_policy_defaults(&scenario->policy);
    config->policy = &scenario->policy;
    config->seed = 1;
    config->sample_interval_us = SIM_S(1);
    config->instance_vcpus = 4;

    config->dfm.sample_interval_us = SIM_S(1);
    config->dfm.overload_permille = 800;
    config->dfm.low_load_permille = 200;
    config->dfm.window_us = SIM_S(10);
    config->dfm.restart_delay_us = SIM_S(2);

    config->nginx.drop_errors = 20;
    config->nginx.drop_window_us = SIM_S(5);
    config->nginx.request_timeout_us = SIM_S(5);

    config->provider.create_delay.mean_us = (double)SIM_S(20);
    config->provider.remove_delay.mean_us = (double)SIM_S(5);
    config->provider.restart_delay.mean_us = (double)SIM_S(15);
    config->provider.boot_delay.mean_us = (double)SIM_S(10);

    config->link_latency.mean_us = (double)SIM_MS(1);

    for (size_t i = 0; i < SIM_INVARIANT_COUNT; i++) {
        scenario->expect.invariant_on[i] = true;
    }
}

int sim_load_id(sim_loader *loader, const yaml_node_t *node, const char *key,
                const char **out)
{
    static const char *what =
        "an id of 1 to 63 characters from A-Z, a-z, 0-9, '_', '-' and '.', "
        "not only dots";
    const char *text = sim_yaml_text(node);
    size_t len;

    if (!sim_yaml_is_scalar(node)) {
        return sim_yaml_fail_expected(&loader->y, node, key, what);
    }
    len = strlen(text);
    /* "." and ".." would name folders other than the scenario's own. */
    if (len == 0 || len > LB_ID_LEN_MAX || strspn(text, ".") == len) {
        return sim_yaml_fail_expected(&loader->y, node, key, what);
    }
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)text[i]) && text[i] != '_' &&
            text[i] != '-' && text[i] != '.') {
            return sim_yaml_fail_expected(&loader->y, node, key, what);
        }
    }
    return sim_yaml_node_string(&loader->y, node, key, out);
}

const char *sim_load_resolve_path(sim_loader *loader, const char *path)
{
    char *joined;
    size_t dir_len = strlen(loader->dir);

    if (path[0] == '/' || dir_len == 0) {
        return sim_pool_strdup(&loader->scenario->pool, path);
    }
    joined = sim_pool_alloc(&loader->scenario->pool, dir_len + strlen(path) + 1);
    if (joined != NULL) {
        memcpy(joined, loader->dir, dir_len);
        strcpy(joined + dir_len, path);
    }
    return joined;
}

/* Keeps the scenario file's folder, so that paths inside it resolve
 * relative to the file and not to the working folder. */
static int sim_loader_set_dir(sim_loader *loader, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t len = slash == NULL ? 0 : (size_t)(slash - path) + 1;
    char *dir = sim_pool_alloc(&loader->scenario->pool, len + 1);

    if (dir == NULL) {
        return -ENOMEM;
    }
    memcpy(dir, path, len);
    dir[len] = '\0';
    loader->dir = dir;
    return 0;
}

static int sim_load_header(sim_loader *loader, const yaml_node_t *root)
{
    sim_scenario *scenario = loader->scenario;
    sim_yaml *y = &loader->y;
    world_config *config = &scenario->world;
    int rc;

    rc = sim_load_id(loader, sim_yaml_get(y, root, "name"), "name",
                     &scenario->name);
    if (rc == 0) {
        rc = sim_yaml_opt_string(y, root, "", "description",
                                 &scenario->description);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_uint(y, root, "", "seed", UINT64_MAX, &config->seed);
    }
    if (rc == 0) {
        rc = sim_yaml_node_duration(y, sim_yaml_get(y, root, "duration"),
                                    "duration", &config->duration_us);
    }
    if (rc == 0 && (config->duration_us == 0 ||
                    config->duration_us > SIM_SCENARIO_DURATION_MAX_US)) {
        rc = sim_yaml_fail_expected(y, sim_yaml_get(y, root, "duration"),
                                    "duration",
                                    "a duration above 0 and at most 720h "
                                    "(30 days)");
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, root, "", "sample_interval",
                                   &config->sample_interval_us);
    }
    if (rc == 0 && config->sample_interval_us == 0) {
        rc = sim_yaml_fail_expected(y, sim_yaml_get(y, root,
                                                    "sample_interval"),
                                    "sample_interval", "a duration above 0");
    }
    return rc;
}

/* A section that is present is passed to its reader; an absent optional
 * section keeps its defaults. */
typedef int (*sim_section_fn)(sim_loader *loader, const yaml_node_t *node);

typedef struct sim_section {
    const char *key;
    sim_section_fn load;
} sim_section;

/* In the order they are read: each section may name what the ones before it
 * declare. "topology" comes twice: its instances name tenants. */
static const sim_section sim_sections[] = {
    {"topology", sim_load_topology},
    {"tenants", sim_load_tenants},
    {"traffic", sim_load_traffic},
    {"topology", sim_load_instances},
    {"policy", sim_load_policy},
    {"dfm", sim_load_dfm},
    {"nginx", sim_load_nginx},
    {"provider", sim_load_provider},
    {"tenant_events", sim_load_tenant_events},
    {"faults", sim_load_faults},
    {"expect", sim_load_expect},
};

static int sim_load_root(sim_loader *loader, const yaml_node_t *root)
{
    sim_yaml *y = &loader->y;
    int rc;

    if (!sim_yaml_is_mapping(root)) {
        return sim_yaml_fail_expected(y, root, "",
                                      "a mapping of scenario keys");
    }
    rc = sim_yaml_check_keys(y, root, "", sim_top_keys);
    if (rc == 0) {
        rc = sim_yaml_require(y, root, "", sim_top_required);
    }
    if (rc == 0) {
        rc = sim_load_header(loader, root);
    }
    for (size_t i = 0; rc == 0 && i < sizeof(sim_sections) /
                                          sizeof(sim_sections[0]); i++) {
        const yaml_node_t *node = sim_yaml_get(y, root, sim_sections[i].key);

        if (node != NULL) {
            rc = sim_sections[i].load(loader, node);
        }
    }
    if (rc == 0 && sim_yaml_get(y, root, "link_latency") != NULL) {
        rc = sim_load_dist(loader, sim_yaml_get(y, root, "link_latency"),
                           "link_latency", &loader->scenario->world.link_latency);
    }
    if (rc == 0) {
        rc = sim_load_cross_checks(loader);
    }
    if (rc == 0) {
        rc = sim_load_world_check(loader);
    }
    return rc;
}

int sim_scenario_load(sim_scenario *scenario, const char *path, char *err,
                      size_t err_len)
{
    sim_loader loader;
    int rc;

    memset(scenario, 0, sizeof(*scenario));
    memset(&loader, 0, sizeof(loader));
    sim_pool_init(&scenario->pool);
    loader.scenario = scenario;
    sim_scenario_defaults(scenario);

    scenario->path = sim_pool_strdup(&scenario->pool, path);
    if (scenario->path == NULL || sim_loader_set_dir(&loader, path) != 0) {
        snprintf(err, err_len, "%s: out of memory", path);
        sim_scenario_deinit(scenario);
        return -ENOMEM;
    }

    rc = sim_yaml_open(&loader.y, path, &scenario->pool, err, err_len);
    if (rc == 0) {
        loader.root = sim_yaml_root(&loader.y);
        rc = sim_load_root(&loader, loader.root);
        sim_yaml_close(&loader.y);
    }
    if (rc == -ENOMEM) {
        snprintf(err, err_len, "%s: out of memory", path);
    }
    if (rc != 0) {
        sim_scenario_deinit(scenario);
    }
    return rc;
}

void sim_scenario_deinit(sim_scenario *scenario)
{
    sim_pool_deinit(&scenario->pool);
    memset(scenario, 0, sizeof(*scenario));
}
