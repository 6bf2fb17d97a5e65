/* The scenario loader's parts, one per top-level section of the file.
 *
 * Private to the loader: each sim_load_* function reads one section from the
 * YAML document into the scenario and returns 0 or -EINVAL with the message
 * already in the loader's error buffer. They run in the order of
 * sim_scenario_load, because later sections check names that earlier ones
 * declare (components, instances, tenants). */
#ifndef SIM_SCENARIO_LOADER_H
#define SIM_SCENARIO_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"
#include "scenario_yaml.h"

/* Names in insertion order, each with a value, and a hash index over them
 * (in the scenario's pool). */
typedef struct sim_name_list {
    size_t count;
    size_t capacity;
    const char **names;
    size_t *values;
    size_t slot_count; /* a power of two, at least twice count */
    size_t *slots;     /* 1 + index into names, 0 for a free slot */
} sim_name_list;

/* The value of a name added without one. */
#define SIM_NAME_NO_VALUE ((size_t)-1)
/* The value of a tenant that a tenant_events create makes. */
#define SIM_NAME_CREATED ((size_t)-2)

typedef struct sim_loader {
    sim_yaml y;
    sim_scenario *scenario;
    const char *dir; /* folder of the scenario file, "" or ending in '/' */
    const yaml_node_t *root;
    /* Every tenant the scenario can name. The value of a tenant of the
     * tenants section is its index in world.tenants; a trace tenant has
     * SIM_NAME_NO_VALUE and a created one SIM_NAME_CREATED. */
    sim_name_list tenants;
    /* Tenants that the trace names, in the order of their first row. */
    sim_name_list traced;
    /* Clone ids of trace tenants ("<id>-c<k>" for traffic.clones above 1),
     * each with the index of its original in traced. */
    sim_name_list clones;
    /* Tenants that an initial instance serves, with the instance's index. */
    sim_name_list placed;
    /* Tenants that a tenant_events remove has removed, with the event's
     * index. */
    sim_name_list removed;
} sim_loader;

/* Adds name with value to list; a name that is there already keeps its
 * first value. name must outlive the list. Returns 0 or -ENOMEM. */
int sim_name_list_put(sim_loader *loader, sim_name_list *list,
                      const char *name, size_t value);
/* Adds name with SIM_NAME_NO_VALUE. */
int sim_name_list_add(sim_loader *loader, sim_name_list *list,
                      const char *name);
/* Whether list has name; value (when not NULL) gets its value. */
bool sim_name_list_get(const sim_name_list *list, const char *name,
                       size_t *value);
bool sim_name_list_has(const sim_name_list *list, const char *name);

/* Checks that an id is 1 to LB_ID_LEN_MAX characters of [A-Za-z0-9_.-]. */
int sim_load_id(sim_loader *loader, const yaml_node_t *node, const char *key,
                const char **out);

/* Index of the component named by node's text, or an error naming the known
 * components. */
int sim_load_component_index(sim_loader *loader, const yaml_node_t *node,
                             const char *key, uint32_t *out_index);

/* A distribution: a duration ("20ms", deterministic) or a mapping with
 * dist, mean, sigma and file. */
int sim_load_dist(sim_loader *loader, const yaml_node_t *node,
                  const char *key, model_dist *out);

/* An actor name: lb, nginx, provider, bm_router, dfm/<instance> or
 * dev/<instance>. */
int sim_load_actor(sim_loader *loader, const yaml_node_t *node,
                   const char *key, const char **out);

/* Resolves path relative to the scenario file's folder, in the pool. */
const char *sim_load_resolve_path(sim_loader *loader, const char *path);

int sim_load_topology(sim_loader *loader, const yaml_node_t *node);
int sim_load_instances(sim_loader *loader, const yaml_node_t *node);
/* Places every clone that no initial instance lists on the instance that
 * serves its original, after the instance's own tenants. Returns 0 or
 * -ENOMEM. */
int sim_load_place_clones(sim_loader *loader);
int sim_load_tenants(sim_loader *loader, const yaml_node_t *node);
int sim_load_tenant_settings(sim_loader *loader, const yaml_node_t *node,
                             const char *path, const char *const *allowed,
                             world_tenant_config *tenant);
int sim_load_traffic(sim_loader *loader, const yaml_node_t *node);
int sim_load_policy(sim_loader *loader, const yaml_node_t *node);
int sim_load_dfm(sim_loader *loader, const yaml_node_t *node);
int sim_load_nginx(sim_loader *loader, const yaml_node_t *node);
int sim_load_provider(sim_loader *loader, const yaml_node_t *node);
int sim_load_faults(sim_loader *loader, const yaml_node_t *node);
int sim_load_tenant_events(sim_loader *loader, const yaml_node_t *node);
int sim_load_expect(sim_loader *loader, const yaml_node_t *node);
int sim_load_metrics(sim_loader *loader, const yaml_node_t *node);

/* Reads a whole trace CSV with the models' reader and adds its tenants to
 * the loader's tenant list and, in the order of their first row, to its
 * traced list. Returns 0, -ENOMEM, or -EINVAL with a message
 * placed at node and key that gives the file's line and reason. */
int sim_load_trace_tenants(sim_loader *loader, const yaml_node_t *node,
                           const char *key, const char *path);

/* Loads the CSV of an empirical distribution as the world would, to check
 * it. Returns 0, -ENOMEM, or -EINVAL with a message placed at node and key
 * (the scenario's "file" key). */
int sim_load_empirical_file(sim_loader *loader, const yaml_node_t *node,
                            const char *key, const model_dist *dist);

/* Checks that need every section: tenants without an instance, more
 * initial instances than the policy allows. Returns 0 or -EINVAL. */
int sim_load_cross_checks(sim_loader *loader);

/* Builds the scenario's world and destroys it without running it, so that
 * a file the world rejects fails at load time. Returns 0, -ENOMEM, or
 * -EINVAL with the world's message placed at the key it names. */
int sim_load_world_check(sim_loader *loader);

/* Message kinds of the protocol; a NULL-ended list. */
extern const char *const sim_msg_kinds[];

/* Whether messages of kind can carry field ("request_id" included). names
 * gets the known fields of kind, separated by ", ", for a message. */
bool sim_msg_field_known(const char *kind, const char *field, char *names,
                         size_t names_len);

#endif
