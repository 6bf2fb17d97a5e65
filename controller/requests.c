/* Pending requests: sending, matching replies, timeouts and retries.
 *
 * A request keeps its id across retries, so a late reply to an earlier send
 * still counts and a repeated create stays idempotent at the provider. A
 * timed-out request is sent again after a backoff that doubles from
 * retry_backoff_min_us up to retry_backoff_max_us, at most retries_max times.
 * After that it is given up, and the decision that made it is undone. */
#include "state.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *lb_request_kind_name(lb_request_kind kind)
{
    switch (kind) {
    case LB_REQUEST_STATS: return "stats_request";
    case LB_REQUEST_CREATE: return "instance_create";
    case LB_REQUEST_REMOVE: return "instance_remove";
    case LB_REQUEST_RESTART: return "instance_restart";
    case LB_REQUEST_LIST: return "instance_list";
    case LB_REQUEST_START: return "components_start";
    case LB_REQUEST_STOP: return "components_stop";
    }
    return "unknown";
}

static lb_time_t lb_request_timeout_us(const lb_controller *c,
                                       lb_request_kind kind)
{
    switch (kind) {
    case LB_REQUEST_CREATE:
    case LB_REQUEST_REMOVE:
    case LB_REQUEST_RESTART:
    case LB_REQUEST_LIST:
        return c->policy.provider_timeout_us;
    case LB_REQUEST_STOP:
        /* At worst the DFM replies only after the graceful deadline. */
        return c->policy.stop_grace_us + c->policy.request_timeout_us;
    case LB_REQUEST_STATS:
    case LB_REQUEST_START:
        return c->policy.request_timeout_us;
    }
    return c->policy.request_timeout_us;
}

lb_time_t lb_backoff_us(const lb_controller *c, uint32_t attempt)
{
    lb_time_t backoff_us = c->policy.retry_backoff_min_us;

    for (uint32_t i = 1; i < attempt; i++) {
        if (backoff_us >= c->policy.retry_backoff_max_us / 2) {
            return c->policy.retry_backoff_max_us;
        }
        backoff_us *= 2;
    }
    return backoff_us < c->policy.retry_backoff_max_us
               ? backoff_us
               : c->policy.retry_backoff_max_us;
}

static lb_request *lb_request_alloc(lb_controller *c)
{
    for (size_t i = 0; i < c->request_cap; i++) {
        if (!c->requests[i].used) {
            return &c->requests[i];
        }
    }

    size_t cap = c->request_cap ? c->request_cap * 2 : 16;
    lb_request *grown = realloc(c->requests, cap * sizeof *grown);
    if (grown == NULL) {
        return NULL;
    }
    memset(grown + c->request_cap, 0,
           (cap - c->request_cap) * sizeof *grown);
    c->requests = grown;
    lb_request *request = &c->requests[c->request_cap];
    c->request_cap = cap;
    return request;
}

/* Collects the tenants a components_start carries into c->scratch. */
static size_t lb_start_tenants(const lb_controller *c,
                               const lb_request *request)
{
    size_t count = 0;

    for (size_t t = 0; t < c->tenant_cap; t++) {
        const lb_tenant *tenant = &c->tenants[t];
        bool moving = tenant->used && tenant->moving_to == request->instance &&
                      tenant->move_id == request->id;
        bool own = tenant->used && request->boot &&
                   tenant->home == request->instance &&
                   tenant->moving_to == LB_NONE;
        if (moving || own) {
            c->scratch[count++] = (uint32_t)t;
        }
    }
    return count;
}

static int lb_start_transmit(lb_controller *c, const lb_request *request)
{
    const lb_instance *instance = &c->instances[request->instance];
    const char *ids[64];
    size_t count = lb_start_tenants(c, request);
    const char **list = ids;

    if (count > sizeof ids / sizeof ids[0]) {
        list = malloc(count * sizeof *list);
        if (list == NULL) {
            return -ENOMEM;
        }
    }
    for (size_t i = 0; i < count; i++) {
        list[i] = c->tenants[c->scratch[i]].id;
    }
    int rc = c->ports.dfm.components_start(c->ports.dfm.ctx, instance->id,
                                           request->id, instance->components,
                                           list, count);
    if (list != ids) {
        free(list);
    }
    return rc;
}

static int lb_request_transmit_once(lb_controller *c,
                                    const lb_request *request)
{
    const char *instance = request->instance == LB_NONE
                               ? NULL
                               : c->instances[request->instance].id;

    switch (request->kind) {
    case LB_REQUEST_STATS:
        return c->ports.nginx.stats_request(c->ports.nginx.ctx, request->id);
    case LB_REQUEST_CREATE:
        return c->ports.provider.instance_create(
            c->ports.provider.ctx, request->id, c->policy.instance_type);
    case LB_REQUEST_REMOVE:
        return c->ports.provider.instance_remove(c->ports.provider.ctx,
                                                 request->id, instance);
    case LB_REQUEST_RESTART:
        return c->ports.provider.instance_restart(c->ports.provider.ctx,
                                                  request->id, instance);
    case LB_REQUEST_LIST:
        return c->ports.provider.instance_list(c->ports.provider.ctx,
                                               request->id);
    case LB_REQUEST_START:
        return lb_start_transmit(c, request);
    case LB_REQUEST_STOP:
        return c->ports.dfm.components_stop(
            c->ports.dfm.ctx, instance, request->id,
            c->instances[request->instance].components,
            c->now_us + c->policy.stop_grace_us);
    }
    return 0;
}

static int lb_request_transmit(lb_controller *c, const lb_request *request)
{
    c->in_port_call = true;
    int rc = lb_request_transmit_once(c, request);
    c->in_port_call = false;
    return rc;
}

/* Sends request (again) and arms its timeout. A send that fails at once
 * counts as a timeout now, so it goes through the same retries. */
static void lb_request_transmit_armed(lb_controller *c, lb_request *request)
{
    request->attempt++;
    request->waiting_retry = false;
    request->deadline_us = c->now_us + lb_request_timeout_us(c, request->kind);

    int rc = lb_request_transmit(c, request);
    if (rc != 0) {
        lb_log(c, LB_LOG_WARN, "request_send_failed",
               "request=%s id=%llu instance=%s error=%d attempt=%u",
               lb_request_kind_name(request->kind),
               (unsigned long long)request->id,
               lb_instance_name(c, request->instance), rc, request->attempt);
        request->deadline_us = c->now_us;
    }
}

lb_request *lb_request_send(lb_controller *c, lb_request_kind kind,
                            uint32_t instance, bool flag)
{
    lb_request *request = lb_request_alloc(c);
    assert(request != NULL && "request table allocation failed");

    *request = (lb_request){
        .used = true,
        .kind = kind,
        .id = c->next_id++,
        .instance = instance,
        .boot = kind == LB_REQUEST_START && flag,
        .low_load = kind == LB_REQUEST_STATS && flag,
    };
    lb_request_transmit_armed(c, request);
    return request;
}

lb_request_id lb_request_schedule(lb_controller *c, lb_request_kind kind,
                                  lb_time_t at_us)
{
    lb_request *request = lb_request_alloc(c);
    assert(request != NULL && "request table allocation failed");

    /* Waiting as if for a retry: the first send happens at at_us. */
    *request = (lb_request){
        .used = true,
        .kind = kind,
        .id = c->next_id++,
        .instance = LB_NONE,
        .waiting_retry = true,
        .deadline_us = at_us,
    };
    return request->id;
}

void lb_done_remember(lb_controller *c, lb_request_id id)
{
    c->done_ids[c->done_next] = id;
    c->done_next = (c->done_next + 1) % LB_DONE_IDS;
}

static bool lb_done_recently(const lb_controller *c, lb_request_id id)
{
    for (size_t i = 0; i < LB_DONE_IDS; i++) {
        if (id != 0 && c->done_ids[i] == id) {
            return true;
        }
    }
    return false;
}

lb_request *lb_request_find(lb_controller *c, lb_request_kind kind,
                            lb_request_id id, const char *reply)
{
    for (size_t i = 0; i < c->request_cap; i++) {
        lb_request *request = &c->requests[i];
        if (request->used && request->kind == kind && request->id == id) {
            return request;
        }
    }

    bool duplicate = lb_done_recently(c, id);
    lb_log(c, LB_LOG_INFO, duplicate ? "reply_duplicate" : "reply_stale",
           "reply=%s id=%llu", reply, (unsigned long long)id);
    return NULL;
}

const lb_request *lb_request_take(lb_controller *c, lb_request_kind kind,
                                  lb_request_id id, const char *reply)
{
    for (size_t i = 0; i < c->request_cap; i++) {
        lb_request *request = &c->requests[i];
        if (request->used && request->kind == kind && request->id == id) {
            /* A copy, because the handler may send requests that reuse
             * the slot. */
            c->taken = *request;
            request->used = false;
            lb_done_remember(c, id);
            return &c->taken;
        }
    }

    bool duplicate = lb_done_recently(c, id);
    lb_log(c, LB_LOG_INFO, duplicate ? "reply_duplicate" : "reply_stale",
           "reply=%s id=%llu", reply, (unsigned long long)id);
    return NULL;
}

void lb_request_cancel_instance(lb_controller *c, uint32_t slot)
{
    for (size_t i = 0; i < c->request_cap; i++) {
        lb_request *request = &c->requests[i];
        if (request->used && request->instance == slot) {
            lb_log(c, LB_LOG_INFO, "request_cancelled",
                   "request=%s id=%llu instance=%s",
                   lb_request_kind_name(request->kind),
                   (unsigned long long)request->id,
                   lb_instance_name(c, slot));
            lb_log_request_closed(c, lb_request_kind_name(request->kind),
                                  request->id, "cancelled");
            request->used = false;
            lb_done_remember(c, request->id);
        }
    }
}

bool lb_request_pending_kind(const lb_controller *c, lb_request_kind kind,
                             uint32_t instance)
{
    for (size_t i = 0; i < c->request_cap; i++) {
        const lb_request *request = &c->requests[i];
        if (request->used && request->kind == kind &&
            request->instance == instance) {
            return true;
        }
    }
    return false;
}

/* Undoes the decision behind a request that was given up. */
static void lb_request_given_up(lb_controller *c, lb_request request)
{
    switch (request.kind) {
    case LB_REQUEST_STATS:
        lb_stats_given_up(c, request.instance, request.low_load);
        break;
    case LB_REQUEST_CREATE:
        /* The provider may still have made the instance: its dfm_ready or a
         * provider listing finds it, and it gets removed. */
        c->orphans_possible++;
        lb_move_abandon(c, request.instance, 0);
        lb_instance_free(c, request.instance);
        lb_scale_out_failed(c, "create_given_up");
        lb_listing_request(c);
        break;
    case LB_REQUEST_START:
        lb_instance_start_given_up(c, request.instance, request.id);
        break;
    case LB_REQUEST_STOP:
        lb_drain_stopped(c, request.instance, "stop_timed_out");
        break;
    case LB_REQUEST_RESTART:
        lb_instance_fail(c, request.instance, "restart_failed");
        break;
    case LB_REQUEST_REMOVE:
        /* Forget it: the listing finds it still running and removes it
         * again, with a fresh set of retries. */
        c->orphans_possible++;
        lb_instance_free(c, request.instance);
        lb_listing_request(c);
        break;
    case LB_REQUEST_LIST:
        lb_listing_given_up(c);
        break;
    }
}

void lb_request_retry_or_fail(lb_controller *c, lb_request *request,
                              const char *reason)
{
    if (request->attempt <= c->policy.retries_max) {
        lb_time_t backoff_us = lb_backoff_us(c, request->attempt);
        request->waiting_retry = true;
        request->deadline_us = c->now_us + backoff_us;
        lb_log(c, LB_LOG_WARN, reason,
               "request=%s id=%llu instance=%s attempt=%u retry_in_us=%lld",
               lb_request_kind_name(request->kind),
               (unsigned long long)request->id,
               lb_instance_name(c, request->instance), request->attempt,
               (long long)backoff_us);
        if (strcmp(reason, "request_timeout") == 0) {
            lb_log_request_closed(c, lb_request_kind_name(request->kind),
                                  request->id, "timeout");
        }
        return;
    }

    lb_log(c, LB_LOG_ERROR, "request_given_up",
           "request=%s id=%llu instance=%s attempts=%u reason=%s",
           lb_request_kind_name(request->kind),
           (unsigned long long)request->id,
           lb_instance_name(c, request->instance), request->attempt, reason);
    lb_log_request_closed(c, lb_request_kind_name(request->kind), request->id,
                          "given_up");
    lb_request copy = *request;
    request->used = false;
    lb_done_remember(c, copy.id);
    lb_request_given_up(c, copy);
}

void lb_requests_check_deadlines(lb_controller *c)
{
    /* Handlers may add requests and grow the table, so index afresh. */
    for (size_t i = 0; i < c->request_cap; i++) {
        lb_request *request = &c->requests[i];
        if (!request->used || request->deadline_us > c->now_us) {
            continue;
        }
        if (request->waiting_retry && request->attempt == 0) {
            lb_request_transmit_armed(c, request);
            continue;
        }
        if (request->waiting_retry) {
            lb_log(c, LB_LOG_INFO, "request_retry",
                   "request=%s id=%llu instance=%s attempt=%u",
                   lb_request_kind_name(request->kind),
                   (unsigned long long)request->id,
                   lb_instance_name(c, request->instance),
                   request->attempt + 1);
            lb_request_transmit_armed(c, request);
            continue;
        }
        lb_request_retry_or_fail(c, request, "request_timeout");
    }
}

lb_time_t lb_requests_next_deadline(const lb_controller *c)
{
    lb_time_t next_us = LB_TIME_NEVER;

    for (size_t i = 0; i < c->request_cap; i++) {
        const lb_request *request = &c->requests[i];
        if (request->used && request->deadline_us < next_us) {
            next_us = request->deadline_us;
        }
    }
    return next_us;
}
