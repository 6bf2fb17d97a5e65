/* The recorder: growable arrays of copies, filled by the world's observer
 * callbacks during a run. */
#include "sim_record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void sim_record_init(sim_record *record, sim_time_t sample_interval_us)
{
    memset(record, 0, sizeof(*record));
    sim_pool_init(&record->pool);
    record->sample_interval_us = sample_interval_us;
}

void sim_record_deinit(sim_record *record)
{
    free(record->msgs);
    free(record->samples);
    free(record->violations);
    free(record->logs);
    free(record->names);
    sim_pool_deinit(&record->pool);
    memset(record, 0, sizeof(*record));
}

/* Makes room for one more element of an array that doubles as it grows. */
static int sim_record_grow(void **array, size_t *capacity, size_t count,
                           size_t size)
{
    size_t next;
    void *grown;

    if (count < *capacity) {
        return 0;
    }
    next = *capacity == 0 ? 64 : *capacity * 2;
    grown = realloc(*array, next * size);
    if (grown == NULL) {
        return -ENOMEM;
    }
    *array = grown;
    *capacity = next;
    return 0;
}

static const char *sim_record_intern(sim_record *record, const char *name)
{
    const char *copy;

    for (size_t i = 0; i < record->name_count; i++) {
        if (strcmp(record->names[i], name) == 0) {
            return record->names[i];
        }
    }
    if (sim_record_grow((void **)&record->names, &record->name_capacity,
                        record->name_count, sizeof(*record->names)) != 0) {
        return NULL;
    }
    copy = sim_pool_strdup(&record->pool, name);
    if (copy != NULL) {
        record->names[record->name_count++] = copy;
    }
    return copy;
}

int sim_record_msg(sim_record *record, const sim_msg *msg)
{
    sim_msg copy = *msg;

    if (sim_record_grow((void **)&record->msgs, &record->msg_capacity,
                        record->msg_count, sizeof(*record->msgs)) != 0) {
        return -ENOMEM;
    }
    copy.from = sim_record_intern(record, msg->from);
    copy.to = sim_record_intern(record, msg->to);
    copy.kind = sim_record_intern(record, msg->kind);
    copy.fields = sim_pool_strdup(&record->pool,
                                  msg->fields != NULL ? msg->fields : "");
    if (copy.from == NULL || copy.to == NULL || copy.kind == NULL ||
        copy.fields == NULL) {
        return -ENOMEM;
    }
    record->msgs[record->msg_count++] = copy;
    return 0;
}

int sim_record_sample(sim_record *record, const world_sample *sample)
{
    world_sample copy = *sample;
    world_instance_sample *rows;

    if (sim_record_grow((void **)&record->samples, &record->sample_capacity,
                        record->sample_count, sizeof(*record->samples)) != 0) {
        return -ENOMEM;
    }
    rows = sim_pool_calloc(&record->pool, sample->instance_count + 1,
                           sizeof(*rows));
    if (rows == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < sample->instance_count; i++) {
        rows[i] = sample->instances[i];
        rows[i].instance = sim_record_intern(record,
                                             sample->instances[i].instance);
        rows[i].state = sim_record_intern(record, sample->instances[i].state);
        if (rows[i].instance == NULL || rows[i].state == NULL) {
            return -ENOMEM;
        }
    }
    copy.instances = rows;
    record->samples[record->sample_count++] = copy;
    return 0;
}

int sim_record_violation(sim_record *record, sim_time_t at_us,
                         const char *name, const char *detail)
{
    sim_violation violation = {.at_us = at_us};

    if (sim_record_grow((void **)&record->violations,
                        &record->violation_capacity, record->violation_count,
                        sizeof(*record->violations)) != 0) {
        return -ENOMEM;
    }
    violation.name = sim_record_intern(record, name);
    violation.detail = sim_pool_strdup(&record->pool,
                                       detail != NULL ? detail : "");
    if (violation.name == NULL || violation.detail == NULL) {
        return -ENOMEM;
    }
    record->violations[record->violation_count++] = violation;
    return 0;
}

int sim_record_log(sim_record *record, sim_time_t at_us, lb_log_level level,
                   const char *event, const char *fields)
{
    sim_log_entry entry = {.at_us = at_us, .level = level};

    if (sim_record_grow((void **)&record->logs, &record->log_capacity,
                        record->log_count, sizeof(*record->logs)) != 0) {
        return -ENOMEM;
    }
    entry.event = sim_record_intern(record, event);
    entry.fields = sim_pool_strdup(&record->pool,
                                   fields != NULL ? fields : "");
    if (entry.event == NULL || entry.fields == NULL) {
        return -ENOMEM;
    }
    record->logs[record->log_count++] = entry;
    return 0;
}

int sim_record_tenants(sim_record *record, const world_tenant_totals *tenants,
                       size_t count)
{
    world_tenant_totals *copy = sim_pool_calloc(&record->pool, count + 1,
                                                sizeof(*copy));

    if (copy == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        copy[i] = tenants[i];
        copy[i].tenant = sim_pool_strdup(&record->pool, tenants[i].tenant);
        if (copy[i].tenant == NULL) {
            return -ENOMEM;
        }
    }
    record->tenants = copy;
    record->tenant_count = count;
    return 0;
}

int sim_fields_get(const char *fields, const char *key, char *buf,
                   size_t buf_len)
{
    size_t key_len = strlen(key);
    const char *cursor = fields;

    while (*cursor != '\0') {
        const char *end = strchr(cursor, ' ');
        size_t len = end != NULL ? (size_t)(end - cursor) : strlen(cursor);

        if (len > key_len && strncmp(cursor, key, key_len) == 0 &&
            cursor[key_len] == '=') {
            size_t value_len = len - key_len - 1;

            if (value_len >= buf_len) {
                return -ERANGE;
            }
            memcpy(buf, cursor + key_len + 1, value_len);
            buf[value_len] = '\0';
            return 0;
        }
        cursor += len;
        while (*cursor == ' ') {
            cursor++;
        }
    }
    return -ENOENT;
}
