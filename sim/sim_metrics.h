/* Metrics of a run, computed from its record, and the controller's actions
 * read back from the message trace.
 *
 * Latency percentiles are the highest per-interval value over the run: the
 * world reports percentiles per sample interval, and a bound on them holds
 * for every interval. Instances count every instance a sample lists except
 * those in state "removed". Recovery time is the longest run of consecutive
 * sample intervals that saw failed requests. */
#ifndef SIM_METRICS_H
#define SIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"
#include "sim_record.h"

typedef struct sim_metrics {
    uint64_t requests;
    uint64_t failed_requests;
    double latency_p50_ms_max;
    double latency_p95_ms_max;
    double latency_p99_ms_max;
    uint32_t instances_min;
    uint32_t instances_max;
    double instance_hours;
    uint32_t scale_outs;
    uint32_t scale_ins;
    uint32_t restarts;
    uint32_t route_changes;
    double recovery_time_s;
} sim_metrics;

typedef enum sim_action_kind {
    SIM_ACTION_SCALE_OUT = 0,
    SIM_ACTION_SCALE_IN,
    SIM_ACTION_RESTART,
    SIM_ACTION_ROUTE_CHANGE,
} sim_action_kind;

/* One decision of the controller, at the time its request went out. */
typedef struct sim_action {
    sim_time_t at_us;
    sim_action_kind kind;
    char instance[LB_ID_LEN_MAX + 1]; /* "-" when the request names none */
    uint64_t request_id;  /* routes: the table version */
} sim_action;

/* The name of an action kind in actions.csv ("scale_out", ...). */
const char *sim_action_name(sim_action_kind kind);

/* Lists the controller's actions in trace order; a request sent again with
 * the same id counts once. Returns 0 or -ENOMEM; free *out with free(). */
int sim_actions_collect(const sim_record *record, sim_action **out,
                        size_t *count);

/* Computes every metric. Returns 0 or -ENOMEM. */
int sim_metrics_compute(const sim_record *record, sim_metrics *out);

/* The value a bound of metric is compared with (instances: the minimum for a
 * lower bound, the maximum for an upper one). */
double sim_metrics_value(const sim_metrics *metrics, sim_metric metric,
                         bool is_max);

/* Whether an instance in state counts as one that exists. */
bool sim_instance_state_counts(const char *state);

#endif
