/* Integration tests of the NGINX adapter against Debian's nginx on
 * loopback: tables are checked with nginx -t and reloaded, a table that
 * fails the check leaves the previous one serving, hostile ids never reach
 * the file, statistics and dropped requests come from the access log. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_controller.h"
#include "loop.h"
#include "nginx.h"
#include "proc.h"
#include "support.h"

static const live_component test_components[] = {
    {.name = "dev", .path_prefix = "/", .port_offset = 1},
};

typedef struct nginx_fixture {
    char dir[64];
    char routes_file[128];
    char front_url[64];
    char status_listen[32];
    char backend_a[32]; /* instance addresses whose dev port is a backend */
    char backend_b[32];
    char dead[32];      /* an instance address where nothing listens */
    char error_log[128];
    char access_log[128];
    char conf[128];
    char pid_file[128];
    pid_t nginx_pid;
    const char *test_argv[10];
    const char *reload_argv[12];
    live_nginx_config config;
    live_loop *loop;
    live_nginx *nginx;
} nginx_fixture;

static void write_main_conf(nginx_fixture *f, uint16_t front, uint16_t port_a,
                            uint16_t port_b)
{
    char text[4096];

    /* lbsim_clash_dev is defined here on purpose: a table that uses
     * instance "clash" for dev passes lbd's checks but fails nginx -t. */
    snprintf(text, sizeof(text),
             "pid %s/nginx.pid;\nworker_processes 1;\n"
             "events { worker_connections 256; }\n"
             "http {\n"
             "  client_body_temp_path %s/tmp;\n  proxy_temp_path %s/tmp;\n"
             "  fastcgi_temp_path %s/tmp;\n  uwsgi_temp_path %s/tmp;\n"
             "  scgi_temp_path %s/tmp;\n  access_log off;\n"
             "  include %s;\n"
             "  upstream lbsim_clash_dev { server 127.0.0.1:9; }\n"
             "  server {\n    listen 127.0.0.1:%u;\n    location / {\n"
             "      if ($lbsim_route = \"\") { return 503; }\n"
             "      proxy_pass http://$lbsim_route;\n"
             "      access_log %s lbsim;\n    }\n  }\n"
             "  server { listen 127.0.0.1:%u; return 200 \"backend-a\\n\"; }\n"
             "  server { listen 127.0.0.1:%u; return 200 \"backend-b\\n\"; }\n"
             "}\n",
             f->dir, f->dir, f->dir, f->dir, f->dir, f->dir, f->routes_file,
             front, f->access_log, port_a, port_b);
    assert_int_equal(support_write_file(f->conf, text), 0);
}

static void write_empty_routes(nginx_fixture *f)
{
    const lb_routes empty = {.default_instance = LB_ROUTE_NO_DEFAULT};
    char err[256];
    char *text = NULL;

    assert_int_equal(live_nginx_render(&f->config.render, &empty, &text, err,
                                       sizeof(err)), 0);
    assert_int_equal(support_write_file(f->routes_file, text), 0);
    free(text);
}

static void fill_commands(nginx_fixture *f)
{
    const char *base[] = {"nginx", "-p", f->dir, "-e", f->error_log, "-c",
                          f->conf};
    memcpy(f->test_argv, base, sizeof(base));
    f->test_argv[7] = "-t";
    f->test_argv[8] = NULL;
    memcpy(f->reload_argv, base, sizeof(base));
    f->reload_argv[7] = "-s";
    f->reload_argv[8] = "reload";
    f->reload_argv[9] = NULL;
}

static int nginx_setup(void **state)
{
    nginx_fixture *f = calloc(1, sizeof(*f));
    uint16_t front = support_free_port(), status = support_free_port();
    uint16_t port_a = support_free_port(), port_b = support_free_port();
    uint16_t dead = support_free_port();

    assert_true(front && status && port_a > 1 && port_b > 1 && dead > 1);
    snprintf(f->dir, sizeof(f->dir), "/tmp/lbsim-nginx-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->routes_file, sizeof(f->routes_file), "%s/lbsim-routes.conf",
             f->dir);
    snprintf(f->conf, sizeof(f->conf), "%s/nginx.conf", f->dir);
    snprintf(f->pid_file, sizeof(f->pid_file), "%s/nginx.pid", f->dir);
    snprintf(f->error_log, sizeof(f->error_log), "%s/error.log", f->dir);
    snprintf(f->access_log, sizeof(f->access_log), "%s/access.log", f->dir);
    snprintf(f->front_url, sizeof(f->front_url), "http://127.0.0.1:%u/",
             front);
    snprintf(f->status_listen, sizeof(f->status_listen), "127.0.0.1:%u",
             status);
    snprintf(f->backend_a, sizeof(f->backend_a), "127.0.0.1:%u", port_a - 1);
    snprintf(f->backend_b, sizeof(f->backend_b), "127.0.0.1:%u", port_b - 1);
    snprintf(f->dead, sizeof(f->dead), "127.0.0.1:%u", dead - 1);
    fill_commands(f);

    f->config = (live_nginx_config){
        .render = {.components = test_components, .component_count = 1,
                   .tenant_header = "X-Tenant",
                   .status_listen = f->status_listen},
        .routes_file = f->routes_file,
        .test_argv = f->test_argv,
        .reload_argv = f->reload_argv,
        .command_timeout_us = 10000000,
        .confirm_timeout_us = 10000000,
        .pid_file = f->pid_file,
        .access_log = f->access_log,
        .log_poll_us = 50000,
        .dropping_errors = 3,
        .dropping_window_us = 5000000,
    };
    write_main_conf(f, front, port_a, port_b);
    write_empty_routes(f);
    f->nginx_pid = support_nginx_start(f->dir);
    assert_true(f->nginx_pid > 0);
    assert_true(support_wait_http(f->front_url, 10000));

    f->loop = live_loop_create();
    f->nginx = live_nginx_create(f->loop, &f->config);
    live_nginx_attach(f->nginx, NULL);
    fake_journal_clear();
    *state = f;
    return 0;
}

static int nginx_teardown(void **state)
{
    nginx_fixture *f = *state;

    if (!f) {
        return 0;
    }
    support_nginx_stop(f->nginx_pid);
    if (f->nginx) {
        /* Bounded: every step has a timeout of at most 10 s. */
        while (live_nginx_busy(f->nginx)) {
            live_loop_run_once(f->loop, 100000);
        }
        live_nginx_destroy(f->nginx);
    }
    live_loop_destroy(f->loop);
    support_remove_tree(f->dir);
    free(f);
    return 0;
}

/* Runs the loop until the journal has a line with text, for at most 15 s. */
static bool run_until(nginx_fixture *f, const char *text)
{
    for (int i = 0; i < 300; i++) {
        if (fake_journal_count(text) > 0) {
            return true;
        }
        live_loop_run_once(f->loop, 50000);
    }
    return fake_journal_count(text) > 0;
}

static void expect_backend(nginx_fixture *f, const char *tenant,
                           const char *backend)
{
    char header[64], body[128];

    snprintf(header, sizeof(header), "X-Tenant: %s", tenant);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(support_http_get(f->front_url, header, body,
                                          sizeof(body)), 200);
        assert_string_equal(body, backend);
    }
}

static void apply_one(nginx_fixture *f, uint64_t version, const char *tenant,
                      const char *instance, const char *address)
{
    const lb_route_instance instances[] = {{instance, address}};
    const lb_route routes[] = {{tenant, 0, 0}};
    const lb_routes table = {version, 1, instances, 1, routes,
                             LB_ROUTE_NO_DEFAULT};

    assert_int_equal(live_nginx_routes_apply(f->nginx, &table), 0);
}

static void test_nginx_failed_check_keeps_last_good(void **state)
{
    nginx_fixture *f = *state;

    apply_one(f, 1, "t1", "ia", f->backend_a);
    assert_true(run_until(f, "routes_applied version=1"));
    expect_backend(f, "t1", "backend-a\n");
    char *good = support_read_file(f->routes_file);
    assert_non_null(good);

    apply_one(f, 2, "t1", "clash", f->backend_b);
    assert_true(run_until(f, "routes_rejected version=2"));
    assert_int_equal(fake_journal_count("duplicate upstream"), 1);
    char *after = support_read_file(f->routes_file);
    assert_string_equal(after, good);
    free(after);
    expect_backend(f, "t1", "backend-a\n");

    apply_one(f, 3, "t1", "ib", f->backend_b);
    assert_true(run_until(f, "routes_applied version=3"));
    expect_backend(f, "t1", "backend-b\n");
    assert_int_equal(fake_journal_count("routes_applied version=2"), 0);
    free(good);
}

static void test_nginx_hostile_id_leaves_file_alone(void **state)
{
    nginx_fixture *f = *state;
    const char *const hostile[] = {"t1;", "t}", "t\"", "a b", "x\ny", "$t",
                                   "#t", "t{"};

    apply_one(f, 1, "t1", "ia", f->backend_a);
    assert_true(run_until(f, "routes_applied version=1"));
    char *good = support_read_file(f->routes_file);
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        apply_one(f, 10 + i, hostile[i], "ia", f->backend_a);
        apply_one(f, 20 + i, "t1", hostile[i], f->backend_b);
    }
    live_loop_run_once(f->loop, 0);
    assert_int_equal(fake_journal_count("routes_rejected"), 16);
    char *after = support_read_file(f->routes_file);
    assert_string_equal(after, good);
    expect_backend(f, "t1", "backend-a\n");
    free(after);
    free(good);
}

static void test_nginx_coalesces_waiting_tables(void **state)
{
    nginx_fixture *f = *state;

    apply_one(f, 1, "t1", "ia", f->backend_a);
    apply_one(f, 2, "t1", "ib", f->backend_b);
    apply_one(f, 3, "t1", "ia", f->backend_a);
    assert_true(run_until(f, "routes_applied version=3"));
    assert_int_equal(fake_journal_count("routes_applied version=1"), 1);
    assert_int_equal(fake_journal_count("routes_rejected version=2 reason="
                                        "superseded by version 3"), 1);
    expect_backend(f, "t1", "backend-a\n");
}

static void test_nginx_stats_and_dropping(void **state)
{
    nginx_fixture *f = *state;
    const lb_route_instance instances[] = {{"ia", f->backend_a},
                                           {"idead", f->dead}};
    const lb_route routes[] = {{"t1", 0, 0}, {"t2", 0, 0}, {"t3", 0, 1}};
    const lb_routes table = {1, 2, instances, 3, routes, LB_ROUTE_NO_DEFAULT};
    char body[128];

    assert_int_equal(live_nginx_routes_apply(f->nginx, &table), 0);
    assert_true(run_until(f, "routes_applied version=1"));
    assert_int_equal(live_nginx_stats_request(f->nginx, 40), 0);
    assert_true(run_until(f, "stats_reply request_id=40"));
    fake_journal_clear();

    expect_backend(f, "t1", "backend-a\n");
    expect_backend(f, "t2", "backend-a\n");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(support_http_get(f->front_url, "X-Tenant: t3", body,
                                          sizeof(body)), 502);
    }
    assert_true(run_until(f, "instance_dropping instance=idead errors=3"));

    assert_int_equal(live_nginx_stats_request(f->nginx, 41), 0);
    assert_true(run_until(f, "stats_reply request_id=41"));
    assert_int_equal(fake_journal_count("tenant=t1 instance=ia component=0 "
                                        "requests=5 errors=0"), 1);
    assert_int_equal(fake_journal_count("tenant=t2 instance=ia component=0 "
                                        "requests=5 errors=0"), 1);
    assert_int_equal(fake_journal_count("tenant=t3 instance=idead component=0 "
                                        "requests=3 errors=3"), 1);
}

/* A stop during a long check kills the test command's process group and
 * puts the last good file back. It runs last: after live_proc_cancel_all
 * no command can start in this process. */
static void test_nginx_stop_during_check_restores(void **state)
{
    nginx_fixture *f = *state;
    char pid_path[160], script[400];

    apply_one(f, 1, "t1", "ia", f->backend_a);
    assert_true(run_until(f, "routes_applied version=1"));
    char *good = support_read_file(f->routes_file);
    assert_non_null(good);

    snprintf(pid_path, sizeof(pid_path), "%s/check.pid", f->dir);
    snprintf(script, sizeof(script), "sleep 30 & echo $! > %s; wait",
             pid_path);
    const char *const slow_test[] = {"sh", "-c", script, NULL};
    f->config.test_argv = slow_test;
    apply_one(f, 2, "t1", "ib", f->backend_b);
    char *pid_text = NULL;
    for (int i = 0; i < 100 && !pid_text; i++) {
        live_loop_run_once(f->loop, 20000);
        pid_text = support_read_file(pid_path);
        if (pid_text && !strchr(pid_text, '\n')) {
            free(pid_text);
            pid_text = NULL;
        }
    }
    assert_non_null(pid_text);
    pid_t sleeper = (pid_t)atol(pid_text);
    free(pid_text);
    assert_true(sleeper > 0);
    assert_true(live_nginx_busy(f->nginx));
    char *untested = support_read_file(f->routes_file);
    assert_string_not_equal(untested, good);
    free(untested);

    live_nginx_stop(f->nginx);
    live_proc_cancel_all();
    assert_int_equal(live_proc_running(), 0);
    assert_false(live_nginx_busy(f->nginx));
    char *after = support_read_file(f->routes_file);
    assert_string_equal(after, good);
    free(after);
    free(good);
    /* The sleep is in the killed group; init reaps it, so poll for at most
     * 5 s until it is gone. */
    bool gone = false;
    for (int i = 0; i < 250 && !gone; i++) {
        gone = kill(sleeper, 0) != 0 && errno == ESRCH;
        if (!gone) {
            nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
        }
    }
    assert_true(gone);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_nginx_failed_check_keeps_last_good, nginx_setup,
            nginx_teardown),
        cmocka_unit_test_setup_teardown(
            test_nginx_hostile_id_leaves_file_alone, nginx_setup,
            nginx_teardown),
        cmocka_unit_test_setup_teardown(test_nginx_coalesces_waiting_tables,
                                        nginx_setup, nginx_teardown),
        cmocka_unit_test_setup_teardown(test_nginx_stats_and_dropping,
                                        nginx_setup, nginx_teardown),
        cmocka_unit_test_setup_teardown(
            test_nginx_stop_during_check_restores, nginx_setup,
            nginx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
