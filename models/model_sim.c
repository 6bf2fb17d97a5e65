/* Tables of the simulated topology: tenants, instances, components, and the
 * engine helpers every model uses. */
#include "model_sim.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"
#include "rng.h"

sim_time_t model_now(const model_sim *sim)
{
    if (sim->now_override_us >= 0)
        return sim->now_override_us;
    return sim_engine_now(sim->engine);
}

sim_event_id model_schedule(model_sim *sim, sim_time_t at_us, sim_event_cb cb,
                            void *ctx, uint64_t arg)
{
    sim_event_id id;
    sim_time_t now = model_now(sim);
    int rc = sim_engine_schedule(sim->engine, at_us < now ? now : at_us, cb,
                                 ctx, arg, &id);

    MODEL_ASSERT(rc == 0); /* only -ENOMEM is possible here */
    return id;
}

void model_cancel(model_sim *sim, sim_event_id id)
{
    /* -ENOENT (already ran or cancelled) is fine: callers cancel what may
     * have fired. */
    (void)sim_engine_cancel(sim->engine, id);
}

void model_log(model_sim *sim, lb_log_level level, const char *event,
               const char *fields)
{
    if (sim->observer.on_log != NULL)
        sim->observer.on_log(sim->observer.ctx, model_now(sim), level, event,
                             fields);
}

void model_violation(model_sim *sim, const char *name, const char *detail)
{
    if (sim->observer.on_violation != NULL)
        sim->observer.on_violation(sim->observer.ctx, model_now(sim), name,
                                   detail);
}

/* ---- tenants ---------------------------------------------------------- */

static uint64_t name_hash(const char *text)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);

    for (; *text != '\0'; text++)
        h = (h ^ (unsigned char)*text) * UINT64_C(0x100000001b3);
    return h;
}

static size_t hash_slot(const model_sim *sim, const char *id)
{
    size_t mask = sim->tenant_hash_cap - 1;
    size_t slot = (size_t)name_hash(id) & mask;

    while (sim->tenant_hash[slot] != MODEL_NONE &&
           strcmp(sim->tenants[sim->tenant_hash[slot]].id, id) != 0)
        slot = (slot + 1) & mask;
    return slot;
}

uint32_t model_tenant_find(const model_sim *sim, const char *id)
{
    if (sim->tenant_hash_cap == 0)
        return MODEL_NONE;
    return sim->tenant_hash[hash_slot(sim, id)];
}

static int hash_grow(model_sim *sim)
{
    size_t cap = sim->tenant_hash_cap == 0 ? 64 : sim->tenant_hash_cap * 2;
    uint32_t *table = malloc(cap * sizeof(*table));

    if (table == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < cap; i++)
        table[i] = MODEL_NONE;
    free(sim->tenant_hash);
    sim->tenant_hash = table;
    sim->tenant_hash_cap = cap;
    for (uint32_t t = 0; t < sim->tenant_count; t++)
        table[hash_slot(sim, sim->tenants[t].id)] = t;
    return 0;
}

static int tenant_streams(model_sim *sim, model_tenant *tenant)
{
    char domain[LB_ID_LEN_MAX + 32];

    /* Streams are keyed by the tenant's name, so adding a tenant or a
     * component, or changing the policy, moves no other tenant's traffic. */
    snprintf(domain, sizeof(domain), "tenant.arrivals/%s", tenant->id);
    tenant->arrival_rng = sim_rng_stream(sim->seed, domain, 0);
    snprintf(domain, sizeof(domain), "tenant.mix/%s", tenant->id);
    tenant->mix_rng = sim_rng_stream(sim->seed, domain, 0);
    snprintf(domain, sizeof(domain), "tenant.service/%s", tenant->id);
    tenant->service_rng = sim_rng_stream(sim->seed, domain, 0);
    if (tenant->arrival_rng == NULL || tenant->mix_rng == NULL ||
        tenant->service_rng == NULL)
        return -ENOMEM;
    return 0;
}

uint32_t model_tenant_intern(model_sim *sim, const char *id)
{
    uint32_t found = model_tenant_find(sim, id);

    if (found != MODEL_NONE)
        return found;
    if (strlen(id) > LB_ID_LEN_MAX || id[0] == '\0')
        return MODEL_NONE;
    if ((sim->tenant_count + 1) * 2 > sim->tenant_hash_cap &&
        hash_grow(sim) != 0)
        return MODEL_NONE;
    if (sim->tenant_count == sim->tenant_cap) {
        size_t cap = sim->tenant_cap == 0 ? 16 : sim->tenant_cap * 2;
        model_tenant *grown = realloc(sim->tenants, cap * sizeof(*grown));

        if (grown == NULL)
            return MODEL_NONE;
        sim->tenants = grown;
        sim->tenant_cap = cap;
    }

    uint32_t index = (uint32_t)sim->tenant_count;
    model_tenant *tenant = &sim->tenants[index];

    memset(tenant, 0, sizeof(*tenant));
    strcpy(tenant->id, id);
    tenant->cost_factor = 1.0;
    tenant->mix_cdf[0] = 1.0;
    for (size_t c = 1; c < LB_COMPONENTS_MAX; c++)
        tenant->mix_cdf[c] = 1.0;
    tenant->next_clone = MODEL_NONE;
    for (size_t c = 0; c < LB_COMPONENTS_MAX; c++) {
        tenant->route[c] = MODEL_NONE;
        tenant->violating_since_us[c] = -1;
    }
    sim->tenant_count++;
    if (tenant_streams(sim, tenant) != 0)
        return MODEL_NONE;
    sim->tenant_hash[hash_slot(sim, id)] = index;
    return index;
}

static int check_pattern(const world_pattern *p, const char *id, char *err,
                         size_t err_len)
{
    if (p->kind < WORLD_PATTERN_NONE || p->kind > WORLD_PATTERN_DIURNAL) {
        snprintf(err, err_len, "tenant %s: unknown pattern kind %d", id,
                 (int)p->kind);
        return -EINVAL;
    }
    if (!(p->rate_per_s >= 0) || !(p->rate2_per_s >= 0)) {
        snprintf(err, err_len,
                 "tenant %s: pattern rates must be numbers >= 0", id);
        return -EINVAL;
    }
    if (p->kind == WORLD_PATTERN_RAMP && p->end_us <= p->start_us) {
        snprintf(err, err_len, "tenant %s: ramp needs end_us > start_us",
                 id);
        return -EINVAL;
    }
    if (p->kind == WORLD_PATTERN_DIURNAL &&
        (p->period_us <= 0 || p->rate2_per_s > p->rate_per_s)) {
        snprintf(err, err_len,
                 "tenant %s: diurnal needs period_us > 0 and an amplitude "
                 "(rate2_per_s) no larger than the mean (rate_per_s)",
                 id);
        return -EINVAL;
    }
    return 0;
}

static int set_mix(model_sim *sim, model_tenant *tenant,
                   const world_tenant_config *config, char *err,
                   size_t err_len)
{
    double total = 0;

    for (size_t c = 0; c < LB_COMPONENTS_MAX; c++) {
        double share = config->mix[c];

        if (!(share >= 0) || (share > 0 && c >= sim->component_count)) {
            snprintf(err, err_len,
                     "tenant %s: mix[%zu] must be >= 0 and name one of the "
                     "%zu components",
                     tenant->id, c, sim->component_count);
            return -EINVAL;
        }
        total += share;
    }

    /* No mix given: every request goes to the first component (DEV). */
    double sum = 0;

    for (size_t c = 0; c < LB_COMPONENTS_MAX; c++) {
        sum += total > 0 ? config->mix[c] / total : (c == 0 ? 1.0 : 0.0);
        tenant->mix_cdf[c] = sum;
    }
    tenant->mix_cdf[LB_COMPONENTS_MAX - 1] = 1.0;
    return 0;
}

int model_tenant_configure(model_sim *sim, uint32_t index,
                           const world_tenant_config *config, char *err,
                           size_t err_len)
{
    model_tenant *tenant = &sim->tenants[index];
    int rc = check_pattern(&config->pattern, tenant->id, err, err_len);

    if (rc == 0)
        rc = set_mix(sim, tenant, config, err, err_len);
    if (rc != 0)
        return rc;
    if (!(config->cost_factor >= 0)) {
        snprintf(err, err_len, "tenant %s: cost_factor must be >= 0",
                 tenant->id);
        return -EINVAL;
    }

    tenant->pattern = config->pattern;
    /* 0 means "not set": a request costs its service time as drawn. */
    tenant->cost_factor = config->cost_factor > 0 ? config->cost_factor : 1.0;
    return 0;
}

/* ---- instances --------------------------------------------------------- */

uint32_t model_instance_find(const model_sim *sim, const char *id)
{
    for (uint32_t i = 0; i < sim->instance_count; i++)
        if (strcmp(sim->instances[i].id, id) == 0)
            return i;
    return MODEL_NONE;
}

uint32_t model_instance_add(model_sim *sim, const char *id)
{
    if (strlen(id) > LB_ID_LEN_MAX)
        return MODEL_NONE;
    if (sim->instance_count == sim->instance_cap) {
        size_t cap = sim->instance_cap == 0 ? 8 : sim->instance_cap * 2;
        model_instance *grown = realloc(sim->instances, cap * sizeof(*grown));

        if (grown == NULL)
            return MODEL_NONE;
        sim->instances = grown;
        sim->instance_cap = cap;
    }

    model_instance *inst = &sim->instances[sim->instance_count];
    size_t ring = sim->nginx.drop_errors > 0 ? sim->nginx.drop_errors : 1;

    memset(inst, 0, sizeof(*inst));
    inst->error_ring = calloc(ring, sizeof(*inst->error_ring));
    if (inst->error_ring == NULL)
        return MODEL_NONE;
    strcpy(inst->id, id);
    snprintf(inst->dfm_name, sizeof(inst->dfm_name), "dfm/%s", id);
    snprintf(inst->dev_name, sizeof(inst->dev_name), "dev/%s", id);
    inst->state = MODEL_INST_BOOTING;
    inst->rate = 1.0;
    inst->overload_since_us = -1;
    inst->low_load_since_us = -1;
    inst->dropping_notified_us = -1;
    inst->work_at_us = model_now(sim);
    inst->dfm_mark_us = model_now(sim);
    inst->sample_mark_us = model_now(sim);
    return (uint32_t)sim->instance_count++;
}

uint32_t model_component_find(const model_sim *sim, const char *name)
{
    for (uint32_t c = 0; c < sim->component_count; c++)
        if (strcmp(sim->components[c].name, name) == 0)
            return c;
    return MODEL_NONE;
}

static void instance_free(model_instance *inst)
{
    for (size_t c = 0; c < LB_COMPONENTS_MAX; c++)
        free(inst->procs[c].queue);
    free(inst->heap);
    free(inst->tenants);
    free(inst->error_ring);
}

static void tenant_free(model_tenant *tenant)
{
    gsl_rng_free(tenant->arrival_rng);
    gsl_rng_free(tenant->mix_rng);
    gsl_rng_free(tenant->service_rng);
    free(tenant->cells);
    model_latency_deinit(&tenant->latency);
}

static void faults_free(model_sim *sim)
{
    for (size_t i = 0; i < sim->fault_count; i++) {
        model_fault *f = &sim->faults[i];

        free(f->instance);
        free(f->component);
        free(f->from);
        free(f->to);
        free(f->kind_match);
        if (f->rng != NULL)
            gsl_rng_free(f->rng);
    }
    free(sim->faults);
}

void model_sim_destroy(model_sim *sim)
{
    if (sim == NULL)
        return;

    model_link_clear(sim);
    faults_free(sim);
    for (size_t i = 0; i < sim->tenant_event_count; i++)
        free((char *)sim->tenant_events[i].tenant.id);
    free(sim->tenant_events);
    for (size_t i = 0; i < sim->tenant_count; i++)
        tenant_free(&sim->tenants[i]);
    free(sim->tenants);
    free(sim->tenant_hash);
    for (size_t i = 0; i < sim->instance_count; i++)
        instance_free(&sim->instances[i]);
    free(sim->instances);
    for (size_t c = 0; c < sim->component_count; c++) {
        free(sim->components[c].name);
        model_sampler_deinit(&sim->components[c].service);
    }
    model_sampler_deinit(&sim->create_delay);
    model_sampler_deinit(&sim->remove_delay);
    model_sampler_deinit(&sim->restart_delay);
    model_sampler_deinit(&sim->boot_delay);
    model_sampler_deinit(&sim->link_latency);
    if (sim->link_rng != NULL)
        gsl_rng_free(sim->link_rng);
    if (sim->provider_rng != NULL)
        gsl_rng_free(sim->provider_rng);
    if (sim->has_trace)
        model_trace_close(&sim->trace);
    model_wheel_deinit(sim);
    free(sim->trace_path);
    free(sim->requests);
    free(sim->creates);
    free(sim->op_records);
    model_latency_deinit(&sim->sample_latency);
    free(sim->tenant_bin_of_us);
    free(sim->sample_bin_of_us);
    free(sim->sample_rows);
    if (sim->engine != NULL)
        sim_engine_destroy(sim->engine);
    free(sim);
}
