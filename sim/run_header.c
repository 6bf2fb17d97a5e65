/* The header line every run prints first: the root seed, then what runs. */
#include "run_header.h"

#include <errno.h>
#include <inttypes.h>

#ifndef LBSIM_VERSION
#define LBSIM_VERSION "unknown"
#endif

int sim_print_run_header(FILE *out, uint64_t root_seed, const char *what)
{
    int rc = fprintf(out, "seed=%" PRIu64 " what=%s lbsim=%s\n", root_seed,
                     what != NULL ? what : "-", LBSIM_VERSION);

    if (rc < 0 || fflush(out) != 0) {
        return -EIO;
    }
    return 0;
}
