/* The controller under faults: duplicated, late and lost replies and
 * notifications, failing and slow provider requests, instances that crash
 * at each stage, crash-looping processes, and reports that must not count. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define ROUTES_T1_ON_I2                                                    \
    "default=i1 routes=t1/dev=i2,t1/dep=i2,t2/dev=i1,t2/dep=i1,"           \
    "t3/dev=i1,t3/dep=i1,t4/dev=i1,t4/dep=i1"

/* Runs scenario 2 on one instance up to the create request at 100 s and
 * returns its id. */
static lb_request_id overload_until_create(harness *h)
{
    harness_start_one_instance(h);
    fake_advance_to(&h->world, S(100));
    harness_overload(h, "i1", 950, 700, 200);
    const fake_call *stats = fake_expect(&h->world, "stats_request", "");
    harness_stats_reply_t1_heavy(h, stats->id);
    const fake_call *create = fake_expect(&h->world, "instance_create",
                                          "type=standard");
    fake_expect_no_call(&h->world);
    return create->id;
}

static void duplicated_replies_ignored(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_one_instance(&h);
    fake_advance_to(&h.world, S(100));

    harness_overload(&h, "i1", 950, 700, 200);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    lb_request_id stats_id = stats->id;
    harness_stats_reply_t1_heavy(&h, stats_id);
    harness_stats_reply_t1_heavy(&h, stats_id);
    const fake_call *create = fake_expect(&h.world, "instance_create",
                                          "type=standard");
    lb_request_id create_id = create->id;
    fake_expect_no_call(&h.world);

    lb_on_instance_created(h.controller, create_id, "i2", "10.0.0.2:8080");
    lb_on_instance_created(h.controller, create_id, "i2", "10.0.0.2:8080");
    fake_expect_no_call(&h.world);

    lb_on_dfm_ready(h.controller, "i2");
    lb_on_dfm_ready(h.controller, "i2");
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         START_T1_ON_I2);
    lb_request_id start_id = start->id;
    fake_expect_no_call(&h.world);

    lb_on_components_started(h.controller, start_id, "i2");
    lb_on_components_started(h.controller, start_id, "i2");
    fake_expect(&h.world, "routes_apply", ROUTES_T1_ON_I2);
    fake_expect_no_call(&h.world);

    lb_on_routes_applied(h.controller, 2);
    lb_on_routes_applied(h.controller, 2);
    fake_advance_to(&h.world, S(1000));
    fake_expect_no_call(&h.world);

    assert_int_equal(fake_count_logs(&h.world, "reply_duplicate",
                                     "reply=stats_reply"), 1);
    assert_int_equal(fake_count_logs(&h.world, "reply_duplicate",
                                     "reply=instance_created"), 1);
    assert_int_equal(fake_count_logs(&h.world, "reply_duplicate",
                                     "reply=components_started"), 1);
    assert_int_equal(fake_count_logs(&h.world, "reply_duplicate",
                                     "reply=routes_applied"), 1);
    harness_destroy(&h);
}

static void late_reply_after_retry_counts(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_one_instance(&h);
    fake_advance_to(&h.world, S(100));

    harness_overload(&h, "i1", 950, 700, 200);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    lb_request_id stats_id = stats->id;

    /* No reply within request_timeout_us: the same request goes again
     * after retry_backoff_min_us. */
    fake_advance_to(&h.world, S(105));
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "request_timeout",
                                     "request=stats_request"), 1);
    fake_advance_to(&h.world, S(106));
    const fake_call *again = fake_expect(&h.world, "stats_request", "");
    assert_int_equal(again->id, stats_id);
    assert_int_equal(again->at_us, S(106));

    /* The reply to the first send arrives late and counts. */
    fake_advance_to(&h.world, S(107));
    harness_stats_reply_t1_heavy(&h, stats_id);
    fake_expect(&h.world, "instance_create", "type=standard");
    harness_stats_reply_t1_heavy(&h, stats_id);
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "reply_duplicate",
                                     "reply=stats_reply"), 1);
    harness_destroy(&h);
}

static void stale_reply_ignored(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_one_instance(&h);

    harness_stats_reply(&h, 999, 0, NULL, NULL, NULL, NULL);
    lb_on_components_started(h.controller, 998, "i1");
    lb_on_instance_created(h.controller, 997, "i1", "10.0.0.1:8080");
    lb_on_routes_applied(h.controller, 50);
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "reply_stale", NULL), 4);
    harness_destroy(&h);
}

static void lost_routes_applied_resends_table(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));

    lb_on_component_down(h.controller, "i1", 1);
    const char *rerouted =
        "default=i1 routes=t1/dev=i1,t1/dep=i2,t2/dev=i1,t2/dep=i2,"
        "t3/dev=i2,t3/dep=i2";
    fake_expect(&h.world, "routes_apply", rerouted);

    /* The reply is lost: the same table goes again as version 3. */
    fake_advance_to(&h.world, S(16));
    const fake_call *again = fake_expect(&h.world, "routes_apply", rerouted);
    assert_int_equal(again->id, 3);
    lb_on_routes_applied(h.controller, 3);
    lb_on_routes_applied(h.controller, 2);
    fake_advance_to(&h.world, S(40));
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void lost_component_up_keeps_tenants_away(void **state)
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

    /* Without the up notice nothing goes back to the process. */
    fake_advance_to(&h.world, S(3600));
    fake_expect_no_call(&h.world);

    /* A repeated down notice is a duplicate. */
    lb_on_component_down(h.controller, "i1", 1);
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "notification_duplicate",
                                     "notification=component_down"), 1);
    harness_destroy(&h);
}

static void duplicated_late_notifications_ignored(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(400));

    /* The same low-load report twice gives one statistics request. */
    harness_low_load(&h, "i2", 100);
    harness_low_load(&h, "i2", 100);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    fake_expect_no_call(&h.world);
    harness_stats_reply_two(&h, stats->id, 50);
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         "instance=i1 components=dev,dep "
                                         "tenants=t3");
    lb_request_id start_id = start->id;

    /* While i2 drains, its reports and component notices change nothing. */
    harness_low_load(&h, "i2", 90);
    harness_overload(&h, "i2", 900, 900, 0);
    lb_on_component_down(h.controller, "i2", 0);
    lb_on_component_up(h.controller, "i2", 0);
    fake_expect_no_call(&h.world);

    lb_on_components_started(h.controller, start_id, "i1");
    fake_expect(&h.world, "routes_apply",
                "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1,"
                "t3/dev=i1,t3/dep=i1");
    fake_advance_to(&h.world, S(401));
    lb_on_routes_applied(h.controller, 2);
    const fake_call *stop = fake_expect(&h.world, "components_stop",
                                        "instance=i2 components=dev,dep "
                                        "deadline_us=431000000");
    lb_request_id stop_id = stop->id;
    lb_on_components_stopped(h.controller, stop_id, "i2", 0);
    const fake_call *remove = fake_expect(&h.world, "instance_remove",
                                          "instance=i2");
    lb_request_id remove_id = remove->id;
    lb_on_components_stopped(h.controller, stop_id, "i2", 0);
    lb_on_instance_removed(h.controller, remove_id, "i2");
    lb_on_instance_removed(h.controller, remove_id, "i2");

    /* Notices from i2 that arrive after its removal are ignored. */
    harness_low_load(&h, "i2", 10);
    harness_overload(&h, "i2", 900, 900, 0);
    lb_on_component_up(h.controller, "i2", 1);
    lb_on_instance_dropping(h.controller, "i2", 3, S(5));
    fake_advance_to(&h.world, S(2000));
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "reason=low_load_ignored_stats_pending"),
                     1);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "reason=low_load_ignored_unknown_instance"),
                     1);
    assert_int_equal(fake_count_logs(&h.world, "reply_duplicate", NULL), 2);
    harness_destroy(&h);
}

static void overload_during_scale_out_one_create(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_one_instance(&h);
    fake_advance_to(&h.world, S(100));

    harness_overload(&h, "i1", 950, 700, 200);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    lb_request_id stats_id = stats->id;
    harness_overload(&h, "i1", 960, 700, 200);
    fake_expect_no_call(&h.world);

    harness_stats_reply_t1_heavy(&h, stats_id);
    const fake_call *create = fake_expect(&h.world, "instance_create",
                                          "type=standard");
    lb_request_id create_id = create->id;
    harness_overload(&h, "i1", 970, 700, 200);
    fake_expect_no_call(&h.world);

    fake_advance_to(&h.world, S(150));
    lb_on_instance_created(h.controller, create_id, "i2", "10.0.0.2:8080");
    harness_overload(&h, "i1", 980, 700, 200);
    fake_expect_no_call(&h.world);

    fake_advance_to(&h.world, S(180));
    lb_on_dfm_ready(h.controller, "i2");
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         START_T1_ON_I2);
    lb_request_id start_id = start->id;
    harness_overload(&h, "i1", 990, 700, 200);
    fake_expect_no_call(&h.world);

    lb_on_components_started(h.controller, start_id, "i2");
    fake_expect(&h.world, "routes_apply", ROUTES_T1_ON_I2);
    lb_on_routes_applied(h.controller, 2);
    harness_overload(&h, "i1", 990, 700, 200);
    fake_expect_no_call(&h.world);

    assert_int_equal(fake_count_calls(&h.world, "instance_create"), 1);
    assert_int_equal(fake_count_calls(&h.world, "stats_request"), 1);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "reason=overload_ignored_"), 5);
    harness_destroy(&h);
}

static void create_failed_abandons_scale_out(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    lb_request_id create_id = overload_until_create(&h);

    fake_advance_to(&h.world, S(110));
    lb_on_instance_create_failed(h.controller, create_id, "quota exceeded");
    fake_expect_no_call(&h.world);

    /* Nothing was half done: the next overload starts afresh. */
    fake_advance_to(&h.world, S(200));
    harness_overload(&h, "i1", 950, 700, 200);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    harness_stats_reply_t1_heavy(&h, stats->id);
    const fake_call *create = fake_expect(&h.world, "instance_create",
                                          "type=standard");
    assert_true(create->id != create_id);
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void create_timeout_retries_same_id(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    lb_request_id create_id = overload_until_create(&h);

    /* provider_timeout_us is 120 s, then a backoff of 1 s. */
    fake_advance_to(&h.world, S(221));
    const fake_call *again = fake_expect(&h.world, "instance_create",
                                         "type=standard");
    assert_int_equal(again->id, create_id);
    assert_int_equal(again->at_us, S(221));
    assert_int_equal(fake_count_logs(&h.world, "request_timeout",
                                     "request=instance_create"), 1);

    /* The provider made one instance for both sends. */
    lb_on_instance_created(h.controller, create_id, "i2", "10.0.0.2:8080");
    lb_on_dfm_ready(h.controller, "i2");
    fake_expect(&h.world, "components_start", START_T1_ON_I2);
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void create_reply_lost_adopts_ready_instance(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    lb_request_id create_id = overload_until_create(&h);

    /* The reply is lost, but the new DFM reports ready: it is ours. A
     * listing looks for an instance the create may have made besides. */
    fake_advance_to(&h.world, S(180));
    lb_on_dfm_ready(h.controller, "i2");
    const fake_call *list = fake_expect(&h.world, "instance_list", "");
    lb_instance_info listed[] = { { "ctl0", "" }, { "i1", "" }, { "i2", "" } };
    lb_on_instance_list(h.controller, list->id, 3, listed);
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         START_T1_ON_I2);
    lb_request_id start_id = start->id;
    lb_on_components_started(h.controller, start_id, "i2");
    fake_expect(&h.world, "routes_apply", ROUTES_T1_ON_I2);
    lb_on_routes_applied(h.controller, 2);
    assert_int_equal(fake_count_logs(&h.world, "request_closed",
                                     "request=instance_create id=3 "
                                     "reason=adopted"), 1);

    /* No create retry follows, and a late reply changes nothing. The
     * listing repeats while the lost reply is unsettled. */
    fake_advance_to(&h.world, S(600));
    lb_on_instance_created(h.controller, create_id, "i2", "10.0.0.2:8080");
    for (size_t i = h.world.call_next; i < h.world.call_count; i++) {
        assert_string_equal(h.world.calls[i].kind, "instance_list");
    }
    assert_int_equal(fake_count_calls(&h.world, "instance_create"), 1);
    assert_int_equal(fake_count_calls(&h.world, "instance_remove"), 0);
    harness_destroy(&h);
}

static void create_given_up_unknown_ready_removed(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    h.policy.retries_max = 0;
    lb_request_id create_id = overload_until_create(&h);

    /* Given up after provider_timeout_us: the listing shows nothing new,
     * nor does the one repeated after retry_backoff_min_us. */
    fake_advance_to(&h.world, S(220));
    const fake_call *list = fake_expect(&h.world, "instance_list", "");
    lb_instance_info listed[] = { { "ctl0", "" }, { "i1", "" } };
    lb_on_instance_list(h.controller, list->id, 2, listed);
    fake_expect_no_call(&h.world);
    fake_advance_to(&h.world, S(221));
    list = fake_expect(&h.world, "instance_list", "");
    lb_on_instance_list(h.controller, list->id, 2, listed);
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "listing_given_up", NULL), 1);

    /* Then the instance boots after all: it is removed, not used. */
    fake_advance_to(&h.world, S(300));
    lb_on_dfm_ready(h.controller, "i7");
    const fake_call *remove = fake_expect(&h.world, "instance_remove",
                                          "instance=i7");
    lb_request_id remove_id = remove->id;
    lb_on_instance_created(h.controller, create_id, "i7", "10.0.0.7:8080");
    fake_expect_no_call(&h.world);
    lb_on_instance_removed(h.controller, remove_id, "i7");
    fake_expect_no_call(&h.world);

    /* The control instance from the listing at start is never removed. */
    lb_on_dfm_ready(h.controller, "ctl0");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void create_given_up_listing_removes_orphan(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    h.policy.retries_max = 0;
    overload_until_create(&h);

    fake_advance_to(&h.world, S(220));
    const fake_call *list = fake_expect(&h.world, "instance_list", "");
    lb_instance_info listed[] = {
        { "ctl0", "" }, { "i1", "" }, { "i7", "" },
    };
    lb_on_instance_list(h.controller, list->id, 3, listed);
    fake_expect(&h.world, "instance_remove", "instance=i7");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void new_instance_never_ready_removed(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    lb_request_id create_id = overload_until_create(&h);

    fake_advance_to(&h.world, S(150));
    lb_on_instance_created(h.controller, create_id, "i2", "10.0.0.2:8080");

    /* ready_timeout_us is 300 s from the created reply. */
    fake_advance_to(&h.world, S(450) - 1);
    fake_expect_no_call(&h.world);
    fake_advance_to(&h.world, S(450));
    const fake_call *remove = fake_expect(&h.world, "instance_remove",
                                          "instance=i2");
    lb_request_id remove_id = remove->id;
    fake_expect_no_call(&h.world);
    lb_on_instance_removed(h.controller, remove_id, "i2");

    /* t1 never left i1, and a later overload may scale out again. */
    fake_advance_to(&h.world, S(500));
    harness_overload(&h, "i1", 950, 700, 200);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    harness_stats_reply_t1_heavy(&h, stats->id);
    fake_expect(&h.world, "instance_create", "type=standard");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void restarted_instance_crashes_while_booting(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));

    lb_on_instance_dropping(h.controller, "i1", 50, S(10));
    const char *on_i2 =
        "default=i2 routes=t1/dev=i2,t1/dep=i2,t2/dev=i2,t2/dep=i2,"
        "t3/dev=i2,t3/dep=i2";
    fake_expect(&h.world, "routes_apply", on_i2);
    const fake_call *restart = fake_expect(&h.world, "instance_restart",
                                           "instance=i1");
    lb_request_id restart_id = restart->id;
    lb_on_routes_applied(h.controller, 2);
    lb_on_instance_restarted(h.controller, restart_id, "i1");

    /* It never becomes ready: its tenants stay on i2, and it is restarted
     * again restart_cooldown_us (60 s) after the give-up at 310 s. */
    fake_advance_to(&h.world, S(370) - 1);
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "action=give_up instance=i1 failures=1 "
                                     "restart_in_us=60000000 "
                                     "reason=ready_timeout"), 1);
    fake_advance_to(&h.world, S(370));
    fake_expect(&h.world, "instance_restart", "instance=i1");
    fake_expect_no_call(&h.world);

    /* It boots after all, before the restart's reply: the restart counts
     * as done, its components start, then its tenants return. */
    lb_on_dfm_ready(h.controller, "i1");
    assert_int_equal(fake_count_logs(&h.world, "request_closed",
                                     "request=instance_restart id=3 "
                                     "reason=superseded"), 1);
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

static void crash_while_starting_components(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    lb_request_id create_id = overload_until_create(&h);

    lb_on_instance_created(h.controller, create_id, "i2", "10.0.0.2:8080");
    fake_advance_to(&h.world, S(130));
    lb_on_dfm_ready(h.controller, "i2");
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         START_T1_ON_I2);
    lb_request_id start_id = start->id;

    /* Each timeout (5 s) is followed by a retry after a backoff that
     * doubles: 1 s, 2 s, 4 s. */
    const lb_time_t retry_at_us[] = { S(136), S(143), S(152) };
    for (size_t i = 0; i < 3; i++) {
        fake_advance_to(&h.world, retry_at_us[i]);
        const fake_call *again = fake_expect(&h.world, "components_start",
                                             START_T1_ON_I2);
        assert_int_equal(again->id, start_id);
        assert_int_equal(again->at_us, retry_at_us[i]);
    }

    /* The last try times out too: the instance goes, t1 stays on i1. */
    fake_advance_to(&h.world, S(157));
    fake_expect(&h.world, "instance_remove", "instance=i2");
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_calls(&h.world, "routes_apply"), 1);
    harness_destroy(&h);
}

/* Drives scenario 3 up to the stop request at 401 s and returns its id. */
static lb_request_id drain_until_stop(harness *h)
{
    harness_start_two_instances(h);
    fake_advance_to(&h->world, S(400));
    harness_low_load(h, "i2", 100);
    const fake_call *stats = fake_expect(&h->world, "stats_request", "");
    harness_stats_reply_two(h, stats->id, 50);
    const fake_call *start = fake_expect(&h->world, "components_start",
                                         "instance=i1 components=dev,dep "
                                         "tenants=t3");
    lb_on_components_started(h->controller, start->id, "i1");
    fake_expect(&h->world, "routes_apply",
                "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1,"
                "t3/dev=i1,t3/dep=i1");
    fake_advance_to(&h->world, S(401));
    lb_on_routes_applied(h->controller, 2);
    const fake_call *stop = fake_expect(&h->world, "components_stop",
                                        "instance=i2 components=dev,dep "
                                        "deadline_us=431000000");
    fake_expect_no_call(&h->world);
    return stop->id;
}

static void crash_while_draining_still_removed(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    h.policy.retries_max = 0;
    drain_until_stop(&h);

    /* Its DFM died: no stopped reply, and no restart counts either. */
    fake_advance_to(&h.world, S(410));
    lb_on_dfm_ready(h.controller, "i2");
    lb_on_component_down(h.controller, "i2", 0);
    lb_on_instance_dropping(h.controller, "i2", 5, S(10));
    fake_expect_no_call(&h.world);

    /* stop_grace_us plus request_timeout_us after the stop. */
    fake_advance_to(&h.world, S(436));
    fake_expect(&h.world, "instance_remove", "instance=i2");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void remove_given_up_listing_retries(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    h.policy.retries_max = 0;
    lb_request_id stop_id = drain_until_stop(&h);

    fake_advance_to(&h.world, S(420));
    lb_on_components_stopped(h.controller, stop_id, "i2", 0);
    fake_expect(&h.world, "instance_remove", "instance=i2");

    /* No reply within provider_timeout_us: the listing still shows i2, so
     * it is removed again. The control instance is left alone. */
    fake_advance_to(&h.world, S(540));
    const fake_call *list = fake_expect(&h.world, "instance_list", "");
    lb_instance_info listed[] = {
        { "ctl0", "" }, { "i1", "" }, { "i2", "" },
    };
    lb_on_instance_list(h.controller, list->id, 3, listed);
    fake_expect(&h.world, "instance_remove", "instance=i2");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void routes_rejected_sent_again(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    fake_advance_to(&h.world, S(10));

    lb_on_component_down(h.controller, "i1", 1);
    const char *rerouted =
        "default=i1 routes=t1/dev=i1,t1/dep=i2,t2/dev=i1,t2/dep=i2,"
        "t3/dev=i2,t3/dep=i2";
    fake_expect(&h.world, "routes_apply", rerouted);
    lb_on_routes_rejected(h.controller, 2, "configuration test failed");
    fake_expect_no_call(&h.world);

    fake_advance_to(&h.world, S(11));
    const fake_call *again = fake_expect(&h.world, "routes_apply", rerouted);
    assert_int_equal(again->id, 3);
    lb_on_routes_applied(h.controller, 3);

    /* A late rejection of the old version changes nothing. */
    lb_on_routes_rejected(h.controller, 2, "configuration test failed");
    fake_advance_to(&h.world, S(60));
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void crash_loop_not_routed_back(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    const char *rerouted =
        "default=i1 routes=t1/dev=i1,t1/dep=i2,t2/dev=i1,t2/dep=i2,"
        "t3/dev=i2,t3/dep=i2";

    /* Down and up three times, 10 s apart: one reroute only. */
    for (int i = 0; i < 3; i++) {
        fake_advance_to(&h.world, S(10 + 20 * i));
        lb_on_component_down(h.controller, "i1", 1);
        if (i == 0) {
            fake_expect(&h.world, "routes_apply", rerouted);
            lb_on_routes_applied(h.controller, 2);
        }
        fake_expect_no_call(&h.world);
        fake_advance_to(&h.world, S(20 + 20 * i));
        lb_on_component_up(h.controller, "i1", 1);
        fake_expect_no_call(&h.world);
    }

    /* The third down within crash_loop_window_us makes it a crash loop:
     * component_stable_us is not enough, crash_loop_stable_us is. */
    fake_advance_to(&h.world, S(60 + 300));
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "downs=3 stable_us=600000000 "
                                     "reason=crash_loop"), 1);
    fake_advance_to(&h.world, S(60 + 600));
    fake_expect(&h.world, "routes_apply", ROUTES_T1_T2_ON_I1_T3_ON_I2);
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void low_load_last_instance_nothing(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_one_instance(&h);
    fake_advance_to(&h.world, S(1000));

    harness_low_load(&h, "i1", 10);
    fake_advance_to(&h.world, S(2000));
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "reason=low_load_ignored_instances_min"),
                     1);
    harness_destroy(&h);
}

static void draining_never_chosen_for_placement(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    const char *tenants_on_i1[] = { "t1", "t2", "t3" };
    const char *tenants_on_i2[] = { "t4" };
    const char *tenants_on_i3[] = { "t5" };
    lb_instance_init instances[] = {
        { "i1", "10.0.0.1:8080", DEV_DEP, 3, tenants_on_i1 },
        { "i2", "10.0.0.2:8080", DEV_DEP, 1, tenants_on_i2 },
        { "i3", "10.0.0.3:8080", DEV_DEP, 1, tenants_on_i3 },
    };
    harness_start(&h, instances, 3,
                  "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,"
                  "t2/dep=i1,t3/dev=i1,t3/dep=i1,t4/dev=i2,t4/dep=i2,"
                  "t5/dev=i3,t5/dep=i3");
    fake_advance_to(&h.world, S(400));

    /* i2 starts draining: with no requests seen, every estimate stays 0
     * and t4 goes to i1, the first of the least loaded receivers. */
    harness_low_load(&h, "i2", 10);
    const fake_call *low_stats = fake_expect(&h.world, "stats_request", "");
    harness_stats_reply(&h, low_stats->id, 0, NULL, NULL, NULL, NULL);
    fake_expect(&h.world, "components_start",
                "instance=i1 components=dev,dep tenants=t4");

    /* i1 overloads meanwhile. i2 has the lowest load but is draining: t1
     * goes to i3, whose estimate comes from its requests. */
    harness_overload(&h, "i1", 950, 950, 0);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    const char *tenants[] = { "t1", "t2", "t3", "t5" };
    const char *on[] = { "i1", "i1", "i1", "i3" };
    const uint32_t components[] = { 0, 0, 0, 0 };
    const uint64_t requests[] = { 500, 300, 200, 100 };
    harness_stats_reply(&h, stats->id, 4, tenants, on, components, requests);
    fake_expect(&h.world, "components_start",
                "instance=i3 components=dev,dep tenants=t1");

    /* A tenant that DEV created on the draining instance goes to the least
     * loaded instance that takes tenants (i3 at 95), not to i2 at 10. */
    lb_on_tenant_created(h.controller, "t9", "i2");
    const fake_call *placed = fake_expect(&h.world, "components_start",
                                          "instance=i3 components=dev,dep "
                                          "tenants=t9");
    assert_non_null(placed);
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void warmup_reports_ignored(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    lb_request_id create_id = overload_until_create(&h);

    lb_on_instance_created(h.controller, create_id, "i2", "10.0.0.2:8080");
    lb_on_dfm_ready(h.controller, "i2");
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         START_T1_ON_I2);
    fake_advance_to(&h.world, S(103));
    lb_on_components_started(h.controller, start->id, "i2");
    fake_expect(&h.world, "routes_apply", ROUTES_T1_ON_I2);
    lb_on_routes_applied(h.controller, 2);

    /* warmup_us is 60 s from the start: the burn of a fresh start is
     * neither overload nor low load. */
    fake_advance_to(&h.world, S(130));
    harness_overload(&h, "i2", 990, 990, 0);
    harness_low_load(&h, "i2", 5);
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "reason=overload_ignored_warmup"), 1);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "reason=low_load_ignored_warmup"), 1);

    /* After the warm-up an overload counts. */
    fake_advance_to(&h.world, S(164));
    harness_overload(&h, "i2", 990, 990, 0);
    fake_expect(&h.world, "stats_request", "");
    harness_destroy(&h);
}

static void send_failure_retried(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_one_instance(&h);
    fake_advance_to(&h.world, S(100));

    /* The provider adapter cannot send at all: that counts as a timeout
     * now, and the create goes again after the backoff. */
    harness_overload(&h, "i1", 950, 700, 200);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    h.world.send_result = -EIO;
    harness_stats_reply_t1_heavy(&h, stats->id);
    const fake_call *create = fake_expect(&h.world, "instance_create",
                                          "type=standard");
    lb_request_id create_id = create->id;
    h.world.send_result = 0;
    fake_advance_to(&h.world, S(101));
    const fake_call *again = fake_expect(&h.world, "instance_create",
                                         "type=standard");
    assert_int_equal(again->id, create_id);
    assert_int_equal(fake_count_logs(&h.world, "request_send_failed",
                                     "request=instance_create"), 1);
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void tenant_waits_for_active_instance(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_one_instance(&h);
    fake_advance_to(&h.world, S(10));

    /* The only instance restarts: no instance can take anything now. */
    lb_on_instance_dropping(h.controller, "i1", 50, S(10));
    fake_expect(&h.world, "routes_apply",
                "default=- routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1,"
                "t3/dev=i1,t3/dep=i1,t4/dev=i1,t4/dep=i1");
    const fake_call *restart = fake_expect(&h.world, "instance_restart",
                                           "instance=i1");
    lb_request_id restart_id = restart->id;
    assert_int_equal(fake_count_logs(&h.world, "routes_missing",
                                     "routes=8 first=t1/dev"), 1);
    lb_on_routes_applied(h.controller, 2);
    lb_on_tenant_created(h.controller, "t9", "i1");
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "decision",
                                     "tenant=t9 instance=- created_on=i1"), 1);

    /* Once i1 is active again, t9 is placed on it. */
    lb_on_instance_restarted(h.controller, restart_id, "i1");
    lb_on_dfm_ready(h.controller, "i1");
    const fake_call *start = fake_expect(&h.world, "components_start",
                                         "instance=i1 components=dev,dep "
                                         "tenants=t1,t2,t3,t4");
    lb_on_components_started(h.controller, start->id, "i1");
    const fake_call *place = fake_expect(&h.world, "components_start",
                                         "instance=i1 components=dev,dep "
                                         "tenants=t9");
    lb_request_id place_id = place->id;
    fake_expect_no_call(&h.world);

    /* The table sent at 10 s delays the route back until 11 s. */
    fake_advance_to(&h.world, S(11));
    const fake_call *back = fake_expect(&h.world, "routes_apply",
                                        ROUTES_I1_T1_T4);
    assert_int_equal(back->at_us, S(11));
    fake_advance_to(&h.world, S(12));
    lb_on_components_started(h.controller, place_id, "i1");
    fake_expect(&h.world, "routes_apply",
                "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1,"
                "t3/dev=i1,t3/dep=i1,t4/dev=i1,t4/dep=i1,t9/dev=i1,"
                "t9/dep=i1");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

static void invalid_inputs_logged(void **state)
{
    (void)state;
    harness h;
    harness_init(&h);
    harness_start_two_instances(&h);
    char long_id[LB_ID_LEN_MAX + 2];
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';

    harness_overload(&h, NULL, 990, 990, 0);
    harness_low_load(&h, "nope", 5);
    lb_on_dfm_ready(h.controller, long_id);
    lb_on_dfm_ready(h.controller, NULL);
    lb_on_instance_created(h.controller, 77, NULL, NULL);
    lb_on_component_down(h.controller, "i1", 7);
    lb_on_component_up(h.controller, NULL, 0);
    lb_on_instance_dropping(h.controller, NULL, 1, S(1));
    lb_on_tenant_created(h.controller, NULL, "i1");
    lb_on_tenant_created(h.controller, long_id, "i1");
    lb_on_tenant_removed(h.controller, NULL);
    fake_expect_no_call(&h.world);
    assert_int_equal(fake_count_logs(&h.world, "reply_invalid", NULL), 3);
    assert_int_equal(fake_count_logs(&h.world, "tenant_invalid", NULL), 2);
    assert_int_equal(fake_count_logs(&h.world, "component_down_ignored",
                                     "reason=component_not_on_instance"), 1);
    harness_destroy(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(duplicated_replies_ignored),
        cmocka_unit_test(late_reply_after_retry_counts),
        cmocka_unit_test(stale_reply_ignored),
        cmocka_unit_test(lost_routes_applied_resends_table),
        cmocka_unit_test(lost_component_up_keeps_tenants_away),
        cmocka_unit_test(duplicated_late_notifications_ignored),
        cmocka_unit_test(overload_during_scale_out_one_create),
        cmocka_unit_test(create_failed_abandons_scale_out),
        cmocka_unit_test(create_timeout_retries_same_id),
        cmocka_unit_test(create_reply_lost_adopts_ready_instance),
        cmocka_unit_test(create_given_up_unknown_ready_removed),
        cmocka_unit_test(create_given_up_listing_removes_orphan),
        cmocka_unit_test(new_instance_never_ready_removed),
        cmocka_unit_test(restarted_instance_crashes_while_booting),
        cmocka_unit_test(crash_while_starting_components),
        cmocka_unit_test(crash_while_draining_still_removed),
        cmocka_unit_test(remove_given_up_listing_retries),
        cmocka_unit_test(routes_rejected_sent_again),
        cmocka_unit_test(crash_loop_not_routed_back),
        cmocka_unit_test(low_load_last_instance_nothing),
        cmocka_unit_test(draining_never_chosen_for_placement),
        cmocka_unit_test(warmup_reports_ignored),
        cmocka_unit_test(send_failure_retried),
        cmocka_unit_test(tenant_waits_for_active_instance),
        cmocka_unit_test(invalid_inputs_logged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
