/* A fake port table for driving the controller without the simulator.
 *
 * Every request the controller makes is recorded, in order, as a kind, the
 * request id and a text of its other arguments. Log lines are recorded apart.
 * The clock is a number that the test sets, and advancing it runs the
 * controller's timer exactly when the controller requested a wake-up. */
#ifndef FAKE_PORTS_H
#define FAKE_PORTS_H

#include <stddef.h>
#include <stdint.h>

#include "controller.h"

#define FAKE_CALLS_MAX 256
#define FAKE_LOGS_MAX 1024
#define FAKE_TEXT_LEN 1024

typedef struct fake_call {
    char kind[32];          /* "routes_apply", "instance_create", ... */
    lb_request_id id;       /* routes_apply: the table version */
    lb_time_t at_us;        /* clock when the call was made */
    char text[FAKE_TEXT_LEN];
} fake_call;

typedef struct fake_log {
    lb_log_level level;
    char event[64];
    char fields[FAKE_TEXT_LEN];
} fake_log;

typedef struct fake_world {
    lb_time_t now_us;
    lb_time_t wake_us;      /* INT64_MAX when no wake-up is asked for */
    int send_result;        /* returned by every request port */
    fake_call calls[FAKE_CALLS_MAX];
    size_t call_count;
    size_t call_next;       /* first call not yet checked */
    fake_log logs[FAKE_LOGS_MAX];
    size_t log_count;
    const char *const *component_names;
    lb_controller *controller;
} fake_world;

/* Fills ports with functions that record into world. */
void fake_ports_init(fake_world *world, lb_ports *ports,
                     const char *const *component_names);

/* Moves the clock to at_us, running lb_on_timer at each wake-up asked for
 * on the way. */
void fake_advance_to(fake_world *world, lb_time_t at_us);

/* Checks that the next unchecked call has this kind and text, and returns
 * it; fails the test otherwise. */
const fake_call *fake_expect(fake_world *world, const char *kind,
                             const char *text);

/* Fails the test when a call is left unchecked. */
void fake_expect_no_call(fake_world *world);

/* Number of calls of kind, and of log lines with event whose fields contain
 * needle (NULL matches any). */
size_t fake_count_calls(const fake_world *world, const char *kind);
size_t fake_count_logs(const fake_world *world, const char *event,
                       const char *needle);

#endif
