/* Rebuilding lbd's start-up state; see lbd_state.h. */
#include "lbd_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "id.h"
#include "log.h"

#define LBD_STATE_INSTANCES_MAX 256

/* One instance being gathered, before it becomes an lb_instance_init. */
typedef struct lbd_gather {
    char id[LB_ID_LEN_MAX + 1];
    char address[LIVE_ADDRESS_LEN_MAX + 1];
    lb_component_mask components;
    char **tenants;
    size_t tenant_count;
} lbd_gather;

static lbd_gather *lbd_gather_find(lbd_gather *all, size_t count,
                                   const char *id)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(all[i].id, id) == 0) {
            return &all[i];
        }
    }
    return NULL;
}

static int lbd_tenant_add(lbd_gather *instance, const char *tenant)
{
    for (size_t i = 0; i < instance->tenant_count; i++) {
        if (strcmp(instance->tenants[i], tenant) == 0) {
            return 0;
        }
    }
    char **grown = realloc(instance->tenants, (instance->tenant_count + 2) *
                           sizeof(*grown));
    if (!grown) {
        return -ENOMEM;
    }
    instance->tenants = grown;
    grown[instance->tenant_count] = strdup(tenant);
    grown[instance->tenant_count + 1] = NULL;
    return grown[instance->tenant_count++] ? 0 : -ENOMEM;
}

static int lbd_component_index(const lbd_config *config, const char *name)
{
    for (size_t c = 0; c < config->component_count; c++) {
        if (strcmp(config->components[c].name, name) == 0) {
            return (int)c;
        }
    }
    return -1;
}

/* Applies one "# lbsim-instance ID ADDRESS" line. Returns NULL, or why
 * the line was dropped. */
static const char *lbd_state_instance_line(const char *line, lbd_gather *all,
                                           size_t *count)
{
    char id[LIVE_ADDRESS_LEN_MAX + 1], address[LIVE_ADDRESS_LEN_MAX + 1];

    if (sscanf(line, "# lbsim-instance %263s %263s", id, address) != 2) {
        return "expected \"# lbsim-instance ID HOST:PORT\"";
    }
    if (!live_id_valid(id)) {
        return "invalid instance id";
    }
    if (!live_address_valid(address, NULL)) {
        return "invalid address";
    }
    if (lbd_gather_find(all, *count, id)) {
        return "instance listed twice";
    }
    if (*count == LBD_STATE_INSTANCES_MAX) {
        return "too many instances";
    }
    lbd_gather *instance = &all[(*count)++];
    memset(instance, 0, sizeof(*instance));
    snprintf(instance->id, sizeof(instance->id), "%.63s", id);
    snprintf(instance->address, sizeof(instance->address), "%s", address);
    return NULL;
}

/* Applies one "# lbsim-route TENANT COMPONENT INSTANCE" line. */
static const char *lbd_state_route_line(const lbd_config *config,
                                        const char *line, lbd_gather *all,
                                        size_t count)
{
    char tenant[LIVE_ADDRESS_LEN_MAX + 1], component[LIVE_ADDRESS_LEN_MAX + 1],
         id[LIVE_ADDRESS_LEN_MAX + 1];

    if (sscanf(line, "# lbsim-route %263s %263s %263s", tenant, component,
               id) != 3) {
        return "expected \"# lbsim-route TENANT COMPONENT INSTANCE\"";
    }
    lbd_gather *instance = lbd_gather_find(all, count, id);
    int index = lbd_component_index(config, component);
    if (!live_id_valid(tenant)) {
        return "invalid tenant id";
    }
    if (index < 0) {
        return "unknown component";
    }
    if (!instance) {
        return "unknown instance";
    }
    instance->components |= 1u << index;
    return lbd_tenant_add(instance, tenant) == 0 ? NULL : "out of memory";
}

/* Applies one "# lbsim-..." line of the routes file. Returns NULL, or why
 * the line was dropped. */
static const char *lbd_state_line(const lbd_config *config, const char *line,
                                  lbd_gather *all, size_t *count)
{
    char id[LIVE_ADDRESS_LEN_MAX + 1];

    if (strncmp(line, "# lbsim-instance ", 17) == 0) {
        return lbd_state_instance_line(line, all, count);
    }
    if (strncmp(line, "# lbsim-route ", 14) == 0) {
        return lbd_state_route_line(config, line, all, *count);
    }
    if (sscanf(line, "# lbsim-default %263s", id) == 1) {
        lbd_gather *instance = lbd_gather_find(all, *count, id);
        if (!instance) {
            return "unknown instance";
        }
        instance->components |= 1u;
        return NULL;
    }
    if (strncmp(line, "# lbsim-state ", 14) == 0) {
        return NULL; /* the table's version, not needed to rebuild */
    }
    return "unknown kind of lbsim line";
}

static size_t lbd_state_from_routes(const lbd_config *config, lbd_gather *all)
{
    FILE *file = fopen(config->nginx.routes_file, "r");
    char line[1024];
    char quoted_file[300];
    char quoted_reason[120];
    unsigned line_no = 0;
    size_t count = 0;

    if (!file) {
        return 0;
    }
    while (fgets(line, sizeof(line), file)) {
        line_no++;
        if (strncmp(line, "# lbsim-", 8) != 0) {
            continue;
        }
        const char *reason = lbd_state_line(config, line, all, &count);
        if (reason) {
            live_log(LB_LOG_WARN, "routes_line_ignored", "file=%s line=%u "
                     "reason=%s",
                     live_log_quote(quoted_file, sizeof(quoted_file),
                                    config->nginx.routes_file),
                     line_no, live_log_quote(quoted_reason,
                                             sizeof(quoted_reason), reason));
        }
    }
    fclose(file);
    return count;
}

static size_t lbd_state_from_config(const lbd_config *config, lbd_gather *all)
{
    size_t count = 0;

    for (size_t i = 0; i < config->instance_count &&
                       count < LBD_STATE_INSTANCES_MAX; i++) {
        const lbd_instance *source = &config->instances[i];
        lbd_gather *instance = &all[count++];
        memset(instance, 0, sizeof(*instance));
        snprintf(instance->id, sizeof(instance->id), "%s", source->id);
        snprintf(instance->address, sizeof(instance->address), "%s",
                 source->address);
        instance->components = source->components;
        for (size_t t = 0; t < source->tenant_count; t++) {
            lbd_tenant_add(instance, source->tenants[t]);
        }
    }
    return count;
}

/* Keeps only the instances the provider lists, with the provider's
 * address, and adds listed ones the table does not know. */
static size_t lbd_state_merge(const lbd_config *config, lbd_gather *all,
                              size_t count, const lb_instance_info *listed,
                              size_t listed_count)
{
    size_t kept = 0;
    lb_component_mask every =
        (lb_component_mask)((1u << config->component_count) - 1);

    for (size_t i = 0; i < count; i++) {
        const lb_instance_info *match = NULL;
        for (size_t j = 0; j < listed_count; j++) {
            if (strcmp(listed[j].id, all[i].id) == 0) {
                match = &listed[j];
            }
        }
        if (!match) {
            live_log(LB_LOG_WARN, "instance_forgotten", "instance=%s "
                     "reason=not_listed_by_provider", all[i].id);
            live_argv_free(all[i].tenants);
            continue;
        }
        all[kept] = all[i];
        snprintf(all[kept].address, sizeof(all[kept].address), "%s",
                 match->address);
        kept++;
    }
    for (size_t j = 0; j < listed_count && kept < LBD_STATE_INSTANCES_MAX;
         j++) {
        if (lbd_gather_find(all, kept, listed[j].id)) {
            continue;
        }
        /* What runs there is unknown; the controller may fold it in. */
        lbd_gather *instance = &all[kept++];
        memset(instance, 0, sizeof(*instance));
        snprintf(instance->id, sizeof(instance->id), "%s", listed[j].id);
        snprintf(instance->address, sizeof(instance->address), "%s",
                 listed[j].address);
        instance->components = every;
        live_log(LB_LOG_INFO, "instance_adopted", "instance=%s address=%s",
                 listed[j].id, listed[j].address);
    }
    return kept;
}

int lbd_state_build(lbd_state *state, const lbd_config *config,
                    const lb_instance_info *listed, size_t listed_count,
                    char *err, size_t err_len)
{
    lbd_gather *all = calloc(LBD_STATE_INSTANCES_MAX, sizeof(*all));
    const char *source = "routes_file";

    memset(state, 0, sizeof(*state));
    if (!all) {
        snprintf(err, err_len, "out of memory");
        return -ENOMEM;
    }
    size_t count = lbd_state_from_routes(config, all);
    if (count == 0) {
        count = lbd_state_from_config(config, all);
        source = "config";
    }
    if (listed) {
        count = lbd_state_merge(config, all, count, listed, listed_count);
    }

    state->instances = calloc(count + 1, sizeof(*state->instances));
    if (!state->instances) {
        free(all);
        snprintf(err, err_len, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        lb_instance_init *init = &state->instances[i];
        init->id = strdup(all[i].id);
        init->address = strdup(all[i].address);
        init->components = all[i].components ? all[i].components : 1u;
        init->tenant_count = all[i].tenant_count;
        init->tenants = (const char *const *)all[i].tenants;
        state->tenant_lists[i] = all[i].tenants;
        live_log(LB_LOG_INFO, "instance_restored", "instance=%s address=%s "
                 "tenants=%zu source=%s", all[i].id, all[i].address,
                 all[i].tenant_count, source);
    }
    state->instance_count = count;
    free(all);
    return 0;
}

void lbd_state_free(lbd_state *state)
{
    for (size_t i = 0; i < state->instance_count; i++) {
        free((char *)state->instances[i].id);
        free((char *)state->instances[i].address);
        live_argv_free(state->tenant_lists[i]);
    }
    free(state->instances);
    memset(state, 0, sizeof(*state));
}
