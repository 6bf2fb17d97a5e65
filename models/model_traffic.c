/* Tenant traffic: synthetic patterns and trace replay.
 *
 * Each tenant has one pending arrival event at most. Patterns are
 * non-homogeneous Poisson processes drawn by thinning: candidates at the
 * pattern's peak rate, each kept with probability rate(t) / peak. A trace
 * bucket of n requests places exactly n arrivals: a Poisson process
 * conditioned on its count, which is n sorted uniform points. They are drawn
 * one after another, each the minimum of the uniforms left, so a bucket
 * needs no memory. The trace file is read one bucket ahead. All draws
 * come from the tenant's own streams, so the policy never changes traffic. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "model_assert.h"
#include "model_sim.h"

#define TWO_PI 6.283185307179586

#define TRACE_CLONES_MAX 99999

/* Bucket width when a trace has a single time_s. */
#define TRACE_BUCKET_DEFAULT_S 60.0

static double pattern_rate(const world_pattern *p, double t_us)
{
    switch (p->kind) {
    case WORLD_PATTERN_NONE:
        return 0.0;
    case WORLD_PATTERN_CONSTANT:
        return p->rate_per_s;
    case WORLD_PATTERN_STEP:
        return t_us < (double)p->start_us ? p->rate_per_s : p->rate2_per_s;
    case WORLD_PATTERN_RAMP: {
        if (t_us <= (double)p->start_us)
            return p->rate_per_s;
        if (t_us >= (double)p->end_us)
            return p->rate2_per_s;

        double f = (t_us - (double)p->start_us) /
                   (double)(p->end_us - p->start_us);

        return p->rate_per_s + f * (p->rate2_per_s - p->rate_per_s);
    }
    case WORLD_PATTERN_SPIKE:
        return t_us >= (double)p->start_us && t_us < (double)p->end_us
                   ? p->rate2_per_s
                   : p->rate_per_s;
    case WORLD_PATTERN_DIURNAL:
        return p->rate_per_s +
               p->rate2_per_s * sin(TWO_PI * (t_us - (double)p->start_us) /
                                    (double)p->period_us);
    }
    return 0.0;
}

static double pattern_peak(const world_pattern *p)
{
    switch (p->kind) {
    case WORLD_PATTERN_CONSTANT:
        return p->rate_per_s;
    case WORLD_PATTERN_DIURNAL:
        return p->rate_per_s + p->rate2_per_s;
    case WORLD_PATTERN_NONE:
        return 0.0;
    default:
        return fmax(p->rate_per_s, p->rate2_per_s);
    }
}

/* Draws the next arrival time of a pattern tenant; false when none comes
 * before the end of the run. */
static bool next_pattern_arrival(model_sim *sim, model_tenant *tenant,
                                 double *at_us)
{
    double peak = pattern_peak(&tenant->pattern);
    double t = tenant->next_arrival_us;

    if (!(peak > 0))
        return false;
    for (;;) {
        t += gsl_ran_exponential(tenant->arrival_rng, 1e6 / peak);
        if (t >= (double)sim->duration_us)
            return false;
        if (gsl_rng_uniform(tenant->arrival_rng) * peak <
            pattern_rate(&tenant->pattern, t))
            break;
    }
    tenant->next_arrival_us = t;
    *at_us = t;
    return true;
}

static bool next_trace_arrival(model_tenant *tenant, double *at_us)
{
    if (tenant->bucket_left == 0)
        return false;

    /* The minimum of k uniforms on (pos, 1) is pos + (1 - pos)(1 - V^(1/k)).
     * gsl_rng_uniform_pos never returns 0, so the logarithm is defined.
     * 1 - V^(1/k) is computed as -expm1(ln(V) / k), which keeps its
     * precision for large k and costs less than pow. */
    double v = gsl_rng_uniform_pos(tenant->arrival_rng);
    double k = (double)tenant->bucket_left;

    tenant->bucket_pos += (1.0 - tenant->bucket_pos) * -expm1(log(v) / k);
    tenant->bucket_left--;

    /* Keep every arrival before the bucket's end, where the next bucket's
     * counts take over. */
    double end = tenant->bucket_start_us + tenant->bucket_width_us;
    double t = tenant->bucket_start_us + tenant->bucket_pos *
                                             tenant->bucket_width_us;

    *at_us = fmin(t, ceil(end) - 1.0);
    return true;
}

static void arrival_cb(sim_engine *engine, void *ctx, uint64_t arg);

static void schedule_next(model_sim *sim, uint32_t index)
{
    model_tenant *tenant = &sim->tenants[index];
    double at_us = 0;
    bool more = tenant->from_trace ? next_trace_arrival(tenant, &at_us)
                                   : next_pattern_arrival(sim, tenant, &at_us);

    if (!more || at_us >= (double)sim->duration_us)
        return;
    if (tenant->from_trace) {
        model_wheel_insert(sim, index, (sim_time_t)floor(at_us));
        return;
    }
    tenant->arrival_event = model_schedule(sim, (sim_time_t)floor(at_us),
                                           arrival_cb, sim, index);
    tenant->arrival_pending = true;
}

static uint32_t pick_component(model_tenant *tenant)
{
    /* A tenant of one component needs no draw; its mix stream serves
     * nothing else, so skipping the draw changes no other request. */
    if (tenant->mix_cdf[0] >= 1.0)
        return 0;

    double u = gsl_rng_uniform(tenant->mix_rng);
    uint32_t c = 0;

    while (c + 1 < LB_COMPONENTS_MAX && u >= tenant->mix_cdf[c])
        c++;
    return c;
}

static void emit_request(model_sim *sim, uint32_t index)
{
    uint32_t r = model_request_take(sim);
    model_request *req = &sim->requests[r];
    model_tenant *tenant = &sim->tenants[index];
    uint32_t component = pick_component(tenant);

    req->tenant = index;
    req->component = component;
    req->cpu_us = model_sampler_draw(&sim->components[component].service,
                                     tenant->service_rng) *
                  tenant->cost_factor;
    req->arrival_us = model_now(sim);
    tenant->requests++;
    model_nginx_route(sim, r);
}

void model_traffic_arrive(model_sim *sim, uint32_t index)
{
    sim->tenants[index].arrival_pending = false;
    if (!sim->tenants[index].sending)
        return;
    emit_request(sim, index);
    schedule_next(sim, index);
}

static void arrival_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    (void)engine;
    model_traffic_arrive(ctx, (uint32_t)arg);
}

void model_traffic_resume(model_sim *sim, uint32_t index)
{
    model_tenant *tenant = &sim->tenants[index];

    tenant->sending = true;
    if (tenant->arrival_pending || tenant->from_trace)
        return;
    tenant->next_arrival_us = (double)model_now(sim);
    schedule_next(sim, index);
}

void model_traffic_halt(model_sim *sim, uint32_t index)
{
    model_tenant *tenant = &sim->tenants[index];

    tenant->sending = false;
    tenant->bucket_left = 0;
    if (tenant->from_trace)
        model_wheel_remove(sim, index);
    else if (tenant->arrival_pending)
        model_cancel(sim, tenant->arrival_event);
    tenant->arrival_pending = false;
}

/* ---- trace replay ------------------------------------------------------ */

static double trace_time_scale(const model_sim *sim)
{
    return sim->trace_config.time_scale > 0 ? sim->trace_config.time_scale
                                            : 1.0;
}

static double trace_rate_scale(const model_sim *sim)
{
    return sim->trace_config.rate_scale > 0 ? sim->trace_config.rate_scale
                                            : 1.0;
}

static sim_time_t trace_row_at_us(const model_sim *sim, double time_s)
{
    return (sim_time_t)llround(time_s * trace_time_scale(sim) * 1e6);
}

/* Reads the next row into sim->trace_row: 1, 0 at the end, or an error. */
static int trace_read(model_sim *sim)
{
    int rc = model_trace_next(&sim->trace, &sim->trace_row, sim->trace_err,
                              sizeof(sim->trace_err));

    if (rc == 1) {
        snprintf(sim->trace_row_tenant, sizeof(sim->trace_row_tenant), "%s",
                 sim->trace_row.tenant);
        sim->trace_row.tenant = sim->trace_row_tenant;
    }
    return rc;
}

/* Scaled count: the fraction left by rate scaling becomes one more request
 * with that probability, so the expected count is exact. */
static uint64_t scaled_count(model_sim *sim, model_tenant *tenant,
                             uint64_t requests)
{
    double scaled = (double)requests * trace_rate_scale(sim);
    double whole = floor(scaled);

    if (gsl_rng_uniform(tenant->arrival_rng) < scaled - whole)
        whole += 1.0;
    return (uint64_t)whole;
}

static void apply_row(model_sim *sim, const model_trace_row *row)
{
    double start_us = (double)trace_row_at_us(sim, row->time_s);
    double width_us = sim->trace_bucket_s * trace_time_scale(sim) * 1e6;

    for (uint32_t t = model_tenant_find(sim, row->tenant); t != MODEL_NONE;
         t = sim->tenants[t].next_clone) {
        model_tenant *tenant = &sim->tenants[t];

        if (!tenant->from_trace || !tenant->sending)
            continue;
        tenant->bucket_left = scaled_count(sim, tenant, row->requests);
        tenant->bucket_pos = 0.0;
        tenant->bucket_start_us = start_us;
        tenant->bucket_width_us = width_us;
        if (!tenant->arrival_pending)
            schedule_next(sim, t);
    }
}

static void feeder_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    double bucket_s = sim->trace_row.time_s;
    int rc;

    (void)arg;
    do {
        apply_row(sim, &sim->trace_row);
        rc = trace_read(sim);
    } while (rc == 1 && sim->trace_row.time_s == bucket_s);

    if (rc < 0) {
        sim->trace_error = rc;
        sim_engine_stop(engine);
        return;
    }
    if (rc == 1)
        model_schedule(sim, trace_row_at_us(sim, sim->trace_row.time_s),
                       feeder_cb, sim, 0);
}

static int trace_start(model_sim *sim)
{
    int rc = model_trace_open(&sim->trace, sim->trace_path, sim->trace_err,
                              sizeof(sim->trace_err));

    if (rc != 0) {
        sim->trace_error = rc;
        return rc;
    }
    sim->has_trace = true;
    if (model_wheel_init(sim, sim->trace_bucket_s * trace_time_scale(sim) *
                                  1e6) != 0) {
        snprintf(sim->trace_err, sizeof(sim->trace_err),
                 "out of memory for the arrival wheel");
        sim->trace_error = -ENOMEM;
        return -ENOMEM;
    }
    rc = trace_read(sim);
    if (rc < 0) {
        sim->trace_error = rc;
        return rc;
    }
    if (rc == 1)
        model_schedule(sim, trace_row_at_us(sim, sim->trace_row.time_s),
                       feeder_cb, sim, 0);
    return 0;
}

int model_traffic_start(model_sim *sim)
{
    for (uint32_t t = 0; t < sim->tenant_count; t++) {
        model_tenant *tenant = &sim->tenants[t];

        if (!tenant->sending || tenant->from_trace)
            continue;
        tenant->next_arrival_us = 0.0;
        schedule_next(sim, t);
    }
    if (sim->trace_path != NULL)
        return trace_start(sim);
    return 0;
}

/* ---- the first pass over a trace ---------------------------------------- */

static int add_clones(model_sim *sim, uint32_t first, char *err,
                      size_t err_len)
{
    uint32_t clones = sim->trace_config.clones > 0 ? sim->trace_config.clones
                                                   : 1;
    uint32_t prev = first;

    for (uint32_t k = 1; k < clones; k++) {
        char id[LB_ID_LEN_MAX + 16];

        /* Trace ids are at most MODEL_TRACE_TENANT_LEN_MAX long and k has at
         * most 5 digits, so the clone id fits in LB_ID_LEN_MAX. */
        snprintf(id, sizeof(id), "%s-c%u", sim->tenants[first].id, k);
        uint32_t t = model_tenant_intern(sim, id);

        if (t == MODEL_NONE) {
            snprintf(err, err_len, "out of memory adding trace clones");
            return -ENOMEM;
        }

        /* Clones share the mix and cost of their original; their streams
         * are their own, so their arrivals are independent. */
        model_tenant *clone = &sim->tenants[t];
        const model_tenant *orig = &sim->tenants[first];

        memcpy(clone->mix_cdf, orig->mix_cdf, sizeof(clone->mix_cdf));
        clone->cost_factor = orig->cost_factor;
        clone->from_trace = true;
        clone->sending = true;
        sim->tenants[prev].next_clone = t;
        prev = t;
    }
    return 0;
}

static int scan_tenant(model_sim *sim, const char *id, char *err,
                       size_t err_len)
{
    uint32_t t = model_tenant_find(sim, id);

    if (t != MODEL_NONE && (sim->tenants[t].from_trace ||
                            sim->tenants[t].pattern.kind !=
                                WORLD_PATTERN_NONE))
        return 0;
    if (t == MODEL_NONE)
        t = model_tenant_intern(sim, id);
    if (t == MODEL_NONE) {
        snprintf(err, err_len, "out of memory reading the trace");
        return -ENOMEM;
    }
    sim->tenants[t].from_trace = true;
    sim->tenants[t].sending = true;
    return add_clones(sim, t, err, err_len);
}

int model_traffic_scan_trace(model_sim *sim, char *err, size_t err_len)
{
    const world_trace_config *tc = &sim->trace_config;
    model_trace_reader reader;
    model_trace_row row;
    double gap_s = 0;
    double last_s = -1;
    int rc;

    if (tc->time_scale < 0 || tc->rate_scale < 0 || tc->path == NULL ||
        tc->clones > TRACE_CLONES_MAX) {
        snprintf(err, err_len,
                 "trace: need a path, scales >= 0 and at most %d clones",
                 TRACE_CLONES_MAX);
        return -EINVAL;
    }
    rc = model_trace_open(&reader, sim->trace_path, err, err_len);
    if (rc != 0)
        return rc;

    while ((rc = model_trace_next(&reader, &row, err, err_len)) == 1) {
        if (last_s >= 0 && row.time_s > last_s &&
            (gap_s == 0 || row.time_s - last_s < gap_s))
            gap_s = row.time_s - last_s;
        last_s = row.time_s;
        rc = scan_tenant(sim, row.tenant, err, err_len);
        if (rc != 0)
            break;
    }
    model_trace_close(&reader);

    /* Buckets are as wide as the smallest step between two times. */
    sim->trace_bucket_s = gap_s > 0 ? gap_s : TRACE_BUCKET_DEFAULT_S;
    return rc < 0 ? rc : 0;
}
