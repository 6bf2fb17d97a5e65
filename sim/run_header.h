/* The header line every run prints first.
 *
 * The root seed comes first so that any output, log or failure report can be
 * replayed: "seed=<root> what=<what> lbsim=<version>". */
#ifndef SIM_RUN_HEADER_H
#define SIM_RUN_HEADER_H

#include <stdint.h>
#include <stdio.h>

/* Prints one line "seed=<root_seed> what=<what> lbsim=<version>" to out.
 * what names the run (a program or a scenario) and may be NULL. Returns 0, or
 * -EIO when writing fails. */
int sim_print_run_header(FILE *out, uint64_t root_seed, const char *what);

#endif
