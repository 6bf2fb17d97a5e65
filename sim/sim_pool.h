/* A memory pool that frees everything it handed out in one call.
 *
 * The scenario loader and the message recorder build many small strings and
 * arrays that live as long as the run, so the pool spares each of them its
 * own free. Allocations are aligned for any type. */
#ifndef SIM_POOL_H
#define SIM_POOL_H

#include <stddef.h>

typedef struct sim_pool_block sim_pool_block;

typedef struct sim_pool {
    sim_pool_block *head;
} sim_pool;

void sim_pool_init(sim_pool *pool);

/* Releases every allocation of the pool; the pool can be used again. */
void sim_pool_deinit(sim_pool *pool);

/* Returns size zeroed bytes, or NULL when memory runs out. */
void *sim_pool_alloc(sim_pool *pool, size_t size);

/* Returns count zeroed elements of size bytes, or NULL on overflow or when
 * memory runs out. */
void *sim_pool_calloc(sim_pool *pool, size_t count, size_t size);

/* Returns a copy of text, or NULL when memory runs out. */
char *sim_pool_strdup(sim_pool *pool, const char *text);

#endif
