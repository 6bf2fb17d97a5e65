/* The expectation checker: one verdict per expectation of a scenario.
 *
 * The sequence is one expectation, each never entry one, each metric bound
 * one, and each invariant one. A failed verdict carries a one-line summary
 * and a detail: for a sequence, which step was not seen, the last step that
 * matched, and the messages around the missed step's deadline. */
#ifndef SIM_CHECK_H
#define SIM_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"
#include "sim_metrics.h"
#include "sim_pool.h"
#include "sim_record.h"

typedef enum sim_verdict_kind {
    SIM_VERDICT_SEQUENCE = 0,
    SIM_VERDICT_NEVER,
    SIM_VERDICT_METRIC,
    SIM_VERDICT_INVARIANT,
} sim_verdict_kind;

typedef struct sim_verdict {
    sim_verdict_kind kind;
    const char *name;    /* "sequence", "never: ...", "metric: ...", ... */
    bool passed;
    const char *summary; /* one line */
    const char *detail;  /* lines for a failure, "" when passed */
} sim_verdict;

typedef struct sim_check {
    sim_pool pool;
    size_t count;
    sim_verdict *verdicts;
    size_t failed;
    size_t steps_seen; /* of the sequence */
} sim_check;

/* Checks every expectation. Returns 0 or -ENOMEM; release with
 * sim_check_deinit either way. */
int sim_check_run(sim_check *check, const sim_expect *expect,
                  const sim_record *record, const sim_metrics *metrics);
void sim_check_deinit(sim_check *check);

/* Checks the sequence alone into one verdict (in check's pool). */
int sim_check_sequence(sim_check *check, const sim_expect *expect,
                       const sim_record *record, sim_verdict *out);

/* Writes the name of a verdict kind ("sequence", "never", ...). */
const char *sim_verdict_kind_name(sim_verdict_kind kind);

#endif
