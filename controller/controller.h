/* The LB controller: an event-driven state machine.
 *
 * Inputs are the lb_on_* calls below (replies, notifications and timer
 * wake-ups); outputs are requests through the ports of ports.h. The
 * controller keeps no global state, reads no clock but its clock port, does
 * no I/O and never blocks. Replies may come late, twice, never, or after the
 * controller changed its mind: each input names the request id or instance
 * it refers to, and stale ones are logged and ignored. */
#ifndef LB_CONTROLLER_H
#define LB_CONTROLLER_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "ports.h"

typedef struct lb_controller lb_controller;

/* An instance that runs when the controller starts. */
typedef struct lb_instance_init {
    const char *id;
    const char *address;
    lb_component_mask components;
    size_t tenant_count;
    const char *const *tenants;
} lb_instance_init;

typedef struct lb_config {
    const lb_policy *policy;
    size_t component_count;
    const char *const *component_names; /* "dev", "dep", ... */
    size_t instance_count;
    const lb_instance_init *instances;
} lb_config;

/* An instance as the provider lists it. */
typedef struct lb_instance_info {
    const char *id;
    const char *address;
} lb_instance_info;

/* Creates a controller; it copies what it keeps of config. Returns NULL on an
 * invalid config (the reason goes to the log port) or when memory runs out. */
lb_controller *lb_controller_create(const lb_config *config,
                                    const lb_ports *ports);
void lb_controller_destroy(lb_controller *controller);

/* Sends the initial routing table and arms the controller's timers. */
void lb_controller_start(lb_controller *controller);

/* Clock: the time asked for with wake_at has come. */
void lb_on_timer(lb_controller *controller);

/* NGINX. */
void lb_on_stats_reply(lb_controller *controller, const lb_stats *stats);
void lb_on_routes_applied(lb_controller *controller, uint64_t version);
void lb_on_routes_rejected(lb_controller *controller, uint64_t version,
                           const char *reason);
void lb_on_instance_dropping(lb_controller *controller, const char *instance,
                             uint64_t errors, lb_time_t window_us);
void lb_on_tenant_created(lb_controller *controller, const char *tenant,
                          const char *instance);
void lb_on_tenant_removed(lb_controller *controller, const char *tenant);

/* Provider. */
void lb_on_instance_created(lb_controller *controller, lb_request_id id,
                            const char *instance, const char *address);
void lb_on_instance_create_failed(lb_controller *controller, lb_request_id id,
                                  const char *reason);
void lb_on_instance_removed(lb_controller *controller, lb_request_id id,
                            const char *instance);
void lb_on_instance_remove_failed(lb_controller *controller, lb_request_id id,
                                  const char *reason);
void lb_on_instance_restarted(lb_controller *controller, lb_request_id id,
                              const char *instance);
void lb_on_instance_restart_failed(lb_controller *controller, lb_request_id id,
                                   const char *reason);
void lb_on_instance_list(lb_controller *controller, lb_request_id id,
                         size_t instance_count,
                         const lb_instance_info *instances);

/* State of one instance as the controller tracks it, for status output and
 * tests. */
typedef struct lb_instance_status {
    const char *id;        /* "" while the create has no reply */
    const char *state;     /* "provisioning", "active", "draining", ... */
    uint32_t cpu_permille; /* load estimate */
    size_t tenant_count;   /* tenants whose home it is */
} lb_instance_status;

/* Number of instances the controller tracks, created, running or being
 * removed. */
size_t lb_controller_instance_count(const lb_controller *controller);

/* Fills out with instance index, from 0 to lb_controller_instance_count - 1.
 * The order may change with every input; the strings stay valid until the
 * next input. */
void lb_controller_instance_status(const lb_controller *controller,
                                   size_t index, lb_instance_status *out);

/* DFM. */
void lb_on_dfm_ready(lb_controller *controller, const char *instance);
void lb_on_overload(lb_controller *controller, const lb_load_report *report);
void lb_on_low_load(lb_controller *controller, const lb_load_report *report);
void lb_on_component_down(lb_controller *controller, const char *instance,
                          uint32_t component);
void lb_on_component_up(lb_controller *controller, const char *instance,
                        uint32_t component);
void lb_on_components_started(lb_controller *controller, lb_request_id id,
                              const char *instance);
void lb_on_components_start_failed(lb_controller *controller, lb_request_id id,
                                   const char *instance, const char *reason);
void lb_on_components_stopped(lb_controller *controller, lb_request_id id,
                              const char *instance, uint64_t requests_killed);

#endif
