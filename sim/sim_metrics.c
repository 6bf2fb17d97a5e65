/* Metrics of a run from its samples, tenant totals and actions. */
#include "sim_metrics.h"

#include <stdlib.h>
#include <string.h>

bool sim_instance_state_counts(const char *state)
{
    return strcmp(state, "removed") != 0;
}

static uint32_t sim_sample_instances(const world_sample *sample)
{
    uint32_t count = 0;

    for (size_t i = 0; i < sample->instance_count; i++) {
        if (sim_instance_state_counts(sample->instances[i].state)) {
            count++;
        }
    }
    return count;
}

static double sim_max(double a, double b)
{
    return a > b ? a : b;
}

static void sim_metrics_from_samples(const sim_record *record,
                                     sim_metrics *out)
{
    sim_time_t streak_start_us = -1;

    for (size_t i = 0; i < record->sample_count; i++) {
        const world_sample *sample = &record->samples[i];
        uint32_t instances = sim_sample_instances(sample);
        sim_time_t start_us = sample->at_us - record->sample_interval_us;

        if (i == 0 || instances < out->instances_min) {
            out->instances_min = instances;
        }
        if (instances > out->instances_max) {
            out->instances_max = instances;
        }
        out->instance_hours += (double)instances *
                               (double)record->sample_interval_us / 3.6e9;

        if (sample->requests > 0) {
            out->latency_p50_ms_max = sim_max(out->latency_p50_ms_max,
                                              sample->latency_p50_us / 1e3);
            out->latency_p95_ms_max = sim_max(out->latency_p95_ms_max,
                                              sample->latency_p95_us / 1e3);
            out->latency_p99_ms_max = sim_max(out->latency_p99_ms_max,
                                              sample->latency_p99_us / 1e3);
        }

        if (sample->errors == 0) {
            streak_start_us = -1;
            continue;
        }
        if (streak_start_us < 0) {
            streak_start_us = start_us < 0 ? 0 : start_us;
        }
        out->recovery_time_s = sim_max(out->recovery_time_s,
                                       (double)(sample->at_us -
                                                streak_start_us) /
                                           1e6);
    }
}

int sim_metrics_compute(const sim_record *record, sim_metrics *out)
{
    sim_action *actions;
    size_t action_count;
    int rc;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < record->tenant_count; i++) {
        out->requests += record->tenants[i].requests;
        out->failed_requests += record->tenants[i].failed;
    }
    sim_metrics_from_samples(record, out);

    rc = sim_actions_collect(record, &actions, &action_count);
    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < action_count; i++) {
        uint32_t *counters[] = {&out->scale_outs, &out->scale_ins,
                                &out->restarts, &out->route_changes};

        (*counters[actions[i].kind])++;
    }
    free(actions);
    return 0;
}

double sim_metrics_value(const sim_metrics *metrics, sim_metric metric,
                         bool is_max)
{
    switch (metric) {
    case SIM_METRIC_FAILED_REQUESTS:
        return (double)metrics->failed_requests;
    case SIM_METRIC_LATENCY_P50_MS:
        return metrics->latency_p50_ms_max;
    case SIM_METRIC_LATENCY_P95_MS:
        return metrics->latency_p95_ms_max;
    case SIM_METRIC_LATENCY_P99_MS:
        return metrics->latency_p99_ms_max;
    case SIM_METRIC_INSTANCES:
        return is_max ? metrics->instances_max : metrics->instances_min;
    case SIM_METRIC_INSTANCE_HOURS:
        return metrics->instance_hours;
    case SIM_METRIC_SCALING_ACTIONS:
        return (double)(metrics->scale_outs + metrics->scale_ins);
    case SIM_METRIC_RECOVERY_TIME_S:
        return metrics->recovery_time_s;
    default:
        return 0.0;
    }
}
