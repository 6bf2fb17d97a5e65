/* The request pool and the accounting of each request's outcome.
 *
 * Requests are recycled through a free list. The pool grows (by doubling)
 * only when more requests are in flight than ever before, so the
 * per-request path does not allocate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"
#include "model_sim.h"

/* Tenants' latency bins grow by 5 %, so a tenant's p99 is at most 5 % high. */
#define TENANT_LATENCY_GROWTH 1.05

static void pool_grow(model_sim *sim)
{
    size_t cap = sim->request_cap == 0 ? 1024 : sim->request_cap * 2;
    model_request *grown = realloc(sim->requests, cap * sizeof(*grown));

    MODEL_ASSERT(grown != NULL); /* out of memory */
    MODEL_ASSERT(cap < MODEL_NONE);
    memset(grown + sim->request_cap, 0,
           (cap - sim->request_cap) * sizeof(*grown));
    for (size_t i = sim->request_cap; i < cap; i++)
        grown[i].next_free = i + 1 < cap ? (uint32_t)(i + 1) : MODEL_NONE;
    sim->requests = grown;
    sim->request_free = (uint32_t)sim->request_cap;
    sim->request_cap = cap;
}

uint32_t model_request_take(model_sim *sim)
{
    if (sim->request_free == MODEL_NONE)
        pool_grow(sim);

    uint32_t index = sim->request_free;
    model_request *req = &sim->requests[index];

    sim->request_free = req->next_free;
    memset(req, 0, sizeof(*req));
    req->where = MODEL_REQ_NEW;
    req->instance = MODEL_NONE;
    req->seq = sim->request_seq++;
    return index;
}

static void pool_give(model_sim *sim, uint32_t index)
{
    model_request *req = &sim->requests[index];

    req->where = MODEL_REQ_FREE;
    req->next_free = sim->request_free;
    sim->request_free = index;
}

/* Adds a completed request's latency to its tenant's and the interval's
 * histograms, with one logarithm for both. */
static void latency_add(model_sim *sim, model_tenant *tenant,
                        double latency_us)
{
    double ln_latency_us = latency_us >= 1.0 ? log(latency_us) : -1.0;

    if (tenant->latency.hist == NULL)
        model_latency_init(&tenant->latency, TENANT_LATENCY_GROWTH);
    model_latency_add_ln(&tenant->latency, ln_latency_us);
    model_sample_latency(sim, ln_latency_us);
}

static model_stats_cell *stats_cell(model_tenant *tenant, uint32_t instance,
                                    uint32_t component)
{
    for (size_t i = 0; i < tenant->cell_count; i++) {
        model_stats_cell *cell = &tenant->cells[i];

        if (cell->instance == instance && cell->component == component)
            return cell;
    }
    if (tenant->cell_count == tenant->cell_cap) {
        size_t cap = tenant->cell_cap == 0 ? 2 : tenant->cell_cap * 2;

        tenant->cells = realloc(tenant->cells, cap * sizeof(*tenant->cells));
        MODEL_ASSERT(tenant->cells != NULL); /* out of memory */
        tenant->cell_cap = cap;
    }

    model_stats_cell *cell = &tenant->cells[tenant->cell_count++];

    memset(cell, 0, sizeof(*cell));
    cell->instance = instance;
    cell->component = component;
    return cell;
}

static void count_stats(model_sim *sim, const model_request *req,
                        bool failed, uint64_t latency_us)
{
    model_tenant *tenant = &sim->tenants[req->tenant];
    model_stats_cell *cell = stats_cell(tenant, req->instance, req->component);

    cell->requests++;
    cell->errors += failed;
    cell->latency_us_sum += latency_us;
    if (latency_us > cell->latency_us_max)
        cell->latency_us_max = latency_us;

    sim->sample_requests++;
    sim->sample_errors += failed;
    if (req->instance != MODEL_NONE) {
        model_instance *inst = &sim->instances[req->instance];

        inst->sample_requests++;
        inst->sample_errors += failed;
    }
}

void model_request_finish(model_sim *sim, uint32_t index,
                          model_fail_reason reason)
{
    model_request *req = &sim->requests[index];
    model_tenant *tenant = &sim->tenants[req->tenant];
    sim_time_t latency_us = model_now(sim) - req->arrival_us;

    MODEL_ASSERT(req->where != MODEL_REQ_FREE && latency_us >= 0);
    if (reason == MODEL_FAIL_NONE) {
        tenant->completed++;
        tenant->latency_us_sum += (double)latency_us;
        tenant->wait_us_sum +=
            (double)(req->service_start_us - req->arrival_us);
        latency_add(sim, tenant, (double)latency_us);
    } else {
        tenant->failed[reason]++;
    }
    count_stats(sim, req, reason != MODEL_FAIL_NONE, (uint64_t)latency_us);

    uint32_t instance = req->instance;

    pool_give(sim, index);
    if (instance != MODEL_NONE && (reason == MODEL_FAIL_TIMEOUT ||
                                   reason == MODEL_FAIL_PROCESS_DOWN ||
                                   reason == MODEL_FAIL_PROCESS_STOPPED))
        model_nginx_note_error(sim, instance);
}
