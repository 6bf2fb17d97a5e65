/* Unit tests of lbd's start-up state: the table read back from the routes
 * file lbd wrote, checked against the provider's list. */
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

#include "lbd_state.h"
#include "nginx_render.h"

typedef struct state_fixture {
    char dir[64];
    char routes_file[128];
    lbd_config config;
} state_fixture;

static int state_setup(void **state)
{
    state_fixture *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/lbsim-state-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->routes_file, sizeof(f->routes_file), "%s/routes.conf",
             f->dir);
    f->config.component_count = 2;
    snprintf(f->config.components[0].name, 16, "dev");
    snprintf(f->config.components[0].path_prefix, 128, "/");
    f->config.components[0].port_offset = 1;
    snprintf(f->config.components[1].name, 16, "dep");
    snprintf(f->config.components[1].path_prefix, 128, "/dep/");
    f->config.components[1].port_offset = 2;
    f->config.nginx.routes_file = f->routes_file;
    f->config.nginx.render.components = f->config.components;
    f->config.nginx.render.component_count = 2;
    f->config.nginx.render.tenant_header = "X-Tenant";
    *state = f;
    return 0;
}

static int state_teardown(void **state)
{
    state_fixture *f = *state;

    unlink(f->routes_file);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Writes the routes file for: t1 dev and dep on i1, t2 dev on i2, t3 dev
 * on i1, default i1. */
static void write_table(state_fixture *f)
{
    const lb_route_instance instances[] = {
        {"i1", "127.0.0.1:4000"}, {"i2", "127.0.0.1:4100"}};
    const lb_route routes[] = {
        {"t1", 0, 0}, {"t1", 1, 0}, {"t2", 0, 1}, {"t3", 0, 0}};
    const lb_routes table = {12, 2, instances, 4, routes, 0};
    char err[256];
    char *text = NULL;

    assert_int_equal(live_nginx_render(&f->config.nginx.render, &table, &text,
                                       err, sizeof(err)), 0);
    FILE *file = fopen(f->routes_file, "w");
    fputs(text, file);
    fclose(file);
    free(text);
}

static const lb_instance_init *find(const lbd_state *state, const char *id)
{
    for (size_t i = 0; i < state->instance_count; i++) {
        if (strcmp(state->instances[i].id, id) == 0) {
            return &state->instances[i];
        }
    }
    return NULL;
}

static void test_state_from_routes_file(void **state)
{
    state_fixture *f = *state;
    lbd_state built;
    char err[256];

    write_table(f);
    assert_int_equal(lbd_state_build(&built, &f->config, NULL, 0, err,
                                     sizeof(err)), 0);
    assert_int_equal(built.instance_count, 2);
    const lb_instance_init *i1 = find(&built, "i1");
    assert_non_null(i1);
    assert_string_equal(i1->address, "127.0.0.1:4000");
    assert_int_equal(i1->components, 3);
    assert_int_equal(i1->tenant_count, 2);
    assert_string_equal(i1->tenants[0], "t1");
    assert_string_equal(i1->tenants[1], "t3");
    const lb_instance_init *i2 = find(&built, "i2");
    assert_non_null(i2);
    assert_int_equal(i2->components, 1);
    assert_int_equal(i2->tenant_count, 1);
    lbd_state_free(&built);
}

static void test_state_merges_provider_list(void **state)
{
    state_fixture *f = *state;
    const lb_instance_info listed[] = {
        {"i1", "127.0.0.1:4500"}, {"i3", "127.0.0.1:4600"}};
    lbd_state built;
    char err[256];

    write_table(f);
    assert_int_equal(lbd_state_build(&built, &f->config, listed, 2, err,
                                     sizeof(err)), 0);
    assert_int_equal(built.instance_count, 2);
    assert_null(find(&built, "i2"));
    const lb_instance_init *i1 = find(&built, "i1");
    assert_non_null(i1);
    assert_string_equal(i1->address, "127.0.0.1:4500");
    assert_int_equal(i1->tenant_count, 2);
    const lb_instance_init *i3 = find(&built, "i3");
    assert_non_null(i3);
    assert_int_equal(i3->tenant_count, 0);
    assert_int_equal(i3->components, 3);
    lbd_state_free(&built);
}

static void test_state_ignores_tampered_lines(void **state)
{
    state_fixture *f = *state;
    lbd_state built;
    char err[256];
    FILE *file = fopen(f->routes_file, "w");

    fputs("# lbsim-instance i1 127.0.0.1:4000\n"
          "# lbsim-instance i;2 127.0.0.1:4100\n"
          "# lbsim-instance i3 not-an-address\n"
          "# lbsim-route t1 dev i1\n"
          "# lbsim-route t$2 dev i1\n"
          "# lbsim-route t3 dfc i1\n"
          "# lbsim-route t4 dev i9\n", file);
    fclose(file);

    /* Captures lbd's log (stderr) to count the warnings. */
    char log_path[] = "/tmp/lbsim-state-log-XXXXXX";
    int log_fd = mkstemp(log_path);
    assert_true(log_fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(log_fd, STDERR_FILENO);
    close(log_fd);
    assert_int_equal(lbd_state_build(&built, &f->config, NULL, 0, err,
                                     sizeof(err)), 0);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char *log = calloc(1, 8192);
    FILE *log_file = fopen(log_path, "r");
    assert_non_null(log_file);
    size_t log_len = fread(log, 1, 8191, log_file);
    fclose(log_file);
    unlink(log_path);
    log[log_len] = '\0';
    static const char *const expected[] = {
        "line=2 reason=\"invalid instance id\"",
        "line=3 reason=\"invalid address\"",
        "line=5 reason=\"invalid tenant id\"",
        "line=6 reason=\"unknown component\"",
        "line=7 reason=\"unknown instance\"",
    };
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        if (!strstr(log, expected[i])) {
            print_error("missing %s in:\n%s", expected[i], log);
        }
        assert_non_null(strstr(log, expected[i]));
    }
    size_t warnings = 0;
    for (const char *p = strstr(log, "event=routes_line_ignored"); p;
         p = strstr(p + 1, "event=routes_line_ignored")) {
        warnings++;
    }
    assert_int_equal(warnings, 5);
    free(log);

    assert_int_equal(built.instance_count, 1);
    assert_string_equal(built.instances[0].id, "i1");
    assert_int_equal(built.instances[0].tenant_count, 1);
    assert_string_equal(built.instances[0].tenants[0], "t1");
    lbd_state_free(&built);
}

static void test_state_falls_back_to_config(void **state)
{
    state_fixture *f = *state;
    char *tenants[] = {"t7", NULL};
    lbd_instance configured = {.id = "c1", .address = "127.0.0.1:4700",
                               .components = 1, .tenants = tenants,
                               .tenant_count = 1};
    lbd_state built;
    char err[256];

    f->config.instances = &configured;
    f->config.instance_count = 1;
    assert_int_equal(lbd_state_build(&built, &f->config, NULL, 0, err,
                                     sizeof(err)), 0);
    assert_int_equal(built.instance_count, 1);
    assert_string_equal(built.instances[0].id, "c1");
    assert_string_equal(built.instances[0].tenants[0], "t7");
    lbd_state_free(&built);
    f->config.instances = NULL;
    f->config.instance_count = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_state_from_routes_file,
                                        state_setup, state_teardown),
        cmocka_unit_test_setup_teardown(test_state_merges_provider_list,
                                        state_setup, state_teardown),
        cmocka_unit_test_setup_teardown(test_state_ignores_tampered_lines,
                                        state_setup, state_teardown),
        cmocka_unit_test_setup_teardown(test_state_falls_back_to_config,
                                        state_setup, state_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
