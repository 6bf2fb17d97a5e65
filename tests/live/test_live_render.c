/* Unit tests of the nginx side of lbd: id checks, rendering, the
 * rejection of hostile ids before any file is written, and the access log
 * reader. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_controller.h"
#include "id.h"
#include "loop.h"
#include "nginx.h"
#include "nginx_log.h"
#include "nginx_render.h"

static const live_component test_components[] = {
    {.name = "dev", .path_prefix = "/", .port_offset = 1},
    {.name = "dep", .path_prefix = "/dep/", .port_offset = 2},
};

static const live_nginx_render_config test_render = {
    .components = test_components,
    .component_count = 2,
    .tenant_header = "X-Tenant",
    .status_listen = "127.0.0.1:9",
};

/* Ids that could change an nginx configuration if they reached it. */
static const char *const hostile_ids[] = {
    "a;b", "a{", "b}", "a\"b", "a'b", "a b", "a\nb", "a\tb", "$x", "a$b",
    "#a", "a#b", "", "-a", "a/b", "a\\b",
    "x123456789012345678901234567890123456789012345678901234567890123",
};

static void test_id_accepts_plain_ids(void **state)
{
    (void)state;
    assert_true(live_id_valid("t1"));
    assert_true(live_id_valid("Tenant_42-b"));
    assert_true(live_id_valid("x12345678901234567890123456789012345678901234"
                              "567890123456789012"));
}

static void test_id_rejects_hostile_ids(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(hostile_ids) / sizeof(hostile_ids[0]); i++) {
        assert_false(live_id_valid(hostile_ids[i]));
    }
    assert_false(live_id_valid(NULL));
}

static void test_address_checks(void **state)
{
    uint16_t port = 0;
    (void)state;

    assert_true(live_address_valid("127.0.0.1:8080", &port));
    assert_int_equal(port, 8080);
    assert_true(live_address_valid("[::1]:9", &port));
    assert_int_equal(port, 9);
    assert_true(live_address_valid("node-1.example:443", NULL));
    assert_false(live_address_valid("127.0.0.1:0", NULL));
    assert_false(live_address_valid("127.0.0.1:65536", NULL));
    assert_false(live_address_valid("127.0.0.1:80;", NULL));
    assert_false(live_address_valid("a b:80", NULL));
    assert_false(live_address_valid("::1:80", NULL));
    assert_false(live_address_valid("127.0.0.1", NULL));
    assert_false(live_address_valid("h{:80", NULL));
}

static void test_render_maps_and_upstreams(void **state)
{
    const lb_route_instance instances[] = {
        {.id = "i1", .address = "127.0.0.1:40000"},
        {.id = "i2", .address = "127.0.0.1:41000"},
    };
    const lb_route routes[] = {
        {.tenant = "t1", .component = 0, .instance = 1},
        {.tenant = "t2", .component = 1, .instance = 0},
    };
    const lb_routes table = {
        .version = 7, .instance_count = 2, .instances = instances,
        .route_count = 2, .routes = routes, .default_instance = 0,
    };
    char err[256] = "";
    char *text = NULL;
    (void)state;

    assert_int_equal(live_nginx_render(&test_render, &table, &text, err,
                                       sizeof(err)), 0);
    assert_non_null(strstr(text, "map $http_x_tenant $lbsim_tenant"));
    assert_non_null(strstr(text, "\"t1:dev\" lbsim_i2_dev;"));
    assert_non_null(strstr(text, "\"t2:dep\" lbsim_i1_dep;"));
    assert_non_null(strstr(text, "\"~:dev$\" lbsim_i1_dev;"));
    assert_non_null(strstr(text, "upstream lbsim_i2_dev {\n    server "
                                 "127.0.0.1:41001 max_fails=0;"));
    assert_non_null(strstr(text, "upstream lbsim_i1_dep {\n    server "
                                 "127.0.0.1:40002 max_fails=0;"));
    assert_null(strstr(text, "upstream lbsim_i2_dep"));
    assert_non_null(strstr(text, "return 200 \"7\\n\";"));
    assert_non_null(strstr(text, "# lbsim-route t1 dev i2\n"));
    assert_non_null(strstr(text, "# lbsim-default i1\n"));
    free(text);
}

static void test_render_rejects_duplicate_route(void **state)
{
    const lb_route_instance instances[] = {
        {.id = "i1", .address = "127.0.0.1:40000"},
    };
    const lb_route routes[] = {
        {.tenant = "t1", .component = 0, .instance = 0},
        {.tenant = "t1", .component = 0, .instance = 0},
    };
    const lb_routes table = {
        .version = 1, .instance_count = 1, .instances = instances,
        .route_count = 2, .routes = routes,
        .default_instance = LB_ROUTE_NO_DEFAULT,
    };
    char err[256] = "";
    char *text = NULL;
    (void)state;

    assert_int_equal(live_nginx_render(&test_render, &table, &text, err,
                                       sizeof(err)), -EINVAL);
    assert_null(text);
    assert_non_null(strstr(err, "routes[1]"));
}

typedef struct adapter_fixture {
    char dir[64];
    char routes_file[128];
    live_nginx_config config;
    live_loop *loop;
    live_nginx *nginx;
} adapter_fixture;

static const char *const never_run_argv[] = {"false", NULL};

static int adapter_setup(void **state)
{
    adapter_fixture *fixture = calloc(1, sizeof(*fixture));
    snprintf(fixture->dir, sizeof(fixture->dir), "/tmp/lbsim-render-XXXXXX");
    assert_non_null(mkdtemp(fixture->dir));
    snprintf(fixture->routes_file, sizeof(fixture->routes_file),
             "%s/routes.conf", fixture->dir);
    fixture->config = (live_nginx_config){
        .render = test_render,
        .routes_file = fixture->routes_file,
        .test_argv = never_run_argv,
        .reload_argv = never_run_argv,
        .command_timeout_us = 1000000,
        .confirm_timeout_us = 1000000,
        .access_log = "/nonexistent/lbsim-access.log",
        .log_poll_us = 1000000,
        .dropping_errors = 5,
        .dropping_window_us = 1000000,
    };
    fixture->loop = live_loop_create();
    fixture->nginx = live_nginx_create(fixture->loop, &fixture->config);
    assert_non_null(fixture->nginx);
    fake_journal_clear();
    *state = fixture;
    return 0;
}

static int adapter_teardown(void **state)
{
    adapter_fixture *fixture = *state;
    char path[160];

    live_nginx_destroy(fixture->nginx);
    live_loop_destroy(fixture->loop);
    snprintf(path, sizeof(path), "%s.tmp", fixture->routes_file);
    unlink(path);
    unlink(fixture->routes_file);
    rmdir(fixture->dir);
    free(fixture);
    return 0;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Each hostile id, as a tenant and as an instance, gets routes_rejected
 * and leaves no file behind: not the routes file, not its temp file. */
static void test_adapter_rejects_before_writing(void **state)
{
    adapter_fixture *fixture = *state;
    char tmp_path[160];
    size_t count = sizeof(hostile_ids) / sizeof(hostile_ids[0]);

    snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", fixture->routes_file);
    for (size_t i = 0; i < count; i++) {
        const lb_route_instance good[] = {{"i1", "127.0.0.1:40000"}};
        const lb_route_instance bad[] = {{hostile_ids[i], "127.0.0.1:40000"}};
        const lb_route bad_tenant[] = {{hostile_ids[i], 0, 0}};
        const lb_route good_tenant[] = {{"t1", 0, 0}};
        const lb_routes as_tenant = {2 * i + 1, 1, good, 1, bad_tenant, 0};
        const lb_routes as_instance = {2 * i + 2, 1, bad, 1, good_tenant, 0};

        assert_int_equal(live_nginx_routes_apply(fixture->nginx, &as_tenant),
                         0);
        assert_int_equal(live_nginx_routes_apply(fixture->nginx,
                                                 &as_instance), 0);
        assert_false(file_exists(fixture->routes_file));
        assert_false(file_exists(tmp_path));
    }
    const lb_route_instance bad_address[] = {{"i1", "127.0.0.1:80;x"}};
    const lb_route good_tenant[] = {{"t1", 0, 0}};
    const lb_routes with_address = {100, 1, bad_address, 1, good_tenant, 0};
    assert_int_equal(live_nginx_routes_apply(fixture->nginx, &with_address),
                     0);

    assert_int_equal(live_loop_run_once(fixture->loop, 0), 0);
    assert_int_equal(fake_journal_count("routes_rejected"), 2 * count + 1);
    assert_int_equal(fake_journal_count("routes_applied"), 0);
    assert_int_equal(fake_journal_count("invalid tenant id"), count);
    assert_int_equal(fake_journal_count("invalid instance id"), count);
    assert_int_equal(fake_journal_count("invalid address"), 1);
    assert_false(file_exists(fixture->routes_file));
}

static void test_log_parse_line(void **state)
{
    live_log_line line;
    const char *text = "1700000000.123\tt1\tdev\ti2\t502\t0.015\t502";
    (void)state;

    assert_int_equal(live_nginx_log_parse(text, strlen(text), &line), 0);
    assert_string_equal(line.tenant, "t1");
    assert_string_equal(line.component, "dev");
    assert_string_equal(line.instance, "i2");
    assert_int_equal(line.status, 502);
    assert_int_equal(line.latency_us, 15000);

    const char *no_tenant = "1700000000.123\t\t\t\t503\t0.000\t-";
    assert_int_equal(live_nginx_log_parse(no_tenant, strlen(no_tenant),
                                          &line), 0);
    assert_string_equal(line.tenant, "");

    const char *const bad[] = {
        "", "1\tt1\tdev\ti1\t200\t0.001", "1\tt;1\tdev\ti1\t200\t0.1\t200",
        "1\tt1\tdev\ti1\tabc\t0.1\t200", "1\tt1\tdev\ti1\t200\tx\t200",
        "1\tt1\tdev\ti1\t200\t0.1\t200\textra",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(live_nginx_log_parse(bad[i], strlen(bad[i]), &line),
                         -EINVAL);
    }
}

static void append_line(const char *path, const char *tenant,
                        const char *instance, unsigned status)
{
    FILE *file = fopen(path, "a");
    assert_non_null(file);
    fprintf(file, "1700000000.000\t%s\tdev\t%s\t%u\t0.002\t%u\n", tenant,
            instance, status, status);
    fclose(file);
}

static unsigned dropping_calls;

static void count_dropping_cb(void *ctx, const char *instance, uint64_t errors,
                              int64_t window_us)
{
    (void)ctx;
    (void)window_us;
    assert_string_equal(instance, "i9");
    assert_int_equal(errors, 3);
    dropping_calls++;
}

static uint64_t requests_of(const lb_stats *stats, const char *tenant)
{
    uint64_t total = 0;
    for (size_t i = 0; i < stats->row_count; i++) {
        if (strcmp(stats->rows[i].tenant, tenant) == 0) {
            total += stats->rows[i].requests;
        }
    }
    return total;
}

/* Lines before the first poll are old news; then appends, a rename
 * rotation and a truncation all count each line once. */
static void test_log_reader_rotation(void **state)
{
    char dir[] = "/tmp/lbsim-log-XXXXXX";
    char path[96], rotated[96];
    live_nginx_log log;
    lb_stats stats;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/access.log", dir);
    snprintf(rotated, sizeof(rotated), "%s/access.log.1", dir);
    append_line(path, "old", "i1", 200);
    assert_int_equal(live_nginx_log_init(&log, path, test_components, 2), 0);
    live_nginx_log_dropping(&log, 3, 1000000, count_dropping_cb, NULL);
    assert_int_equal(live_nginx_log_poll(&log, 0), 0);

    append_line(path, "t1", "i1", 200);
    append_line(path, "t1", "i1", 500);
    assert_int_equal(live_nginx_log_poll(&log, 1), 0);
    append_line(path, "t2", "i1", 200);
    assert_int_equal(rename(path, rotated), 0);
    append_line(path, "t2", "i1", 200);
    append_line(path, "t2", "i9", 502);
    assert_int_equal(live_nginx_log_poll(&log, 2), 0);

    assert_int_equal(truncate(path, 0), 0);
    append_line(path, "t3", "i9", 502);
    append_line(path, "t3", "i9", 504);
    assert_int_equal(live_nginx_log_poll(&log, 3), 0);

    live_nginx_log_take(&log, &stats);
    assert_int_equal(requests_of(&stats, "old"), 0);
    assert_int_equal(requests_of(&stats, "t1"), 2);
    assert_int_equal(requests_of(&stats, "t2"), 3);
    assert_int_equal(requests_of(&stats, "t3"), 2);
    assert_int_equal(dropping_calls, 1);
    live_nginx_log_stats_free(&stats);

    live_nginx_log_take(&log, &stats);
    assert_int_equal(stats.row_count, 0);
    live_nginx_log_stats_free(&stats);
    live_nginx_log_deinit(&log);
    unlink(path);
    unlink(rotated);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_accepts_plain_ids),
        cmocka_unit_test(test_id_rejects_hostile_ids),
        cmocka_unit_test(test_address_checks),
        cmocka_unit_test(test_render_maps_and_upstreams),
        cmocka_unit_test(test_render_rejects_duplicate_route),
        cmocka_unit_test_setup_teardown(test_adapter_rejects_before_writing,
                                        adapter_setup, adapter_teardown),
        cmocka_unit_test(test_log_parse_line),
        cmocka_unit_test(test_log_reader_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
