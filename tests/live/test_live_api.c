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

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
    live_api_route routes[LIVE_DFM_ROUTE_COUNT + LIVE_TENANT_ROUTE_COUNT];
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
    count += live_tenant_api_routes(&fixture->dfm, routes + count);
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

/* Opens a non-blocking TCP connection from the loopback address source
 * to the fixture's server, or fails the test. */
static int raw_connect_from(api_fixture *fixture, const char *source)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    struct sockaddr_in from = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(inet_pton(AF_INET, source, &from.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(live_api_server_port(fixture->server));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
    assert_true(rc == 0 || errno == EINPROGRESS);
    return fd;
}

/* Sends request as it is over a new connection and runs the loop until
 * the server closes the connection, for at most 50 rounds of 100 ms; the
 * reply goes to reply. Returns the status, or -1 when none came. */
static int raw_connect(api_fixture *fixture)
{
    return raw_connect_from(fixture, "127.0.0.1");
}

static long raw_exchange_from(api_fixture *fixture, const char *source,
                              const char *request, char *reply,
                              size_t reply_len)
{
    size_t len = 0;
    size_t sent = 0;
    bool closed = false;
    long status = -1;
    int fd = raw_connect_from(fixture, source);

    reply[0] = '\0';
    for (int round = 0; round < 50 && !closed; round++) {
        assert_int_equal(live_loop_run_once(fixture->loop, 100000), 0);
        if (sent < strlen(request)) {
            ssize_t n = send(fd, request + sent, strlen(request) - sent,
                             MSG_NOSIGNAL);
            sent += n > 0 ? (size_t)n : 0;
        }
        ssize_t n = recv(fd, reply + len, reply_len - len - 1, MSG_DONTWAIT);
        if (n > 0) {
            len += (size_t)n;
            reply[len] = '\0';
        }
        closed = n == 0 || len + 1 == reply_len;
    }
    close(fd);
    sscanf(reply, "HTTP/1.%*d %ld", &status);
    return status;
}

static long raw_exchange(api_fixture *fixture, const char *request,
                         char *reply, size_t reply_len)
{
    return raw_exchange_from(fixture, "127.0.0.1", request, reply, reply_len);
}

static long raw_call(api_fixture *fixture, const char *request)
{
    char reply[2048];

    return raw_exchange(fixture, request, reply, sizeof(reply));
}

/* Sends a POST with the given Authorization header value over a raw
 * connection; returns the status. */
static long raw_post(api_fixture *fixture, const char *path,
                     const char *authorization, const char *body)
{
    char request[1024];

    snprintf(request, sizeof(request), "POST %s HTTP/1.1\r\n"
             "Host: 127.0.0.1\r\nAuthorization: %s\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n%s", path, authorization,
             strlen(body), body);
    return raw_call(fixture, request);
}

/* Redirects stderr (where lbd logs) to a file until capture_end, which
 * returns what was written; free it. */
static int capture_saved_fd = -1;
static char capture_path[] = "/tmp/lbsim-test-api-log-XXXXXX";

static void capture_begin(void)
{
    fflush(stderr);
    int fd = mkstemp(capture_path);
    assert_true(fd >= 0);
    capture_saved_fd = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
}

static char *capture_end(void)
{
    fflush(stderr);
    dup2(capture_saved_fd, STDERR_FILENO);
    close(capture_saved_fd);
    FILE *file = fopen(capture_path, "r");
    assert_non_null(file);
    char *text = calloc(1, 65536);
    size_t len = fread(text, 1, 65535, file);
    text[len] = '\0';
    fclose(file);
    unlink(capture_path);
    snprintf(capture_path, sizeof(capture_path), "%s",
             "/tmp/lbsim-test-api-log-XXXXXX");
    return text;
}

static size_t count_lines(const char *text, const char *needle)
{
    size_t count = 0;

    for (const char *p = text; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char line[4096];
        snprintf(line, sizeof(line), "%.*s", (int)len, p);
        count += !needle || strstr(line, needle) != NULL;
        p = end ? end + 1 : NULL;
    }
    return count;
}

static void test_api_starting_defers_and_503(void **state)
{
    api_fixture *fixture = *state;
    lb_controller *controller = fixture->dfm.controller;

    fixture->dfm.controller = NULL;
    api_reply reply = call_api(fixture, "POST", "/v1/dfm/overload", TEST_TOKEN,
                               "{\"instance\":\"i1\",\"cpu_permille\":900,"
                               "\"window_ms\":1000}");
    assert_int_equal(reply.status, 503);
    assert_non_null(strstr(reply.body, "starting"));
    reply = call_api(fixture, "POST", "/v1/dfm/component_down", TEST_TOKEN,
                     "{\"instance\":\"i1\",\"component\":\"dev\"}");
    assert_int_equal(reply.status, 503);
    reply = call_api(fixture, "POST", "/v1/tenants/created", TEST_TOKEN,
                     "{\"tenant\":\"t9\"}");
    assert_int_equal(reply.status, 503);
    assert_int_equal(raw_post(fixture, "/v1/dfm/components_started",
                              "Bearer " TEST_TOKEN,
                              "{\"instance\":\"i1\",\"request_id\":1}"), 503);

    reply = call_api(fixture, "POST", "/v1/dfm/ready", TEST_TOKEN,
                     "{\"instance\":\"i1\"}");
    assert_int_equal(reply.status, 202);
    assert_string_equal(fake_journal(), "");

    fixture->dfm.controller = controller;
    live_dfm_ready_replay_known(&fixture->dfm);
    live_dfm_ready_replay_known(&fixture->dfm);
    assert_int_equal(fake_journal_count("dfm_ready instance=i1"), 1);
    assert_int_equal(fake_journal_count("dfm_ready"), 1);
}

static void test_api_retry_after_on_503(void **state)
{
    api_fixture *fixture = *state;
    const char *body = "{\"instance\":\"i1\",\"cpu_permille\":9,"
                       "\"window_ms\":10}";
    char request[512];
    char reply[2048];

    fixture->dfm.controller = NULL;
    snprintf(request, sizeof(request), "POST /v1/dfm/low_load HTTP/1.1\r\n"
             "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             TEST_TOKEN, strlen(body), body);
    assert_int_equal(raw_exchange(fixture, request, reply, sizeof(reply)),
                     503);
    assert_non_null(strstr(reply, "Retry-After: 1\r\n"));
}

static void test_api_unknown_instance_404(void **state)
{
    api_fixture *fixture = *state;
    const char *const cases[][2] = {
        {"/v1/dfm/overload", "{\"instance\":\"zz9\",\"cpu_permille\":900,"
                             "\"window_ms\":1000}"},
        {"/v1/dfm/low_load", "{\"instance\":\"zz9\",\"cpu_permille\":9,"
                             "\"window_ms\":1000}"},
        {"/v1/dfm/component_up", "{\"instance\":\"zz9\","
                                 "\"component\":\"dev\"}"},
        {"/v1/dfm/components_started", "{\"instance\":\"zz9\","
                                       "\"request_id\":3}"},
        {"/v1/dfm/components_start_failed", "{\"instance\":\"zz9\","
                                            "\"request_id\":3}"},
        {"/v1/dfm/components_stopped", "{\"instance\":\"zz9\","
                                       "\"request_id\":3}"},
        {"/v1/tenants/created", "{\"tenant\":\"t9\",\"instance\":\"zz9\"}"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        api_reply reply = call_api(fixture, "POST", cases[i][0], TEST_TOKEN,
                                   cases[i][1]);
        assert_int_equal(reply.status, 404);
        assert_non_null(strstr(reply.body, "unknown instance \\\"zz9\\\""));
    }
    assert_string_equal(fake_journal(), "");
}

static void test_api_tenant_endpoints(void **state)
{
    api_fixture *fixture = *state;

    api_reply reply = call_api(fixture, "POST", "/v1/tenants/created",
                               TEST_TOKEN, "{\"tenant\":\"t7\","
                               "\"instance\":\"i1\"}");
    assert_int_equal(reply.status, 200);
    assert_int_equal(fake_journal_count("tenant_created tenant=t7 "
                                        "instance=i1"), 1);

    reply = call_api(fixture, "POST", "/v1/tenants/created", TEST_TOKEN,
                     "{\"tenant\":\"t8\"}");
    assert_int_equal(reply.status, 200);
    assert_int_equal(fake_journal_count("tenant_created tenant=t8 "
                                        "instance=(null)"), 1);

    reply = call_api(fixture, "POST", "/v1/tenants/removed", TEST_TOKEN,
                     "{\"tenant\":\"t7\"}");
    assert_int_equal(reply.status, 200);
    assert_int_equal(fake_journal_count("tenant_removed tenant=t7"), 1);

    const char *const bad[][2] = {
        {"/v1/tenants/created", "{\"tenant\":\"t;1\"}"},
        {"/v1/tenants/created", "{\"tenant\":\"t1\",\"instance\":\"a b\"}"},
        {"/v1/tenants/created", "{}"},
        {"/v1/tenants/removed", "{\"tenant\":\"\"}"},
        {"/v1/tenants/removed", "{\"tenant\":5}"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        reply = call_api(fixture, "POST", bad[i][0], TEST_TOKEN, bad[i][1]);
        assert_int_equal(reply.status, 400);
    }
    reply = call_api(fixture, "POST", "/v1/tenants/removed", NULL,
                     "{\"tenant\":\"t8\"}");
    assert_int_equal(reply.status, 401);
    assert_int_equal(fake_journal_count("tenant_"), 3);
}

static void test_api_bearer_scheme_any_case(void **state)
{
    api_fixture *fixture = *state;
    const char *body = "{\"instance\":\"i1\"}";

    assert_int_equal(raw_post(fixture, "/v1/dfm/ready",
                              "bearer " TEST_TOKEN, body), 200);
    assert_int_equal(raw_post(fixture, "/v1/dfm/ready",
                              "BEARER " TEST_TOKEN, body), 200);
    assert_int_equal(raw_post(fixture, "/v1/dfm/ready",
                              "Basic " TEST_TOKEN, body), 401);
    assert_int_equal(fake_journal_count("dfm_ready instance=i1"), 2);
}

static void test_api_log_path_one_line(void **state)
{
    api_fixture *fixture = *state;

    capture_begin();
    api_reply reply = call_api(fixture, "POST", "/v1/dfm/x%0Ats=2026-01-01T00:"
                               "00:00.000Z%20level=error%20event=routes_"
                               "applied%20version=999%0D", NULL, "{}");
    char *log = capture_end();

    assert_int_equal(reply.status, 401);
    assert_int_equal(count_lines(log, NULL), 1);
    assert_int_equal(count_lines(log, "event=api_call_rejected"), 1);
    assert_int_equal(count_lines(log, "event=routes_applied"), 1);
    assert_null(strstr(log, "\nts=2026-01-01"));
    assert_null(strchr(log, '\r'));
    free(log);
}

static void test_api_rejection_logs_limited(void **state)
{
    api_fixture *fixture = *state;
    const size_t calls = 100;

    capture_begin();
    for (size_t i = 0; i < calls; i++) {
        api_reply reply = call_api(fixture, "POST", "/v1/dfm/ready", "wrong",
                                   "{}");
        assert_int_equal(reply.status, 401);
    }
    char *log = capture_end();

    /* At most 10 lines a second are written, so 100 calls made in less
     * than 10 s leave some out. */
    assert_true(count_lines(log, "event=api_call_rejected ") < calls);
    assert_true(count_lines(log, "event=api_call_rejected ") >= 10);
    free(log);
}

/* True once the server closed fd (end of file or reset). */
static bool raw_closed(int fd)
{
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);

    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static void test_api_limits_half_open_per_address(void **state)
{
    api_fixture *fixture = *state;
    const char *partial = "POST /v1/dfm/ready HTTP/1.1\r\nHost: x\r\n";
    enum { HALF_OPEN = LIVE_API_CONNECTIONS_PER_IP_MAX + 8 };
    int fds[HALF_OPEN];
    char request[512];
    char reply[2048];

    for (size_t i = 0; i < HALF_OPEN; i++) {
        fds[i] = raw_connect(fixture);
        assert_int_equal(live_loop_run_once(fixture->loop, 1000), 0);
        send(fds[i], partial, strlen(partial), MSG_NOSIGNAL);
    }
    /* The connections over the per-address limit are closed at once; 30
     * rounds of at most 100 ms stay below the idle timeout. */
    size_t closed = 0;
    for (int round = 0; round < 30 && closed < 8; round++) {
        assert_int_equal(live_loop_run_once(fixture->loop, 100000), 0);
        closed = 0;
        for (size_t i = 0; i < HALF_OPEN; i++) {
            closed += raw_closed(fds[i]);
        }
    }
    assert_int_equal(closed, 8);

    snprintf(request, sizeof(request), "POST /v1/dfm/ready HTTP/1.1\r\n"
             "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
             "Content-Length: 17\r\nConnection: close\r\n\r\n"
             "{\"instance\":\"i1\"}", TEST_TOKEN);
    assert_int_equal(raw_exchange_from(fixture, "127.0.0.2", request, reply,
                                       sizeof(reply)), 200);
    assert_int_equal(fake_journal_count("dfm_ready instance=i1"), 1);
    for (size_t i = 0; i < HALF_OPEN; i++) {
        close(fds[i]);
    }
}

static void test_registry_early_ready_expires(void **state)
{
    live_registry registry;
    char id[16];
    (void)state;

    live_registry_init(&registry);
    registry.pending_ttl_us = 1000;
    for (int i = 0; i < LIVE_REGISTRY_PENDING_MAX; i++) {
        snprintf(id, sizeof(id), "n%d", i);
        assert_int_equal(live_registry_ready_defer(&registry, id, 0), 0);
    }
    assert_int_equal(live_registry_ready_defer(&registry, "late", 999),
                     -ENOMEM);
    assert_int_equal(live_registry_ready_defer(&registry, "late", 1000), 0);
    assert_int_equal(registry.count, 1);
    assert_true(live_registry_ready_take(&registry, "late"));
    assert_false(live_registry_ready_take(&registry, "n0"));
    live_registry_deinit(&registry);
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
        cmocka_unit_test_setup_teardown(test_api_starting_defers_and_503,
                                        api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_api_retry_after_on_503,
                                        api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_api_unknown_instance_404,
                                        api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_api_tenant_endpoints,
                                        api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_api_bearer_scheme_any_case,
                                        api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_api_log_path_one_line,
                                        api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_api_rejection_logs_limited,
                                        api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(
            test_api_limits_half_open_per_address, api_setup, api_teardown),
        cmocka_unit_test(test_registry_early_ready_expires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
