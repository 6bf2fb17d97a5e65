/* Tenant notifications to lbd (/v1/tenants/...), sent by the service that
 * creates or removes tenants (DEV or the BM Router), so that lbd routes
 * tenants it did not find in its config or routes file. The format is in
 * docs/dfm-api.md. */
#include "dfm.h"

#include <stdio.h>
#include <string.h>

#include "json_field.h"
#include "log.h"

static unsigned live_tenant_unavailable(const live_dfm *dfm, char *err,
                                        size_t err_len)
{
    if (dfm->controller) {
        return 0;
    }
    snprintf(err, err_len, "lbd is starting and takes no notifications yet; "
             "try again later");
    return 503;
}

/* POST /v1/tenants/created {"tenant": ID, "instance": ID (optional)}: the
 * instance, when given, is where the tenant was created and must be
 * known. */
static unsigned live_tenant_created(void *ctx, const json_t *body,
                                    json_t **reply, char *err, size_t err_len)
{
    live_dfm *dfm = ctx;
    const char *tenant = NULL;
    const char *instance = NULL;
    (void)reply;

    if (live_json_id(body, "tenant", &tenant, err, err_len) != 0) {
        return 400;
    }
    if (json_object_get(body, "instance") &&
        live_json_id(body, "instance", &instance, err, err_len) != 0) {
        return 400;
    }
    unsigned status = live_tenant_unavailable(dfm, err, err_len);
    if (status != 0) {
        return status;
    }
    if (instance && !live_registry_address(dfm->registry, instance)) {
        snprintf(err, err_len, "unknown instance \"%s\"", instance);
        return 404;
    }
    live_log(LB_LOG_INFO, "tenant_created", "tenant=%s instance=%s", tenant,
             instance ? instance : "-");
    lb_on_tenant_created(dfm->controller, tenant, instance);
    return 200;
}

/* POST /v1/tenants/removed {"tenant": ID}. */
static unsigned live_tenant_removed(void *ctx, const json_t *body,
                                    json_t **reply, char *err, size_t err_len)
{
    live_dfm *dfm = ctx;
    const char *tenant = NULL;
    (void)reply;

    if (live_json_id(body, "tenant", &tenant, err, err_len) != 0) {
        return 400;
    }
    unsigned status = live_tenant_unavailable(dfm, err, err_len);
    if (status != 0) {
        return status;
    }
    live_log(LB_LOG_INFO, "tenant_removed", "tenant=%s", tenant);
    lb_on_tenant_removed(dfm->controller, tenant);
    return 200;
}

size_t live_tenant_api_routes(live_dfm *dfm, live_api_route *routes)
{
    const live_api_route table[LIVE_TENANT_ROUTE_COUNT] = {
        {"POST", "/v1/tenants/created", live_tenant_created, dfm},
        {"POST", "/v1/tenants/removed", live_tenant_removed, dfm},
    };

    memcpy(routes, table, sizeof(table));
    return LIVE_TENANT_ROUTE_COUNT;
}
