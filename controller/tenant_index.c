/* A hash index from tenant id to tenant slot.
 *
 * Statistics replies name tenants by id, one row per tenant and component,
 * so the lookup must not walk every tenant. Open addressing with linear
 * probing; a removed entry leaves a tombstone until the next rebuild. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#define LB_INDEX_EMPTY UINT32_MAX
#define LB_INDEX_TOMBSTONE (UINT32_MAX - 1)

static uint64_t lb_index_hash(const char *id)
{
    uint64_t hash = UINT64_C(14695981039346656037);

    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        hash ^= *p;
        hash *= UINT64_C(1099511628211);
    }
    return hash;
}

static void lb_index_put(lb_controller *c, uint32_t slot)
{
    size_t mask = c->tenant_index_cap - 1;
    size_t at = (size_t)lb_index_hash(c->tenants[slot].id) & mask;

    while (c->tenant_index[at] != LB_INDEX_EMPTY &&
           c->tenant_index[at] != LB_INDEX_TOMBSTONE) {
        at = (at + 1) & mask;
    }
    c->tenant_index[at] = slot;
}

/* Rebuilds the index with room for twice the tenant slots. */
static void lb_index_rebuild(lb_controller *c)
{
    size_t cap = 32;
    while (cap < 2 * c->tenant_cap) {
        cap *= 2;
    }
    uint32_t *index = realloc(c->tenant_index, cap * sizeof *index);
    assert(index != NULL && "tenant index allocation failed");

    c->tenant_index = index;
    c->tenant_index_cap = cap;
    c->tenant_index_tombstones = 0;
    for (size_t i = 0; i < cap; i++) {
        index[i] = LB_INDEX_EMPTY;
    }
    for (size_t t = 0; t < c->tenant_cap; t++) {
        if (c->tenants[t].used) {
            lb_index_put(c, (uint32_t)t);
        }
    }
}

uint32_t lb_tenant_find(const lb_controller *c, const char *id)
{
    if (id == NULL || c->tenant_index_cap == 0) {
        return LB_NONE;
    }

    size_t mask = c->tenant_index_cap - 1;
    size_t at = (size_t)lb_index_hash(id) & mask;
    for (size_t probes = 0; probes < c->tenant_index_cap; probes++) {
        uint32_t slot = c->tenant_index[at];
        if (slot == LB_INDEX_EMPTY) {
            return LB_NONE;
        }
        if (slot != LB_INDEX_TOMBSTONE && strcmp(c->tenants[slot].id, id) == 0) {
            return slot;
        }
        at = (at + 1) & mask;
    }
    return LB_NONE;
}

void lb_tenant_index_add(lb_controller *c, uint32_t slot)
{
    c->tenant_index_used++;

    /* Keep at least a quarter of the entries empty so probes stay short. */
    if (4 * (c->tenant_index_used + c->tenant_index_tombstones) >=
        3 * c->tenant_index_cap) {
        lb_index_rebuild(c);
        return;
    }
    lb_index_put(c, slot);
}

void lb_tenant_index_remove(lb_controller *c, uint32_t slot)
{
    size_t mask = c->tenant_index_cap - 1;
    size_t at = (size_t)lb_index_hash(c->tenants[slot].id) & mask;

    while (c->tenant_index[at] != LB_INDEX_EMPTY) {
        if (c->tenant_index[at] == slot) {
            c->tenant_index[at] = LB_INDEX_TOMBSTONE;
            c->tenant_index_tombstones++;
            c->tenant_index_used--;
            return;
        }
        at = (at + 1) & mask;
    }
    assert(!"tenant missing from its index");
}
