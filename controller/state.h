/* The controller's internal state and the functions its files share.
 *
 * Not part of the public interface: callers use controller.h. Instances and
 * tenants live in slot arrays whose indexes stay valid until the slot is
 * freed; pending requests name the instance slot they concern. Memory grows
 * with the number of tenants and instances, never with traffic. */
#ifndef LB_STATE_H
#define LB_STATE_H

/* Asserts stay on in every build type: a broken invariant of the controller
 * must stop it rather than let it send wrong routes. */
#undef NDEBUG
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller.h"

/* No instance, tenant or request. */
#define LB_NONE UINT32_MAX

/* No deadline. */
#define LB_TIME_NEVER INT64_MAX

/* Maximum length of an instance address, in bytes, without the NUL. */
#define LB_ADDRESS_LEN_MAX 127

/* Most downs of one component that the crash-loop check remembers; the
 * policy's crash_loop_downs cannot exceed it. */
#define LB_CRASH_HISTORY 16

/* Recently completed request ids, kept to tell a duplicate reply from a
 * stale one. */
#define LB_DONE_IDS 64

typedef enum lb_instance_state {
    LB_INSTANCE_FREE = 0,     /* slot unused */
    LB_INSTANCE_PROVISIONING, /* create sent, no reply yet */
    LB_INSTANCE_BOOTING,      /* created or restarted, waiting for dfm_ready */
    LB_INSTANCE_STARTING,     /* components_start sent after a boot */
    LB_INSTANCE_ACTIVE,
    LB_INSTANCE_DEGRADED,     /* a component is down or not yet stable */
    LB_INSTANCE_RESTARTING,   /* dropped requests, restart sent */
    LB_INSTANCE_FAILED,       /* restart or start gave up; serves nothing */
    LB_INSTANCE_DRAINING,     /* tenants moving off, then stop */
    LB_INSTANCE_REMOVING,     /* remove sent */
} lb_instance_state;

/* Health of one component process on one instance. */
typedef struct lb_component_health {
    bool down;
    bool avoided;            /* tenants routed elsewhere until stable */
    lb_time_t stable_at_us;  /* route back at this time; LB_TIME_NEVER */
    lb_time_t down_at_us[LB_CRASH_HISTORY]; /* ring of recent downs */
    uint32_t down_next;      /* next ring slot */
} lb_component_health;

typedef struct lb_instance {
    lb_instance_state state;
    char id[LB_ID_LEN_MAX + 1]; /* empty while provisioning */
    char address[LB_ADDRESS_LEN_MAX + 1];
    lb_component_mask components;
    uint32_t cpu_permille;      /* recent load estimate */
    lb_time_t warmup_until_us;  /* CPU reports before it are ignored */
    lb_time_t overload_quiet_until_us;
    lb_time_t ready_deadline_us; /* BOOTING: give up at; else NEVER */
    lb_time_t probe_at_us;      /* BOOTING: components_start without ready */
    lb_time_t dropping_quiet_until_us; /* dropping reports cause no restart */
    bool restarted;             /* a restart was sent at restart_sent_at_us */
    lb_time_t restart_sent_at_us;
    uint32_t restart_failures;  /* give-ups since it was last active */
    lb_time_t restart_retry_at_us; /* FAILED: restart again at; else NEVER */
    bool created_by_lb;         /* a scale-out made it */
    bool stats_pending;         /* a statistics request is out for it */
    uint32_t process_cpu_permille[LB_COMPONENTS_MAX]; /* last overload */
    bool stop_wait_routes;      /* DRAINING: stop once routes applied */
    bool stop_sent;             /* DRAINING: components_stop went out */
    uint64_t stop_routes_version; /* 0 until the table is sent */
    lb_component_health health[LB_COMPONENTS_MAX];
} lb_instance;

typedef struct lb_tenant {
    bool used;
    char id[LB_ID_LEN_MAX + 1];
    uint32_t home;          /* instance slot, LB_NONE: default route */
    uint32_t moving_to;     /* instance slot, LB_NONE when not moving */
    lb_request_id move_id;  /* components_start that moves it; 0 before */
    uint32_t cpu_permille;  /* load estimate */
    /* Instance slot whose requests NGINX counted for the tenant in the last
     * statistics while its home is failed, LB_NONE otherwise. */
    uint32_t guest_of;
} lb_tenant;

typedef enum lb_request_kind {
    LB_REQUEST_STATS = 0,
    LB_REQUEST_CREATE,
    LB_REQUEST_REMOVE,
    LB_REQUEST_RESTART,
    LB_REQUEST_LIST,
    LB_REQUEST_START,
    LB_REQUEST_STOP,
} lb_request_kind;

typedef struct lb_request {
    bool used;
    lb_request_kind kind;
    lb_request_id id;
    uint32_t instance;      /* slot, LB_NONE for stats of none and list */
    bool boot;              /* START: also send the instance's own tenants */
    bool low_load;          /* STATS: for a low-load report, not overload */
    uint32_t attempt;       /* sends so far */
    bool waiting_retry;     /* deadline is the resend time, not a timeout */
    lb_time_t deadline_us;
} lb_request;

struct lb_controller {
    lb_ports ports;
    lb_policy policy;
    size_t component_count;
    char component_names[LB_COMPONENTS_MAX][LB_ID_LEN_MAX + 1];

    lb_instance *instances;
    size_t instance_cap;
    lb_tenant *tenants;
    size_t tenant_cap;
    /* Lowest slot that may be free: every slot below it is used, so
     * allocation does not rescan them. */
    size_t tenant_free_hint;
    uint32_t *scratch;      /* tenant_cap entries for tenant lists */
    uint32_t *tenant_index; /* tenant id hash to slot, see tenant_index.c */
    size_t tenant_index_cap; /* a power of two */
    size_t tenant_index_tombstones;
    size_t tenant_index_used; /* tenants in the index */
    lb_request *requests;
    size_t request_cap;
    lb_request_id next_id;
    lb_request taken;       /* the request completed last */
    lb_request_id done_ids[LB_DONE_IDS];
    size_t done_next;
    /* Instances that may run unknown to the controller: creates and
     * removals given up without a reply. */
    uint32_t orphans_possible;

    /* Instances the provider listed at start that the config does not name
     * (the control instance, for example): never removed. */
    char (*foreign_ids)[LB_ID_LEN_MAX + 1];
    size_t foreign_count;
    bool foreign_known;     /* a listing settled the foreign instances */
    lb_request_id foreign_list_id;
    uint32_t listing_rounds; /* listings repeated since the last settled */

    /* Routing: the newest table sent, and whether NGINX applied it. */
    uint64_t routes_version;
    uint64_t routes_applied_version;
    uint64_t routes_digest; /* of the newest table sent */
    lb_time_t routes_sent_at_us;
    bool routes_dirty;      /* a change waits for routes_interval_min_us */
    uint32_t routes_attempt;
    lb_time_t routes_deadline_us; /* timeout of routes_version */
    lb_time_t routes_retry_at_us; /* resend after a timeout or rejection */
    uint32_t default_instance;
    char routes_missing_first[2 * (LB_ID_LEN_MAX + 1)]; /* for the log */

    lb_time_t scale_in_quiet_until_us;
    uint32_t scale_out_failures; /* creates failed or abandoned in a row */
    lb_time_t scale_out_retry_at_us; /* no create before it */
    lb_time_t stats_next_at_us; /* next liveness statistics request */
    struct lb_kept_row *kept_rows; /* latest liveness reply, stats_kept.c */
    size_t kept_count;
    lb_time_t kept_interval_us;
    bool routes_urgent;     /* the change routes around a failure */
    lb_time_t now_us;       /* read once per input */
    bool in_port_call;      /* a request port function is running */
    lb_time_t wake_armed_us;
    bool started;
};

/* log.c */
void lb_log(lb_controller *c, lb_log_level level, const char *event,
            const char *format, ...) __attribute__((format(printf, 4, 5)));
size_t lb_log_tenants(const lb_controller *c, const uint32_t *tenants,
                      size_t count, char *buf, size_t buf_len);
const char *lb_instance_name(const lb_controller *c, uint32_t slot);
const char *lb_component_name(const lb_controller *c, uint32_t component);
const char *lb_instance_state_name(lb_instance_state state);
/* Writes text into buf with quotes and backslashes escaped as \" and \\,
 * and spaces, '=', control and non-ASCII bytes as \xHH, so that untrusted
 * text can neither end a key=value field nor forge a log line; "-" for
 * NULL. Cut to fit buf_len, never inside an escape. Returns buf. */
const char *lb_log_escape(const char *text, char *buf, size_t buf_len);
/* Returns whether id is 1 to LB_ID_LEN_MAX bytes of printable ASCII other
 * than space, quote, backslash and '='. */
bool lb_id_printable(const char *id);
/* Logs the close of a request other than by its reply. */
void lb_log_request_closed(lb_controller *c, const char *kind,
                           uint64_t id, const char *reason);

/* controller.c */
void lb_input_begin(lb_controller *c);
void lb_input_end(lb_controller *c);

/* instances.c */
uint32_t lb_instance_find(const lb_controller *c, const char *id);
uint32_t lb_instance_alloc(lb_controller *c);
void lb_instance_free(lb_controller *c, uint32_t slot);
void lb_instance_remove_unknown(lb_controller *c, const char *id,
                                const char *reason);
bool lb_instance_serves(const lb_controller *c, uint32_t slot,
                        uint32_t component);
size_t lb_instance_count(const lb_controller *c);
void lb_instance_remove(lb_controller *c, uint32_t slot, const char *reason);
void lb_instance_start_given_up(lb_controller *c, uint32_t slot,
                                lb_request_id id);
void lb_instances_check_deadlines(lb_controller *c);
lb_time_t lb_instances_next_deadline(const lb_controller *c);

/* listing.c */
bool lb_foreign(const lb_controller *c, const char *id);
void lb_listing_start(lb_controller *c);
void lb_listing_request(lb_controller *c);
void lb_listing_given_up(lb_controller *c);

/* requests.c */
const char *lb_request_kind_name(lb_request_kind kind);
lb_request_id lb_request_schedule(lb_controller *c, lb_request_kind kind,
                                  lb_time_t at_us);
/* Sends a new request; flag is the START boot or the STATS low_load flag.
 * The result is valid until the next request is sent. */
lb_request *lb_request_send(lb_controller *c, lb_request_kind kind,
                            uint32_t instance, bool flag);
/* Completes the pending request of this kind and id. Returns a copy that
 * stays valid until the next take, or NULL (and logs the reply as a
 * duplicate or stale) when no such request is pending. */
const lb_request *lb_request_take(lb_controller *c, lb_request_kind kind,
                                  lb_request_id id, const char *reply);
lb_request *lb_request_find(lb_controller *c, lb_request_kind kind,
                            lb_request_id id, const char *reply);
void lb_request_cancel_instance(lb_controller *c, uint32_t slot);
void lb_request_retry_or_fail(lb_controller *c, lb_request *request,
                              const char *reason);
void lb_requests_check_deadlines(lb_controller *c);
lb_time_t lb_requests_next_deadline(const lb_controller *c);
lb_time_t lb_backoff_us(const lb_controller *c, uint32_t attempt);
void lb_done_remember(lb_controller *c, lb_request_id id);
bool lb_request_pending_kind(const lb_controller *c, lb_request_kind kind,
                             uint32_t instance);

/* routes.c */
void lb_routes_change(lb_controller *c);
/* Like lb_routes_change, but the table goes out at once, not held by
 * routes_interval_min_us, because it routes around a failure. */
void lb_routes_failover(lb_controller *c);
void lb_routes_flush(lb_controller *c);
void lb_routes_send(lb_controller *c);
void lb_routes_check_deadlines(lb_controller *c);
lb_time_t lb_routes_next_deadline(const lb_controller *c);

/* moves.c */
void lb_move_begin(lb_controller *c, uint32_t to, const uint32_t *tenants,
                   size_t count);
void lb_move_started(lb_controller *c, lb_request_id id, uint32_t to);
void lb_move_abandon(lb_controller *c, uint32_t to, lb_request_id id);
void lb_move_send_start(lb_controller *c, uint32_t to, bool boot);
size_t lb_tenants_on(const lb_controller *c, uint32_t slot, uint32_t *out);

/* tenant_index.c */
uint32_t lb_tenant_find(const lb_controller *c, const char *id);
void lb_tenant_index_add(lb_controller *c, uint32_t slot);
void lb_tenant_index_remove(lb_controller *c, uint32_t slot);

/* tenants.c */
uint32_t lb_tenant_alloc(lb_controller *c, const char *id);
void lb_tenants_place_waiting(lb_controller *c);
uint32_t lb_place_choose(const lb_controller *c, uint32_t except,
                         lb_component_mask components, uint32_t cpu_permille,
                         uint32_t cpu_limit_permille);

/* overload.c */
void lb_tenants_sort_by_cpu(const lb_controller *c, uint32_t *tenants,
                            size_t count);
void lb_overload_decide(lb_controller *c, uint32_t slot);

/* stats.c */
void lb_stats_request(lb_controller *c, uint32_t slot,
                      const lb_load_report *report, bool low_load);
void lb_stats_given_up(lb_controller *c, uint32_t slot, bool low_load);
void lb_stats_check_deadlines(lb_controller *c);
lb_time_t lb_stats_next_deadline(const lb_controller *c);
bool lb_tenant_on(const lb_controller *c, uint32_t tenant, uint32_t slot);
size_t lb_tenants_movable(const lb_controller *c, uint32_t slot,
                          uint32_t *out);

/* stats_kept.c */
void lb_stats_keep(lb_controller *c, const lb_stats *stats);
void lb_stats_drop(lb_controller *c);
/* Fills merged with the kept rows followed by those of stats. Returns the
 * row array, which the caller frees; its strings live until the next
 * lb_stats_keep or lb_stats_drop. */
lb_stats_row *lb_stats_merge(const lb_controller *c, const lb_stats *stats,
                             lb_stats *merged);

/* scale_out.c */
bool lb_scale_out_in_flight(const lb_controller *c);
bool lb_scale_out_backoff(const lb_controller *c);
void lb_scale_out_failed(lb_controller *c, const char *reason);
void lb_instances_keep_min(lb_controller *c);

/* dropping.c */
void lb_instance_restart(lb_controller *c, uint32_t slot);
void lb_instance_fail(lb_controller *c, uint32_t slot, const char *reason);
void lb_dropping_decide(lb_controller *c, uint32_t slot, uint64_t errors,
                        lb_time_t window_us, const char *reason);

/* drain.c */
void lb_low_load_decide_checked(lb_controller *c, uint32_t slot);
void lb_drain_moves_done(lb_controller *c, uint32_t slot);
void lb_drain_routes_applied(lb_controller *c);
void lb_drain_stopped(lb_controller *c, uint32_t slot, const char *reason);

/* component.c */
void lb_component_mark_up(lb_controller *c, uint32_t slot,
                          uint32_t component, const char *reason);
void lb_components_check_deadlines(lb_controller *c);
lb_time_t lb_components_next_deadline(const lb_controller *c);

#endif
