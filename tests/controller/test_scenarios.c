/* The controller through the topology's scenarios, step by step, against
 * fake ports: each test checks every request the controller sends, with its
 * arguments, in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static void scenario2_overload_creates_instance(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_one_instance(&h);
    fake_advance_to(&h.world, S(100));

    /* DFM reports the overload, so the LB requests statistics from NGINX. */
    harness_overload(&h, "i1", 950, 700, 200);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    fake_expect_no_call(&h.world);

    /* t1's share is 350 of dev's 700 plus 100 of dep's 200: moving it alone
     * brings i1 from 950 to 500, under the target of 600. */
    harness_stats_reply_t1_heavy(&h, stats->id);
    const fake_call *create = fake_expect(&h.world, "instance_create",
                                          "type=standard");
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "action=scale_out instance=i1 "
                                     "tenants=t1 cpu_permille=950 "
                                     "moved_cpu_permille=450"),
                     1);

    /* The instance is created; only its DFM is up at first. */
    fake_advance_to(&h.world, S(160));
    lb_on_instance_created(h.controller, create->id, "i2", "10.0.0.2:8080");
    fake_expect_no_call(&h.world);
    fake_advance_to(&h.world, S(190));
    lb_on_dfm_ready(h.controller, "i2");
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         "instance=i2 components=dev,dep "
                                         "tenants=t1");
    fake_expect_no_call(&h.world);

    /* Components started: NGINX now sends t1 to i2 and the rest to i1. */
    fake_advance_to(&h.world, S(193));
    lb_on_components_started(h.controller, start->id, "i2");
    const fake_call *routes = fake_expect(
        &h.world, "routes_apply",
        "default=i1 routes=t1/dev=i2,t1/dep=i2,t2/dev=i1,t2/dep=i1,"
        "t3/dev=i1,t3/dep=i1,t4/dev=i1,t4/dep=i1");
    assert_int_equal(routes->id, 2);
    lb_on_routes_applied(h.controller, 2);
    fake_advance_to(&h.world, S(1000));
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void scenario2_overload_moves_to_instance_with_room(void **state)
{
    (void)state;
    harness h;
    const char *tenants_123[] = { "t1", "t2", "t3" };
    const char *tenants_4[] = { "t4" };
    lb_instance_init instances[] = {
        { "i1", "10.0.0.1:8080", DEV_DEP, 3, tenants_123 },
        { "i2", "10.0.0.2:8080", DEV_DEP, 1, tenants_4 },
    };
    harness_init(&h);
    harness_start(&h, instances, 2,
                  "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,"
                  "t2/dep=i1,t3/dev=i1,t3/dep=i1,t4/dev=i2,t4/dep=i2");
    fake_advance_to(&h.world, S(100));

    harness_overload(&h, "i1", 950, 950, 0);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");

    /* i2 serves a tenth of i1's requests: about 95 permille at i1's cost
     * per request, so t1's 475 fits under the target there. */
    const char *tenants[] = { "t1", "t2", "t3", "t4" };
    const char *on[] = { "i1", "i1", "i1", "i2" };
    const uint32_t components[] = { 0, 0, 0, 0 };
    const uint64_t requests[] = { 500, 300, 200, 100 };
    harness_stats_reply(&h, stats->id, 4, tenants, on, components, requests);
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         "instance=i2 components=dev,dep "
                                         "tenants=t1");
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_calls(&h.world, "instance_create"), 0);

    lb_on_components_started(h.controller, start->id, "i2");
    fake_expect(&h.world, "routes_apply",
                "default=i1 routes=t1/dev=i2,t1/dep=i2,t2/dev=i1,t2/dep=i1,"
                "t3/dev=i1,t3/dep=i1,t4/dev=i2,t4/dep=i2");
    lb_on_routes_applied(h.controller, 2);

    /* i1 just shed a tenant: a new report inside the cooldown waits. */
    fake_advance_to(&h.world, S(110));
    harness_overload(&h, "i1", 900, 900, 0);
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "reason=overload_ignored_cooldown"),
                     1);
    harness_destroy(&h);
}

static void scenario3_low_load_drains_and_removes(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(400));

    /* The LB first estimates every instance's load: i2's 100 permille over
     * 50 requests makes i1's 200 requests about 400 permille. */
    harness_low_load(&h, "i2", 100);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    fake_expect_no_call(&h.world);

    /* i2's only tenant fits on i1 (400 + 100 <= 800 - 100): its components
     * start there first. */
    harness_stats_reply_two(&h, stats->id, 50);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "action=drain instance=i2 tenants=t3 "
                                     "cpu_permille=100"), 1);
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         "instance=i1 components=dev,dep "
                                         "tenants=t3");
    fake_expect_no_call(&h.world);

    /* Then NGINX sends everything to i1. */
    lb_on_components_started(h.controller, start->id, "i1");
    fake_expect(&h.world, "routes_apply",
                "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1,"
                "t3/dev=i1,t3/dep=i1");
    fake_expect_no_call(&h.world);

    /* Only once NGINX applied it do i2's components stop, gracefully. */
    fake_advance_to(&h.world, S(401));
    lb_on_routes_applied(h.controller, 2);
    const fake_call *stop = fake_expect(&h.world, "components_stop",
                                        "instance=i2 components=dev,dep "
                                        "deadline_us=431000000");
    fake_expect_no_call(&h.world);

    fake_advance_to(&h.world, S(420));
    lb_on_components_stopped(h.controller, stop->id, "i2", 0);
    const fake_call *remove = fake_expect(&h.world, "instance_remove",
                                          "instance=i2");
    fake_expect_no_call(&h.world);

    fake_advance_to(&h.world, S(480));
    lb_on_instance_removed(h.controller, remove->id, "i2");
    fake_expect_no_call(&h.world);

    /* i1 is the last instance now: its low load changes nothing. */
    fake_advance_to(&h.world, S(2000));
    harness_low_load(&h, "i1", 50);
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "reason=low_load_ignored_instances_min"),
                     1);
    harness_destroy(&h);
}

static void low_load_without_headroom_nothing(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(400));

    /* i1's 200 requests at i2's cost (100 permille over 30 requests) come
     * to about 666 permille: adding t3's 100 passes 800 - 100. */
    harness_low_load(&h, "i2", 100);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    harness_stats_reply_two(&h, stats->id, 30);
    fake_advance_to(&h.world, S(1000));
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "action=none instance=i2 tenants=t3 "
                                     "cpu_permille=100 reason=no_headroom"),
                     1);
    harness_destroy(&h);
}

static void scenario4_component_down_and_back(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));

    /* dep of i1 goes down: t1 and t2 use i2's dep meanwhile. */
    lb_on_component_down(h.controller, "i1", 1);
    fake_expect(&h.world, "routes_apply",
                "default=i1 routes=t1/dev=i1,t1/dep=i2,t2/dev=i1,t2/dep=i2,"
                "t3/dev=i2,t3/dep=i2");
    fake_expect_no_call(&h.world);
    lb_on_routes_applied(h.controller, 2);

    /* DFM restarted it; it must stay up for component_stable_us. */
    fake_advance_to(&h.world, S(20));
    lb_on_component_up(h.controller, "i1", 1);
    fake_expect_no_call(&h.world);
    fake_advance_to(&h.world, S(50) - 1);
    fake_expect_no_call(&h.world);

    fake_advance_to(&h.world, S(50));
    fake_expect(&h.world, "routes_apply", ROUTES_T1_T2_ON_I1_T3_ON_I2);
    fake_expect_no_call(&h.world);
    lb_on_routes_applied(h.controller, 3);
    harness_destroy(&h);
}

static void scenario4_dev_down_moves_default(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));

    /* dev creates tenants, so the default route leaves i1 as well. */
    lb_on_component_down(h.controller, "i1", 0);
    fake_expect(&h.world, "routes_apply",
                "default=i2 routes=t1/dev=i2,t1/dep=i1,t2/dev=i2,t2/dep=i1,"
                "t3/dev=i2,t3/dep=i2");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void scenario5_dropping_instance_restarted(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));

    /* NGINX reports i1 dropping requests: routes move first, then restart. */
    lb_on_instance_dropping(h.controller, "i1", 50, S(10));
    fake_expect(&h.world, "routes_apply",
                "default=i2 routes=t1/dev=i2,t1/dep=i2,t2/dev=i2,t2/dep=i2,"
                "t3/dev=i2,t3/dep=i2");
    const fake_call *restart = fake_expect(&h.world, "instance_restart",
                                           "instance=i1");
    fake_expect_no_call(&h.world);
    lb_on_routes_applied(h.controller, 2);

    /* More notices of the same drops change nothing. */
    lb_on_instance_dropping(h.controller, "i1", 80, S(10));
    fake_expect_no_call(&h.world);

    fake_advance_to(&h.world, S(40));
    lb_on_instance_restarted(h.controller, restart->id, "i1");
    fake_expect_no_call(&h.world);

    /* Ready again: its components start with its tenants, then routes
     * come back. */
    fake_advance_to(&h.world, S(70));
    lb_on_dfm_ready(h.controller, "i1");
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         "instance=i1 components=dev,dep "
                                         "tenants=t1,t2");
    fake_expect_no_call(&h.world);
    lb_on_components_started(h.controller, start->id, "i1");
    fake_expect(&h.world, "routes_apply",
                "default=i2 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1,"
                "t3/dev=i2,t3/dep=i2");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void scenario5_tenants_spread_over_instances(void **state)
{
    (void)state;
    harness h;
    const char *tenants_on_i1[] = { "t1", "t2" };
    const char *tenants_on_i2[] = { "t3" };
    const char *tenants_on_i3[] = { "t4" };
    lb_instance_init instances[] = {
        { "i1", "10.0.0.1:8080", DEV_DEP, 2, tenants_on_i1 },
        { "i2", "10.0.0.2:8080", DEV_DEP, 1, tenants_on_i2 },
        { "i3", "10.0.0.3:8080", DEV_DEP, 1, tenants_on_i3 },
    };
    harness_init(&h);
    harness_start(&h, instances, 3,
                  "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,"
                  "t2/dep=i1,t3/dev=i2,t3/dep=i2,t4/dev=i3,t4/dep=i3");
    fake_advance_to(&h.world, S(10));

    /* Each tenant keeps its components together, and the two tenants go
     * to different instances. */
    lb_on_instance_dropping(h.controller, "i1", 50, S(10));
    fake_expect(&h.world, "routes_apply",
                "default=i2 routes=t1/dev=i2,t1/dep=i2,t2/dev=i3,t2/dep=i3,"
                "t3/dev=i2,t3/dep=i2,t4/dev=i3,t4/dep=i3");
    fake_expect(&h.world, "instance_restart", "instance=i1");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void steady_state_changes_nothing(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);

    fake_advance_to(&h.world, S(3600));
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision", NULL), 0);
    /* The first routing table and the provider listing, nothing since. */
    assert_int_equal(h.world.call_count, 2);
    harness_destroy(&h);
}

static void tenant_created_then_removed(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));

    /* DEV created t9 on i1, which has room: it stays there. */
    lb_on_tenant_created(h.controller, "t9", "i1");
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         "instance=i1 components=dev,dep "
                                         "tenants=t9");
    fake_expect_no_call(&h.world);
    lb_on_components_started(h.controller, start->id, "i1");
    fake_expect(&h.world, "routes_apply",
                "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1,"
                "t3/dev=i2,t3/dep=i2,t9/dev=i1,t9/dep=i1");
    lb_on_routes_applied(h.controller, 2);

    /* The same creation reported twice is one tenant. */
    lb_on_tenant_created(h.controller, "t9", "i1");
    fake_expect_no_call(&h.world);

    fake_advance_to(&h.world, S(20));
    lb_on_tenant_removed(h.controller, "t9");
    fake_expect(&h.world, "routes_apply", ROUTES_T1_T2_ON_I1_T3_ON_I2);
    lb_on_tenant_removed(h.controller, "t9");
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "tenant_unknown", "t9"), 1);
    harness_destroy(&h);
}

static void routes_changes_merged_within_interval(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));

    lb_on_component_down(h.controller, "i1", 1);
    fake_expect(&h.world, "routes_apply",
                "default=i1 routes=t1/dev=i1,t1/dep=i2,t2/dev=i1,t2/dep=i2,"
                "t3/dev=i2,t3/dep=i2");
    lb_on_routes_applied(h.controller, 2);

    /* A second change within routes_interval_min_us (1 s) waits for it,
     * unless it routes around a failure. */
    fake_advance_to(&h.world, S(10) + 200000);
    lb_on_tenant_removed(h.controller, "t3");
    fake_expect_no_call(&h.world);
    fake_advance_to(&h.world, S(11) - 1);
    fake_expect_no_call(&h.world);
    fake_advance_to(&h.world, S(11));
    const fake_call *merged = fake_expect(
        &h.world, "routes_apply",
        "default=i1 routes=t1/dev=i1,t1/dep=i2,t2/dev=i1,t2/dep=i2");
    assert_int_equal(merged->id, 3);
    assert_int_equal(merged->at_us, S(11));
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void tenant_created_on_full_instance(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));

    /* i2 reports 950 permille; its only tenant cannot move, so nothing
     * changes but its load estimate. */
    harness_overload(&h, "i2", 950, 950, 0);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    const char *tenants[] = { "t3" };
    const char *on[] = { "i2" };
    const uint32_t components[] = { 0 };
    const uint64_t requests[] = { 1000 };
    harness_stats_reply(&h, stats->id, 1, tenants, on, components, requests);
    fake_expect_no_call(&h.world);

    /* DEV created t9 on i2, which has no room: t9 goes to i1. */
    lb_on_tenant_created(h.controller, "t9", "i2");
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         "instance=i1 components=dev,dep "
                                         "tenants=t9");
    lb_on_components_started(h.controller, start->id, "i1");
    fake_expect(&h.world, "routes_apply",
                "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1,"
                "t3/dev=i2,t3/dep=i2,t9/dev=i1,t9/dep=i1");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scenario2_overload_creates_instance),
        cmocka_unit_test(scenario2_overload_moves_to_instance_with_room),
        cmocka_unit_test(scenario3_low_load_drains_and_removes),
        cmocka_unit_test(low_load_without_headroom_nothing),
        cmocka_unit_test(scenario4_component_down_and_back),
        cmocka_unit_test(scenario4_dev_down_moves_default),
        cmocka_unit_test(scenario5_dropping_instance_restarted),
        cmocka_unit_test(scenario5_tenants_spread_over_instances),
        cmocka_unit_test(steady_state_changes_nothing),
        cmocka_unit_test(tenant_created_then_removed),
        cmocka_unit_test(routes_changes_merged_within_interval),
        cmocka_unit_test(tenant_created_on_full_instance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
