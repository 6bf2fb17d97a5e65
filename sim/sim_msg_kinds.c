/* The message kinds of the controller's protocol, as the message trace
 * names them, and the fields of each. Scenario files may name only
 * these. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "scenario_loader.h"

const char *const sim_msg_kinds[] = {
    "stats_request",          "stats_reply",
    "routes_apply",           "routes_applied",
    "routes_rejected",        "instance_dropping",
    "instance_create",        "instance_created",
    "instance_create_failed", "instance_remove",
    "instance_removed",       "instance_remove_failed",
    "instance_restart",       "instance_restarted",
    "instance_restart_failed", "instance_list",
    "instance_list_reply",    "dfm_ready",
    "overload",               "low_load",
    "component_down",         "component_up",
    "components_start",       "components_started",
    "components_start_failed", "components_stop",
    "components_stopped",     "tenant_create",
    "tenant_remove",          "tenant_created",
    "tenant_removed",         NULL,
};

/* Fields that any kind carries when the message names them. */
static const char sim_msg_common_fields[] =
    "request_id,instance,tenant,component,components";

typedef struct sim_msg_kind_fields {
    const char *kind;
    const char *fields; /* comma-separated, beyond the common ones */
} sim_msg_kind_fields;

/* The fields the models write for each kind (models/model_msg_fields.c);
 * a kind not listed has only the common fields. */
static const sim_msg_kind_fields sim_msg_fields[] = {
    {"stats_reply", "interval_us,rows,requests,errors"},
    {"routes_apply", "version,default,routes"},
    {"routes_applied", "version"},
    {"routes_rejected", "version,reason"},
    {"instance_dropping", "errors,window_us"},
    {"instance_create", "type"},
    {"instance_created", "address"},
    {"instance_create_failed", "reason"},
    {"instance_remove_failed", "reason"},
    {"instance_restart_failed", "reason"},
    {"instance_list_reply", "instances"},
    {"overload", "cpu_permille,window_us,procs"},
    {"low_load", "cpu_permille,window_us,procs"},
    {"components_start", "tenants"},
    {"components_start_failed", "reason"},
    {"components_stop", "deadline_us"},
    {"components_stopped", "killed"},
};

static bool sim_field_listed(const char *list, const char *field)
{
    size_t len = strlen(field);

    while (*list != '\0') {
        size_t item_len = strcspn(list, ",");

        if (item_len == len && strncmp(list, field, len) == 0) {
            return true;
        }
        list += item_len + (list[item_len] == ',' ? 1 : 0);
    }
    return false;
}

/* Writes the common fields and own, separated by ", ", for messages. */
static void sim_field_names(char *names, size_t names_len, const char *own)
{
    char joined[512];
    size_t used = 0;

    if (names_len == 0) {
        return;
    }
    snprintf(joined, sizeof(joined), "%s%s%s", sim_msg_common_fields,
             own[0] != '\0' ? "," : "", own);
    for (const char *c = joined; *c != '\0' && used + 3 < names_len; c++) {
        names[used++] = *c;
        if (*c == ',') {
            names[used++] = ' ';
        }
    }
    names[used] = '\0';
}

bool sim_msg_field_known(const char *kind, const char *field, char *names,
                         size_t names_len)
{
    const char *own = "";

    for (size_t i = 0; i < sizeof(sim_msg_fields) / sizeof(sim_msg_fields[0]);
         i++) {
        if (strcmp(sim_msg_fields[i].kind, kind) == 0) {
            own = sim_msg_fields[i].fields;
        }
    }
    sim_field_names(names, names_len, own);
    return sim_field_listed(sim_msg_common_fields, field) ||
           sim_field_listed(own, field);
}
