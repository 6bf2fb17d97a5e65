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
#include <fcntl.h>
#include <sys/stat.h>
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

static int write_text(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    if (!file) {
        return -1;
    }
    int rc = fputs(text, file) < 0 ? -1 : 0;
    return fclose(file) == 0 ? rc : -1;
}

static int load_with(lbd_config *config, const char *token_file,
                     const char *extra, char *err, size_t err_len)
{
    FILE *file = fopen(conf_path, "w");
    assert_non_null(file);
    fprintf(file, base_config, token_file, extra);
    fclose(file);
    return lbd_config_load(config, conf_path, err, err_len);
}

/* Like load_with, with the first "from" of the base config replaced by
 * "to" (on the same line, so line numbers stay). */
static int load_replaced(lbd_config *config, const char *from, const char *to,
                         const char *extra, char *err, size_t err_len)
{
    char text[4096];
    char replaced[4096];

    snprintf(text, sizeof(text), base_config, token_path, extra);
    char *at = strstr(text, from);
    assert_non_null(at);
    snprintf(replaced, sizeof(replaced), "%.*s%s%s", (int)(at - text), text,
             to, at + strlen(from));
    assert_int_equal(write_text(conf_path, replaced), 0);
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
        {"[other]\nkey = 1\n", ":21: unknown section [other]"},
        {"[other]\n", ":21: unknown section [other]"},
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

static void test_config_listen_checks(void **state)
{
    static const struct {
        const char *listen;
        const char *extra;
        const char *message; /* NULL when the file is valid */
    } cases[] = {
        {"10.1.2.3:8700", "", ":3: [lbd] listen: not a loopback address"},
        {"0.0.0.0:8700", "", "listen_non_loopback = yes"},
        {"[::]:8700", "", ":3: [lbd] listen: not a loopback address"},
        {"localhost:8700", "", ":3: [lbd] listen: expected a numeric"},
        {"127.0.0.1", "", ":3: [lbd] listen: expected a numeric"},
        {"127.0.0.1:99999", "", ":3: [lbd] listen: expected a numeric"},
        {"10.1.2.3:8700", "[lbd]\nlisten_non_loopback = maybe\n",
         ":22: [lbd] listen_non_loopback: expected yes or no"},
        {"10.1.2.3:8700", "[lbd]\nlisten_non_loopback = no\n",
         "not a loopback address"},
        {"10.1.2.3:8700", "[lbd]\nlisten_non_loopback = yes\n", NULL},
        {"127.0.0.2:8700", "", NULL},
        {"[::1]:8700", "", NULL},
    };
    char err[512];
    char line[64];
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lbd_config config;
        err[0] = '\0';
        snprintf(line, sizeof(line), "listen = %s\n", cases[i].listen);
        int rc = load_replaced(&config, "listen = 127.0.0.1:0\n", line,
                               cases[i].extra, err, sizeof(err));
        if (cases[i].message ? rc == 0 || !strstr(err, cases[i].message) :
                               rc != 0) {
            print_error("case %zu: %s\n", i, err);
        }
        if (cases[i].message) {
            assert_true(rc < 0);
            assert_non_null(strstr(err, cases[i].message));
        } else {
            assert_int_equal(rc, 0);
        }
        lbd_config_free(&config);
    }
}

static void test_config_consistency_checks(void **state)
{
    static const struct {
        const char *from;
        const char *to;
        const char *extra;
        const char *message;
    } cases[] = {
        {"", "", "[instances]\ni2 = 127.0.0.1:65535 dev -\n",
         ":22: [instances] i2: port 65535 plus the offset 1 of component dev "
         "is above 65535"},
        {"", "", "[instances]\ni2 = 127.0.0.1:65534 dev,dep -\n",
         "offset 2 of component dep is above 65535"},
        {"", "", "[components]\ndfc = /dep/ 3\n",
         ":22: [components] dfc: path prefix /dep/ is already used by "
         "component dep"},
        {"", "", "[instances]\ni2 = 127.0.0.1:4010 dev t3,t2\n",
         ":22: [instances] i2: tenant t2 is already on instance i1"},
        {"create = /bin/prov", "kind = http\nurl = file:///etc/passwd\n#",
         "", ":14: [provider] url: expected an http:// or https:// URL"},
        {"create = /bin/prov", "kind = http\nurl = gopher://x\n#", "",
         "[provider] url: expected an http"},
        {"{request_id}", "{requestid}", "",
         ":13: [provider] create: unknown placeholder {requestid} (expected "
         "{request_id}, {type} or {instance})"},
        {"remove {instance}", "remove {instance} {id}", "",
         ":14: [provider] remove: unknown placeholder {id}"},
        {"restart {instance}", "restart {instance", "",
         ":15: [provider] restart: unknown placeholder {instance"},
        {"", "", "instance_type = m5 large\n", ":21: [policy] instance_type"},
        {"", "", "instance_type = m5{large}\n",
         ":21: [policy] instance_type: expected 1-63 of [A-Za-z0-9._:/-]"},
        {"", "", "instance_type = -x\n", ":21: [policy] instance_type"},
        {"", "", "instance_type = a;b\n", ":21: [policy] instance_type"},
    };
    char err[512];
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lbd_config config;
        err[0] = '\0';
        int rc = load_replaced(&config, cases[i].from, cases[i].to,
                               cases[i].extra, err, sizeof(err));
        if (rc == 0 || !strstr(err, cases[i].message)) {
            print_error("case %zu: %s\n", i, err);
        }
        assert_true(rc < 0);
        assert_non_null(strstr(err, cases[i].message));
        lbd_config_free(&config);
    }
}

static void test_config_accepts_provider_types(void **state)
{
    const char *const types[] = {"m5.large", "e2-standard-4",
                                 "Standard_D2s_v3", "gpu:a100/2"};
    char extra[128];
    char err[512] = "";
    (void)state;

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        lbd_config config;
        snprintf(extra, sizeof(extra), "instance_type = %s\n", types[i]);
        assert_int_equal(load_with(&config, token_path, extra, err,
                                   sizeof(err)), 0);
        assert_string_equal(config.policy.instance_type, types[i]);
        lbd_config_free(&config);
    }
}

/* Loads the base config with token text in a token file of the given mode;
 * what lbd logs meanwhile goes to log (log_len bytes at most). */
static int load_token(lbd_config *config, const char *token, mode_t mode,
                      char *log, size_t log_len, char *err, size_t err_len)
{
    char path[160];
    char log_path[160];

    snprintf(path, sizeof(path), "%s/token-case", dir);
    snprintf(log_path, sizeof(log_path), "%s/log", dir);
    assert_int_equal(write_text(path, token), 0);
    assert_int_equal(chmod(path, mode), 0);

    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    int rc = load_with(config, path, "", err, err_len);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);

    FILE *file = fopen(log_path, "r");
    size_t len = fread(log, 1, log_len - 1, file);
    log[len] = '\0';
    fclose(file);
    unlink(log_path);
    unlink(path);
    return rc;
}

static void test_config_token_checks(void **state)
{
    static char token[6000];
    char log[4096];
    char err[512] = "";
    lbd_config config;
    (void)state;

    memset(token, 'a', 600);
    token[600] = '\n';
    assert_int_equal(load_token(&config, token, 0600, log, sizeof(log), err,
                                sizeof(err)), 0);
    assert_int_equal(strlen(config.token), 600);
    assert_null(strstr(log, "token_file_readable_by_all"));
    lbd_config_free(&config);

    assert_int_equal(load_token(&config, "0123456789abcdef0123\n", 0644, log,
                                sizeof(log), err, sizeof(err)), 0);
    assert_non_null(strstr(log, "event=token_file_readable_by_all"));
    assert_null(strstr(log, "0123456789abcdef0123"));
    lbd_config_free(&config);

    memset(token, 'b', 5000);
    token[5000] = '\n';
    token[5001] = '\0';
    assert_int_equal(load_token(&config, token, 0600, log, sizeof(log), err,
                                sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, ":4: [lbd] token_file: the token is longer "
                                "than 4096 characters"));
    assert_null(strstr(err, "bbbb"));
    lbd_config_free(&config);

    assert_true(load_with(&config, "/nonexistent/token", "", err,
                          sizeof(err)) < 0);
    assert_non_null(strstr(err, "[lbd] token_file: cannot open the token "
                                "file: No such file or directory"));
    lbd_config_free(&config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_loads_complete_file),
        cmocka_unit_test(test_config_errors_name_place),
        cmocka_unit_test(test_config_rejects_short_token),
        cmocka_unit_test(test_config_listen_checks),
        cmocka_unit_test(test_config_consistency_checks),
        cmocka_unit_test(test_config_accepts_provider_types),
        cmocka_unit_test(test_config_token_checks),
    };
    return cmocka_run_group_tests(tests, config_group_setup,
                                  config_group_teardown);
}
