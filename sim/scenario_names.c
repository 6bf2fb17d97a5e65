/* Name tables of the loader: names in insertion order, each with a value,
 * found through an open-addressing hash index so that a file with tens of
 * thousands of tenants loads in linear time. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "scenario_loader.h"

/* FNV-1a: short ids hash well and the result is the same on every
 * machine. */
static uint64_t sim_name_hash(const char *name)
{
    uint64_t hash = 14695981039346656037u;

    for (const unsigned char *c = (const unsigned char *)name; *c != '\0';
         c++) {
        hash ^= *c;
        hash *= 1099511628211u;
    }
    return hash;
}

/* Returns the slot that holds name, or the free slot where it would go.
 * The index is never full: it keeps at least half of its slots free. */
static size_t sim_name_slot(const sim_name_list *list, const char *name)
{
    size_t mask = list->slot_count - 1;
    size_t slot = (size_t)sim_name_hash(name) & mask;

    while (list->slots[slot] != 0 &&
           strcmp(list->names[list->slots[slot] - 1], name) != 0) {
        slot = (slot + 1) & mask;
    }
    return slot;
}

/* Rebuilds the index with twice the slots. */
static int sim_name_index_grow(sim_loader *loader, sim_name_list *list)
{
    size_t slot_count = list->slot_count == 0 ? 64 : list->slot_count * 2;
    size_t *slots = sim_pool_calloc(&loader->scenario->pool, slot_count,
                                    sizeof(*slots));

    if (slots == NULL) {
        return -ENOMEM;
    }
    list->slots = slots;
    list->slot_count = slot_count;
    for (size_t i = 0; i < list->count; i++) {
        list->slots[sim_name_slot(list, list->names[i])] = i + 1;
    }
    return 0;
}

/* Makes room for one more name in the ordered arrays. */
static int sim_name_arrays_grow(sim_loader *loader, sim_name_list *list)
{
    size_t capacity = list->capacity == 0 ? 16 : list->capacity * 2;
    const char **names = sim_pool_calloc(&loader->scenario->pool, capacity,
                                         sizeof(*names));
    size_t *values = sim_pool_calloc(&loader->scenario->pool, capacity,
                                     sizeof(*values));

    if (names == NULL || values == NULL) {
        return -ENOMEM;
    }
    if (list->count > 0) {
        memcpy(names, list->names, list->count * sizeof(*names));
        memcpy(values, list->values, list->count * sizeof(*values));
    }
    list->names = names;
    list->values = values;
    list->capacity = capacity;
    return 0;
}

int sim_name_list_put(sim_loader *loader, sim_name_list *list,
                      const char *name, size_t value)
{
    int rc = 0;

    if (sim_name_list_has(list, name)) {
        return 0;
    }
    if ((list->count + 1) * 2 > list->slot_count) {
        rc = sim_name_index_grow(loader, list);
    }
    if (rc == 0 && list->count == list->capacity) {
        rc = sim_name_arrays_grow(loader, list);
    }
    if (rc != 0) {
        return rc;
    }

    list->names[list->count] = name;
    list->values[list->count] = value;
    list->count++;
    list->slots[sim_name_slot(list, name)] = list->count;
    return 0;
}

int sim_name_list_add(sim_loader *loader, sim_name_list *list,
                      const char *name)
{
    return sim_name_list_put(loader, list, name, SIM_NAME_NO_VALUE);
}

bool sim_name_list_get(const sim_name_list *list, const char *name,
                       size_t *value)
{
    size_t slot;

    if (list->slot_count == 0) {
        return false;
    }
    slot = sim_name_slot(list, name);
    if (list->slots[slot] == 0) {
        return false;
    }
    if (value != NULL) {
        *value = list->values[list->slots[slot] - 1];
    }
    return true;
}

bool sim_name_list_has(const sim_name_list *list, const char *name)
{
    return sim_name_list_get(list, name, NULL);
}
