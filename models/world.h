/* The simulated topology with the real controller inside it.
 *
 * A world is one run of lbsim: an event engine, the traffic sources, NGINX,
 * the BM Router, the Provider, the instances (DFM and component processes),
 * the message links between them and the LB controller, all built from a
 * world_config. The scenario loader fills the config; the outputs and the
 * expectation checker read what the observer receives. The config is
 * copied: the caller may free it after world_create returns.
 *
 * Time in the config is virtual microseconds; rates are per second of
 * virtual time; probabilities are in [0, 1]. */
#ifndef MODELS_WORLD_H
#define MODELS_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller.h"
#include "msg.h"
#include "ports.h"
#include "sim_time.h"

typedef enum model_dist_kind {
    MODEL_DIST_DETERMINISTIC = 0,
    MODEL_DIST_EXPONENTIAL,
    MODEL_DIST_LOGNORMAL,
    MODEL_DIST_EMPIRICAL,
} model_dist_kind;

/* A distribution of durations in microseconds. */
typedef struct model_dist {
    model_dist_kind kind;
    double mean_us;             /* every kind but empirical */
    double sigma;               /* lognormal: shape of the underlying normal */
    const char *empirical_path; /* empirical: CSV with one column "value_us" */
} model_dist;

/* One kind of component process (dev, dep, dfc). Index i of the array is
 * component i of the controller's masks. */
typedef struct world_component_config {
    const char *name;
    uint32_t workers;
    uint32_t queue_capacity; /* requests waiting beyond the busy workers */
    model_dist service;      /* CPU time of one request at cost factor 1 */
} world_component_config;

/* CPU model: processor sharing of an instance's vCPUs among all requests
 * on workers and warm-up burns. While they fit, each request takes its CPU
 * time. Beyond that, all slow down alike. */

typedef struct world_instance_config {
    const char *id;
    lb_component_mask components;
    size_t tenant_count;
    const char *const *tenants;
} world_instance_config;

typedef enum world_pattern_kind {
    WORLD_PATTERN_NONE = 0, /* the tenant's traffic comes from the trace */
    WORLD_PATTERN_CONSTANT,
    WORLD_PATTERN_STEP,    /* rate_per_s, then rate2_per_s from start_us */
    WORLD_PATTERN_RAMP,    /* rate_per_s at start_us to rate2_per_s at end_us */
    WORLD_PATTERN_SPIKE,   /* rate2_per_s between start_us and end_us */
    WORLD_PATTERN_DIURNAL, /* mean rate_per_s, amplitude rate2_per_s */
} world_pattern_kind;

typedef struct world_pattern {
    world_pattern_kind kind;
    double rate_per_s;
    double rate2_per_s;
    sim_time_t start_us;
    sim_time_t end_us;
    sim_time_t period_us; /* diurnal */
} world_pattern;

/* A tenant. All-zero mix sends every request to component 0 (DEV); a
 * cost_factor of 0 means 1. A tenant that only the trace names gets those
 * defaults too. */
typedef struct world_tenant_config {
    const char *id;
    world_pattern pattern;
    double mix[LB_COMPONENTS_MAX]; /* share of requests per component */
    double cost_factor;            /* multiplies the service time */
} world_tenant_config;

/* A trace replay. Buckets are as wide as the smallest step between two
 * time_s values; each bucket's count arrives as a Poisson process
 * conditioned on the count. Scales and clones of 0 mean 1. Clone k of
 * tenant a is named "a-ck" and draws its own arrivals. */
typedef struct world_trace_config {
    const char *path;   /* CSV time_s,tenant,requests */
    double time_scale;  /* 2 plays the trace twice as slow */
    double rate_scale;  /* 10 sends ten times the requests */
    uint32_t clones;    /* 1 = as is; k = each tenant k times */
} world_trace_config;

/* sample_interval_us must be at least 1 ms; overload_permille 0 turns
 * overload notices off. A notice is sent again after each further window
 * while its condition holds. Warm-up applies to processes started during
 * the run (by the LB or a restart), not to those of initial instances. */
typedef struct world_dfm_config {
    sim_time_t sample_interval_us;
    uint32_t overload_permille; /* total CPU above it is overload */
    uint32_t low_load_permille; /* total CPU below it is low load */
    sim_time_t window_us;       /* how long a condition holds before notice */
    sim_time_t restart_delay_us;
    sim_time_t warmup_us;       /* CPU burn after a start, 0 for none */
    uint32_t warmup_cpu_permille;
} world_dfm_config;

/* drop_errors 0 turns dropping detection off; drop_window_us and
 * request_timeout_us must be > 0. Timeouts and "process down" failures
 * count as errors, when they happen, but only those of requests sent since
 * the instance's DFM was last ready: a restart starts the count over. */
typedef struct world_nginx_config {
    uint32_t drop_errors;      /* errors within drop_window_us ... */
    sim_time_t drop_window_us; /* ... that mark an instance as dropping */
    sim_time_t request_timeout_us;
} world_nginx_config;

/* A restarted instance, like a created one, comes back with only its DFM
 * running: the LB starts its components again. Created instances are named
 * "vm-1", "vm-2", ... */
typedef struct world_provider_config {
    model_dist create_delay;
    model_dist remove_delay;
    model_dist restart_delay;
    model_dist boot_delay; /* from created to dfm_ready */
    uint32_t quota;        /* most instances at once, 0 for no limit */
    double fail_probability;
    double timeout_probability;    /* the request is never answered */
    double reply_lost_probability; /* created, but the reply is lost */
} world_provider_config;

typedef enum world_fault_kind {
    WORLD_FAULT_KILL_PROCESS = 0,
    WORLD_FAULT_CRASH_INSTANCE,
    WORLD_FAULT_PROVIDER_SLOW,
    WORLD_FAULT_PROVIDER_FAIL,
    WORLD_FAULT_MSG_DROP,
    WORLD_FAULT_MSG_DELAY,
    WORLD_FAULT_MSG_DUPLICATE,
    WORLD_FAULT_MSG_REORDER,
} world_fault_kind;

/* A fault acts at at_us (or from at_us until until_us for rules), with
 * probability applying per matching message or request. A kill or crash
 * happens at at_us with that probability. Its instance is an initial one
 * or a name the Provider gives ("vm-<n>"). When that instance does not
 * exist at at_us, or is not running, the fault does nothing and logs
 * fault_skipped. A crash acts on a booting instance too. until_us 0 means
 * no end. NULL match fields match anything. A reorder rule keeps one
 * message back until the next one of the same sender and receiver has gone
 * by, or for delay_us (1 s when 0). */
typedef struct world_fault {
    world_fault_kind kind;
    sim_time_t at_us;
    sim_time_t until_us; /* SIM_TIME_MAX: for the rest of the run */
    double probability;
    uint32_t count;      /* most messages affected, 0 for no limit */
    const char *instance;
    const char *component;
    const char *from;    /* message faults: sender actor */
    const char *to;      /* message faults: receiver actor */
    const char *kind_match; /* message faults: message kind */
    sim_time_t delay_us; /* delay, provider slow-down */
} world_fault;

typedef enum world_tenant_event_kind {
    WORLD_TENANT_CREATE = 0,
    WORLD_TENANT_REMOVE,
} world_tenant_event_kind;

/* A tenant create or remove that the BM Router sends. A created tenant
 * takes its traffic from tenant (pattern, mix, cost). */
typedef struct world_tenant_event {
    world_tenant_event_kind kind;
    sim_time_t at_us;
    world_tenant_config tenant;
} world_tenant_event;

typedef struct world_config {
    uint64_t seed;
    sim_time_t duration_us;
    sim_time_t sample_interval_us; /* time series interval */
    const lb_policy *policy;
    size_t component_count;
    const world_component_config *components;
    uint32_t instance_vcpus;
    size_t instance_count;
    const world_instance_config *instances;
    size_t tenant_count;
    const world_tenant_config *tenants;
    const world_trace_config *trace; /* NULL for none */
    world_dfm_config dfm;
    world_nginx_config nginx;
    world_provider_config provider;
    model_dist link_latency; /* of every message between actors */
    size_t fault_count;
    const world_fault *faults;
    size_t tenant_event_count;
    const world_tenant_event *tenant_events;
    /* How long a tenant's route may point at an instance that does not run
     * the needed component before route_to_running is reported. It covers
     * the time the LB needs to notice and re-route. 0 uses
     * nginx.request_timeout_us + nginx.drop_window_us + 10 s. */
    sim_time_t invariant_grace_us;
} world_config;

/* CPU and requests of one instance over one sample interval. */
typedef struct world_instance_sample {
    const char *instance;
    const char *state;     /* "booting", "active", "stopped", "crashed", ... */
    uint32_t cpu_permille;
    uint64_t requests;
    uint64_t errors;
} world_instance_sample;

/* What happened over one sample interval, at its end. The percentiles come
 * from 1 % bins and are at most 1 % high. instances is valid only during the
 * on_sample call. */
typedef struct world_sample {
    sim_time_t at_us;
    uint64_t requests;
    uint64_t errors;
    double latency_p50_us;
    double latency_p95_us;
    double latency_p99_us;
    uint32_t routing_changes;
    uint32_t pending_provider_requests;
    size_t instance_count;
    const world_instance_sample *instances;
} world_sample;

typedef struct world_observer {
    void *ctx;
    void (*on_msg)(void *ctx, const sim_msg *msg);
    void (*on_sample)(void *ctx, const world_sample *sample);
    /* The controller's log: every decision with its inputs. */
    void (*on_log)(void *ctx, sim_time_t at_us, lb_log_level level,
                   const char *event, const char *fields);
    /* An invariant that failed: name is "route_to_running",
     * "no_request_after_stop", ...; detail names the ids involved. */
    void (*on_violation)(void *ctx, sim_time_t at_us, const char *name,
                         const char *detail);
} world_observer;

/* Totals of one tenant over the run. */
typedef struct world_tenant_totals {
    const char *tenant;
    uint64_t requests;
    uint64_t failed; /* every reason */
    uint64_t failed_queue_full;
    uint64_t failed_process_down;
    uint64_t failed_timeout;
    uint64_t failed_killed; /* killed at a stop deadline */
    double latency_mean_us;
    double latency_p99_us; /* from 5 % bins: at most 5 % high */
    /* Part of failed_process_down: the process was stopping, stopped or
     * never started (the rest found it dead or its instance torn down). */
    uint64_t failed_process_stopped;
    uint64_t failed_no_route; /* NGINX had no instance for the tenant */
    /* The other part of failed_process_down: the process was dead or its
     * instance torn down. failed_queue_full, failed_process_dead,
     * failed_process_stopped, failed_timeout, failed_killed and
     * failed_no_route add up to failed. */
    uint64_t failed_process_dead;
} world_tenant_totals;

typedef struct world world;

/* Whether id is a name the Provider gives to an instance it creates during
 * a run: "vm-" and a number from 1 to 4294967295 with no leading zero. A
 * fault may name such an instance before it exists. */
bool world_instance_name_is_future(const char *id);

/* Builds a world. Returns NULL and a message in err on an invalid config
 * (naming the field) or a trace file that fails to open or parse. */
world *world_create(const world_config *config, const world_observer *observer,
                    char *err, size_t err_len);

/* Runs the world to config->duration_us. Returns 0, or a negative errno value
 * with a message in err when a trace turns out bad part-way. */
int world_run(world *w, char *err, size_t err_len);

size_t world_tenant_count(const world *w);
void world_tenant_totals_at(const world *w, size_t index,
                            world_tenant_totals *out);

/* Events run by the engine so far. */
uint64_t world_events_run(const world *w);

void world_destroy(world *w);

#endif
