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

#include <gsl/gsl_histogram.h>

#define MODEL_LATENCY_MAX_US 1e10

typedef struct model_latency_hist {
    gsl_histogram *hist;
    double *bins;     /* hist->bin, kept here to save a load per value */
    size_t bin_count; /* hist->n */
    double log_growth;
} model_latency_hist;

/* Allocates the bins for growth factor growth > 1. Dies when memory runs
 * out. */
void model_latency_init(model_latency_hist *lh, double growth);
void model_latency_deinit(model_latency_hist *lh);

void model_latency_add(model_latency_hist *lh, double latency_us);

/* Adds a value given as its natural logarithm (negative for values below
 * 1 us), so that one log serves several histograms. */
void model_latency_add_ln(model_latency_hist *lh, double ln_latency_us);

/* Returns the q-quantile (0 < q <= 1) of the values added, 0 when none. */
double model_latency_quantile(const model_latency_hist *lh, double q);

/* Number of values added. */
double model_latency_count(const model_latency_hist *lh);

void model_latency_reset(model_latency_hist *lh);

#endif
