/* The Provider model: creates, removes and restarts instances after delays
 * drawn from distributions, within a quota, and fails, times out or loses
 * replies with the configured probabilities and fault rules.
 *
 * A create's request id is an idempotency token: a create repeated with the
 * id of one in progress makes no second instance (the one reply serves
 * both), and one repeated after success gets the same instance.
 * A create that failed or was never answered may be retried with its id.
 * Removes and restarts are idempotent by request id in the same way: a
 * retry while one is under way does nothing more, and a retry after
 * success gets the same reply without a second remove or restart.
 * A created or restarted instance boots for boot_delay; then its DFM is up
 * and sends dfm_ready. After a restart only the DFM runs, like after a
 * create: the LB starts the components again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "model_assert.h"
#include "model_sim.h"

/* The provider's draws for one request, taken in a fixed order so that the
 * stream stays aligned whatever the outcome. */
typedef struct provider_draw {
    sim_time_t delay_us;
    bool fails;
    bool swallowed;
    bool reply_lost;
} provider_draw;

static provider_draw draw_outcome(model_sim *sim, const model_sampler *delay)
{
    provider_draw d;
    double u_fail;
    double u_timeout;
    double u_lost;

    d.delay_us = model_sampler_draw_us(delay, sim->provider_rng) +
                 model_fault_provider_delay_us(sim);
    u_fail = gsl_rng_uniform(sim->provider_rng);
    u_timeout = gsl_rng_uniform(sim->provider_rng);
    u_lost = gsl_rng_uniform(sim->provider_rng);
    d.fails = u_fail < sim->provider.fail_probability ||
              model_fault_provider_fails(sim);
    d.swallowed = u_timeout < sim->provider.timeout_probability;
    d.reply_lost = u_lost < sim->provider.reply_lost_probability;
    return d;
}

static model_msg *provider_msg(model_msg_kind kind, uint64_t request_id)
{
    return model_msg_new(kind, model_actor_of(MODEL_ACTOR_PROVIDER),
                         model_actor_of(MODEL_ACTOR_LB), request_id);
}

static void reply(model_sim *sim, model_msg *msg, bool lost)
{
    if (lost)
        model_link_lose(sim, msg);
    else
        model_link_send(sim, msg);
}

static void boot_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    (void)engine;
    model_dfm_boot_done(ctx, (uint32_t)arg, true);
}

static void boot_later(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];

    inst->state = MODEL_INST_BOOTING;
    inst->boot_event = model_schedule(
        sim,
        model_now(sim) +
            model_sampler_draw_us(&sim->boot_delay, sim->provider_rng),
        boot_cb, sim, index);
    inst->boot_pending = true;
}

static uint32_t live_instances(const model_sim *sim)
{
    uint32_t count = 0;

    for (size_t i = 0; i < sim->instance_count; i++)
        count += sim->instances[i].state != MODEL_INST_REMOVED;
    for (size_t i = 0; i < sim->create_count; i++)
        count += !sim->creates[i].done && !sim->creates[i].failed;
    return count;
}

/* ---- create ----------------------------------------------------------- */

#define PROVIDER_NAME_PREFIX "vm-"

bool world_instance_name_is_future(const char *id)
{
    size_t prefix_len = strlen(PROVIDER_NAME_PREFIX);

    if (id == NULL || strncmp(id, PROVIDER_NAME_PREFIX, prefix_len) != 0)
        return false;

    const char *digits = id + prefix_len;
    size_t len = strlen(digits);

    /* "%u" prints 1 to 4294967295: no sign, no leading zero. */
    if (len == 0 || len > 10 || digits[0] == '0' ||
        strspn(digits, "0123456789") != len)
        return false;
    return strtoull(digits, NULL, 10) <= UINT32_MAX;
}

static uint32_t make_instance(model_sim *sim)
{
    char id[LB_ID_LEN_MAX + 1];

    do {
        snprintf(id, sizeof(id), PROVIDER_NAME_PREFIX "%u",
                 ++sim->instances_made);
    } while (model_instance_find(sim, id) != MODEL_NONE);

    uint32_t index = model_instance_add(sim, id);

    MODEL_ASSERT(index != MODEL_NONE); /* out of memory */
    return index;
}

/* Event arg: index of the create record, and whether the reply is lost. */
static void create_done_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    model_create_record *rec = &sim->creates[arg >> 1];
    bool lost = arg & 1;
    model_msg *msg;

    (void)engine;
    sim->pending_provider_requests--;
    rec->done = true;
    rec->instance = make_instance(sim);
    boot_later(sim, rec->instance);

    msg = provider_msg(MODEL_MSG_INSTANCE_CREATED, rec->id);
    msg->instance = rec->instance;
    reply(sim, msg, lost);
}

static void create_failed_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    model_create_record *rec = &sim->creates[arg >> 1];
    model_msg *msg = provider_msg(MODEL_MSG_INSTANCE_CREATE_FAILED, rec->id);

    (void)engine;
    sim->pending_provider_requests--;
    rec->failed = true;
    snprintf(msg->text, sizeof(msg->text), "%s",
             arg & 1 ? "quota_exceeded" : "provider_error");
    reply(sim, msg, false);
}

static model_create_record *create_record(model_sim *sim, lb_request_id id)
{
    for (size_t i = 0; i < sim->create_count; i++)
        if (sim->creates[i].id == id)
            return &sim->creates[i];
    if (sim->create_count == sim->create_cap) {
        size_t cap = sim->create_cap == 0 ? 8 : sim->create_cap * 2;

        sim->creates = realloc(sim->creates, cap * sizeof(*sim->creates));
        MODEL_ASSERT(sim->creates != NULL); /* out of memory */
        sim->create_cap = cap;
    }

    model_create_record *rec = &sim->creates[sim->create_count++];

    *rec = (model_create_record){.id = id, .instance = MODEL_NONE,
                                 .failed = true};
    return rec;
}

static void instance_create(model_sim *sim, const model_msg *msg)
{
    model_create_record *rec = create_record(sim, msg->request_id);
    uint64_t slot = (uint64_t)(rec - sim->creates);

    if (rec->done) {
        model_msg *again = provider_msg(MODEL_MSG_INSTANCE_CREATED, rec->id);

        again->instance = rec->instance;
        model_link_send(sim, again);
        return;
    }
    if (!rec->failed)
        return; /* in progress: its reply serves this one too */

    bool over_quota = sim->provider.quota > 0 &&
                      live_instances(sim) >= sim->provider.quota;
    provider_draw d = draw_outcome(sim, &sim->create_delay);

    rec->failed = false;
    sim->pending_provider_requests++;
    if (d.swallowed) {
        /* No reply and no instance. A retry with the same id may work. */
        sim->pending_provider_requests--;
        rec->failed = true;
        return;
    }
    if (over_quota || d.fails)
        model_schedule(sim, model_now(sim) + (over_quota ? 0 : d.delay_us),
                       create_failed_cb, sim, slot << 1 | over_quota);
    else
        model_schedule(sim, model_now(sim) + d.delay_us, create_done_cb, sim,
                       slot << 1 | d.reply_lost);
}

/* ---- remove and restart -------------------------------------------------- */

/* Event arg: the request's message, kept until the operation is done. */
static void operation_cb(sim_engine *engine, void *ctx, uint64_t arg);

static void take_down(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];

    model_dfm_halt(sim, index);
    if (inst->state == MODEL_INST_ACTIVE)
        model_instance_drop_requests(sim, index, MODEL_FAIL_PROCESS_DOWN);
    for (uint32_t c = 0; c < sim->component_count; c++) {
        model_process *p = &inst->procs[c];

        p->state = MODEL_PROC_ABSENT;
        p->warmup_until_us = 0;
        p->stop_requested = false;
        p->down_reported = false;
    }
    inst->error_count = 0;
    inst->dropping_notified_us = -1;
    inst->tenant_count = 0;
}

/* Carries out a remove or restart. Returns whether it succeeded. */
static bool operation_finish(model_sim *sim, model_msg *request, bool fails,
                             bool lost)
{
    bool remove = request->kind == MODEL_MSG_INSTANCE_REMOVE;
    uint32_t index = request->instance;
    bool known = index != MODEL_NONE &&
                 sim->instances[index].state != MODEL_INST_REMOVED;
    model_msg *msg;

    if (!known || fails) {
        msg = provider_msg(remove ? MODEL_MSG_INSTANCE_REMOVE_FAILED
                                  : MODEL_MSG_INSTANCE_RESTART_FAILED,
                           request->request_id);
        msg->instance = index;
        snprintf(msg->text, sizeof(msg->text), "%s",
                 known ? "provider_error" : "not_found");
        reply(sim, msg, lost);
        return false;
    }

    take_down(sim, index);
    if (remove)
        sim->instances[index].state = MODEL_INST_REMOVED;
    else
        boot_later(sim, index);

    msg = provider_msg(remove ? MODEL_MSG_INSTANCE_REMOVED
                              : MODEL_MSG_INSTANCE_RESTARTED,
                       request->request_id);
    msg->instance = index;
    reply(sim, msg, lost);
    return true;
}

static void ops_unlink(model_sim *sim, model_msg *op)
{
    if (op->prev != NULL)
        op->prev->next = op->next;
    else
        sim->provider_ops = op->next;
    if (op->next != NULL)
        op->next->prev = op->prev;
}

static void operation_cb(sim_engine *engine, void *ctx, uint64_t arg)
{
    model_sim *sim = ctx;
    model_msg *request = (model_msg *)(uintptr_t)arg;
    bool fails = request->value & 1;
    bool lost = request->value & 2;
    model_op_record *rec = &sim->op_records[request->value >> 2];

    (void)engine;
    ops_unlink(sim, request);
    sim->pending_provider_requests--;
    rec->pending = false;
    rec->done = operation_finish(sim, request, fails, lost);
    model_msg_free(request);
}

static model_op_record *op_record(model_sim *sim, const model_msg *msg)
{
    for (size_t i = 0; i < sim->op_record_count; i++) {
        model_op_record *rec = &sim->op_records[i];

        if (rec->id == msg->request_id && rec->kind == msg->kind)
            return rec;
    }
    if (sim->op_record_count == sim->op_record_cap) {
        size_t cap = sim->op_record_cap == 0 ? 8 : sim->op_record_cap * 2;

        sim->op_records = realloc(sim->op_records,
                                  cap * sizeof(*sim->op_records));
        MODEL_ASSERT(sim->op_records != NULL); /* out of memory */
        sim->op_record_cap = cap;
    }

    model_op_record *rec = &sim->op_records[sim->op_record_count++];

    *rec = (model_op_record){.id = msg->request_id, .kind = msg->kind,
                             .instance = msg->instance};
    return rec;
}

/* A retry of a remove or restart that succeeded: the same reply again. */
static void operation_repeat(model_sim *sim, const model_op_record *rec)
{
    model_msg *again = provider_msg(rec->kind == MODEL_MSG_INSTANCE_REMOVE
                                        ? MODEL_MSG_INSTANCE_REMOVED
                                        : MODEL_MSG_INSTANCE_RESTARTED,
                                    rec->id);

    again->instance = rec->instance;
    model_link_send(sim, again);
}

static void instance_operation(model_sim *sim, const model_msg *msg)
{
    bool remove = msg->kind == MODEL_MSG_INSTANCE_REMOVE;
    model_op_record *rec = op_record(sim, msg);

    if (rec->done) {
        operation_repeat(sim, rec);
        return;
    }
    if (rec->pending)
        return; /* in progress: its reply serves this one too */

    provider_draw d = draw_outcome(sim, remove ? &sim->remove_delay
                                               : &sim->restart_delay);

    /* No reply: a retry with the same id may work. */
    if (d.swallowed)
        return;

    /* A private copy carries the request to the event, with the outcome
     * drawn now and the record's slot in its value field. */
    model_msg *copy = model_msg_clone(msg);
    uint64_t slot = (uint64_t)(rec - sim->op_records);

    rec->pending = true;
    copy->value = (uint64_t)d.fails | (uint64_t)d.reply_lost << 1 |
                  slot << 2;
    copy->next = sim->provider_ops;
    if (sim->provider_ops != NULL)
        sim->provider_ops->prev = copy;
    sim->provider_ops = copy;
    sim->pending_provider_requests++;
    model_schedule(sim, model_now(sim) + d.delay_us, operation_cb, sim,
                   (uint64_t)(uintptr_t)copy);
}

/* ---- list ------------------------------------------------------------------ */

static void instance_list(model_sim *sim, const model_msg *msg)
{
    uint32_t *items = calloc(sim->instance_count + 1, sizeof(*items));
    size_t count = 0;

    MODEL_ASSERT(items != NULL); /* out of memory */
    for (uint32_t i = 0; i < sim->instance_count; i++)
        if (sim->instances[i].state != MODEL_INST_REMOVED)
            items[count++] = i;

    model_msg *reply_msg = provider_msg(MODEL_MSG_INSTANCE_LIST_REPLY,
                                        msg->request_id);

    model_msg_set_items(reply_msg, items, count, sizeof(*items));
    free(items);
    model_link_send(sim, reply_msg);
}

void model_provider_receive(model_sim *sim, const model_msg *msg)
{
    switch (msg->kind) {
    case MODEL_MSG_INSTANCE_CREATE:
        instance_create(sim, msg);
        break;
    case MODEL_MSG_INSTANCE_REMOVE:
    case MODEL_MSG_INSTANCE_RESTART:
        instance_operation(sim, msg);
        break;
    case MODEL_MSG_INSTANCE_LIST:
        instance_list(sim, msg);
        break;
    default:
        model_log(sim, LB_LOG_WARN, "provider_unexpected_message",
                  model_msg_kind_name(msg->kind));
        break;
    }
}

/* ---- crash -------------------------------------------------------------------- */

void model_instance_crash(model_sim *sim, uint32_t index)
{
    model_instance *inst = &sim->instances[index];

    if (inst->state != MODEL_INST_ACTIVE && inst->state != MODEL_INST_BOOTING)
        return;
    model_instance_sync(sim, index);
    model_dfm_halt(sim, index);
    if (inst->state == MODEL_INST_ACTIVE)
        model_instance_drop_requests(sim, index, MODEL_FAIL_TIMEOUT);
    inst->state = MODEL_INST_CRASHED;
}
