/* The provider port: commands or HTTP, one JSON reply per request; see
 * provider.h. */
#include "provider.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http_client.h"
#include "id.h"
#include "json_field.h"
#include "log.h"
#include "proc.h"

typedef enum live_provider_op {
    LIVE_OP_CREATE,
    LIVE_OP_REMOVE,
    LIVE_OP_RESTART,
    LIVE_OP_LIST,
} live_provider_op;

static const char *const live_op_names[] = {
    [LIVE_OP_CREATE] = "instance_create",
    [LIVE_OP_REMOVE] = "instance_remove",
    [LIVE_OP_RESTART] = "instance_restart",
    [LIVE_OP_LIST] = "instance_list",
};

/* Where live_provider_list_now collects its reply. */
typedef struct live_list_sink {
    bool done;
    int result;
    lb_instance_info *instances;
    size_t count;
    char *err;
    size_t err_len;
} live_list_sink;

typedef struct live_provider_call {
    live_provider *provider;
    live_provider_op op;
    lb_request_id id;
    char subject[LIVE_TYPE_LEN_MAX + 1]; /* instance, or type for a create */
    live_list_sink *sink;            /* set for live_provider_list_now */
} live_provider_call;

/* Maximum length of a reason passed to the controller, in bytes. */
#define LIVE_PROVIDER_REASON_MAX 300

char **live_argv_expand(const char *const *templ, lb_request_id id,
                        const char *type, const char *instance)
{
    char id_text[24];
    size_t count = 0;

    snprintf(id_text, sizeof(id_text), "%llu", (unsigned long long)id);
    while (templ[count]) {
        count++;
    }
    char **argv = calloc(count + 1, sizeof(*argv));
    for (size_t i = 0; argv && i < count; i++) {
        char word[4096];
        size_t len = 0;
        for (const char *p = templ[i]; *p && len + 1 < sizeof(word);) {
            const char *value = NULL;
            size_t skip = 0;
            if (strncmp(p, "{request_id}", 12) == 0) {
                value = id_text, skip = 12;
            } else if (strncmp(p, "{type}", 6) == 0) {
                value = type ? type : "", skip = 6;
            } else if (strncmp(p, "{instance}", 10) == 0) {
                value = instance ? instance : "", skip = 10;
            }
            if (value) {
                len += (size_t)snprintf(word + len, sizeof(word) - len, "%s",
                                        value);
                len = len < sizeof(word) ? len : sizeof(word) - 1;
                p += skip;
            } else {
                word[len++] = *p++;
            }
        }
        word[len] = '\0';
        if (!(argv[i] = strdup(word))) {
            live_argv_free(argv);
            return NULL;
        }
    }
    return argv;
}

void live_argv_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++) {
        free(argv[i]);
    }
    free(argv);
}

void live_provider_list_free(lb_instance_info *instances, size_t count)
{
    for (size_t i = 0; instances && i < count; i++) {
        free((char *)instances[i].id);
        free((char *)instances[i].address);
    }
    free(instances);
}

/* Reads {"id": ..., "address": ...}; address is required when need_address. */
static int live_instance_parse(const json_t *object, bool need_address,
                               const char **id, const char **address,
                               char *err, size_t err_len)
{
    if (!json_is_object(object)) {
        snprintf(err, err_len, "expected a JSON object");
        return -EINVAL;
    }
    if (live_json_id(object, "id", id, err, err_len) != 0 ||
        live_json_string(object, "address", !need_address, NULL,
                         LIVE_ADDRESS_LEN_MAX, address, err, err_len) != 0) {
        return -EINVAL;
    }
    if (*address && !live_address_valid(*address, NULL)) {
        snprintf(err, err_len, "field \"address\": invalid address (expected "
                 "host:port)");
        return -EINVAL;
    }
    return 0;
}

static bool live_list_contains(const lb_instance_info *instances,
                               size_t count, const char *id)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(instances[i].id, id) == 0) {
            return true;
        }
    }
    return false;
}

int live_provider_list_parse(const char *text, lb_instance_info **instances,
                             size_t *count, char *err, size_t err_len)
{
    json_error_t error;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &error);
    const json_t *list = root ? json_object_get(root, "instances") : NULL;
    int rc = -EINVAL;

    *instances = NULL;
    *count = 0;
    if (!root) {
        snprintf(err, err_len, "invalid JSON at line %d column %d: %s",
                 error.line, error.column, error.text);
        return -EINVAL;
    }
    if (!json_is_array(list)) {
        snprintf(err, err_len, "field \"instances\": expected an array");
        goto done;
    }
    *instances = calloc(json_array_size(list) + 1, sizeof(**instances));
    if (!*instances) {
        rc = -ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *id = NULL;
        const char *address = NULL;
        if (live_instance_parse(json_array_get(list, i), true, &id, &address,
                                err, err_len) != 0) {
            size_t len = strlen(err);
            snprintf(err + len, err_len - len, " in instances[%zu]", i);
            goto done;
        }
        if (live_list_contains(*instances, *count, id)) {
            live_log(LB_LOG_WARN, "instance_list_duplicate", "instance=%s "
                     "index=%zu effect=first_entry_kept", id, i);
            continue;
        }
        lb_instance_info *info = &(*instances)[(*count)++];
        info->id = strdup(id);
        info->address = strdup(address);
        if (!info->id || !info->address) {
            rc = -ENOMEM;
            goto done;
        }
    }
    rc = 0;

done:
    if (rc != 0) {
        live_provider_list_free(*instances, *count);
        *instances = NULL;
        *count = 0;
    }
    json_decref(root);
    return rc;
}

static const char *live_subject_text(const live_provider_call *call)
{
    return call->subject[0] ? call->subject : "-";
}

/* Reports a failed request. reason may hold the provider's own text, so
 * the controller gets it cleaned to one plain line of bounded length. */
static void live_provider_failed(live_provider_call *call,
                                 const char *raw_reason)
{
    live_provider *provider = call->provider;
    char reason[LIVE_PROVIDER_REASON_MAX + 1];
    char quoted[600];

    live_text_clean(reason, sizeof(reason), raw_reason);
    live_log(LB_LOG_WARN, "provider_request_failed", "op=%s request_id=%llu "
             "subject=%s reason=%s", live_op_names[call->op],
             (unsigned long long)call->id, live_subject_text(call),
             live_log_quote(quoted, sizeof(quoted), reason));
    switch (call->op) {
    case LIVE_OP_CREATE:
        lb_on_instance_create_failed(provider->controller, call->id, reason);
        break;
    case LIVE_OP_REMOVE:
        lb_on_instance_remove_failed(provider->controller, call->id, reason);
        break;
    case LIVE_OP_RESTART:
        lb_on_instance_restart_failed(provider->controller, call->id, reason);
        break;
    case LIVE_OP_LIST:
        /* The controller's request times out; nothing else to tell it. */
        break;
    }
}

static int live_provider_created(live_provider_call *call, const json_t *root,
                                 char *err, size_t err_len)
{
    live_provider *provider = call->provider;
    const char *id = NULL;
    const char *address = NULL;

    if (live_instance_parse(root, call->op == LIVE_OP_CREATE, &id, &address,
                            err, err_len) != 0) {
        return -EINVAL;
    }
    if (call->op == LIVE_OP_RESTART && strcmp(id, call->subject) != 0) {
        snprintf(err, err_len, "field \"id\": restart answered for another "
                 "instance");
        return -EINVAL;
    }
    if (address) {
        live_registry_set(provider->registry, id, address);
    }
    live_log(LB_LOG_INFO, call->op == LIVE_OP_CREATE ? "instance_created" :
             "instance_restarted", "request_id=%llu instance=%s address=%s",
             (unsigned long long)call->id, id, address ? address : "-");
    if (call->op == LIVE_OP_CREATE) {
        lb_on_instance_created(provider->controller, call->id, id, address);
    } else {
        lb_on_instance_restarted(provider->controller, call->id, id);
    }
    live_dfm_ready_replay(provider->dfm, id);
    return 0;
}

static int live_provider_listed(live_provider_call *call, const char *text,
                                char *err, size_t err_len)
{
    live_provider *provider = call->provider;
    lb_instance_info *instances = NULL;
    size_t count = 0;
    int rc = live_provider_list_parse(text, &instances, &count, err, err_len);

    if (call->sink) {
        call->sink->result = rc;
        call->sink->instances = instances;
        call->sink->count = count;
        return rc;
    }
    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < count; i++) {
        live_registry_set(provider->registry, instances[i].id,
                          instances[i].address);
    }
    live_log(LB_LOG_INFO, "instance_list", "request_id=%llu instances=%zu",
             (unsigned long long)call->id, count);
    lb_on_instance_list(provider->controller, call->id, count, instances);
    live_provider_list_free(instances, count);
    return 0;
}

/* Handles a successful reply. A malformed one counts as a failure. */
static void live_provider_answered(live_provider_call *call, const char *text)
{
    char err[400] = "";
    char reason[512];
    json_error_t error;
    int rc = 0;

    if (call->op == LIVE_OP_LIST) {
        rc = live_provider_listed(call, text, err, sizeof(err));
    } else if (call->op == LIVE_OP_REMOVE) {
        live_log(LB_LOG_INFO, "instance_removed", "request_id=%llu "
                 "instance=%s", (unsigned long long)call->id, call->subject);
        lb_on_instance_removed(call->provider->controller, call->id,
                               call->subject);
        live_registry_remove(call->provider->registry, call->subject);
    } else {
        json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &error);
        if (!root) {
            snprintf(err, sizeof(err), "invalid JSON at line %d column %d: "
                     "%s", error.line, error.column, error.text);
            rc = -EINVAL;
        } else {
            rc = live_provider_created(call, root, err, sizeof(err));
            json_decref(root);
        }
    }
    if (rc != 0 && !call->sink) {
        snprintf(reason, sizeof(reason), "invalid provider reply: %s", err);
        live_provider_failed(call, reason);
    } else if (rc != 0) {
        snprintf(call->sink->err, call->sink->err_len,
                 "invalid provider reply: %s", err);
    }
}

static void live_provider_finish(live_provider_call *call, bool ok,
                                 const char *text, const char *reason)
{
    call->provider->running--;
    if (ok) {
        live_provider_answered(call, text);
    } else if (call->sink) {
        call->sink->result = -EIO;
        snprintf(call->sink->err, call->sink->err_len, "%s", reason);
    } else {
        live_provider_failed(call, reason);
    }
    if (call->sink) {
        call->sink->done = true;
    }
    free(call);
}

static void live_provider_command_done_cb(void *ctx,
                                          const live_proc_result *result)
{
    live_provider_call *call = ctx;
    char reason[400];
    bool ok = result->result == 0 && result->exit_status == 0;

    if (result->result == -ETIMEDOUT) {
        snprintf(reason, sizeof(reason), "provider command timed out");
    } else if (result->result == -ECANCELED) {
        snprintf(reason, sizeof(reason), "provider command killed because "
                 "lbd stops");
    } else if (!ok) {
        int len = (int)strcspn(result->err, "\n");
        snprintf(reason, sizeof(reason), "provider command exited with "
                 "status %d%s%.*s", result->exit_status, len ? ": " : "",
                 len, result->err);
    } else if (result->out_truncated) {
        ok = false;
        snprintf(reason, sizeof(reason), "provider command output too long "
                 "(more than %d bytes)", LIVE_PROC_OUTPUT_MAX);
    }
    live_provider_finish(call, ok, result->out, ok ? NULL : reason);
}

static void live_provider_http_done_cb(void *ctx, const live_http_reply *reply)
{
    live_provider_call *call = ctx;
    char reason[400];
    bool ok = reply->result == 0 && reply->status >= 200 && reply->status < 300;

    if (reply->result == -EMSGSIZE) {
        snprintf(reason, sizeof(reason), "provider reply too large (more "
                 "than %d bytes)", LIVE_HTTP_REPLY_MAX);
    } else if (reply->result != 0) {
        snprintf(reason, sizeof(reason), "provider unreachable: %s",
                 reply->error);
    } else if (!ok) {
        snprintf(reason, sizeof(reason),
                 "provider responded with HTTP %ld: %.200s", reply->status,
                 reply->body);
    }
    live_provider_finish(call, ok, reply->body, ok ? NULL : reason);
}

static int live_provider_command_send(live_provider_call *call)
{
    const live_provider_config *config = call->provider->config;
    const char *const *templates[] = {
        [LIVE_OP_CREATE] = config->create_argv,
        [LIVE_OP_REMOVE] = config->remove_argv,
        [LIVE_OP_RESTART] = config->restart_argv,
        [LIVE_OP_LIST] = config->list_argv,
    };
    const char *const *templ = templates[call->op];

    if (!templ || !templ[0]) {
        return -ENOTSUP;
    }
    char **argv = live_argv_expand(
        templ, call->id, call->op == LIVE_OP_CREATE ? call->subject : NULL,
        call->op == LIVE_OP_CREATE ? NULL : call->subject);
    if (!argv) {
        return -ENOMEM;
    }
    int rc = live_proc_run(call->provider->loop, (const char *const *)argv,
                           config->timeout_us, live_provider_command_done_cb,
                           call);
    live_argv_free(argv);
    return rc;
}

static int live_provider_http_send(live_provider_call *call)
{
    const live_provider_config *config = call->provider->config;
    char url[2048];
    const char *method = "GET";
    json_t *request = NULL;

    switch (call->op) {
    case LIVE_OP_CREATE:
        method = "POST";
        snprintf(url, sizeof(url), "%s/v1/instances", config->base_url);
        request = json_pack("{s:I,s:s}", "request_id", (json_int_t)call->id,
                            "type", call->subject);
        break;
    case LIVE_OP_REMOVE:
        method = "DELETE";
        snprintf(url, sizeof(url), "%s/v1/instances/%s?request_id=%llu",
                 config->base_url, call->subject,
                 (unsigned long long)call->id);
        break;
    case LIVE_OP_RESTART:
        method = "POST";
        snprintf(url, sizeof(url), "%s/v1/instances/%s/restart",
                 config->base_url, call->subject);
        request = json_pack("{s:I}", "request_id", (json_int_t)call->id);
        break;
    case LIVE_OP_LIST:
        snprintf(url, sizeof(url), "%s/v1/instances", config->base_url);
        break;
    }
    char *body = request ? json_dumps(request, JSON_COMPACT) : NULL;
    json_decref(request);
    if (request && !body) {
        return -ENOMEM;
    }
    int rc = live_http_request(call->provider->loop, method, url,
                               config->token, body,
                               (long)(config->timeout_us / 1000),
                               live_provider_http_done_cb, call);
    free(body);
    return rc;
}

static int live_provider_send(live_provider *provider, live_provider_op op,
                              lb_request_id id, const char *subject,
                              live_list_sink *sink)
{
    bool valid = op == LIVE_OP_CREATE ? live_instance_type_valid(subject) :
                 !subject || live_id_valid(subject);
    if (!valid) {
        live_log(LB_LOG_ERROR, "provider_request_invalid", "op=%s "
                 "request_id=%llu reason=invalid_id", live_op_names[op],
                 (unsigned long long)id);
        return -EINVAL;
    }
    live_provider_call *call = calloc(1, sizeof(*call));
    if (!call) {
        return -ENOMEM;
    }
    call->provider = provider;
    call->op = op;
    call->id = id;
    call->sink = sink;
    snprintf(call->subject, sizeof(call->subject), "%s",
             subject ? subject : "");

    int rc = provider->config->kind == LIVE_PROVIDER_COMMAND ?
             live_provider_command_send(call) : live_provider_http_send(call);
    if (rc != 0) {
        live_log(LB_LOG_ERROR, "provider_request_failed", "op=%s "
                 "request_id=%llu subject=%s error=%s", live_op_names[op],
                 (unsigned long long)id, live_subject_text(call),
                 strerror(-rc));
        free(call);
        return rc;
    }
    provider->running++;
    live_log(LB_LOG_INFO, live_op_names[op], "request_id=%llu subject=%s",
             (unsigned long long)id, live_subject_text(call));
    return 0;
}

int live_provider_instance_create(void *ctx, lb_request_id id,
                                  const char *instance_type)
{
    return live_provider_send(ctx, LIVE_OP_CREATE, id, instance_type, NULL);
}

int live_provider_instance_remove(void *ctx, lb_request_id id,
                                  const char *instance)
{
    return live_provider_send(ctx, LIVE_OP_REMOVE, id, instance, NULL);
}

int live_provider_instance_restart(void *ctx, lb_request_id id,
                                   const char *instance)
{
    return live_provider_send(ctx, LIVE_OP_RESTART, id, instance, NULL);
}

int live_provider_instance_list(void *ctx, lb_request_id id)
{
    return live_provider_send(ctx, LIVE_OP_LIST, id, NULL, NULL);
}

int live_provider_list_now(live_provider *provider,
                           lb_instance_info **instances, size_t *count,
                           char *err, size_t err_len)
{
    live_list_sink sink = {.err = err, .err_len = err_len};
    int rc = live_provider_send(provider, LIVE_OP_LIST, 0, NULL, &sink);

    if (rc != 0) {
        snprintf(err, err_len, "cannot start the list request: %s",
                 strerror(-rc));
        return rc;
    }
    /* The request's own timeout bounds this loop, and a stop signal ends
     * it at once: the command's process group is killed. */
    while (!sink.done) {
        rc = live_loop_run_once(provider->loop, 100000);
        if (rc != 0) {
            snprintf(err, err_len, "event loop failed");
            return rc;
        }
        if (live_loop_stopping(provider->loop)) {
            /* TODO: an HTTP list in flight is left to the loop's
             * destruction, which frees its transfer but not its call. */
            live_proc_cancel_all();
            live_provider_list_free(sink.instances, sink.count);
            snprintf(err, err_len, "stopped before the provider answered");
            return -ECANCELED;
        }
    }
    *instances = sink.instances;
    *count = sink.count;
    return sink.result;
}
