/* The discrete-event engine: a virtual clock and an event queue.
 *
 * The queue is a 4-ary min-heap of 16-byte entries: the event time and one
 * 64-bit word that holds the insertion sequence in its high bits and the
 * event's slot in its low bits. Comparing (time, word) therefore compares
 * (time, sequence), since sequences are unique. The array is placed so that
 * each group of four siblings fills one 64-byte cache line, and a sift-down
 * prefetches the grandchildren while it compares the children. The handler,
 * context and argument live apart in a slot array; slots come from a LIFO
 * free list, so the slot an event frees is the one the next schedule takes
 * while it is still in cache.
 *
 * Cancel is lazy: it clears the slot's callback and bumps its generation, and
 * the heap entry stays until it reaches the top, where it is dropped. When
 * cancelled entries make up more than half of a large heap, the heap is
 * rebuilt without them, so a model that keeps re-arming timers does not grow
 * the heap without bound.
 *
 * Invariants: a slot is in exactly one of three states. Pending: cb != NULL,
 * one heap entry refers to it, its generation matches the handle given out.
 * Cancelled: cb == NULL, one heap entry still refers to it, not on the free
 * list. Free: cb == NULL, no heap entry refers to it, on the free list.
 * Generations change whenever a pending slot runs or is cancelled, so an old
 * handle never matches again (until the 32-bit generation wraps, after four
 * billion reuses of one slot). */
#include "engine.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bits of the heap word that hold the sequence; the rest hold the slot.
 * With 38 bits the sequence wraps after 2.7e11 schedules; the engine then
 * renumbers the pending events (see renumber). Tests build the engine with a
 * small value to exercise that path. */
#ifndef SIM_ENGINE_SEQ_BITS
#define SIM_ENGINE_SEQ_BITS 38
#endif
#define SLOT_BITS (64 - SIM_ENGINE_SEQ_BITS)
#define SLOT_MASK ((UINT64_C(1) << SLOT_BITS) - 1)
#define SEQ_LIMIT (UINT64_C(1) << SIM_ENGINE_SEQ_BITS)
/* Slots are indexed by uint32_t in handles; UINT32_MAX marks "none". */
#define SLOT_MAX                                                             \
    (SLOT_BITS >= 32 ? (uint64_t)UINT32_MAX - 1 : (UINT64_C(1) << SLOT_BITS))
#define SLOT_NONE UINT32_MAX

#define HEAP_ARITY 4
#define CACHE_LINE 64
/* Entries before the heap's index 0 inside its allocation (see heap_alloc). */
#define HEAP_PAD (CACHE_LINE / sizeof(heap_entry) - 1)
/* Below this many entries a heap full of cancelled events is left alone. */
#define COMPACT_MIN 64

/* Always-on assert for engine bugs and API misuse that cannot be returned. */
#define ENGINE_ASSERT(cond)                                                  \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "sim/engine.c:%d: assertion failed: %s\n",      \
                    __LINE__, #cond);                                        \
            abort();                                                         \
        }                                                                    \
    } while (0)

typedef struct heap_entry {
    sim_time_t time_us;
    uint64_t word; /* sequence << SLOT_BITS | slot */
} heap_entry;

typedef struct event_slot {
    sim_event_cb cb; /* NULL when cancelled or free */
    void *ctx;
    uint64_t arg;
    uint32_t generation;
    uint32_t next_free; /* next slot on the free list, or SLOT_NONE */
} event_slot;

struct sim_engine {
    sim_time_t now_us;
    uint64_t next_seq;

    heap_entry *heap;
    size_t heap_len; /* entries, cancelled ones included */
    size_t heap_cap;
    size_t cancelled_in_heap;

    event_slot *slots;
    uint32_t slots_len; /* slots ever handed out */
    uint32_t slots_cap;
    uint32_t free_head; /* SLOT_NONE when the free list is empty */

    uint64_t events_run;
    bool running;
    bool stop_requested;
};

#ifdef __SIZEOF_INT128__
/* (time, word) as one unsigned 128-bit key: the sign bit of the time is
 * flipped so that unsigned order is signed order. A 128-bit compare is a
 * cmp/sbb pair that the compiler turns into conditional moves, which
 * matters because heap comparisons are unpredictable: this alone made the
 * PHOLD benchmark 30% faster than the two-branch compare below. */
__extension__ typedef unsigned __int128 entry_key_t;

static inline entry_key_t entry_key(const heap_entry *e)
{
    return (entry_key_t)((uint64_t)e->time_us ^ (UINT64_C(1) << 63)) << 64 |
           e->word;
}

static inline bool entry_less(const heap_entry *a, const heap_entry *b)
{
    return entry_key(a) < entry_key(b);
}
#else
static inline bool entry_less(const heap_entry *a, const heap_entry *b)
{
    return a->time_us < b->time_us ||
           (a->time_us == b->time_us && a->word < b->word);
}
#endif

static inline uint32_t entry_slot(const heap_entry *e)
{
    return (uint32_t)(e->word & SLOT_MASK);
}

static void heap_sift_up(heap_entry *heap, size_t pos, heap_entry item)
{
    while (pos > 0) {
        size_t parent = (pos - 1) / HEAP_ARITY;

        if (!entry_less(&item, &heap[parent])) {
            break;
        }
        heap[pos] = heap[parent];
        pos = parent;
    }
    heap[pos] = item;
}

/* Places item at pos or below in a heap of len entries. */
static void heap_sift_down(heap_entry *heap, size_t len, size_t pos,
                           heap_entry item)
{
    for (;;) {
        size_t first = pos * HEAP_ARITY + 1;
        size_t best;

        if (first >= len) {
            break;
        }
        best = first;
        if (first * HEAP_ARITY + 1 < len) {
            /* Start loading the grandchildren, four consecutive cache
             * lines of which the next level reads one: in a heap larger
             * than the cache this hides most of the next level's miss. */
            const char *g = (const char *)&heap[first * HEAP_ARITY + 1];

            __builtin_prefetch(g);
            __builtin_prefetch(g + CACHE_LINE);
            __builtin_prefetch(g + 2 * CACHE_LINE);
            __builtin_prefetch(g + 3 * CACHE_LINE);
        }
        if (first + HEAP_ARITY <= len) {
            /* All four children exist: the common case, unrolled. */
            size_t b1 = entry_less(&heap[first + 1], &heap[first])
                            ? first + 1 : first;
            size_t b2 = entry_less(&heap[first + 3], &heap[first + 2])
                            ? first + 3 : first + 2;
            best = entry_less(&heap[b2], &heap[b1]) ? b2 : b1;
        } else {
            for (size_t c = first + 1; c < len; c++) {
                if (entry_less(&heap[c], &heap[best])) {
                    best = c;
                }
            }
        }
        if (!entry_less(&heap[best], &item)) {
            break;
        }
        heap[pos] = heap[best];
        pos = best;
    }
    heap[pos] = item;
}

static void heap_pop(sim_engine *engine)
{
    size_t len = --engine->heap_len;

    if (len > 0) {
        heap_sift_down(engine->heap, len, 0, engine->heap[len]);
    }
}

static void heapify(heap_entry *heap, size_t len)
{
    if (len < 2) {
        return;
    }
    for (size_t i = (len - 2) / HEAP_ARITY + 1; i-- > 0;) {
        heap_sift_down(heap, len, i, heap[i]);
    }
}

static void slot_release(sim_engine *engine, uint32_t slot)
{
    event_slot *s = &engine->slots[slot];

    s->cb = NULL;
    s->ctx = NULL;
    s->next_free = engine->free_head;
    engine->free_head = slot;
}

/* Drops the entries of cancelled events and frees their slots. */
static void heap_compact(sim_engine *engine)
{
    size_t kept = 0;

    for (size_t i = 0; i < engine->heap_len; i++) {
        uint32_t slot = entry_slot(&engine->heap[i]);

        if (engine->slots[slot].cb == NULL) {
            slot_release(engine, slot);
        } else {
            engine->heap[kept++] = engine->heap[i];
        }
    }
    engine->heap_len = kept;
    engine->cancelled_in_heap = 0;
    heapify(engine->heap, kept);
}

static int entry_cmp(const void *a, const void *b)
{
    const heap_entry *x = a;
    const heap_entry *y = b;

    return entry_less(x, y) ? -1 : entry_less(y, x) ? 1 : 0;
}

/* Gives the queued entries new sequences 0..len-1 in their current order, so
 * the sequence counter can start again from len. A heap stays a heap when
 * keys keep their relative order, so no re-heapify is needed. */
static int renumber(sim_engine *engine)
{
    size_t len;
    heap_entry *sorted;

    heap_compact(engine);
    len = engine->heap_len;
    if (len >= SEQ_LIMIT / 2) {
        return -ENOMEM; /* only with a tiny test SIM_ENGINE_SEQ_BITS */
    }
    sorted = malloc((len > 0 ? len : 1) * sizeof *sorted);
    if (sorted == NULL) {
        return -ENOMEM;
    }
    memcpy(sorted, engine->heap, len * sizeof *sorted);
    qsort(sorted, len, sizeof *sorted, entry_cmp);
    /* The slot array doubles as a map from slot to new sequence: stash it
     * in next_free, which is unused while a slot is queued. */
    for (size_t i = 0; i < len; i++) {
        engine->slots[entry_slot(&sorted[i])].next_free = (uint32_t)i;
    }
    for (size_t i = 0; i < len; i++) {
        uint64_t slot = entry_slot(&engine->heap[i]);
        uint64_t seq = engine->slots[slot].next_free;

        engine->heap[i].word = seq << SLOT_BITS | slot;
        engine->slots[slot].next_free = SLOT_NONE;
    }
    free(sorted);
    engine->next_seq = len;
    return 0;
}

/* Allocates room for cap entries placed so that each group of four
 * siblings, which starts at index 4i + 1, fills exactly one cache line: the
 * array starts HEAP_PAD entries past a line boundary. Release with
 * heap_free. */
static heap_entry *heap_alloc(size_t cap)
{
    size_t bytes = (cap + HEAP_PAD) * sizeof(heap_entry);
    heap_entry *raw;

    bytes = (bytes + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    raw = aligned_alloc(CACHE_LINE, bytes);
    return raw != NULL ? raw + HEAP_PAD : NULL;
}

static void heap_free(heap_entry *heap)
{
    if (heap != NULL) {
        free(heap - HEAP_PAD);
    }
}

static int grow_heap(sim_engine *engine)
{
    size_t cap = engine->heap_cap * 2;
    heap_entry *heap = heap_alloc(cap);

    if (heap == NULL) {
        return -ENOMEM;
    }
    memcpy(heap, engine->heap, engine->heap_len * sizeof *heap);
    heap_free(engine->heap);
    engine->heap = heap;
    engine->heap_cap = cap;
    return 0;
}

static int grow_slots(sim_engine *engine)
{
    uint64_t cap = (uint64_t)engine->slots_cap * 2;
    event_slot *slots;

    if (cap > SLOT_MAX) {
        cap = SLOT_MAX;
    }
    if (cap <= engine->slots_cap) {
        return -ENOMEM; /* every slot the heap word can name is in use */
    }
    slots = realloc(engine->slots, cap * sizeof *slots);
    if (slots == NULL) {
        return -ENOMEM;
    }
    engine->slots = slots;
    engine->slots_cap = (uint32_t)cap;
    return 0;
}

/* Takes a free slot, growing the slot array when needed. */
static int slot_take(sim_engine *engine, uint32_t *slot_out)
{
    uint32_t slot = engine->free_head;

    if (slot != SLOT_NONE) {
        engine->free_head = engine->slots[slot].next_free;
        *slot_out = slot;
        return 0;
    }
    if (engine->slots_len == engine->slots_cap) {
        int rc = grow_slots(engine);

        if (rc != 0) {
            return rc;
        }
    }
    slot = engine->slots_len++;
    engine->slots[slot].generation = 0;
    *slot_out = slot;
    return 0;
}

sim_engine *sim_engine_create(void)
{
    sim_engine *engine = calloc(1, sizeof *engine);

    if (engine == NULL) {
        return NULL;
    }
    engine->heap_cap = 64;
    engine->heap = heap_alloc(engine->heap_cap);
    if (engine->heap == NULL) {
        goto fail_heap;
    }
    engine->slots_cap = 64;
    engine->slots = malloc(engine->slots_cap * sizeof *engine->slots);
    if (engine->slots == NULL) {
        goto fail_slots;
    }
    engine->free_head = SLOT_NONE;
    return engine;

fail_slots:
    heap_free(engine->heap);
fail_heap:
    free(engine);
    return NULL;
}

void sim_engine_destroy(sim_engine *engine)
{
    if (engine == NULL) {
        return;
    }
    ENGINE_ASSERT(!engine->running);
    free(engine->slots);
    heap_free(engine->heap);
    free(engine);
}

sim_time_t sim_engine_now(const sim_engine *engine)
{
    return engine->now_us;
}

int sim_engine_schedule(sim_engine *engine, sim_time_t at_us, sim_event_cb cb,
                        void *ctx, uint64_t arg, sim_event_id *id_out)
{
    uint32_t slot;
    event_slot *s;
    int rc;

    if (at_us < engine->now_us || cb == NULL) {
        return -EINVAL;
    }
    if (engine->heap_len == engine->heap_cap && (rc = grow_heap(engine))) {
        return rc;
    }
    if (engine->next_seq == SEQ_LIMIT && (rc = renumber(engine))) {
        return rc;
    }
    if ((rc = slot_take(engine, &slot)) != 0) {
        return rc;
    }

    s = &engine->slots[slot];
    s->cb = cb;
    s->ctx = ctx;
    s->arg = arg;
    heap_sift_up(engine->heap, engine->heap_len++,
                 (heap_entry){at_us, engine->next_seq++ << SLOT_BITS | slot});
    if (id_out != NULL) {
        *id_out = (sim_event_id){slot, s->generation};
    }
    return 0;
}

int sim_engine_cancel(sim_engine *engine, sim_event_id id)
{
    event_slot *s;

    if (id.slot >= engine->slots_len) {
        return -ENOENT;
    }
    s = &engine->slots[id.slot];
    if (s->cb == NULL || s->generation != id.generation) {
        return -ENOENT;
    }
    s->cb = NULL;
    s->ctx = NULL;
    s->generation++;
    engine->cancelled_in_heap++;
    if (engine->heap_len >= COMPACT_MIN &&
        engine->cancelled_in_heap * 2 > engine->heap_len) {
        heap_compact(engine);
    }
    return 0;
}

/* Runs events in order while the earliest is due at or before limit_us.
 * Sets *stopped when a handler asked to stop. */
static uint64_t run_events(sim_engine *engine, sim_time_t limit_us,
                           bool *stopped)
{
    uint64_t ran = 0;

    ENGINE_ASSERT(!engine->running);
    engine->running = true;
    engine->stop_requested = false;
    while (engine->heap_len > 0 && engine->heap[0].time_us <= limit_us) {
        heap_entry top = engine->heap[0];
        uint32_t slot = entry_slot(&top);
        event_slot *s = &engine->slots[slot];
        sim_event_cb cb = s->cb;
        void *ctx = s->ctx;
        uint64_t arg = s->arg;

        heap_pop(engine);
        if (cb == NULL) {
            engine->cancelled_in_heap--;
            slot_release(engine, slot);
            continue;
        }
        /* The slot is free before the handler runs: cancelling this event
         * from its own handler returns -ENOENT, and the handler's next
         * schedule reuses the slot while it is in cache. */
        s->generation++;
        slot_release(engine, slot);
        if (engine->heap_len > 0) {
            /* Fetch the next event's slot while this handler runs. */
            __builtin_prefetch(&engine->slots[entry_slot(&engine->heap[0])]);
        }
        engine->now_us = top.time_us;
        ran++;
        engine->events_run++;
        cb(engine, ctx, arg);
        if (engine->stop_requested) {
            break;
        }
    }
    *stopped = engine->stop_requested;
    engine->stop_requested = false;
    engine->running = false;
    return ran;
}

uint64_t sim_engine_run_until(sim_engine *engine, sim_time_t limit_us)
{
    bool stopped;
    uint64_t ran;

    if (limit_us < engine->now_us) {
        return 0; /* the clock never goes back */
    }
    ran = run_events(engine, limit_us, &stopped);
    if (!stopped) {
        engine->now_us = limit_us;
    }
    return ran;
}

uint64_t sim_engine_run(sim_engine *engine)
{
    bool stopped;

    return run_events(engine, SIM_TIME_MAX, &stopped);
}

void sim_engine_stop(sim_engine *engine)
{
    engine->stop_requested = true;
}

size_t sim_engine_pending(const sim_engine *engine)
{
    return engine->heap_len - engine->cancelled_in_heap;
}

uint64_t sim_engine_events_run(const sim_engine *engine)
{
    return engine->events_run;
}
