/* Component processes on an instance: worker pools, bounded queues and the
 * sharing of the instance's vCPUs.
 *
 * CPU model (processor sharing): every request on a worker, and every
 * warm-up burn, demands CPU at once. While the demand fits in the
 * instance's vCPUs, each request progresses at full speed. Beyond that, all
 * of them slow down by the same factor vcpus / demand. A request needs its
 * CPU time (service time times the tenant's cost factor) of progress, so on
 * an idle instance its time on a worker equals its CPU time, and the
 * M/M/c formulas apply. Each process adds up the CPU it received, which the
 * DFM and the samples read. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"
#include "model_sim.h"

/* Work (CPU microseconds) below which a request counts as done: absorbs
 * the rounding of event times to whole microseconds. */
#define WORK_EPSILON 1e-6

/* ---- the heap of requests on workers, ordered by completion work ---- */

static bool heap_less(const model_work_entry *a, const model_work_entry *b)
{
    if (a->work_done_at != b->work_done_at)
        return a->work_done_at < b->work_done_at;
    return a->seq < b->seq;
}

static void heap_sift_up(model_instance *inst, size_t pos)
{
    model_work_entry item = inst->heap[pos];

    while (pos > 0) {
        size_t parent = (pos - 1) / 2;

        if (!heap_less(&item, &inst->heap[parent]))
            break;
        inst->heap[pos] = inst->heap[parent];
        pos = parent;
    }
    inst->heap[pos] = item;
}

static void heap_sift_down(model_instance *inst, size_t pos)
{
    size_t len = inst->busy;
    model_work_entry item = inst->heap[pos];

    for (;;) {
        size_t child = 2 * pos + 1;

        if (child >= len)
            break;
        if (child + 1 < len &&
            heap_less(&inst->heap[child + 1], &inst->heap[child]))
            child++;
        if (!heap_less(&inst->heap[child], &item))
            break;
        inst->heap[pos] = inst->heap[child];
        pos = child;
    }
    inst->heap[pos] = item;
}

static void heap_push(model_sim *sim, model_instance *inst, uint32_t r)
{
    const model_request *req = &sim->requests[r];

    if (inst->busy == inst->heap_cap) {
        size_t cap = inst->heap_cap == 0 ? 16 : inst->heap_cap * 2;

        inst->heap = realloc(inst->heap, cap * sizeof(*inst->heap));
        MODEL_ASSERT(inst->heap != NULL); /* out of memory */
        inst->heap_cap = cap;
    }
    inst->heap[inst->busy] = (model_work_entry){
        .work_done_at = req->work_done_at, .seq = req->seq, .request = r};
    inst->busy++;
    heap_sift_up(inst, inst->busy - 1);
}

static uint32_t heap_pop(model_instance *inst)
{
    uint32_t top = inst->heap[0].request;

    inst->busy--;
    if (inst->busy > 0) {
        inst->heap[0] = inst->heap[inst->busy];
        heap_sift_down(inst, 0);
    }
    return top;
}

/* ---- work clock and rate ---------------------------------------------- */

static double burn_vcpus(const model_sim *sim, const model_process *p)
{
    return p->warmup_until_us > model_now(sim) &&
                   p->state == MODEL_PROC_RUNNING
               ? sim->dfm.warmup_cpu_permille / 1000.0 * sim->instance_vcpus
               : 0.0;
}

/* Brings the work clock and CPU counters up to now, without running the
 * completions that fell due on the way. */
static void advance_work(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];
    sim_time_t now = model_now(sim);
    double dt = (double)(now - inst->work_at_us);

    if (dt <= 0)
        return;

    /* The rate and the burns were fixed at the previous change, and hold
     * until now: the warm-up end is an event of its own. */
    inst->work += inst->rate * dt;
    for (size_t c = 0; c < sim->component_count; c++) {
        model_process *p = &inst->procs[c];
        double burn = p->warmup_until_us >= now &&
                              p->state == MODEL_PROC_RUNNING &&
                              sim->dfm.warmup_cpu_permille > 0
                          ? sim->dfm.warmup_cpu_permille / 1000.0 *
                                sim->instance_vcpus
                          : 0.0;

        p->cpu_us += ((double)p->busy + burn) * inst->rate * dt;
    }
    inst->work_at_us = now;
}

static void completion_cb(sim_engine *engine, void *ctx, uint64_t arg);

/* A completion needs an event of its own only while a process of the
 * instance is stopping, because the end of its last request sends a
 * message at that moment. Otherwise no other model reads a completion
 * before it reads the instance, and every reader first runs the
 * completions due (model_instance_sync), each at its own time. This saves
 * one event per request. */
static bool completion_needs_event(const model_sim *sim,
                                   const model_instance *inst)
{
    for (size_t c = 0; c < sim->component_count; c++)
        if (inst->procs[c].state == MODEL_PROC_STOPPING)
            return true;
    return false;
}

static void cancel_completion(model_sim *sim, model_instance *inst)
{
    if (inst->completion_pending && !inst->completion_lazy)
        model_cancel(sim, inst->completion_event);
    inst->completion_pending = false;
    inst->completion_lazy = false;
}

static void reschedule_completion(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];

    if (inst->busy == 0) {
        cancel_completion(sim, inst);
        return;
    }

    double left = fmax(inst->heap[0].work_done_at - inst->work, 0.0);
    sim_time_t at_us = model_now(sim) + (sim_time_t)ceil(left / inst->rate);
    bool lazy = !completion_needs_event(sim, inst);

    if (inst->completion_pending && inst->completion_at_us == at_us &&
        inst->completion_lazy == lazy)
        return;
    cancel_completion(sim, inst);
    if (!lazy)
        inst->completion_event = model_schedule(sim, at_us, completion_cb,
                                                sim, index);
    inst->completion_at_us = at_us;
    inst->completion_pending = true;
    inst->completion_lazy = lazy;
}

/* Sets the rate from the current demand; call after advance and a change. */
static void recompute(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];
    double demand = inst->busy;

    /* Without warm-up burns the demand is the busy workers alone. */
    if (sim->dfm.warmup_cpu_permille > 0)
        for (size_t c = 0; c < sim->component_count; c++)
            demand += burn_vcpus(sim, &inst->procs[c]);
    inst->rate = demand <= sim->instance_vcpus
                     ? 1.0
                     : (double)sim->instance_vcpus / demand;
    reschedule_completion(sim, index);
}

/* ---- queues ------------------------------------------------------------ */

static void queue_push(model_process *p, uint32_t r)
{
    if (p->queue_len == p->queue_cap) {
        size_t cap = p->queue_cap == 0 ? 16 : p->queue_cap * 2;
        uint32_t *grown = malloc(cap * sizeof(*grown));

        MODEL_ASSERT(grown != NULL); /* out of memory */
        for (size_t i = 0; i < p->queue_len; i++)
            grown[i] = p->queue[(p->queue_head + i) % p->queue_cap];
        free(p->queue);
        p->queue = grown;
        p->queue_cap = cap;
        p->queue_head = 0;
    }
    p->queue[(p->queue_head + p->queue_len) % p->queue_cap] = r;
    p->queue_len++;
}

static uint32_t queue_pop(model_process *p)
{
    uint32_t r = p->queue[p->queue_head];

    p->queue_head = (p->queue_head + 1) % p->queue_cap;
    p->queue_len--;
    return r;
}

static void start_service(model_sim *sim, model_instance *inst,
                          model_process *p, uint32_t r)
{
    model_request *req = &sim->requests[r];

    req->where = MODEL_REQ_SERVICE;
    req->service_start_us = model_now(sim);
    req->work_done_at = inst->work + req->cpu_us;
    p->busy++;
    heap_push(sim, inst, r);
}

/* Moves queued requests onto free workers; reports a finished stop. */
static void process_refill(model_sim *sim, uint32_t index, uint32_t c)
{
    model_instance *inst = &sim->instances[index];
    model_process *p = &inst->procs[c];

    while (p->busy < sim->components[c].workers && p->queue_len > 0)
        start_service(sim, inst, p, queue_pop(p));
    if (p->state == MODEL_PROC_STOPPING && p->busy == 0 && p->queue_len == 0)
        model_dfm_process_idle(sim, index, c);
}

/* Completes the requests whose work is done now, refills the workers from
 * the queues and sets the next completion. */
static void complete_due(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];
    lb_component_mask freed = 0;

    inst->completion_pending = false;
    inst->completion_lazy = false;
    advance_work(sim, index);
    while (inst->busy > 0 &&
           inst->heap[0].work_done_at <= inst->work + WORK_EPSILON) {
        uint32_t r = heap_pop(inst);
        uint32_t c = sim->requests[r].component;

        inst->procs[c].busy--;
        freed |= 1u << c;
        model_request_finish(sim, r, MODEL_FAIL_NONE);
    }
    for (uint32_t c = 0; c < sim->component_count; c++)
        if (freed & (1u << c))
            process_refill(sim, index, c);
    recompute(sim, index);
}

static void completion_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    (void)engine;
    complete_due(ctx, (uint32_t)arg);
}

void model_instance_sync(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];
    sim_time_t now = model_now(sim);

    /* Each round completes a request or sets a later completion time, and
     * the loop ends at the first completion after now. */
    while (inst->completion_pending && inst->completion_lazy &&
           inst->completion_at_us <= now) {
        sim->now_override_us = inst->completion_at_us;
        complete_due(sim, index);
        sim->now_override_us = -1;
    }

    /* A stop that began since turns the pending completion into an event. */
    if (inst->completion_pending && inst->completion_lazy &&
        completion_needs_event(sim, inst))
        reschedule_completion(sim, index);
}

void model_instances_sync(model_sim *sim)
{
    for (uint32_t i = 0; i < sim->instance_count; i++)
        model_instance_sync(sim, i);
}

void model_instance_advance(model_sim *sim, uint32_t index)
{
    model_instance_sync(sim, index);
    advance_work(sim, index);
}

/* ---- requests arriving and leaving ------------------------------------ */

static void timeout_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    (void)engine;
    model_request_finish(ctx, (uint32_t)arg, MODEL_FAIL_TIMEOUT);
}

void model_request_wait_timeout(model_sim *sim, uint32_t r)
{
    model_request *req = &sim->requests[r];

    req->where = MODEL_REQ_WAIT_TIMEOUT;
    req->timeout_event = model_schedule(
        sim, req->arrival_us + sim->nginx.request_timeout_us, timeout_cb, sim,
        r);
}

void model_instance_accept(model_sim *sim, uint32_t r)
{
    model_request *req = &sim->requests[r];
    uint32_t index = req->instance;
    model_instance *inst = &sim->instances[index];
    model_process *p = &inst->procs[req->component];

    model_instance_sync(sim, index);
    if (inst->state != MODEL_INST_ACTIVE) {
        model_request_wait_timeout(sim, r);
        return;
    }
    if (p->state != MODEL_PROC_RUNNING) {
        model_request_finish(sim, r,
                             p->state == MODEL_PROC_DEAD
                                 ? MODEL_FAIL_PROCESS_DOWN
                                 : MODEL_FAIL_PROCESS_STOPPED);
        return;
    }

    model_instance_advance(sim, index);
    if (p->busy < sim->components[req->component].workers) {
        start_service(sim, inst, p, r);
        recompute(sim, index);
    } else if (p->queue_len < sim->components[req->component].queue_capacity) {
        req->where = MODEL_REQ_QUEUED;
        queue_push(p, r);
    } else {
        model_request_finish(sim, r, MODEL_FAIL_QUEUE_FULL);
    }
}

size_t model_process_in_flight(model_sim *sim, uint32_t index, uint32_t c)
{
    const model_process *p = &sim->instances[index].procs[c];

    model_instance_sync(sim, index);

    return p->busy + p->queue_len;
}

/* Takes the requests of the components in mask off the instance: from the
 * heap and the queues, and fails each with reason (or leaves it to time
 * out for MODEL_FAIL_TIMEOUT). */
static void take_requests(model_sim *sim, uint32_t index,
                          lb_component_mask mask, model_fail_reason reason)
{
    model_instance *inst = &sim->instances[index];
    size_t kept_count = 0;

    model_instance_advance(sim, index);

    size_t count = inst->busy;
    uint32_t *taken_requests = malloc((count + 1) * sizeof(*taken_requests));
    size_t taken_count = 0;

    MODEL_ASSERT(taken_requests != NULL); /* out of memory */
    for (size_t i = 0; i < count; i++) {
        uint32_t r = inst->heap[i].request;

        if (mask & (1u << sim->requests[r].component))
            taken_requests[taken_count++] = r;
        else
            inst->heap[kept_count++] = inst->heap[i];
    }
    inst->busy = (uint32_t)kept_count;
    for (size_t i = kept_count; i-- > 0;)
        heap_sift_down(inst, i);

    for (uint32_t c = 0; c < sim->component_count; c++) {
        model_process *p = &inst->procs[c];

        if (!(mask & (1u << c)))
            continue;
        p->busy = 0;
        while (p->queue_len > 0) {
            uint32_t r = queue_pop(p);

            if (reason == MODEL_FAIL_TIMEOUT)
                model_request_wait_timeout(sim, r);
            else
                model_request_finish(sim, r, reason);
        }
    }
    for (size_t i = 0; i < taken_count; i++) {
        if (reason == MODEL_FAIL_TIMEOUT)
            model_request_wait_timeout(sim, taken_requests[i]);
        else
            model_request_finish(sim, taken_requests[i], reason);
    }
    free(taken_requests);
    recompute(sim, index);
}

void model_process_kill(model_sim *sim, uint32_t index, uint32_t c,
                        model_fail_reason reason)
{
    take_requests(sim, index, 1u << c, reason);
}

void model_instance_drop_requests(model_sim *sim, uint32_t index,
                                  model_fail_reason reason)
{
    lb_component_mask all = (lb_component_mask)((1u << sim->component_count) -
                                                1u);

    take_requests(sim, index, all, reason);
}

static void warmup_end_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;

    (void)engine;
    model_instance_advance(sim, (uint32_t)arg);
    recompute(sim, (uint32_t)arg);
}

void model_process_start(model_sim *sim, uint32_t index, uint32_t c,
                         bool warm_up)
{
    model_instance *inst = &sim->instances[index];
    model_process *p = &inst->procs[c];

    model_instance_advance(sim, index);
    p->state = MODEL_PROC_RUNNING;
    p->stop_requested = false;
    p->stop_violation_reported = false;
    if (warm_up && sim->dfm.warmup_us > 0 &&
        sim->dfm.warmup_cpu_permille > 0) {
        p->warmup_until_us = model_now(sim) + sim->dfm.warmup_us;
        model_schedule(sim, p->warmup_until_us, warmup_end_cb, sim, index);
    }
    recompute(sim, index);
}
