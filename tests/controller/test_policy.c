/* Policy parameters by name, and the controller's check of its config. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "policy.h"

static size_t param_index(const char *name)
{
    for (size_t i = 0; i < lb_policy_param_count(); i++) {
        if (strcmp(lb_policy_param_name(i), name) == 0) {
            return i;
        }
    }
    fail_msg("no parameter %s", name);
    return 0;
}

static void format_param(const lb_policy *policy, const char *name,
                         char *buf, size_t len)
{
    int written = lb_policy_format(policy, param_index(name), buf, len);
    assert_true(written > 0 && (size_t)written < len);
}

static bool ends_with(const char *text, const char *suffix)
{
    size_t text_len = strlen(text);
    size_t suffix_len = strlen(suffix);
    return text_len >= suffix_len &&
           strcmp(text + text_len - suffix_len, suffix) == 0;
}

static void policy_defaults_valid(void **state)
{
    (void)state;
    lb_policy policy;
    char err[256] = "";
    char value[128];

    lb_policy_defaults(&policy);
    assert_int_equal(lb_policy_validate(&policy, err, sizeof err), 0);
    format_param(&policy, "overload_cpu_permille", value, sizeof value);
    assert_string_equal(value, "800");
    format_param(&policy, "instance_type", value, sizeof value);
    assert_string_equal(value, "standard");
    assert_int_equal(policy.overload_cpu_permille, 800);
    assert_string_equal(policy.instance_type, "standard");
}

static void policy_names_carry_units(void **state)
{
    (void)state;

    assert_true(lb_policy_param_count() >= 20);
    for (size_t i = 0; i < lb_policy_param_count(); i++) {
        const char *name = lb_policy_param_name(i);
        const char *unit = lb_policy_param_unit(i);
        assert_true(strlen(lb_policy_param_description(i)) > 10);
        if (strcmp(unit, "us") == 0) {
            assert_true(ends_with(name, "_us"));
        } else if (strcmp(unit, "permille") == 0) {
            assert_true(ends_with(name, "_permille"));
        } else {
            assert_true(strcmp(unit, "count") == 0 ||
                        strcmp(unit, "text") == 0);
        }
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(name, lb_policy_param_name(j));
        }
    }
}

static void policy_format_set_round_trip(void **state)
{
    (void)state;
    lb_policy policy;
    lb_policy copy;
    char err[256];
    char value[128];
    char again[128];

    lb_policy_defaults(&policy);
    memset(&copy, 0xff, sizeof copy);
    for (size_t i = 0; i < lb_policy_param_count(); i++) {
        lb_policy_format(&policy, i, value, sizeof value);
        assert_int_equal(lb_policy_set(&copy, lb_policy_param_name(i), value,
                                       err, sizeof err),
                         0);
        lb_policy_format(&copy, i, again, sizeof again);
        assert_string_equal(value, again);
    }
}

static void policy_set_plain_integers(void **state)
{
    (void)state;
    lb_policy policy;
    char err[256];

    lb_policy_defaults(&policy);
    assert_int_equal(lb_policy_set(&policy, "overload_cooldown_us", "2500000",
                                   err, sizeof err),
                     0);
    assert_int_equal(policy.overload_cooldown_us, 2500000);
    assert_int_equal(lb_policy_set(&policy, "instances_max", "12", err,
                                   sizeof err),
                     0);
    assert_int_equal(policy.instances_max, 12);
    assert_int_equal(lb_policy_set(&policy, "instance_type", "c5.large", err,
                                   sizeof err),
                     0);
    assert_string_equal(policy.instance_type, "c5.large");
}

static void policy_set_rejects_bad_values(void **state)
{
    (void)state;
    lb_policy policy;
    char err[256];
    static const struct {
        const char *name;
        const char *value;
        int expected;
    } cases[] = {
        { "overload_cpu", "800", -ENOENT },
        { "overload_cpu_permille", "abc", -EINVAL },
        { "overload_cpu_permille", "1001", -EINVAL },
        { "overload_cpu_permille", "0", -EINVAL },
        { "overload_cpu_permille", "", -EINVAL },
        { "overload_cooldown_us", "-5", -EINVAL },
        { "overload_cooldown_us", "5s", -EINVAL },
        { "overload_cooldown_us", "1.5", -EINVAL },
        { "overload_cooldown_us", " 5", -EINVAL },
        { "instances_max", "99999999999999999999", -EINVAL },
        { "instance_type", "", -EINVAL },
        { "instance_type", "two words", -EINVAL },
        { "instance_type",
          "a-type-name-that-is-longer-than-sixty-three-bytes-and-so-invalid",
          -EINVAL },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lb_policy_defaults(&policy);
        lb_policy before = policy;
        err[0] = '\0';
        assert_int_equal(lb_policy_set(&policy, cases[i].name,
                                       cases[i].value, err, sizeof err),
                         cases[i].expected);
        assert_non_null(strstr(err, cases[i].name));
        assert_memory_equal(&policy, &before, sizeof policy);
    }
}

static void policy_validate_rules(void **state)
{
    (void)state;
    lb_policy policy;
    char err[256];

    lb_policy_defaults(&policy);
    policy.instances_min = 5;
    policy.instances_max = 4;
    assert_int_equal(lb_policy_validate(&policy, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "instances_min"));

    lb_policy_defaults(&policy);
    policy.target_cpu_permille = policy.overload_cpu_permille;
    assert_int_equal(lb_policy_validate(&policy, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "target_cpu_permille"));

    lb_policy_defaults(&policy);
    policy.retry_backoff_min_us = policy.retry_backoff_max_us + 1;
    assert_int_equal(lb_policy_validate(&policy, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "retry_backoff_min_us"));

    lb_policy_defaults(&policy);
    policy.request_timeout_us = 0;
    assert_int_equal(lb_policy_validate(&policy, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "request_timeout_us"));
}

/* docs/policy.md contains a table row with each parameter's name, unit and
 * default. */
static void policy_documented(void **state)
{
    (void)state;
    static char doc[32768];
    lb_policy policy;
    char value[128];
    char row[256];

    FILE *file = fopen(LB_POLICY_DOC, "r");
    assert_non_null(file);
    size_t len = fread(doc, 1, sizeof doc - 1, file);
    fclose(file);
    assert_true(len > 0 && len < sizeof doc - 1);
    doc[len] = '\0';

    lb_policy_defaults(&policy);
    for (size_t i = 0; i < lb_policy_param_count(); i++) {
        lb_policy_format(&policy, i, value, sizeof value);
        snprintf(row, sizeof row, "| `%s` | %s | %s | ",
                 lb_policy_param_name(i), lb_policy_param_unit(i), value);
        if (strstr(doc, row) == NULL) {
            fail_msg("docs/policy.md lacks the row \"%s\"", row);
        }
    }
}

static void controller_rejects_bad_config(void **state)
{
    (void)state;
    harness h;
    static const char *const names[] = { "dev", "dep" };
    static const char *const tenants[] = { "t1" };
    lb_instance_init twice[] = {
        { "i1", "a", DEV_DEP, 1, tenants },
        { "i1", "b", DEV_DEP, 0, NULL },
    };
    lb_instance_init unknown_component[] = {
        { "i1", "a", 0x4u, 0, NULL },
    };

    harness_init(&h);
    lb_config config = { &h.policy, 2, names, 2, twice };
    assert_null(lb_controller_create(&config, &h.ports));
    assert_int_equal(fake_count_logs(&h.world, "config_invalid",
                                     "duplicate id i1"), 1);

    config.instance_count = 1;
    config.instances = unknown_component;
    assert_null(lb_controller_create(&config, &h.ports));
    assert_int_equal(fake_count_logs(&h.world, "config_invalid",
                                     "instances[0].components"), 1);

    h.policy.instances_min = 9;
    config.instances = twice;
    assert_null(lb_controller_create(&config, &h.ports));
    assert_int_equal(fake_count_logs(&h.world, "config_invalid",
                                     "instances_min"), 1);
    assert_int_equal(h.world.call_count, 0);
}

static void instance_type_used_for_create(void **state)
{
    (void)state;
    harness h;
    char err[256];
    static const char *const tenants[] = { "t1", "t2" };
    lb_instance_init instances[] = {
        { "i1", "10.0.0.1:8080", DEV_DEP, 2, tenants },
    };

    harness_init(&h);
    assert_int_equal(lb_policy_set(&h.policy, "instance_type", "large", err,
                                   sizeof err),
                     0);
    harness_start(&h, instances, 1,
                  "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1");
    harness_overload(&h, "i1", 900, 900, 0);
    const fake_call *stats = fake_expect(&h.world, "stats_request", "");
    const char *rows_tenant[] = { "t1", "t2" };
    const char *rows_instance[] = { "i1", "i1" };
    const uint32_t rows_component[] = { 0, 0 };
    const uint64_t rows_requests[] = { 600, 400 };
    harness_stats_reply(&h, stats->id, 2, rows_tenant, rows_instance,
                        rows_component, rows_requests);
    fake_expect(&h.world, "instance_create", "type=large");
    fake_expect_no_call(&h.world);
    harness_destroy(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(policy_defaults_valid),
        cmocka_unit_test(policy_names_carry_units),
        cmocka_unit_test(policy_format_set_round_trip),
        cmocka_unit_test(policy_set_plain_integers),
        cmocka_unit_test(policy_set_rejects_bad_values),
        cmocka_unit_test(policy_validate_rules),
        cmocka_unit_test(policy_documented),
        cmocka_unit_test(controller_rejects_bad_config),
        cmocka_unit_test(instance_type_used_for_create),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
