/* The recording fake of the controller's ports. */
#include "fake_ports.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static fake_call *fake_record(fake_world *world, const char *kind,
                              lb_request_id id)
{
    assert_true(world->call_count < FAKE_CALLS_MAX);
    fake_call *call = &world->calls[world->call_count++];
    snprintf(call->kind, sizeof call->kind, "%s", kind);
    call->id = id;
    call->at_us = world->now_us;
    call->text[0] = '\0';
    return call;
}

static void fake_append(char *buf, const char *format, ...)
{
    size_t len = strlen(buf);
    va_list args;

    va_start(args, format);
    vsnprintf(buf + len, FAKE_TEXT_LEN - len, format, args);
    va_end(args);
}

static void fake_append_components(const fake_world *world, char *buf,
                                   lb_component_mask components)
{
    const char *separator = "";

    for (uint32_t k = 0; k < LB_COMPONENTS_MAX; k++) {
        if (components & (1u << k)) {
            fake_append(buf, "%s%s", separator, world->component_names[k]);
            separator = ",";
        }
    }
}

static lb_time_t fake_now(void *ctx)
{
    return ((fake_world *)ctx)->now_us;
}

static void fake_wake_at(void *ctx, lb_time_t at_us)
{
    ((fake_world *)ctx)->wake_us = at_us;
}

static int fake_stats_request(void *ctx, lb_request_id id)
{
    fake_world *world = ctx;
    fake_record(world, "stats_request", id);
    return world->send_result;
}

static int fake_routes_apply(void *ctx, const lb_routes *routes)
{
    fake_world *world = ctx;
    fake_call *call = fake_record(world, "routes_apply", routes->version);

    fake_append(call->text, "default=%s routes=",
                routes->default_instance == LB_ROUTE_NO_DEFAULT
                    ? "-"
                    : routes->instances[routes->default_instance].id);
    for (size_t i = 0; i < routes->route_count; i++) {
        const lb_route *route = &routes->routes[i];
        assert_true(route->instance < routes->instance_count);
        fake_append(call->text, "%s%s/%s=%s", i ? "," : "", route->tenant,
                    world->component_names[route->component],
                    routes->instances[route->instance].id);
    }
    return world->send_result;
}

static int fake_instance_create(void *ctx, lb_request_id id,
                                const char *instance_type)
{
    fake_world *world = ctx;
    fake_call *call = fake_record(world, "instance_create", id);
    fake_append(call->text, "type=%s", instance_type);
    return world->send_result;
}

static int fake_instance_remove(void *ctx, lb_request_id id,
                                const char *instance)
{
    fake_world *world = ctx;
    fake_call *call = fake_record(world, "instance_remove", id);
    fake_append(call->text, "instance=%s", instance);
    return world->send_result;
}

static int fake_instance_restart(void *ctx, lb_request_id id,
                                 const char *instance)
{
    fake_world *world = ctx;
    fake_call *call = fake_record(world, "instance_restart", id);
    fake_append(call->text, "instance=%s", instance);
    return world->send_result;
}

static int fake_instance_list(void *ctx, lb_request_id id)
{
    fake_world *world = ctx;
    fake_record(world, "instance_list", id);
    return world->send_result;
}

static int fake_components_start(void *ctx, const char *instance,
                                 lb_request_id id,
                                 lb_component_mask components,
                                 const char *const *tenants,
                                 size_t tenant_count)
{
    fake_world *world = ctx;
    fake_call *call = fake_record(world, "components_start", id);

    fake_append(call->text, "instance=%s components=", instance);
    fake_append_components(world, call->text, components);
    fake_append(call->text, " tenants=");
    for (size_t i = 0; i < tenant_count; i++) {
        fake_append(call->text, "%s%s", i ? "," : "", tenants[i]);
    }
    return world->send_result;
}

static int fake_components_stop(void *ctx, const char *instance,
                                lb_request_id id,
                                lb_component_mask components,
                                lb_time_t deadline_us)
{
    fake_world *world = ctx;
    fake_call *call = fake_record(world, "components_stop", id);

    fake_append(call->text, "instance=%s components=", instance);
    fake_append_components(world, call->text, components);
    fake_append(call->text, " deadline_us=%lld", (long long)deadline_us);
    return world->send_result;
}

static void fake_log_write(void *ctx, lb_log_level level, const char *event,
                           const char *fields)
{
    fake_world *world = ctx;

    if (getenv("FAKE_PORTS_VERBOSE") != NULL) {
        fprintf(stderr, "%lld %s %s\n", (long long)world->now_us, event,
                fields);
    }
    assert_true(world->log_count < FAKE_LOGS_MAX);
    fake_log *log = &world->logs[world->log_count++];
    log->level = level;
    snprintf(log->event, sizeof log->event, "%s", event);
    snprintf(log->fields, sizeof log->fields, "%s", fields);
}

void fake_ports_init(fake_world *world, lb_ports *ports,
                     const char *const *component_names)
{
    memset(world, 0, sizeof *world);
    world->wake_us = INT64_MAX;
    world->component_names = component_names;

    *ports = (lb_ports){
        .clock = { world, fake_now, fake_wake_at },
        .nginx = { world, fake_stats_request, fake_routes_apply },
        .provider = { world, fake_instance_create, fake_instance_remove,
                      fake_instance_restart, fake_instance_list },
        .dfm = { world, fake_components_start, fake_components_stop },
        .log = { world, fake_log_write },
    };
}

void fake_advance_to(fake_world *world, lb_time_t at_us)
{
    assert_true(at_us >= world->now_us);
    while (world->wake_us <= at_us) {
        if (world->wake_us > world->now_us) {
            world->now_us = world->wake_us;
        }
        world->wake_us = INT64_MAX;
        lb_on_timer(world->controller);
    }
    world->now_us = at_us;
}

const fake_call *fake_expect(fake_world *world, const char *kind,
                             const char *text)
{
    if (world->call_next >= world->call_count) {
        fail_msg("expected %s %s, but no call was made", kind, text);
    }
    const fake_call *call = &world->calls[world->call_next++];
    assert_string_equal(call->kind, kind);
    assert_string_equal(call->text, text);
    return call;
}

void fake_expect_no_call(fake_world *world)
{
    if (world->call_next < world->call_count) {
        const fake_call *call = &world->calls[world->call_next];
        fail_msg("unexpected call %s id=%llu %s", call->kind,
                 (unsigned long long)call->id, call->text);
    }
}

size_t fake_count_calls(const fake_world *world, const char *kind)
{
    size_t count = 0;

    for (size_t i = 0; i < world->call_count; i++) {
        count += strcmp(world->calls[i].kind, kind) == 0;
    }
    return count;
}

size_t fake_count_logs(const fake_world *world, const char *event,
                       const char *needle)
{
    size_t count = 0;

    for (size_t i = 0; i < world->log_count; i++) {
        const fake_log *log = &world->logs[i];
        if (strcmp(log->event, event) == 0 &&
            (needle == NULL || strstr(log->fields, needle) != NULL)) {
            count++;
        }
    }
    return count;
}
