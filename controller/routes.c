/* The routing table sent to NGINX.
 *
 * Every table is whole and carries a version one above the last. NGINX
 * replies with the version it applied. A tenant's requests for a component
 * go to its home instance while that instance serves the component, else to
 * the least loaded other instance that does. Changes made while handling
 * one input, or closer together than routes_interval_min_us, are merged
 * into one table. A table that times out
 * or is rejected is sent again, with a new version, after a backoff. */
#include "state.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a over bytes, continuing from digest. */
static uint64_t lb_digest_add(uint64_t digest, const void *bytes, size_t len)
{
    const unsigned char *p = bytes;

    for (size_t i = 0; i < len; i++) {
        digest ^= p[i];
        digest *= UINT64_C(1099511628211);
    }
    return digest;
}

/* Digest of a table's content, without its version. */
static uint64_t lb_routes_digest(const lb_routes *table)
{
    uint64_t digest = UINT64_C(14695981039346656037);

    for (size_t i = 0; i < table->route_count; i++) {
        const lb_route *route = &table->routes[i];
        const lb_route_instance *to = &table->instances[route->instance];
        digest = lb_digest_add(digest, route->tenant,
                               strlen(route->tenant) + 1);
        digest = lb_digest_add(digest, &route->component,
                               sizeof route->component);
        digest = lb_digest_add(digest, to->id, strlen(to->id) + 1);
        digest = lb_digest_add(digest, to->address, strlen(to->address) + 1);
    }
    if (table->default_instance != LB_ROUTE_NO_DEFAULT) {
        const lb_route_instance *to =
            &table->instances[table->default_instance];
        digest = lb_digest_add(digest, to->id, strlen(to->id) + 1);
    }
    return digest;
}

/* Returns the serving instance with the lowest load estimate plus
 * added_permille (the load of tenants already sent there while building this
 * table; NULL for none), apart from except. Ties go to the lower slot so that
 * runs repeat exactly. */
static uint32_t lb_routes_fallback(const lb_controller *c, uint32_t component,
                                   uint32_t except,
                                   const uint32_t *added_permille)
{
    uint32_t best = LB_NONE;
    uint32_t best_load = 0;

    for (size_t i = 0; i < c->instance_cap; i++) {
        if (i == except || !lb_instance_serves(c, (uint32_t)i, component)) {
            continue;
        }
        uint32_t load = c->instances[i].cpu_permille +
                        (added_permille ? added_permille[i] : 0);
        if (best == LB_NONE || load < best_load) {
            best = (uint32_t)i;
            best_load = load;
        }
    }
    return best;
}

/* Keeps the default instance while it serves component 0 (the one that
 * creates tenants), so that the default does not flap with load. */
static void lb_routes_choose_default(lb_controller *c)
{
    if (c->default_instance != LB_NONE &&
        lb_instance_serves(c, c->default_instance, 0)) {
        return;
    }
    c->default_instance = lb_routes_fallback(c, 0, LB_NONE, NULL);
}

/* Returns where the tenant's requests for component go. Tenants whose home
 * cannot serve them spread over the other instances by load, and a tenant's
 * components stay together on its first fallback (*fallback) when it can. */
static uint32_t lb_routes_target(lb_controller *c, const lb_tenant *tenant,
                                 uint32_t component, uint32_t *added_permille,
                                 uint32_t *fallback, size_t *missing)
{
    if (lb_instance_serves(c, tenant->home, component)) {
        return tenant->home;
    }
    if (*fallback != LB_NONE && lb_instance_serves(c, *fallback, component)) {
        return *fallback;
    }

    uint32_t target = lb_routes_fallback(c, component, tenant->home,
                                         added_permille);
    if (target == LB_NONE) {
        /* Nothing serves it: keep the home, and count it for one log line
         * per table. */
        if (*missing == 0) {
            snprintf(c->routes_missing_first, sizeof c->routes_missing_first,
                     "%s/%s", tenant->id, lb_component_name(c, component));
        }
        (*missing)++;
        return tenant->home;
    }
    if (*fallback == LB_NONE) {
        added_permille[target] += tenant->cpu_permille;
        *fallback = target;
    }
    return target;
}

/* Index of slot in the table's instance list, added on first use. */
static uint32_t lb_routes_instance_index(const lb_controller *c,
                                         uint32_t *index_of,
                                         lb_route_instance *list,
                                         size_t *count, uint32_t slot)
{
    if (index_of[slot] == LB_NONE) {
        index_of[slot] = (uint32_t)*count;
        list[*count].id = c->instances[slot].id;
        list[*count].address = c->instances[slot].address;
        (*count)++;
    }
    return index_of[slot];
}

static size_t lb_routes_fill(lb_controller *c, uint32_t *index_of,
                             lb_route_instance *list, size_t *list_count,
                             lb_route *routes)
{
    size_t count = 0;
    size_t missing = 0;
    uint32_t *added_permille = calloc(c->instance_cap ? c->instance_cap : 1,
                                      sizeof *added_permille);
    assert(added_permille != NULL && "routing table allocation failed");

    for (size_t t = 0; t < c->tenant_cap; t++) {
        const lb_tenant *tenant = &c->tenants[t];
        if (!tenant->used || tenant->home == LB_NONE) {
            continue;
        }
        lb_component_mask components = c->instances[tenant->home].components;
        uint32_t fallback = LB_NONE;
        for (uint32_t k = 0; k < c->component_count; k++) {
            if ((components & (1u << k)) == 0) {
                continue;
            }
            uint32_t slot = lb_routes_target(c, tenant, k, added_permille,
                                             &fallback, &missing);
            routes[count++] = (lb_route){
                .tenant = tenant->id,
                .component = k,
                .instance = lb_routes_instance_index(c, index_of, list,
                                                     list_count, slot),
            };
        }
    }
    free(added_permille);
    if (missing > 0) {
        lb_log(c, LB_LOG_WARN, "routes_missing",
               "routes=%zu first=%s reason=no_serving_instance", missing,
               c->routes_missing_first);
    }
    return count;
}

/* A drain stops its instance once the newest table, which no longer
 * routes to it, is applied. */
static void lb_routes_mark_drains(lb_controller *c)
{
    for (size_t i = 0; i < c->instance_cap; i++) {
        lb_instance *instance = &c->instances[i];
        if (instance->stop_wait_routes && instance->stop_routes_version == 0) {
            instance->stop_routes_version = c->routes_version;
        }
    }
}

static void lb_routes_log_closed(lb_controller *c, const char *reason)
{
    lb_log(c, LB_LOG_INFO, "request_closed",
           "request=routes_apply id=%llu version=%llu reason=%s",
           (unsigned long long)c->routes_version,
           (unsigned long long)c->routes_version, reason);
}

static void lb_routes_transmit(lb_controller *c, const lb_routes *table)
{
    lb_log(c, LB_LOG_INFO, "routes_send",
           "version=%llu routes=%zu instances=%zu default=%s attempt=%u",
           (unsigned long long)table->version, table->route_count,
           table->instance_count, lb_instance_name(c, c->default_instance),
           c->routes_attempt + 1);
    c->in_port_call = true;
    int rc = c->ports.nginx.routes_apply(c->ports.nginx.ctx, table);
    c->in_port_call = false;
    if (rc != 0) {
        lb_log(c, LB_LOG_WARN, "request_send_failed",
               "request=routes_apply version=%llu error=%d",
               (unsigned long long)table->version, rc);
        c->routes_deadline_us = c->now_us;
    }
}

/* Closes the newest table sent when a newer one replaces it before NGINX
 * replied; NGINX then applies only the newer one. */
static void lb_routes_supersede(lb_controller *c)
{
    if (c->routes_version == 0 || c->routes_deadline_us == LB_TIME_NEVER ||
        c->routes_applied_version >= c->routes_version) {
        return;
    }
    lb_routes_log_closed(c, "superseded");
}

/* Builds the table and sends it as the next version. A table equal to the
 * newest one sent goes out only as a retry: NGINX needs no reload for it. */
static void lb_routes_build_and_send(lb_controller *c, bool retry)
{
    size_t instance_cap = c->instance_cap ? c->instance_cap : 1;
    size_t route_cap = c->tenant_cap * c->component_count + 1;
    uint32_t *index_of = malloc(instance_cap * sizeof *index_of);
    lb_route_instance *list = malloc(instance_cap * sizeof *list);
    lb_route *routes = malloc(route_cap * sizeof *routes);
    assert(index_of != NULL && list != NULL && routes != NULL &&
           "routing table allocation failed");

    for (size_t i = 0; i < instance_cap; i++) {
        index_of[i] = LB_NONE;
    }
    lb_routes_choose_default(c);
    lb_routes table = { .version = c->routes_version + 1, .instances = list };
    table.route_count = lb_routes_fill(c, index_of, list,
                                       &table.instance_count, routes);
    table.routes = routes;
    table.default_instance =
        c->default_instance == LB_NONE
            ? LB_ROUTE_NO_DEFAULT
            : lb_routes_instance_index(c, index_of, list,
                                       &table.instance_count,
                                       c->default_instance);

    uint64_t digest = lb_routes_digest(&table);
    c->routes_dirty = false;
    c->routes_urgent = false;
    if (!retry && c->routes_version > 0 && digest == c->routes_digest) {
        lb_routes_mark_drains(c);
        lb_drain_routes_applied(c);
    } else {
        lb_routes_supersede(c);
        c->routes_version = table.version;
        c->routes_digest = digest;
        c->routes_sent_at_us = c->now_us;
        c->routes_retry_at_us = LB_TIME_NEVER;
        c->routes_deadline_us = c->now_us + c->policy.request_timeout_us;
        if (!retry) {
            c->routes_attempt = 0;
        }
        lb_routes_mark_drains(c);
        lb_routes_transmit(c, &table);
    }
    free(routes);
    free(list);
    free(index_of);
}

void lb_routes_send(lb_controller *c)
{
    lb_routes_build_and_send(c, false);
}

void lb_routes_change(lb_controller *c)
{
    c->routes_dirty = true;
}

void lb_routes_failover(lb_controller *c)
{
    c->routes_dirty = true;
    c->routes_urgent = true;
}

void lb_routes_flush(lb_controller *c)
{
    if (!c->routes_dirty || !c->started) {
        return;
    }
    if (c->routes_version == 0 || c->routes_urgent ||
        c->now_us >= c->routes_sent_at_us + c->policy.routes_interval_min_us) {
        lb_routes_send(c);
    }
}

/* Schedules a resend after a timeout or a rejection, or gives up. */
static void lb_routes_failed(lb_controller *c, const char *reason)
{
    c->routes_deadline_us = LB_TIME_NEVER;
    c->routes_attempt++;
    if (c->routes_attempt > c->policy.retries_max) {
        lb_log(c, LB_LOG_ERROR, "request_given_up",
               "request=routes_apply version=%llu attempts=%u reason=%s",
               (unsigned long long)c->routes_version, c->routes_attempt, reason);
        lb_routes_log_closed(c, "given_up");
        /* TODO: NGINX keeps an older table until the next change; a drain
         * waiting for this table waits for that change. */
        c->routes_attempt = 0;
        return;
    }

    if (strcmp(reason, "request_timeout") == 0) {
        lb_routes_log_closed(c, "timeout");
    }
    lb_time_t backoff_us = lb_backoff_us(c, c->routes_attempt);
    c->routes_retry_at_us = c->now_us + backoff_us;
    lb_log(c, LB_LOG_WARN, reason,
           "request=routes_apply version=%llu attempt=%u retry_in_us=%lld",
           (unsigned long long)c->routes_version, c->routes_attempt,
           (long long)backoff_us);
}

void lb_routes_check_deadlines(lb_controller *c)
{
    if (c->routes_deadline_us <= c->now_us) {
        lb_routes_failed(c, "request_timeout");
    }
    if (c->routes_retry_at_us <= c->now_us) {
        lb_log(c, LB_LOG_INFO, "request_retry",
               "request=routes_apply version=%llu attempt=%u",
               (unsigned long long)c->routes_version + 1,
               c->routes_attempt + 1);
        lb_routes_build_and_send(c, true);
    }
}

lb_time_t lb_routes_next_deadline(const lb_controller *c)
{
    lb_time_t next_us = c->routes_deadline_us;

    if (c->routes_retry_at_us < next_us) {
        next_us = c->routes_retry_at_us;
    }
    if (c->routes_dirty) {
        lb_time_t due_us = c->routes_sent_at_us + c->policy.routes_interval_min_us;
        if (due_us < next_us) {
            next_us = due_us;
        }
    }
    return next_us;
}

void lb_on_routes_applied(lb_controller *controller, uint64_t version)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    if (version > c->routes_version) {
        lb_log(c, LB_LOG_WARN, "reply_stale",
               "reply=routes_applied version=%llu reason=never_sent",
               (unsigned long long)version);
    } else if (version <= c->routes_applied_version) {
        lb_log(c, LB_LOG_INFO, "reply_duplicate",
               "reply=routes_applied version=%llu applied=%llu",
               (unsigned long long)version,
               (unsigned long long)c->routes_applied_version);
    } else {
        c->routes_applied_version = version;
        if (version == c->routes_version) {
            c->routes_deadline_us = LB_TIME_NEVER;
            c->routes_retry_at_us = LB_TIME_NEVER;
            c->routes_attempt = 0;
        } else {
            lb_log(c, LB_LOG_INFO, "reply_late",
                   "reply=routes_applied version=%llu newest=%llu",
                   (unsigned long long)version,
                   (unsigned long long)c->routes_version);
        }
        lb_drain_routes_applied(c);
    }
    lb_input_end(c);
}

void lb_on_routes_rejected(lb_controller *controller, uint64_t version,
                           const char *reason)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    char text[256];
    lb_log(c, LB_LOG_WARN, "routes_rejected", "version=%llu reason=\"%s\"",
           (unsigned long long)version,
           lb_log_escape(reason, text, sizeof text));
    if (version == c->routes_version && version > c->routes_applied_version &&
        c->routes_retry_at_us == LB_TIME_NEVER) {
        lb_routes_failed(c, "routes_rejected");
    } else {
        lb_log(c, LB_LOG_INFO, "reply_stale",
               "reply=routes_rejected version=%llu newest=%llu",
               (unsigned long long)version,
               (unsigned long long)c->routes_version);
    }
    lb_input_end(c);
}
