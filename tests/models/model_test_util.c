/* Helpers of the models' tests. */
#include "model_test_util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *const fate_names[] = {"delivered", "lost"};

void test_config_init(test_config *tc)
{
    memset(tc, 0, sizeof(*tc));
    tc->components[0] = (world_component_config){
        .name = "dev", .workers = 1, .queue_capacity = 100,
        .service = {.kind = MODEL_DIST_DETERMINISTIC, .mean_us = 1000}};
    tc->components[1] = (world_component_config){
        .name = "dep", .workers = 1, .queue_capacity = 100,
        .service = {.kind = MODEL_DIST_DETERMINISTIC, .mean_us = 1000}};
    tc->instance_tenants[0] = "t1";
    tc->instances[0] = (world_instance_config){
        .id = "i1", .components = 3, .tenant_count = 1,
        .tenants = tc->instance_tenants};
    tc->tenants[0] = (world_tenant_config){
        .id = "t1", .mix = {1.0}, .cost_factor = 1.0};

    world_config *c = &tc->config;

    c->seed = 42;
    c->duration_us = SIM_S(10);
    c->sample_interval_us = SIM_S(1);
    c->component_count = 2;
    c->components = tc->components;
    c->instance_vcpus = 4;
    c->instance_count = 1;
    c->instances = tc->instances;
    c->tenant_count = 1;
    c->tenants = tc->tenants;
    c->dfm = (world_dfm_config){
        .sample_interval_us = SIM_S(1), .overload_permille = 800,
        .low_load_permille = 0, .window_us = SIM_S(3),
        .restart_delay_us = SIM_S(2)};
    c->nginx = (world_nginx_config){
        .drop_errors = 0, .drop_window_us = SIM_S(5),
        .request_timeout_us = SIM_S(2)};
    c->provider = (world_provider_config){
        .create_delay = {.kind = MODEL_DIST_DETERMINISTIC, .mean_us = 5e6},
        .remove_delay = {.kind = MODEL_DIST_DETERMINISTIC, .mean_us = 2e6},
        .restart_delay = {.kind = MODEL_DIST_DETERMINISTIC, .mean_us = 3e6},
        .boot_delay = {.kind = MODEL_DIST_DETERMINISTIC, .mean_us = 1e6}};
    c->link_latency = (model_dist){.kind = MODEL_DIST_DETERMINISTIC,
                                   .mean_us = 1000};
    c->faults = tc->faults;
    c->tenant_events = tc->events;
}

void test_recorder_init(test_recorder *rec)
{
    memset(rec, 0, sizeof(*rec));
}

void test_recorder_deinit(test_recorder *rec)
{
    free(rec->trace);
    memset(rec, 0, sizeof(*rec));
}

static void append(test_recorder *rec, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    int need = vsnprintf(NULL, 0, format, args);
    va_end(args);
    assert_true(need >= 0);
    if (rec->trace_len + (size_t)need + 1 > rec->trace_cap) {
        size_t cap = rec->trace_cap == 0 ? 4096 : rec->trace_cap;

        while (rec->trace_len + (size_t)need + 1 > cap)
            cap *= 2;
        rec->trace = realloc(rec->trace, cap);
        assert_non_null(rec->trace);
        rec->trace_cap = cap;
    }
    va_start(args, format);
    vsnprintf(rec->trace + rec->trace_len, rec->trace_cap - rec->trace_len,
              format, args);
    va_end(args);
    rec->trace_len += (size_t)need;
}

static void on_msg(void *ctx, const sim_msg *msg)
{
    test_recorder *rec = ctx;

    append(rec, "%" PRId64 " %s %s %s %" PRIu64 " %s %s\n", msg->at_us,
           msg->from, msg->to, msg->kind, msg->request_id,
           fate_names[msg->fate], msg->fields);
    rec->lost += msg->fate == SIM_MSG_LOST;
}

static void on_sample(void *ctx, const world_sample *sample)
{
    test_recorder *rec = ctx;

    (void)sample;
    rec->samples++;
}

static void on_violation(void *ctx, sim_time_t at_us, const char *name,
                         const char *detail)
{
    test_recorder *rec = ctx;

    rec->violations++;
    append(rec, "%" PRId64 " violation %s %s\n", at_us, name, detail);
    snprintf(rec->last_violation, sizeof(rec->last_violation), "%s %s", name,
             detail);
}

world_observer test_recorder_observer(test_recorder *rec)
{
    return (world_observer){.ctx = rec, .on_msg = on_msg,
                            .on_sample = on_sample,
                            .on_violation = on_violation};
}

static void deliver(void *ctx, model_sim *sim, const model_msg *msg)
{
    test_recorder *rec = ctx;

    assert_true(rec->delivery_count < TEST_DELIVERIES_MAX);

    test_delivery *d = &rec->deliveries[rec->delivery_count++];

    *d = (test_delivery){
        .at_us = model_now(sim),
        .kind = msg->kind,
        .request_id = msg->request_id,
        .instance = msg->instance,
        .component = msg->component,
        .value = msg->value,
        .time_us = msg->time_us,
        .cpu_permille = msg->cpu_permille,
    };
    snprintf(d->text, sizeof(d->text), "%s", msg->text);
    snprintf(d->fields, sizeof(d->fields), "%s", msg->fields);
}

static void timer(void *ctx)
{
    test_recorder *rec = ctx;

    rec->timer_calls++;
}

model_lb_sink test_recorder_sink(test_recorder *rec)
{
    return (model_lb_sink){.ctx = rec, .deliver = deliver, .timer = timer};
}

model_sim *test_sim_create(test_config *tc, test_recorder *rec)
{
    world_observer observer = test_recorder_observer(rec);
    model_lb_sink sink = test_recorder_sink(rec);
    char err[512] = "";
    model_sim *sim = model_sim_create(&tc->config, &observer, &sink, err,
                                      sizeof(err));

    if (sim == NULL)
        fail_msg("model_sim_create: %s", err);
    return sim;
}

const test_delivery *test_find_delivery(const test_recorder *rec,
                                        model_msg_kind kind, size_t from)
{
    for (size_t i = from; i < rec->delivery_count; i++)
        if (rec->deliveries[i].kind == kind)
            return &rec->deliveries[i];
    return NULL;
}

size_t test_count_deliveries(const test_recorder *rec, model_msg_kind kind)
{
    size_t count = 0;

    for (size_t i = 0; i < rec->delivery_count; i++)
        count += rec->deliveries[i].kind == kind;
    return count;
}

size_t test_count_lines(const test_recorder *rec, const char *const *parts)
{
    size_t count = 0;
    const char *line = rec->trace;

    while (line != NULL && *line != '\0') {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        bool all = true;

        for (size_t i = 0; parts[i] != NULL && all; i++) {
            const char *hit = line;
            bool found = false;
            size_t plen = strlen(parts[i]);

            while ((hit = strstr(hit, parts[i])) != NULL && hit < line + len) {
                if (hit + plen <= line + len) {
                    found = true;
                    break;
                }
                hit++;
            }
            all = found;
        }
        count += all;
        line = end != NULL ? end + 1 : NULL;
    }
    return count;
}
