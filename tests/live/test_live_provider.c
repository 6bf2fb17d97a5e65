/* Unit tests of the provider adapters. Replies become controller calls,
 * failures carry their reason, hostile ids never reach a command, and a
 * hanging command is killed at its timeout. The commands are small sh
 * scripts; the HTTP API is served on loopback. */
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

#include "api_server.h"
#include "fake_controller.h"
#include "loop.h"
#include "proc.h"
#include "provider.h"
#include "registry.h"

typedef struct provider_fixture {
    live_loop *loop;
    live_registry registry;
    live_dfm dfm;
    live_provider_config config;
    live_provider provider;
} provider_fixture;

static int provider_setup(void **state)
{
    provider_fixture *f = calloc(1, sizeof(*f));

    f->loop = live_loop_create();
    live_registry_init(&f->registry);
    f->dfm = (live_dfm){.loop = f->loop, .registry = &f->registry};
    f->config = (live_provider_config){
        .kind = LIVE_PROVIDER_COMMAND,
        .timeout_us = 5000000,
    };
    f->provider = (live_provider){
        .loop = f->loop, .config = &f->config, .registry = &f->registry,
        .dfm = &f->dfm,
    };
    fake_journal_clear();
    *state = f;
    return 0;
}

static int provider_teardown(void **state)
{
    provider_fixture *f = *state;

    live_registry_deinit(&f->registry);
    live_loop_destroy(f->loop);
    free(f);
    return 0;
}

/* Runs the loop until no provider request is left; bounded by the
 * commands' timeout. */
static void run_until_answered(provider_fixture *f)
{
    while (f->provider.running > 0) {
        assert_int_equal(live_loop_run_once(f->loop, 100000), 0);
    }
}

static void test_argv_expand_placeholders(void **state)
{
    const char *const templ[] = {"prov", "create", "--type={type}",
                                 "{request_id}", "{instance}", NULL};
    (void)state;

    char **argv = live_argv_expand(templ, 42, "standard", "i7");
    assert_non_null(argv);
    assert_string_equal(argv[0], "prov");
    assert_string_equal(argv[2], "--type=standard");
    assert_string_equal(argv[3], "42");
    assert_string_equal(argv[4], "i7");
    assert_null(argv[5]);
    live_argv_free(argv);
}

static void test_provider_create_registers(void **state)
{
    provider_fixture *f = *state;
    const char *const create[] = {
        "sh", "-c", "echo '{\"id\":\"n{request_id}\",\"address\":"
        "\"127.0.0.1:4100\"}'", NULL};

    f->config.create_argv = create;
    assert_int_equal(live_provider_instance_create(&f->provider, 9,
                                                   "standard"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_created request_id=9 "
                                        "instance=n9 address=127.0.0.1:4100"),
                     1);
    assert_string_equal(live_registry_address(&f->registry, "n9"),
                        "127.0.0.1:4100");
}

static void test_provider_create_replays_early_ready(void **state)
{
    provider_fixture *f = *state;
    const char *const create[] = {
        "sh", "-c", "echo '{\"id\":\"n3\",\"address\":\"127.0.0.1:4100\"}'",
        NULL};

    f->config.create_argv = create;
    assert_int_equal(live_registry_ready_defer(&f->registry, "n3", 0), 0);
    assert_int_equal(live_provider_instance_create(&f->provider, 3, "std"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_created request_id=3"), 1);
    assert_int_equal(fake_journal_count("dfm_ready instance=n3"), 1);
}

static void test_provider_failures_carry_reason(void **state)
{
    provider_fixture *f = *state;
    const char *const fails[] = {"sh", "-c", "echo 'quota exceeded' >&2; "
                                 "exit 3", NULL};
    const char *const garbage[] = {"sh", "-c", "echo '{\"id\":\"a;b\"}'",
                                   NULL};
    const char *const not_json[] = {"sh", "-c", "echo created", NULL};

    f->config.create_argv = fails;
    assert_int_equal(live_provider_instance_create(&f->provider, 1, "std"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_create_failed request_id=1 "
                                        "reason=provider command exited with "
                                        "status 3: quota exceeded"), 1);

    f->config.create_argv = garbage;
    assert_int_equal(live_provider_instance_create(&f->provider, 2, "std"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_create_failed request_id=2 "
                                        "reason=invalid provider reply: "
                                        "field 'id': invalid id"), 1);

    f->config.create_argv = not_json;
    assert_int_equal(live_provider_instance_create(&f->provider, 3, "std"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_create_failed request_id=3 "
                                        "reason=invalid provider reply: "
                                        "invalid JSON"), 1);
    assert_int_equal(fake_journal_count("instance_created"), 0);
}

static void test_provider_rejects_hostile_ids(void **state)
{
    provider_fixture *f = *state;
    const char *const touch[] = {"sh", "-c", "echo ran; exit 1", "x",
                                 "{instance}", NULL};
    const char *const hostile[] = {"a;b", "-rf", "a b", "$(id)", "", "x\ny"};

    f->config.remove_argv = touch;
    f->config.restart_argv = touch;
    f->config.create_argv = touch;
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        assert_int_equal(live_provider_instance_remove(&f->provider, i,
                                                       hostile[i]), -EINVAL);
        assert_int_equal(live_provider_instance_restart(&f->provider, i,
                                                        hostile[i]), -EINVAL);
        assert_int_equal(live_provider_instance_create(&f->provider, i,
                                                       hostile[i]), -EINVAL);
    }
    assert_int_equal(f->provider.running, 0);
    assert_int_equal(live_proc_running(), 0);
    assert_string_equal(fake_journal(), "");
}

static void test_provider_timeout_kills_command(void **state)
{
    provider_fixture *f = *state;
    const char *const hang[] = {"sleep", "30", NULL};

    f->config.restart_argv = hang;
    f->config.timeout_us = 200000;
    assert_int_equal(live_provider_instance_restart(&f->provider, 5, "i1"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_restart_failed request_id=5 "
                                        "reason=provider command timed out"),
                     1);
    assert_int_equal(live_proc_running(), 0);
}

/* Polls for at most 5 s until no process has that pid. */
static bool process_gone(pid_t pid)
{
    for (int i = 0; i < 250; i++) {
        if (kill(pid, 0) != 0 && errno == ESRCH) {
            return true;
        }
        nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
    }
    return false;
}

static void test_provider_timeout_kills_group(void **state)
{
    provider_fixture *f = *state;
    char pid_path[] = "/tmp/lbsim-provider-pid-XXXXXX";
    char script[256];
    int fd = mkstemp(pid_path);

    assert_true(fd >= 0);
    close(fd);
    snprintf(script, sizeof(script), "sleep 30 & echo $! > %s; wait",
             pid_path);
    const char *const spawns[] = {"sh", "-c", script, NULL};
    f->config.restart_argv = spawns;
    f->config.timeout_us = 300000;
    assert_int_equal(live_provider_instance_restart(&f->provider, 6, "i1"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_restart_failed request_id=6 "
                                        "reason=provider command timed out"),
                     1);

    FILE *file = fopen(pid_path, "r");
    long pid = 0;
    assert_non_null(file);
    assert_int_equal(fscanf(file, "%ld", &pid), 1);
    fclose(file);
    unlink(pid_path);
    assert_true(pid > 0);
    assert_true(process_gone((pid_t)pid));
}

static void test_provider_messages(void **state)
{
    provider_fixture *f = *state;
    const char *const silent[] = {"sh", "-c", "exit 4", NULL};
    const char *const chatty[] = {"sh", "-c", "head -c 70000 /dev/zero | "
                                  "tr '\\0' x", NULL};
    const char *const hostile[] = {"sh", "-c", "printf 'bad\\033[31m \"q\" "
                                   "\\\\ x' >&2; exit 1", NULL};

    f->config.create_argv = silent;
    assert_int_equal(live_provider_instance_create(&f->provider, 1, "m5.large"),
                     0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("reason=provider command exited with "
                                        "status 4"), 1);
    assert_int_equal(fake_journal_count("status 4:"), 0);

    f->config.create_argv = chatty;
    assert_int_equal(live_provider_instance_create(&f->provider, 2, "std"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_create_failed request_id=2 "
                                        "reason=provider command output too "
                                        "long (more than 65536 bytes)"), 1);

    f->config.create_argv = hostile;
    assert_int_equal(live_provider_instance_create(&f->provider, 3, "std"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_create_failed request_id=3 "
                                        "reason=provider command exited with "
                                        "status 1: bad [31m 'q' / x"), 1);
    assert_null(strchr(fake_journal(), '\033'));
    assert_null(strchr(fake_journal(), '"'));
}

static void test_provider_list_keeps_first_duplicate(void **state)
{
    lb_instance_info *instances = NULL;
    size_t count = 0;
    char err[256] = "";
    (void)state;

    assert_int_equal(live_provider_list_parse(
                         "{\"instances\":[{\"id\":\"i1\",\"address\":"
                         "\"10.0.0.1:80\"},{\"id\":\"i2\",\"address\":"
                         "\"10.0.0.2:80\"},{\"id\":\"i1\",\"address\":"
                         "\"10.0.0.9:80\"}]}", &instances, &count, err,
                         sizeof(err)), 0);
    assert_int_equal(count, 2);
    assert_string_equal(instances[0].id, "i1");
    assert_string_equal(instances[0].address, "10.0.0.1:80");
    assert_string_equal(instances[1].id, "i2");
    live_provider_list_free(instances, count);
}

static void test_provider_instance_types(void **state)
{
    provider_fixture *f = *state;
    const char *const echo_type[] = {"sh", "-c", "echo \"{\\\"id\\\":\\\"n1\\\","
                                     "\\\"address\\\":\\\"127.0.0.1:9\\\","
                                     "\\\"type\\\":\\\"$0\\\"}\"", "{type}",
                                     NULL};

    f->config.create_argv = echo_type;
    assert_int_equal(live_provider_instance_create(&f->provider, 1, "m5.large"),
                     0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_created request_id=1 "
                                        "instance=n1"), 1);
    assert_int_equal(live_provider_instance_create(&f->provider, 2,
                                                   "m5 large"), -EINVAL);
    assert_int_equal(live_provider_instance_create(&f->provider, 3, "-rf"),
                     -EINVAL);
    assert_int_equal(live_provider_instance_create(&f->provider, 4, "a;b"),
                     -EINVAL);
    assert_int_equal(live_provider_instance_remove(&f->provider, 5,
                                                   "m5.large"), -EINVAL);
}

static void test_provider_remove_and_list(void **state)
{
    provider_fixture *f = *state;
    const char *const remove[] = {"sh", "-c", "echo '{}'", NULL};
    const char *const list[] = {
        "sh", "-c", "echo '{\"instances\":[{\"id\":\"i1\",\"address\":"
        "\"127.0.0.1:4000\"},{\"id\":\"n2\",\"address\":\"[::1]:4010\"}]}'",
        NULL};
    lb_instance_info *instances = NULL;
    size_t count = 0;
    char err[256] = "";

    assert_int_equal(live_registry_set(&f->registry, "n5", "127.0.0.1:4200"),
                     0);
    f->config.remove_argv = remove;
    assert_int_equal(live_provider_instance_remove(&f->provider, 6, "n5"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_removed request_id=6 "
                                        "instance=n5"), 1);
    assert_null(live_registry_address(&f->registry, "n5"));

    f->config.list_argv = list;
    assert_int_equal(live_provider_list_now(&f->provider, &instances, &count,
                                            err, sizeof(err)), 0);
    assert_int_equal(count, 2);
    assert_string_equal(instances[1].id, "n2");
    assert_string_equal(instances[1].address, "[::1]:4010");
    live_provider_list_free(instances, count);
}

static void test_provider_list_parse_errors(void **state)
{
    lb_instance_info *instances = NULL;
    size_t count = 0;
    char err[256];
    const char *const bad[] = {
        "", "{", "{}", "{\"instances\":{}}", "{\"instances\":[1]}",
        "{\"instances\":[{\"id\":\"i1\"}]}",
        "{\"instances\":[{\"id\":\"i1\",\"address\":\"x;y:80\"}]}",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(live_provider_list_parse(bad[i], &instances, &count,
                                                  err, sizeof(err)), -EINVAL);
        assert_null(instances);
        assert_int_equal(count, 0);
        assert_true(err[0] != '\0');
    }
}

#define PROVIDER_TOKEN "provider-token-0123456789"

static unsigned http_create_cb(void *ctx, const json_t *body, json_t **reply,
                               char *err, size_t err_len)
{
    json_int_t id = json_integer_value(json_object_get(body, "request_id"));
    char instance[32];
    (void)ctx;
    (void)err;
    (void)err_len;

    snprintf(instance, sizeof(instance), "h%lld", (long long)id);
    *reply = json_pack("{s:s,s:s}", "id", instance, "address",
                       "127.0.0.1:4300");
    return 201;
}

static unsigned http_list_cb(void *ctx, const json_t *body, json_t **reply,
                             char *err, size_t err_len)
{
    (void)ctx;
    (void)body;
    (void)err;
    (void)err_len;
    *reply = json_pack("{s:[{s:s,s:s}]}", "instances", "id", "h1", "address",
                       "127.0.0.1:4300");
    return 200;
}

static unsigned http_restart_cb(void *ctx, const json_t *body, json_t **reply,
                                char *err, size_t err_len)
{
    (void)ctx;
    (void)body;
    (void)reply;
    snprintf(err, err_len, "instance h1 is busy");
    return 409;
}

/* The HTTP adapter against a provider API served on loopback: create and
 * list succeed, a 409 and a path the API lacks (the DELETE) fail with
 * their reason, and a wrong token is turned away. */
static void test_provider_http_api(void **state)
{
    provider_fixture *f = *state;
    const live_api_route routes[] = {
        {"POST", "/v1/instances", http_create_cb, NULL},
        {"GET", "/v1/instances", http_list_cb, NULL},
        {"POST", "/v1/instances/h1/restart", http_restart_cb, NULL},
    };
    char err[256], url[64];

    live_api_server *api = live_api_server_start(f->loop, "127.0.0.1:0",
                                                 PROVIDER_TOKEN, routes, 3,
                                                 err, sizeof(err));
    assert_non_null(api);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u",
             live_api_server_port(api));
    f->config.kind = LIVE_PROVIDER_HTTP;
    f->config.base_url = url;
    f->config.token = PROVIDER_TOKEN;

    assert_int_equal(live_provider_instance_create(&f->provider, 7, "std"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_created request_id=7 "
                                        "instance=h7 address=127.0.0.1:4300"),
                     1);
    assert_int_equal(live_provider_instance_list(&f->provider, 8), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_listed instance=h1 "
                                        "address=127.0.0.1:4300"), 1);
    assert_int_equal(live_provider_instance_restart(&f->provider, 9, "h1"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_restart_failed request_id=9 "
                                        "reason=provider responded with HTTP "
                                        "409"), 1);
    assert_int_equal(fake_journal_count("instance h1 is busy"), 1);
    assert_int_equal(live_provider_instance_remove(&f->provider, 10, "h1"), 0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_remove_failed request_id=10 "
                                        "reason=provider responded with HTTP "
                                        "404"), 1);

    f->config.token = "wrong-token-0123456789";
    assert_int_equal(live_provider_instance_create(&f->provider, 11, "std"),
                     0);
    run_until_answered(f);
    assert_int_equal(fake_journal_count("instance_create_failed request_id=11 "
                                        "reason=provider responded with HTTP "
                                        "401"), 1);
    live_api_server_stop(api);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv_expand_placeholders),
        cmocka_unit_test_setup_teardown(test_provider_create_registers,
                                        provider_setup, provider_teardown),
        cmocka_unit_test_setup_teardown(
            test_provider_create_replays_early_ready, provider_setup,
            provider_teardown),
        cmocka_unit_test_setup_teardown(test_provider_failures_carry_reason,
                                        provider_setup, provider_teardown),
        cmocka_unit_test_setup_teardown(test_provider_rejects_hostile_ids,
                                        provider_setup, provider_teardown),
        cmocka_unit_test_setup_teardown(test_provider_timeout_kills_command,
                                        provider_setup, provider_teardown),
        cmocka_unit_test_setup_teardown(test_provider_remove_and_list,
                                        provider_setup, provider_teardown),
        cmocka_unit_test(test_provider_list_parse_errors),
        cmocka_unit_test_setup_teardown(test_provider_timeout_kills_group,
                                        provider_setup, provider_teardown),
        cmocka_unit_test_setup_teardown(test_provider_messages,
                                        provider_setup, provider_teardown),
        cmocka_unit_test(test_provider_list_keeps_first_duplicate),
        cmocka_unit_test_setup_teardown(test_provider_instance_types,
                                        provider_setup, provider_teardown),
        cmocka_unit_test_setup_teardown(test_provider_http_api,
                                        provider_setup, provider_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
