/* Unit tests of the event engine: order, cancel, run limits, handlers that
 * use the engine, independence of two engines, clean destruction. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine.h"

#define LOG_CAP 4096

/* What handlers saw: the argument and the clock of each event run. */
typedef struct run_log {
    uint64_t args[LOG_CAP];
    sim_time_t times_us[LOG_CAP];
    size_t len;
} run_log;

static void record_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    run_log *log = ctx;

    assert_true(log->len < LOG_CAP);
    log->args[log->len] = arg;
    log->times_us[log->len] = sim_engine_now(engine);
    log->len++;
}

static void schedule_ok(sim_engine *engine, sim_time_t at_us, run_log *log,
                        uint64_t arg, sim_event_id *id)
{
    assert_int_equal(sim_engine_schedule(engine, at_us, record_cb, log, arg,
                                         id), 0);
}

static int setup(void **state)
{
    sim_engine *engine = sim_engine_create();

    if (engine == NULL) {
        return -1;
    }
    *state = engine;
    return 0;
}

static int teardown(void **state)
{
    sim_engine_destroy(*state);
    return 0;
}

static void test_new_engine_is_empty(void **state)
{
    sim_engine *engine = *state;

    assert_int_equal(sim_engine_now(engine), 0);
    assert_int_equal(sim_engine_pending(engine), 0);
    assert_int_equal(sim_engine_events_run(engine), 0);
    assert_int_equal(sim_engine_run(engine), 0);
    assert_int_equal(sim_engine_now(engine), 0);
}

static void test_equal_times_keep_insertion_order(void **state)
{
    sim_engine *engine = *state;
    static run_log log;

    log.len = 0;
    /* 300 events at three times, scheduled interleaved: each time's events
     * must run in the order they were scheduled. */
    for (uint64_t i = 0; i < 300; i++) {
        schedule_ok(engine, (sim_time_t)(30 - 10 * (i % 3)), &log, i, NULL);
    }
    assert_int_equal(sim_engine_run(engine), 300);
    assert_int_equal(log.len, 300);
    for (size_t k = 0; k < 300; k++) {
        uint64_t group = 2 - k / 100; /* times 10, 20, 30 have i%3 2, 1, 0 */
        uint64_t expect = group + 3 * (k % 100);

        assert_int_equal(log.args[k], expect);
        assert_int_equal(log.times_us[k], 10 * (sim_time_t)(k / 100 + 1));
    }
    assert_int_equal(sim_engine_now(engine), 30);
}

static void test_cancel_before_firing(void **state)
{
    sim_engine *engine = *state;
    static run_log log;
    sim_event_id a;
    sim_event_id b;

    log.len = 0;
    schedule_ok(engine, 10, &log, 1, &a);
    schedule_ok(engine, 10, &log, 2, &b);
    assert_int_equal(sim_engine_pending(engine), 2);

    assert_int_equal(sim_engine_cancel(engine, a), 0);
    assert_int_equal(sim_engine_pending(engine), 1);
    assert_int_equal(sim_engine_cancel(engine, a), -ENOENT);
    assert_int_equal(sim_engine_pending(engine), 1);

    assert_int_equal(sim_engine_run(engine), 1);
    assert_int_equal(log.len, 1);
    assert_int_equal(log.args[0], 2);
    assert_int_equal(sim_engine_pending(engine), 0);
    assert_int_equal(sim_engine_cancel(engine, a), -ENOENT);
}

static void test_cancel_after_firing(void **state)
{
    sim_engine *engine = *state;
    static run_log log;
    sim_event_id a;
    sim_event_id c;

    log.len = 0;
    schedule_ok(engine, 5, &log, 1, &a);
    assert_int_equal(sim_engine_run(engine), 1);
    assert_int_equal(sim_engine_cancel(engine, a), -ENOENT);

    /* The next event reuses a's slot: a's handle must not cancel it. */
    schedule_ok(engine, 6, &log, 3, &c);
    assert_int_equal(c.slot, a.slot);
    assert_int_not_equal(c.generation, a.generation);
    assert_int_equal(sim_engine_cancel(engine, a), -ENOENT);
    assert_int_equal(sim_engine_run(engine), 1);
    assert_int_equal(log.len, 2);
    assert_int_equal(log.args[1], 3);
}

static void test_cancel_unknown_handle(void **state)
{
    sim_engine *engine = *state;

    assert_int_equal(sim_engine_cancel(engine, (sim_event_id){0, 0}),
                     -ENOENT);
    assert_int_equal(
        sim_engine_cancel(engine, (sim_event_id){UINT32_MAX, UINT32_MAX}),
        -ENOENT);
}

static void test_run_until_boundaries(void **state)
{
    sim_engine *engine = *state;
    static run_log log;

    log.len = 0;
    schedule_ok(engine, 1000, &log, 1, NULL);
    schedule_ok(engine, 1001, &log, 2, NULL);

    /* An event at exactly the limit runs; one a microsecond later not. */
    assert_int_equal(sim_engine_run_until(engine, 1000), 1);
    assert_int_equal(log.len, 1);
    assert_int_equal(log.args[0], 1);
    assert_int_equal(sim_engine_now(engine), 1000);
    assert_int_equal(sim_engine_pending(engine), 1);

    /* With nothing due the clock still moves to the limit. */
    assert_int_equal(sim_engine_run_until(engine, 1000), 0);
    assert_int_equal(sim_engine_now(engine), 1000);
    assert_int_equal(sim_engine_run_until(engine, 1001), 1);
    assert_int_equal(log.times_us[1], 1001);
    assert_int_equal(sim_engine_run_until(engine, 5000), 0);
    assert_int_equal(sim_engine_now(engine), 5000);

    /* A limit in the past runs nothing and leaves the clock alone. */
    schedule_ok(engine, 5000, &log, 3, NULL);
    assert_int_equal(sim_engine_run_until(engine, 4000), 0);
    assert_int_equal(sim_engine_now(engine), 5000);
    assert_int_equal(sim_engine_pending(engine), 1);
    assert_int_equal(sim_engine_run(engine), 1);
}

static void test_run_leaves_clock_at_last_event(void **state)
{
    sim_engine *engine = *state;
    static run_log log;

    log.len = 0;
    schedule_ok(engine, 7, &log, 1, NULL);
    schedule_ok(engine, SIM_S(3), &log, 2, NULL);
    assert_int_equal(sim_engine_run(engine), 2);
    assert_int_equal(sim_engine_now(engine), SIM_S(3));
    assert_int_equal(sim_engine_events_run(engine), 2);
}

static void test_schedule_rejects_past_and_null(void **state)
{
    sim_engine *engine = *state;
    static run_log log;

    log.len = 0;
    assert_int_equal(sim_engine_run_until(engine, 100), 0);
    assert_int_equal(sim_engine_schedule(engine, 99, record_cb, &log, 0,
                                         NULL), -EINVAL);
    assert_int_equal(sim_engine_schedule(engine, -1, record_cb, &log, 0,
                                         NULL), -EINVAL);
    assert_int_equal(sim_engine_schedule(engine, 100, NULL, &log, 0, NULL),
                     -EINVAL);
    assert_int_equal(sim_engine_pending(engine), 0);
    schedule_ok(engine, 100, &log, 0, NULL);
    assert_int_equal(sim_engine_run(engine), 1);
    assert_int_equal(log.times_us[0], 100);
}

/* State of the handler tests. */
typedef struct handler_ctx {
    run_log log;
    sim_event_id victim;  /* event the handler cancels */
    sim_event_id self;    /* the handler's own event */
    int cancel_victim_rc;
    int cancel_self_rc;
    int schedule_past_rc;
} handler_ctx;

static void acting_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    handler_ctx *h = ctx;

    record_cb(engine, &h->log, arg);
    h->cancel_self_rc = sim_engine_cancel(engine, h->self);
    h->cancel_victim_rc = sim_engine_cancel(engine, h->victim);
    h->schedule_past_rc = sim_engine_schedule(
        engine, sim_engine_now(engine) - 1, record_cb, &h->log, 99, NULL);
    /* Same time as now: runs after the events already due now. */
    assert_int_equal(sim_engine_schedule(engine, sim_engine_now(engine),
                                         record_cb, &h->log, 100, NULL), 0);
    assert_int_equal(sim_engine_schedule(engine, sim_engine_now(engine) + 5,
                                         record_cb, &h->log, 101, NULL), 0);
}

static void test_handler_schedules_and_cancels(void **state)
{
    sim_engine *engine = *state;
    static handler_ctx h;

    h.log.len = 0;
    assert_int_equal(sim_engine_schedule(engine, 10, acting_cb, &h, 1,
                                         &h.self), 0);
    schedule_ok(engine, 10, &h.log, 2, NULL);
    schedule_ok(engine, 12, &h.log, 3, &h.victim);
    schedule_ok(engine, 15, &h.log, 4, NULL);

    assert_int_equal(sim_engine_run(engine), 5);
    assert_int_equal(h.cancel_self_rc, -ENOENT);
    assert_int_equal(h.cancel_victim_rc, 0);
    assert_int_equal(h.schedule_past_rc, -EINVAL);

    uint64_t expect_args[] = {1, 2, 100, 4, 101};
    sim_time_t expect_times[] = {10, 10, 10, 15, 15};

    assert_int_equal(h.log.len, 5);
    for (size_t k = 0; k < 5; k++) {
        assert_int_equal(h.log.args[k], expect_args[k]);
        assert_int_equal(h.log.times_us[k], expect_times[k]);
    }
    assert_int_equal(sim_engine_pending(engine), 0);
}

static void stopping_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    record_cb(engine, ctx, arg);
    sim_engine_stop(engine);
}

static void test_stop_returns_after_handler(void **state)
{
    sim_engine *engine = *state;
    static run_log log;

    log.len = 0;
    schedule_ok(engine, 10, &log, 1, NULL);
    assert_int_equal(sim_engine_schedule(engine, 20, stopping_cb, &log, 2,
                                         NULL), 0);
    schedule_ok(engine, 30, &log, 3, NULL);

    assert_int_equal(sim_engine_run_until(engine, 100), 2);
    assert_int_equal(sim_engine_now(engine), 20); /* not moved to 100 */
    assert_int_equal(sim_engine_pending(engine), 1);

    /* A stop asked outside a run does not affect the next run. */
    sim_engine_stop(engine);
    assert_int_equal(sim_engine_run(engine), 1);
    assert_int_equal(log.len, 3);
    assert_int_equal(sim_engine_now(engine), 30);
}

static void test_two_engines_are_independent(void **state)
{
    sim_engine *a = *state;
    sim_engine *b = sim_engine_create();
    static run_log log_a;
    static run_log log_b;
    sim_event_id id_a;
    sim_event_id id_b;

    assert_non_null(b);
    log_a.len = 0;
    log_b.len = 0;
    for (uint64_t i = 0; i < 10; i++) {
        schedule_ok(a, (sim_time_t)(100 - i), &log_a, i, &id_a);
        schedule_ok(b, (sim_time_t)(200 + i), &log_b, i, &id_b);
    }
    /* Both engines give out the same handles; each cancels only its own. */
    assert_int_equal(id_a.slot, id_b.slot);
    assert_int_equal(sim_engine_cancel(a, id_a), 0);

    assert_int_equal(sim_engine_run(a), 9);
    assert_int_equal(sim_engine_now(a), 100);
    assert_int_equal(sim_engine_now(b), 0);
    assert_int_equal(sim_engine_pending(b), 10);
    assert_int_equal(log_b.len, 0);

    assert_int_equal(sim_engine_run_until(b, 204), 5);
    assert_int_equal(sim_engine_now(b), 204);
    assert_int_equal(sim_engine_now(a), 100);
    assert_int_equal(sim_engine_events_run(a), 9);
    assert_int_equal(sim_engine_events_run(b), 5);
    sim_engine_destroy(b);
}

static void test_destroy_with_pending_events(void **state)
{
    sim_engine *engine = *state;
    static run_log log;
    sim_event_id id;
    uint64_t due = 0;

    log.len = 0;
    /* Pending, cancelled and run events at destroy time: the sanitizer
     * build reports any leak. */
    for (uint64_t i = 0; i < 10000; i++) {
        schedule_ok(engine, (sim_time_t)(i % 977), &log, i, &id);
        if (i % 3 == 0) {
            assert_int_equal(sim_engine_cancel(engine, id), 0);
        } else if (i % 977 <= 3) {
            due++;
        }
    }
    assert_int_equal(sim_engine_pending(engine), 10000 - 3334);
    assert_int_equal(sim_engine_run_until(engine, 3), due);
    sim_engine_destroy(engine);
    *state = sim_engine_create();
    assert_non_null(*state);
}

static void test_destroy_null(void **state)
{
    (void)state;
    sim_engine_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_engine_is_empty, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_equal_times_keep_insertion_order,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_before_firing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cancel_after_firing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cancel_unknown_handle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_run_until_boundaries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_run_leaves_clock_at_last_event,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_schedule_rejects_past_and_null,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_handler_schedules_and_cancels,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_returns_after_handler,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_engines_are_independent,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_with_pending_events,
                                        setup, teardown),
        cmocka_unit_test(test_destroy_null),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
