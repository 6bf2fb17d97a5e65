/* The discrete-event engine: a virtual clock and an event queue.
 *
 * Events run in (time, insertion sequence) order, so two events scheduled
 * for the same time run in the order they were scheduled. The engine keeps
 * no global state: two engines can run side by side in one process. A
 * handler may schedule and cancel events on its own engine. */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "sim_time.h"

typedef struct sim_engine sim_engine;

/* Handler of one event: ctx and arg are the values given to
 * sim_engine_schedule. */
typedef void (*sim_event_cb)(sim_engine *engine, void *ctx, uint64_t arg);

/* Handle of a scheduled event. A handle stays safe to cancel after its event
 * ran or was cancelled: the generation tells a reused slot apart. */
typedef struct sim_event_id {
    uint32_t slot;
    uint32_t generation;
} sim_event_id;

/* Creates an engine at virtual time 0 with an empty queue. Returns NULL when
 * memory runs out. */
sim_engine *sim_engine_create(void);
void sim_engine_destroy(sim_engine *engine);

sim_time_t sim_engine_now(const sim_engine *engine);

/* Schedules cb(engine, ctx, arg) at virtual time at_us. Returns 0, -EINVAL
 * when at_us is earlier than now or cb is NULL, or -ENOMEM. id_out may be
 * NULL when the caller never cancels. */
int sim_engine_schedule(sim_engine *engine, sim_time_t at_us, sim_event_cb cb,
                        void *ctx, uint64_t arg, sim_event_id *id_out);

/* Cancels a pending event. Returns 0, or -ENOENT when the event already ran
 * or was cancelled before. */
int sim_engine_cancel(sim_engine *engine, sim_event_id id);

/* Runs every event due at or before limit_us, in order, then sets the clock
 * to limit_us (unless a handler called sim_engine_stop). An event at exactly
 * limit_us runs. Returns the number of events run. A limit earlier than now
 * runs nothing and leaves the clock alone. Neither run function may be
 * called from a handler (the engine aborts). */
uint64_t sim_engine_run_until(sim_engine *engine, sim_time_t limit_us);

/* Runs events until the queue is empty or a handler calls sim_engine_stop.
 * The clock stays at the time of the last event run. Returns the number of
 * events run. */
uint64_t sim_engine_run(sim_engine *engine);

/* Makes the running sim_engine_run or sim_engine_run_until return after the
 * current handler. Called outside a run it has no effect. */
void sim_engine_stop(sim_engine *engine);

/* Number of events scheduled and neither run nor cancelled. */
size_t sim_engine_pending(const sim_engine *engine);

/* Number of events run since the engine was created. */
uint64_t sim_engine_events_run(const sim_engine *engine);

#endif
