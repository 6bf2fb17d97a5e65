/* The controller under test, built on the fake ports. */
#include "harness.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *const harness_components[] = { "dev", "dep" };

void harness_init(harness *h)
{
    memset(h, 0, sizeof *h);
    fake_ports_init(&h->world, &h->ports, harness_components);
    lb_policy_defaults(&h->policy);

    /* The step-by-step tests check every request in order, so the periodic
     * statistics and the ready probes stay off unless a test turns them
     * on. */
    h->policy.stats_interval_us = 0;
    h->policy.ready_probe_us = 0;
}

void harness_start(harness *h, const lb_instance_init *instances,
                   size_t count, const char *first_routes)
{
    lb_config config = {
        .policy = &h->policy,
        .component_count = 2,
        .component_names = harness_components,
        .instance_count = count,
        .instances = instances,
    };

    h->controller = lb_controller_create(&config, &h->ports);
    assert_non_null(h->controller);
    h->world.controller = h->controller;
    lb_controller_start(h->controller);

    const fake_call *call = fake_expect(&h->world, "routes_apply",
                                        first_routes);
    assert_int_equal(call->id, 1);
    const fake_call *list = fake_expect(&h->world, "instance_list", "");
    fake_expect_no_call(&h->world);

    /* The provider also runs the control instance, which is not the
     * controller's to manage. */
    lb_instance_info listed[9] = { { "ctl0", "10.0.0.100:80" } };
    assert_true(count < 9);
    for (size_t i = 0; i < count; i++) {
        listed[i + 1].id = instances[i].id;
        listed[i + 1].address = instances[i].address;
    }
    lb_on_routes_applied(h->controller, 1);
    lb_on_instance_list(h->controller, list->id, count + 1, listed);
    fake_expect_no_call(&h->world);
}

void harness_stats_reply_two(harness *h, lb_request_id id,
                             uint64_t i2_requests)
{
    const char *tenants[] = { "t1", "t2", "t3" };
    const char *instances[] = { "i1", "i1", "i2" };
    const uint32_t components[] = { 0, 0, 0 };
    const uint64_t requests[] = { 100, 100, i2_requests };

    harness_stats_reply(h, id, 3, tenants, instances, components, requests);
}

void harness_destroy(harness *h)
{
    lb_controller_destroy(h->controller);
    h->controller = NULL;
}

static void harness_report(harness *h, bool overload, const char *instance,
                           uint32_t cpu_permille, uint32_t dev_permille,
                           uint32_t dep_permille)
{
    lb_process_cpu processes[] = {
        { .component = 0, .cpu_permille = dev_permille },
        { .component = 1, .cpu_permille = dep_permille },
    };
    lb_load_report report = {
        .instance = instance,
        .cpu_permille = cpu_permille,
        .window_us = S(60),
        .process_count = 2,
        .processes = processes,
    };

    if (overload) {
        lb_on_overload(h->controller, &report);
    } else {
        lb_on_low_load(h->controller, &report);
    }
}

void harness_overload(harness *h, const char *instance, uint32_t cpu_permille,
                      uint32_t dev_permille, uint32_t dep_permille)
{
    harness_report(h, true, instance, cpu_permille, dev_permille,
                   dep_permille);
}

void harness_low_load(harness *h, const char *instance, uint32_t cpu_permille)
{
    harness_report(h, false, instance, cpu_permille, cpu_permille, 0);
}

void harness_stats_reply(harness *h, lb_request_id id, size_t count,
                         const char *const *tenants,
                         const char *const *instances,
                         const uint32_t *components,
                         const uint64_t *requests)
{
    lb_stats_row *rows = calloc(count ? count : 1, sizeof *rows);
    assert_non_null(rows);

    for (size_t i = 0; i < count; i++) {
        rows[i] = (lb_stats_row){
            .tenant = tenants[i],
            .instance = instances[i],
            .component = components[i],
            .requests = requests[i],
        };
    }
    lb_stats stats = {
        .request_id = id,
        .interval_us = S(60),
        .row_count = count,
        .rows = rows,
    };
    lb_on_stats_reply(h->controller, &stats);
    free(rows);
}

static const char *const harness_tenants_1234[] = { "t1", "t2", "t3", "t4" };
static const char *const harness_tenants_12[] = { "t1", "t2" };
static const char *const harness_tenants_3[] = { "t3" };

void harness_start_one_instance(harness *h)
{
    lb_instance_init instances[] = {
        { "i1", "10.0.0.1:8080", DEV_DEP, 4, harness_tenants_1234 },
    };
    harness_start(h, instances, 1, ROUTES_I1_T1_T4);
}

void harness_start_two_instances(harness *h)
{
    lb_instance_init instances[] = {
        { "i1", "10.0.0.1:8080", DEV_DEP, 2, harness_tenants_12 },
        { "i2", "10.0.0.2:8080", DEV_DEP, 1, harness_tenants_3 },
    };
    harness_start(h, instances, 2, ROUTES_T1_T2_ON_I1_T3_ON_I2);
}

void harness_stats_reply_t1_heavy(harness *h, lb_request_id id)
{
    const char *tenants[] = { "t1", "t2", "t3", "t4", "t1", "t2" };
    const char *instances[] = { "i1", "i1", "i1", "i1", "i1", "i1" };
    const uint32_t components[] = { 0, 0, 0, 0, 1, 1 };
    const uint64_t requests[] = { 500, 300, 100, 100, 50, 50 };

    harness_stats_reply(h, id, 6, tenants, instances, components, requests);
}
