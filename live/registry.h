/* lbd's instance registry: where each known instance can be reached.
 *
 * The controller names instances by id only; the DFM adapter needs their
 * addresses. Entries come from the start-up state, the provider's replies
 * and its list. The registry also remembers a dfm_ready that came before
 * the provider's reply named the instance, so it can be passed on later. */
#ifndef LIVE_REGISTRY_H
#define LIVE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ports.h"

#define LIVE_ADDRESS_LEN_MAX 263

typedef struct live_registry_entry {
    char id[LB_ID_LEN_MAX + 1];
    char address[LIVE_ADDRESS_LEN_MAX + 1];
    bool known;         /* named by the provider or the start-up state */
    bool ready_pending; /* dfm_ready came while not known */
    int64_t ready_at_us; /* when that dfm_ready came, on the loop's clock */
} live_registry_entry;

typedef struct live_registry {
    live_registry_entry *entries;
    size_t count;
    size_t cap;
    /* How long a dfm_ready for an instance not known yet is kept, in
     * microseconds; it should exceed the provider's request timeout. */
    int64_t pending_ttl_us;
} live_registry;

#define LIVE_REGISTRY_PENDING_TTL_US (600ll * 1000000)

/* Sets pending_ttl_us to LIVE_REGISTRY_PENDING_TTL_US. */
void live_registry_init(live_registry *registry);
void live_registry_deinit(live_registry *registry);

/* Adds or updates a known instance. Returns 0, -EINVAL for an invalid id or
 * address, or -ENOMEM. */
int live_registry_set(live_registry *registry, const char *id,
                      const char *address);

/* Address of a known instance, or NULL. */
const char *live_registry_address(const live_registry *registry,
                                  const char *id);

void live_registry_remove(live_registry *registry, const char *id);

/* Records a dfm_ready that came at now_us for an instance not known yet.
 * Returns 0, -EINVAL for an invalid id, or -ENOMEM. At most
 * LIVE_REGISTRY_PENDING_MAX such instances are kept; one not named by the
 * provider within pending_ttl_us is forgotten. */
#define LIVE_REGISTRY_PENDING_MAX 64
int live_registry_ready_defer(live_registry *registry, const char *id,
                              int64_t now_us);

/* Returns true once if a dfm_ready was deferred for id, and forgets it. */
bool live_registry_ready_take(live_registry *registry, const char *id);

#endif
