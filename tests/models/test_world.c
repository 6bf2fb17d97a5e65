/* The world end to end with the real controller: one instance, constant
 * traffic, the controller's conversation in the message trace, the same
 * seed giving the same trace byte for byte, the config checks and the
 * totals by failure reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_test_util.h"
#include "policy.h"
#include "world.h"
#include "world_internal.h"

typedef struct run_result {
    test_recorder rec;
    world_tenant_totals totals;
    uint64_t events;
} run_result;

static void run_world(test_config *tc, run_result *out)
{
    char err[512] = "";
    world_observer observer;

    test_recorder_init(&out->rec);
    observer = test_recorder_observer(&out->rec);

    world *w = world_create(&tc->config, &observer, err, sizeof(err));

    if (w == NULL)
        fail_msg("world_create: %s", err);
    assert_int_equal(world_run(w, err, sizeof(err)), 0);
    assert_int_equal(world_tenant_count(w), 1);
    world_tenant_totals_at(w, 0, &out->totals);
    out->events = world_events_run(w);
    world_destroy(w);
}

static void constant_setup(test_config *tc, lb_policy *policy)
{
    test_config_init(tc);
    lb_policy_defaults(policy);
    tc->config.policy = policy;
    tc->config.duration_us = SIM_S(20);
    tc->tenants[0].pattern = (world_pattern){
        .kind = WORLD_PATTERN_CONSTANT, .rate_per_s = 100};
}

static void world_constant_traffic(void **state)
{
    test_config tc;
    lb_policy policy;
    run_result run;

    (void)state;
    constant_setup(&tc, &policy);
    run_world(&tc, &run);

    /* 100 req/s for 20 s: 2000 expected, Poisson sd about 45. */
    assert_in_range(run.totals.requests, 1800, 2200);
    assert_int_equal(run.totals.failed, 0);
    assert_true(run.totals.latency_mean_us >= 1000.0);
    assert_true(run.totals.latency_mean_us < 2000.0);
    assert_true(run.events > run.totals.requests);
    assert_true(run.rec.samples >= 19);
    assert_int_equal(run.rec.violations, 0);

    /* The controller's first table reaches NGINX and is confirmed. */
    const char *apply[] = {" lb nginx routes_apply ", "t1/dev:i1", NULL};
    const char *applied[] = {" nginx lb routes_applied ", NULL};

    assert_true(test_count_lines(&run.rec, apply) >= 1);
    assert_true(test_count_lines(&run.rec, applied) >= 1);
    test_recorder_deinit(&run.rec);
}

static void world_same_seed_same_trace(void **state)
{
    test_config tc;
    lb_policy policy;
    run_result a;
    run_result b;

    (void)state;
    constant_setup(&tc, &policy);
    tc.tenants[0].pattern.rate_per_s = 900; /* close to overload */
    tc.config.dfm.window_us = SIM_S(2);
    run_world(&tc, &a);
    run_world(&tc, &b);

    assert_true(a.rec.trace_len > 0);
    assert_int_equal(a.rec.trace_len, b.rec.trace_len);
    assert_memory_equal(a.rec.trace, b.rec.trace, a.rec.trace_len);
    assert_int_equal(a.totals.requests, b.totals.requests);
    assert_int_equal(a.events, b.events);

    tc.config.seed = 43;
    test_recorder_deinit(&b.rec);
    run_world(&tc, &b);
    assert_true(a.totals.requests != b.totals.requests);
    test_recorder_deinit(&a.rec);
    test_recorder_deinit(&b.rec);
}

static void world_totals_by_reason(void **state)
{
    test_config tc;
    lb_policy policy;
    run_result run;

    (void)state;
    constant_setup(&tc, &policy);
    tc.config.dfm.restart_delay_us = SIM_S(2);
    tc.faults[0] = (world_fault){
        .kind = WORLD_FAULT_KILL_PROCESS, .at_us = SIM_S(5),
        .until_us = SIM_TIME_MAX, .probability = 1.0, .instance = "i1",
        .component = "dev"};
    tc.config.fault_count = 1;
    run_world(&tc, &run);

    /* dev is down for 2 s at 100 req/s, with no other instance to go to. */
    assert_in_range(run.totals.failed_process_down, 150, 250);
    assert_int_equal(run.totals.failed_process_stopped, 0);
    assert_int_equal(run.totals.failed_queue_full, 0);
    assert_int_equal(run.totals.failed_timeout, 0);
    assert_int_equal(run.totals.failed_killed, 0);
    assert_int_equal(run.totals.failed_no_route, 0);
    assert_int_equal(run.totals.failed, run.totals.failed_process_down);
    assert_true(run.totals.latency_p99_us >= 1000.0);

    const char *down[] = {" dfm/i1 lb component_down ", "component=dev",
                          NULL};
    const char *up[] = {" dfm/i1 lb component_up ", "component=dev", NULL};

    assert_int_equal(test_count_lines(&run.rec, down), 1);
    assert_int_equal(test_count_lines(&run.rec, up), 1);
    test_recorder_deinit(&run.rec);
}

static void world_rejects_bad_config(void **state)
{
    test_config tc;
    char err[512] = "";

    (void)state;
    test_config_init(&tc);
    tc.components[0].workers = 0;

    world *w = world_create(&tc.config, NULL, err, sizeof(err));

    assert_null(w);
    assert_non_null(strstr(err, "components[0]"));
    assert_non_null(strstr(err, "workers"));
}

/* Builds a world from tc and returns whether it was accepted; err gets
 * the message. */
static bool world_accepts(test_config *tc, char *err, size_t err_len)
{
    err[0] = '\0';

    world *w = world_create(&tc->config, NULL, err, err_len);

    world_destroy(w);
    return w != NULL;
}

static void world_rejects_zero_nginx_times(void **state)
{
    test_config tc;
    char err[512];

    (void)state;
    test_config_init(&tc);
    tc.config.nginx.request_timeout_us = 0;
    assert_false(world_accepts(&tc, err, sizeof(err)));
    assert_non_null(strstr(err, "nginx.request_timeout_us must be > 0"));

    test_config_init(&tc);
    tc.config.nginx.drop_window_us = 0;
    assert_false(world_accepts(&tc, err, sizeof(err)));
    assert_non_null(strstr(err, "nginx.drop_window_us must be > 0"));
}

static void world_limits_dfm_sample_interval(void **state)
{
    static const sim_time_t rejected_us[] = {0, 1, 999};
    test_config tc;
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(rejected_us) / sizeof(rejected_us[0]);
         i++) {
        test_config_init(&tc);
        tc.config.dfm.sample_interval_us = rejected_us[i];
        assert_false(world_accepts(&tc, err, sizeof(err)));
        assert_non_null(strstr(err, "dfm.sample_interval_us"));
    }
    test_config_init(&tc);
    tc.config.dfm.sample_interval_us = SIM_MS(1);
    assert_true(world_accepts(&tc, err, sizeof(err)));
}

static void world_provider_instance_names(void **state)
{
    static const char *const future[] = {"vm-1", "vm-9", "vm-10",
                                         "vm-4294967295"};
    static const char *const not_future[] = {
        "vm-", "vm-0", "vm-01", "vm-x", "vm-1x", "vm--1", "vm-4294967296",
        "i1", "VM-1", ""};

    (void)state;
    for (size_t i = 0; i < sizeof(future) / sizeof(future[0]); i++)
        assert_true(world_instance_name_is_future(future[i]));
    for (size_t i = 0; i < sizeof(not_future) / sizeof(not_future[0]); i++)
        assert_false(world_instance_name_is_future(not_future[i]));
    assert_false(world_instance_name_is_future(NULL));
}

static void world_fault_instance_names(void **state)
{
    static const char *const accepted[] = {"i1", "vm-3"};
    test_config tc;
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
        test_config_init(&tc);
        tc.faults[0] = (world_fault){
            .kind = WORLD_FAULT_CRASH_INSTANCE, .at_us = SIM_S(1),
            .probability = 1.0, .instance = accepted[i]};
        tc.config.fault_count = 1;
        assert_true(world_accepts(&tc, err, sizeof(err)));
    }

    test_config_init(&tc);
    tc.faults[0] = (world_fault){
        .kind = WORLD_FAULT_KILL_PROCESS, .at_us = SIM_S(1),
        .probability = 1.0, .instance = "i9", .component = "dev"};
    tc.config.fault_count = 1;
    assert_false(world_accepts(&tc, err, sizeof(err)));
    assert_non_null(strstr(err, "faults[0]"));
    assert_non_null(strstr(err, "\"i9\""));
}

/* Every failure reason lands in exactly one of the disjoint named fields. */
static void world_totals_add_up(void **state)
{
    test_config tc;
    char err[512] = "";

    (void)state;
    test_config_init(&tc);

    world *w = world_create(&tc.config, NULL, err, sizeof(err));

    if (w == NULL)
        fail_msg("world_create: %s", err);

    model_tenant *tenant = &w->sim->tenants[0];

    /* A distinct power of ten per reason shows which one went missing. */
    uint64_t count = 1;

    for (size_t r = 1; r < MODEL_FAIL_COUNT; r++) {
        tenant->failed[r] = count;
        count *= 10;
    }

    world_tenant_totals totals;

    world_tenant_totals_at(w, 0, &totals);
    assert_int_equal(totals.failed, (count - 1) / 9);
    assert_int_equal(totals.failed_queue_full + totals.failed_process_dead +
                         totals.failed_process_stopped +
                         totals.failed_timeout + totals.failed_killed +
                         totals.failed_no_route,
                     totals.failed);
    assert_int_equal(totals.failed_process_dead +
                         totals.failed_process_stopped,
                     totals.failed_process_down);
    assert_int_equal(totals.failed_queue_full + totals.failed_process_down +
                         totals.failed_timeout + totals.failed_killed +
                         totals.failed_no_route,
                     totals.failed);
    world_destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(world_constant_traffic),
        cmocka_unit_test(world_same_seed_same_trace),
        cmocka_unit_test(world_totals_by_reason),
        cmocka_unit_test(world_rejects_bad_config),
        cmocka_unit_test(world_rejects_zero_nginx_times),
        cmocka_unit_test(world_limits_dfm_sample_interval),
        cmocka_unit_test(world_provider_instance_names),
        cmocka_unit_test(world_fault_instance_names),
        cmocka_unit_test(world_totals_add_up),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
