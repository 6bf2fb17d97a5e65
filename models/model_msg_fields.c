/* The key=value fields of each message kind, as the message trace shows
 * them: instance=, tenant=, tenants= (comma list), component=,
 * components= (comma list of names), version=, cpu_permille=, window_us=,
 * procs=dev:830,dep:120, killed=, errors=, reason=, ... */
#include <inttypes.h>
#include <stdlib.h>

#include "model_msg.h"
#include "model_sim.h"
#include "model_strbuf.h"

static const char *instance_name(const model_sim *sim, uint32_t instance)
{
    return instance < sim->instance_count ? sim->instances[instance].id : "-";
}

static const char *tenant_name(const model_sim *sim, uint32_t tenant)
{
    return tenant < sim->tenant_count ? sim->tenants[tenant].id : "-";
}

static const char *component_name(const model_sim *sim, uint32_t component)
{
    return component < sim->component_count
               ? sim->components[component].name
               : "-";
}

static void put_components(const model_sim *sim, model_strbuf *buf,
                           lb_component_mask mask)
{
    bool first = true;

    model_strbuf_key(buf, "components");
    for (uint32_t c = 0; c < LB_COMPONENTS_MAX; c++) {
        if (!(mask & (1u << c)))
            continue;
        model_strbuf_printf(buf, "%s%s", first ? "" : ",",
                            component_name(sim, c));
        first = false;
    }
}

static void put_tenant_items(const model_sim *sim, model_strbuf *buf,
                             const model_msg *msg)
{
    const uint32_t *tenants = msg->items;

    model_strbuf_key(buf, "tenants");
    for (size_t i = 0; i < msg->item_count; i++)
        model_strbuf_printf(buf, "%s%s", i == 0 ? "" : ",",
                            tenant_name(sim, tenants[i]));
}

static void put_routes(const model_sim *sim, model_strbuf *buf,
                       const model_msg *msg)
{
    const model_route_item *routes = msg->items;

    model_strbuf_key(buf, "version");
    model_strbuf_printf(buf, "%" PRIu64, msg->value);
    model_strbuf_key(buf, "default");
    model_strbuf_printf(buf, "%s", instance_name(sim, msg->instance));
    model_strbuf_key(buf, "routes");
    for (size_t i = 0; i < msg->item_count; i++) {
        const model_route_item *r = &routes[i];

        model_strbuf_printf(buf, "%s%s/%s:%s", i == 0 ? "" : ",",
                            tenant_name(sim, r->tenant),
                            component_name(sim, r->component),
                            r->instance == MODEL_NONE
                                ? msg->text
                                : instance_name(sim, r->instance));
    }
}

static void put_stats(const model_sim *sim, model_strbuf *buf,
                      const model_msg *msg)
{
    const model_stats_item *rows = msg->items;
    uint64_t requests = 0;
    uint64_t errors = 0;

    model_strbuf_key(buf, "interval_us");
    model_strbuf_printf(buf, "%" PRId64, msg->time_us);
    model_strbuf_key(buf, "rows");
    for (size_t i = 0; i < msg->item_count; i++) {
        const model_stats_item *r = &rows[i];

        model_strbuf_printf(buf, "%s%s/%s:%s:%" PRIu64 ":%" PRIu64,
                            i == 0 ? "" : ",", tenant_name(sim, r->tenant),
                            component_name(sim, r->component),
                            instance_name(sim, r->instance), r->requests,
                            r->errors);
        requests += r->requests;
        errors += r->errors;
    }
    model_strbuf_key(buf, "requests");
    model_strbuf_printf(buf, "%" PRIu64, requests);
    model_strbuf_key(buf, "errors");
    model_strbuf_printf(buf, "%" PRIu64, errors);
}

static void put_load(const model_sim *sim, model_strbuf *buf,
                     const model_msg *msg)
{
    const lb_process_cpu *procs = msg->items;

    model_strbuf_key(buf, "cpu_permille");
    model_strbuf_printf(buf, "%" PRIu32, msg->cpu_permille);
    model_strbuf_key(buf, "window_us");
    model_strbuf_printf(buf, "%" PRId64, msg->time_us);
    model_strbuf_key(buf, "procs");
    for (size_t i = 0; i < msg->item_count; i++)
        model_strbuf_printf(buf, "%s%s:%" PRIu32, i == 0 ? "" : ",",
                            component_name(sim, procs[i].component),
                            procs[i].cpu_permille);
}

static void put_instance_list(const model_sim *sim, model_strbuf *buf,
                              const model_msg *msg)
{
    const uint32_t *instances = msg->items;

    model_strbuf_key(buf, "instances");
    for (size_t i = 0; i < msg->item_count; i++)
        model_strbuf_printf(buf, "%s%s", i == 0 ? "" : ",",
                            instance_name(sim, instances[i]));
}

/* Fields every kind shows when set, in a fixed order. */
static void put_common(const model_sim *sim, model_strbuf *buf,
                       const model_msg *msg)
{
    bool names_instance = msg->kind == MODEL_MSG_INSTANCE_REMOVE ||
                          msg->kind == MODEL_MSG_INSTANCE_RESTART;

    if (msg->instance != MODEL_NONE && msg->kind != MODEL_MSG_ROUTES_APPLY) {
        model_strbuf_key(buf, "instance");
        model_strbuf_printf(buf, "%s", instance_name(sim, msg->instance));
    } else if (names_instance) {
        /* An id the provider does not know: shown as the LB sent it. */
        model_strbuf_key(buf, "instance");
        model_strbuf_printf(buf, "%s", msg->text);
    }
    if (msg->tenant != MODEL_NONE) {
        model_strbuf_key(buf, "tenant");
        model_strbuf_printf(buf, "%s", tenant_name(sim, msg->tenant));
    }
    if (msg->component != MODEL_NONE) {
        model_strbuf_key(buf, "component");
        model_strbuf_printf(buf, "%s", component_name(sim, msg->component));
    }
    if (msg->components != 0)
        put_components(sim, buf, msg->components);
}

static void put_kind(const model_sim *sim, model_strbuf *buf,
                     const model_msg *msg)
{
    switch (msg->kind) {
    case MODEL_MSG_ROUTES_APPLY:
        put_routes(sim, buf, msg);
        break;
    case MODEL_MSG_ROUTES_APPLIED:
    case MODEL_MSG_ROUTES_REJECTED:
        model_strbuf_key(buf, "version");
        model_strbuf_printf(buf, "%" PRIu64, msg->value);
        break;
    case MODEL_MSG_STATS_REPLY:
        put_stats(sim, buf, msg);
        break;
    case MODEL_MSG_INSTANCE_DROPPING:
        model_strbuf_key(buf, "errors");
        model_strbuf_printf(buf, "%" PRIu64, msg->value);
        model_strbuf_key(buf, "window_us");
        model_strbuf_printf(buf, "%" PRId64, msg->time_us);
        break;
    case MODEL_MSG_INSTANCE_CREATE:
        model_strbuf_key(buf, "type");
        model_strbuf_printf(buf, "%s", msg->text);
        break;
    case MODEL_MSG_INSTANCE_CREATED:
        model_strbuf_key(buf, "address");
        model_strbuf_printf(buf, "%s", instance_name(sim, msg->instance));
        break;
    case MODEL_MSG_INSTANCE_LIST_REPLY:
        put_instance_list(sim, buf, msg);
        break;
    case MODEL_MSG_OVERLOAD:
    case MODEL_MSG_LOW_LOAD:
        put_load(sim, buf, msg);
        break;
    case MODEL_MSG_COMPONENTS_START:
        put_tenant_items(sim, buf, msg);
        break;
    case MODEL_MSG_COMPONENTS_STOP:
        model_strbuf_key(buf, "deadline_us");
        model_strbuf_printf(buf, "%" PRId64, msg->time_us);
        break;
    case MODEL_MSG_COMPONENTS_STOPPED:
        model_strbuf_key(buf, "killed");
        model_strbuf_printf(buf, "%" PRIu64, msg->value);
        break;
    default:
        break;
    }
}

static bool kind_has_reason(model_msg_kind kind)
{
    return kind == MODEL_MSG_ROUTES_REJECTED ||
           kind == MODEL_MSG_INSTANCE_CREATE_FAILED ||
           kind == MODEL_MSG_INSTANCE_REMOVE_FAILED ||
           kind == MODEL_MSG_INSTANCE_RESTART_FAILED ||
           kind == MODEL_MSG_COMPONENTS_START_FAILED;
}

void model_msg_build_fields(const model_sim *sim, model_msg *msg)
{
    model_strbuf buf = {0};

    put_common(sim, &buf, msg);
    put_kind(sim, &buf, msg);
    if (kind_has_reason(msg->kind)) {
        model_strbuf_key(&buf, "reason");
        model_strbuf_printf(&buf, "%s", msg->text);
    }

    free(msg->fields);
    msg->fields = model_strbuf_take(&buf);
}
