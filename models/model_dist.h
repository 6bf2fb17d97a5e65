/* Sampling of the duration distributions of world.h (model_dist).
 *
 * A sampler is built once from a model_dist; an empirical one loads its CSV
 * (header "value_us", one non-negative number per row) at that time. Draws
 * come from the caller's GSL stream. */
#ifndef MODELS_MODEL_DIST_H
#define MODELS_MODEL_DIST_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "world.h"

typedef struct model_sampler {
    model_dist_kind kind;
    double mean_us;
    double sigma;
    double *values; /* empirical: the loaded samples */
    size_t value_count;
} model_sampler;

/* Builds a sampler. what names the config field in error messages. Returns 0,
 * or -EINVAL / -ENOENT / -ENOMEM with "<what>: <reason>" (or
 * "<file>:<line>: <reason>" for an empirical file) in err. */
int model_sampler_init(model_sampler *sampler, const model_dist *dist,
                       const char *what, char *err, size_t err_len);

void model_sampler_deinit(model_sampler *sampler);

/* Draws one duration in microseconds, never negative. A lognormal with mean
 * m and shape sigma has location ln(m) - sigma^2 / 2, so its mean is m. */
double model_sampler_draw(const model_sampler *sampler, gsl_rng *rng);

/* Draws and rounds to whole microseconds. */
int64_t model_sampler_draw_us(const model_sampler *sampler, gsl_rng *rng);

#endif
