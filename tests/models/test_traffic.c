/* Traffic: synthetic patterns against the integral of their rate, the
 * request mix and cost factor, trace replay with exact bucket counts, time
 * and rate scaling, clones with independent arrivals, and traffic that does
 * not depend on routing (common random numbers). */
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

#include "model_test_util.h"

#define PI 3.141592653589793

typedef struct fixture {
    test_config tc;
    test_recorder rec;
    model_sim *sim;
    lb_ports ports;
    world_trace_config trace;
    char trace_path[320];
} fixture;

static void setup(fixture *f)
{
    test_config_init(&f->tc);
    f->tc.config.duration_us = SIM_S(1000);
    f->tc.config.instance_vcpus = 64;
    f->tc.components[0].workers = 64;
    f->tc.components[1].workers = 64;
    f->tc.components[0].queue_capacity = 100000;
}

static void start(fixture *f)
{
    test_recorder_init(&f->rec);
    f->sim = test_sim_create(&f->tc, &f->rec);
    model_ports_fill(f->sim, &f->ports);
    assert_int_equal(model_sim_start(f->sim), 0);
}

static void finish(fixture *f)
{
    model_sim_destroy(f->sim);
    test_recorder_deinit(&f->rec);
    if (f->trace_path[0] != '\0')
        unlink(f->trace_path);
}

static void run_to(fixture *f, sim_time_t at_us)
{
    sim_engine_run_until(f->sim->engine, at_us);
}

static uint64_t requests_of(const fixture *f, const char *tenant)
{
    uint32_t t = model_tenant_find(f->sim, tenant);

    assert_true(t != MODEL_NONE);
    return f->sim->tenants[t].requests;
}

/* Checks a Poisson count against its mean: within 4 standard deviations. */
static void assert_poisson(uint64_t count, double mean)
{
    double sd = sqrt(mean);

    if (fabs((double)count - mean) > 4 * sd)
        fail_msg("count %llu is more than 4 sd from the mean %.1f",
                 (unsigned long long)count, mean);
}

static void pattern_case(const world_pattern *pattern, sim_time_t to_us,
                         double mean)
{
    fixture f;

    setup(&f);
    f.tc.tenants[0].pattern = *pattern;
    start(&f);
    run_to(&f, to_us);
    assert_poisson(requests_of(&f, "t1"), mean);
    finish(&f);
}

static void traffic_patterns_match_rate(void **state)
{
    (void)state;
    pattern_case(&(world_pattern){.kind = WORLD_PATTERN_CONSTANT,
                                  .rate_per_s = 200},
                 SIM_S(50), 10000);
    pattern_case(&(world_pattern){.kind = WORLD_PATTERN_STEP,
                                  .rate_per_s = 100, .rate2_per_s = 300,
                                  .start_us = SIM_S(20)},
                 SIM_S(20), 2000);
    pattern_case(&(world_pattern){.kind = WORLD_PATTERN_STEP,
                                  .rate_per_s = 100, .rate2_per_s = 300,
                                  .start_us = SIM_S(20)},
                 SIM_S(40), 8000);
    pattern_case(&(world_pattern){.kind = WORLD_PATTERN_RAMP,
                                  .rate_per_s = 0, .rate2_per_s = 400,
                                  .start_us = 0, .end_us = SIM_S(40)},
                 SIM_S(40), 8000);
    pattern_case(&(world_pattern){.kind = WORLD_PATTERN_SPIKE,
                                  .rate_per_s = 50, .rate2_per_s = 500,
                                  .start_us = SIM_S(10), .end_us = SIM_S(20)},
                 SIM_S(30), 6000);
    /* Half a period of a sine around 100/s with amplitude 80. */
    pattern_case(&(world_pattern){.kind = WORLD_PATTERN_DIURNAL,
                                  .rate_per_s = 100, .rate2_per_s = 80,
                                  .period_us = SIM_S(20)},
                 SIM_S(10), 1000 + 80 * 20 / PI);
}

static void traffic_mix_and_cost(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    f.tc.tenants[0].pattern = (world_pattern){
        .kind = WORLD_PATTERN_CONSTANT, .rate_per_s = 500};
    f.tc.tenants[0].mix[0] = 0.7;
    f.tc.tenants[0].mix[1] = 0.3;
    f.tc.tenants[0].cost_factor = 2.0;
    start(&f);
    run_to(&f, SIM_S(20));

    const model_tenant *t = &f.sim->tenants[0];
    uint64_t dev = 0;
    uint64_t dep = 0;

    for (size_t i = 0; i < t->cell_count; i++) {
        if (t->cells[i].component == 0)
            dev += t->cells[i].requests;
        else
            dep += t->cells[i].requests;
    }

    double share = (double)dev / (double)(dev + dep);

    assert_true(fabs(share - 0.7) < 0.02);

    /* Each request costs 2 x 1 ms of CPU. */
    const model_instance *inst = &f.sim->instances[0];
    double cpu = inst->procs[0].cpu_us + inst->procs[1].cpu_us;

    assert_true(fabs(cpu / (double)(dev + dep) - 2000.0) < 50.0);
    finish(&f);
}

static void write_trace(fixture *f, const char *text)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(f->trace_path, sizeof(f->trace_path), "%s/lbsim-traffic-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");

    int fd = mkstemp(f->trace_path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    f->trace = (world_trace_config){.path = f->trace_path, .time_scale = 1,
                                    .rate_scale = 1, .clones = 1};
    f->tc.config.trace = &f->trace;
    f->tc.config.tenant_count = 0;
    f->tc.instances[0].tenant_count = 0;
}

static const char *const small_trace = "time_s,tenant,requests\n"
                                       "0,a,120\n"
                                       "0,b,30\n"
                                       "60,a,60\n"
                                       "180,b,10\n";

static void trace_replays_bucket_counts(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    write_trace(&f, small_trace);
    start(&f);
    assert_true(f.sim->trace_bucket_s == 60.0);

    run_to(&f, SIM_S(30));
    uint64_t half = requests_of(&f, "a");

    /* Spread over the bucket: about half by its middle (sd 5.5). */
    assert_in_range(half, 35, 85);
    run_to(&f, SIM_S(60) - 1);
    assert_int_equal(requests_of(&f, "a"), 120);
    assert_int_equal(requests_of(&f, "b"), 30);
    run_to(&f, SIM_S(120));
    assert_int_equal(requests_of(&f, "a"), 180);
    assert_int_equal(requests_of(&f, "b"), 30);
    run_to(&f, SIM_S(240));
    assert_int_equal(requests_of(&f, "b"), 40);
    assert_int_equal(f.sim->trace_error, 0);
    finish(&f);
}

static void trace_time_and_rate_scale(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    write_trace(&f, small_trace);
    f.trace.time_scale = 2.0;
    f.trace.rate_scale = 2.5;
    start(&f);
    run_to(&f, SIM_S(100));
    assert_true(requests_of(&f, "a") < 300);
    run_to(&f, SIM_S(120) - 1);
    assert_int_equal(requests_of(&f, "a"), 300);
    assert_in_range(requests_of(&f, "b"), 75, 75);
    run_to(&f, SIM_S(240) - 1);
    assert_int_equal(requests_of(&f, "a"), 450);
    finish(&f);
}

static void trace_clones_are_independent(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    write_trace(&f, small_trace);
    f.trace.clones = 3;
    start(&f);
    assert_true(model_tenant_find(f.sim, "a-c1") != MODEL_NONE);
    assert_true(model_tenant_find(f.sim, "b-c2") != MODEL_NONE);
    assert_true(model_tenant_find(f.sim, "a-c3") == MODEL_NONE);
    run_to(&f, SIM_S(20));

    uint64_t a0 = requests_of(&f, "a");
    uint64_t a1 = requests_of(&f, "a-c1");
    uint64_t a2 = requests_of(&f, "a-c2");

    assert_false(a0 == a1 && a1 == a2);
    run_to(&f, SIM_S(60) - 1);
    assert_int_equal(requests_of(&f, "a-c1"), 120);
    assert_int_equal(requests_of(&f, "a-c2"), 120);
    assert_int_equal(requests_of(&f, "b-c2"), 30);
    finish(&f);
}

/* The same tenants on different routes see the same requests. */
static void traffic_independent_of_routing(void **state)
{
    static const char *const i2_tenants[] = {"t2"};
    uint64_t counts[2][2];

    (void)state;
    for (int run = 0; run < 2; run++) {
        fixture f;

        setup(&f);
        f.tc.instances[1] = (world_instance_config){
            .id = "i2", .components = 3, .tenant_count = 1,
            .tenants = i2_tenants};
        f.tc.config.instance_count = 2;
        f.tc.tenants[0].pattern = (world_pattern){
            .kind = WORLD_PATTERN_CONSTANT, .rate_per_s = 300};
        f.tc.tenants[0].mix[1] = 0.5;
        f.tc.tenants[1] = (world_tenant_config){
            .id = "t2", .mix = {1.0}, .cost_factor = 1.0,
            .pattern = {.kind = WORLD_PATTERN_DIURNAL, .rate_per_s = 80,
                        .rate2_per_s = 40, .period_us = SIM_S(30)}};
        f.tc.config.tenant_count = 2;
        start(&f);
        if (run == 1) {
            lb_route_instance instances[] = {{"i2", "i2"}};
            lb_route routes[] = {{"t1", 0, 0}, {"t1", 1, 0}, {"t2", 0, 0}};
            lb_routes table = {.version = 1, .instance_count = 1,
                               .instances = instances, .route_count = 3,
                               .routes = routes, .default_instance = 0};

            f.ports.nginx.routes_apply(f.ports.nginx.ctx, &table);
        }
        run_to(&f, SIM_S(30));
        counts[run][0] = requests_of(&f, "t1");
        counts[run][1] = requests_of(&f, "t2");
        finish(&f);
    }
    assert_int_equal(counts[0][0], counts[1][0]);
    assert_int_equal(counts[0][1], counts[1][1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(traffic_patterns_match_rate),
        cmocka_unit_test(traffic_mix_and_cost),
        cmocka_unit_test(trace_replays_bucket_counts),
        cmocka_unit_test(trace_time_and_rate_scale),
        cmocka_unit_test(trace_clones_are_independent),
        cmocka_unit_test(traffic_independent_of_routing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
