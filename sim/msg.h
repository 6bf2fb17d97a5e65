/* One message between two actors, as the message trace records it.
 *
 * Actor names: "lb", "nginx", "provider", "bm_router", "dfm/<instance>" and
 * "dev/<instance>". Message kinds use the names of the controller's protocol
 * (stats_request, routes_apply, instance_create, overload, ...). Scenario
 * expectations match against these records. */
#ifndef SIM_MSG_H
#define SIM_MSG_H

#include <stdint.h>

#include "sim_time.h"

typedef enum sim_msg_fate {
    SIM_MSG_DELIVERED = 0, /* reached its receiver at at_us */
    SIM_MSG_LOST = 1,      /* dropped by a fault rule; at_us is the send time */
} sim_msg_fate;

typedef struct sim_msg {
    sim_time_t at_us;
    const char *from;
    const char *to;
    const char *kind;
    uint64_t request_id; /* 0 when the message carries none */
    /* Key fields as space-separated key=value pairs; list values are
     * comma-separated ("instance=i2 tenants=t3,t4"). Never NULL. */
    const char *fields;
    sim_msg_fate fate;
} sim_msg;

/* Receiver of message records. The record and its strings are valid only
 * during the call. */
typedef void (*sim_msg_cb)(void *ctx, const sim_msg *msg);

#endif
