/* Faults: process kills and instance crashes at given times, and the
 * provider rules (slow, fail). Message rules act in model_link.c. Each
 * fault draws from its own stream, so adding one moves no other.
 *
 * A kill or crash names its instance, which may be one the Provider
 * creates during the run ("vm-<n>"). It is looked up when the fault is
 * due. When it does not exist (yet, or any more), or is in no state the
 * fault can act on, the fault does nothing and logs fault_skipped with the
 * reason. */
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

    snprintf(fields, sizeof(fields), "fault=%s instance=%s component=%s "
             "reason=%s",
             f->spec.kind == WORLD_FAULT_KILL_PROCESS ? "kill_process"
                                                      : "crash_instance",
             f->instance != NULL ? f->instance : "-",
             f->component != NULL ? f->component : "-", reason);
    model_log(sim, LB_LOG_WARN, "fault_skipped", fields);
}

/* The reason a kill of process c on instance index cannot act, or NULL. */
static const char *kill_problem(const model_sim *sim, uint32_t index,
                                uint32_t c)
{
    const model_instance *inst = &sim->instances[index];
    model_process_state state = inst->procs[c].state;

    if (inst->state != MODEL_INST_ACTIVE)
        return "instance_not_active";
    if (state != MODEL_PROC_RUNNING && state != MODEL_PROC_STOPPING)
        return "process_not_running";
    return NULL;
}

/* The reason a crash of instance index cannot act, or NULL. A booting
 * instance can crash, and then it never sends dfm_ready. */
static const char *crash_problem(const model_sim *sim, uint32_t index)
{
    model_instance_state state = sim->instances[index].state;

    if (state != MODEL_INST_ACTIVE && state != MODEL_INST_BOOTING)
        return "instance_not_running";
    return NULL;
}

static void timed_fault_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    model_fault *f = &sim->faults[arg];
    uint32_t index = model_instance_find(sim, f->instance);
    bool kill = f->spec.kind == WORLD_FAULT_KILL_PROCESS;

    (void)engine;
    if (!fault_fires(sim, f))
        return;
    if (index == MODEL_NONE) {
        fault_skipped(sim, f, "instance_not_found");
        return;
    }

    const char *problem = kill ? kill_problem(sim, index, f->component_index)
                               : crash_problem(sim, index);

    if (problem != NULL) {
        fault_skipped(sim, f, problem);
        return;
    }
    if (kill)
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
