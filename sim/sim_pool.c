/* A memory pool: a list of blocks, one per allocation, freed together. */
#include "sim_pool.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sim_pool_block {
    sim_pool_block *next;
    alignas(max_align_t) unsigned char data[];
};

void sim_pool_init(sim_pool *pool)
{
    pool->head = NULL;
}

void sim_pool_deinit(sim_pool *pool)
{
    sim_pool_block *block = pool->head;

    while (block != NULL) {
        sim_pool_block *next = block->next;
        free(block);
        block = next;
    }
    pool->head = NULL;
}

void *sim_pool_alloc(sim_pool *pool, size_t size)
{
    sim_pool_block *block;

    if (size > SIZE_MAX - sizeof(*block)) {
        return NULL;
    }
    block = calloc(1, sizeof(*block) + size);
    if (block == NULL) {
        return NULL;
    }
    block->next = pool->head;
    pool->head = block;
    return block->data;
}

void *sim_pool_calloc(sim_pool *pool, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        return NULL;
    }
    return sim_pool_alloc(pool, count * size);
}

char *sim_pool_strdup(sim_pool *pool, const char *text)
{
    size_t len = strlen(text);
    char *copy = sim_pool_alloc(pool, len + 1);

    if (copy != NULL) {
        memcpy(copy, text, len + 1);
    }
    return copy;
}
