/* Unit tests of the expectation checker on hand-made message traces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_check.h"
#include "sim_invariants.h"
#include "sim_match.h"

static void record_add(sim_record *record, sim_time_t at_us, const char *from,
                       const char *to, const char *kind, uint64_t request_id,
                       const char *fields)
{
    sim_msg msg = {at_us, from, to, kind, request_id, fields,
                   SIM_MSG_DELIVERED};

    assert_int_equal(sim_record_msg(record, &msg), 0);
}

/* The conversation of a scale-out, with unrelated messages in between. */
static void record_scale_out(sim_record *record)
{
    sim_record_init(record, SIM_S(1));
    record_add(record, SIM_S(10), "dfm/i1", "lb", "overload", 0,
               "instance=i1 cpu_permille=930 window_us=5000000 "
               "procs=dev:830,dep:100");
    record_add(record, SIM_S(10) + 1000, "lb", "nginx", "stats_request", 4,
               "");
    record_add(record, SIM_S(10) + 2000, "nginx", "lb", "stats_reply", 4,
               "requests=100");
    record_add(record, SIM_S(11), "lb", "provider", "instance_create", 5,
               "type=standard");
    record_add(record, SIM_S(12), "lb", "nginx", "stats_request", 6, "");
    record_add(record, SIM_S(31), "provider", "lb", "instance_created", 5,
               "instance=i2 address=i2");
    record_add(record, SIM_S(41), "dfm/i2", "lb", "dfm_ready", 0,
               "instance=i2");
    record_add(record, SIM_S(41) + 1000, "lb", "dfm/i2", "components_start",
               7, "instance=i2 components=dev tenants=t3,t4");
    record_add(record, SIM_S(43), "dfm/i2", "lb", "components_started", 7,
               "instance=i2");
    record_add(record, SIM_S(43) + 1000, "lb", "nginx", "routes_apply", 0,
               "version=3 default=i1 routes=t1/dev:i1,t3/dev:i2,t4/dev:i2");
    record_add(record, SIM_S(43) + 2000, "nginx", "lb", "routes_applied", 0,
               "version=3");
}

static sim_field_match field(const char *key, sim_field_op op,
                             const char *text)
{
    sim_field_match match = {.key = key, .op = op, .text = text};

    return match;
}

typedef struct scale_out_steps {
    sim_field_match overload[2];
    sim_field_match create[1];
    sim_field_match created[2];
    sim_field_match start[3];
    sim_field_match started[1];
    sim_field_match routes[1];
    const char *tenants[2];
    const char *routes_items[2];
    sim_step steps[6];
    sim_expect expect;
} scale_out_steps;

static void steps_scale_out(scale_out_steps *s)
{
    memset(s, 0, sizeof(*s));
    s->overload[0] = field("instance", SIM_FIELD_EQUAL, "i1");
    s->overload[1] = field("cpu_permille", SIM_FIELD_GREATER_EQUAL, ">=800");
    s->overload[1].number = 800;
    s->create[0] = field("request_id", SIM_FIELD_VARIABLE, "$create");
    s->created[0] = field("request_id", SIM_FIELD_VARIABLE, "$create");
    s->created[1] = field("instance", SIM_FIELD_VARIABLE, "$new");
    s->tenants[0] = "t3";
    s->tenants[1] = "t4";
    s->start[0] = field("request_id", SIM_FIELD_VARIABLE, "$start");
    s->start[1] = field("tenants", SIM_FIELD_SET, NULL);
    s->start[1].items = s->tenants;
    s->start[1].item_count = 2;
    s->start[2] = field("components", SIM_FIELD_EQUAL, "dev");
    s->started[0] = field("request_id", SIM_FIELD_VARIABLE, "$start");
    s->routes_items[0] = "t3/dev:$new";
    s->routes_items[1] = "t4/dev:$new";
    s->routes[0] = field("routes", SIM_FIELD_CONTAINS, NULL);
    s->routes[0].items = s->routes_items;
    s->routes[0].item_count = 2;

    sim_step steps[6] = {
        {"overload of i1", {"dfm/i1", "lb", "overload", 0, 2, s->overload},
         SIM_NO_DEADLINE, SIM_NO_DEADLINE, 0, 10},
        {"create instance", {"lb", "provider", "instance_create", 0, 1,
                             s->create},
         SIM_S(5), SIM_NO_DEADLINE, 0, 20},
        {"instance created", {"provider", "lb", "instance_created", 0, 2,
                              s->created},
         SIM_S(60), SIM_NO_DEADLINE, 0, 30},
        {"start components", {"lb", "dfm/$new", "components_start", 0, 3,
                              s->start},
         SIM_S(30), SIM_NO_DEADLINE, 0, 40},
        {"components started", {"dfm/$new", "lb", "components_started", 0,
                                 1, s->started},
         SIM_S(5), SIM_NO_DEADLINE, 0, 50},
        {"routes applied", {"lb", "nginx", "routes_apply", 0, 1, s->routes},
         SIM_S(5), SIM_NO_DEADLINE, 0, 60},
    };
    memcpy(s->steps, steps, sizeof(steps));
    s->expect.steps = s->steps;
    s->expect.step_count = 6;
}

static void sequence_in_order_passes(void **state)
{
    scale_out_steps s;
    sim_record record;
    sim_check check = {0};
    sim_verdict verdicts[6];

    (void)state;
    record_scale_out(&record);
    steps_scale_out(&s);
    assert_int_equal(sim_check_sequence(&check, &s.expect, &record, verdicts),
                     0);
    for (size_t i = 0; i < 6; i++) {
        assert_true(verdicts[i].passed);
        assert_false(verdicts[i].skipped);
    }
    assert_string_equal(verdicts[0].name, "step 1: overload of i1");
    assert_string_equal(verdicts[5].name, "step 6: routes applied");
    assert_int_equal(check.steps_seen, 6);
    sim_check_deinit(&check);
    sim_record_deinit(&record);
}

static void sequence_missing_step_named(void **state)
{
    scale_out_steps s;
    sim_record record;
    sim_check check = {0};
    sim_verdict verdicts[6];

    (void)state;
    record_scale_out(&record);
    steps_scale_out(&s);
    /* The start went to other tenants: step 4 must fail on its field. */
    s.tenants[1] = "t5";
    assert_int_equal(sim_check_sequence(&check, &s.expect, &record, verdicts),
                     0);
    assert_true(verdicts[2].passed);
    assert_false(verdicts[3].passed);
    assert_false(verdicts[3].skipped);
    assert_non_null(strstr(verdicts[3].summary, "step 4 'start components'"));
    assert_non_null(strstr(verdicts[3].detail,
                           "last matching step: 3 'instance created'"));
    assert_non_null(strstr(verdicts[3].detail, "field tenants"));
    assert_non_null(strstr(verdicts[3].detail, "deadline: 61s"));
    assert_true(verdicts[4].skipped);
    assert_false(verdicts[4].passed);
    assert_non_null(strstr(verdicts[5].summary, "not checked"));
    sim_check_deinit(&check);
    sim_record_deinit(&record);
}

static void sequence_late_step_fails(void **state)
{
    scale_out_steps s;
    sim_record record;
    sim_check check = {0};
    sim_verdict verdicts[6];

    (void)state;
    record_scale_out(&record);
    steps_scale_out(&s);
    s.steps[4].within_us = SIM_S(1);
    assert_int_equal(sim_check_sequence(&check, &s.expect, &record, verdicts),
                     0);
    assert_false(verdicts[4].passed);
    assert_non_null(strstr(verdicts[4].summary, "'components started'"));
    assert_non_null(strstr(verdicts[4].summary, "came at 43s"));
    assert_non_null(strstr(verdicts[4].detail, "-- deadline --"));
    sim_check_deinit(&check);
    sim_record_deinit(&record);
}

static void variable_binds_once(void **state)
{
    scale_out_steps s;
    sim_record record;
    sim_check check = {0};
    sim_verdict verdicts[6];

    (void)state;
    record_scale_out(&record);
    steps_scale_out(&s);
    /* $new is i2 from step 3, so components_start to dfm/i2 matches, but a
     * rule that wants the reply from another instance must fail. */
    s.steps[4].pattern.from = "dfm/i9";
    assert_int_equal(sim_check_sequence(&check, &s.expect, &record, verdicts),
                     0);
    assert_true(verdicts[3].passed);
    assert_false(verdicts[4].passed);
    assert_non_null(strstr(verdicts[4].summary, "step 5"));
    assert_non_null(strstr(verdicts[4].detail, "from: expected dfm/i9"));
    sim_check_deinit(&check);
    sim_record_deinit(&record);
}

static void each_step_one_expectation(void **state)
{
    scale_out_steps s;
    sim_record record;
    sim_metrics metrics = {0};
    sim_check check;

    (void)state;
    record_scale_out(&record);
    steps_scale_out(&s);
    s.tenants[1] = "t5";
    for (size_t i = 0; i < SIM_INVARIANT_COUNT; i++) {
        s.expect.invariant_on[i] = false;
    }
    assert_int_equal(sim_check_run(&check, &s.expect, &record, &metrics), 0);
    assert_int_equal(check.count, 6);
    assert_int_equal(check.failed, 1);
    assert_int_equal(check.skipped, 2);
    assert_string_equal(check.verdicts[3].name, "step 4: start components");
    sim_check_deinit(&check);
    sim_record_deinit(&record);
}

static void lost_message_not_matched(void **state)
{
    sim_record record;
    sim_msg msg = {SIM_S(1), "dfm/i2", "lb", "components_started", 7,
                   "instance=i2", SIM_MSG_LOST};
    sim_msg_pattern pattern = {.kind = "components_started"};
    sim_bindings bindings = {0};

    (void)state;
    sim_record_init(&record, SIM_S(1));
    assert_int_equal(sim_record_msg(&record, &msg), 0);
    assert_false(sim_match_msg(&pattern, &record.msgs[0], &bindings, NULL));
    pattern.fate = SIM_FATE_MATCH_LOST;
    assert_true(sim_match_msg(&pattern, &record.msgs[0], &bindings, NULL));
    pattern.fate = SIM_FATE_MATCH_ANY;
    assert_true(sim_match_msg(&pattern, &record.msgs[0], &bindings, NULL));
    sim_record_deinit(&record);
}

static void never_and_bounds_judged(void **state)
{
    sim_record record;
    sim_metrics metrics = {0};
    sim_check check;
    sim_never nevers[2] = {
        {"one create only", {.from = "lb", .kind = "instance_create"},
         SIM_S(12), SIM_NO_DEADLINE},
        {"no early create", {.from = "lb", .kind = "instance_create"}, 0,
         SIM_S(12)},
    };
    sim_metric_bound bounds[2] = {
        {"failed_requests_max", SIM_METRIC_FAILED_REQUESTS, true, 0},
        {"instances_min", SIM_METRIC_INSTANCES, false, 2},
    };
    sim_expect expect = {.nevers = nevers, .never_count = 2,
                         .bounds = bounds, .bound_count = 2};

    (void)state;
    record_scale_out(&record);
    metrics.failed_requests = 0;
    metrics.instances_min = 1;
    assert_int_equal(sim_check_run(&check, &expect, &record, &metrics), 0);
    assert_int_equal(check.count, 4);
    assert_true(check.verdicts[0].passed);
    assert_false(check.verdicts[1].passed);
    assert_string_equal(check.verdicts[1].name, "never: no early create");
    assert_true(check.verdicts[2].passed);
    assert_false(check.verdicts[3].passed);
    assert_non_null(strstr(check.verdicts[3].summary, "at least 2"));
    assert_int_equal(check.failed, 2);
    sim_check_deinit(&check);
    sim_record_deinit(&record);
}

static void invariants_switch_off(void **state)
{
    sim_record record;
    sim_metrics metrics = {0};
    sim_check check;
    sim_expect expect = {0};

    (void)state;
    sim_record_init(&record, SIM_S(1));
    assert_int_equal(sim_record_violation(&record, SIM_S(3),
                                          "route_to_running",
                                          "tenant=t1 instance=i1"),
                     0);
    assert_int_equal(sim_record_violation(&record, SIM_S(4), "brand_new",
                                          "x=1"),
                     0);
    for (size_t i = 0; i < SIM_INVARIANT_COUNT; i++) {
        expect.invariant_on[i] = true;
    }
    assert_int_equal(sim_check_run(&check, &expect, &record, &metrics), 0);
    /* Five known invariants plus the unknown one the world reported. */
    assert_int_equal(check.count, SIM_INVARIANT_COUNT + 1);
    assert_int_equal(check.failed, 2);
    assert_non_null(strstr(check.verdicts[0].detail, "tenant=t1"));
    sim_check_deinit(&check);

    expect.invariant_on[sim_invariant_index("route_to_running")] = false;
    assert_int_equal(sim_check_run(&check, &expect, &record, &metrics), 0);
    assert_int_equal(check.failed, 1);
    sim_check_deinit(&check);
    sim_record_deinit(&record);
}

static void actions_read_from_trace(void **state)
{
    sim_record record;
    sim_action *actions;
    size_t count;
    sim_metrics metrics;

    (void)state;
    record_scale_out(&record);
    /* A retry of the same create counts once. */
    record_add(&record, SIM_S(50), "lb", "provider", "instance_create", 5,
               "type=standard");
    assert_int_equal(sim_actions_collect(&record, &actions, &count), 0);
    assert_int_equal(count, 2);
    assert_int_equal(actions[0].kind, SIM_ACTION_SCALE_OUT);
    assert_string_equal(actions[0].instance, "i2");
    assert_int_equal(actions[1].kind, SIM_ACTION_ROUTE_CHANGE);
    assert_int_equal(actions[1].request_id, 3);
    free(actions);
    assert_int_equal(sim_metrics_compute(&record, &metrics), 0);
    assert_int_equal(metrics.scale_outs, 1);
    assert_int_equal(metrics.route_changes, 1);
    sim_record_deinit(&record);
}

static lb_policy policy_with_timeouts(void)
{
    lb_policy policy;

    lb_policy_defaults(&policy);
    policy.request_timeout_us = SIM_S(5);
    policy.provider_timeout_us = SIM_S(20);
    return policy;
}

static size_t violations_named(const sim_record *record, const char *name)
{
    size_t count = 0;

    for (size_t i = 0; i < record->violation_count; i++) {
        count += strcmp(record->violations[i].name, name) == 0;
    }
    return count;
}

static void unanswered_request_found(void **state)
{
    lb_policy policy = policy_with_timeouts();
    sim_record record;

    (void)state;
    record_scale_out(&record);
    /* stats_request #6 at 12s has no reply and no timeout in the log. */
    assert_int_equal(sim_invariants_check_trace(&record, &policy, SIM_S(60)),
                     0);
    assert_int_equal(violations_named(&record, "requests_answered"), 1);
    assert_non_null(strstr(record.violations[0].detail,
                           "request=stats_request id=6"));
    sim_record_deinit(&record);
}

static void timed_out_request_accepted(void **state)
{
    lb_policy policy = policy_with_timeouts();
    sim_record record;

    (void)state;
    record_scale_out(&record);
    assert_int_equal(sim_record_log(&record, SIM_S(17), LB_LOG_WARN,
                                    "request_timeout",
                                    "request=stats_request id=6 attempt=1"),
                     0);
    assert_int_equal(sim_invariants_check_trace(&record, &policy, SIM_S(60)),
                     0);
    assert_int_equal(violations_named(&record, "requests_answered"), 0);
    sim_record_deinit(&record);
}

static void request_pending_at_end_accepted(void **state)
{
    lb_policy policy = policy_with_timeouts();
    sim_record record;

    (void)state;
    record_scale_out(&record);
    /* The run ends 4s after the request: its 5s timeout has not come. */
    assert_int_equal(sim_invariants_check_trace(&record, &policy, SIM_S(16)),
                     0);
    assert_int_equal(violations_named(&record, "requests_answered"), 0);
    sim_record_deinit(&record);
}

static void second_scale_out_found(void **state)
{
    lb_policy policy = policy_with_timeouts();
    sim_record record;

    (void)state;
    record_scale_out(&record);
    record_add(&record, SIM_S(44), "lb", "provider", "instance_create", 8,
               "type=standard");
    record_add(&record, SIM_S(45), "provider", "lb", "instance_created", 8,
               "instance=i3");
    assert_int_equal(sim_invariants_check_trace(&record, &policy, SIM_S(60)),
                     0);
    assert_int_equal(violations_named(&record, "single_scale_out"), 1);
    sim_record_deinit(&record);

    /* After a new overload, another scale-out is a new decision. */
    record_scale_out(&record);
    record_add(&record, SIM_S(44), "dfm/i1", "lb", "overload", 0,
               "instance=i1 cpu_permille=900");
    record_add(&record, SIM_S(45), "lb", "provider", "instance_create", 8,
               "type=standard");
    assert_int_equal(sim_invariants_check_trace(&record, &policy, SIM_S(60)),
                     0);
    assert_int_equal(violations_named(&record, "single_scale_out"), 0);
    sim_record_deinit(&record);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sequence_in_order_passes),
        cmocka_unit_test(sequence_missing_step_named),
        cmocka_unit_test(sequence_late_step_fails),
        cmocka_unit_test(variable_binds_once),
        cmocka_unit_test(each_step_one_expectation),
        cmocka_unit_test(lost_message_not_matched),
        cmocka_unit_test(never_and_bounds_judged),
        cmocka_unit_test(invariants_switch_off),
        cmocka_unit_test(actions_read_from_trace),
        cmocka_unit_test(unanswered_request_found),
        cmocka_unit_test(timed_out_request_accepted),
        cmocka_unit_test(request_pending_at_end_accepted),
        cmocka_unit_test(second_scale_out_found),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
