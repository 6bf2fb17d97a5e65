/* The NGINX model: routing by table, table switches with requests in
 * flight, statistics since the previous request, dropping detection and
 * its fresh start after a restart, rejected tables, the BM Router's tenant
 * flow and no_request_after_stop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_test_util.h"

typedef struct fixture {
    test_config tc;
    test_recorder rec;
    model_sim *sim;
    lb_ports ports;
} fixture;

/* Two instances i1 (tenant t1) and i2 (tenant t2), both running dev and
 * dep; t1 and t2 send 50 req/s to dev. */
static void two_instances(fixture *f)
{
    static const char *const i2_tenants[] = {"t2"};

    test_config_init(&f->tc);
    f->tc.instances[1] = (world_instance_config){
        .id = "i2", .components = 3, .tenant_count = 1,
        .tenants = i2_tenants};
    f->tc.config.instance_count = 2;
    f->tc.tenants[0].pattern = (world_pattern){
        .kind = WORLD_PATTERN_CONSTANT, .rate_per_s = 50};
    f->tc.tenants[1] = (world_tenant_config){
        .id = "t2", .mix = {1.0}, .cost_factor = 1.0,
        .pattern = {.kind = WORLD_PATTERN_CONSTANT, .rate_per_s = 50}};
    f->tc.config.tenant_count = 2;
    f->tc.config.duration_us = SIM_S(60);
}

static void start(fixture *f)
{
    test_recorder_init(&f->rec);
    f->sim = test_sim_create(&f->tc, &f->rec);
    model_ports_fill(f->sim, &f->ports);
    assert_int_equal(model_sim_start(f->sim), 0);
}

static void finish(fixture *f)
{
    model_sim_destroy(f->sim);
    test_recorder_deinit(&f->rec);
}

static void run_to(fixture *f, sim_time_t at_us)
{
    sim_engine_run_until(f->sim->engine, at_us);
}

static const model_stats_cell *cell_of(const model_sim *sim, const char *t,
                                       const char *instance)
{
    const model_tenant *tenant = &sim->tenants[model_tenant_find(sim, t)];
    uint32_t index = model_instance_find(sim, instance);

    for (size_t i = 0; i < tenant->cell_count; i++)
        if (tenant->cells[i].instance == index &&
            tenant->cells[i].component == 0)
            return &tenant->cells[i];
    return NULL;
}

/* Index of "i1", "i2" or "i9" in the table's instance list. */
static uint32_t table_index(const char *instance)
{
    if (strcmp(instance, "i1") == 0)
        return 0;
    if (strcmp(instance, "i2") == 0)
        return 1;
    return 2;
}

/* Sends a table: every listed tenant's dev and dep to one instance. */
static void send_table(fixture *f, uint64_t version, const char *t1_to,
                       const char *t2_to)
{
    lb_route_instance instances[] = {{"i1", "i1"}, {"i2", "i2"},
                                     {"i9", "i9"}};
    uint32_t a = table_index(t1_to);
    uint32_t b = table_index(t2_to);
    lb_route routes[] = {{"t1", 0, a}, {"t1", 1, a}, {"t2", 0, b},
                         {"t2", 1, b}};
    lb_routes table = {.version = version, .instance_count = 3,
                       .instances = instances, .route_count = 4,
                       .routes = routes, .default_instance = 0};

    assert_int_equal(f->ports.nginx.routes_apply(f->ports.nginx.ctx, &table),
                     0);
}

static void nginx_routes_by_tenant(void **state)
{
    fixture f;

    (void)state;
    two_instances(&f);
    start(&f);
    run_to(&f, SIM_S(2));

    const model_stats_cell *t1_i1 = cell_of(f.sim, "t1", "i1");
    const model_stats_cell *t2_i2 = cell_of(f.sim, "t2", "i2");

    assert_non_null(t1_i1);
    assert_non_null(t2_i2);
    assert_true(t1_i1->requests > 50);
    assert_true(t2_i2->requests > 50);
    assert_null(cell_of(f.sim, "t1", "i2"));
    assert_null(cell_of(f.sim, "t2", "i1"));

    /* Move t1 to i2: new requests go there, and NGINX confirms. */
    send_table(&f, 1, "i2", "i2");
    run_to(&f, SIM_S(4));

    const test_delivery *applied =
        test_find_delivery(&f.rec, MODEL_MSG_ROUTES_APPLIED, 0);

    assert_non_null(applied);
    assert_int_equal(applied->value, 1);
    assert_int_equal(applied->at_us, SIM_S(2) + 2000);
    assert_non_null(cell_of(f.sim, "t1", "i2"));
    assert_true(cell_of(f.sim, "t1", "i2")->requests > 50);
    finish(&f);
}

static void nginx_switch_keeps_in_flight(void **state)
{
    fixture f;

    (void)state;
    two_instances(&f);
    /* Slow service and many workers: about 25 requests of t1 are always in
     * flight at i1. */
    f.tc.components[0].service.mean_us = 500000;
    f.tc.components[0].workers = 100;
    f.tc.config.instance_vcpus = 64;
    start(&f);
    run_to(&f, SIM_S(3));

    uint32_t i1 = model_instance_find(f.sim, "i1");
    uint32_t in_flight = f.sim->instances[i1].procs[0].busy;

    assert_true(in_flight > 5);
    send_table(&f, 1, "i2", "i2");
    run_to(&f, SIM_S(3) + 1000); /* the table is applied now */

    uint64_t at_i1 = cell_of(f.sim, "t1", "i1")->requests;

    assert_true(f.sim->instances[i1].procs[0].busy > 0);
    run_to(&f, SIM_S(5));

    /* The requests in flight finished at i1, without errors; none came
     * after the switch. */
    assert_int_equal(f.sim->instances[i1].procs[0].busy, 0);
    assert_true(cell_of(f.sim, "t1", "i1")->requests > at_i1);
    assert_true(cell_of(f.sim, "t1", "i1")->requests <= at_i1 + in_flight);
    assert_int_equal(cell_of(f.sim, "t1", "i1")->errors, 0);
    assert_true(cell_of(f.sim, "t1", "i2")->requests > 0);
    run_to(&f, SIM_S(8));
    assert_true(cell_of(f.sim, "t1", "i1")->requests <= at_i1 + in_flight);
    finish(&f);
}

static void nginx_stats_since_previous(void **state)
{
    fixture f;

    (void)state;
    two_instances(&f);
    start(&f);
    run_to(&f, SIM_S(2));
    f.ports.nginx.stats_request(f.ports.nginx.ctx, 11);
    run_to(&f, SIM_S(5));
    f.ports.nginx.stats_request(f.ports.nginx.ctx, 12);
    run_to(&f, SIM_S(6));

    const test_delivery *first =
        test_find_delivery(&f.rec, MODEL_MSG_STATS_REPLY, 0);
    const test_delivery *second =
        test_find_delivery(&f.rec, MODEL_MSG_STATS_REPLY,
                           (size_t)(first - f.rec.deliveries) + 1);

    assert_non_null(first);
    assert_non_null(second);
    assert_int_equal(first->request_id, 11);
    assert_int_equal(second->request_id, 12);
    /* Intervals: from the start to the first request's arrival (2.001 s),
     * then between the two arrivals. */
    assert_int_equal(first->time_us, SIM_S(2) + 1000);
    assert_int_equal(second->time_us, SIM_S(3));

    /* The counts of the second reply cover only its 3 s: about 150 per
     * tenant, not 250. */
    const char *t1_rows[] = {"stats_reply 12 ", "t1/dev:i1:", NULL};

    assert_int_equal(test_count_lines(&f.rec, t1_rows), 1);
    const model_tenant *t1 = &f.sim->tenants[model_tenant_find(f.sim, "t1")];
    const char *p = strstr(f.rec.deliveries[second - f.rec.deliveries].fields,
                           "t1/dev:i1:");

    assert_non_null(p);
    long count = strtol(p + strlen("t1/dev:i1:"), NULL, 10);

    assert_in_range(count, 100, 200);
    assert_true((uint64_t)count < t1->requests);
    finish(&f);
}

static void nginx_detects_dropping(void **state)
{
    fixture f;

    (void)state;
    two_instances(&f);
    f.tc.config.nginx.drop_errors = 5;
    f.tc.config.nginx.drop_window_us = SIM_S(1);
    f.tc.config.nginx.request_timeout_us = SIM_S(2);
    start(&f);
    run_to(&f, SIM_S(3));
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_DROPPING),
                     0);

    uint32_t i1 = model_instance_find(f.sim, "i1");

    model_instance_crash(f.sim, i1);
    run_to(&f, SIM_S(5));
    /* Requests sent after the crash time out 2 s later: no errors yet. */
    assert_int_equal(test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_DROPPING),
                     0);
    run_to(&f, SIM_S(5) + SIM_MS(500));

    const test_delivery *d =
        test_find_delivery(&f.rec, MODEL_MSG_INSTANCE_DROPPING, 0);

    assert_non_null(d);
    assert_int_equal(d->instance, i1);
    assert_int_equal(d->value, 5);
    assert_int_equal(d->time_us, SIM_S(1));
    assert_true(d->at_us > SIM_S(5));

    /* 50 errors per second keep coming: at most one notice per window. */
    run_to(&f, SIM_S(10));
    size_t notices = test_count_deliveries(&f.rec,
                                           MODEL_MSG_INSTANCE_DROPPING);

    assert_in_range(notices, 4, 6);
    assert_true(f.sim->tenants[0].failed[MODEL_FAIL_TIMEOUT] > 200);
    finish(&f);
}

static size_t dropping_after(const test_recorder *rec, sim_time_t after_us)
{
    size_t count = 0;

    for (size_t i = 0; i < rec->delivery_count; i++)
        count += rec->deliveries[i].kind == MODEL_MSG_INSTANCE_DROPPING &&
                 rec->deliveries[i].at_us > after_us;
    return count;
}

/* i1 crashes at 3 s and is restarted at once: the provider is done at
 * 6.001 s and its DFM is ready at 7.001 s. The requests sent to it until
 * then time out 2 s after they were sent, until 9 s, but they do not mark
 * the restarted instance as dropping. */
static void nginx_restart_starts_errors_over(void **state)
{
    fixture f;

    (void)state;
    two_instances(&f);
    f.tc.config.nginx.drop_errors = 5;
    f.tc.config.nginx.drop_window_us = SIM_S(1);
    f.tc.config.nginx.request_timeout_us = SIM_S(2);
    start(&f);
    run_to(&f, SIM_S(3));

    uint32_t i1 = model_instance_find(f.sim, "i1");

    model_instance_crash(f.sim, i1);
    f.ports.provider.instance_restart(f.ports.provider.ctx, 12, "i1");
    run_to(&f, SIM_S(7) + 1000);
    assert_int_equal(f.sim->instances[i1].state, MODEL_INST_ACTIVE);
    assert_true(dropping_after(&f.rec, 0) >= 1);

    /* The LB would start dev now; the test does it at once. */
    model_process_start(f.sim, i1, 0, true);
    run_to(&f, SIM_S(12));
    assert_int_equal(dropping_after(&f.rec, SIM_S(7) + SIM_MS(500)), 0);
    /* The timeouts still count as failed requests of the tenant. */
    assert_true(f.sim->tenants[0].failed[MODEL_FAIL_TIMEOUT] > 150);

    /* A new crash is detected again. */
    model_instance_crash(f.sim, i1);
    run_to(&f, SIM_S(15));
    assert_true(dropping_after(&f.rec, SIM_S(12)) >= 1);
    finish(&f);
}

static void nginx_rejects_bad_tables(void **state)
{
    fixture f;

    (void)state;
    two_instances(&f);
    start(&f);
    send_table(&f, 5, "i9", "i2");
    run_to(&f, SIM_S(1));

    const test_delivery *d =
        test_find_delivery(&f.rec, MODEL_MSG_ROUTES_REJECTED, 0);

    assert_non_null(d);
    assert_int_equal(d->value, 5);
    assert_string_equal(d->text, "unknown_instance:i9");

    send_table(&f, 5, "i2", "i1");
    send_table(&f, 4, "i1", "i1");
    run_to(&f, SIM_S(2));
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_ROUTES_APPLIED),
                     1);
    d = test_find_delivery(&f.rec, MODEL_MSG_ROUTES_REJECTED,
                           (size_t)(d - f.rec.deliveries) + 1);
    assert_non_null(d);
    assert_int_equal(d->value, 4);
    assert_string_equal(d->text, "stale_version");
    /* The stale table changed nothing. */
    assert_int_equal(f.sim->tenants[0].route[0],
                     model_instance_find(f.sim, "i2"));
    finish(&f);
}

static void bm_router_tenant_flow(void **state)
{
    fixture f;

    (void)state;
    two_instances(&f);
    f.tc.events[0] = (world_tenant_event){
        .kind = WORLD_TENANT_CREATE, .at_us = SIM_S(1),
        .tenant = {.id = "t9", .mix = {1.0}, .cost_factor = 1.0,
                   .pattern = {.kind = WORLD_PATTERN_CONSTANT,
                               .rate_per_s = 100}}};
    f.tc.events[1] = (world_tenant_event){
        .kind = WORLD_TENANT_REMOVE, .at_us = SIM_S(3),
        .tenant = {.id = "t9"}};
    f.tc.config.tenant_event_count = 2;
    start(&f);

    uint32_t t9 = model_tenant_find(f.sim, "t9");

    run_to(&f, SIM_S(1));
    assert_int_equal(f.sim->tenants[t9].requests, 0);
    run_to(&f, SIM_S(2));

    const char *to_nginx[] = {"1001000 bm_router nginx tenant_create 1 ",
                              "tenant=t9", NULL};
    const char *to_dev[] = {"1002000 nginx dev/i1 tenant_create 1 ",
                            "tenant=t9", "instance=i1", NULL};
    const char *from_dev[] = {"1003000 dev/i1 nginx tenant_created 1 ",
                              NULL};
    const char *to_lb[] = {"1004000 nginx lb tenant_created 1 ", "tenant=t9",
                           "instance=i1", NULL};

    assert_int_equal(test_count_lines(&f.rec, to_nginx), 1);
    assert_int_equal(test_count_lines(&f.rec, to_dev), 1);
    assert_int_equal(test_count_lines(&f.rec, from_dev), 1);
    assert_int_equal(test_count_lines(&f.rec, to_lb), 1);

    /* Traffic of t9 starts when its DEV created it. */
    assert_in_range(f.sim->tenants[t9].requests, 60, 140);

    run_to(&f, SIM_S(4));
    const char *removed[] = {"3004000 nginx lb tenant_removed 2 ",
                             "tenant=t9", NULL};

    assert_int_equal(test_count_lines(&f.rec, removed), 1);

    uint64_t at_remove = f.sim->tenants[t9].requests;

    run_to(&f, SIM_S(8));
    assert_int_equal(f.sim->tenants[t9].requests, at_remove);
    finish(&f);
}

static void nginx_reports_request_after_stop(void **state)
{
    fixture f;

    (void)state;
    two_instances(&f);
    start(&f);
    run_to(&f, SIM_S(1));
    /* Stop i1's components while the table still sends t1 there. */
    assert_int_equal(f.ports.dfm.components_stop(f.ports.dfm.ctx, "i1", 21, 3,
                                                 SIM_S(2)),
                     0);
    run_to(&f, SIM_S(2));
    const char *violation[] = {"violation no_request_after_stop ",
                               "instance=i1", "tenant=t1", NULL};

    /* Reported once for the stop, not once per request. */
    assert_int_equal(test_count_lines(&f.rec, violation), 1);
    assert_true(f.sim->tenants[0].failed[MODEL_FAIL_PROCESS_STOPPED] > 10);
    finish(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nginx_routes_by_tenant),
        cmocka_unit_test(nginx_switch_keeps_in_flight),
        cmocka_unit_test(nginx_stats_since_previous),
        cmocka_unit_test(nginx_detects_dropping),
        cmocka_unit_test(nginx_restart_starts_errors_over),
        cmocka_unit_test(nginx_rejects_bad_tables),
        cmocka_unit_test(bm_router_tenant_flow),
        cmocka_unit_test(nginx_reports_request_after_stop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
