/* Component processes: processor sharing of the instance's vCPUs, worker
 * pools and bounded queues, and the failure reason of each rejection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "model_test_util.h"

typedef struct fixture {
    test_config tc;
    test_recorder rec;
    model_sim *sim;
} fixture;

/* Instance i1 with vcpus vCPUs; dev has workers workers and a queue of
 * queue_capacity; no traffic of its own. */
static void start(fixture *f, uint32_t vcpus, uint32_t workers,
                  uint32_t queue_capacity)
{
    test_config_init(&f->tc);
    f->tc.config.instance_vcpus = vcpus;
    f->tc.components[0].workers = workers;
    f->tc.components[0].queue_capacity = queue_capacity;
    f->tc.config.duration_us = SIM_S(60);
    test_recorder_init(&f->rec);
    f->sim = test_sim_create(&f->tc, &f->rec);
    assert_int_equal(model_sim_start(f->sim), 0);
}

static void finish(fixture *f)
{
    model_sim_destroy(f->sim);
    test_recorder_deinit(&f->rec);
}

/* Sends a request of t1 to dev with cpu_us of CPU work, now. */
static void send(fixture *f, double cpu_us)
{
    uint32_t r = model_request_take(f->sim);
    model_request *req = &f->sim->requests[r];

    req->tenant = 0;
    req->component = 0;
    req->cpu_us = cpu_us;
    req->arrival_us = model_now(f->sim);
    f->sim->tenants[0].requests++;
    model_nginx_route(f->sim, r);
}

static const model_tenant *t1(const fixture *f)
{
    return &f->sim->tenants[0];
}

static void process_shares_one_vcpu(void **state)
{
    fixture f;

    (void)state;
    start(&f, 1, 2, 10);
    send(&f, 1e6);
    send(&f, 1e6);
    sim_engine_run_until(f.sim->engine, SIM_S(2) - 1);
    assert_int_equal(t1(&f)->completed, 0);
    sim_engine_run_until(f.sim->engine, SIM_S(2));

    /* Two 1 s requests on one vCPU: both done at 2 s. */
    assert_int_equal(t1(&f)->completed, 2);
    assert_float_equal(t1(&f)->latency_us_sum, 4e6, 1.0);
    assert_float_equal(f.sim->instances[0].procs[0].cpu_us, 2e6, 1.0);
    finish(&f);
}

static void process_no_sharing_with_room(void **state)
{
    fixture f;

    (void)state;
    start(&f, 2, 2, 10);
    send(&f, 1e6);
    send(&f, 1e6);
    sim_engine_run_until(f.sim->engine, SIM_S(1));
    assert_int_equal(t1(&f)->completed, 2);
    assert_float_equal(t1(&f)->latency_us_sum, 2e6, 1.0);
    finish(&f);
}

static void process_sharing_changes_rate(void **state)
{
    fixture f;

    (void)state;
    start(&f, 1, 2, 10);
    send(&f, 1e6);
    sim_engine_run_until(f.sim->engine, SIM_MS(500));
    send(&f, 1e6);
    sim_engine_run_until(f.sim->engine, SIM_S(3));

    /* The first runs alone for 0.5 s, then both at half speed: the first
     * ends at 1.5 s, the second, alone again, at 2 s. Latencies 1.5 s
     * each. */
    assert_int_equal(t1(&f)->completed, 2);
    assert_float_equal(t1(&f)->latency_us_sum, 3e6, 2.0);
    finish(&f);
}

static void process_queue_then_full(void **state)
{
    fixture f;

    (void)state;
    start(&f, 4, 1, 1);
    send(&f, 1e6);
    send(&f, 1e6);
    send(&f, 1e6);
    sim_engine_run_until(f.sim->engine, SIM_S(3));

    /* One on the worker, one queued (waits 1 s), one rejected. */
    assert_int_equal(t1(&f)->completed, 2);
    assert_int_equal(t1(&f)->failed[MODEL_FAIL_QUEUE_FULL], 1);
    assert_float_equal(t1(&f)->wait_us_sum, 1e6, 1.0);
    assert_float_equal(t1(&f)->latency_us_sum, 3e6, 1.0);
    finish(&f);
}

static void process_rejection_reasons(void **state)
{
    fixture f;

    (void)state;
    start(&f, 4, 1, 10);

    model_instance *inst = &f.sim->instances[0];

    inst->procs[0].state = MODEL_PROC_STOPPED;
    send(&f, 1000);
    inst->procs[0].state = MODEL_PROC_DEAD;
    send(&f, 1000);
    inst->procs[0].state = MODEL_PROC_RUNNING;
    model_instance_crash(f.sim, 0);
    send(&f, 1000);
    sim_engine_run_until(f.sim->engine, SIM_S(1));
    assert_int_equal(t1(&f)->failed[MODEL_FAIL_PROCESS_STOPPED], 1);
    assert_int_equal(t1(&f)->failed[MODEL_FAIL_PROCESS_DOWN], 1);
    assert_int_equal(t1(&f)->failed[MODEL_FAIL_TIMEOUT], 0);

    /* A crashed instance does not reply: NGINX times out after 2 s. */
    sim_engine_run_until(f.sim->engine, SIM_S(2));
    assert_int_equal(t1(&f)->failed[MODEL_FAIL_TIMEOUT], 1);
    finish(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(process_shares_one_vcpu),
        cmocka_unit_test(process_no_sharing_with_room),
        cmocka_unit_test(process_sharing_changes_rate),
        cmocka_unit_test(process_queue_then_full),
        cmocka_unit_test(process_rejection_reasons),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
