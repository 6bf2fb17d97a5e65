/* Duration distributions: each kind's mean, the lognormal's shape, and
 * empirical draws taken only from the file's values. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gsl/gsl_statistics_double.h>

#include "model_dist.h"
#include "model_latency.h"
#include "rng.h"

#define DRAWS 200000

static double draws[DRAWS];

static void draw_many(const model_dist *dist)
{
    model_sampler sampler;
    char err[256] = "";
    gsl_rng *rng = sim_rng_stream(3, "test.dist", 0);

    assert_non_null(rng);
    assert_int_equal(model_sampler_init(&sampler, dist, "d", err,
                                        sizeof(err)),
                     0);
    for (size_t i = 0; i < DRAWS; i++) {
        draws[i] = model_sampler_draw(&sampler, rng);
        assert_true(draws[i] >= 0);
    }
    model_sampler_deinit(&sampler);
    gsl_rng_free(rng);
}

static void dist_means(void **state)
{
    (void)state;
    draw_many(&(model_dist){.kind = MODEL_DIST_DETERMINISTIC,
                            .mean_us = 250});
    assert_float_equal(gsl_stats_mean(draws, 1, DRAWS), 250.0, 1e-9);
    assert_float_equal(gsl_stats_sd(draws, 1, DRAWS), 0.0, 1e-9);

    /* Exponential: sd equals the mean; the mean's sd is 1000/sqrt(n). */
    draw_many(&(model_dist){.kind = MODEL_DIST_EXPONENTIAL, .mean_us = 1000});
    assert_float_equal(gsl_stats_mean(draws, 1, DRAWS), 1000.0, 12.0);
    assert_float_equal(gsl_stats_sd(draws, 1, DRAWS), 1000.0, 20.0);

    /* Lognormal with mean 1000 and sigma 0.5: the sd is
     * mean * sqrt(exp(sigma^2) - 1), about 533. */
    draw_many(&(model_dist){.kind = MODEL_DIST_LOGNORMAL, .mean_us = 1000,
                            .sigma = 0.5});
    assert_float_equal(gsl_stats_mean(draws, 1, DRAWS), 1000.0, 8.0);
    assert_float_equal(gsl_stats_sd(draws, 1, DRAWS),
                       1000.0 * sqrt(exp(0.25) - 1.0), 15.0);
}

static void dist_empirical_values(void **state)
{
    const char *tmp = getenv("TMPDIR");
    char path[320];

    (void)state;
    snprintf(path, sizeof(path), "%s/lbsim-dist-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");

    int fd = mkstemp(path);
    const char *text = "value_us\n100\n200\n700\n";

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    draw_many(&(model_dist){.kind = MODEL_DIST_EMPIRICAL,
                            .empirical_path = path});
    unlink(path);

    size_t seen[3] = {0, 0, 0};

    for (size_t i = 0; i < DRAWS; i++) {
        if (draws[i] == 100)
            seen[0]++;
        else if (draws[i] == 200)
            seen[1]++;
        else if (draws[i] == 700)
            seen[2]++;
        else
            fail_msg("draw %g is not a value of the file", draws[i]);
    }
    for (size_t k = 0; k < 3; k++)
        assert_in_range(seen[k], DRAWS / 3 - 2000, DRAWS / 3 + 2000);
}

static void dist_rejects_bad_parameters(void **state)
{
    model_sampler sampler;
    char err[256] = "";

    (void)state;
    assert_int_equal(model_sampler_init(&sampler,
                                        &(model_dist){
                                            .kind = MODEL_DIST_EXPONENTIAL,
                                            .mean_us = -1},
                                        "provider.create_delay", err,
                                        sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "provider.create_delay: mean_us"));
    assert_int_equal(model_sampler_init(&sampler,
                                        &(model_dist){
                                            .kind = MODEL_DIST_LOGNORMAL,
                                            .mean_us = 10, .sigma = -1},
                                        "link_latency", err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "link_latency: sigma"));
    assert_int_equal(model_sampler_init(&sampler,
                                        &(model_dist){
                                            .kind = MODEL_DIST_EMPIRICAL},
                                        "service", err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "service: empirical"));
}

/* Percentiles from log bins are at most one bin width (here 1 %) high and
 * never low. */
static void latency_quantiles_bounded(void **state)
{
    model_latency_hist lh;

    (void)state;
    model_latency_init(&lh, 1.01);
    assert_true(model_latency_quantile(&lh, 0.5) == 0.0);
    for (int v = 1; v <= 10000; v++)
        model_latency_add(&lh, (double)v);
    model_latency_add(&lh, 0.25);
    model_latency_add(&lh, 1e12); /* beyond the last bin: kept there */
    assert_true(model_latency_count(&lh) == 10002.0);

    double p50 = model_latency_quantile(&lh, 0.5);
    double p99 = model_latency_quantile(&lh, 0.99);

    assert_true(p50 >= 5000.0);
    assert_true(p50 <= 5001.0 * 1.01);
    assert_true(p99 >= 9900.0);
    assert_true(p99 <= 9901.0 * 1.01);
    assert_true(model_latency_quantile(&lh, 1.0) >= MODEL_LATENCY_MAX_US);

    model_latency_reset(&lh);
    assert_true(model_latency_count(&lh) == 0.0);
    model_latency_deinit(&lh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dist_means),
        cmocka_unit_test(dist_empirical_values),
        cmocka_unit_test(dist_rejects_bad_parameters),
        cmocka_unit_test(latency_quantiles_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
