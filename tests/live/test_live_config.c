/* Unit tests of lbd's config file: a complete file loads, and each kind of
 * mistake is reported with the file, line, section and key. Links the real
 * controller for its policy parameters. */
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

#include "lbd_config.h"

static char dir[] = "/tmp/lbsim-config-XXXXXX";
static char conf_path[128];
static char token_path[128];
static char short_token_path[128];

static int config_group_setup(void **state)
{
    FILE *file;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(conf_path, sizeof(conf_path), "%s/lbd.conf", dir);
    snprintf(token_path, sizeof(token_path), "%s/token", dir);
    snprintf(short_token_path, sizeof(short_token_path), "%s/short", dir);
    file = fopen(token_path, "w");
    fputs("0123456789abcdef0123\n", file);
    fclose(file);
    file = fopen(short_token_path, "w");
    fputs("short\n", file);
    fclose(file);
    return 0;
}

static int config_group_teardown(void **state)
{
    (void)state;
    unlink(conf_path);
    unlink(token_path);
    unlink(short_token_path);
    rmdir(dir);
    return 0;
}

/* A complete config; %s is the token file, then EXTRA lines follow. */
static const char *const base_config =
    "# lbd test config\n"
    "[lbd]\n"
    "listen = 127.0.0.1:0\n"
    "token_file = %s\n"
    "[components]\n"
    "dev = / 1   # default\n"
    "dep = /dep/ 2\n"
    "[nginx]\n"
    "routes_file = /tmp/none/routes.conf\n"
    "access_log = /tmp/none/access.log\n"
    "status_listen = 127.0.0.1:9\n"
    "[provider]\n"
    "create = /bin/prov create {type} {request_id}\n"
    "remove = /bin/prov remove {instance}\n"
    "restart = /bin/prov restart {instance}\n"
    "list = /bin/prov list\n"
    "[instances]\n"
    "i1 = 127.0.0.1:4000 dev,dep t1,t2\n"
    "[policy]\n"
    "instances_max = 4\n"
    "%s";

static int load_with(lbd_config *config, const char *token_file,
                     const char *extra, char *err, size_t err_len)
{
    FILE *file = fopen(conf_path, "w");
    assert_non_null(file);
    fprintf(file, base_config, token_file, extra);
    fclose(file);
    return lbd_config_load(config, conf_path, err, err_len);
}

static void test_config_loads_complete_file(void **state)
{
    lbd_config config;
    char err[512] = "";
    (void)state;

    assert_int_equal(load_with(&config, token_path, "", err, sizeof(err)), 0);
    assert_string_equal(config.token, "0123456789abcdef0123");
    assert_int_equal(config.component_count, 2);
    assert_string_equal(config.components[1].path_prefix, "/dep/");
    assert_int_equal(config.components[1].port_offset, 2);
    assert_string_equal(config.nginx.render.tenant_header, "X-Tenant");
    assert_string_equal(config.nginx_test_argv[0], "nginx");
    assert_string_equal(config.provider.create_argv[3], "{request_id}");
    assert_int_equal(config.instance_count, 1);
    assert_int_equal(config.instances[0].components, 3);
    assert_int_equal(config.instances[0].tenant_count, 2);
    assert_int_equal(config.policy.instances_max, 4);
    lbd_config_free(&config);
}

static void test_config_errors_name_place(void **state)
{
    static const struct {
        const char *extra;
        const char *message;
    } cases[] = {
        {"unknown_parameter = 1\n", ":21: [policy] unknown_parameter"},
        {"instances_max = 4\n", ":21: [policy] instances_max: duplicate key"},
        {"instances_max = many\n", ":21: [policy] instances_max"},
        {"[lbd]\nlog_level = loud\n", ":22: [lbd] log_level"},
        {"[nginx]\nstatus_listen = 127.0.0.1:80;\n",
         ":22: [nginx] status_listen: duplicate key"},
        {"[components]\ndfc = dfc 3\n", ":22: [components] dfc"},
        {"[instances]\ni2 = 127.0.0.1:4001 dev t;1\n", ":22: [instances] i2"},
        {"[instances]\ni3 = 127.0.0.1:4001 dfc t1\n", ":22: [instances] i3"},
        {"[provider]\nkind = cloud\n", ":22: [provider] kind"},
        {"[nginx]\nlog_poll_ms = 0\n", ":22: [nginx] log_poll_ms"},
        {"[nginx]\ntenant_header = X;T\n", ":22: [nginx] tenant_header"},
        {"[nginx]\ntenant_from = cookie\n", ":22: [nginx] tenant_from"},
        {"[other]\nkey = 1\n", ":22: [other] key: unknown key"},
        {"just words\n", ":21: expected key = value"},
        {"[broken\n", ":21: expected [section]"},
    };
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lbd_config config;
        err[0] = '\0';
        assert_int_equal(load_with(&config, token_path, cases[i].extra, err,
                                   sizeof(err)) < 0, 1);
        if (!strstr(err, cases[i].message)) {
            print_error("case %zu: %s\n", i, err);
        }
        assert_non_null(strstr(err, conf_path));
        assert_non_null(strstr(err, cases[i].message));
        lbd_config_free(&config);
    }
}

static void test_config_rejects_short_token(void **state)
{
    lbd_config config;
    char err[512] = "";
    (void)state;

    assert_int_equal(load_with(&config, short_token_path, "", err,
                               sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, ":4: [lbd] token_file: the token must be"));
    assert_null(strstr(err, "short"));
    lbd_config_free(&config);

    assert_true(load_with(&config, "/nonexistent/token", "", err,
                          sizeof(err)) < 0);
    assert_non_null(strstr(err, "[lbd] token_file: cannot open"));
    lbd_config_free(&config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_loads_complete_file),
        cmocka_unit_test(test_config_errors_name_place),
        cmocka_unit_test(test_config_rejects_short_token),
    };
    return cmocka_run_group_tests(tests, config_group_setup,
                                  config_group_teardown);
}
