/* The record of a run for the checker and the outputs: every message, every
 * sample, every invariant violation, the controller's log and the tenant
 * totals.
 *
 * The recorder copies what the world's observer hands it, because the
 * world's records are valid only during the callback. Strings live in the
 * record's pool; actor and kind names are shared between records. */
#ifndef SIM_RECORD_H
#define SIM_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "sim_pool.h"
#include "sim_time.h"
#include "world.h"

typedef struct sim_violation {
    sim_time_t at_us;
    const char *name;
    const char *detail;
} sim_violation;

/* One line of the controller's log. */
typedef struct sim_log_entry {
    sim_time_t at_us;
    lb_log_level level;
    const char *event;
    const char *fields;
} sim_log_entry;

typedef struct sim_record {
    sim_pool pool;

    size_t msg_count;
    size_t msg_capacity;
    sim_msg *msgs; /* in trace order */

    size_t sample_count;
    size_t sample_capacity;
    world_sample *samples; /* instance rows copied into the pool */
    sim_time_t sample_interval_us;

    size_t violation_count;
    size_t violation_capacity;
    sim_violation *violations;

    size_t log_count;
    size_t log_capacity;
    sim_log_entry *logs;

    size_t tenant_count;
    world_tenant_totals *tenants;

    size_t name_count;
    size_t name_capacity;
    const char **names; /* interned actor and kind names */
} sim_record;

void sim_record_init(sim_record *record, sim_time_t sample_interval_us);
void sim_record_deinit(sim_record *record);

/* Each returns 0 or -ENOMEM. */
int sim_record_msg(sim_record *record, const sim_msg *msg);
int sim_record_sample(sim_record *record, const world_sample *sample);
int sim_record_violation(sim_record *record, sim_time_t at_us,
                         const char *name, const char *detail);
int sim_record_log(sim_record *record, sim_time_t at_us, lb_log_level level,
                   const char *event, const char *fields);
/* Copies count tenant totals, replacing earlier ones. */
int sim_record_tenants(sim_record *record, const world_tenant_totals *tenants,
                       size_t count);

/* Finds the value of key in a message's fields ("key=value ...") and copies
 * it into buf. Returns 0, -ENOENT when the key is absent or -ERANGE when the
 * value does not fit. */
int sim_fields_get(const char *fields, const char *key, char *buf,
                   size_t buf_len);

#endif
