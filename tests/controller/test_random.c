/* The controller against a world that misbehaves at random.
 *
 * A small stand-in for the provider, NGINX and the DFMs replies to the
 * controller's requests after random delays. While faults are on, it loses,
 * duplicates, fails and delays replies past every timeout, and random
 * notifications arrive: overload, low load, components and instances
 * failing, tenants created and removed. No routing table may name an
 * instance after a components_stop went to it. Then the faults stop, and
 * once everything settled, the instances the controller tracks must be
 * exactly the instances the provider runs. Each seed is a fixed sequence,
 * so a failure repeats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "controller.h"

#define S(seconds) ((lb_time_t)(seconds) * 1000000)
#define EVENTS_MAX 8192
#define VMS_MAX 256
#define TENANTS_MAX 512
#define ID_LEN 32
#define SEEDS 200
#define STEPS 1500

typedef enum event_kind {
    EV_STATS_REPLY = 0,
    EV_ROUTES_APPLIED,
    EV_ROUTES_REJECTED,
    EV_CREATED,
    EV_CREATE_FAILED,
    EV_REMOVED,
    EV_RESTARTED,
    EV_LIST,
    EV_DFM_READY,
    EV_STARTED,
    EV_STOPPED,
} event_kind;

typedef struct event {
    bool used;
    lb_time_t at_us;
    event_kind kind;
    lb_request_id id;     /* routes: the version */
    char instance[ID_LEN];
} event;

typedef struct vm {
    char id[ID_LEN];
    bool running;
    bool stopped;          /* components_stop was sent to it */
    lb_request_id create_id;
} vm;

typedef struct world {
    uint64_t rng;
    lb_time_t now_us;
    lb_time_t wake_us;
    bool faults;
    event events[EVENTS_MAX];
    vm vms[VMS_MAX];
    size_t vm_count;
    char tenants[TENANTS_MAX][ID_LEN]; /* every tenant ever seen */
    size_t tenant_count;
    size_t tenants_created;
    lb_controller *controller;
    uint64_t tables;
} world;

static const char *const component_names[] = { "dev", "dep" };

/* xorshift64*: a fixed sequence per seed, apart from the controller. */
static uint64_t world_next(world *w)
{
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return w->rng * UINT64_C(2685821657736338717);
}

static uint64_t world_below(world *w, uint64_t n)
{
    return world_next(w) % n;
}

static bool world_chance(world *w, uint32_t permille)
{
    return world_below(w, 1000) < permille;
}

static vm *world_vm(world *w, const char *id)
{
    for (size_t i = 0; id != NULL && i < w->vm_count; i++) {
        if (strcmp(w->vms[i].id, id) == 0) {
            return &w->vms[i];
        }
    }
    return NULL;
}

static void world_push(world *w, lb_time_t at_us, event_kind kind,
                       lb_request_id id, const char *instance)
{
    for (size_t i = 0; i < EVENTS_MAX; i++) {
        event *ev = &w->events[i];
        if (!ev->used) {
            *ev = (event){ .used = true, .at_us = at_us, .kind = kind,
                           .id = id };
            snprintf(ev->instance, sizeof ev->instance, "%s",
                     instance ? instance : "");
            return;
        }
    }
    fail_msg("event queue full");
}

/* Schedules a reply after a delay; with faults on it may be lost,
 * duplicated or late beyond the controller's timeouts. */
static void world_reply(world *w, event_kind kind, lb_request_id id,
                        const char *instance, lb_time_t delay_us)
{
    lb_time_t at_us = w->now_us + delay_us + (lb_time_t)world_below(w, 2000000);

    if (w->faults && world_chance(w, 80)) {
        return;
    }
    if (w->faults && world_chance(w, 60)) {
        at_us += (lb_time_t)world_below(w, (uint64_t)S(400));
    }
    world_push(w, at_us, kind, id, instance);
    if (w->faults && world_chance(w, 60)) {
        world_push(w, at_us + (lb_time_t)world_below(w, (uint64_t)S(30)),
                   kind, id, instance);
    }
}

static lb_time_t port_now(void *ctx)
{
    return ((world *)ctx)->now_us;
}

static void port_wake_at(void *ctx, lb_time_t at_us)
{
    world *w = ctx;
    assert_true(at_us >= 0);
    w->wake_us = at_us;
}

static int port_stats_request(void *ctx, lb_request_id id)
{
    world_reply(ctx, EV_STATS_REPLY, id, NULL, 1000);
    return 0;
}

static void world_note_tenant(world *w, const char *tenant)
{
    for (size_t i = 0; i < w->tenant_count; i++) {
        if (strcmp(w->tenants[i], tenant) == 0) {
            return;
        }
    }
    assert_true(w->tenant_count < TENANTS_MAX);
    snprintf(w->tenants[w->tenant_count++], ID_LEN, "%s", tenant);
}

static int port_routes_apply(void *ctx, const lb_routes *routes)
{
    world *w = ctx;

    w->tables++;
    for (size_t i = 0; i < routes->route_count; i++) {
        const lb_route *route = &routes->routes[i];
        assert_true(route->instance < routes->instance_count);
        const char *id = routes->instances[route->instance].id;
        vm *target = world_vm(w, id);
        if (target != NULL && target->stopped) {
            fail_msg("table %llu routes %s/%s to %s after its stop",
                     (unsigned long long)routes->version, route->tenant,
                     component_names[route->component], id);
        }
        world_note_tenant(w, route->tenant);
    }
    if (routes->default_instance != LB_ROUTE_NO_DEFAULT) {
        vm *target = world_vm(w,
            routes->instances[routes->default_instance].id);
        assert_true(target == NULL || !target->stopped);
    }

    bool reject = w->faults && world_chance(w, 50);
    world_reply(w, reject ? EV_ROUTES_REJECTED : EV_ROUTES_APPLIED,
                routes->version, NULL, 1000);
    return 0;
}

static int port_instance_create(void *ctx, lb_request_id id,
                                const char *instance_type)
{
    world *w = ctx;

    assert_string_equal(instance_type, "standard");
    for (size_t i = 0; i < w->vm_count; i++) {
        if (w->vms[i].create_id == id) {
            /* The id is an idempotency token: the same instance again. */
            world_reply(w, EV_CREATED, id, w->vms[i].id, S(5));
            return 0;
        }
    }
    if (w->faults && world_chance(w, 100)) {
        world_reply(w, EV_CREATE_FAILED, id, NULL, S(2));
        return 0;
    }

    assert_true(w->vm_count < VMS_MAX);
    vm *made = &w->vms[w->vm_count++];
    snprintf(made->id, sizeof made->id, "vm-%zu", w->vm_count);
    made->running = true;
    made->create_id = id;
    world_reply(w, EV_CREATED, id, made->id, S(5));
    world_reply(w, EV_DFM_READY, 0, made->id, S(8));
    return 0;
}

static int port_instance_remove(void *ctx, lb_request_id id,
                                const char *instance)
{
    world *w = ctx;
    vm *target = world_vm(w, instance);

    if (target != NULL) {
        target->running = false;
    }
    world_reply(w, EV_REMOVED, id, instance, S(3));
    return 0;
}

static int port_instance_restart(void *ctx, lb_request_id id,
                                 const char *instance)
{
    world *w = ctx;
    vm *target = world_vm(w, instance);

    if (target == NULL || !target->running) {
        return 0;
    }
    world_reply(w, EV_RESTARTED, id, instance, S(10));
    world_reply(w, EV_DFM_READY, 0, instance, S(12));
    return 0;
}

static int port_instance_list(void *ctx, lb_request_id id)
{
    world_reply(ctx, EV_LIST, id, NULL, S(1));
    return 0;
}

static int port_components_start(void *ctx, const char *instance,
                                 lb_request_id id,
                                 lb_component_mask components,
                                 const char *const *tenants,
                                 size_t tenant_count)
{
    world *w = ctx;
    vm *target = world_vm(w, instance);

    assert_true(components != 0);
    for (size_t i = 0; i < tenant_count; i++) {
        assert_non_null(tenants[i]);
    }
    if (target != NULL && target->running && !target->stopped) {
        world_reply(w, EV_STARTED, id, instance, S(1));
    }
    return 0;
}

static int port_components_stop(void *ctx, const char *instance,
                                lb_request_id id,
                                lb_component_mask components,
                                lb_time_t deadline_us)
{
    world *w = ctx;
    vm *target = world_vm(w, instance);

    assert_true(components != 0);
    assert_true(deadline_us > w->now_us);
    if (target != NULL) {
        target->stopped = true;
        world_reply(w, EV_STOPPED, id, instance, S(2));
    }
    return 0;
}

static void port_log(void *ctx, lb_log_level level, const char *event_name,
                     const char *fields)
{
    (void)ctx;
    (void)level;
    assert_true(event_name[0] != '\0');
    assert_non_null(fields);
}

static void world_stats_reply(world *w, lb_request_id id)
{
    lb_stats_row rows[TENANTS_MAX];
    size_t count = 0;

    /* Rows for tenants on any instance; the controller keeps those of the
     * instance it asked about. */
    for (size_t t = 0; t < w->tenant_count && w->vm_count > 0; t++) {
        const vm *on = &w->vms[world_below(w, w->vm_count)];
        rows[count++] = (lb_stats_row){
            .tenant = w->tenants[t],
            .instance = on->id,
            .component = (uint32_t)world_below(w, 2),
            .requests = world_below(w, 1000),
        };
    }
    lb_stats stats = { .request_id = id, .interval_us = S(5),
                       .row_count = count, .rows = rows };
    lb_on_stats_reply(w->controller, &stats);
}

static void world_list_reply(world *w, lb_request_id id)
{
    lb_instance_info listed[VMS_MAX + 1] = { { "ctl0", "10.0.0.100" } };
    size_t count = 1;

    for (size_t i = 0; i < w->vm_count; i++) {
        if (w->vms[i].running) {
            listed[count++] = (lb_instance_info){ w->vms[i].id,
                                                  w->vms[i].id };
        }
    }
    lb_on_instance_list(w->controller, id, count, listed);
}

static void world_deliver(world *w, const event *ev)
{
    lb_controller *c = w->controller;
    const vm *target = world_vm(w, ev->instance);

    switch (ev->kind) {
    case EV_STATS_REPLY: world_stats_reply(w, ev->id); break;
    case EV_ROUTES_APPLIED: lb_on_routes_applied(c, ev->id); break;
    case EV_ROUTES_REJECTED:
        lb_on_routes_rejected(c, ev->id, "configuration test failed");
        break;
    case EV_CREATED:
        lb_on_instance_created(c, ev->id, ev->instance, ev->instance);
        break;
    case EV_CREATE_FAILED:
        lb_on_instance_create_failed(c, ev->id, "quota exceeded");
        break;
    case EV_REMOVED: lb_on_instance_removed(c, ev->id, ev->instance); break;
    case EV_RESTARTED: lb_on_instance_restarted(c, ev->id, ev->instance); break;
    case EV_LIST: world_list_reply(w, ev->id); break;
    case EV_DFM_READY:
        /* A removed instance has no DFM to send a notification. */
        if (target != NULL && target->running) {
            lb_on_dfm_ready(c, ev->instance);
        }
        break;
    case EV_STARTED:
        lb_on_components_started(c, ev->id, ev->instance);
        break;
    case EV_STOPPED:
        lb_on_components_stopped(c, ev->id, ev->instance, 0);
        break;
    }
}

static const char *world_random_instance(world *w)
{
    return w->vms[world_below(w, w->vm_count)].id;
}

static void world_report(world *w, bool overload)
{
    uint32_t cpu = overload ? 800 + (uint32_t)world_below(w, 200)
                            : (uint32_t)world_below(w, 200);
    lb_process_cpu processes[] = { { 0, cpu / 2 }, { 1, cpu - cpu / 2 } };
    lb_load_report report = { .instance = world_random_instance(w),
                              .cpu_permille = cpu, .window_us = S(30),
                              .process_count = 2, .processes = processes };

    if (overload) {
        lb_on_overload(w->controller, &report);
    } else {
        lb_on_low_load(w->controller, &report);
    }
}

static void world_tenant_created(world *w)
{
    char tenant[ID_LEN];

    snprintf(tenant, sizeof tenant, "new-%zu", ++w->tenants_created);
    world_note_tenant(w, tenant);
    lb_on_tenant_created(w->controller, tenant, world_random_instance(w));
}

/* One random notification, as DFMs, NGINX and the BM Router send them. */
static void world_notify(world *w)
{
    lb_controller *c = w->controller;
    uint32_t component = (uint32_t)world_below(w, 2);

    switch (world_below(w, 10)) {
    case 0: case 1: world_report(w, true); break;
    case 2: world_report(w, false); break;
    case 3: lb_on_component_down(c, world_random_instance(w), component);
        break;
    case 4: lb_on_component_up(c, world_random_instance(w), component);
        break;
    case 5:
        lb_on_instance_dropping(c, world_random_instance(w), 20, S(5));
        break;
    case 6: world_tenant_created(w); break;
    case 7:
        lb_on_tenant_removed(c, w->tenants[world_below(w, w->tenant_count)]);
        break;
    case 8: lb_on_dfm_ready(c, world_random_instance(w)); break;
    default: lb_on_timer(c); break;
    }
}

static event *world_earliest(world *w)
{
    event *earliest = NULL;

    for (size_t i = 0; i < EVENTS_MAX; i++) {
        event *ev = &w->events[i];
        if (ev->used && (earliest == NULL || ev->at_us < earliest->at_us)) {
            earliest = ev;
        }
    }
    return earliest;
}

/* Runs the earliest of: a reply, the controller's wake-up, or (with notify)
 * a random notification at notify_at_us. Returns false when nothing is
 * left to run before limit_us. */
static bool world_step(world *w, lb_time_t notify_at_us, lb_time_t limit_us)
{
    event *ev = world_earliest(w);
    lb_time_t ev_at_us = ev ? ev->at_us : INT64_MAX;
    lb_time_t next_us = ev_at_us < w->wake_us ? ev_at_us : w->wake_us;
    if (notify_at_us < next_us) {
        next_us = notify_at_us;
    }
    if (next_us > limit_us) {
        return false;
    }
    if (next_us > w->now_us) {
        w->now_us = next_us;
    }

    if (next_us == notify_at_us) {
        world_notify(w);
    } else if (next_us == ev_at_us) {
        event copy = *ev;
        ev->used = false;
        world_deliver(w, &copy);
    } else {
        w->wake_us = INT64_MAX;
        lb_on_timer(w->controller);
    }
    return true;
}

static lb_controller *world_start(world *w, lb_policy *policy,
                                  lb_ports *ports)
{
    static const char *const on_i1[] = { "t1", "t2", "t3", "t4" };
    static const char *const on_i2[] = { "t5", "t6" };
    lb_instance_init instances[] = {
        { "i1", "10.0.0.1:80", 0x3, 4, on_i1 },
        { "i2", "10.0.0.2:80", 0x3, 2, on_i2 },
    };

    for (size_t i = 0; i < 2; i++) {
        snprintf(w->vms[i].id, ID_LEN, "%s", instances[i].id);
        w->vms[i].running = true;
    }
    w->vm_count = 2;
    *ports = (lb_ports){
        .clock = { w, port_now, port_wake_at },
        .nginx = { w, port_stats_request, port_routes_apply },
        .provider = { w, port_instance_create, port_instance_remove,
                      port_instance_restart, port_instance_list },
        .dfm = { w, port_components_start, port_components_stop },
        .log = { w, port_log },
    };
    lb_policy_defaults(policy);
    policy->instances_max = 6;
    policy->scale_in_cooldown_us = S(60);
    lb_config config = { policy, 2, component_names, 2, instances };
    lb_controller *c = lb_controller_create(&config, ports);
    assert_non_null(c);
    w->controller = c;
    lb_controller_start(c);
    return c;
}

/* Checks that the controller tracks exactly the instances that run. */
static void world_check_settled(world *w, uint64_t seed)
{
    lb_controller *c = w->controller;
    size_t known = lb_controller_instance_count(c);

    for (size_t i = 0; i < known; i++) {
        lb_instance_status status;
        lb_controller_instance_status(c, i, &status);
        const vm *target = world_vm(w, status.id);
        if (target == NULL || !target->running) {
            fail_msg("seed %llu: controller knows %s (%s), which does not run",
                     (unsigned long long)seed, status.id, status.state);
        }
        if (strcmp(status.state, "active") != 0 &&
            strcmp(status.state, "degraded") != 0 &&
            strcmp(status.state, "failed") != 0) {
            fail_msg("seed %llu: %s still %s after settling",
                     (unsigned long long)seed, status.id, status.state);
        }
    }
    for (size_t i = 0; i < w->vm_count; i++) {
        if (!w->vms[i].running) {
            continue;
        }
        bool found = false;
        for (size_t k = 0; k < known && !found; k++) {
            lb_instance_status status;
            lb_controller_instance_status(c, k, &status);
            found = strcmp(status.id, w->vms[i].id) == 0;
        }
        if (!found) {
            fail_msg("seed %llu: %s runs unknown to the controller",
                     (unsigned long long)seed, w->vms[i].id);
        }
    }
}

static void run_seed(uint64_t seed)
{
    static world w;
    lb_policy policy;
    lb_ports ports;

    memset(&w, 0, sizeof w);
    w.rng = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
    w.wake_us = INT64_MAX;
    w.faults = true;
    lb_controller *c = world_start(&w, &policy, &ports);

    lb_time_t notify_at_us = S(1);
    for (int step = 0; step < STEPS; step++) {
        lb_time_t before_us = notify_at_us;
        assert_true(world_step(&w, notify_at_us, INT64_MAX));
        if (w.now_us >= before_us) {
            notify_at_us = w.now_us + (lb_time_t)world_below(&w, (uint64_t)S(20));
        }
    }

    /* Faults stop; replies still in flight arrive, then everything settles
     * within a few hours of virtual time. */
    w.faults = false;
    lb_time_t end_us = w.now_us + S(4 * 3600);
    while (world_step(&w, INT64_MAX, end_us)) {
    }
    world_check_settled(&w, seed);
    assert_true(w.tables > 0);
    lb_controller_destroy(c);
}

static void random_faults_settle_consistent(void **state)
{
    (void)state;

    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        run_seed(seed);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_faults_settle_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
