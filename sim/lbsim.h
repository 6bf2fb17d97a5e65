/* The lbsim program: its commands, options and the run of one scenario. */
#ifndef LBSIM_H
#define LBSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

/* Exit statuses of every command. */
#define LBSIM_EXIT_PASS 0
#define LBSIM_EXIT_FAIL 1      /* an expectation failed */
#define LBSIM_EXIT_BAD_INPUT 2 /* bad usage, bad scenario file, or a run that
                                  could not complete */

typedef struct lbsim_options {
    bool has_seed;
    uint64_t seed;          /* --seed: replaces every scenario's seed */
    const char *out_parent; /* --out: outputs go to <out>/<scenario name> */
    const char *junit_path; /* --junit: one report for every file */
    bool plot;              /* --plot: draw the plots after the run */
    const char *compare_prefix; /* plot --compare: side-by-side output */
    bool details;           /* print what failed (check) */
    bool progress;          /* stderr is a terminal */
} lbsim_options;

/* What the verdict table shows for one scenario. */
typedef struct lbsim_outcome {
    const char *name;
    int status; /* an LBSIM_EXIT_* value */
    uint64_t failed_requests;
    uint32_t instances_max;
    uint32_t scaling_actions;
} lbsim_outcome;

/* Runs one loaded scenario, checks it and writes its output folder. Prints
 * the run header, a verdict line and, with details, what failed. Appends a
 * testsuite to junit when it is not NULL. Returns an LBSIM_EXIT_* value. */
int lbsim_run_one(const sim_scenario *scenario, const lbsim_options *options,
                  FILE *junit, lbsim_outcome *outcome);

/* Draws the plots of an output folder. Without gnuplot on PATH it returns
 * -ENOENT when gnuplot_required (the plot command), else 0 after a notice
 * (run and check with --plot). Returns 0, or a negative errno value after
 * printing why to stderr. */
int lbsim_plot(const char *out_dir, bool gnuplot_required);

/* Draws the runs in a_dir and b_dir side by side into out_prefix.png and
 * out_prefix.svg. Returns 0, or a negative errno value after printing why to
 * stderr (-ENOENT without gnuplot). */
int lbsim_plot_compare(const char *a_dir, const char *b_dir,
                       const char *out_prefix);

#endif
