/* Helper files for the placement plot, computed from a run folder.
 *
 * placement.csv lists the whole routing table each time one was applied.
 * From it, and from tenants.csv for the ranking, this module writes into
 * the run folder:
 *   plot_placement_info.csv      components, instances (space-separated),
 *                                top_tenants, other_tenants, tables,
 *                                segments, end_s
 *   plot_placement_rows.csv      row,tenant,label of the tenants drawn one
 *                                per row, the heaviest by requests on top
 *   plot_placement_segments.csv  start_s,end_s,y_low,y_high,instance: one
 *                                box per route of a drawn tenant while it
 *                                pointed at one instance (1-based number)
 *   plot_placement_other.csv     time_s,instance,tenants: how many of the
 *                                other tenants each instance serves
 * Instances are numbered in order of first appearance in instances.csv,
 * then in placement.csv: the load plot colours them in the same order. */
#ifndef PLOT_PLACEMENT_H
#define PLOT_PLACEMENT_H

#include <stddef.h>
#include <stdio.h>

/* Writes the helper files into run_dir. top_count is how many of the
 * heaviest tenants get a row of their own. When only one tenant would be
 * left over, it gets a row too. Returns 0, -EINVAL for a missing or invalid
 * input file, -EIO when a helper file cannot be written, or -ENOMEM; each
 * with a message on err. */
int plot_placement_prepare(const char *run_dir, size_t top_count, FILE *err);

#endif
