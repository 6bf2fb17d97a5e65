/* Latency histograms with logarithmic bins. */
#include "model_latency.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"

void model_latency_init(model_latency_hist *lh, double growth)
{
    MODEL_ASSERT(growth > 1.0);

    size_t bins = (size_t)ceil(log(MODEL_LATENCY_MAX_US) / log(growth)) + 1;
    double *ranges = malloc((bins + 1) * sizeof(*ranges));

    lh->hist = gsl_histogram_alloc(bins);
    MODEL_ASSERT(lh->hist != NULL && ranges != NULL); /* out of memory */
    ranges[0] = 0.0;
    for (size_t i = 1; i <= bins; i++)
        ranges[i] = pow(growth, (double)(i - 1));
    gsl_histogram_set_ranges(lh->hist, ranges, bins + 1);
    free(ranges);
    lh->counts = calloc(bins, sizeof(*lh->counts));
    MODEL_ASSERT(lh->counts != NULL); /* out of memory */
    lh->bin_count = lh->hist->n;
    lh->log_growth = log(growth);
    lh->inv_log_growth = 1.0 / lh->log_growth;
}

void model_latency_deinit(model_latency_hist *lh)
{
    if (lh->hist != NULL)
        gsl_histogram_free(lh->hist);
    free(lh->counts);
    lh->hist = NULL;
    lh->counts = NULL;
    lh->bin_count = 0;
}

void model_latency_bin_table(const model_latency_hist *lh,
                             uint16_t *bin_of_us, size_t len)
{
    MODEL_ASSERT(lh->bin_count <= UINT16_MAX);
    for (size_t v = 0; v < len; v++) {
        double value = (double)v;

        bin_of_us[v] = (uint16_t)model_latency_bin_ln(
            lh, value >= 1.0 ? log(value) : -1.0);
    }
}

void model_latency_add(model_latency_hist *lh, double latency_us)
{
    model_latency_add_ln(lh, latency_us >= 1.0 ? log(latency_us) : -1.0);
}

/* Moves the pending counts into the histogram's bins. */
static void latency_flush(model_latency_hist *lh)
{
    for (size_t i = 0; i < lh->bin_count; i++) {
        lh->hist->bin[i] += (double)lh->counts[i];
        lh->counts[i] = 0;
    }
}

double model_latency_quantile(model_latency_hist *lh, double q)
{
    latency_flush(lh);

    double total = gsl_histogram_sum(lh->hist);
    double seen = 0;

    if (total <= 0)
        return 0.0;
    for (size_t i = 0; i < lh->hist->n; i++) {
        seen += lh->hist->bin[i];
        if (seen >= q * total)
            return lh->hist->range[i + 1];
    }
    return lh->hist->range[lh->hist->n];
}

double model_latency_count(model_latency_hist *lh)
{
    latency_flush(lh);
    return gsl_histogram_sum(lh->hist);
}

void model_latency_reset(model_latency_hist *lh)
{
    memset(lh->counts, 0, lh->bin_count * sizeof(*lh->counts));
    gsl_histogram_reset(lh->hist);
}
