/* The message kinds of the controller's protocol, as the message trace
 * names them. Scenario files may name only these. */
#include <stddef.h>

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
