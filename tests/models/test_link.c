/* Message links: latency, FIFO order per pair, the drop, delay, duplicate
 * and reorder rules with their windows, counts and probabilities, and
 * byte-identical message records for one seed. */
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

static void setup(fixture *f)
{
    test_config_init(&f->tc);
    f->tc.config.duration_us = SIM_S(600);
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

static void stats(fixture *f, lb_request_id id)
{
    assert_int_equal(f->ports.nginx.stats_request(f->ports.nginx.ctx, id), 0);
}

static void add_rule(fixture *f, world_fault_kind kind, const char *kind_match,
                     sim_time_t delay_us, uint32_t count, double probability)
{
    world_config *c = &f->tc.config;

    f->tc.faults[c->fault_count++] = (world_fault){
        .kind = kind, .at_us = 0, .until_us = SIM_TIME_MAX,
        .probability = probability, .count = count, .kind_match = kind_match,
        .delay_us = delay_us};
}

static void link_latency_applies(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    f.tc.config.link_latency.mean_us = 2500;
    start(&f);
    stats(&f, 1);
    run_to(&f, SIM_S(1));

    const char *request[] = {"2500 lb nginx stats_request 1 delivered",
                             NULL};
    const test_delivery *reply =
        test_find_delivery(&f.rec, MODEL_MSG_STATS_REPLY, 0);

    assert_int_equal(test_count_lines(&f.rec, request), 1);
    assert_non_null(reply);
    assert_int_equal(reply->at_us, 5000);
    finish(&f);
}

static void link_drop_rule(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    add_rule(&f, WORLD_FAULT_MSG_DROP, "stats_request", 0, 2, 1.0);
    start(&f);
    stats(&f, 1);
    stats(&f, 2);
    stats(&f, 3);
    run_to(&f, SIM_S(1));

    const char *lost[] = {" lb nginx stats_request ", " lost", NULL};

    /* The first two are lost (count 2), recorded at their send time. */
    assert_int_equal(test_count_lines(&f.rec, lost), 2);
    assert_int_equal(f.rec.lost, 2);
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_STATS_REPLY), 1);
    assert_int_equal(test_find_delivery(&f.rec, MODEL_MSG_STATS_REPLY, 0)
                         ->request_id,
                     3);
    const char *at_zero[] = {"0 lb nginx stats_request 1 lost", NULL};

    assert_int_equal(test_count_lines(&f.rec, at_zero), 1);
    finish(&f);
}

static void link_delay_rule_keeps_fifo(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    add_rule(&f, WORLD_FAULT_MSG_DELAY, "stats_request", SIM_MS(300), 1, 1.0);
    start(&f);
    stats(&f, 1);
    stats(&f, 2);
    run_to(&f, SIM_S(1));

    /* The first is delayed; the second, behind it on the same link, waits
     * for it as on a TCP connection. */
    const char *first[] = {"301000 lb nginx stats_request 1 delivered", NULL};
    const char *second[] = {"301000 lb nginx stats_request 2 delivered",
                            NULL};

    assert_int_equal(test_count_lines(&f.rec, first), 1);
    assert_int_equal(test_count_lines(&f.rec, second), 1);
    assert_true(strstr(f.rec.trace, "stats_request 1 ") <
                strstr(f.rec.trace, "stats_request 2 "));
    finish(&f);
}

static void link_fifo_with_random_latency(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    f.tc.config.link_latency = (model_dist){.kind = MODEL_DIST_EXPONENTIAL,
                                            .mean_us = 5000};
    start(&f);
    for (lb_request_id id = 1; id <= 200; id++) {
        stats(&f, id);
        run_to(&f, (sim_time_t)id * 500);
    }
    run_to(&f, SIM_S(5));

    /* Replies come back in request order despite random latency. */
    size_t seen = 0;

    for (size_t i = 0; i < f.rec.delivery_count; i++) {
        if (f.rec.deliveries[i].kind != MODEL_MSG_STATS_REPLY)
            continue;
        seen++;
        assert_int_equal(f.rec.deliveries[i].request_id, seen);
    }
    assert_int_equal(seen, 200);
    finish(&f);
}

static void link_duplicate_rule(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    add_rule(&f, WORLD_FAULT_MSG_DUPLICATE, "stats_reply", 0, 1, 1.0);
    start(&f);
    stats(&f, 1);
    run_to(&f, SIM_S(1));
    stats(&f, 2);
    run_to(&f, SIM_S(2));

    /* Reply 1 arrives twice, each its own delivery and record. */
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_STATS_REPLY), 3);
    assert_int_equal(f.rec.deliveries[0].request_id, 1);
    assert_int_equal(f.rec.deliveries[1].request_id, 1);
    assert_string_equal(f.rec.deliveries[0].fields,
                        f.rec.deliveries[1].fields);
    assert_int_equal(f.rec.deliveries[2].request_id, 2);

    const char *dup[] = {" nginx lb stats_reply 1 delivered", NULL};

    assert_int_equal(test_count_lines(&f.rec, dup), 2);
    finish(&f);
}

static void link_reorder_rule(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    add_rule(&f, WORLD_FAULT_MSG_REORDER, "stats_request", SIM_S(5), 1, 1.0);
    start(&f);
    stats(&f, 1);
    run_to(&f, SIM_MS(100));
    stats(&f, 2);
    stats(&f, 3);
    run_to(&f, SIM_S(1));

    /* 1 is held back until 2 has gone by; 3 keeps its place after 2. */
    const char *p1 = strstr(f.rec.trace, "lb nginx stats_request 1 ");
    const char *p2 = strstr(f.rec.trace, "lb nginx stats_request 2 ");
    const char *p3 = strstr(f.rec.trace, "lb nginx stats_request 3 ");

    assert_non_null(p1);
    assert_non_null(p2);
    assert_non_null(p3);
    assert_true(p2 < p1);
    assert_true(p2 < p3);

    /* Alone on its link, a held message goes after delay_us. */
    finish(&f);
    setup(&f);
    add_rule(&f, WORLD_FAULT_MSG_REORDER, "stats_request", SIM_S(5), 1, 1.0);
    start(&f);
    stats(&f, 1);
    run_to(&f, SIM_S(6));

    const char *late[] = {"5000000 lb nginx stats_request 1 delivered", NULL};

    assert_int_equal(test_count_lines(&f.rec, late), 1);
    finish(&f);
}

static void link_rule_window_and_probability(void **state)
{
    fixture f;

    (void)state;
    setup(&f);
    add_rule(&f, WORLD_FAULT_MSG_DROP, "stats_request", 0, 0, 0.5);
    f.tc.faults[0].at_us = SIM_S(1);
    f.tc.faults[0].until_us = SIM_S(3);
    start(&f);
    for (lb_request_id id = 1; id <= 400; id++) {
        stats(&f, id);
        run_to(&f, (sim_time_t)id * SIM_MS(10));
    }

    /* Messages sent in [1 s, 3 s): 200, each lost with probability 0.5
     * (sd 7); none outside the window. */
    assert_in_range(f.rec.lost, 70, 130);
    for (const char *line = f.rec.trace; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        const char *lost = strstr(line, " lost");

        if (lost != NULL && (end == NULL || lost < end)) {
            long at_us = strtol(line, NULL, 10);

            assert_in_range(at_us, SIM_S(1), SIM_S(3) - 1);
        }
        line = end != NULL ? end + 1 : NULL;
    }
    assert_int_equal(test_count_deliveries(&f.rec, MODEL_MSG_STATS_REPLY) +
                         f.rec.lost,
                     400);
    finish(&f);
}

/* A busy run with random latency, random faults and the provider. */
static void busy_run(test_recorder *rec, uint64_t seed)
{
    fixture f;

    setup(&f);
    f.tc.config.seed = seed;
    f.tc.config.link_latency = (model_dist){.kind = MODEL_DIST_LOGNORMAL,
                                            .mean_us = 3000, .sigma = 0.8};
    f.tc.config.provider.create_delay = (model_dist){
        .kind = MODEL_DIST_EXPONENTIAL, .mean_us = 1e6};
    f.tc.config.nginx.drop_errors = 3;
    f.tc.tenants[0].pattern = (world_pattern){
        .kind = WORLD_PATTERN_CONSTANT, .rate_per_s = 300};
    add_rule(&f, WORLD_FAULT_MSG_DROP, NULL, 0, 0, 0.1);
    add_rule(&f, WORLD_FAULT_MSG_DUPLICATE, NULL, 0, 0, 0.1);
    add_rule(&f, WORLD_FAULT_MSG_REORDER, NULL, SIM_S(1), 0, 0.1);
    f.tc.faults[f.tc.config.fault_count++] = (world_fault){
        .kind = WORLD_FAULT_KILL_PROCESS, .at_us = SIM_S(4),
        .until_us = SIM_TIME_MAX, .probability = 1.0, .instance = "i1",
        .component = "dev"};
    start(&f);
    for (lb_request_id id = 1; id <= 20; id++) {
        stats(&f, id);
        f.ports.provider.instance_create(f.ports.provider.ctx, 100 + id,
                                         "x");
        run_to(&f, (sim_time_t)id * SIM_MS(500));
    }
    run_to(&f, SIM_S(20));
    *rec = f.rec;
    f.rec.trace = NULL;
    model_sim_destroy(f.sim);
}

static void link_same_seed_same_records(void **state)
{
    test_recorder *a = calloc(1, sizeof(*a));
    test_recorder *b = calloc(1, sizeof(*b));

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    busy_run(a, 11);
    busy_run(b, 11);
    assert_true(a->lost > 0);
    assert_true(a->trace_len > 3000);
    assert_int_equal(a->trace_len, b->trace_len);
    assert_memory_equal(a->trace, b->trace, a->trace_len);

    test_recorder_deinit(b);
    busy_run(b, 12);
    assert_false(a->trace_len == b->trace_len &&
                 memcmp(a->trace, b->trace, a->trace_len) == 0);
    test_recorder_deinit(a);
    test_recorder_deinit(b);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(link_latency_applies),
        cmocka_unit_test(link_drop_rule),
        cmocka_unit_test(link_delay_rule_keeps_fifo),
        cmocka_unit_test(link_fifo_with_random_latency),
        cmocka_unit_test(link_duplicate_rule),
        cmocka_unit_test(link_reorder_rule),
        cmocka_unit_test(link_rule_window_and_probability),
        cmocka_unit_test(link_same_seed_same_records),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
