/* Message links: latency, FIFO order, message fault rules and delivery.
 *
 * Each (sender, receiver) pair is a FIFO link like a TCP connection: a
 * message never overtakes an earlier one on the same pair, so a delayed
 * message holds back the ones behind it. Only a reorder rule breaks that
 * order: it holds one message back and releases it right after the next
 * message of the same pair (or when its delay_us runs out). Every delivery
 * and loss goes to the observer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"
#include "model_msg.h"
#include "model_sim.h"

/* Released after this long when no later message overtakes it. */
#define REORDER_HOLD_DEFAULT_US SIM_S(1)

struct model_link_pair {
    model_actor from;
    model_actor to;
    sim_time_t last_us;
};

static bool actor_equal(model_actor a, model_actor b)
{
    return a.kind == b.kind && a.instance == b.instance;
}

static struct model_link_pair *pair_of(model_sim *sim, model_actor from,
                                       model_actor to)
{
    for (size_t i = 0; i < sim->pair_count; i++) {
        struct model_link_pair *p = &sim->pairs[i];

        if (actor_equal(p->from, from) && actor_equal(p->to, to))
            return p;
    }

    if (sim->pair_count == sim->pair_cap) {
        size_t cap = sim->pair_cap == 0 ? 16 : sim->pair_cap * 2;

        sim->pairs = realloc(sim->pairs, cap * sizeof(*sim->pairs));
        MODEL_ASSERT(sim->pairs != NULL); /* out of memory */
        sim->pair_cap = cap;
    }

    struct model_link_pair *p = &sim->pairs[sim->pair_count++];

    *p = (struct model_link_pair){.from = from, .to = to, .last_us = 0};
    return p;
}

static void report(model_sim *sim, const model_msg *msg, sim_time_t at_us,
                   sim_msg_fate fate)
{
    if (sim->observer.on_msg == NULL)
        return;

    sim_msg record = {
        .at_us = at_us,
        .from = model_actor_name(sim, msg->from),
        .to = model_actor_name(sim, msg->to),
        .kind = model_msg_kind_name(msg->kind),
        .request_id = msg->request_id,
        .fields = msg->fields != NULL ? msg->fields : "",
        .fate = fate,
    };

    sim->observer.on_msg(sim->observer.ctx, &record);
}

static void list_remove(model_sim *sim, model_msg *msg)
{
    if (msg->prev != NULL)
        msg->prev->next = msg->next;
    else
        sim->msgs = msg->next;
    if (msg->next != NULL)
        msg->next->prev = msg->prev;
    msg->prev = NULL;
    msg->next = NULL;
}

/* A message for a DFM or DEV whose instance is not up reaches no one, nor
 * does one for a DEV (component 0) whose process is not running. */
static bool receiver_up(const model_sim *sim, const model_msg *msg)
{
    if (msg->to.kind != MODEL_ACTOR_DFM && msg->to.kind != MODEL_ACTOR_DEV)
        return true;

    const model_instance *inst = &sim->instances[msg->to.instance];

    if (inst->state != MODEL_INST_ACTIVE)
        return false;
    return msg->to.kind == MODEL_ACTOR_DFM ||
           inst->procs[0].state == MODEL_PROC_RUNNING;
}

static void dispatch(model_sim *sim, const model_msg *msg)
{
    switch (msg->to.kind) {
    case MODEL_ACTOR_LB:
        if (sim->lb.deliver != NULL)
            sim->lb.deliver(sim->lb.ctx, sim, msg);
        break;
    case MODEL_ACTOR_NGINX:
        model_nginx_receive(sim, msg);
        break;
    case MODEL_ACTOR_PROVIDER:
        model_provider_receive(sim, msg);
        break;
    case MODEL_ACTOR_DFM:
        model_dfm_receive(sim, msg);
        break;
    case MODEL_ACTOR_DEV:
        model_dev_receive(sim, msg);
        break;
    case MODEL_ACTOR_BM_ROUTER:
        break;
    }
}

static void deliver_now(model_sim *sim, model_msg *msg)
{
    if (!receiver_up(sim, msg)) {
        report(sim, msg, msg->sent_us, SIM_MSG_LOST);
        model_msg_free(msg);
        return;
    }
    report(sim, msg, model_now(sim), SIM_MSG_DELIVERED);
    dispatch(sim, msg);
    model_msg_free(msg);
}

static void deliver_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    model_msg *msg = (model_msg *)(uintptr_t)arg;

    (void)engine;
    list_remove(sim, msg);
    deliver_now(sim, msg);
}

static void schedule_delivery(model_sim *sim, model_msg *msg,
                              sim_time_t at_us)
{
    msg->next = sim->msgs;
    msg->prev = NULL;
    if (sim->msgs != NULL)
        sim->msgs->prev = msg;
    sim->msgs = msg;
    msg->event = model_schedule(sim, at_us, deliver_cb, sim,
                                (uint64_t)(uintptr_t)msg);
}

static bool text_matches(const char *pattern, const char *value)
{
    return pattern == NULL || strcmp(pattern, value) == 0;
}

/* Whether rule f acts on msg now; draws from the rule's own stream. */
static bool rule_fires(model_sim *sim, model_fault *f, const model_msg *msg)
{
    sim_time_t now = model_now(sim);

    if (now < f->spec.at_us || now >= f->spec.until_us)
        return false;
    if (f->spec.count != 0 && f->hits >= f->spec.count)
        return false;
    if (!text_matches(f->from, model_actor_name(sim, msg->from)) ||
        !text_matches(f->to, model_actor_name(sim, msg->to)) ||
        !text_matches(f->kind_match, model_msg_kind_name(msg->kind)))
        return false;
    if (f->spec.probability < 1.0 &&
        gsl_rng_uniform(f->rng) >= f->spec.probability)
        return false;

    f->hits++;
    return true;
}

static void release_held_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    model_fault *f = &sim->faults[arg];
    model_msg *msg = f->held_msg;

    (void)engine;
    f->held_msg = NULL;
    deliver_now(sim, msg);
}

/* Releases messages held by reorder rules on msg's pair right after msg. */
static void release_overtaken(model_sim *sim, const model_msg *msg,
                              sim_time_t at_us)
{
    for (size_t i = 0; i < sim->fault_count; i++) {
        model_fault *f = &sim->faults[i];

        if (f->held_msg == NULL || !actor_equal(f->held_msg->from, msg->from) ||
            !actor_equal(f->held_msg->to, msg->to))
            continue;
        model_cancel(sim, f->held_event);
        schedule_delivery(sim, f->held_msg, at_us);
        f->held_msg = NULL;
    }
}

static sim_time_t fifo_time(model_sim *sim, const model_msg *msg,
                            sim_time_t at_us)
{
    struct model_link_pair *pair = pair_of(sim, msg->from, msg->to);

    if (at_us < pair->last_us)
        at_us = pair->last_us;
    pair->last_us = at_us;
    return at_us;
}

static sim_time_t draw_latency(model_sim *sim)
{
    return model_sampler_draw_us(&sim->link_latency, sim->link_rng);
}

/* Applies the message rules: returns false when msg was taken (dropped or
 * held back), else sets the extra delay and the duplicate flag. */
static bool apply_rules(model_sim *sim, model_msg *msg, sim_time_t *extra_us,
                        bool *duplicate)
{
    for (size_t i = 0; i < sim->fault_count; i++) {
        model_fault *f = &sim->faults[i];
        world_fault_kind kind = f->spec.kind;

        if (kind < WORLD_FAULT_MSG_DROP || !rule_fires(sim, f, msg))
            continue;

        if (kind == WORLD_FAULT_MSG_DROP) {
            model_link_lose(sim, msg);
            return false;
        }
        if (kind == WORLD_FAULT_MSG_DELAY)
            *extra_us += f->spec.delay_us;
        if (kind == WORLD_FAULT_MSG_DUPLICATE)
            *duplicate = true;
        if (kind == WORLD_FAULT_MSG_REORDER && f->held_msg == NULL) {
            sim_time_t hold = f->spec.delay_us > 0 ? f->spec.delay_us
                                                   : REORDER_HOLD_DEFAULT_US;

            f->held_msg = msg;
            f->held_event = model_schedule(sim, model_now(sim) + hold,
                                           release_held_cb, sim, i);
            return false;
        }
    }
    return true;
}

void model_link_send(model_sim *sim, model_msg *msg)
{
    sim_time_t extra_us = 0;
    bool duplicate = false;

    msg->sent_us = model_now(sim);
    model_msg_build_fields(sim, msg);
    if (!apply_rules(sim, msg, &extra_us, &duplicate))
        return;

    model_msg *copy = duplicate ? model_msg_clone(msg) : NULL;
    sim_time_t at_us = fifo_time(
        sim, msg, model_now(sim) + draw_latency(sim) + extra_us);

    schedule_delivery(sim, msg, at_us);
    release_overtaken(sim, msg, at_us);
    if (copy != NULL) {
        at_us = fifo_time(sim, copy, model_now(sim) + draw_latency(sim) +
                                         extra_us);
        schedule_delivery(sim, copy, at_us);
    }
}

void model_link_lose(model_sim *sim, model_msg *msg)
{
    if (msg->fields == NULL) {
        msg->sent_us = model_now(sim);
        model_msg_build_fields(sim, msg);
    }
    report(sim, msg, msg->sent_us, SIM_MSG_LOST);
    model_msg_free(msg);
}

void model_link_clear(model_sim *sim)
{
    while (sim->msgs != NULL) {
        model_msg *msg = sim->msgs;

        list_remove(sim, msg);
        model_msg_free(msg);
    }
    while (sim->provider_ops != NULL) {
        model_msg *op = sim->provider_ops;

        sim->provider_ops = op->next;
        model_msg_free(op);
    }
    for (size_t i = 0; i < sim->fault_count; i++) {
        model_msg_free(sim->faults[i].held_msg);
        sim->faults[i].held_msg = NULL;
    }
    free(sim->pairs);
    sim->pairs = NULL;
    sim->pair_count = 0;
    sim->pair_cap = 0;
}
