/* The DFM model: overload and low-load notices after their window, graceful
 * stops (in-flight requests finish, the rest are killed and counted at the
 * deadline) and restart of a dead process after a delay. A start that
 * brings back a dead process reports it up. Warm-up CPU is burned after
 * starts during the run, not by initial instances. Starts add tenants. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_test_util.h"

typedef struct fixture {
    test_config tc;
    test_recorder rec;
    model_sim *sim;
    lb_ports ports;
} fixture;

/* One instance i1 with 1 vCPU; dev has 4 workers and 1 ms requests. */
static void one_instance(fixture *f, double rate_per_s)
{
    test_config_init(&f->tc);
    f->tc.config.instance_vcpus = 1;
    f->tc.components[0].workers = 4;
    f->tc.config.duration_us = SIM_S(60);
    f->tc.tenants[0].pattern = (world_pattern){
        .kind = WORLD_PATTERN_CONSTANT, .rate_per_s = rate_per_s};
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
}

static void run_to(fixture *f, sim_time_t at_us)
{
    sim_engine_run_until(f->sim->engine, at_us);
}

static void dfm_overload_after_window(void **state)
{
    fixture f;

    (void)state;
    one_instance(&f, 900); /* 0.9 of the single vCPU */
    f.tc.config.dfm.window_us = SIM_S(3);
    start(&f);
    run_to(&f, SIM_S(3));
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_OVERLOAD), 0);
    run_to(&f, SIM_S(3) + 1000);

    const test_delivery *d =
        test_find_delivery(&f.rec, MODEL_MSG_OVERLOAD, 0);

    assert_non_null(d);
    assert_int_equal(d->at_us, SIM_S(3) + 1000);
    assert_in_range(d->cpu_permille, 850, 950);
    assert_int_equal(d->time_us, SIM_S(3));
    assert_non_null(strstr(d->fields, "procs=dev:"));
    assert_non_null(strstr(d->fields, ",dep:0"));

    /* Still overloaded: the next notice needs another full window. */
    run_to(&f, SIM_S(6));
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_OVERLOAD), 1);
    run_to(&f, SIM_S(6) + 1000);
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_OVERLOAD), 2);
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_LOW_LOAD), 0);
    finish(&f);
}

static void dfm_low_load_after_window(void **state)
{
    fixture f;

    (void)state;
    one_instance(&f, 20); /* 0.02 of the vCPU */
    f.tc.config.dfm.low_load_permille = 100;
    f.tc.config.dfm.window_us = SIM_S(5);
    start(&f);
    run_to(&f, SIM_S(5));
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_LOW_LOAD), 0);
    run_to(&f, SIM_S(6));

    const test_delivery *d =
        test_find_delivery(&f.rec, MODEL_MSG_LOW_LOAD, 0);

    assert_non_null(d);
    assert_int_equal(d->at_us, SIM_S(5) + 1000);
    assert_true(d->cpu_permille < 100);
    assert_int_equal(d->time_us, SIM_S(5));
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_OVERLOAD), 0);
    finish(&f);
}

static void dfm_load_needs_whole_window(void **state)
{
    fixture f;

    (void)state;
    /* Overloaded from 0 to 2 s only (a spike): a 3 s window never fills. */
    one_instance(&f, 0);
    f.tc.tenants[0].pattern = (world_pattern){
        .kind = WORLD_PATTERN_SPIKE, .rate_per_s = 10, .rate2_per_s = 950,
        .start_us = 0, .end_us = SIM_S(2)};
    f.tc.config.dfm.window_us = SIM_S(3);
    start(&f);
    run_to(&f, SIM_S(10));
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_OVERLOAD), 0);
    finish(&f);
}

/* Requests of 5 s on dev (2 workers): a stop at 1 s with a deadline at 3 s
 * kills the 2 on workers and the queued ones. */
static void dfm_stop_kills_at_deadline(void **state)
{
    fixture f;

    (void)state;
    one_instance(&f, 4);
    f.tc.components[0].workers = 2;
    f.tc.components[0].service.mean_us = 5e6;
    f.tc.config.instance_vcpus = 4;
    start(&f);
    run_to(&f, SIM_S(1));

    uint32_t i1 = model_instance_find(f.sim, "i1");
    size_t in_flight = model_process_in_flight(f.sim, i1, 0);

    assert_true(in_flight >= 2);
    assert_int_equal(f.ports.dfm.components_stop(f.ports.dfm.ctx, "i1", 31, 3,
                                                 SIM_S(3)),
                     0);
    run_to(&f, SIM_S(3));
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_COMPONENTS_STOPPED),
                     0);
    run_to(&f, SIM_S(3) + 1000);

    const test_delivery *d =
        test_find_delivery(&f.rec, MODEL_MSG_COMPONENTS_STOPPED, 0);

    assert_non_null(d);
    assert_int_equal(d->request_id, 31);
    assert_int_equal(d->value, in_flight);
    assert_int_equal(f.sim->tenants[0].failed[MODEL_FAIL_KILLED], in_flight);
    assert_int_equal(f.sim->instances[i1].procs[0].state, MODEL_PROC_STOPPED);
    assert_int_equal(f.sim->instances[i1].procs[1].state, MODEL_PROC_STOPPED);
    /* New requests after the stop fail as "process stopped". */
    assert_true(f.sim->tenants[0].failed[MODEL_FAIL_PROCESS_STOPPED] > 0);
    assert_int_equal(f.sim->tenants[0].failed[MODEL_FAIL_PROCESS_DOWN], 0);
    finish(&f);
}

static void dfm_stop_waits_for_in_flight(void **state)
{
    fixture f;

    (void)state;
    one_instance(&f, 4);
    f.tc.components[0].workers = 8;
    f.tc.components[0].service.mean_us = 1.5e6;
    f.tc.config.instance_vcpus = 8;
    start(&f);
    run_to(&f, SIM_S(2));

    uint32_t i1 = model_instance_find(f.sim, "i1");

    assert_true(model_process_in_flight(f.sim, i1, 0) > 0);
    f.ports.dfm.components_stop(f.ports.dfm.ctx, "i1", 32, 1, SIM_S(30));
    run_to(&f, SIM_S(30));

    const test_delivery *d =
        test_find_delivery(&f.rec, MODEL_MSG_COMPONENTS_STOPPED, 0);

    assert_non_null(d);
    assert_int_equal(d->value, 0);
    /* All in flight at 2.001 s were done 1.5 s later at the latest. */
    assert_true(d->at_us <= SIM_S(2) + 1000 + SIM_MS(1500) + 1000);
    assert_int_equal(f.sim->tenants[0].failed[MODEL_FAIL_KILLED], 0);
    /* Only dev was stopped: dep still runs. */
    assert_int_equal(f.sim->instances[i1].procs[1].state, MODEL_PROC_RUNNING);
    finish(&f);
}

static void dfm_restarts_dead_process(void **state)
{
    fixture f;

    (void)state;
    one_instance(&f, 100);
    f.tc.config.dfm.restart_delay_us = SIM_S(2);
    f.tc.faults[0] = (world_fault){
        .kind = WORLD_FAULT_KILL_PROCESS, .at_us = SIM_S(3),
        .until_us = SIM_TIME_MAX, .probability = 1.0, .instance = "i1",
        .component = "dev"};
    f.tc.config.fault_count = 1;
    start(&f);
    run_to(&f, SIM_S(4));

    const test_delivery *down =
        test_find_delivery(&f.rec, MODEL_MSG_COMPONENT_DOWN, 0);

    assert_non_null(down);
    assert_int_equal(down->at_us, SIM_S(3) + 1000);
    assert_int_equal(down->component, 0);
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_COMPONENT_UP), 0);

    uint64_t down_errors = f.sim->tenants[0].failed[MODEL_FAIL_PROCESS_DOWN];

    assert_true(down_errors > 50);
    assert_int_equal(f.sim->tenants[0].failed[MODEL_FAIL_PROCESS_STOPPED], 0);
    run_to(&f, SIM_S(6));

    const test_delivery *up =
        test_find_delivery(&f.rec, MODEL_MSG_COMPONENT_UP, 0);

    assert_non_null(up);
    assert_int_equal(up->at_us, SIM_S(5) + 1000);
    assert_int_equal(up->component, 0);
    /* Served again: no new "process down" errors after the restart. */
    uint64_t at_up = f.sim->tenants[0].failed[MODEL_FAIL_PROCESS_DOWN];

    run_to(&f, SIM_S(8));
    assert_int_equal(f.sim->tenants[0].failed[MODEL_FAIL_PROCESS_DOWN],
                     at_up);
    assert_in_range(at_up, 150, 250);
    finish(&f);
}

/* Warm-up of 4 s at half of the 2 vCPUs per process, overload above 40 %
 * held for 2 s. */
static void warmup_setup(fixture *f)
{
    one_instance(f, 0);
    f->tc.config.instance_vcpus = 2;
    f->tc.config.dfm.warmup_us = SIM_S(4);
    f->tc.config.dfm.warmup_cpu_permille = 500;
    f->tc.config.dfm.overload_permille = 400;
    f->tc.config.dfm.window_us = SIM_S(2);
}

static void dfm_warmup_burns_cpu(void **state)
{
    fixture f;

    (void)state;
    warmup_setup(&f);
    f.tc.instances[0].components = 0; /* the LB starts them */
    start(&f);
    run_to(&f, SIM_S(1));
    f.ports.dfm.components_start(f.ports.dfm.ctx, "i1", 41, 3, NULL, 0);
    run_to(&f, SIM_S(10));

    /* dev and dep each burn half of the 2 vCPUs for 4 s from their start
     * at 1.001 s: the instance is saturated while they warm up, then
     * idle. */
    uint32_t i1 = model_instance_find(f.sim, "i1");

    assert_float_equal(f.sim->instances[i1].procs[0].cpu_us, 4e6, 1.0);
    assert_float_equal(f.sim->instances[i1].procs[1].cpu_us, 4e6, 1.0);
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_OVERLOAD), 2);

    const test_delivery *d =
        test_find_delivery(&f.rec, MODEL_MSG_OVERLOAD, 0);

    assert_int_equal(d->at_us, SIM_S(3) + 1000);
    assert_int_equal(d->cpu_permille, 1000);
    finish(&f);
}

static void dfm_initial_processes_skip_warmup(void **state)
{
    fixture f;

    (void)state;
    warmup_setup(&f);
    start(&f);
    run_to(&f, SIM_S(10));

    /* i1's processes ran before the run began: no burn at time 0. */
    uint32_t i1 = model_instance_find(f.sim, "i1");

    assert_float_equal(f.sim->instances[i1].procs[0].cpu_us, 0.0, 1.0);
    assert_float_equal(f.sim->instances[i1].procs[1].cpu_us, 0.0, 1.0);
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_OVERLOAD), 0);
    finish(&f);
}

/* dev dies at 3 s and would restart at 13 s, but the LB starts it at 4 s:
 * the DFM reports it up then, and only then. */
static void dfm_start_reports_dead_process_up(void **state)
{
    fixture f;

    (void)state;
    one_instance(&f, 0);
    f.tc.config.dfm.restart_delay_us = SIM_S(10);
    f.tc.faults[0] = (world_fault){
        .kind = WORLD_FAULT_KILL_PROCESS, .at_us = SIM_S(3),
        .until_us = SIM_TIME_MAX, .probability = 1.0, .instance = "i1",
        .component = "dev"};
    f.tc.config.fault_count = 1;
    start(&f);
    run_to(&f, SIM_S(4));
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_COMPONENT_DOWN),
                     1);
    f.ports.dfm.components_start(f.ports.dfm.ctx, "i1", 51, 1, NULL, 0);
    run_to(&f, SIM_S(20));

    const test_delivery *up =
        test_find_delivery(&f.rec, MODEL_MSG_COMPONENT_UP, 0);

    assert_non_null(up);
    assert_int_equal(up->at_us, SIM_S(4) + 2000);
    assert_int_equal(up->component, 0);
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_COMPONENT_UP),
                     1);
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_COMPONENTS_STARTED),
                     1);

    /* A start of a process that was never down reports nothing. */
    f.ports.dfm.components_start(f.ports.dfm.ctx, "i1", 52, 3, NULL, 0);
    run_to(&f, SIM_S(21));
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_COMPONENT_UP),
                     1);
    finish(&f);
}

/* dev dies while a graceful stop waits for it, so the stop completes with
 * dev down. A later start brings it back and reports it up. */
static void dfm_start_after_stop_reports_up(void **state)
{
    fixture f;

    (void)state;
    one_instance(&f, 4);
    f.tc.components[0].service.mean_us = 5e6;
    f.tc.faults[0] = (world_fault){
        .kind = WORLD_FAULT_KILL_PROCESS, .at_us = SIM_S(2),
        .until_us = SIM_TIME_MAX, .probability = 1.0, .instance = "i1",
        .component = "dev"};
    f.tc.config.fault_count = 1;
    start(&f);
    run_to(&f, SIM_S(1));
    f.ports.dfm.components_stop(f.ports.dfm.ctx, "i1", 61, 1, SIM_S(30));
    run_to(&f, SIM_S(3));

    uint32_t i1 = model_instance_find(f.sim, "i1");

    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_COMPONENT_DOWN),
                     1);
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_COMPONENTS_STOPPED),
                     1);
    assert_int_equal(f.sim->instances[i1].procs[0].state, MODEL_PROC_STOPPED);

    f.ports.dfm.components_start(f.ports.dfm.ctx, "i1", 62, 1, NULL, 0);
    run_to(&f, SIM_S(4));
    assert_int_equal(f.sim->instances[i1].procs[0].state, MODEL_PROC_RUNNING);
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_COMPONENT_UP),
                     1);
    finish(&f);
}

static void dfm_start_adds_tenants(void **state)
{
    fixture f;
    const char *tenants[] = {"t5", "t6"};

    (void)state;
    one_instance(&f, 0);
    f.tc.instances[0].components = 1; /* dev only */
    start(&f);

    uint32_t i1 = model_instance_find(f.sim, "i1");

    assert_int_equal(f.sim->instances[i1].procs[1].state, MODEL_PROC_ABSENT);
    f.ports.dfm.components_start(f.ports.dfm.ctx, "i1", 41, 3, tenants, 2);
    run_to(&f, SIM_S(1));

    const test_delivery *d =
        test_find_delivery(&f.rec, MODEL_MSG_COMPONENTS_STARTED, 0);

    assert_non_null(d);
    assert_int_equal(d->request_id, 41);
    assert_int_equal(f.sim->instances[i1].procs[1].state, MODEL_PROC_RUNNING);
    assert_int_equal(f.sim->instances[i1].tenant_count, 3);

    const char *line[] = {"lb dfm/i1 components_start 41 ",
                          "components=dev,dep", "tenants=t5,t6", NULL};

    assert_int_equal(test_count_lines(&f.rec, line), 1);

    /* A component beyond the configured ones is rejected. */
    f.ports.dfm.components_start(f.ports.dfm.ctx, "i1", 42, 1u << 5, NULL, 0);
    run_to(&f, SIM_S(2));
    d = test_find_delivery(&f.rec, MODEL_MSG_COMPONENTS_START_FAILED, 0);
    assert_non_null(d);
    assert_int_equal(d->request_id, 42);
    assert_int_equal(f.ports.dfm.components_start(f.ports.dfm.ctx, "i7", 43,
                                                  1, NULL, 0),
                     -ENOENT);
    finish(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dfm_overload_after_window),
        cmocka_unit_test(dfm_low_load_after_window),
        cmocka_unit_test(dfm_load_needs_whole_window),
        cmocka_unit_test(dfm_stop_kills_at_deadline),
        cmocka_unit_test(dfm_stop_waits_for_in_flight),
        cmocka_unit_test(dfm_restarts_dead_process),
        cmocka_unit_test(dfm_warmup_burns_cpu),
        cmocka_unit_test(dfm_initial_processes_skip_warmup),
        cmocka_unit_test(dfm_start_reports_dead_process_up),
        cmocka_unit_test(dfm_start_after_stop_reports_up),
        cmocka_unit_test(dfm_start_adds_tenants),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
