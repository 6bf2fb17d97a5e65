/* Time-series samples and the invariants the world can check itself.
 *
 * Every sample_interval_us the observer gets the requests, errors and
 * latency percentiles of the interval, and the CPU and counts of each
 * instance not removed. Invariants are checked at each sample and after
 * each routing table, and a failure is reported once when it begins.
 * - route_to_running: a tenant with traffic is routed to an instance that
 *   does not run a component its requests use. It is reported when this
 *   lasts longer than the grace time while another instance runs that
 *   component. since_us in the report is the first check that saw it.
 * - instances_within_bounds: the instances not removed are more than the
 *   policy's instances_max, or fewer than its instances_min for longer than
 *   the grace time.
 * no_request_after_stop is checked by NGINX as it routes each request. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model_assert.h"
#include "model_sim.h"

/* Interval latency bins grow by 1 %, so the sample percentiles are at most
 * 1 % high. */
#define SAMPLE_LATENCY_GROWTH 1.01

model_latency_hist *model_sample_latency_hist(model_sim *sim)
{
    if (sim->sample_latency.hist == NULL)
        model_latency_init(&sim->sample_latency, SAMPLE_LATENCY_GROWTH);
    return &sim->sample_latency;
}

void model_sample_latency(model_sim *sim, double ln_latency_us)
{
    model_latency_add_ln(model_sample_latency_hist(sim), ln_latency_us);
}

static const char *state_name(const model_instance *inst)
{
    switch (inst->state) {
    case MODEL_INST_BOOTING:
        return "booting";
    case MODEL_INST_ACTIVE:
        return "active";
    case MODEL_INST_CRASHED:
        return "crashed";
    case MODEL_INST_RESTARTING:
        return "restarting";
    case MODEL_INST_REMOVED:
        return "removed";
    }
    return "unknown";
}

static uint32_t instance_cpu(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];
    double span = (double)(model_now(sim) - inst->sample_mark_us) *
                  sim->instance_vcpus;
    double used = 0;

    model_instance_advance(sim, index);
    for (uint32_t c = 0; c < sim->component_count; c++) {
        model_process *p = &inst->procs[c];

        used += p->cpu_us - p->cpu_us_sample_mark;
        p->cpu_us_sample_mark = p->cpu_us;
    }
    inst->sample_mark_us = model_now(sim);
    return span > 0 ? (uint32_t)lround(used / span * 1000.0) : 0;
}

static size_t fill_instances(model_sim *sim)
{
    size_t count = 0;

    if (sim->sample_row_cap < sim->instance_count) {
        sim->sample_rows = realloc(sim->sample_rows, sim->instance_count *
                                                         sizeof(*sim->sample_rows));
        MODEL_ASSERT(sim->sample_rows != NULL); /* out of memory */
        sim->sample_row_cap = sim->instance_count;
    }
    for (uint32_t i = 0; i < sim->instance_count; i++) {
        model_instance *inst = &sim->instances[i];
        uint32_t cpu = instance_cpu(sim, i);

        if (inst->state != MODEL_INST_REMOVED)
            sim->sample_rows[count++] = (world_instance_sample){
                .instance = inst->id,
                .state = state_name(inst),
                .cpu_permille = cpu,
                .requests = inst->sample_requests,
                .errors = inst->sample_errors,
            };
        inst->sample_requests = 0;
        inst->sample_errors = 0;
    }
    return count;
}

static void fill_latency(model_sim *sim, world_sample *sample)
{
    model_latency_hist *lh = &sim->sample_latency;

    sample->latency_p50_us = model_latency_quantile(lh, 0.5);
    sample->latency_p95_us = model_latency_quantile(lh, 0.95);
    sample->latency_p99_us = model_latency_quantile(lh, 0.99);
    model_latency_reset(lh);
}

static void sample_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    world_sample sample = {.at_us = model_now(sim)};

    (void)engine;
    (void)arg;
    model_instances_sync(sim);
    sample.requests = sim->sample_requests;
    sample.errors = sim->sample_errors;
    fill_latency(sim, &sample);
    sample.routing_changes = sim->routing_changes;
    sample.pending_provider_requests = sim->pending_provider_requests;
    sample.instance_count = fill_instances(sim);
    sample.instances = sim->sample_rows;
    sim->sample_requests = 0;
    sim->sample_errors = 0;
    sim->routing_changes = 0;

    if (sim->observer.on_sample != NULL)
        sim->observer.on_sample(sim->observer.ctx, &sample);
    model_invariants_check(sim);

    sim_time_t next = model_now(sim) + sim->sample_interval_us;

    if (next <= sim->duration_us)
        model_schedule(sim, next, sample_cb, sim, 0);
}

int model_sample_start(model_sim *sim)
{
    if (sim->sample_latency.hist == NULL)
        model_latency_init(&sim->sample_latency, SAMPLE_LATENCY_GROWTH);
    if (sim->sample_interval_us <= sim->duration_us)
        model_schedule(sim, sim->sample_interval_us, sample_cb, sim, 0);
    return 0;
}

/* ---- invariants ----------------------------------------------------------- */

static bool runs(const model_sim *sim, uint32_t index, uint32_t c)
{
    return index != MODEL_NONE &&
           sim->instances[index].state == MODEL_INST_ACTIVE &&
           sim->instances[index].procs[c].state == MODEL_PROC_RUNNING;
}

static bool any_runs(const model_sim *sim, uint32_t c)
{
    for (uint32_t i = 0; i < sim->instance_count; i++)
        if (runs(sim, i, c))
            return true;
    return false;
}

static double mix_share(const model_tenant *tenant, uint32_t c)
{
    return tenant->mix_cdf[c] - (c == 0 ? 0.0 : tenant->mix_cdf[c - 1]);
}

static void check_tenant(model_sim *sim, uint32_t t, const bool *available)
{
    model_tenant *tenant = &sim->tenants[t];
    sim_time_t now = model_now(sim);

    for (uint32_t c = 0; c < sim->component_count; c++) {
        uint32_t instance = tenant->route[c] != MODEL_NONE
                                ? tenant->route[c]
                                : sim->default_instance;
        bool ok = !(mix_share(tenant, c) > 0) || runs(sim, instance, c) ||
                  !available[c];

        if (ok) {
            tenant->violating_since_us[c] = -1;
            tenant->violating_mask &= ~(1u << c);
            continue;
        }
        if (tenant->violating_since_us[c] < 0)
            tenant->violating_since_us[c] = now;
        if ((tenant->violating_mask & (1u << c)) ||
            now - tenant->violating_since_us[c] < sim->invariant_grace_us)
            continue;

        char detail[256];

        tenant->violating_mask |= 1u << c;
        snprintf(detail, sizeof(detail),
                 "tenant=%s component=%s instance=%s since_us=%" PRId64,
                 tenant->id, sim->components[c].name,
                 instance == MODEL_NONE ? "-" : sim->instances[instance].id,
                 tenant->violating_since_us[c]);
        model_violation(sim, "route_to_running", detail);
    }
}

/* Whether the count has been below instances_min for longer than the grace
 * time. Being below it briefly is normal: at start, or after an instance
 * failed, the controller needs a create and a boot to get back up. */
static bool bounds_below_min_too_long(model_sim *sim, uint32_t count)
{
    sim_time_t now = sim_engine_now(sim->engine);

    if (count >= sim->instances_min) {
        sim->below_min_since_us = -1;
        return false;
    }
    if (sim->below_min_since_us < 0)
        sim->below_min_since_us = now;
    return now - sim->below_min_since_us >= sim->invariant_grace_us;
}

static void check_bounds(model_sim *sim)
{
    uint32_t count = 0;

    if (!sim->bounds_known)
        return;
    for (uint32_t i = 0; i < sim->instance_count; i++)
        count += sim->instances[i].state != MODEL_INST_REMOVED;

    bool outside = count > sim->instances_max ||
                   bounds_below_min_too_long(sim, count);

    if (outside && !sim->bounds_violating) {
        char detail[128];

        snprintf(detail, sizeof(detail),
                 "instances=%u instances_min=%u instances_max=%u", count,
                 sim->instances_min, sim->instances_max);
        model_violation(sim, "instances_within_bounds", detail);
    }
    sim->bounds_violating = outside;
}

void model_invariants_check(model_sim *sim)
{
    bool available[LB_COMPONENTS_MAX];

    for (uint32_t c = 0; c < sim->component_count; c++)
        available[c] = any_runs(sim, c);
    for (uint32_t t = 0; t < sim->tenant_count; t++)
        if (sim->tenants[t].sending)
            check_tenant(sim, t, available);
    check_bounds(sim);
}
