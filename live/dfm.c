/* Requests from lbd to the DFMs; see dfm.h. */
#include "dfm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http_client.h"
#include "id.h"
#include "log.h"

typedef struct live_dfm_call {
    live_dfm *dfm;
    lb_request_id id;
    char instance[LB_ID_LEN_MAX + 1];
    bool start; /* components_start, else components_stop */
} live_dfm_call;

static json_t *live_dfm_component_names(const live_dfm *dfm,
                                        lb_component_mask components)
{
    json_t *names = json_array();
    for (size_t c = 0; names && c < dfm->component_count; c++) {
        if (components & (1u << c)) {
            json_array_append_new(names,
                                  json_string(dfm->components[c].name));
        }
    }
    return names;
}

static void live_dfm_reply_cb(void *ctx, const live_http_reply *reply)
{
    live_dfm_call *call = ctx;
    char reason[300];
    char quoted[400];

    if (reply->result == 0 && reply->status >= 200 && reply->status < 300) {
        live_log(LB_LOG_DEBUG, call->start ? "components_start_accepted" :
                 "components_stop_accepted", "instance=%s request_id=%llu",
                 call->instance, (unsigned long long)call->id);
        free(call);
        return;
    }
    if (reply->result != 0) {
        snprintf(reason, sizeof(reason), "DFM unreachable: %s", reply->error);
    } else {
        snprintf(reason, sizeof(reason), "DFM responded with HTTP %ld: %.200s",
                 reply->status, reply->body);
    }
    live_log(LB_LOG_WARN, call->start ? "components_start_failed" :
             "components_stop_failed", "instance=%s request_id=%llu "
             "reason=%s", call->instance, (unsigned long long)call->id,
             live_log_quote(quoted, sizeof(quoted), reason));
    if (call->start) {
        lb_on_components_start_failed(call->dfm->controller, call->id,
                                      call->instance, reason);
    }
    free(call);
}

/* POSTs body to the instance's DFM. Takes ownership of body. */
static int live_dfm_send(live_dfm *dfm, const char *instance, lb_request_id id,
                         bool start, json_t *body)
{
    const char *address = live_registry_address(dfm->registry, instance);
    char url[LIVE_ADDRESS_LEN_MAX + 64];
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    live_dfm_call *call = calloc(1, sizeof(*call));
    int rc = -ENOMEM;

    json_decref(body);
    if (!address) {
        live_log(LB_LOG_WARN, "dfm_request_failed", "instance=%s "
                 "request_id=%llu reason=unknown_instance", instance,
                 (unsigned long long)id);
        rc = -ENOENT;
        goto done;
    }
    if (!text || !call) {
        goto done;
    }
    snprintf(url, sizeof(url), "http://%s/v1/components/%s", address,
             start ? "start" : "stop");
    call->dfm = dfm;
    call->id = id;
    call->start = start;
    snprintf(call->instance, sizeof(call->instance), "%s", instance);
    rc = live_http_request(dfm->loop, "POST", url, dfm->token, text,
                           dfm->timeout_ms, live_dfm_reply_cb, call);
    if (rc == 0) {
        call = NULL;
        live_log(LB_LOG_INFO, start ? "components_start" : "components_stop",
                 "instance=%s request_id=%llu", instance,
                 (unsigned long long)id);
    }

done:
    free(call);
    free(text);
    return rc;
}

int live_dfm_components_start(void *ctx, const char *instance,
                              lb_request_id id, lb_component_mask components,
                              const char *const *tenants, size_t tenant_count)
{
    live_dfm *dfm = ctx;

    if (!live_id_valid(instance)) {
        return -EINVAL;
    }
    json_t *tenant_list = json_array();
    for (size_t i = 0; tenant_list && i < tenant_count; i++) {
        if (!live_id_valid(tenants[i])) {
            live_log(LB_LOG_ERROR, "components_start_invalid",
                     "instance=%s request_id=%llu reason=invalid_tenant_id",
                     instance, (unsigned long long)id);
            json_decref(tenant_list);
            return -EINVAL;
        }
        json_array_append_new(tenant_list, json_string(tenants[i]));
    }
    json_t *body = json_pack("{s:I,s:s,s:o,s:o}", "request_id", (json_int_t)id,
                             "instance", instance, "components",
                             live_dfm_component_names(dfm, components),
                             "tenants", tenant_list);
    return live_dfm_send(dfm, instance, id, true, body);
}

int live_dfm_components_stop(void *ctx, const char *instance, lb_request_id id,
                             lb_component_mask components,
                             lb_time_t deadline_us)
{
    live_dfm *dfm = ctx;

    if (!live_id_valid(instance)) {
        return -EINVAL;
    }
    /* The DFM's clock differs from lbd's, so the deadline travels as a
     * duration from now. */
    int64_t left_us = deadline_us - live_loop_now_us(dfm->loop);
    json_t *body = json_pack("{s:I,s:s,s:o,s:I}", "request_id", (json_int_t)id,
                             "instance", instance, "components",
                             live_dfm_component_names(dfm, components),
                             "deadline_ms",
                             (json_int_t)(left_us > 0 ? left_us / 1000 : 0));
    return live_dfm_send(dfm, instance, id, false, body);
}
