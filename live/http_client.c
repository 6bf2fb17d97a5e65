/* Outgoing JSON requests over the loop's libcurl multi handle. */
#include "http_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct live_http_call {
    live_curl_job job; /* first, so the job pointer is the call */
    struct curl_slist *headers;
    char *request_body;
    char *body;
    size_t body_len;
    int overflow;
    char error[CURL_ERROR_SIZE];
    live_http_done_cb cb;
    void *ctx;
} live_http_call;

static size_t live_http_write_cb(char *data, size_t size, size_t count,
                                 void *user)
{
    live_http_call *call = user;
    size_t len = size * count;

    if (call->body_len + len > LIVE_HTTP_REPLY_MAX) {
        call->overflow = 1;
        return 0;
    }
    char *grown = realloc(call->body, call->body_len + len + 1);
    if (!grown) {
        return 0;
    }
    memcpy(grown + call->body_len, data, len);
    call->body = grown;
    call->body_len += len;
    call->body[call->body_len] = '\0';
    return len;
}

static void live_http_call_free(live_http_call *call)
{
    curl_easy_cleanup(call->job.easy);
    curl_slist_free_all(call->headers);
    free(call->request_body);
    free(call->body);
    free(call);
}

static int live_http_errno(CURLcode code)
{
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
        return -ECONNREFUSED;
    case CURLE_WRITE_ERROR:
        return -EMSGSIZE;
    default:
        return -EIO;
    }
}

static void live_http_done(live_curl_job *job, CURLcode code)
{
    live_http_call *call = (live_http_call *)job;
    live_http_reply reply = {
        .result = code == CURLE_OK ? 0 : live_http_errno(code),
        .body = call->body ? call->body : "",
        .body_len = call->body_len,
        .error = call->error[0] ? call->error : curl_easy_strerror(code),
    };

    if (code == CURLE_OK) {
        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &reply.status);
    }
    call->cb(call->ctx, &reply);
    live_http_call_free(call);
}

static int live_http_headers(live_http_call *call, const char *token,
                             const char *json_body)
{
    char auth[512];

    if (json_body) {
        call->headers = curl_slist_append(call->headers,
                                          "Content-Type: application/json");
    }
    call->headers = curl_slist_append(call->headers,
                                      "Accept: application/json");
    if (token) {
        int n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        if (n < 0 || (size_t)n >= sizeof(auth)) {
            return -EINVAL;
        }
        struct curl_slist *with_auth = curl_slist_append(call->headers, auth);
        memset(auth, 0, sizeof(auth));
        if (!with_auth) {
            return -ENOMEM;
        }
        call->headers = with_auth;
    }
    return call->headers ? 0 : -ENOMEM;
}

static int live_http_setup(live_http_call *call, const char *method,
                           const char *url, const char *json_body,
                           long timeout_ms)
{
    CURL *easy = call->job.easy;

    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, call->headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, live_http_write_cb);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, call);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, call->error);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &call->job);
    if (json_body) {
        call->request_body = strdup(json_body);
        if (!call->request_body) {
            return -ENOMEM;
        }
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, call->request_body);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE,
                         (long)strlen(call->request_body));
    }
    return 0;
}

int live_http_request(live_loop *loop, const char *method, const char *url,
                      const char *token, const char *json_body,
                      long timeout_ms, live_http_done_cb cb, void *ctx)
{
    live_http_call *call = calloc(1, sizeof(*call));
    if (!call) {
        return -ENOMEM;
    }
    call->job.easy = curl_easy_init();
    call->job.done = live_http_done;
    call->cb = cb;
    call->ctx = ctx;
    if (!call->job.easy) {
        free(call);
        return -ENOMEM;
    }

    int rc = live_http_headers(call, token, json_body);
    if (rc == 0) {
        rc = live_http_setup(call, method, url, json_body, timeout_ms);
    }
    if (rc == 0) {
        rc = live_loop_curl_start(loop, &call->job);
    }
    if (rc != 0) {
        live_http_call_free(call);
    }
    return rc;
}
