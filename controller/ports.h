/* The controller's ports: how the LB controller talks to the world.
 *
 * The controller makes requests only through these tables of function
 * pointers, each with its own context pointer. lbsim implements them with
 * simulated models and lbd with live adapters; the controller cannot tell
 * them apart. Replies and notifications come back by calling the lb_on_*
 * functions of controller.h.
 *
 * Every request carries an id that its reply names. A port function returns
 * 0 when the request was sent, or a negative errno value when it could not be
 * sent at all; then no reply will come for it. Strings and arrays passed to
 * a port function are valid only during the call: the port copies what it
 * keeps.
 *
 * A port function must not call an lb_on_* function before it returns, even
 * for an error it finds at once: it delivers the reply later, from the event
 * loop. The controller asserts this. */
#ifndef LB_PORTS_H
#define LB_PORTS_H

#include <stddef.h>
#include <stdint.h>

/* Controller time in microseconds, read from the clock port. */
typedef int64_t lb_time_t;

typedef uint64_t lb_request_id;

/* Largest tenant or instance id, in bytes, without the terminating NUL. */
#define LB_ID_LEN_MAX 63

/* Components are indexes into the component list of the controller's
 * configuration (for example 0 = dev, 1 = dep, 2 = dfc). A set of components
 * is a bit mask of those indexes. */
#define LB_COMPONENTS_MAX 8
typedef uint32_t lb_component_mask;

/* CPU use of one process over a DFM window. */
typedef struct lb_process_cpu {
    uint32_t component;
    uint32_t cpu_permille; /* thousandths of the instance's whole capacity */
} lb_process_cpu;

/* Body of an overload or low-load notification from a DFM. */
typedef struct lb_load_report {
    const char *instance;
    uint32_t cpu_permille; /* total, thousandths of the instance's capacity */
    lb_time_t window_us;   /* how long the condition held */
    size_t process_count;
    const lb_process_cpu *processes;
} lb_load_report;

/* NGINX's counts for one (tenant, instance, component) since the previous
 * statistics request. */
typedef struct lb_stats_row {
    const char *tenant;
    const char *instance;
    uint32_t component;
    uint64_t requests;
    uint64_t errors;
    uint64_t latency_us_sum;
    uint64_t latency_us_max;
} lb_stats_row;

typedef struct lb_stats {
    lb_request_id request_id;
    lb_time_t interval_us; /* time the counts cover */
    size_t row_count;
    const lb_stats_row *rows;
} lb_stats;

typedef struct lb_route_instance {
    const char *id;
    const char *address; /* host:port in real mode, the id in lbsim */
} lb_route_instance;

typedef struct lb_route {
    const char *tenant;
    uint32_t component;
    uint32_t instance; /* index into lb_routes.instances */
} lb_route;

#define LB_ROUTE_NO_DEFAULT UINT32_MAX

/* A whole routing table. NGINX applies it to new requests only; requests in
 * flight finish where they are. */
typedef struct lb_routes {
    uint64_t version; /* grows by one with every table the LB sends */
    size_t instance_count;
    const lb_route_instance *instances;
    size_t route_count;
    const lb_route *routes;
    /* Instance whose DEV gets requests of tenants not in the table, such as
     * a tenant create; LB_ROUTE_NO_DEFAULT for none. */
    uint32_t default_instance;
} lb_routes;

typedef struct lb_clock_port {
    void *ctx;
    lb_time_t (*now)(void *ctx);
    /* Asks for one call of lb_on_timer at or after at_us. A later call
     * replaces the earlier request. */
    void (*wake_at)(void *ctx, lb_time_t at_us);
} lb_clock_port;

typedef struct lb_nginx_port {
    void *ctx;
    /* Reply: lb_on_stats_reply. */
    int (*stats_request)(void *ctx, lb_request_id id);
    /* Reply: lb_on_routes_applied or lb_on_routes_rejected. */
    int (*routes_apply)(void *ctx, const lb_routes *routes);
} lb_nginx_port;

typedef struct lb_provider_port {
    void *ctx;
    /* The request id is also an idempotency token: a create repeated with
     * the same id must not make a second instance.
     * Reply: lb_on_instance_created or lb_on_instance_create_failed. */
    int (*instance_create)(void *ctx, lb_request_id id,
                           const char *instance_type);
    /* Reply: lb_on_instance_removed or lb_on_instance_remove_failed. */
    int (*instance_remove)(void *ctx, lb_request_id id, const char *instance);
    /* Reply: lb_on_instance_restarted or lb_on_instance_restart_failed. */
    int (*instance_restart)(void *ctx, lb_request_id id, const char *instance);
    /* Reply: lb_on_instance_list. */
    int (*instance_list)(void *ctx, lb_request_id id);
} lb_provider_port;

typedef struct lb_dfm_port {
    void *ctx;
    /* Makes the DFM of instance run these components serving these tenants,
     * in addition to the tenants they already serve. Starting a component
     * that runs already only adds the tenants.
     * Reply: lb_on_components_started or lb_on_components_start_failed. */
    int (*components_start)(void *ctx, const char *instance, lb_request_id id,
                            lb_component_mask components,
                            const char *const *tenants, size_t tenant_count);
    /* Stops components gracefully: no new requests, requests in flight
     * finish, and at deadline_us the rest are killed.
     * Reply: lb_on_components_stopped. */
    int (*components_stop)(void *ctx, const char *instance, lb_request_id id,
                           lb_component_mask components,
                           lb_time_t deadline_us);
} lb_dfm_port;

typedef enum lb_log_level {
    LB_LOG_DEBUG = 0,
    LB_LOG_INFO = 1,
    LB_LOG_WARN = 2,
    LB_LOG_ERROR = 3,
} lb_log_level;

typedef struct lb_log_port {
    void *ctx;
    /* event is a short name ("decision", "request_timeout"); fields are
     * space-separated key=value pairs with the ids involved. */
    void (*write)(void *ctx, lb_log_level level, const char *event,
                  const char *fields);
} lb_log_port;

typedef struct lb_ports {
    lb_clock_port clock;
    lb_nginx_port nginx;
    lb_provider_port provider;
    lb_dfm_port dfm;
    lb_log_port log;
} lb_ports;

#endif
