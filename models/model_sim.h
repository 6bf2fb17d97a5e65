/* Internal state of the simulated topology, shared by the model files.
 *
 * model_sim is everything of a world but the controller: the engine, the
 * tenants and their traffic, NGINX, the instances (DFM and processes), the
 * Provider, the BM Router, the faults and the message links. The LB end of
 * the links is a sink (model_lb_sink): world.c connects it to the real
 * controller, the unit tests to a recorder, so each model can be tested
 * without the controller.
 *
 * Tenants and instances live in arrays and are named by their index, which
 * never changes during a run: a removed tenant or instance keeps its slot.
 * Requests live in a pool and are named by their index as well, so the
 * per-request path allocates nothing once the pool has grown to the peak
 * number of requests in flight. */
#ifndef MODELS_MODEL_SIM_H
#define MODELS_MODEL_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "engine.h"
#include "model_dist.h"
#include "model_latency.h"
#include "model_msg.h"
#include "model_trace.h"
#include "ports.h"
#include "world.h"

#define MODEL_NONE UINT32_MAX

/* Why a request failed. Every reason but MODEL_FAIL_NONE is an error. */
typedef enum model_fail_reason {
    MODEL_FAIL_NONE = 0,
    MODEL_FAIL_QUEUE_FULL,   /* the process's queue was full */
    MODEL_FAIL_PROCESS_DOWN,    /* process dead, or instance torn down */
    MODEL_FAIL_PROCESS_STOPPED, /* process stopping, stopped or absent */
    MODEL_FAIL_TIMEOUT,      /* the instance sent no reply in time */
    MODEL_FAIL_KILLED,       /* killed at a graceful-stop deadline */
    MODEL_FAIL_NO_ROUTE,     /* NGINX had no instance for the tenant */
    MODEL_FAIL_COUNT,
} model_fail_reason;

/* ---- tenants -------------------------------------------------------- */

/* NGINX's counts for one (instance, component) of a tenant since the
 * previous statistics request. */
typedef struct model_stats_cell {
    uint32_t instance;
    uint32_t component;
    uint64_t requests;
    uint64_t errors;
    uint64_t latency_us_sum;
    uint64_t latency_us_max;
} model_stats_cell;

typedef struct model_tenant {
    char id[LB_ID_LEN_MAX + 1];
    bool sending;      /* generates traffic now */
    bool from_trace;   /* arrivals come from trace buckets */
    world_pattern pattern;
    double mix_cdf[LB_COMPONENTS_MAX]; /* cumulative share per component */
    double cost_factor;
    uint32_t next_clone; /* next tenant cloned from the same trace tenant */

    /* Arrivals. Times are kept exact as doubles and rounded only when
     * scheduled, so rounding does not bias high rates. */
    gsl_rng *arrival_rng;
    gsl_rng *mix_rng;
    gsl_rng *service_rng;
    double next_arrival_us;
    bool arrival_pending; /* an engine event, or in the arrival wheel */
    sim_event_id arrival_event;
    uint64_t bucket_left;     /* trace: arrivals still to place in bucket */
    double bucket_pos;        /* trace: last arrival, fraction of bucket */
    double bucket_start_us;
    double bucket_width_us;

    /* NGINX's current table, materialised: instance per component. */
    uint32_t route[LB_COMPONENTS_MAX];
    /* route_to_running: since when each component's route has pointed at
     * no running process (-1: it has not), and whether that was reported. */
    sim_time_t violating_since_us[LB_COMPONENTS_MAX];
    uint32_t violating_mask;

    model_stats_cell *cells;
    size_t cell_count;
    size_t cell_cap;

    /* Totals over the run. */
    uint64_t requests;
    uint64_t failed[MODEL_FAIL_COUNT];
    uint64_t completed;
    double latency_us_sum;
    double wait_us_sum; /* time queued before a worker, completed only */
    model_latency_hist latency; /* 5 % bins; allocated at first need */
} model_tenant;

/* ---- requests ------------------------------------------------------- */

typedef enum model_request_where {
    MODEL_REQ_FREE = 0,
    MODEL_REQ_NEW,          /* taken from the pool, not yet placed */
    MODEL_REQ_QUEUED,       /* in a process queue */
    MODEL_REQ_SERVICE,      /* on a worker */
    MODEL_REQ_WAIT_TIMEOUT, /* sent to a silent instance */
} model_request_where;

typedef struct model_request {
    uint32_t tenant;
    uint32_t instance;
    uint32_t component;
    uint8_t where;
    uint64_t seq;        /* arrival order, breaks ties in the service heap */
    double cpu_us;       /* CPU work of the request */
    sim_time_t service_start_us; /* when a worker took it */
    double work_done_at; /* instance work clock value that completes it */
    sim_time_t arrival_us;
    sim_event_id timeout_event;
    uint32_t next_free;
} model_request;

/* ---- instances and processes ---------------------------------------- */

/* A request on a worker, as its instance's completion heap holds it: the
 * key is copied from the request so that a sift reads one array only. */
typedef struct model_work_entry {
    double work_done_at; /* the request's work_done_at */
    uint64_t seq;        /* the request's seq, which breaks ties */
    uint32_t request;
} model_work_entry;

typedef enum model_process_state {
    MODEL_PROC_ABSENT = 0, /* never started on this instance */
    MODEL_PROC_RUNNING,
    MODEL_PROC_STOPPING, /* graceful stop: no new requests */
    MODEL_PROC_STOPPED,
    MODEL_PROC_DEAD, /* killed; the DFM restarts it after a delay */
} model_process_state;

typedef struct model_process {
    model_process_state state;
    uint32_t busy; /* requests on workers */
    uint32_t *queue; /* ring of request indexes */
    size_t queue_head;
    size_t queue_len;
    size_t queue_cap;
    double cpu_us; /* CPU used since the start of the run */
    double cpu_us_dfm_mark;    /* cpu_us at the DFM's previous sample */
    double cpu_us_sample_mark; /* cpu_us at the world's previous sample */
    sim_time_t warmup_until_us;
    bool stop_requested; /* a stop was requested, no start since */
    bool stop_violation_reported;
    bool restart_pending;
    sim_event_id restart_event;
    /* The DFM sent component_down and no component_up since. */
    bool down_reported;
} model_process;

typedef enum model_instance_state {
    MODEL_INST_BOOTING = 0,
    MODEL_INST_ACTIVE,
    MODEL_INST_CRASHED,
    MODEL_INST_RESTARTING,
    MODEL_INST_REMOVED,
} model_instance_state;

#define MODEL_STOPS_MAX 8

/* A graceful stop the DFM is carrying out. */
typedef struct model_stop {
    lb_request_id id;
    lb_component_mask components;
    uint64_t killed;
    sim_event_id deadline_event;
    bool active;
} model_stop;

typedef struct model_instance {
    char id[LB_ID_LEN_MAX + 1];
    char dfm_name[LB_ID_LEN_MAX + 8];
    char dev_name[LB_ID_LEN_MAX + 8];
    model_instance_state state;
    model_process procs[LB_COMPONENTS_MAX];
    lb_component_mask initial_mask; /* initial instances: running at 0 */

    /* Processor sharing. All requests on workers progress at rate cpu
     * microseconds per microsecond: 1 while they fit in the capacity,
     * capacity / busy beyond it. work is the integral of that rate, so a
     * request started at work w with CPU c completes when work reaches
     * w + c. The heap orders requests by that value, and only the first
     * has a completion time set, with an event of its own only while a
     * process of the instance is stopping (see model_instance_sync). */
    double work;
    sim_time_t work_at_us;
    double rate;
    uint32_t busy;
    model_work_entry *heap;
    size_t heap_cap;
    bool completion_pending;
    bool completion_lazy; /* pending without an event */
    sim_event_id completion_event;
    sim_time_t completion_at_us;

    /* DFM. */
    bool sample_pending;
    sim_event_id sample_event;
    sim_time_t dfm_mark_us;
    sim_time_t overload_since_us; /* -1: condition not holding */
    sim_time_t low_load_since_us;
    model_stop stops[MODEL_STOPS_MAX];
    sim_event_id boot_event;
    bool boot_pending;

    /* Tenants its DEV serves (DFM start lists and tenant creates). */
    uint32_t *tenants;
    size_t tenant_count;
    size_t tenant_cap;

    /* NGINX's dropping detection: times of the latest errors, a ring. */
    sim_time_t *error_ring;
    uint32_t error_head;
    uint32_t error_count;
    sim_time_t dropping_notified_us;
    /* Only requests sent since count: the DFM's latest ready. */
    sim_time_t errors_from_us;

    /* Counts over the current world sample. */
    uint64_t sample_requests;
    uint64_t sample_errors;
    sim_time_t sample_mark_us;
} model_instance;

/* ---- provider ------------------------------------------------------- */

/* One create request the provider has seen, for idempotency. */
typedef struct model_create_record {
    lb_request_id id;
    uint32_t instance; /* MODEL_NONE until made */
    bool done;
    bool failed;
} model_create_record;

/* One remove or restart request the provider has seen, for idempotency. */
typedef struct model_op_record {
    lb_request_id id;
    model_msg_kind kind; /* MODEL_MSG_INSTANCE_REMOVE or _RESTART */
    uint32_t instance;   /* as the request named it, MODEL_NONE if unknown */
    bool pending;        /* under way: its reply serves a retry too */
    bool done;           /* succeeded: a retry gets the same reply again */
} model_op_record;

/* ---- faults ---------------------------------------------------------- */

typedef struct model_fault {
    world_fault spec; /* strings point to the copies below */
    char *instance;
    char *component;
    char *from;
    char *to;
    char *kind_match;
    uint32_t component_index;
    gsl_rng *rng;
    uint32_t hits;
    model_msg *held_msg; /* reorder: the message kept back */
    sim_event_id held_event;
} model_fault;

/* ---- the arrival wheel of trace tenants -------------------------------- */

/* The pending arrival of one tenant. The entries sit in an array of their
 * own, indexed by tenant, so that walking a slot touches little memory. */
typedef struct model_wheel_entry {
    sim_time_t at_us;
    uint64_t seq;  /* insertion order, breaks ties in time */
    uint32_t next; /* next tenant in the same slot, or MODEL_NONE */
} model_wheel_entry;

typedef struct model_arrival_wheel {
    uint64_t slot_us;    /* width of one slot */
    uint64_t slot_count; /* a power of two */
    uint32_t *heads;     /* first tenant of each slot, valid when marked */
    uint64_t *bitmap;    /* one bit per slot: the slot has tenants */
    model_wheel_entry *entries; /* one per tenant known at init */
    size_t entry_count;
    size_t queued;       /* tenants in the wheel */
    uint64_t seq;
    uint32_t first;      /* earliest queued tenant; MODEL_NONE: unknown */
    bool running;        /* an arrival of the wheel is being handled */
    bool event_pending;
    sim_event_id event;
    sim_time_t event_at_us;
} model_arrival_wheel;

/* ---- the LB end ------------------------------------------------------ */

typedef struct model_sim model_sim;

typedef struct model_lb_sink {
    void *ctx;
    /* A message reached the LB. msg stays owned by the link. */
    void (*deliver)(void *ctx, model_sim *sim, const model_msg *msg);
    /* The time asked for with the clock port has come. */
    void (*timer)(void *ctx);
} model_lb_sink;

/* ---- the whole --------------------------------------------------------- */

typedef struct model_component {
    char *name;
    uint32_t workers;
    uint32_t queue_capacity;
    model_sampler service;
} model_component;

struct model_sim {
    sim_engine *engine;
    /* While a deferred completion runs, the time it happened; else -1. */
    sim_time_t now_override_us;
    uint64_t seed;
    sim_time_t duration_us;
    world_observer observer;
    model_lb_sink lb;

    size_t component_count;
    model_component components[LB_COMPONENTS_MAX];
    uint32_t instance_vcpus;
    world_dfm_config dfm;
    world_nginx_config nginx;
    world_provider_config provider;
    model_sampler create_delay;
    model_sampler remove_delay;
    model_sampler restart_delay;
    model_sampler boot_delay;
    model_sampler link_latency;
    gsl_rng *link_rng;
    gsl_rng *provider_rng;

    model_tenant *tenants;
    size_t tenant_count;
    size_t tenant_cap;
    uint32_t *tenant_hash; /* open addressing: tenant index or MODEL_NONE */
    size_t tenant_hash_cap;

    model_instance *instances;
    size_t instance_count;
    size_t instance_cap;
    uint32_t instances_made; /* names of provider-made instances */

    model_request *requests;
    size_t request_cap;
    uint32_t request_free;
    uint64_t request_seq;

    /* NGINX's table. */
    uint64_t routes_version;
    uint32_t default_instance;
    uint32_t routing_changes; /* tables applied in this sample */
    sim_time_t stats_mark_us;

    /* Provider. */
    model_create_record *creates;
    size_t create_count;
    size_t create_cap;
    uint32_t pending_provider_requests;
    model_op_record *op_records;
    size_t op_record_count;
    size_t op_record_cap;

    /* Trace replay. */
    bool has_trace;
    model_trace_reader trace;
    world_trace_config trace_config;
    char *trace_path;
    double trace_bucket_s;
    bool trace_row_held;
    model_trace_row trace_row;
    char trace_row_tenant[LB_ID_LEN_MAX + 1];
    int trace_error;
    char trace_err[512];
    model_arrival_wheel wheel;

    model_fault *faults;
    size_t fault_count;
    world_tenant_event *tenant_events; /* tenant.id points to copies */
    size_t tenant_event_count;

    /* Messages in flight and provider operations under way (lists, freed
     * at destroy). */
    model_msg *msgs;
    model_msg *provider_ops;
    /* FIFO order per (from, to) pair: the latest delivery time. */
    struct model_link_pair *pairs;
    size_t pair_count;
    size_t pair_cap;

    /* Clock port. */
    bool wake_pending;
    sim_event_id wake_event;

    /* World samples. */
    sim_time_t sample_interval_us;
    uint64_t sample_requests;
    uint64_t sample_errors;
    model_latency_hist sample_latency; /* 1 % bins, reset each sample */
    /* Bins of the short latencies in the tenants' and the samples'
     * histograms, by whole microsecond: a lookup instead of a logarithm
     * per request (model_request.c). Built at the first completion. */
    uint16_t *tenant_bin_of_us;
    uint16_t *sample_bin_of_us;
    world_instance_sample *sample_rows;
    size_t sample_row_cap;
    sim_time_t invariant_grace_us;
    uint32_t instances_min;
    uint32_t instances_max;
    bool bounds_known;
    bool bounds_violating;
    /* Start of the current stretch below instances_min, or -1 when the
     * count is not below it. */
    sim_time_t below_min_since_us;
};

/* ---- model_sim.c: building and tables ---------------------------------- */

/* Builds everything of config but the controller; the LB end of the links
 * goes to sink. Returns NULL with a message naming the field in err. */
model_sim *model_sim_create(const world_config *config,
                            const world_observer *observer,
                            const model_lb_sink *sink, char *err,
                            size_t err_len);
void model_sim_destroy(model_sim *sim);

/* Schedules the traffic, the BM Router, the faults, the DFM timers and the
 * samples. Call once, at time 0. Returns 0 or -ENOMEM. */
int model_sim_start(model_sim *sim);

sim_time_t model_now(const model_sim *sim);

/* Schedules an event, clamped to now. Asserts on failure, which only
 * running out of memory causes: a run cannot go on without its events. */
sim_event_id model_schedule(model_sim *sim, sim_time_t at_us, sim_event_cb cb,
                            void *ctx, uint64_t arg);
void model_cancel(model_sim *sim, sim_event_id id);

uint32_t model_tenant_find(const model_sim *sim, const char *id);
/* Finds or adds tenant id (not sending). Returns MODEL_NONE when memory runs
 * out or the id is too long. */
uint32_t model_tenant_intern(model_sim *sim, const char *id);
/* Sets the traffic of tenant from config (pattern, mix, cost). */
int model_tenant_configure(model_sim *sim, uint32_t tenant,
                           const world_tenant_config *config, char *err,
                           size_t err_len);

uint32_t model_instance_find(const model_sim *sim, const char *id);
/* Adds an instance in state BOOTING with no process started. Returns its
 * index or MODEL_NONE when memory runs out. */
uint32_t model_instance_add(model_sim *sim, const char *id);

uint32_t model_component_find(const model_sim *sim, const char *name);

void model_log(model_sim *sim, lb_log_level level, const char *event,
               const char *fields);
void model_violation(model_sim *sim, const char *name, const char *detail);

/* ---- model_request.c: pool and outcome accounting ----------------------- */

/* Takes a request from the pool. Dies when memory runs out. */
uint32_t model_request_take(model_sim *sim);
/* Counts the outcome of request (latency now - arrival) for its tenant,
 * NGINX's statistics, the samples and dropping detection, then frees it. */
void model_request_finish(model_sim *sim, uint32_t request,
                          model_fail_reason reason);

/* ---- model_traffic.c ---------------------------------------------------- */

int model_traffic_start(model_sim *sim);
/* Starts or stops the arrivals of one tenant (tenant create and remove). */
void model_traffic_resume(model_sim *sim, uint32_t tenant);
void model_traffic_halt(model_sim *sim, uint32_t tenant);
/* Reads the trace once to check it and to list its tenants (with clones). */
int model_traffic_scan_trace(model_sim *sim, char *err, size_t err_len);

/* An arrival of a trace tenant is due now (called by the arrival wheel). */
void model_traffic_arrive(model_sim *sim, uint32_t tenant);

/* ---- model_arrival_wheel.c ---------------------------------------------- */

/* Sizes the wheel for buckets of bucket_width_us and for the tenants known
 * now (trace tenants and their clones). Returns 0 or -ENOMEM. */
int model_wheel_init(model_sim *sim, double bucket_width_us);
void model_wheel_deinit(model_sim *sim);
/* Queues the next arrival of a trace tenant at at_us (clamped to now),
 * which must lie within one bucket width of now. */
void model_wheel_insert(model_sim *sim, uint32_t tenant, sim_time_t at_us);
/* Takes the tenant's pending arrival out of the wheel, if it has one. */
void model_wheel_remove(model_sim *sim, uint32_t tenant);

/* ---- model_nginx.c ------------------------------------------------------ */

/* Sends a new request of tenant for component through the current table. */
void model_nginx_route(model_sim *sim, uint32_t request);
void model_nginx_receive(model_sim *sim, const model_msg *msg);
/* An error of a request sent to instance at sent_us, for dropping
 * detection. */
void model_nginx_note_error(model_sim *sim, uint32_t instance,
                            sim_time_t sent_us);
/* The DFM of instance is up after a boot: its errors start over. */
void model_nginx_instance_ready(model_sim *sim, uint32_t instance);
/* Builds NGINX's first table from the initial instances. */
void model_nginx_init_routes(model_sim *sim, const world_config *config);

/* ---- model_process.c: processes on an instance -------------------------- */

/* A request arrives at its instance and component. */
void model_instance_accept(model_sim *sim, uint32_t request);
/* Runs the request completions of instance that fell due by now, each at
 * its own time. Completions run without events of their own while no
 * process of the instance is stopping, so whatever reads an instance's
 * requests, counts or CPU calls this (or model_instance_advance) first. */
void model_instance_sync(model_sim *sim, uint32_t instance);
/* Syncs every instance: before reading counts summed over instances. */
void model_instances_sync(model_sim *sim);
/* Syncs instance, then brings its work clock and CPU counters up to now. */
void model_instance_advance(model_sim *sim, uint32_t instance);
/* Starts a process; warm_up burns the configured warm-up CPU. */
void model_process_start(model_sim *sim, uint32_t instance,
                         uint32_t component, bool warm_up);
/* Kills a process: its requests fail with reason. */
void model_process_kill(model_sim *sim, uint32_t instance, uint32_t component,
                        model_fail_reason reason);
/* Fails every request on instance (queued or on a worker) with reason, or
 * for MODEL_FAIL_TIMEOUT leaves them to time out. */
void model_instance_drop_requests(model_sim *sim, uint32_t instance,
                                  model_fail_reason reason);
/* Number of requests on the workers and in the queue of a process. */
size_t model_process_in_flight(model_sim *sim, uint32_t instance,
                               uint32_t component);
/* A request waits for the nginx timeout (instance silent). */
void model_request_wait_timeout(model_sim *sim, uint32_t request);

/* ---- model_dfm.c ------------------------------------------------------- */

void model_dfm_receive(model_sim *sim, const model_msg *msg);
/* The instance finished booting: DFM up, sampling on; sends dfm_ready when
 * announce is set. */
void model_dfm_boot_done(model_sim *sim, uint32_t instance, bool announce);
/* A process died: report it and restart it after the delay. */
void model_dfm_process_died(model_sim *sim, uint32_t instance,
                            uint32_t component);
/* A process went idle: completes graceful stops that waited for it. */
void model_dfm_process_idle(model_sim *sim, uint32_t instance,
                            uint32_t component);
/* The DEV of instance receives a tenant create or remove from NGINX. */
void model_dev_receive(model_sim *sim, const model_msg *msg);
void model_dfm_halt(model_sim *sim, uint32_t instance);

/* ---- model_provider.c --------------------------------------------------- */

void model_provider_receive(model_sim *sim, const model_msg *msg);
/* Crashes an instance: nothing on it replies until a restart. */
void model_instance_crash(model_sim *sim, uint32_t instance);

/* ---- model_fault.c ------------------------------------------------------ */

int model_faults_start(model_sim *sim);
/* Extra delay of provider operations started now. */
sim_time_t model_fault_provider_delay_us(model_sim *sim);
/* Whether a provider request started now fails by a fault rule. */
bool model_fault_provider_fails(model_sim *sim);

/* ---- model_bm_router.c -------------------------------------------------- */

int model_bm_router_start(model_sim *sim);

/* ---- model_sample.c ----------------------------------------------------- */

int model_sample_start(model_sim *sim);
/* Adds a completed request's latency, as its natural logarithm (negative
 * below 1 us), to the current interval. */
void model_sample_latency(model_sim *sim, double ln_latency_us);
/* The current interval's latency histogram, allocated at first need. */
model_latency_hist *model_sample_latency_hist(model_sim *sim);
/* Checks the invariants the world can see; reports each failure once when
 * it begins. */
void model_invariants_check(model_sim *sim);

/* ---- model_ports.c ------------------------------------------------------ */

/* Fills ports with the simulated NGINX, Provider, DFM, clock and log. */
void model_ports_fill(model_sim *sim, lb_ports *ports);

#endif
