/* A long random sequence of schedules, cancels and runs, checked step by
 * step against a plain sorted array.
 *
 * Every event carries its record number. The reference keeps the pending
 * records sorted by (time, sequence), earliest last. When the engine runs an
 * event, the handler checks that it is the reference's earliest, removes it,
 * and then itself schedules and cancels at random, mirroring each call in
 * the reference. Built twice: against the normal engine, and against one
 * whose sequence numbers wrap every 1024 schedules so that renumbering runs
 * often. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"

#define OPERATIONS 200000
#define TEST_SEED UINT64_C(0x5eed2026)
/* The wrapping build renumbers at most 511 queued events. */
#ifdef SIM_ENGINE_SEQ_BITS
#define PENDING_MAX 400
#else
#define PENDING_MAX 3000
#endif

typedef enum rec_state { REC_PENDING, REC_RAN, REC_CANCELLED } rec_state;

typedef struct record {
    sim_time_t time_us;
    uint64_t seq;
    sim_event_id id;
    rec_state state;
} record;

typedef struct model {
    sim_engine *engine;
    uint64_t rng;
    record *recs;
    size_t recs_len;
    size_t recs_cap;
    uint64_t next_seq;
    size_t *sorted; /* pending record numbers, earliest last */
    size_t sorted_len;
    uint64_t ran;
    size_t pending_peak;
} model;

static uint64_t rand_next(model *m)
{
    /* xorshift64*: enough for choosing test operations. */
    m->rng ^= m->rng >> 12;
    m->rng ^= m->rng << 25;
    m->rng ^= m->rng >> 27;
    return m->rng * UINT64_C(2685821657736338717);
}

static uint64_t rand_below(model *m, uint64_t n)
{
    return rand_next(m) % n;
}

/* True when record a runs after record b. */
static int runs_after(const model *m, size_t a, size_t b)
{
    const record *x = &m->recs[a];
    const record *y = &m->recs[b];

    return x->time_us > y->time_us ||
           (x->time_us == y->time_us && x->seq > y->seq);
}

static void ref_insert(model *m, size_t rec)
{
    size_t lo = 0;
    size_t hi = m->sorted_len;

    /* First position whose record runs before rec. */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (runs_after(m, m->sorted[mid], rec)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    memmove(&m->sorted[lo + 1], &m->sorted[lo],
            (m->sorted_len - lo) * sizeof *m->sorted);
    m->sorted[lo] = rec;
    m->sorted_len++;
}

static void ref_remove(model *m, size_t rec)
{
    for (size_t i = 0; i < m->sorted_len; i++) {
        if (m->sorted[i] == rec) {
            memmove(&m->sorted[i], &m->sorted[i + 1],
                    (m->sorted_len - i - 1) * sizeof *m->sorted);
            m->sorted_len--;
            return;
        }
    }
    fail_msg("record %zu not pending in the reference", rec);
}

static void fired_cb(sim_engine *engine, void *ctx, uint64_t arg);

static void op_schedule(model *m)
{
    sim_time_t now = sim_engine_now(m->engine);
    sim_time_t at;
    record *r;
    int rc;

    if (m->sorted_len >= PENDING_MAX) {
        return;
    }
    /* Small spans make equal times common. */
    at = now + (sim_time_t)rand_below(m, rand_below(m, 8) == 0 ? 2 : 60);
    if (now > 0 && rand_below(m, 50) == 0) {
        at = now - 1 - (sim_time_t)rand_below(m, (uint64_t)now);
        assert_int_equal(sim_engine_schedule(m->engine, at, fired_cb, m,
                                             m->recs_len, NULL), -EINVAL);
        return;
    }
    if (m->recs_len == m->recs_cap) {
        m->recs_cap *= 2;
        m->recs = realloc(m->recs, m->recs_cap * sizeof *m->recs);
        assert_non_null(m->recs);
    }
    r = &m->recs[m->recs_len];
    rc = sim_engine_schedule(m->engine, at, fired_cb, m, m->recs_len, &r->id);
    assert_int_equal(rc, 0);
    r->time_us = at;
    r->seq = m->next_seq++;
    r->state = REC_PENDING;
    ref_insert(m, m->recs_len);
    m->recs_len++;
}

static void op_cancel(model *m)
{
    size_t rec;
    record *r;
    int rc;

    if (m->recs_len == 0) {
        return;
    }
    /* A pending record, a recent one or any one. */
    uint64_t pick = rand_below(m, 3);

    if (pick == 0 && m->sorted_len > 0) {
        rec = m->sorted[rand_below(m, m->sorted_len)];
    } else if (pick == 1) {
        rec = m->recs_len - 1 - rand_below(m, m->recs_len < 64 ? m->recs_len
                                                              : 64);
    } else {
        rec = rand_below(m, m->recs_len);
    }
    r = &m->recs[rec];
    rc = sim_engine_cancel(m->engine, r->id);
    if (r->state == REC_PENDING) {
        assert_int_equal(rc, 0);
        r->state = REC_CANCELLED;
        ref_remove(m, rec);
    } else {
        assert_int_equal(rc, -ENOENT);
    }
}

static void check_pending(model *m)
{
    assert_int_equal(sim_engine_pending(m->engine), m->sorted_len);
    if (m->sorted_len > m->pending_peak) {
        m->pending_peak = m->sorted_len;
    }
}

static void fired_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model *m = ctx;
    size_t expect;

    assert_ptr_equal(engine, m->engine);
    assert_true(m->sorted_len > 0);
    expect = m->sorted[m->sorted_len - 1];
    assert_int_equal(arg, expect);
    assert_int_equal(sim_engine_now(engine), m->recs[arg].time_us);
    m->sorted_len--;
    m->recs[arg].state = REC_RAN;
    m->ran++;

    uint64_t roll = rand_below(m, 100);

    if (roll < 45) {
        op_schedule(m);
    } else if (roll < 60) {
        op_cancel(m);
    }
    check_pending(m);
}

static void op_run(model *m)
{
    sim_time_t now = sim_engine_now(m->engine);
    uint64_t before = m->ran;
    uint64_t ran;

    if (rand_below(m, 200) == 0) {
        ran = sim_engine_run(m->engine);
        assert_int_equal(m->sorted_len, 0);
    } else {
        sim_time_t limit = now + (sim_time_t)rand_below(m, 40);

        ran = sim_engine_run_until(m->engine, limit);
        assert_int_equal(sim_engine_now(m->engine), limit);
        if (m->sorted_len > 0) {
            assert_true(m->recs[m->sorted[m->sorted_len - 1]].time_us >
                        limit);
        }
    }
    assert_int_equal(ran, m->ran - before);
}

static void test_random_against_reference(void **state)
{
    model m = {0};

    (void)state;
    m.rng = TEST_SEED;
    m.engine = sim_engine_create();
    assert_non_null(m.engine);
    m.recs_cap = 1024;
    m.recs = malloc(m.recs_cap * sizeof *m.recs);
    m.sorted = malloc((PENDING_MAX + 1) * sizeof *m.sorted);
    assert_non_null(m.recs);
    assert_non_null(m.sorted);
    printf("# seed=%#llx operations=%d pending_max=%d\n",
           (unsigned long long)TEST_SEED, OPERATIONS, PENDING_MAX);

    for (int op = 0; op < OPERATIONS; op++) {
        /* Phases of 10,000 operations fill the queue (few runs), cancel
         * most of it (so the heap fills with cancelled entries and gets
         * compacted) and drain it, so small and large heaps are both
         * exercised. */
        static const uint64_t schedule_pct[] = {60, 15, 45};
        static const uint64_t cancel_pct[] = {20, 80, 25};
        static const uint64_t bogus_pct[] = {19, 4, 10};
        int phase = (op / 10000) % 3;
        uint64_t roll = rand_below(&m, 100);

        if (roll < schedule_pct[phase]) {
            op_schedule(&m);
        } else if ((roll -= schedule_pct[phase]) < cancel_pct[phase]) {
            op_cancel(&m);
        } else if ((roll -= cancel_pct[phase]) < bogus_pct[phase]) {
            sim_event_id bogus = {(uint32_t)rand_next(&m),
                                  (uint32_t)rand_next(&m)};

            assert_int_equal(sim_engine_cancel(m.engine, bogus), -ENOENT);
        } else {
            op_run(&m);
        }
        check_pending(&m);
    }
    sim_engine_run(m.engine);
    assert_int_equal(m.sorted_len, 0);
    assert_int_equal(sim_engine_events_run(m.engine), m.ran);
    printf("# records=%zu ran=%llu pending_peak=%zu\n", m.recs_len,
           (unsigned long long)m.ran, m.pending_peak);
    assert_true(m.ran > OPERATIONS / 10);

    sim_engine_destroy(m.engine);
    free(m.sorted);
    free(m.recs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_reference),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
