/* Unit tests of the scenario loader: a valid file fills the world config,
 * and each kind of bad file gives FILE:LINE:COLUMN, the key and what was
 * expected. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scenario.h"

/* A valid scenario; tests append to it or replace parts of it. */
static const char base_yaml[] =
    "name: unit\n"                                  /* line 1 */
    "seed: 7\n"                                     /* 2 */
    "duration: 30s\n"                               /* 3 */
    "topology:\n"                                   /* 4 */
    "  instance_vcpus: 2\n"                         /* 5 */
    "  components:\n"                               /* 6 */
    "    dev: {workers: 4, queue: 16, service: 5ms}\n" /* 7 */
    "    dep:\n"                                    /* 8 */
    "      workers: 2\n"                            /* 9 */
    "      service: {dist: exponential, mean: 20ms}\n" /* 10 */
    "  instances:\n"                                /* 11 */
    "    - {id: i1, components: [dev, dep], tenants: [t1, t2]}\n" /* 12 */
    "tenants:\n"                                    /* 13 */
    "  t1: {rate: 50, mix: {dev: 3, dep: 1}}\n"     /* 14 */
    "  t2: {pattern: spike, rate: 5, rate2: 100, start: 5s, end: 9s}\n"
    "policy:\n"                                     /* 16 */
    "  instances_max: 3\n";                         /* 17 */

typedef struct fixture {
    char dir[64];
    char path[128];
    char err[2048];
    sim_scenario scenario;
} fixture;

static int fixture_setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "lbsim-load-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/s.yaml", f->dir);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    fixture *f = *state;

    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Writes base plus extra and loads it. */
static int load_text(fixture *f, const char *base, const char *extra)
{
    FILE *file = fopen(f->path, "w");

    assert_non_null(file);
    fputs(base, file);
    fputs(extra, file);
    fclose(file);
    f->err[0] = '\0';
    return sim_scenario_load(&f->scenario, f->path, f->err, sizeof(f->err));
}

/* Checks that err starts with "<path>:<line>:<column>: key '<key>': ", or
 * with "<path>:<line>:<column>: top level: " when key is "". */
static void assert_place(const fixture *f, int line, int column,
                         const char *key)
{
    char prefix[512];

    if (key[0] == '\0') {
        snprintf(prefix, sizeof(prefix), "%s:%d:%d: top level: ", f->path,
                 line, column);
    } else {
        snprintf(prefix, sizeof(prefix), "%s:%d:%d: key '%s': ", f->path,
                 line, column, key);
    }
    if (strncmp(f->err, prefix, strlen(prefix)) != 0) {
        fail_msg("expected a message starting with \"%s\", got \"%s\"",
                 prefix, f->err);
    }
}

static void valid_file_fills_config(void **state)
{
    fixture *f = *state;
    const world_config *config;

    assert_int_equal(load_text(f, base_yaml, ""), 0);
    config = &f->scenario.world;
    assert_string_equal(f->scenario.name, "unit");
    assert_int_equal(config->seed, 7);
    assert_int_equal(config->duration_us, SIM_S(30));
    assert_int_equal(config->instance_vcpus, 2);
    assert_int_equal(config->component_count, 2);
    assert_string_equal(config->components[1].name, "dep");
    assert_int_equal(config->components[0].queue_capacity, 16);
    assert_int_equal(config->components[1].service.kind,
                     MODEL_DIST_EXPONENTIAL);
    assert_int_equal(config->instance_count, 1);
    assert_int_equal(config->instances[0].components, 3);
    assert_int_equal(config->instances[0].tenant_count, 2);
    assert_int_equal(config->tenant_count, 2);
    assert_true(config->tenants[0].mix[0] > 0.74 &&
                config->tenants[0].mix[0] < 0.76);
    assert_int_equal(config->tenants[1].pattern.kind, WORLD_PATTERN_SPIKE);
    assert_int_equal(config->tenants[1].pattern.end_us, SIM_S(9));
    assert_int_equal(f->scenario.policy.instances_max, 3);
    assert_ptr_equal(config->policy, &f->scenario.policy);
    sim_scenario_deinit(&f->scenario);
}

static void unknown_key_named(void **state)
{
    fixture *f = *state;

    assert_int_equal(load_text(f, base_yaml, "colour: blue\n"), -EINVAL);
    assert_place(f, 18, 1, "colour");
    assert_non_null(strstr(f->err, "expected one of: name,"));
    assert_non_null(strstr(f->err, "got unknown key 'colour'"));
}

static void wrong_type_named(void **state)
{
    fixture *f = *state;
    char text[sizeof(base_yaml)];
    char *at;

    memcpy(text, base_yaml, sizeof(text));
    at = strstr(text, "workers: 2");
    memcpy(at, "workers: x", 10);
    assert_int_equal(load_text(f, text, ""), -EINVAL);
    assert_place(f, 9, 16, "topology.components.dep.workers");
    assert_non_null(strstr(f->err, "expected an integer from 1 to 100000, "
                                   "got 'x'"));
}

static void negative_duration_named(void **state)
{
    fixture *f = *state;
    char text[sizeof(base_yaml) + 8];
    char *at;

    snprintf(text, sizeof(text), "%s", base_yaml);
    at = strstr(text, "duration: 30s");
    memcpy(at, "duration: -3s", 13);
    assert_int_equal(load_text(f, text, ""), -EINVAL);
    assert_place(f, 3, 11, "duration");
    assert_non_null(strstr(f->err, "expected a non-negative duration"));
}

static void duration_without_unit_named(void **state)
{
    fixture *f = *state;

    assert_int_equal(load_text(f, base_yaml, "sample_interval: 100\n"),
                     -EINVAL);
    assert_place(f, 18, 18, "sample_interval");
    assert_non_null(strstr(f->err, "got '100'"));
}

static void fault_unknown_component_named(void **state)
{
    fixture *f = *state;

    assert_int_equal(load_text(f, base_yaml,
                               "faults:\n"
                               "  - kind: kill_process\n"
                               "    at: 5s\n"
                               "    instance: i1\n"
                               "    component: dex\n"),
                     -EINVAL);
    assert_place(f, 22, 16, "faults[0].component");
    assert_non_null(strstr(f->err, "expected one of: dev, dep, got 'dex'"));
}

static void fault_unknown_instance_named(void **state)
{
    fixture *f = *state;

    assert_int_equal(load_text(f, base_yaml,
                               "faults:\n"
                               "  - {kind: crash_instance, at: 5s, "
                               "instance: i7}\n"),
                     -EINVAL);
    assert_place(f, 19, 46, "faults[0].instance");
    assert_non_null(strstr(f->err, "unknown instance 'i7'"));
}

static void fault_key_of_other_kind_named(void **state)
{
    fixture *f = *state;

    assert_int_equal(load_text(f, base_yaml,
                               "faults:\n"
                               "  - {kind: crash_instance, instance: i1, "
                               "message: overload}\n"),
                     -EINVAL);
    assert_non_null(strstr(f->err, "key 'faults[0].message': expected one "
                                   "of: kind, at, instance, got unknown "
                                   "key 'message'"));
}

static void unknown_tenant_named(void **state)
{
    fixture *f = *state;

    assert_int_equal(load_text(f, base_yaml,
                               "tenant_events:\n"
                               "  - {kind: remove, at: 5s, tenant: t9}\n"),
                     -EINVAL);
    assert_place(f, 19, 36, "tenant_events[0].tenant");
    assert_non_null(strstr(f->err, "unknown tenant 't9'"));
}

static void missing_trace_named(void **state)
{
    fixture *f = *state;

    assert_int_equal(load_text(f, base_yaml,
                               "traffic:\n"
                               "  trace: no-such-trace.csv\n"),
                     -EINVAL);
    assert_place(f, 19, 10, "traffic.trace");
    assert_non_null(strstr(f->err, "no-such-trace.csv' which cannot be "
                                   "opened"));
}

static void syntax_error_named(void **state)
{
    fixture *f = *state;

    assert_int_equal(load_text(f, base_yaml, "  rate: [1, 2\n"), -EINVAL);
    assert_non_null(strstr(f->err, "key '"));
    assert_non_null(strstr(f->err, "expected valid YAML, got a syntax "
                                   "error"));
    assert_int_equal(strncmp(f->err, f->path, strlen(f->path)), 0);
}

static void unknown_policy_named(void **state)
{
    fixture *f = *state;

    assert_int_equal(load_text(f, base_yaml, "  colour_permille: 3\n"),
                     -EINVAL);
    assert_place(f, 18, 3, "policy.colour_permille");
    assert_non_null(strstr(f->err, "unknown policy parameter"));
}

static void step_unknown_kind_named(void **state)
{
    fixture *f = *state;

    assert_int_equal(load_text(f, base_yaml,
                               "expect:\n"
                               "  sequence:\n"
                               "    - {name: a, kind: overlaod}\n"),
                     -EINVAL);
    assert_place(f, 20, 23, "expect.sequence[0].kind");
    assert_non_null(strstr(f->err, "tenant_removed, got 'overlaod'"));
}

static void second_document_rejected(void **state)
{
    fixture *f = *state;

    assert_int_equal(load_text(f, base_yaml, "---\nname: other\n"),
                     -EINVAL);
    assert_place(f, 19, 1, "");
    assert_non_null(strstr(f->err, "expected one YAML document"));
}

static void dots_only_name_rejected(void **state)
{
    fixture *f = *state;
    char text[sizeof(base_yaml)];

    memcpy(text, base_yaml, sizeof(text));
    memcpy(text, "name: ..  ", 10);
    assert_int_equal(load_text(f, text, ""), -EINVAL);
    assert_place(f, 1, 7, "name");
    assert_non_null(strstr(f->err, "not only dots, got '..'"));
}

static void missing_file_named(void **state)
{
    fixture *f = *state;
    sim_scenario scenario;

    assert_int_equal(sim_scenario_load(&scenario, "/nonexistent/x.yaml",
                                       f->err, sizeof(f->err)),
                     -ENOENT);
    assert_non_null(strstr(f->err, "/nonexistent/x.yaml: cannot open"));
}

static void expectations_loaded(void **state)
{
    fixture *f = *state;
    const sim_expect *expect;

    assert_int_equal(load_text(f, base_yaml,
                               "expect:\n"
                               "  sequence:\n"
                               "    - name: start\n"
                               "      kind: components_start\n"
                               "      to: dfm/$new\n"
                               "      within: 5s\n"
                               "      fields: {tenants: [t2, t1], "
                               "request_id: $s, tenant: '>=800',\n"
                               "               components: {contains: "
                               "t1/dev:$new}}\n"
                               "  never:\n"
                               "    - {name: no remove, kind: "
                               "instance_remove}\n"
                               "  metrics: {failed_requests_max: 0, "
                               "recovery_time_max: 1.5s}\n"
                               "  invariants: {route_to_running: off}\n"),
                     0);
    expect = &f->scenario.expect;
    assert_int_equal(expect->step_count, 1);
    assert_string_equal(expect->steps[0].pattern.to, "dfm/$new");
    assert_int_equal(expect->steps[0].within_us, SIM_S(5));
    assert_int_equal(expect->steps[0].pattern.field_count, 4);
    assert_int_equal(expect->steps[0].pattern.fields[0].op, SIM_FIELD_SET);
    assert_string_equal(expect->steps[0].pattern.fields[0].items[0], "t1");
    assert_int_equal(expect->steps[0].pattern.fields[1].op,
                     SIM_FIELD_VARIABLE);
    assert_int_equal(expect->steps[0].pattern.fields[2].op,
                     SIM_FIELD_GREATER_EQUAL);
    assert_int_equal(expect->steps[0].pattern.fields[3].op,
                     SIM_FIELD_CONTAINS);
    assert_int_equal(expect->never_count, 1);
    assert_int_equal(expect->bound_count, 2);
    assert_true(expect->bounds[1].value > 1.49 &&
                expect->bounds[1].value < 1.51);
    assert_false(expect->invariant_on[0]);
    assert_true(expect->invariant_on[1]);
    sim_scenario_deinit(&f->scenario);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(valid_file_fills_config,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(unknown_key_named, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(wrong_type_named, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(negative_duration_named,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(duration_without_unit_named,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(fault_unknown_component_named,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(fault_unknown_instance_named,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(fault_key_of_other_kind_named,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(unknown_tenant_named, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(missing_trace_named, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(syntax_error_named, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(unknown_policy_named, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(step_unknown_kind_named,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(second_document_rejected,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(dots_only_name_rejected,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(missing_file_named, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(expectations_loaded, fixture_setup,
                                        fixture_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
