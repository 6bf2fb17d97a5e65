/* Helpers of the models' tests: a small base configuration, a recorder of
 * message records and LB deliveries, and a model_sim driven by the test in
 * place of the controller. */
#ifndef TESTS_MODELS_MODEL_TEST_UTIL_H
#define TESTS_MODELS_MODEL_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model_sim.h"
#include "world.h"

#define TEST_DELIVERIES_MAX 4096

/* One message that reached the LB, copied. */
typedef struct test_delivery {
    sim_time_t at_us;
    model_msg_kind kind;
    uint64_t request_id;
    uint32_t instance;
    uint32_t component;
    uint64_t value;
    int64_t time_us;
    uint32_t cpu_permille;
    char text[128];
    char fields[512];
} test_delivery;

typedef struct test_recorder {
    char *trace; /* one line per sim_msg: "at from to kind id fate fields" */
    size_t trace_len;
    size_t trace_cap;
    size_t lost;
    test_delivery deliveries[TEST_DELIVERIES_MAX];
    size_t delivery_count;
    size_t timer_calls;
    size_t violations;
    char last_violation[256];
    size_t samples;
} test_recorder;

/* A base configuration the tests change: components "dev" and "dep" (one
 * worker each by default), instance "i1" running both with tenant "t1",
 * 4 vCPUs, 1 ms link latency, no traffic, a 10 s run. Strings point to
 * static storage. */
typedef struct test_config {
    world_config config;
    world_component_config components[2];
    world_instance_config instances[2];
    const char *instance_tenants[4];
    world_tenant_config tenants[4];
    world_fault faults[8];
    world_tenant_event events[4];
} test_config;

void test_config_init(test_config *tc);

void test_recorder_init(test_recorder *rec);
void test_recorder_deinit(test_recorder *rec);
world_observer test_recorder_observer(test_recorder *rec);
model_lb_sink test_recorder_sink(test_recorder *rec);

/* Builds a model_sim from tc with rec as observer and LB; asserts success. */
model_sim *test_sim_create(test_config *tc, test_recorder *rec);

/* The first delivery of kind at or after index from, or NULL. */
const test_delivery *test_find_delivery(const test_recorder *rec,
                                        model_msg_kind kind, size_t from);
size_t test_count_deliveries(const test_recorder *rec, model_msg_kind kind);

/* Counts the trace lines that contain every one of the given substrings
 * (a NULL-terminated list). */
size_t test_count_lines(const test_recorder *rec, const char *const *parts);

#endif
