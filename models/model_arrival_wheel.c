/* The timing wheel of trace arrivals.
 *
 * A trace replay has one pending arrival per tenant with traffic in the
 * current bucket: a thousand tenants would keep a thousand events in the
 * engine's heap, and every arrival would pay for a sift through it. The
 * wheel keeps those arrivals itself and gives the engine one event, at the
 * earliest of them, so that an insert costs O(1) and finding the next
 * arrival costs a scan of a bitmap of non-empty slots.
 *
 * Slot s holds, in a singly linked list, the tenants whose next arrival
 * falls in [s * slot_us, (s + 1) * slot_us), modulo the slot count. Every
 * pending arrival lies in the current trace bucket, at or after now and
 * before the bucket's end, and the wheel spans more than one bucket, so
 * the arrivals in one slot are never a full turn apart. Arrivals at the
 * same microsecond run in the order they were inserted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"
#include "model_sim.h"

/* Smallest slot width and maximum slot count: at most 4 MiB of list heads
 * and 128 KiB of bitmap, whatever the bucket width. */
#define WHEEL_SLOT_US_MIN 64
#define WHEEL_SLOTS_MAX (UINT64_C(1) << 20)

static uint64_t wheel_slot_of(const model_arrival_wheel *wheel,
                              sim_time_t at_us)
{
    return ((uint64_t)at_us / wheel->slot_us) & (wheel->slot_count - 1);
}

static bool wheel_full(const model_arrival_wheel *wheel, uint64_t slot)
{
    return (wheel->bitmap[slot >> 6] >> (slot & 63)) & 1u;
}

static void wheel_mark(model_arrival_wheel *wheel, uint64_t slot, bool full)
{
    uint64_t bit = UINT64_C(1) << (slot & 63);

    if (full)
        wheel->bitmap[slot >> 6] |= bit;
    else
        wheel->bitmap[slot >> 6] &= ~bit;
}

static bool wheel_earlier(const model_wheel_entry *a,
                          const model_wheel_entry *b)
{
    return a->at_us < b->at_us || (a->at_us == b->at_us && a->seq < b->seq);
}

int model_wheel_init(model_sim *sim, double bucket_width_us)
{
    model_arrival_wheel *wheel = &sim->wheel;
    uint64_t slot_us = WHEEL_SLOT_US_MIN;
    uint64_t count = 64;

    /* Room for one bucket and two slots more, in a power of two. */
    while ((double)(slot_us * (WHEEL_SLOTS_MAX - 2)) < bucket_width_us)
        slot_us *= 2;
    while ((double)(slot_us * (count - 2)) < bucket_width_us)
        count *= 2;

    wheel->slot_us = slot_us;
    wheel->slot_count = count;
    wheel->first = MODEL_NONE;

    /* A head is read only while its bitmap bit is set, so the heads need
     * no initial value and untouched pages cost no memory. */
    wheel->heads = malloc(count * sizeof(*wheel->heads));
    wheel->bitmap = calloc(count / 64, sizeof(*wheel->bitmap));
    wheel->entries = calloc(sim->tenant_count + 1, sizeof(*wheel->entries));
    wheel->entry_count = sim->tenant_count;
    return wheel->heads == NULL || wheel->bitmap == NULL ||
                   wheel->entries == NULL
               ? -ENOMEM
               : 0;
}

void model_wheel_deinit(model_sim *sim)
{
    free(sim->wheel.heads);
    free(sim->wheel.bitmap);
    free(sim->wheel.entries);
    memset(&sim->wheel, 0, sizeof(sim->wheel));
}

/* Returns the first non-empty slot at or after from, going round once. */
static uint64_t wheel_next_full(const model_arrival_wheel *wheel,
                                uint64_t from)
{
    uint64_t words = wheel->slot_count / 64;
    uint64_t w = from >> 6;
    uint64_t bits = wheel->bitmap[w] & (~UINT64_C(0) << (from & 63));

    for (uint64_t step = 0; step <= words; step++) {
        if (bits != 0)
            return (w << 6) + (uint64_t)__builtin_ctzll(bits);
        w = (w + 1) & (words - 1);
        bits = wheel->bitmap[w];
    }
    MODEL_ASSERT(!"wheel bitmap empty while tenants are queued");
    return 0;
}

/* Finds the earliest queued tenant: the earliest entry of the first
 * non-empty slot from now on. */
static uint32_t wheel_find_first(model_sim *sim)
{
    model_arrival_wheel *wheel = &sim->wheel;
    uint64_t slot = wheel_next_full(wheel,
                                    wheel_slot_of(wheel, model_now(sim)));
    uint32_t best = wheel->heads[slot];

    for (uint32_t t = wheel->entries[best].next; t != MODEL_NONE;
         t = wheel->entries[t].next)
        if (wheel_earlier(&wheel->entries[t], &wheel->entries[best]))
            best = t;
    return best;
}

static void wheel_cb(sim_engine *engine, void *ctx, uint64_t arg);

/* Keeps the wheel's one engine event at its earliest arrival. */
static void wheel_arm(model_sim *sim, sim_time_t at_us)
{
    model_arrival_wheel *wheel = &sim->wheel;

    if (wheel->event_pending && wheel->event_at_us <= at_us)
        return;
    if (wheel->event_pending)
        model_cancel(sim, wheel->event);
    wheel->event = model_schedule(sim, at_us, wheel_cb, sim, 0);
    wheel->event_at_us = at_us;
    wheel->event_pending = true;
}

static void wheel_unlink(model_sim *sim, uint32_t tenant)
{
    model_arrival_wheel *wheel = &sim->wheel;
    model_wheel_entry *entry = &wheel->entries[tenant];
    uint64_t slot = wheel_slot_of(wheel, entry->at_us);
    uint32_t *link = &wheel->heads[slot];

    while (*link != tenant) {
        MODEL_ASSERT(*link != MODEL_NONE); /* the tenant is in its slot */
        link = &wheel->entries[*link].next;
    }
    *link = entry->next;
    entry->next = MODEL_NONE;
    sim->tenants[tenant].arrival_pending = false;
    wheel->queued--;
    if (wheel->heads[slot] == MODEL_NONE)
        wheel_mark(wheel, slot, false);
    if (wheel->first == tenant)
        wheel->first = MODEL_NONE;
}

void model_wheel_insert(model_sim *sim, uint32_t tenant, sim_time_t at_us)
{
    model_arrival_wheel *wheel = &sim->wheel;
    model_wheel_entry *entry = &wheel->entries[tenant];
    uint64_t slot;

    if (at_us < model_now(sim))
        at_us = model_now(sim);
    MODEL_ASSERT(tenant < wheel->entry_count);
    MODEL_ASSERT(!sim->tenants[tenant].arrival_pending);
    MODEL_ASSERT((uint64_t)(at_us - model_now(sim)) <
                 wheel->slot_us * (wheel->slot_count - 1));

    slot = wheel_slot_of(wheel, at_us);
    entry->at_us = at_us;
    entry->seq = wheel->seq++;
    entry->next = wheel_full(wheel, slot) ? wheel->heads[slot] : MODEL_NONE;
    wheel->heads[slot] = tenant;
    wheel_mark(wheel, slot, true);
    sim->tenants[tenant].arrival_pending = true;

    /* first is the earliest queued tenant, or MODEL_NONE until the next
     * search. The new entry becomes first in an empty wheel or when it is
     * earlier than a first that is set. */
    if (wheel->queued == 0 ||
        (wheel->first != MODEL_NONE &&
         wheel_earlier(entry, &wheel->entries[wheel->first])))
        wheel->first = tenant;
    wheel->queued++;

    /* The wheel's own event re-arms itself once its arrival has run. */
    if (!wheel->running)
        wheel_arm(sim, at_us);
}

void model_wheel_remove(model_sim *sim, uint32_t tenant)
{
    if (sim->tenants[tenant].arrival_pending)
        wheel_unlink(sim, tenant);
}

/* Runs the earliest arrival if it is due now, then re-arms the event. An
 * event whose arrival was removed only re-arms. */
static void wheel_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    model_arrival_wheel *wheel = &sim->wheel;

    (void)engine;
    (void)arg;
    wheel->event_pending = false;
    if (wheel->queued == 0)
        return;
    if (wheel->first == MODEL_NONE)
        wheel->first = wheel_find_first(sim);

    uint32_t first = wheel->first;

    if (wheel->entries[first].at_us <= model_now(sim)) {
        wheel_unlink(sim, first);
        wheel->running = true;
        model_traffic_arrive(sim, first);
        wheel->running = false;
    }
    if (wheel->queued == 0)
        return;
    if (wheel->first == MODEL_NONE)
        wheel->first = wheel_find_first(sim);
    wheel_arm(sim, wheel->entries[wheel->first].at_us);
}
