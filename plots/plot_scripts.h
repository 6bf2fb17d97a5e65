/* The gnuplot scripts of plots/, compiled in as NUL-terminated text (the
 * build generates their definitions from the .gp files). common must run
 * before each of the others. */
#ifndef PLOT_SCRIPTS_H
#define PLOT_SCRIPTS_H

extern const char plot_script_common[];
extern const char plot_script_load[];
extern const char plot_script_latency[];
extern const char plot_script_instances[];
extern const char plot_script_placement[];
extern const char plot_script_compare[];

#endif
