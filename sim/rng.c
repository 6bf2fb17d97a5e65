/* Random streams derived from one root seed.
 *
 * Derivation of stream (root, domain, index):
 *
 *   h    = FNV-1a 64 of the bytes of domain (no terminating zero)
 *   seed = mix(mix(mix(root) ^ h) ^ index)
 *
 * where mix is the splitmix64 step (add the golden-ratio increment, then the
 * splitmix64 finalizer). mix is a bijection of 64-bit words, so within one
 * (root, domain) two indices never share a seed; across domains or roots two
 * seeds coincide only by a 2^-64 chance. The seed depends on nothing else:
 * not on how many streams exist or in which order they were made, which is
 * why adding a stream changes no other.
 *
 * Generator: gsl_rng_taus2 (L'Ecuyer's maximally equidistributed combined
 * Tausworthe, period 2^88), whose state is three unsigned longs, so a million
 * streams take about 64 MB with GSL's allocations.
 *
 * GSL's own taus2 seeding (gsl_rng_set) passes the seed through a 32-bit LCG,
 * so it reaches only 2^32 distinct streams: among a million streams about a
 * hundred pairs would be identical (birthday bound). sim_rng_stream instead
 * fills the three 32-bit state words straight from a splitmix64 sequence
 * started at the derived seed, then discards six outputs as GSL's seeding
 * does. This relies on taus2's state layout { unsigned long s1, s2, s3 },
 * unchanged in GSL since 1996; the code checks the state size, and a unit
 * test checks the layout against the taus2 recurrence. */
#include "rng.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

/* taus2 needs s1 >= 2, s2 >= 8, s3 >= 16: smaller words leave a component
 * stuck at zero. */
#define TAUS_MIN_S1 2u
#define TAUS_MIN_S2 8u
#define TAUS_MIN_S3 16u
#define TAUS_WARMUP 6

typedef struct taus_state {
    unsigned long s1, s2, s3;
} taus_state;

static uint64_t splitmix64_next(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t mix(uint64_t x)
{
    return splitmix64_next(&x);
}

static uint64_t fnv1a64(const char *text)
{
    uint64_t h = FNV_OFFSET;

    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= FNV_PRIME;
    }
    return h;
}

uint64_t sim_rng_derive_seed(uint64_t root_seed, const char *domain,
                             uint64_t index)
{
    return mix(mix(mix(root_seed) ^ fnv1a64(domain)) ^ index);
}

/* Next 32-bit word from the splitmix64 sequence that is at least min. */
static unsigned long draw_word(uint64_t *x, unsigned min)
{
    uint64_t w;

    do {
        w = splitmix64_next(x) >> 32;
    } while (w < min);
    return (unsigned long)w;
}

gsl_rng *sim_rng_stream(uint64_t root_seed, const char *domain,
                        uint64_t index)
{
    uint64_t x = sim_rng_derive_seed(root_seed, domain, index);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    taus_state *state;

    if (rng == NULL) {
        return NULL;
    }
    if (gsl_rng_size(rng) != sizeof(taus_state)) {
        fprintf(stderr, "sim/rng.c: gsl_rng_taus2 state is %zu bytes, "
                "expected %zu: this GSL changed the layout sim_rng_stream "
                "relies on\n", gsl_rng_size(rng), sizeof(taus_state));
        abort();
    }
    state = gsl_rng_state(rng);
    state->s1 = draw_word(&x, TAUS_MIN_S1);
    state->s2 = draw_word(&x, TAUS_MIN_S2);
    state->s3 = draw_word(&x, TAUS_MIN_S3);
    for (int i = 0; i < TAUS_WARMUP; i++) {
        gsl_rng_get(rng);
    }
    return rng;
}
