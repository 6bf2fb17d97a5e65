/* Validation of the component model against queueing theory.
 *
 * One process with c workers on an instance with c vCPUs (so no CPU
 * sharing slows it down), Poisson arrivals and exponential service times
 * with mean 1 ms:
 * - unbounded queue (M/M/c): the mean waiting time in the queue must lie in
 *   the simulation's 99 % confidence interval, from batch means;
 * - a queue of 4 places (M/M/c/K with K = c + 4): the blocking probability
 *   likewise.
 * Batches are far longer than the waiting times' correlation (a few hundred
 * customers at load 0.95), so batch means are close to independent. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_statistics_double.h>

#include "model_test_util.h"

#define SERVICE_MEAN_US 1000.0
#define BATCHES 20
#define CONFIDENCE 0.99

typedef struct queue_case {
    uint32_t workers;
    double load; /* per worker: arrival rate / (workers * service rate) */
    uint32_t queue_capacity;
    double batch_customers;
} queue_case;

typedef struct batch_result {
    double wait_us[BATCHES];  /* mean wait in the queue, completed requests */
    double blocked[BATCHES];  /* share of arrivals rejected: queue full */
} batch_result;

/* Erlang C: mean wait in the queue of M/M/c, in microseconds. */
static double erlang_c_wait_us(uint32_t c, double load)
{
    double a = load * c; /* offered load in erlangs */
    double sum = 0;

    for (uint32_t k = 0; k < c; k++)
        sum += pow(a, k) / gsl_sf_fact(k);

    double top = pow(a, c) / gsl_sf_fact(c) / (1.0 - load);
    double wait_probability = top / (sum + top);

    return wait_probability * SERVICE_MEAN_US / (c * (1.0 - load));
}

/* M/M/c/K: probability that an arrival finds all K places taken. */
static double mmck_blocking(uint32_t c, uint32_t k_places, double load)
{
    double a = load * c;
    double weights[64];
    double total = 0;

    assert_true(k_places < 64);
    for (uint32_t n = 0; n <= k_places; n++) {
        weights[n] = n <= c ? pow(a, n) / gsl_sf_fact(n)
                            : pow(a, c) / gsl_sf_fact(c) * pow(load, n - c);
        total += weights[n];
    }
    return weights[k_places] / total;
}

static void run_batches(const queue_case *qc, batch_result *out)
{
    test_config tc;
    test_recorder rec;
    double rate_per_s = qc->load * qc->workers * 1e6 / SERVICE_MEAN_US;
    sim_time_t batch_us = (sim_time_t)(qc->batch_customers / rate_per_s * 1e6);
    sim_time_t warmup_us = batch_us;

    test_config_init(&tc);
    tc.config.seed = 7;
    tc.components[0].workers = qc->workers;
    tc.components[0].queue_capacity = qc->queue_capacity;
    tc.components[0].service = (model_dist){
        .kind = MODEL_DIST_EXPONENTIAL, .mean_us = SERVICE_MEAN_US};
    tc.config.component_count = 1;
    tc.instances[0].components = 1;
    tc.config.instance_vcpus = qc->workers;
    tc.config.dfm.overload_permille = 0;
    tc.config.sample_interval_us = SIM_S(10);
    tc.config.duration_us = warmup_us + BATCHES * batch_us + 1;
    tc.tenants[0].pattern = (world_pattern){.kind = WORLD_PATTERN_CONSTANT,
                                            .rate_per_s = rate_per_s};

    test_recorder_init(&rec);
    model_sim *sim = test_sim_create(&tc, &rec);
    const model_tenant *t = &sim->tenants[0];

    assert_int_equal(model_sim_start(sim), 0);
    sim_engine_run_until(sim->engine, warmup_us);
    for (size_t b = 0; b < BATCHES; b++) {
        uint64_t completed = t->completed;
        double wait = t->wait_us_sum;
        uint64_t arrivals = t->requests;
        uint64_t blocked = t->failed[MODEL_FAIL_QUEUE_FULL];

        sim_engine_run_until(sim->engine, warmup_us + (b + 1) * batch_us);
        assert_true(t->completed > completed);
        out->wait_us[b] = (t->wait_us_sum - wait) /
                          (double)(t->completed - completed);
        out->blocked[b] = (double)(t->failed[MODEL_FAIL_QUEUE_FULL] -
                                   blocked) /
                          (double)(t->requests - arrivals);
    }
    model_sim_destroy(sim);
    test_recorder_deinit(&rec);
}

/* Checks that expected lies in the 99 % confidence interval of the batch
 * means, and that the interval is narrow enough to mean something. */
static void check_interval(const char *what, const queue_case *qc,
                           const double *batches, double expected,
                           double width_max)
{
    double mean = gsl_stats_mean(batches, 1, BATCHES);
    double sd = gsl_stats_sd(batches, 1, BATCHES);
    double t = gsl_cdf_tdist_Pinv(1.0 - (1.0 - CONFIDENCE) / 2, BATCHES - 1);
    double half = t * sd / sqrt(BATCHES);

    print_message("%s c=%u load=%.2f: expected %.6g, simulated %.6g +- %.3g\n",
                  what, qc->workers, qc->load, expected, mean, half);
    assert_true(half > 0);
    if (!(fabs(mean - expected) <= half))
        fail_msg("%s c=%u load=%.2f: %.6g is outside [%.6g, %.6g]", what,
                 qc->workers, qc->load, expected, mean - half, mean + half);
    if (!(half <= width_max))
        fail_msg("%s c=%u load=%.2f: interval +-%.3g is wider than %.3g",
                 what, qc->workers, qc->load, half, width_max);
}

static const queue_case erlang_cases[] = {
    {1, 0.50, 10000000, 40000},  {1, 0.80, 10000000, 100000},
    {1, 0.95, 10000000, 400000}, {4, 0.50, 10000000, 40000},
    {4, 0.80, 10000000, 100000}, {4, 0.95, 10000000, 400000},
};

static void erlang_c_wait_in_interval(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(erlang_cases) / sizeof(erlang_cases[0]);
         i++) {
        const queue_case *qc = &erlang_cases[i];
        batch_result result;
        double expected = erlang_c_wait_us(qc->workers, qc->load);

        run_batches(qc, &result);
        /* The interval must be within 15 % of the value it checks (or
         * 20 us when the wait itself is tiny). */
        check_interval("M/M/c wait_us", qc, result.wait_us, expected,
                       fmax(0.15 * expected, 20.0));
        for (size_t b = 0; b < BATCHES; b++)
            assert_true(result.blocked[b] == 0.0);
    }
}

static const queue_case blocking_cases[] = {
    {1, 0.50, 4, 50000}, {1, 0.80, 4, 50000}, {1, 0.95, 4, 50000},
    {4, 0.50, 4, 50000}, {4, 0.80, 4, 50000}, {4, 0.95, 4, 50000},
};

static void mmck_blocking_in_interval(void **state)
{
    (void)state;
    for (size_t i = 0;
         i < sizeof(blocking_cases) / sizeof(blocking_cases[0]); i++) {
        const queue_case *qc = &blocking_cases[i];
        batch_result result;
        double expected = mmck_blocking(qc->workers,
                                        qc->workers + qc->queue_capacity,
                                        qc->load);

        run_batches(qc, &result);
        check_interval("M/M/c/K blocking", qc, result.blocked, expected,
                       fmax(0.15 * expected, 0.0005));
    }
}

/* The formulas themselves, against values worked out by hand. */
static void formulas_match_known_values(void **state)
{
    (void)state;
    /* M/M/1: Wq = rho / (mu - lambda) = 0.5 / (1000 - 500) s = 1 ms. */
    assert_float_equal(erlang_c_wait_us(1, 0.5), 1000.0, 1e-9);
    /* M/M/1/K: p_K = (1 - rho) rho^K / (1 - rho^(K+1)). */
    assert_float_equal(mmck_blocking(1, 5, 0.5),
                       0.5 * pow(0.5, 5) / (1 - pow(0.5, 6)), 1e-12);
    /* M/M/2 at a = 1: P(wait) = 1/3, Wq = P(wait) / (2 mu - lambda). */
    assert_float_equal(erlang_c_wait_us(2, 0.5), 1000.0 / 3.0, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formulas_match_known_values),
        cmocka_unit_test(erlang_c_wait_in_interval),
        cmocka_unit_test(mmck_blocking_in_interval),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
