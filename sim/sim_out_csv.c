/* The CSV outputs (message trace, time series, instances, actions, tenant
 * totals) and the controller's log as text. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_out.h"
#include "sim_units.h"

void sim_out_csv_field(FILE *out, const char *text)
{
    if (strpbrk(text, ",\"\r\n") == NULL) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == '"') {
            fputc('"', out);
        }
        fputc(*c, out);
    }
    fputc('"', out);
}

static int sim_out_status(FILE *out)
{
    return ferror(out) ? -EIO : 0;
}

int sim_out_trace_csv(FILE *out, const sim_run_result *run)
{
    const sim_record *record = run->record;

    fputs("time_us,from,to,kind,request_id,fate,fields\n", out);
    for (size_t i = 0; i < record->msg_count; i++) {
        const sim_msg *msg = &record->msgs[i];

        fprintf(out, "%" PRId64 ",", msg->at_us);
        sim_out_csv_field(out, msg->from);
        fputc(',', out);
        sim_out_csv_field(out, msg->to);
        fprintf(out, ",%s,%" PRIu64 ",%s,", msg->kind, msg->request_id,
                msg->fate == SIM_MSG_LOST ? "lost" : "delivered");
        sim_out_csv_field(out, msg->fields);
        fputc('\n', out);
    }
    return sim_out_status(out);
}

static double sim_per_second(uint64_t count, sim_time_t interval_us)
{
    return interval_us > 0 ? (double)count * 1e6 / (double)interval_us : 0.0;
}

int sim_out_timeseries_csv(FILE *out, const sim_run_result *run)
{
    const sim_record *record = run->record;
    sim_time_t interval_us = record->sample_interval_us;

    fputs("time_s,instances,requests_per_s,errors_per_s,latency_p50_ms,"
          "latency_p95_ms,latency_p99_ms,routing_changes,"
          "pending_provider_requests\n",
          out);
    for (size_t i = 0; i < record->sample_count; i++) {
        const world_sample *sample = &record->samples[i];
        size_t instances = 0;
        char time_s[40];

        for (size_t j = 0; j < sample->instance_count; j++) {
            instances += sim_instance_state_counts(sample->instances[j].state);
        }
        sim_format_seconds_fixed(time_s, sizeof(time_s), sample->at_us);
        fprintf(out, "%s,%zu,%.3f,%.3f,%.3f,%.3f,%.3f,%" PRIu32 ",%" PRIu32
                     "\n",
                time_s, instances, sim_per_second(sample->requests, interval_us),
                sim_per_second(sample->errors, interval_us),
                sample->latency_p50_us / 1e3, sample->latency_p95_us / 1e3,
                sample->latency_p99_us / 1e3, sample->routing_changes,
                sample->pending_provider_requests);
    }
    return sim_out_status(out);
}

int sim_out_instances_csv(FILE *out, const sim_run_result *run)
{
    const sim_record *record = run->record;

    fputs("time_s,instance,state,cpu_percent,requests_per_s\n", out);
    for (size_t i = 0; i < record->sample_count; i++) {
        const world_sample *sample = &record->samples[i];
        char time_s[40];

        sim_format_seconds_fixed(time_s, sizeof(time_s), sample->at_us);
        for (size_t j = 0; j < sample->instance_count; j++) {
            const world_instance_sample *row = &sample->instances[j];

            fprintf(out, "%s,%s,%s,%.1f,%.3f\n", time_s, row->instance,
                    row->state, row->cpu_permille / 10.0,
                    sim_per_second(row->requests,
                                   record->sample_interval_us));
        }
    }
    return sim_out_status(out);
}

int sim_out_actions_csv(FILE *out, const sim_run_result *run)
{
    sim_action *actions;
    size_t count;
    int rc = sim_actions_collect(run->record, &actions, &count);

    if (rc != 0) {
        return rc;
    }
    fputs("time_s,action,instance,detail\n", out);
    for (size_t i = 0; i < count; i++) {
        char time_s[40];

        sim_format_seconds_fixed(time_s, sizeof(time_s), actions[i].at_us);
        fprintf(out, "%s,%s,%s,%s=%" PRIu64 "\n", time_s,
                sim_action_name(actions[i].kind), actions[i].instance,
                actions[i].kind == SIM_ACTION_ROUTE_CHANGE ? "version"
                                                           : "request_id",
                actions[i].request_id);
    }
    free(actions);
    return sim_out_status(out);
}

int sim_out_tenants_csv(FILE *out, const sim_run_result *run)
{
    const sim_record *record = run->record;

    /* The failed_* columns after failed are disjoint and add up to it. */
    fputs("tenant,requests,failed,failed_queue_full,failed_process_dead,"
          "failed_process_stopped,failed_timeout,failed_killed,"
          "failed_no_route,latency_mean_ms,latency_p99_ms\n",
          out);
    for (size_t i = 0; i < record->tenant_count; i++) {
        const world_tenant_totals *t = &record->tenants[i];

        sim_out_csv_field(out, t->tenant);
        fprintf(out,
                ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.3f,%.3f\n",
                t->requests, t->failed, t->failed_queue_full,
                t->failed_process_dead, t->failed_process_stopped,
                t->failed_timeout, t->failed_killed, t->failed_no_route,
                t->latency_mean_us / 1e3, t->latency_p99_us / 1e3);
    }
    return sim_out_status(out);
}

int sim_out_controller_log(FILE *out, const sim_run_result *run)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    const sim_record *record = run->record;

    for (size_t i = 0; i < record->log_count; i++) {
        const sim_log_entry *entry = &record->logs[i];
        char time_s[40];

        sim_format_seconds_fixed(time_s, sizeof(time_s), entry->at_us);
        fprintf(out, "%s %s %s %s\n", time_s,
                (unsigned)entry->level < 4 ? levels[entry->level] : "log",
                entry->event, entry->fields);
    }
    return sim_out_status(out);
}
