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

/* Latencies below this many microseconds (65.5 ms) find their bins in a
 * table: 256 KiB for the two tables. */
#define LATENCY_TABLE_US (1u << 16)

static void latency_tables_build(model_sim *sim)
{
    model_latency_hist tenant_bins;

    sim->tenant_bin_of_us = malloc(LATENCY_TABLE_US * sizeof(uint16_t));
    sim->sample_bin_of_us = malloc(LATENCY_TABLE_US * sizeof(uint16_t));
    MODEL_ASSERT(sim->tenant_bin_of_us != NULL &&
                 sim->sample_bin_of_us != NULL); /* out of memory */
    model_latency_init(&tenant_bins, TENANT_LATENCY_GROWTH);
    model_latency_bin_table(&tenant_bins, sim->tenant_bin_of_us,
                            LATENCY_TABLE_US);
    model_latency_deinit(&tenant_bins);
    model_latency_bin_table(model_sample_latency_hist(sim),
                            sim->sample_bin_of_us, LATENCY_TABLE_US);
}

/* Adds a completed request's latency to its tenant's and the interval's
 * histograms: by table below LATENCY_TABLE_US, else with one logarithm for
 * both. */
static void latency_add(model_sim *sim, model_tenant *tenant,
                        sim_time_t latency_us)
{
    if (tenant->latency.hist == NULL)
        model_latency_init(&tenant->latency, TENANT_LATENCY_GROWTH);
    if (sim->tenant_bin_of_us == NULL)
        latency_tables_build(sim);
    if (latency_us < LATENCY_TABLE_US) {
        model_latency_add_bin(&tenant->latency,
                              sim->tenant_bin_of_us[latency_us]);
        model_latency_add_bin(model_sample_latency_hist(sim),
                              sim->sample_bin_of_us[latency_us]);
        return;
    }

    double ln_latency_us = log((double)latency_us);

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
        latency_add(sim, tenant, latency_us);
    } else {
        tenant->failed[reason]++;
    }
    count_stats(sim, req, reason != MODEL_FAIL_NONE, (uint64_t)latency_us);

    uint32_t instance = req->instance;
    sim_time_t sent_us = req->arrival_us;

    pool_give(sim, index);
    if (instance != MODEL_NONE && (reason == MODEL_FAIL_TIMEOUT ||
                                   reason == MODEL_FAIL_PROCESS_DOWN ||
                                   reason == MODEL_FAIL_PROCESS_STOPPED))
        model_nginx_note_error(sim, instance, sent_us);
}
