/* The few values the plots take from a run's summary.json. */
#ifndef PLOT_SUMMARY_H
#define PLOT_SUMMARY_H

#include <stdio.h>

/* Reads the policy parameter overload_cpu_permille from run_dir's
 * summary.json, wherever it appears in the file, and returns it as a
 * percentage in *percent. *percent is NaN when the file or the key is
 * missing, since the threshold line is optional. Returns 0, or -EINVAL
 * after a message on err when the key's value is not a number. */
int plot_summary_overload_percent(const char *run_dir, double *percent,
                                  FILE *err);

#endif
