/* Faults: process kills and instance crashes at given times, and the
 * provider rules (slow, fail). Message rules act in model_link.c. Each
 * fault draws from its own stream, so adding one moves no other. */
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "model_sim.h"

/* Whether fault f acts now: inside its window, under its count, and its
 * probability drawn from its own stream. */
static bool fault_fires(model_sim *sim, model_fault *f)
{
    sim_time_t now = model_now(sim);

    if (now < f->spec.at_us || now >= f->spec.until_us)
        return false;
    if (f->spec.count != 0 && f->hits >= f->spec.count)
        return false;
    if (f->spec.probability < 1.0 &&
        gsl_rng_uniform(f->rng) >= f->spec.probability)
        return false;
    f->hits++;
    return true;
}

static void fault_skipped(model_sim *sim, const model_fault *f,
                          const char *reason)
{
    char fields[256];

    snprintf(fields, sizeof(fields), "instance=%s reason=%s",
             f->instance != NULL ? f->instance : "-", reason);
    model_log(sim, LB_LOG_WARN, "fault_skipped", fields);
}

static void timed_fault_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    model_fault *f = &sim->faults[arg];
    uint32_t index = model_instance_find(sim, f->instance);

    (void)engine;
    if (!fault_fires(sim, f))
        return;
    if (index == MODEL_NONE) {
        fault_skipped(sim, f, "unknown_instance");
        return;
    }
    if (sim->instances[index].state != MODEL_INST_ACTIVE) {
        fault_skipped(sim, f, "instance_not_active");
        return;
    }

    if (f->spec.kind == WORLD_FAULT_KILL_PROCESS)
        model_dfm_process_died(sim, index, f->component_index);
    else
        model_instance_crash(sim, index);
}

int model_faults_start(model_sim *sim)
{
    for (size_t i = 0; i < sim->fault_count; i++) {
        world_fault_kind kind = sim->faults[i].spec.kind;

        if (kind == WORLD_FAULT_KILL_PROCESS ||
            kind == WORLD_FAULT_CRASH_INSTANCE)
            model_schedule(sim, sim->faults[i].spec.at_us, timed_fault_cb,
                           sim, i);
    }
    return 0;
}

sim_time_t model_fault_provider_delay_us(model_sim *sim)
{
    sim_time_t extra_us = 0;

    for (size_t i = 0; i < sim->fault_count; i++) {
        model_fault *f = &sim->faults[i];

        if (f->spec.kind == WORLD_FAULT_PROVIDER_SLOW && fault_fires(sim, f))
            extra_us += f->spec.delay_us;
    }
    return extra_us;
}

bool model_fault_provider_fails(model_sim *sim)
{
    bool fails = false;

    /* Every rule draws, so one rule's outcome does not shift another's
     * stream. */
    for (size_t i = 0; i < sim->fault_count; i++) {
        model_fault *f = &sim->faults[i];

        if (f->spec.kind == WORLD_FAULT_PROVIDER_FAIL && fault_fires(sim, f))
            fails = true;
    }
    return fails;
}
