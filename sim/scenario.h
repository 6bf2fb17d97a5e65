/* A scenario file, loaded: the world to build and what to expect of it.
 *
 * sim_scenario_load reads and checks a whole file before anything runs, so
 * that a bad file stops lbsim before it writes any output. Every string and
 * array of a scenario lives in its pool and is released by
 * sim_scenario_deinit. The format is documented key by key in
 * docs/scenario-format.md. */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "sim_pool.h"
#include "sim_time.h"
#include "world.h"

/* How one message field is compared with what a step expects. */
typedef enum sim_field_op {
    SIM_FIELD_EQUAL = 0, /* the same text */
    SIM_FIELD_SET,       /* a comma list with the same items, in any order */
    SIM_FIELD_PRESENT,   /* "*": the field exists, with any value */
    SIM_FIELD_VARIABLE,  /* "$name": binds on first match, equal after */
    SIM_FIELD_LESS,      /* "<N" */
    SIM_FIELD_LESS_EQUAL,
    SIM_FIELD_GREATER,
    SIM_FIELD_GREATER_EQUAL,
    SIM_FIELD_CONTAINS,  /* {contains: [...]}: every item is in the list */
    SIM_FIELD_EXCLUDES,  /* {excludes: [...]}: no item is in the list */
} sim_field_op;

typedef struct sim_field_match {
    const char *key; /* "request_id" matches the message's request id */
    sim_field_op op;
    const char *text; /* the expected text, or the variable name */
    double number;    /* comparisons */
    size_t item_count;
    /* SIM_FIELD_SET (sorted), CONTAINS and EXCLUDES. An item may end in a
     * "$name" variable of the sequence ("t3/dev:$new"). */
    const char *const *items;
} sim_field_match;

typedef enum sim_fate_match {
    SIM_FATE_MATCH_DELIVERED = 0,
    SIM_FATE_MATCH_LOST,
    SIM_FATE_MATCH_ANY,
} sim_fate_match;

/* A message pattern. NULL from, to or kind match anything; a trailing '*'
 * matches any rest ("dfm/" followed by "*"). */
typedef struct sim_msg_pattern {
    const char *from;
    const char *to;
    const char *kind;
    sim_fate_match fate;
    size_t field_count;
    const sim_field_match *fields;
} sim_msg_pattern;

#define SIM_NO_DEADLINE SIM_TIME_MAX

typedef struct sim_step {
    const char *name;
    sim_msg_pattern pattern;
    sim_time_t within_us; /* after the previous step, SIM_NO_DEADLINE */
    sim_time_t before_us; /* absolute, SIM_NO_DEADLINE */
    sim_time_t after_us;  /* absolute earliest time, 0 by default */
    int line;             /* in the scenario file, 1-based */
} sim_step;

typedef struct sim_never {
    const char *name;
    sim_msg_pattern pattern;
    sim_time_t after_us;  /* window start, 0 by default */
    sim_time_t before_us; /* window end, SIM_NO_DEADLINE */
} sim_never;

typedef enum sim_metric {
    SIM_METRIC_FAILED_REQUESTS = 0,
    SIM_METRIC_LATENCY_P50_MS,
    SIM_METRIC_LATENCY_P95_MS,
    SIM_METRIC_LATENCY_P99_MS,
    SIM_METRIC_INSTANCES,
    SIM_METRIC_INSTANCE_HOURS,
    SIM_METRIC_SCALING_ACTIONS,
    SIM_METRIC_RECOVERY_TIME_S,
    SIM_METRIC_COUNT,
} sim_metric;

typedef struct sim_metric_bound {
    const char *name; /* the key as written: "failed_requests_max" */
    sim_metric metric;
    bool is_max;      /* false: a lower bound */
    double value;
} sim_metric_bound;

/* The invariants the world checks, by the names it reports them with. */
#define SIM_INVARIANT_COUNT 5
extern const char *const sim_invariant_names[SIM_INVARIANT_COUNT];

typedef struct sim_expect {
    size_t step_count;
    const sim_step *steps;
    size_t never_count;
    const sim_never *nevers;
    size_t bound_count;
    const sim_metric_bound *bounds;
    bool invariant_on[SIM_INVARIANT_COUNT];
} sim_expect;

/* The maximum duration of a scenario: 30 days of virtual time. It bounds the
 * size of the per-sample outputs, and a mistyped duration is rejected
 * instead of running for hours. */
#define SIM_SCENARIO_DURATION_MAX_US ((sim_time_t)30 * 24 * 3600 * 1000000)

typedef struct sim_scenario {
    sim_pool pool;
    const char *path;        /* as given on the command line */
    const char *name;        /* also the output folder's name */
    const char *description; /* "" when absent */
    lb_policy policy;
    world_config world;      /* world.policy points at policy above */
    sim_expect expect;
} sim_scenario;

/* Loads and checks the scenario file path. Returns 0, or -EINVAL (bad
 * content), -ENOENT (a missing file) or -ENOMEM with a message in err of the
 * form "FILE:LINE:COLUMN: key 'x': expected ..., got ...". On failure the
 * scenario holds nothing to release. */
int sim_scenario_load(sim_scenario *scenario, const char *path, char *err,
                      size_t err_len);

void sim_scenario_deinit(sim_scenario *scenario);

/* Index of invariant name, or -1. */
int sim_invariant_index(const char *name);

/* Key of a metric as bounds name it, without _min or _max. */
const char *sim_metric_name(sim_metric metric);

#endif
