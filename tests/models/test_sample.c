/* Samples and invariants: the per-interval counts, CPU and latency given to
 * on_sample, and route_to_running and instances_within_bounds reported
 * once when they begin. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_test_util.h"

#define SAMPLES_MAX 64

typedef struct sample_log {
    size_t count;
    world_sample samples[SAMPLES_MAX];
    world_instance_sample first_instance[SAMPLES_MAX];
} sample_log;

static void on_sample(void *ctx, const world_sample *sample)
{
    sample_log *log = ctx;

    assert_true(log->count < SAMPLES_MAX);
    log->samples[log->count] = *sample;
    assert_true(sample->instance_count >= 1);
    log->first_instance[log->count] = sample->instances[0];
    log->count++;
}

static void samples_count_each_interval(void **state)
{
    test_config tc;
    test_recorder rec;
    sample_log *log = calloc(1, sizeof(*log));
    char err[512] = "";

    (void)state;
    assert_non_null(log);
    test_config_init(&tc);
    tc.config.instance_vcpus = 1;
    tc.components[0].workers = 4;
    tc.config.duration_us = SIM_S(5);
    tc.tenants[0].pattern = (world_pattern){
        .kind = WORLD_PATTERN_CONSTANT, .rate_per_s = 500};
    test_recorder_init(&rec);

    world_observer observer = {.ctx = log, .on_sample = on_sample};
    model_lb_sink sink = test_recorder_sink(&rec);
    model_sim *sim = model_sim_create(&tc.config, &observer, &sink, err,
                                      sizeof(err));

    assert_non_null(sim);
    assert_int_equal(model_sim_start(sim), 0);
    sim_engine_run_until(sim->engine, SIM_S(5));

    /* Samples at 1, 2, ... 5 s. */
    assert_int_equal(log->count, 5);
    for (size_t i = 0; i < log->count; i++) {
        const world_sample *s = &log->samples[i];

        assert_int_equal(s->at_us, SIM_S(i + 1));
        /* 500 requests per second, Poisson (sd 22). */
        assert_in_range(s->requests, 400, 600);
        assert_int_equal(s->errors, 0);
        /* 1 ms requests: the median is at least the service time. */
        assert_true(s->latency_p50_us >= 1000.0);
        assert_true(s->latency_p99_us >= s->latency_p95_us);
        assert_true(s->latency_p95_us >= s->latency_p50_us);
        assert_string_equal(log->first_instance[i].instance, "i1");
        assert_string_equal(log->first_instance[i].state, "active");
        /* Half of the single vCPU. */
        assert_in_range(log->first_instance[i].cpu_permille, 400, 600);
        assert_int_equal(log->first_instance[i].requests, s->requests);
    }
    model_sim_destroy(sim);
    test_recorder_deinit(&rec);
    free(log);
}

/* dev of i1 dies for a long time while i2 still runs dev: with no LB to
 * re-route, route_to_running is reported once, after the grace time. */
static void route_to_running_after_grace(void **state)
{
    static const char *const i2_tenants[] = {"t2"};
    test_config tc;
    test_recorder rec;

    (void)state;
    test_config_init(&tc);
    tc.instances[1] = (world_instance_config){
        .id = "i2", .components = 1, .tenant_count = 1,
        .tenants = i2_tenants};
    tc.config.instance_count = 2;
    tc.config.duration_us = SIM_S(30);
    tc.config.invariant_grace_us = SIM_S(3);
    tc.config.dfm.restart_delay_us = SIM_S(100);
    tc.tenants[0].pattern = (world_pattern){
        .kind = WORLD_PATTERN_CONSTANT, .rate_per_s = 10};
    tc.faults[0] = (world_fault){
        .kind = WORLD_FAULT_KILL_PROCESS, .at_us = SIM_MS(1500),
        .until_us = SIM_TIME_MAX, .probability = 1.0, .instance = "i1",
        .component = "dev"};
    tc.config.fault_count = 1;
    test_recorder_init(&rec);

    model_sim *sim = test_sim_create(&tc, &rec);

    assert_int_equal(model_sim_start(sim), 0);
    sim_engine_run_until(sim->engine, SIM_S(4));
    assert_int_equal(rec.violations, 0);
    sim_engine_run_until(sim->engine, SIM_S(30));

    const char *line[] = {"5000000 violation route_to_running ",
                          "tenant=t1", "component=dev", "instance=i1",
                          "since_us=2000000", NULL};

    assert_int_equal(rec.violations, 1);
    assert_int_equal(test_count_lines(&rec, line), 1);
    model_sim_destroy(sim);
    test_recorder_deinit(&rec);
}

static void route_to_running_needs_alternative(void **state)
{
    test_config tc;
    test_recorder rec;

    (void)state;
    test_config_init(&tc);
    tc.config.duration_us = SIM_S(30);
    tc.config.invariant_grace_us = SIM_S(3);
    tc.config.dfm.restart_delay_us = SIM_S(100);
    tc.tenants[0].pattern = (world_pattern){
        .kind = WORLD_PATTERN_CONSTANT, .rate_per_s = 10};
    tc.faults[0] = (world_fault){
        .kind = WORLD_FAULT_KILL_PROCESS, .at_us = SIM_MS(1500),
        .until_us = SIM_TIME_MAX, .probability = 1.0, .instance = "i1",
        .component = "dev"};
    tc.config.fault_count = 1;
    test_recorder_init(&rec);

    model_sim *sim = test_sim_create(&tc, &rec);

    /* No other instance runs dev, so no route could be better. */
    assert_int_equal(model_sim_start(sim), 0);
    sim_engine_run_until(sim->engine, SIM_S(30));
    assert_int_equal(rec.violations, 0);
    model_sim_destroy(sim);
    test_recorder_deinit(&rec);
}

static void instance_bounds_reported_once(void **state)
{
    test_config tc;
    test_recorder rec;

    (void)state;
    test_config_init(&tc);
    tc.config.duration_us = SIM_S(30);
    test_recorder_init(&rec);

    model_sim *sim = test_sim_create(&tc, &rec);

    sim->bounds_known = true;
    sim->instances_min = 2;
    sim->instances_max = 4;
    sim->invariant_grace_us = SIM_S(3);
    assert_int_equal(model_sim_start(sim), 0);

    /* Below the minimum for less than the grace time is not reported. */
    sim_engine_run_until(sim->engine, SIM_MS(3500));
    assert_int_equal(rec.violations, 0);

    sim_engine_run_until(sim->engine, SIM_S(10));

    const char *line[] = {"4000000 violation instances_within_bounds ",
                          "instances=1", "instances_min=2", NULL};

    assert_int_equal(rec.violations, 1);
    assert_int_equal(test_count_lines(&rec, line), 1);
    model_sim_destroy(sim);
    test_recorder_deinit(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(samples_count_each_interval),
        cmocka_unit_test(route_to_running_after_grace),
        cmocka_unit_test(route_to_running_needs_alternative),
        cmocka_unit_test(instance_bounds_reported_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
