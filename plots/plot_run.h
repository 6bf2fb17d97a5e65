/* Plots of an lbsim run folder, drawn by gnuplot run as an external program.
 *
 * The gnuplot scripts (the .gp files of plots/) are compiled into the
 * library, so the plots need only a gnuplot executable on PATH. Each plot
 * is written as PNG and SVG next to the run's CSV files. The placement plot also needs helper
 * files (plot_placement_*.csv) that plot_run_folder writes into the run
 * folder first; they depend only on the run's CSV files. */
#ifndef PLOT_RUN_H
#define PLOT_RUN_H

#include <errno.h>
#include <stdio.h>

/* Returned when no executable gnuplot is on PATH. Nothing else in this
 * module returns -ENOENT: a missing or invalid input file gives -EINVAL. */
#define PLOT_GNUPLOT_MISSING (-ENOENT)

/* Writes load, latency, instances and placement plots (.png and .svg) into
 * out_dir, from the CSV files and summary.json that lbsim wrote there.
 * Returns 0 on success, -EINVAL when an input file is missing or malformed,
 * and -EIO when gnuplot or a file write failed. Each of these errors is
 * described on err, naming the file.
 * Without gnuplot on PATH it returns PLOT_GNUPLOT_MISSING. The first such
 * call in a process (of this function or of plot_compare_folders) prints
 * a notice to err, saying that the plots were skipped and which Debian
 * package provides gnuplot. The caller should then treat the run as
 * successful and print nothing more about the plots. */
int plot_run_folder(const char *out_dir, FILE *err);

/* Writes out_prefix.png and out_prefix.svg: the runs in a_dir and b_dir side
 * by side (CPU per instance, latency, failed requests, instances), on the
 * same scales so that they can be compared, for example two policies on the
 * same seed. Returns the same codes as plot_run_folder. */
int plot_compare_folders(const char *a_dir, const char *b_dir,
                         const char *out_prefix, FILE *err);

#endif
