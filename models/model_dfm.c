/* The DFM of each instance, and its DEV's handling of tenant creates.
 *
 * The DFM samples the CPU of its processes every dfm.sample_interval_us.
 * It sends overload (total above overload_permille, where 0 turns it off)
 * or low load (total below low_load_permille while a component runs) once
 * the condition has lasted window_us. While the condition lasts, the notice
 * repeats after each further window. It starts components with tenants,
 * stops them gracefully (no new requests, requests in flight finish, the
 * rest are killed at the deadline), and restarts a dead process after
 * restart_delay_us, reporting it down and up. A process reported down is
 * reported up when it runs again, whether the restart or a start of the LB
 * brought it back. Warm-up burns CPU after each start during the run, but
 * not for the processes of initial instances, which ran before it. */
#include <math.h>
#include <string.h>

#include "model_assert.h"
#include "model_sim.h"

static uint64_t proc_arg(uint32_t instance, uint32_t component)
{
    return (uint64_t)instance << 8 | component;
}

static model_msg *dfm_msg(uint32_t instance, model_msg_kind kind,
                          uint64_t request_id)
{
    model_msg *msg = model_msg_new(
        kind, model_actor_at(MODEL_ACTOR_DFM, instance),
        model_actor_of(MODEL_ACTOR_LB), request_id);

    msg->instance = instance;
    return msg;
}

/* ---- CPU sampling and load notifications ------------------------------- */

static void sample_cb(sim_engine *engine, void *ctx, uint64_t arg);

static void schedule_sample(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];

    inst->sample_event = model_schedule(
        sim, model_now(sim) + sim->dfm.sample_interval_us, sample_cb, sim,
        index);
    inst->sample_pending = true;
}

static size_t measure(model_sim *sim, uint32_t index, lb_process_cpu *procs,
                      uint32_t *total_out, bool *running_out)
{
    model_instance *inst = &sim->instances[index];
    double span = (double)(model_now(sim) - inst->dfm_mark_us) *
                  sim->instance_vcpus;
    double total = 0;
    size_t count = 0;

    *running_out = false;
    for (uint32_t c = 0; c < sim->component_count; c++) {
        model_process *p = &inst->procs[c];
        double used = p->cpu_us - p->cpu_us_dfm_mark;

        p->cpu_us_dfm_mark = p->cpu_us;
        total += used;
        if (p->state != MODEL_PROC_RUNNING && p->state != MODEL_PROC_STOPPING)
            continue;
        *running_out = *running_out || p->state == MODEL_PROC_RUNNING;
        procs[count].component = c;
        procs[count].cpu_permille =
            span > 0 ? (uint32_t)lround(used / span * 1000.0) : 0;
        count++;
    }
    *total_out = span > 0 ? (uint32_t)lround(total / span * 1000.0) : 0;
    inst->dfm_mark_us = model_now(sim);
    return count;
}

/* Tracks one condition; returns true when a notice is due. since_us starts
 * at the beginning of the first interval in which the condition held. */
static bool condition_due(model_sim *sim, bool holds, sim_time_t *since_us,
                          sim_time_t *held_us)
{
    sim_time_t now = model_now(sim);

    if (!holds) {
        *since_us = -1;
        return false;
    }
    if (*since_us < 0)
        *since_us = now - sim->dfm.sample_interval_us;
    *held_us = now - *since_us;
    if (*held_us < sim->dfm.window_us)
        return false;
    *since_us = now;
    return true;
}

static void send_load(model_sim *sim, uint32_t index, model_msg_kind kind,
                      uint32_t total, sim_time_t held_us,
                      const lb_process_cpu *procs, size_t count)
{
    model_msg *msg = dfm_msg(index, kind, 0);

    msg->cpu_permille = total;
    msg->time_us = held_us;
    model_msg_set_items(msg, procs, count, sizeof(*procs));
    model_link_send(sim, msg);
}

static void sample_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    uint32_t index = (uint32_t)arg;
    model_instance *inst = &sim->instances[index];
    lb_process_cpu procs[LB_COMPONENTS_MAX];
    uint32_t total = 0;
    bool running = false;
    sim_time_t held_us = 0;

    (void)engine;
    inst->sample_pending = false;
    if (inst->state != MODEL_INST_ACTIVE)
        return;
    model_instance_advance(sim, index);

    size_t count = measure(sim, index, procs, &total, &running);
    bool over = sim->dfm.overload_permille > 0 &&
                total > sim->dfm.overload_permille;
    bool low = running && total < sim->dfm.low_load_permille;

    if (condition_due(sim, over, &inst->overload_since_us, &held_us))
        send_load(sim, index, MODEL_MSG_OVERLOAD, total, held_us, procs,
                  count);
    if (condition_due(sim, low, &inst->low_load_since_us, &held_us))
        send_load(sim, index, MODEL_MSG_LOW_LOAD, total, held_us, procs,
                  count);
    schedule_sample(sim, index);
}

void model_dfm_boot_done(model_sim *sim, uint32_t index, bool announce)
{
    model_instance *inst = &sim->instances[index];

    inst->boot_pending = false;
    inst->state = MODEL_INST_ACTIVE;
    model_instance_advance(sim, index);
    inst->work_at_us = model_now(sim);

    /* The processes of initial instances run from before the run began, so
     * their warm-up is over. */
    for (uint32_t c = 0; c < sim->component_count; c++) {
        if (inst->initial_mask & (1u << c))
            model_process_start(sim, index, c, false);
        inst->procs[c].cpu_us_dfm_mark = inst->procs[c].cpu_us;
    }
    inst->initial_mask = 0;
    inst->dfm_mark_us = model_now(sim);
    inst->overload_since_us = -1;
    inst->low_load_since_us = -1;
    if (inst->sample_pending)
        model_cancel(sim, inst->sample_event);
    schedule_sample(sim, index);
    model_nginx_instance_ready(sim, index);

    if (announce)
        model_link_send(sim, dfm_msg(index, MODEL_MSG_DFM_READY, 0));
}

void model_dfm_halt(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];

    if (inst->sample_pending)
        model_cancel(sim, inst->sample_event);
    inst->sample_pending = false;
    if (inst->boot_pending)
        model_cancel(sim, inst->boot_event);
    inst->boot_pending = false;
    for (size_t i = 0; i < MODEL_STOPS_MAX; i++) {
        if (inst->stops[i].active)
            model_cancel(sim, inst->stops[i].deadline_event);
        inst->stops[i].active = false;
    }
    for (uint32_t c = 0; c < sim->component_count; c++) {
        model_process *p = &inst->procs[c];

        if (p->restart_pending)
            model_cancel(sim, p->restart_event);
        p->restart_pending = false;
    }
}

/* ---- process death and restart ----------------------------------------- */

/* Starts a process, with warm-up, and sends component_up when the DFM had
 * sent component_down for it, whether a restart or a components_start
 * brings it back. */
static void process_up(model_sim *sim, uint32_t index, uint32_t c)
{
    model_process_start(sim, index, c, true);

    model_process *p = &sim->instances[index].procs[c];

    if (!p->down_reported)
        return;
    p->down_reported = false;

    model_msg *msg = dfm_msg(index, MODEL_MSG_COMPONENT_UP, 0);

    msg->component = c;
    model_link_send(sim, msg);
}

static void restart_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    uint32_t index = (uint32_t)(arg >> 8);
    uint32_t c = (uint32_t)(arg & 0xff);
    model_process *p = &sim->instances[index].procs[c];

    (void)engine;
    p->restart_pending = false;
    if (p->state != MODEL_PROC_DEAD ||
        sim->instances[index].state != MODEL_INST_ACTIVE)
        return;
    process_up(sim, index, c);
}

static void stops_check(model_sim *sim, uint32_t index);

void model_dfm_process_died(model_sim *sim, uint32_t index, uint32_t c)
{
    model_process *p = &sim->instances[index].procs[c];
    bool stopping = p->state == MODEL_PROC_STOPPING;

    if (p->state != MODEL_PROC_RUNNING && !stopping)
        return;
    model_process_kill(sim, index, c, MODEL_FAIL_PROCESS_DOWN);
    p = &sim->instances[index].procs[c];
    p->state = MODEL_PROC_DEAD;
    p->down_reported = true;

    model_msg *msg = dfm_msg(index, MODEL_MSG_COMPONENT_DOWN, 0);

    msg->component = c;
    model_link_send(sim, msg);
    if (stopping) {
        /* It was being stopped: it stays down and the stop completes. */
        stops_check(sim, index);
        return;
    }
    p->restart_event = model_schedule(
        sim, model_now(sim) + sim->dfm.restart_delay_us, restart_cb, sim,
        proc_arg(index, c));
    p->restart_pending = true;
}

/* ---- graceful stops ------------------------------------------------------ */

static bool stop_done(model_sim *sim, uint32_t index,
                      const model_stop *stop)
{
    for (uint32_t c = 0; c < sim->component_count; c++)
        if ((stop->components & (1u << c)) &&
            model_process_in_flight(sim, index, c) > 0)
            return false;
    return true;
}

static void stop_finish(model_sim *sim, uint32_t index, model_stop *stop)
{
    model_instance *inst = &sim->instances[index];

    for (uint32_t c = 0; c < sim->component_count; c++) {
        model_process *p = &inst->procs[c];

        if (!(stop->components & (1u << c)))
            continue;
        if (p->state == MODEL_PROC_STOPPING || p->state == MODEL_PROC_DEAD)
            p->state = MODEL_PROC_STOPPED;
        if (p->restart_pending)
            model_cancel(sim, p->restart_event);
        p->restart_pending = false;
    }
    model_cancel(sim, stop->deadline_event);
    stop->active = false;

    model_msg *msg = dfm_msg(index, MODEL_MSG_COMPONENTS_STOPPED, stop->id);

    msg->components = stop->components;
    msg->value = stop->killed;
    model_link_send(sim, msg);
}

static void stops_check(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];

    for (size_t i = 0; i < MODEL_STOPS_MAX; i++) {
        model_stop *stop = &inst->stops[i];

        if (stop->active && stop_done(sim, index, stop))
            stop_finish(sim, index, stop);
    }
}

void model_dfm_process_idle(model_sim *sim, uint32_t index, uint32_t c)
{
    (void)c;
    stops_check(sim, index);
}

static void deadline_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    uint32_t index = (uint32_t)(arg >> 8);
    model_stop *stop = &sim->instances[index].stops[arg & 0xff];

    (void)engine;
    if (!stop->active)
        return;
    for (uint32_t c = 0; c < sim->component_count; c++) {
        if (!(stop->components & (1u << c)))
            continue;
        stop->killed += model_process_in_flight(sim, index, c);
        model_process_kill(sim, index, c, MODEL_FAIL_KILLED);
    }
    stop_finish(sim, index, stop);
}

static model_stop *stop_slot(model_instance *inst)
{
    for (size_t i = 0; i < MODEL_STOPS_MAX; i++)
        if (!inst->stops[i].active)
            return &inst->stops[i];
    return NULL;
}

static void components_stop(model_sim *sim, const model_msg *msg)
{
    uint32_t index = msg->to.instance;
    model_instance *inst = &sim->instances[index];
    model_stop *stop = stop_slot(inst);

    /* The completions due so far ran while the processes were running. */
    model_instance_sync(sim, index);

    /* More stops at once than slots: the oldest is cut short at once. */
    if (stop == NULL) {
        stop = &inst->stops[0];
        model_cancel(sim, stop->deadline_event);
        deadline_cb(sim->engine, sim, proc_arg(index, 0));
    }
    memset(stop, 0, sizeof(*stop));
    stop->active = true;
    stop->id = msg->request_id;
    stop->components = msg->components;

    for (uint32_t c = 0; c < sim->component_count; c++) {
        model_process *p = &inst->procs[c];

        if (!(msg->components & (1u << c)))
            continue;
        p->stop_requested = true;
        p->stop_violation_reported = false;
        if (p->state == MODEL_PROC_RUNNING)
            p->state = MODEL_PROC_STOPPING;
    }
    stop->deadline_event = model_schedule(
        sim, msg->time_us, deadline_cb, sim,
        proc_arg(index, (uint32_t)(stop - inst->stops)));
    stops_check(sim, index);
}

/* ---- starts ---------------------------------------------------------------- */

static void add_tenant(model_instance *inst, uint32_t tenant)
{
    for (size_t i = 0; i < inst->tenant_count; i++)
        if (inst->tenants[i] == tenant)
            return;
    if (inst->tenant_count == inst->tenant_cap) {
        size_t cap = inst->tenant_cap == 0 ? 8 : inst->tenant_cap * 2;

        inst->tenants = realloc(inst->tenants, cap * sizeof(*inst->tenants));
        MODEL_ASSERT(inst->tenants != NULL); /* out of memory */
        inst->tenant_cap = cap;
    }
    inst->tenants[inst->tenant_count++] = tenant;
}

static void remove_tenant(model_instance *inst, uint32_t tenant)
{
    for (size_t i = 0; i < inst->tenant_count; i++) {
        if (inst->tenants[i] != tenant)
            continue;
        inst->tenants[i] = inst->tenants[--inst->tenant_count];
        return;
    }
}

static void start_process(model_sim *sim, uint32_t index, uint32_t c)
{
    model_instance *inst = &sim->instances[index];
    model_process *p = &inst->procs[c];

    if (p->state == MODEL_PROC_RUNNING)
        return;
    if (p->restart_pending)
        model_cancel(sim, p->restart_event);
    p->restart_pending = false;

    /* A start cancels a graceful stop of the same component. */
    for (size_t i = 0; i < MODEL_STOPS_MAX; i++)
        inst->stops[i].components &= ~(1u << c);
    process_up(sim, index, c);
    stops_check(sim, index);
}

static void components_start(model_sim *sim, const model_msg *msg)
{
    uint32_t index = msg->to.instance;
    lb_component_mask all = (lb_component_mask)((1u << sim->component_count) -
                                                1u);
    model_msg *reply;

    if ((msg->components & ~all) != 0) {
        reply = dfm_msg(index, MODEL_MSG_COMPONENTS_START_FAILED,
                        msg->request_id);
        snprintf(reply->text, sizeof(reply->text), "unknown_component");
        model_link_send(sim, reply);
        return;
    }

    const uint32_t *tenants = msg->items;

    for (size_t i = 0; i < msg->item_count; i++)
        add_tenant(&sim->instances[index], tenants[i]);
    for (uint32_t c = 0; c < sim->component_count; c++)
        if (msg->components & (1u << c))
            start_process(sim, index, c);

    reply = dfm_msg(index, MODEL_MSG_COMPONENTS_STARTED, msg->request_id);
    reply->components = msg->components;
    model_link_send(sim, reply);
}

void model_dfm_receive(model_sim *sim, const model_msg *msg)
{
    switch (msg->kind) {
    case MODEL_MSG_COMPONENTS_START:
        components_start(sim, msg);
        break;
    case MODEL_MSG_COMPONENTS_STOP:
        components_stop(sim, msg);
        break;
    default:
        model_log(sim, LB_LOG_WARN, "dfm_unexpected_message",
                  model_msg_kind_name(msg->kind));
        break;
    }
}

/* ---- DEV: tenant create and remove -------------------------------------- */

void model_dev_receive(model_sim *sim, const model_msg *msg)
{
    uint32_t index = msg->to.instance;
    model_instance *inst = &sim->instances[index];
    model_msg_kind reply_kind;

    if (msg->kind == MODEL_MSG_TENANT_CREATE) {
        add_tenant(inst, msg->tenant);
        model_traffic_resume(sim, msg->tenant);
        reply_kind = MODEL_MSG_TENANT_CREATED;
    } else if (msg->kind == MODEL_MSG_TENANT_REMOVE) {
        remove_tenant(inst, msg->tenant);
        model_traffic_halt(sim, msg->tenant);
        reply_kind = MODEL_MSG_TENANT_REMOVED;
    } else {
        return;
    }

    model_msg *reply = model_msg_new(
        reply_kind, model_actor_at(MODEL_ACTOR_DEV, index),
        model_actor_of(MODEL_ACTOR_NGINX), msg->request_id);

    reply->tenant = msg->tenant;
    reply->instance = index;
    model_link_send(sim, reply);
}
