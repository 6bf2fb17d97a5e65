/* The Provider model: delays, boot and dfm_ready, quota, failures, lost
 * replies, idempotent creates, removes and restarts, never-answered
 * requests, remove, restart, faults on instances it creates and the
 * provider fault rules. */
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

/* Delays: create 5 s, remove 2 s, restart 3 s, boot 1 s; link 1 ms. */
static void setup(fixture *f)
{
    test_config_init(&f->tc);
    f->tc.config.duration_us = SIM_S(120);
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

static void create(fixture *f, lb_request_id id)
{
    assert_int_equal(f->ports.provider.instance_create(f->ports.provider.ctx,
                                                       id, "standard"),
                     0);
}

static void provider_create_then_boot(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    start(&f);
    create(&f, 7);
    run_to(&f, SIM_S(10));

    const test_delivery *created =
        test_find_delivery(&f.rec, MODEL_MSG_INSTANCE_CREATED, 0);
    const test_delivery *ready =
        test_find_delivery(&f.rec, MODEL_MSG_DFM_READY, 0);

    assert_non_null(created);
    assert_non_null(ready);
    assert_int_equal(created->request_id, 7);
    /* 1 ms to the provider, 5 s to create, 1 ms back. */
    assert_int_equal(created->at_us, SIM_S(5) + 2000);
    /* Boot starts at creation: ready 1 s later, plus the link. */
    assert_int_equal(ready->at_us, SIM_S(6) + 2000);
    assert_int_equal(ready->instance, created->instance);

    const char *line[] = {"lb provider instance_create 7 ", "type=standard",
                          NULL};

    assert_int_equal(test_count_lines(&f.rec, line), 1);
    assert_int_equal(f.sim->instance_count, 2);
    /* The new instance runs only its DFM. */
    assert_int_equal(f.sim->instances[created->instance].procs[0].state,
                     MODEL_PROC_ABSENT);
    finish(&f);
}

static void provider_quota(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    f.tc.config.provider.quota = 2; /* i1 and one more */
    start(&f);
    create(&f, 1);
    create(&f, 2);
    run_to(&f, SIM_S(10));

    const test_delivery *failed =
        test_find_delivery(&f.rec, MODEL_MSG_INSTANCE_CREATE_FAILED, 0);

    assert_non_null(failed);
    assert_int_equal(failed->request_id, 2);
    assert_string_equal(failed->text, "quota_exceeded");
    /* A rejection for quota comes at once. */
    assert_int_equal(failed->at_us, 2000);
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_CREATED),
                     1);
    assert_int_equal(f.sim->instance_count, 2);
    finish(&f);
}

static void provider_failure(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    f.tc.config.provider.fail_probability = 1.0;
    start(&f);
    create(&f, 3);
    run_to(&f, SIM_S(10));

    const test_delivery *failed =
        test_find_delivery(&f.rec, MODEL_MSG_INSTANCE_CREATE_FAILED, 0);

    assert_non_null(failed);
    assert_string_equal(failed->text, "provider_error");
    assert_int_equal(failed->at_us, SIM_S(5) + 2000);
    assert_int_equal(f.sim->instance_count, 1);
    finish(&f);
}

static void provider_reply_lost_then_retry(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    f.tc.config.provider.reply_lost_probability = 1.0;
    start(&f);
    create(&f, 9);
    run_to(&f, SIM_S(10));

    /* Made and booted, but the reply was lost on the way. */
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_CREATED),
                     0);
    assert_int_equal(f.sim->instance_count, 2);

    const char *lost[] = {"provider lb instance_created 9 lost", NULL};

    assert_int_equal(test_count_lines(&f.rec, lost), 1);
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_DFM_READY), 1);

    /* The LB sends the create again with the same id: same instance, no
     * new one. */
    create(&f, 9);
    run_to(&f, SIM_S(11));

    const test_delivery *created =
        test_find_delivery(&f.rec, MODEL_MSG_INSTANCE_CREATED, 0);

    assert_non_null(created);
    assert_int_equal(created->request_id, 9);
    assert_int_equal(created->instance, 1);
    assert_int_equal(f.sim->instance_count, 2);
    finish(&f);
}

static void provider_create_is_idempotent(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    start(&f);
    create(&f, 4);
    run_to(&f, SIM_S(2));
    create(&f, 4); /* a retry while the first is in progress */
    run_to(&f, SIM_S(10));
    assert_int_equal(f.sim->instance_count, 2);
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_CREATED),
                     1);

    create(&f, 4); /* after success */
    create(&f, 5); /* a new id makes a new instance */
    run_to(&f, SIM_S(20));
    assert_int_equal(f.sim->instance_count, 3);
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_CREATED),
                     3);

    const test_delivery *again =
        test_find_delivery(&f.rec, MODEL_MSG_INSTANCE_CREATED, 1);

    while (again != NULL && again->request_id != 4)
        again = test_find_delivery(&f.rec, MODEL_MSG_INSTANCE_CREATED,
                                   (size_t)(again - f.rec.deliveries) + 1);
    assert_non_null(again);
    assert_int_equal(again->instance, 1);
    finish(&f);
}

static void provider_timeout_never_answers(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    f.tc.config.provider.timeout_probability = 1.0;
    start(&f);
    create(&f, 6);
    f.ports.provider.instance_restart(f.ports.provider.ctx, 8, "i1");
    run_to(&f, SIM_S(60));
    assert_int_equal(f.rec.delivery_count, 0);
    assert_int_equal(f.sim->instance_count, 1);
    assert_int_equal(f.sim->pending_provider_requests, 0);
    finish(&f);
}

static void provider_remove_and_restart(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    f.tc.tenants[0].pattern = (world_pattern){
        .kind = WORLD_PATTERN_CONSTANT, .rate_per_s = 50};
    start(&f);
    run_to(&f, SIM_S(1));

    uint32_t i1 = model_instance_find(f.sim, "i1");

    model_instance_crash(f.sim, i1);
    f.ports.provider.instance_restart(f.ports.provider.ctx, 12, "i1");
    run_to(&f, SIM_S(4) + 2000);

    const test_delivery *restarted =
        test_find_delivery(&f.rec, MODEL_MSG_INSTANCE_RESTARTED, 0);

    assert_non_null(restarted);
    assert_int_equal(restarted->at_us, SIM_S(4) + 2000);
    assert_int_equal(f.sim->instances[i1].state, MODEL_INST_BOOTING);
    run_to(&f, SIM_S(6));

    const test_delivery *ready =
        test_find_delivery(&f.rec, MODEL_MSG_DFM_READY, 0);

    assert_non_null(ready);
    assert_int_equal(ready->at_us, SIM_S(5) + 2000);
    assert_int_equal(f.sim->instances[i1].state, MODEL_INST_ACTIVE);

    f.ports.provider.instance_remove(f.ports.provider.ctx, 13, "i1");
    f.ports.provider.instance_remove(f.ports.provider.ctx, 14, "i8");
    run_to(&f, SIM_S(9));

    const test_delivery *removed =
        test_find_delivery(&f.rec, MODEL_MSG_INSTANCE_REMOVED, 0);
    const test_delivery *failed =
        test_find_delivery(&f.rec, MODEL_MSG_INSTANCE_REMOVE_FAILED, 0);

    assert_non_null(removed);
    assert_int_equal(removed->request_id, 13);
    assert_int_equal(f.sim->instances[i1].state, MODEL_INST_REMOVED);
    assert_non_null(failed);
    assert_int_equal(failed->request_id, 14);
    assert_string_equal(failed->text, "not_found");

    const char *line[] = {"lb provider instance_remove 14 ", "instance=i8",
                          NULL};

    assert_int_equal(test_count_lines(&f.rec, line), 1);
    finish(&f);
}

static void restart(fixture *f, lb_request_id id, const char *instance)
{
    assert_int_equal(f->ports.provider.instance_restart(f->ports.provider.ctx,
                                                        id, instance),
                     0);
}

static void remove_instance(fixture *f, lb_request_id id,
                            const char *instance)
{
    assert_int_equal(f->ports.provider.instance_remove(f->ports.provider.ctx,
                                                       id, instance),
                     0);
}

/* Restart 3 s and remove 2 s, each plus 1 ms to the provider and back. */
static void provider_restart_is_idempotent(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    f.tc.faults[0] = (world_fault){
        .kind = WORLD_FAULT_PROVIDER_FAIL, .at_us = 0, .until_us = SIM_S(1),
        .probability = 1.0, .count = 1};
    f.tc.config.fault_count = 1;
    start(&f);

    uint32_t i1 = model_instance_find(f.sim, "i1");

    restart(&f, 20, "i1"); /* fails by the rule */
    run_to(&f, SIM_S(4));
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_RESTART_FAILED),
                     1);

    restart(&f, 20, "i1"); /* a retry after a failure restarts */
    run_to(&f, SIM_S(5));
    restart(&f, 20, "i1"); /* a retry while it is under way does not */
    run_to(&f, SIM_S(10));
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_RESTARTED),
                     1);
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_DFM_READY), 1);
    assert_int_equal(f.sim->instances[i1].state, MODEL_INST_ACTIVE);

    /* A retry after success gets the reply again, and no second boot. */
    restart(&f, 20, "i1");
    run_to(&f, SIM_S(10) + SIM_MS(500));
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_RESTARTED),
                     2);
    assert_int_equal(f.sim->instances[i1].state, MODEL_INST_ACTIVE);
    run_to(&f, SIM_S(20));
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_DFM_READY), 1);

    remove_instance(&f, 30, "i1");
    run_to(&f, SIM_S(21));
    remove_instance(&f, 30, "i1"); /* under way */
    run_to(&f, SIM_S(25));
    remove_instance(&f, 30, "i1"); /* after success */
    run_to(&f, SIM_S(30));
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_REMOVED),
                     2);
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_REMOVE_FAILED),
                     0);
    assert_int_equal(f.sim->instances[i1].state, MODEL_INST_REMOVED);
    assert_int_equal(f.sim->pending_provider_requests, 0);
    finish(&f);
}

/* Faults name vm-1 and vm-2 before the provider makes them. vm-1 is
 * created at 5.001 s and boots until 6.001 s. */
static void provider_faults_on_new_instance(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    f.tc.faults[0] = (world_fault){
        .kind = WORLD_FAULT_CRASH_INSTANCE, .at_us = SIM_MS(5500),
        .until_us = SIM_TIME_MAX, .probability = 1.0, .instance = "vm-1"};
    f.tc.faults[1] = (world_fault){
        .kind = WORLD_FAULT_KILL_PROCESS, .at_us = SIM_S(1),
        .until_us = SIM_TIME_MAX, .probability = 1.0, .instance = "vm-2",
        .component = "dev"};
    f.tc.faults[2] = (world_fault){
        .kind = WORLD_FAULT_KILL_PROCESS, .at_us = SIM_S(16),
        .until_us = SIM_TIME_MAX, .probability = 1.0, .instance = "vm-1",
        .component = "dev"};
    f.tc.config.fault_count = 3;
    start(&f);
    create(&f, 7);
    run_to(&f, SIM_S(10));

    /* Crashed while booting: no dfm_ready. vm-2 never existed. */
    uint32_t vm1 = model_instance_find(f.sim, "vm-1");

    assert_int_not_equal(vm1, MODEL_NONE);
    assert_int_equal(f.sim->instances[vm1].state, MODEL_INST_CRASHED);
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_DFM_READY), 0);
    assert_int_equal(f.sim->instance_count, 2);

    /* Restarted, started, then its dev is killed. */
    restart(&f, 8, "vm-1");
    run_to(&f, SIM_S(15));
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_DFM_READY), 1);
    f.ports.dfm.components_start(f.ports.dfm.ctx, "vm-1", 9, 1, NULL, 0);
    run_to(&f, SIM_S(17));

    const test_delivery *down =
        test_find_delivery(&f.rec, MODEL_MSG_COMPONENT_DOWN, 0);

    assert_non_null(down);
    assert_int_equal(down->instance, vm1);
    assert_int_equal(down->at_us, SIM_S(16) + 1000);
    finish(&f);
}

static void provider_fault_rules(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    f.tc.faults[0] = (world_fault){
        .kind = WORLD_FAULT_PROVIDER_SLOW, .at_us = 0,
        .until_us = SIM_S(10), .probability = 1.0, .delay_us = SIM_S(7)};
    f.tc.faults[1] = (world_fault){
        .kind = WORLD_FAULT_PROVIDER_FAIL, .at_us = SIM_S(20),
        .until_us = SIM_S(30), .probability = 1.0, .count = 1};
    f.tc.config.fault_count = 2;
    start(&f);
    create(&f, 1);
    run_to(&f, SIM_S(20));

    const test_delivery *created =
        test_find_delivery(&f.rec, MODEL_MSG_INSTANCE_CREATED, 0);

    assert_non_null(created);
    assert_int_equal(created->at_us, SIM_S(12) + 2000);

    create(&f, 2); /* in the fail window, the rule's only hit */
    create(&f, 3);
    run_to(&f, SIM_S(40));
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_CREATE_FAILED),
                     1);
    assert_int_equal(test_find_delivery(&f.rec,
                                        MODEL_MSG_INSTANCE_CREATE_FAILED, 0)
                         ->request_id,
                     2);
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_CREATED),
                     2);
    finish(&f);
}

static void provider_delays_follow_distribution(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    f.tc.config.provider.create_delay = (model_dist){
        .kind = MODEL_DIST_EXPONENTIAL, .mean_us = 2e6};
    f.tc.config.duration_us = SIM_S(100000);
    start(&f);
    for (lb_request_id id = 1; id <= 400; id++)
        create(&f, id);
    run_to(&f, SIM_S(100));

    /* 400 exponential delays of mean 2 s: the mean is within 20 %. */
    double sum = 0;
    size_t n = 0;

    for (size_t i = 0; i < f.rec.delivery_count; i++) {
        if (f.rec.deliveries[i].kind != MODEL_MSG_INSTANCE_CREATED)
            continue;
        sum += (double)(f.rec.deliveries[i].at_us - 2000);
        n++;
    }
    assert_int_equal(n, 400);
    assert_in_range((long)(sum / n), 1600000, 2400000);
    finish(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(provider_create_then_boot),
        cmocka_unit_test(provider_quota),
        cmocka_unit_test(provider_failure),
        cmocka_unit_test(provider_reply_lost_then_retry),
        cmocka_unit_test(provider_create_is_idempotent),
        cmocka_unit_test(provider_timeout_never_answers),
        cmocka_unit_test(provider_remove_and_restart),
        cmocka_unit_test(provider_restart_is_idempotent),
        cmocka_unit_test(provider_faults_on_new_instance),
        cmocka_unit_test(provider_fault_rules),
        cmocka_unit_test(provider_delays_follow_distribution),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
