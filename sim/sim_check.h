/* The expectation checker: one verdict per expectation of a scenario.
 *
 * Each sequence step is one expectation, as are each never entry, each
 * metric bound and each invariant. A failed verdict carries a one-line
 * summary and a detail: for the first step not seen, the last step that
 * matched and the messages around the missed step's deadline. The steps
 * after a missed one are not checked: their verdicts are skipped. */
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
    const char *name;    /* "step 1: ...", "never: ...", "metric: ...", ... */
    bool passed;
    bool skipped;        /* not checked; passed is false */
    const char *summary; /* one line */
    const char *detail;  /* lines for a failure, "" when passed */
} sim_verdict;

typedef struct sim_check {
    sim_pool pool;
    size_t count;
    sim_verdict *verdicts;
    size_t failed;     /* verdicts not passed and not skipped */
    size_t skipped;
    size_t steps_seen; /* of the sequence */
} sim_check;

/* Checks every expectation. Returns 0 or -ENOMEM; release with
 * sim_check_deinit either way. */
int sim_check_run(sim_check *check, const sim_expect *expect,
                  const sim_record *record, const sim_metrics *metrics);
void sim_check_deinit(sim_check *check);

/* Checks the sequence alone into out, one verdict per step
 * (expect->step_count of them; their text is in check's pool). Returns 0 or
 * -ENOMEM. */
int sim_check_sequence(sim_check *check, const sim_expect *expect,
                       const sim_record *record, sim_verdict *out);

/* Writes the name of a verdict kind ("sequence", "never", ...). */
const char *sim_verdict_kind_name(sim_verdict_kind kind);

#endif
