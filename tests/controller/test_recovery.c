/* The controller recovering from faults without looping or stalling.
 *
 * The cases: dropping reports right after a restart, a lost dfm_ready, a
 * crash that NGINX does not report, and a process death next to a dropping
 * report. Also failed instances, failed scale-outs and untrusted text in
 * replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define ROUTES_I1_RESTARTING                                               \
    "default=- routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1,"            \
    "t3/dev=i1,t3/dep=i1,t4/dev=i1,t4/dep=i1"
#define ROUTES_ALL_ON_I2                                                   \
    "default=i2 routes=t1/dev=i2,t1/dep=i2,t2/dev=i2,t2/dep=i2,"           \
    "t3/dev=i2,t3/dep=i2"
#define ROUTES_ALL_ON_I1                                                   \
    "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1,"           \
    "t3/dev=i1,t3/dep=i1"
#define ROUTES_I1_DEP_DOWN                                                 \
    "default=i1 routes=t1/dev=i1,t1/dep=i2,t2/dev=i1,t2/dep=i2,"           \
    "t3/dev=i2,t3/dep=i2"

/* Runs scenario 2 on one instance up to the create request at 100 s, with
 * t1 chosen to move, and returns the create's id. */
static lb_request_id overload_until_create(harness *h)
{
    harness_start_one_instance(h);
    fake_advance_to(&h->world, S(100));
    harness_overload(h, "i1", 950, 700, 200);
    const fake_call *stats = fake_expect(&h->world, "stats_request", "");
    const char *tenants[] = { "t1", "t2", "t3", "t4", "t1", "t2" };
    const char *instances[] = { "i1", "i1", "i1", "i1", "i1", "i1" };
    const uint32_t components[] = { 0, 0, 0, 0, 1, 1 };
    const uint64_t requests[] = { 500, 300, 100, 100, 50, 50 };
    harness_stats_reply(h, stats->id, 6, tenants, instances, components,
                        requests);
    const fake_call *create = fake_expect(&h->world, "instance_create",
                                          "type=standard");
    fake_expect_no_call(&h->world);
    return create->id;
}

/* Replies to a statistics request with t1 on i1 (100 requests, none
 * failed) and t3 on i2 (i2_requests, all failed). */
static void reply_stats_i2_failing(harness *h, lb_request_id id,
                                   uint64_t i2_requests)
{
    lb_stats_row rows[] = {
        { .tenant = "t1", .instance = "i1", .component = 0,
          .requests = 100 },
        { .tenant = "t3", .instance = "i2", .component = 0,
          .requests = i2_requests, .errors = i2_requests },
    };
    lb_stats stats = {
        .request_id = id,
        .interval_us = S(10),
        .row_count = 2,
        .rows = rows,
    };
    lb_on_stats_reply(h->controller, &stats);
}

/* Whether any log line's fields contain a byte below 0x20. */
static bool logs_have_control_bytes(const fake_world *world)
{
    for (size_t i = 0; i < world->log_count; i++) {
        for (const char *p = world->logs[i].fields; *p; p++) {
            if ((unsigned char)*p < 0x20) {
                return true;
            }
        }
    }
    return false;
}

static void dropping_after_restart_no_loop(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_one_instance(&h);
    fake_advance_to(&h.world, S(10));

    lb_on_instance_dropping(h.controller, "i1", 20, S(5));
    fake_expect(&h.world, "routes_apply", ROUTES_I1_RESTARTING);
    const fake_call *restart = fake_expect(&h.world, "instance_restart",
                                           "instance=i1");
    lb_on_routes_applied(h.controller, 2);
    fake_advance_to(&h.world, S(20));
    lb_on_instance_restarted(h.controller, restart->id, "i1");
    fake_advance_to(&h.world, S(25));
    lb_on_dfm_ready(h.controller, "i1");
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         "instance=i1 components=dev,dep "
                                         "tenants=t1,t2,t3,t4");
    lb_on_components_started(h.controller, start->id, "i1");
    fake_expect(&h.world, "routes_apply", ROUTES_I1_T1_T4);
    lb_on_routes_applied(h.controller, 3);

    /* Requests sent during the restart time out after it: no restart
     * within dropping_grace_us (15 s) of the activation at 25 s. */
    fake_advance_to(&h.world, S(26));
    lb_on_instance_dropping(h.controller, "i1", 20, S(5));
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "instance_dropping_ignored",
                                     "reason=after_activation"), 1);

    /* Nor within restart_cooldown_us (60 s) of the restart at 10 s. */
    fake_advance_to(&h.world, S(45));
    lb_on_instance_dropping(h.controller, "i1", 20, S(5));
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "instance_dropping_ignored",
                                     "reason=restart_cooldown"), 1);

    /* Still dropping after both: it is restarted again. */
    fake_advance_to(&h.world, S(75));
    lb_on_instance_dropping(h.controller, "i1", 20, S(5));
    fake_expect(&h.world, "routes_apply", ROUTES_I1_RESTARTING);
    fake_expect(&h.world, "instance_restart", "instance=i1");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void lost_ready_probed_with_start(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    h.policy.ready_probe_us = S(30);
    lb_request_id create_id = overload_until_create(&h);

    fake_advance_to(&h.world, S(105));
    lb_on_instance_created(h.controller, create_id, "i2", "10.0.0.2:8080");

    /* dfm_ready is lost: ready_probe_us after the created reply the start
     * goes anyway, and its reply makes the instance active. */
    fake_advance_to(&h.world, S(135) - 1);
    fake_expect_no_call(&h.world);
    fake_advance_to(&h.world, S(135));
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         START_T1_ON_I2);
    fake_expect_no_call(&h.world);
    lb_on_components_started(h.controller, start->id, "i2");
    fake_expect(&h.world, "routes_apply",
                "default=i1 routes=t1/dev=i2,t1/dep=i2,t2/dev=i1,t2/dep=i1,"
                "t3/dev=i1,t3/dep=i1,t4/dev=i1,t4/dep=i1");
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "action=activate instance=i2"), 1);
    harness_destroy(&h);
}

static void unanswered_probe_waits_for_ready(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    h.policy.ready_probe_us = S(30);
    lb_request_id create_id = overload_until_create(&h);
    lb_on_instance_created(h.controller, create_id, "i2", "10.0.0.2:8080");

    /* The probe at 130 s and its retries get no reply until 157 s: the
     * instance keeps booting, not removed, and is probed again at 187 s. */
    fake_advance_to(&h.world, S(130));
    const fake_call *probe = fake_expect(&h.world, "components_start",
                                         START_T1_ON_I2);
    lb_request_id first_id = probe->id;
    fake_advance_to(&h.world, S(187) - 1);
    assert_int_equal(fake_count_logs(&h.world, "ready_probe_unanswered",
                                     NULL), 1);
    assert_int_equal(fake_count_calls(&h.world, "instance_remove"), 0);
    h.world.call_next = h.world.call_count;
    fake_advance_to(&h.world, S(187));
    probe = fake_expect(&h.world, "components_start", START_T1_ON_I2);
    lb_request_id second_id = probe->id;
    assert_true(second_id != first_id);

    /* The late ready sends no second start: the pending probe carries the
     * tenants, and its reply makes the instance active. */
    lb_on_dfm_ready(h.controller, "i2");
    fake_expect_no_call(&h.world);
    lb_on_components_started(h.controller, second_id, "i2");
    fake_expect(&h.world, "routes_apply",
                "default=i1 routes=t1/dev=i2,t1/dep=i2,t2/dev=i1,t2/dep=i1,"
                "t3/dev=i1,t3/dep=i1,t4/dev=i1,t4/dep=i1");
    harness_destroy(&h);
}

static void quiet_crash_found_by_stats(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    h.policy.stats_interval_us = S(10);
    harness_start_two_instances(&h);

    /* Two failed requests and no success are not enough. */
    fake_advance_to(&h.world, S(10));
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    reply_stats_i2_failing(&h, stats->id, 2);
    fake_expect_no_call(&h.world);

    /* Five failed requests and no success: i2 is restarted. */
    fake_advance_to(&h.world, S(20));
    stats = fake_expect(&h.world, "stats_request", "");
    reply_stats_i2_failing(&h, stats->id, 5);
    fake_expect(&h.world, "routes_apply", ROUTES_ALL_ON_I1);
    fake_expect(&h.world, "instance_restart", "instance=i2");
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "reason=stats_errors_only"), 1);
    harness_destroy(&h);
}

static void failover_table_not_held(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));

    lb_on_component_down(h.controller, "i1", 1);
    fake_expect(&h.world, "routes_apply", ROUTES_I1_DEP_DOWN);

    /* 200 ms later, within routes_interval_min_us: sent at once. */
    fake_advance_to(&h.world, S(10) + 200000);
    lb_on_component_down(h.controller, "i1", 0);
    const fake_call *around = fake_expect(&h.world, "routes_apply",
                                          ROUTES_ALL_ON_I2);
    assert_int_equal(around->at_us, S(10) + 200000);

    /* The table at 10 s had no reply when the next replaced it. */
    assert_int_equal(fake_count_logs(&h.world, "request_closed",
                                     "request=routes_apply id=2 version=2 "
                                     "reason=superseded"), 1);
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void dropping_with_component_down_reroutes(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));
    lb_on_component_down(h.controller, "i1", 0);
    fake_expect(&h.world, "routes_apply",
                "default=i2 routes=t1/dev=i2,t1/dep=i1,t2/dev=i2,t2/dep=i1,"
                "t3/dev=i2,t3/dep=i2");
    lb_on_routes_applied(h.controller, 2);

    /* The DFM reported the process down, so it restarts it: NGINX's
     * report within dropping_grace_us (15 s) restarts no instance. */
    fake_advance_to(&h.world, S(12));
    lb_on_instance_dropping(h.controller, "i1", 20, S(5));
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "reason=instance_dropping_component_"
                                     "down"), 1);

    /* Still dropping after it: the instance restarts. */
    fake_advance_to(&h.world, S(26));
    lb_on_instance_dropping(h.controller, "i1", 20, S(5));
    fake_expect(&h.world, "routes_apply", ROUTES_ALL_ON_I2);
    fake_expect(&h.world, "instance_restart", "instance=i1");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void components_started_marks_up(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));
    lb_on_component_down(h.controller, "i1", 1);
    fake_expect(&h.world, "routes_apply", ROUTES_I1_DEP_DOWN);
    lb_on_routes_applied(h.controller, 2);

    /* The DFM came back and its start runs dep again, with no
     * component_up: after component_stable_us dep's tenants return. */
    fake_advance_to(&h.world, S(20));
    lb_on_dfm_ready(h.controller, "i1");
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         "instance=i1 components=dev,dep "
                                         "tenants=t1,t2");
    lb_on_components_started(h.controller, start->id, "i1");
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "action=wait_stable instance=i1 "
                                     "component=dep"), 1);
    fake_advance_to(&h.world, S(50));
    fake_expect(&h.world, "routes_apply", ROUTES_T1_T2_ON_I1_T3_ON_I2);
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void guests_of_failed_instance_movable(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    h.policy.retries_max = 0;
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));

    lb_on_instance_dropping(h.controller, "i1", 20, S(5));
    fake_expect(&h.world, "routes_apply", ROUTES_ALL_ON_I2);
    const fake_call *restart = fake_expect(&h.world, "instance_restart",
                                           "instance=i1");
    lb_on_routes_applied(h.controller, 2);
    lb_on_instance_restart_failed(h.controller, restart->id, "no capacity");
    fake_expect_no_call(&h.world);

    /* i2 carries t1 and t2 of the failed i1 and is overloaded: t1, the
     * largest, moves to a new instance. */
    fake_advance_to(&h.world, S(30));
    harness_overload(&h, "i2", 950, 900, 50);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    const char *tenants[] = { "t1", "t2", "t3" };
    const char *on[] = { "i2", "i2", "i2" };
    const uint32_t components[] = { 0, 0, 0 };
    const uint64_t requests[] = { 500, 300, 100 };
    harness_stats_reply(&h, stats->id, 3, tenants, on, components, requests);
    fake_expect(&h.world, "instance_create", "type=standard");
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "action=scale_out instance=i2 "
                                     "tenants=t1"), 1);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "no_tenant_to_move"), 0);
    harness_destroy(&h);
}

static void cancelled_request_logged_closed(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));

    lb_on_dfm_ready(h.controller, "i1");
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         "instance=i1 components=dev,dep "
                                         "tenants=t1,t2");
    lb_request_id start_id = start->id;
    lb_on_instance_dropping(h.controller, "i1", 20, S(5));
    fake_expect(&h.world, "routes_apply", ROUTES_ALL_ON_I2);
    fake_expect(&h.world, "instance_restart", "instance=i1");

    char needle[96];
    snprintf(needle, sizeof needle,
             "request=components_start id=%llu reason=cancelled",
             (unsigned long long)start_id);
    assert_int_equal(fake_count_logs(&h.world, "request_closed", needle), 1);
    harness_destroy(&h);
}

static void failed_create_backs_off(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    lb_request_id create_id = overload_until_create(&h);

    fake_advance_to(&h.world, S(105));
    lb_on_instance_create_failed(h.controller, create_id, "quota exceeded");
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "action=keep tenants=t1 instance=i1 "
                                     "target=new_instance"), 1);
    assert_int_equal(fake_count_logs(&h.world, "decision", "(creating)"), 0);

    /* Within scale_out_backoff_min_us (30 s): no create. */
    fake_advance_to(&h.world, S(120));
    harness_overload(&h, "i1", 950, 700, 200);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    harness_stats_reply_two(&h, stats->id, 0);
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "reason=scale_out_backoff"), 1);

    /* After it: the create goes out. */
    fake_advance_to(&h.world, S(136));
    harness_overload(&h, "i1", 950, 700, 200);
    stats = fake_expect(&h.world, "stats_request", "");
    harness_stats_reply_two(&h, stats->id, 0);
    fake_expect(&h.world, "instance_create", "type=standard");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void instances_min_created_at_start(void **state)
{
    (void)state;
    harness h;
    static const char *const names[] = { "dev", "dep" };
    static const char *const tenants[] = { "t1", "t2", "t3", "t4" };
    lb_instance_init instances[] = {
        { "i1", "10.0.0.1:8080", DEV_DEP, 4, tenants },
    };

    harness_init(&h);
    h.policy.instances_min = 3;
    lb_config config = { &h.policy, 2, names, 1, instances };
    h.controller = lb_controller_create(&config, &h.ports);
    assert_non_null(h.controller);
    h.world.controller = h.controller;
    lb_controller_start(h.controller);
    fake_expect(&h.world, "routes_apply", ROUTES_I1_T1_T4);
    const fake_call *list = fake_expect(&h.world, "instance_list", "");
    fake_expect_no_call(&h.world);

    /* Once the listing names the foreign instances, two creates follow. */
    lb_instance_info listed[] = { { "ctl0", "" }, { "i1", "" } };
    lb_on_instance_list(h.controller, list->id, 2, listed);
    const fake_call *create = fake_expect(&h.world, "instance_create",
                                          "type=standard");
    lb_request_id create_id = create->id;
    fake_expect(&h.world, "instance_create", "type=standard");
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "reason=instances_min"), 1);

    /* A new instance with no tenant starts anyway: the minimum needs it. */
    lb_on_instance_created(h.controller, create_id, "i5", "10.0.0.5:8080");
    lb_on_dfm_ready(h.controller, "i5");
    fake_expect(&h.world, "components_start",
                "instance=i5 components=dev,dep tenants=");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void emptied_scale_out_removed(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    lb_request_id create_id = overload_until_create(&h);

    /* t1, the only tenant moving, is removed before the DFM is ready. */
    lb_on_tenant_removed(h.controller, "t1");
    fake_expect(&h.world, "routes_apply",
                "default=i1 routes=t2/dev=i1,t2/dep=i1,t3/dev=i1,t3/dep=i1,"
                "t4/dev=i1,t4/dep=i1");
    lb_on_routes_applied(h.controller, 2);
    fake_advance_to(&h.world, S(110));
    lb_on_instance_created(h.controller, create_id, "i2", "10.0.0.2:8080");
    lb_on_dfm_ready(h.controller, "i2");
    fake_expect(&h.world, "instance_remove", "instance=i2");
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_calls(&h.world, "components_start"), 0);
    harness_destroy(&h);
}

static void untrusted_text_escaped(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    lb_request_id create_id = overload_until_create(&h);

    lb_on_instance_create_failed(h.controller, create_id,
                                 "quota\n0.0 info decision action=forged "
                                 "\"x\"");
    lb_on_instance_dropping(h.controller, "x y=z\r", 1, S(1));
    lb_on_tenant_created(h.controller, "bad\ttenant", "i1");
    lb_on_routes_rejected(h.controller, 1, "bad\x1b[2J");
    fake_expect_no_call(&h.world);

    assert_false(logs_have_control_bytes(&h.world));
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "detail=\"quota\\x0a0.0\\x20info"), 1);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "forged\\x20\\\"x\\\"\""), 1);
    assert_int_equal(fake_count_logs(&h.world, "instance_dropping_ignored",
                                     "instance=x\\x20y\\x3dz\\x0d "), 1);
    assert_int_equal(fake_count_logs(&h.world, "tenant_invalid",
                                     "tenant=bad\\x09tenant "), 1);
    assert_int_equal(fake_count_logs(&h.world, "routes_rejected",
                                     "reason=\"bad\\x1b[2J\""), 1);
    harness_destroy(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dropping_after_restart_no_loop),
        cmocka_unit_test(lost_ready_probed_with_start),
        cmocka_unit_test(unanswered_probe_waits_for_ready),
        cmocka_unit_test(quiet_crash_found_by_stats),
        cmocka_unit_test(failover_table_not_held),
        cmocka_unit_test(dropping_with_component_down_reroutes),
        cmocka_unit_test(components_started_marks_up),
        cmocka_unit_test(guests_of_failed_instance_movable),
        cmocka_unit_test(cancelled_request_logged_closed),
        cmocka_unit_test(failed_create_backs_off),
        cmocka_unit_test(instances_min_created_at_start),
        cmocka_unit_test(emptied_scale_out_removed),
        cmocka_unit_test(untrusted_text_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
