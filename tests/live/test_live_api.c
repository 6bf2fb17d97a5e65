/* Unit tests of lbd's DFM notification API over loopback: the bearer token
 * is required, and malformed bodies get 400 with a message while the
 * server keeps serving. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_server.h"
#include "dfm.h"
#include "fake_controller.h"
#include "http_client.h"
#include "loop.h"
#include "registry.h"

#define TEST_TOKEN "test-token-0123456789abcdef"

static const live_component test_components[] = {
    {.name = "dev", .path_prefix = "/", .port_offset = 1},
    {.name = "dep", .path_prefix = "/dep/", .port_offset = 2},
};

typedef struct api_fixture {
    live_loop *loop;
    live_registry registry;
    live_dfm dfm;
    live_api_server *server;
    char base_url[64];
} api_fixture;

typedef struct api_reply {
    bool done;
    int result;
    long status;
    char body[1024];
} api_reply;

static int api_setup(void **state)
{
    api_fixture *fixture = calloc(1, sizeof(*fixture));
    live_api_route routes[LIVE_DFM_ROUTE_COUNT];
    char err[256];

    fixture->loop = live_loop_create();
    live_registry_init(&fixture->registry);
    assert_int_equal(live_registry_set(&fixture->registry, "i1",
                                       "127.0.0.1:9"), 0);
    fixture->dfm = (live_dfm){
        .loop = fixture->loop, .registry = &fixture->registry,
        .components = test_components, .component_count = 2,
        .token = TEST_TOKEN, .timeout_ms = 1000,
        /* Never dereferenced: the fake controller only records calls. */
        .controller = (lb_controller *)fixture,
    };
    size_t count = live_dfm_api_routes(&fixture->dfm, routes);
    fixture->server = live_api_server_start(fixture->loop, "127.0.0.1:0",
                                            TEST_TOKEN, routes, count, err,
                                            sizeof(err));
    assert_non_null(fixture->server);
    snprintf(fixture->base_url, sizeof(fixture->base_url),
             "http://127.0.0.1:%u", live_api_server_port(fixture->server));
    fake_journal_clear();
    *state = fixture;
    return 0;
}

static int api_teardown(void **state)
{
    api_fixture *fixture = *state;

    live_api_server_stop(fixture->server);
    live_registry_deinit(&fixture->registry);
    live_loop_destroy(fixture->loop);
    free(fixture);
    return 0;
}

static void reply_cb(void *ctx, const live_http_reply *reply)
{
    api_reply *out = ctx;
    out->done = true;
    out->result = reply->result;
    out->status = reply->status;
    snprintf(out->body, sizeof(out->body), "%s", reply->body);
}

/* Sends one call and runs the loop until its reply; bounded by the
 * client's 5 s timeout. */
static api_reply call_api(api_fixture *fixture, const char *method,
                          const char *path, const char *token,
                          const char *body)
{
    api_reply reply = {0};
    char url[160];

    snprintf(url, sizeof(url), "%s%s", fixture->base_url, path);
    assert_int_equal(live_http_request(fixture->loop, method, url, token, body,
                                       5000, reply_cb, &reply), 0);
    while (!reply.done) {
        assert_int_equal(live_loop_run_once(fixture->loop, 100000), 0);
    }
    assert_int_equal(reply.result, 0);
    return reply;
}

static void test_api_rejects_missing_or_wrong_token(void **state)
{
    api_fixture *fixture = *state;
    const char *body = "{\"instance\":\"i1\"}";
    const char *const wrong_tokens[] = {
        NULL, "", "wrong", TEST_TOKEN "x", "test-token-0123456789abcde",
    };

    for (size_t i = 0; i < sizeof(wrong_tokens) / sizeof(wrong_tokens[0]);
         i++) {
        api_reply reply = call_api(fixture, "POST", "/v1/dfm/ready",
                                   wrong_tokens[i], body);
        assert_int_equal(reply.status, 401);
        assert_non_null(strstr(reply.body, "\"error\""));
    }
    assert_int_equal(fake_journal_count("dfm_ready"), 0);

    api_reply reply = call_api(fixture, "POST", "/v1/dfm/ready", TEST_TOKEN,
                               body);
    assert_int_equal(reply.status, 200);
    assert_int_equal(fake_journal_count("dfm_ready instance=i1"), 1);
}

static void test_api_rejects_malformed_bodies(void **state)
{
    api_fixture *fixture = *state;
    static const struct {
        const char *path;
        const char *body;
        const char *message;
    } cases[] = {
        {"/v1/dfm/ready", "", "empty body"},
        {"/v1/dfm/ready", "{", "invalid JSON"},
        {"/v1/dfm/ready", "{\"instance\":}", "invalid JSON"},
        {"/v1/dfm/ready", "\xff\xfe", "invalid JSON"},
        {"/v1/dfm/ready", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                          "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
         "invalid JSON"},
        {"/v1/dfm/ready", "[]", "expected a JSON object"},
        {"/v1/dfm/ready", "null", "invalid"},
        {"/v1/dfm/ready", "{\"instance\":\"i1\",\"instance\":\"i2\"}",
         "invalid JSON"},
        {"/v1/dfm/ready", "{}", "missing field \\\"instance\\\""},
        {"/v1/dfm/ready", "{\"instance\":5}", "expected a string"},
        {"/v1/dfm/ready", "{\"instance\":\"a;b\"}", "invalid id"},
        {"/v1/dfm/ready", "{\"instance\":\"a\\u0000b\"}", "NUL"},
        {"/v1/dfm/overload", "{\"instance\":\"i1\",\"cpu_permille\":2000,"
                             "\"window_ms\":1000}", "cpu_permille"},
        {"/v1/dfm/overload", "{\"instance\":\"i1\",\"cpu_permille\":\"high\","
                             "\"window_ms\":1000}", "cpu_permille"},
        {"/v1/dfm/overload", "{\"instance\":\"i1\",\"cpu_permille\":-1,"
                             "\"window_ms\":1000}", "cpu_permille"},
        {"/v1/dfm/overload", "{\"instance\":\"i1\",\"cpu_permille\":900}",
         "window_ms"},
        {"/v1/dfm/overload", "{\"instance\":\"i1\",\"cpu_permille\":900,"
                             "\"window_ms\":1000,\"processes\":{}}",
         "processes"},
        {"/v1/dfm/overload", "{\"instance\":\"i1\",\"cpu_permille\":900,"
                             "\"window_ms\":1000,\"processes\":"
                             "[{\"component\":\"dfc\",\"cpu_permille\":1}]}",
         "unknown component"},
        {"/v1/dfm/component_down", "{\"instance\":\"i1\"}", "component"},
        {"/v1/dfm/components_started", "{\"instance\":\"i1\","
                                       "\"request_id\":\"7\"}", "request_id"},
        {"/v1/dfm/components_stopped", "{\"instance\":\"i1\","
                                       "\"request_id\":1.5}", "request_id"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        api_reply reply = call_api(fixture, "POST", cases[i].path, TEST_TOKEN,
                                   cases[i].body);
        if (reply.status != 400 || !strstr(reply.body, cases[i].message)) {
            print_error("case %zu: status %ld body %s\n", i, reply.status,
                        reply.body);
        }
        assert_int_equal(reply.status, 400);
        assert_non_null(strstr(reply.body, "\"error\""));
        assert_non_null(strstr(reply.body, cases[i].message));
    }
    assert_string_equal(fake_journal(), "");

    api_reply reply = call_api(fixture, "POST", "/v1/dfm/overload", TEST_TOKEN,
                               "{\"instance\":\"i1\",\"cpu_permille\":900,"
                               "\"window_ms\":1000,\"processes\":[{"
                               "\"component\":\"dep\",\"cpu_permille\":600}]}");
    assert_int_equal(reply.status, 200);
    assert_int_equal(fake_journal_count("overload instance=i1 cpu_permille=900 "
                                        "window_us=1000000 processes=1"), 1);
}

static void test_api_rejects_large_body(void **state)
{
    api_fixture *fixture = *state;
    size_t len = LIVE_API_BODY_MAX + 100;
    char *body = malloc(len + 1);

    memset(body, ' ', len);
    body[0] = '{';
    body[len - 1] = '}';
    body[len] = '\0';
    api_reply reply = call_api(fixture, "POST", "/v1/dfm/ready", TEST_TOKEN,
                               body);
    free(body);
    assert_int_equal(reply.status, 413);
    assert_string_equal(fake_journal(), "");
}

static void test_api_unknown_path_and_method(void **state)
{
    api_fixture *fixture = *state;

    api_reply reply = call_api(fixture, "POST", "/v1/dfm/nothing", TEST_TOKEN,
                               "{}");
    assert_int_equal(reply.status, 404);
    reply = call_api(fixture, "GET", "/v1/dfm/ready", TEST_TOKEN, NULL);
    assert_int_equal(reply.status, 405);
}

static void test_api_defers_ready_of_unknown_instance(void **state)
{
    api_fixture *fixture = *state;

    api_reply reply = call_api(fixture, "POST", "/v1/dfm/ready", TEST_TOKEN,
                               "{\"instance\":\"i5\"}");
    assert_int_equal(reply.status, 202);
    assert_int_equal(fake_journal_count("dfm_ready"), 0);
    assert_int_equal(live_registry_set(&fixture->registry, "i5",
                                       "127.0.0.1:10"), 0);
    live_dfm_ready_replay(&fixture->dfm, "i5");
    live_dfm_ready_replay(&fixture->dfm, "i5");
    assert_int_equal(fake_journal_count("dfm_ready instance=i5"), 1);
}

/* A DFM that records the last start or stop body and responds with
 * dfm_status. */
static unsigned dfm_status;
static char dfm_body[1024];

static unsigned fake_dfm_cb(void *ctx, const json_t *body, json_t **reply,
                            char *err, size_t err_len)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    (void)ctx;
    (void)reply;

    snprintf(dfm_body, sizeof(dfm_body), "%s", text);
    free(text);
    snprintf(err, err_len, "simulated failure");
    return dfm_status;
}

static void run_until_idle(api_fixture *fixture)
{
    while (live_loop_curl_running(fixture->loop) > 0) {
        assert_int_equal(live_loop_run_once(fixture->loop, 100000), 0);
    }
    assert_int_equal(live_loop_run_once(fixture->loop, 0), 0);
}

static void test_dfm_requests_reach_dfm(void **state)
{
    api_fixture *fixture = *state;
    const live_api_route routes[] = {
        {"POST", "/v1/components/start", fake_dfm_cb, NULL},
        {"POST", "/v1/components/stop", fake_dfm_cb, NULL},
    };
    const char *const tenants[] = {"t1", "t2"};
    const char *const hostile[] = {"t1", "t;2"};
    char err[256], address[32];

    live_api_server *dfm = live_api_server_start(fixture->loop, "127.0.0.1:0",
                                                 TEST_TOKEN, routes, 2, err,
                                                 sizeof(err));
    assert_non_null(dfm);
    snprintf(address, sizeof(address), "127.0.0.1:%u",
             live_api_server_port(dfm));
    assert_int_equal(live_registry_set(&fixture->registry, "n2", address), 0);

    dfm_status = 202;
    assert_int_equal(live_dfm_components_start(&fixture->dfm, "n2", 11, 1,
                                               tenants, 2), 0);
    run_until_idle(fixture);
    assert_string_equal(dfm_body, "{\"components\":[\"dev\"],\"instance\":"
                        "\"n2\",\"request_id\":11,\"tenants\":[\"t1\","
                        "\"t2\"]}");
    assert_string_equal(fake_journal(), "");

    dfm_status = 500;
    assert_int_equal(live_dfm_components_start(&fixture->dfm, "n2", 12, 3,
                                               tenants, 1), 0);
    run_until_idle(fixture);
    assert_int_equal(fake_journal_count("components_start_failed "
                                        "request_id=12 instance=n2 reason=DFM "
                                        "responded with HTTP 500"), 1);

    dfm_status = 202;
    int64_t deadline_us = live_loop_now_us(fixture->loop) + 30000000;
    assert_int_equal(live_dfm_components_stop(&fixture->dfm, "n2", 13, 2,
                                              deadline_us), 0);
    run_until_idle(fixture);
    assert_non_null(strstr(dfm_body, "\"components\":[\"dep\"]"));
    assert_non_null(strstr(dfm_body, "\"deadline_ms\":"));
    assert_null(strstr(dfm_body, "\"deadline_ms\":0"));

    assert_int_equal(live_dfm_components_start(&fixture->dfm, "n9", 14, 1,
                                               tenants, 1), -ENOENT);
    assert_int_equal(live_dfm_components_start(&fixture->dfm, "n2", 15, 1,
                                               hostile, 2), -EINVAL);
    run_until_idle(fixture);
    assert_int_equal(fake_journal_count("request_id=14"), 0);
    assert_int_equal(fake_journal_count("request_id=15"), 0);
    live_api_server_stop(dfm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_api_rejects_missing_or_wrong_token,
                                        api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_api_rejects_malformed_bodies,
                                        api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_api_rejects_large_body,
                                        api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_api_unknown_path_and_method,
                                        api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(
            test_api_defers_ready_of_unknown_instance, api_setup,
            api_teardown),
        cmocka_unit_test_setup_teardown(test_dfm_requests_reach_dfm,
                                        api_setup, api_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
