/* The instance registry; see registry.h. */
#include "registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "id.h"

void live_registry_init(live_registry *registry)
{
    memset(registry, 0, sizeof(*registry));
    registry->pending_ttl_us = LIVE_REGISTRY_PENDING_TTL_US;
}

void live_registry_deinit(live_registry *registry)
{
    free(registry->entries);
    memset(registry, 0, sizeof(*registry));
}

static live_registry_entry *live_registry_find(const live_registry *registry,
                                               const char *id)
{
    for (size_t i = 0; i < registry->count; i++) {
        if (strcmp(registry->entries[i].id, id) == 0) {
            return &registry->entries[i];
        }
    }
    return NULL;
}

static live_registry_entry *live_registry_add(live_registry *registry,
                                              const char *id)
{
    if (registry->count == registry->cap) {
        size_t cap = registry->cap ? registry->cap * 2 : 16;
        live_registry_entry *grown = realloc(registry->entries,
                                             cap * sizeof(*grown));
        if (!grown) {
            return NULL;
        }
        registry->entries = grown;
        registry->cap = cap;
    }
    live_registry_entry *entry = &registry->entries[registry->count++];
    memset(entry, 0, sizeof(*entry));
    strcpy(entry->id, id);
    return entry;
}

int live_registry_set(live_registry *registry, const char *id,
                      const char *address)
{
    if (!live_id_valid(id) || !live_address_valid(address, NULL) ||
        strlen(address) > LIVE_ADDRESS_LEN_MAX) {
        return -EINVAL;
    }
    live_registry_entry *entry = live_registry_find(registry, id);
    if (!entry && !(entry = live_registry_add(registry, id))) {
        return -ENOMEM;
    }
    strcpy(entry->address, address);
    entry->known = true;
    return 0;
}

const char *live_registry_address(const live_registry *registry,
                                  const char *id)
{
    const live_registry_entry *entry = live_registry_find(registry, id);
    return entry && entry->known ? entry->address : NULL;
}

void live_registry_remove(live_registry *registry, const char *id)
{
    live_registry_entry *entry = live_registry_find(registry, id);
    if (entry) {
        *entry = registry->entries[--registry->count];
    }
}

/* Forgets the early dfm_ready of instances the provider never named. */
static void live_registry_pending_expire(live_registry *registry,
                                         int64_t now_us)
{
    size_t i = 0;

    while (i < registry->count) {
        live_registry_entry *entry = &registry->entries[i];
        if (!entry->known && entry->ready_pending &&
            now_us - entry->ready_at_us >= registry->pending_ttl_us) {
            *entry = registry->entries[--registry->count];
            continue;
        }
        i++;
    }
}

int live_registry_ready_defer(live_registry *registry, const char *id,
                              int64_t now_us)
{
    size_t pending = 0;

    if (!live_id_valid(id)) {
        return -EINVAL;
    }
    live_registry_pending_expire(registry, now_us);
    for (size_t i = 0; i < registry->count; i++) {
        pending += registry->entries[i].ready_pending;
    }
    live_registry_entry *entry = live_registry_find(registry, id);
    if (!entry) {
        if (pending >= LIVE_REGISTRY_PENDING_MAX ||
            !(entry = live_registry_add(registry, id))) {
            return -ENOMEM;
        }
    }
    entry->ready_pending = true;
    entry->ready_at_us = now_us;
    return 0;
}

bool live_registry_ready_take(live_registry *registry, const char *id)
{
    live_registry_entry *entry = live_registry_find(registry, id);
    if (!entry || !entry->ready_pending) {
        return false;
    }
    entry->ready_pending = false;
    return true;
}
