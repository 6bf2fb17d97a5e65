/* The tenant_events section: tenant creates and removes that the BM Router
 * sends during the run, in time order. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario_loader.h"

static const char *const sim_event_kinds[] = {"create", "remove", NULL};

static const char *const sim_create_keys[] = {
    "kind", "at", "tenant", "pattern", "rate", "rate2", "start",
    "end",  "period", "mix", "cost", NULL,
};
static const char *const sim_remove_keys[] = {"kind", "at", "tenant", NULL};
static const char *const sim_event_required[] = {"kind", "at", "tenant",
                                                 NULL};

static int sim_load_event_tenant(sim_loader *loader, const yaml_node_t *node,
                                 const char *path, size_t index,
                                 world_tenant_event *event)
{
    sim_yaml *y = &loader->y;
    const yaml_node_t *value = sim_yaml_get(y, node, "tenant");
    char key[SIM_YAML_PATH_MAX];
    size_t removed_by;
    bool known;
    int rc;

    sim_yaml_path_key(key, sizeof(key), path, "tenant");
    rc = sim_load_id(loader, value, key, &event->tenant.id);
    if (rc != 0) {
        return rc;
    }
    known = sim_name_list_has(&loader->tenants, event->tenant.id);
    if (sim_name_list_get(&loader->removed, event->tenant.id, &removed_by)) {
        /* Ids are not reused: a removed tenant's totals stay under its id. */
        return sim_yaml_fail(y, value, key,
                             "expected %s, got '%s' which tenant_events[%zu] "
                             "removed already",
                             event->kind == WORLD_TENANT_REMOVE
                                 ? "a tenant that exists at this time"
                                 : "a new tenant id (ids are not reused)",
                             event->tenant.id, removed_by);
    }
    if (event->kind == WORLD_TENANT_REMOVE && !known) {
        return sim_yaml_fail(y, value, key,
                             "expected a tenant that exists at this time, "
                             "got unknown tenant '%s'",
                             event->tenant.id);
    }
    if (event->kind == WORLD_TENANT_CREATE && known) {
        return sim_yaml_fail(y, value, key,
                             "expected a new tenant id, got '%s' which "
                             "exists already",
                             event->tenant.id);
    }
    if (event->kind == WORLD_TENANT_CREATE) {
        return sim_name_list_put(loader, &loader->tenants, event->tenant.id,
                                 SIM_NAME_CREATED);
    }
    return sim_name_list_put(loader, &loader->removed, event->tenant.id,
                             index);
}

static int sim_load_tenant_event(sim_loader *loader, const yaml_node_t *node,
                                 const char *path, size_t index,
                                 sim_time_t earliest_us,
                                 world_tenant_event *event)
{
    sim_yaml *y = &loader->y;
    char key[SIM_YAML_PATH_MAX];
    size_t kind = 0;
    int rc;

    rc = sim_yaml_want_mapping(y, node, path);
    if (rc == 0) {
        rc = sim_yaml_require(y, node, path, sim_event_required);
    }
    if (rc == 0) {
        sim_yaml_path_key(key, sizeof(key), path, "kind");
        rc = sim_yaml_node_choice(y, sim_yaml_get(y, node, "kind"), key,
                                  sim_event_kinds, &kind);
    }
    event->kind = (world_tenant_event_kind)kind;
    if (rc == 0) {
        sim_yaml_path_key(key, sizeof(key), path, "at");
        rc = sim_yaml_node_duration(y, sim_yaml_get(y, node, "at"), key,
                                    &event->at_us);
    }
    if (rc == 0 && event->at_us < earliest_us) {
        rc = sim_yaml_fail_expected(y, sim_yaml_get(y, node, "at"), key,
                                    "events in time order, at or after the "
                                    "previous event");
    }
    if (rc == 0 && event->at_us >= loader->scenario->world.duration_us) {
        rc = sim_yaml_fail_expected(y, sim_yaml_get(y, node, "at"), key,
                                    "a time within the scenario's duration");
    }
    if (rc == 0 && event->kind == WORLD_TENANT_CREATE) {
        rc = sim_load_tenant_settings(loader, node, path, sim_create_keys,
                                      &event->tenant);
    } else if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, path, sim_remove_keys);
    }
    if (rc == 0) {
        rc = sim_load_event_tenant(loader, node, path, index, event);
    }
    return rc;
}

int sim_load_tenant_events(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    world_config *config = &loader->scenario->world;
    world_tenant_event *events;
    sim_time_t earliest_us = 0;
    size_t count;
    int rc = sim_yaml_want_sequence(y, node, "tenant_events");

    if (rc != 0) {
        return rc;
    }
    count = sim_yaml_item_count(node);
    events = sim_pool_calloc(&loader->scenario->pool, count + 1,
                             sizeof(*events));
    if (events == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char path[SIM_YAML_PATH_MAX];

        sim_yaml_path_index(path, sizeof(path), "tenant_events", i);
        rc = sim_load_tenant_event(loader, sim_yaml_item(y, node, i), path, i,
                                   earliest_us, &events[i]);
        earliest_us = events[i].at_us;
    }
    config->tenant_events = events;
    config->tenant_event_count = count;
    return rc;
}
