/* lbsim's output files. Each writer produces the same bytes for the same
 * record: no wall-clock time, no absolute path, fixed number formats.
 * Column names are a contract with the gnuplot scripts of plots/. */
#ifndef SIM_OUT_H
#define SIM_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "scenario.h"
#include "sim_check.h"
#include "sim_metrics.h"
#include "sim_record.h"

/* Everything the writers read about one finished run. */
typedef struct sim_run_result {
    const sim_scenario *scenario;
    uint64_t seed; /* the seed the run used, after --seed */
    const sim_record *record;
    const sim_metrics *metrics;
    const sim_check *check;
} sim_run_result;

/* Each writer returns 0 or -EIO (or -ENOMEM). */
int sim_out_trace_csv(FILE *out, const sim_run_result *run);
int sim_out_timeseries_csv(FILE *out, const sim_run_result *run);
int sim_out_instances_csv(FILE *out, const sim_run_result *run);
int sim_out_placement_csv(FILE *out, const sim_run_result *run);
int sim_out_actions_csv(FILE *out, const sim_run_result *run);
int sim_out_tenants_csv(FILE *out, const sim_run_result *run);
int sim_out_controller_log(FILE *out, const sim_run_result *run);
int sim_out_summary_json(FILE *out, const sim_run_result *run);
int sim_out_sequence_mmd(FILE *out, const sim_run_result *run);

/* JUnit XML: the whole document for one run, or the pieces to combine
 * several runs into one document. */
int sim_out_junit_xml(FILE *out, const sim_run_result *run);
void sim_out_junit_begin(FILE *out, size_t tests, size_t failures,
                         size_t errors);
void sim_out_junit_suite(FILE *out, const sim_run_result *run);
/* A testsuite for a file that did not load or run: one testcase in error. */
void sim_out_junit_error(FILE *out, const char *file, const char *message);
void sim_out_junit_end(FILE *out);

/* Writes every output file into the existing folder dir. Returns 0, or a
 * negative errno value with a message in err. */
int sim_out_write_all(const char *dir, const sim_run_result *run, char *err,
                      size_t err_len);

/* Writes text as one CSV field, quoted when it contains a comma, a quote or
 * a line break. */
void sim_out_csv_field(FILE *out, const char *text);

/* Writes text as a JSON string, with quotes. */
void sim_out_json_string(FILE *out, const char *text);

/* Writes text escaped for XML attribute values and content. */
void sim_out_xml_text(FILE *out, const char *text);

#endif
