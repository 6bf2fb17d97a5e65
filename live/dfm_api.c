/* Notifications from DFMs to lbd (/v1/dfm/...); see dfm.h and
 * docs/dfm-api.md. Each handler checks every field before it calls the
 * controller, and responds 400 with the field's name otherwise. */
#include "dfm.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json_field.h"
#include "log.h"

#define LIVE_PROCESSES_MAX 64
#define LIVE_WINDOW_MS_MAX (24ull * 3600 * 1000)

static int live_component_lookup(const live_dfm *dfm, const json_t *body,
                                 const char *field, uint32_t *component,
                                 char *err, size_t err_len)
{
    const char *name = NULL;
    int rc = live_json_string(body, field, false, NULL, 15, &name, err,
                              err_len);
    if (rc != 0) {
        return rc;
    }
    for (size_t c = 0; c < dfm->component_count; c++) {
        if (strcmp(dfm->components[c].name, name) == 0) {
            *component = (uint32_t)c;
            return 0;
        }
    }
    snprintf(err, err_len, "field \"%s\": unknown component", field);
    return -1;
}

/* True, with the message in err, while the controller does not exist yet:
 * lbd is still rebuilding its state at start-up. */
static bool live_dfm_starting(const live_dfm *dfm, char *err, size_t err_len)
{
    if (dfm->controller) {
        return false;
    }
    snprintf(err, err_len, "lbd is starting and takes no notifications yet; "
             "try again later");
    return true;
}

/* True, with the message in err, when no instance of that id is known. */
static bool live_dfm_unknown(const live_dfm *dfm, const char *instance,
                             char *err, size_t err_len)
{
    if (live_registry_address(dfm->registry, instance)) {
        return false;
    }
    snprintf(err, err_len, "unknown instance \"%s\"", instance);
    return true;
}

/* Checks a notification's state before its handler acts: 503 while lbd
 * starts, 404 for an instance lbd does not know, else 0. */
static unsigned live_dfm_gate(const live_dfm *dfm, const char *instance,
                              char *err, size_t err_len)
{
    if (live_dfm_starting(dfm, err, err_len)) {
        return 503;
    }
    if (live_dfm_unknown(dfm, instance, err, err_len)) {
        return 404;
    }
    return 0;
}

static unsigned live_dfm_ready(void *ctx, const json_t *body, json_t **reply,
                               char *err, size_t err_len)
{
    live_dfm *dfm = ctx;
    const char *instance = NULL;
    (void)reply;

    if (live_json_id(body, "instance", &instance, err, err_len) != 0) {
        return 400;
    }
    if (!dfm->controller || !live_registry_address(dfm->registry, instance)) {
        /* The provider has not named this instance yet, or the controller
         * does not exist yet; the controller hears of it later. */
        if (live_registry_ready_defer(dfm->registry, instance,
                                      live_loop_now_us(dfm->loop)) != 0) {
            snprintf(err, err_len, "too many unknown instances");
            return 503;
        }
        live_log(LB_LOG_INFO, "dfm_ready_deferred", "instance=%s", instance);
        return 202;
    }
    live_log(LB_LOG_INFO, "dfm_ready", "instance=%s", instance);
    lb_on_dfm_ready(dfm->controller, instance);
    return 200;
}

void live_dfm_ready_replay(live_dfm *dfm, const char *instance)
{
    if (live_registry_ready_take(dfm->registry, instance)) {
        live_log(LB_LOG_INFO, "dfm_ready", "instance=%s deferred=1", instance);
        lb_on_dfm_ready(dfm->controller, instance);
    }
}

void live_dfm_ready_replay_known(live_dfm *dfm)
{
    live_registry *registry = dfm->registry;
    char instance[LB_ID_LEN_MAX + 1];

    /* Restarts from the top after each replay, since the controller's
     * reaction may change the registry. Each pass clears one entry, so
     * this ends. */
    bool found = true;
    while (found) {
        found = false;
        for (size_t i = 0; i < registry->count; i++) {
            const live_registry_entry *entry = &registry->entries[i];
            if (entry->known && entry->ready_pending) {
                snprintf(instance, sizeof(instance), "%s", entry->id);
                found = true;
                break;
            }
        }
        if (found) {
            live_dfm_ready_replay(dfm, instance);
        }
    }
}

static int live_processes_parse(const live_dfm *dfm, const json_t *body,
                                lb_process_cpu *processes, size_t *count,
                                char *err, size_t err_len)
{
    const json_t *list = json_object_get(body, "processes");
    size_t index;
    const json_t *item;
    char field[32];

    *count = 0;
    if (!list) {
        return 0;
    }
    if (!json_is_array(list) || json_array_size(list) > LIVE_PROCESSES_MAX) {
        snprintf(err, err_len, "field \"processes\": expected an array of at "
                 "most %d objects", LIVE_PROCESSES_MAX);
        return -1;
    }
    json_array_foreach(list, index, item) {
        uint64_t cpu = 0;
        snprintf(field, sizeof(field), "processes[%zu]", index);
        if (!json_is_object(item)) {
            snprintf(err, err_len, "field \"%s\": expected an object", field);
            return -1;
        }
        if (live_component_lookup(dfm, item, "component",
                                  &processes[index].component, err,
                                  err_len) != 0 ||
            live_json_uint(item, "cpu_permille", false, 0, 1000, &cpu, err,
                           err_len) != 0) {
            size_t len = strlen(err);
            snprintf(err + len, err_len - len, " in %s", field);
            return -1;
        }
        processes[index].cpu_permille = (uint32_t)cpu;
    }
    *count = json_array_size(list);
    return 0;
}

/* Parses an overload or low-load body; processes has LIVE_PROCESSES_MAX. */
static int live_load_parse(const live_dfm *dfm, const json_t *body,
                           lb_load_report *report, lb_process_cpu *processes,
                           char *err, size_t err_len)
{
    uint64_t cpu = 0;
    uint64_t window_ms = 0;

    memset(report, 0, sizeof(*report));
    if (live_json_id(body, "instance", &report->instance, err, err_len) != 0 ||
        live_json_uint(body, "cpu_permille", false, 0, 1000, &cpu, err,
                       err_len) != 0 ||
        live_json_uint(body, "window_ms", false, 0, LIVE_WINDOW_MS_MAX,
                       &window_ms, err, err_len) != 0 ||
        live_processes_parse(dfm, body, processes, &report->process_count,
                             err, err_len) != 0) {
        return -1;
    }
    report->cpu_permille = (uint32_t)cpu;
    report->window_us = (lb_time_t)window_ms * 1000;
    report->processes = processes;
    return 0;
}

static unsigned live_dfm_load(void *ctx, const json_t *body, char *err,
                              size_t err_len, bool overload)
{
    live_dfm *dfm = ctx;
    lb_load_report report;
    lb_process_cpu processes[LIVE_PROCESSES_MAX];

    if (live_load_parse(dfm, body, &report, processes, err, err_len) != 0) {
        return 400;
    }
    unsigned status = live_dfm_gate(dfm, report.instance, err, err_len);
    if (status != 0) {
        return status;
    }
    live_log(LB_LOG_INFO, overload ? "overload" : "low_load",
             "instance=%s cpu_permille=%u window_us=%lld processes=%zu",
             report.instance, report.cpu_permille,
             (long long)report.window_us, report.process_count);
    if (overload) {
        lb_on_overload(dfm->controller, &report);
    } else {
        lb_on_low_load(dfm->controller, &report);
    }
    return 200;
}

static unsigned live_dfm_overload(void *ctx, const json_t *body,
                                  json_t **reply, char *err, size_t err_len)
{
    (void)reply;
    return live_dfm_load(ctx, body, err, err_len, true);
}

static unsigned live_dfm_low_load(void *ctx, const json_t *body,
                                  json_t **reply, char *err, size_t err_len)
{
    (void)reply;
    return live_dfm_load(ctx, body, err, err_len, false);
}

static unsigned live_dfm_component(void *ctx, const json_t *body, char *err,
                                   size_t err_len, bool up)
{
    live_dfm *dfm = ctx;
    const char *instance = NULL;
    uint32_t component = 0;

    if (live_json_id(body, "instance", &instance, err, err_len) != 0 ||
        live_component_lookup(dfm, body, "component", &component, err,
                              err_len) != 0) {
        return 400;
    }
    unsigned status = live_dfm_gate(dfm, instance, err, err_len);
    if (status != 0) {
        return status;
    }
    live_log(LB_LOG_INFO, up ? "component_up" : "component_down",
             "instance=%s component=%s", instance,
             dfm->components[component].name);
    if (dfm->nginx && up) {
        live_nginx_component_up(dfm->nginx, instance,
                                dfm->components[component].name);
    } else if (dfm->nginx) {
        live_nginx_component_down(dfm->nginx, instance,
                                  dfm->components[component].name);
    }
    if (up) {
        lb_on_component_up(dfm->controller, instance, component);
    } else {
        lb_on_component_down(dfm->controller, instance, component);
    }
    return 200;
}

static unsigned live_dfm_component_down(void *ctx, const json_t *body,
                                        json_t **reply, char *err,
                                        size_t err_len)
{
    (void)reply;
    return live_dfm_component(ctx, body, err, err_len, false);
}

static unsigned live_dfm_component_up(void *ctx, const json_t *body,
                                      json_t **reply, char *err,
                                      size_t err_len)
{
    (void)reply;
    return live_dfm_component(ctx, body, err, err_len, true);
}

/* Reads the request id and instance that every reply notification has.
 * Returns 0, or the HTTP status with the message in err. */
static unsigned live_reply_ids(const live_dfm *dfm, const json_t *body,
                               uint64_t *id, const char **instance, char *err,
                               size_t err_len)
{
    if (live_json_uint(body, "request_id", false, 0, INT64_MAX, id, err,
                       err_len) != 0 ||
        live_json_id(body, "instance", instance, err, err_len) != 0) {
        return 400;
    }
    return live_dfm_gate(dfm, *instance, err, err_len);
}

static unsigned live_dfm_started(void *ctx, const json_t *body, json_t **reply,
                                 char *err, size_t err_len)
{
    live_dfm *dfm = ctx;
    uint64_t id = 0;
    const char *instance = NULL;
    (void)reply;

    unsigned status = live_reply_ids(dfm, body, &id, &instance, err,
                                     err_len);
    if (status != 0) {
        return status;
    }
    live_log(LB_LOG_INFO, "components_started", "instance=%s request_id=%llu",
             instance, (unsigned long long)id);
    lb_on_components_started(dfm->controller, id, instance);
    return 200;
}

static unsigned live_dfm_start_failed(void *ctx, const json_t *body,
                                      json_t **reply, char *err,
                                      size_t err_len)
{
    live_dfm *dfm = ctx;
    uint64_t id = 0;
    const char *instance = NULL;
    const char *reason = NULL;
    char clean[501];
    char quoted[600];
    (void)reply;

    if (live_json_string(body, "reason", true, "unspecified", 500, &reason,
                         err, err_len) != 0) {
        return 400;
    }
    unsigned status = live_reply_ids(dfm, body, &id, &instance, err,
                                     err_len);
    if (status != 0) {
        return status;
    }
    live_text_clean(clean, sizeof(clean), reason);
    live_log(LB_LOG_WARN, "components_start_failed", "instance=%s "
             "request_id=%llu reason=%s", instance, (unsigned long long)id,
             live_log_quote(quoted, sizeof(quoted), clean));
    lb_on_components_start_failed(dfm->controller, id, instance, clean);
    return 200;
}

static unsigned live_dfm_stopped(void *ctx, const json_t *body, json_t **reply,
                                 char *err, size_t err_len)
{
    live_dfm *dfm = ctx;
    uint64_t id = 0;
    uint64_t killed = 0;
    const char *instance = NULL;
    (void)reply;

    if (live_json_uint(body, "requests_killed", true, 0, INT64_MAX, &killed,
                       err, err_len) != 0) {
        return 400;
    }
    unsigned status = live_reply_ids(dfm, body, &id, &instance, err,
                                     err_len);
    if (status != 0) {
        return status;
    }
    live_log(LB_LOG_INFO, "components_stopped", "instance=%s request_id=%llu "
             "requests_killed=%llu", instance, (unsigned long long)id,
             (unsigned long long)killed);
    lb_on_components_stopped(dfm->controller, id, instance, killed);
    return 200;
}

size_t live_dfm_api_routes(live_dfm *dfm, live_api_route *routes)
{
    const live_api_route table[LIVE_DFM_ROUTE_COUNT] = {
        {"POST", "/v1/dfm/ready", live_dfm_ready, dfm},
        {"POST", "/v1/dfm/overload", live_dfm_overload, dfm},
        {"POST", "/v1/dfm/low_load", live_dfm_low_load, dfm},
        {"POST", "/v1/dfm/component_down", live_dfm_component_down, dfm},
        {"POST", "/v1/dfm/component_up", live_dfm_component_up, dfm},
        {"POST", "/v1/dfm/components_started", live_dfm_started, dfm},
        {"POST", "/v1/dfm/components_start_failed", live_dfm_start_failed, dfm},
        {"POST", "/v1/dfm/components_stopped", live_dfm_stopped, dfm},
    };

    memcpy(routes, table, sizeof(table));
    return LIVE_DFM_ROUTE_COUNT;
}
