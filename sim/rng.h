/* Random streams derived from one root seed.
 *
 * Each stream is a GSL generator seeded from (root seed, domain, index), so
 * adding a stream changes no other stream and two runs with the same root
 * seed draw the same numbers. Callers draw with GSL's own functions
 * (gsl_rng_uniform, gsl_ran_exponential, ...). */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* Derives the 64-bit seed of stream (domain, index) from root_seed. domain is
 * a stable name such as "tenant.arrivals"; index tells apart the entities of
 * one domain. The result depends on nothing else. */
uint64_t sim_rng_derive_seed(uint64_t root_seed, const char *domain,
                             uint64_t index);

/* Allocates the generator of stream (domain, index). Returns NULL when memory
 * runs out. Release it with gsl_rng_free. The generator is gsl_rng_taus2
 * (period 2^88, 24 bytes of state, about 64 bytes per stream with GSL's
 * allocations), so a million streams fit in memory; rng.c documents how its
 * state is seeded. */
gsl_rng *sim_rng_stream(uint64_t root_seed, const char *domain,
                        uint64_t index);

#endif
