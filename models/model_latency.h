/* Latency histograms with logarithmic bins, for percentiles in constant
 * memory and constant time per request.
 *
 * Bin 0 is [0, 1) us; bin k >= 1 is [g^(k-1), g^k) for a growth factor g,
 * up to MODEL_LATENCY_MAX_US (larger values land in the last bin). A
 * percentile is read as the upper edge of its bin, so it is at most a factor
 * g above the exact value. The bins are a gsl_histogram. A value goes to
 * its bin by a computed index rather than by gsl_histogram_increment,
 * because that function's search over the ranges took a fifth of the run
 * time in a profile of a 1,000-tenant replay. */
#ifndef MODELS_MODEL_LATENCY_H
#define MODELS_MODEL_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_histogram.h>

#define MODEL_LATENCY_MAX_US 1e10

/* Values are counted in 32-bit counters, half the cache footprint of the
 * histogram's doubles, and moved into the histogram when it is read or
 * when a counter would overflow, so every count stays exact. */
typedef struct model_latency_hist {
    gsl_histogram *hist;
    uint32_t *counts; /* not yet in hist->bin */
    size_t bin_count; /* hist->n */
    double log_growth;
    double inv_log_growth; /* 1 / log_growth */
} model_latency_hist;

/* Allocates the bins for growth factor growth > 1. Dies when memory runs
 * out. */
void model_latency_init(model_latency_hist *lh, double growth);
void model_latency_deinit(model_latency_hist *lh);

void model_latency_add(model_latency_hist *lh, double latency_us);

/* Returns the bin of a value given as its natural logarithm (negative for
 * values below 1 us). */
static inline size_t model_latency_bin_ln(const model_latency_hist *lh,
                                          double ln_latency_us)
{
    size_t index = 0;

    /* A product costs less than a quotient, and differs from it by a few
     * units in the last place. That moves the bin only where the quotient
     * is that close to an integer, so there the quotient decides, and
     * every value lands in the bin the quotient gives. */
    if (ln_latency_us >= 0.0) {
        double q = ln_latency_us * lh->inv_log_growth;
        size_t whole = (size_t)q;
        double fraction = q - (double)whole;

        if (fraction < 1e-9 || fraction > 1.0 - 1e-9)
            whole = (size_t)(ln_latency_us / lh->log_growth);
        index = 1 + whole;
    }
    return index < lh->bin_count ? index : lh->bin_count - 1;
}

/* Adds a value given as its natural logarithm (negative for values below
 * 1 us), so that one log serves several histograms. Inline: it runs once
 * or twice per request. */
/* Adds a value to a bin found beforehand (see model_latency_bin_table). */
static inline void model_latency_add_bin(model_latency_hist *lh, size_t bin)
{
    if (++lh->counts[bin] == UINT32_MAX) {
        lh->hist->bin[bin] += (double)UINT32_MAX;
        lh->counts[bin] = 0;
    }
}

static inline void model_latency_add_ln(model_latency_hist *lh,
                                        double ln_latency_us)
{
    model_latency_add_bin(lh, model_latency_bin_ln(lh, ln_latency_us));
}

/* Fills bin_of_us[v], for each whole value v below len microseconds, with
 * the bin that model_latency_add gives v: a lookup then replaces the
 * logarithm. Bins must fit in 16 bits. */
void model_latency_bin_table(const model_latency_hist *lh,
                             uint16_t *bin_of_us, size_t len);

/* Returns the q-quantile (0 < q <= 1) of the values added, 0 when none. */
double model_latency_quantile(model_latency_hist *lh, double q);

/* Number of values added. */
double model_latency_count(model_latency_hist *lh);

void model_latency_reset(model_latency_hist *lh);

#endif
