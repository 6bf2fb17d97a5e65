/* The DFM port of lbd, both directions of the HTTP/JSON API described in
 * docs/dfm-api.md.
 *
 * Out: components_start and components_stop are POSTed to the instance's
 * DFM at http://<instance address>/v1/components/{start,stop}; the DFM
 * accepts with a 2xx status and reports the outcome later with a
 * notification. A request that fails to send or gets another status makes
 * components_start_failed (a failed stop is logged; the controller's
 * timeout covers it).
 *
 * In: the notifications under /v1/dfm/ call the controller's lb_on_*
 * functions after checking every field. While controller is NULL (lbd
 * starts) they get 503, except dfm_ready, which is kept and gets 202. A
 * notification for an instance not in the registry gets 404. */
#ifndef LIVE_DFM_H
#define LIVE_DFM_H

#include <stddef.h>

#include "api_server.h"
#include "controller.h"
#include "loop.h"
#include "nginx.h"
#include "nginx_render.h"
#include "registry.h"

typedef struct live_dfm {
    live_loop *loop;
    live_registry *registry;
    const live_component *components;
    size_t component_count;
    const char *token; /* sent to DFMs; never logged */
    long timeout_ms;
    lb_controller *controller;
    live_nginx *nginx; /* notified of component downs and ups, or NULL */
} live_dfm;

/* Port functions; ctx is the live_dfm. */
int live_dfm_components_start(void *ctx, const char *instance,
                              lb_request_id id, lb_component_mask components,
                              const char *const *tenants, size_t tenant_count);
int live_dfm_components_stop(void *ctx, const char *instance, lb_request_id id,
                             lb_component_mask components,
                             lb_time_t deadline_us);

#define LIVE_DFM_ROUTE_COUNT 8
#define LIVE_TENANT_ROUTE_COUNT 2

/* Fills routes with the notification endpoints, handled by dfm. Returns
 * the number filled, LIVE_DFM_ROUTE_COUNT. */
size_t live_dfm_api_routes(live_dfm *dfm, live_api_route *routes);

/* Fills routes with the tenant endpoints (/v1/tenants/created and
 * /v1/tenants/removed), handled by dfm. Returns LIVE_TENANT_ROUTE_COUNT. */
size_t live_tenant_api_routes(live_dfm *dfm, live_api_route *routes);

/* Tells the controller about a dfm_ready that came before the provider's
 * reply named the instance, if one did. */
void live_dfm_ready_replay(live_dfm *dfm, const char *instance);

/* Passes to the controller every deferred dfm_ready of an instance that is
 * known now. lbd calls it once the controller exists, because a dfm_ready
 * may come while lbd rebuilds its state at start-up. */
void live_dfm_ready_replay_known(live_dfm *dfm);

#endif
