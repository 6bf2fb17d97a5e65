/* summary.json: the seed, the version, every policy parameter, the
 * scenario's settings, the metrics and the verdicts of one run. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "sim_out.h"

#ifndef LBSIM_VERSION
#define LBSIM_VERSION "unknown"
#endif

void sim_out_json_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0';
         c++) {
        if (*c == '"' || *c == '\\') {
            fprintf(out, "\\%c", *c);
        } else if (*c == '\n') {
            fputs("\\n", out);
        } else if (*c < 0x20) {
            fprintf(out, "\\u%04x", *c);
        } else {
            fputc(*c, out);
        }
    }
    fputc('"', out);
}

static void sim_json_number(FILE *out, double value)
{
    if (isfinite(value)) {
        fprintf(out, "%.6f", value);
    } else {
        fputs("null", out);
    }
}

/* The file name without its folders, so that no machine's path leaks into
 * the output. */
static const char *sim_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash != NULL ? slash + 1 : path;
}

/* Writes a policy value as a JSON number when it is a plain integer. */
static void sim_json_policy_value(FILE *out, const char *text)
{
    size_t start = text[0] == '-' ? 1 : 0;
    bool integer = text[start] != '\0';

    for (size_t i = start; integer && text[i] != '\0'; i++) {
        integer = isdigit((unsigned char)text[i]) != 0;
    }
    if (integer) {
        fputs(text, out);
    } else {
        sim_out_json_string(out, text);
    }
}

static void sim_json_policy(FILE *out, const lb_policy *policy)
{
    fputs("  \"policy\": {", out);
    for (size_t i = 0; i < lb_policy_param_count(); i++) {
        char value[128];

        lb_policy_format(policy, i, value, sizeof(value));
        fprintf(out, "%s\n    ", i > 0 ? "," : "");
        sim_out_json_string(out, lb_policy_param_name(i));
        fputs(": ", out);
        sim_json_policy_value(out, value);
    }
    fputs("\n  },\n", out);
}

static const char *sim_dist_name(model_dist_kind kind)
{
    static const char *const names[] = {"deterministic", "exponential",
                                        "lognormal", "empirical"};

    return (unsigned)kind < 4 ? names[kind] : "unknown";
}

static void sim_json_dist(FILE *out, const char *name, const model_dist *dist)
{
    fprintf(out, "    \"%s\": {\"dist\": \"%s\", \"mean_us\": ", name,
            sim_dist_name(dist->kind));
    sim_json_number(out, dist->mean_us);
    fputs(", \"sigma\": ", out);
    sim_json_number(out, dist->sigma);
    fputs("},\n", out);
}

static void sim_json_topology(FILE *out, const world_config *config)
{
    fprintf(out, "    \"instance_vcpus\": %" PRIu32 ",\n    \"components\": [",
            config->instance_vcpus);
    for (size_t i = 0; i < config->component_count; i++) {
        const world_component_config *component = &config->components[i];

        fprintf(out, "%s\n      {\"name\": ", i > 0 ? "," : "");
        sim_out_json_string(out, component->name);
        fprintf(out,
                ", \"workers\": %" PRIu32 ", \"queue\": %" PRIu32
                ", \"service_dist\": \"%s\", \"service_mean_us\": ",
                component->workers, component->queue_capacity,
                sim_dist_name(component->service.kind));
        sim_json_number(out, component->service.mean_us);
        fputs("}", out);
    }
    fputs("\n    ],\n    \"instances\": [", out);
    for (size_t i = 0; i < config->instance_count; i++) {
        fprintf(out, "%s", i > 0 ? ", " : "");
        sim_out_json_string(out, config->instances[i].id);
    }
    fputs("],\n    \"tenants\": [", out);
    for (size_t i = 0; i < config->tenant_count; i++) {
        fprintf(out, "%s", i > 0 ? ", " : "");
        sim_out_json_string(out, config->tenants[i].id);
    }
    fputs("],\n    \"trace\": ", out);
    if (config->trace != NULL) {
        sim_out_json_string(out, sim_base_name(config->trace->path));
    } else {
        fputs("null", out);
    }
    fputs(",\n", out);
}

static void sim_json_models(FILE *out, const world_config *config)
{
    const world_dfm_config *dfm = &config->dfm;
    const world_nginx_config *nginx = &config->nginx;

    fprintf(out,
            "    \"dfm\": {\"sample_interval_us\": %" PRId64
            ", \"overload_permille\": %" PRIu32
            ", \"low_load_permille\": %" PRIu32 ", \"window_us\": %" PRId64
            ", \"restart_delay_us\": %" PRId64 "},\n",
            dfm->sample_interval_us, dfm->overload_permille,
            dfm->low_load_permille, dfm->window_us, dfm->restart_delay_us);
    fprintf(out,
            "    \"nginx\": {\"drop_errors\": %" PRIu32
            ", \"drop_window_us\": %" PRId64
            ", \"request_timeout_us\": %" PRId64 "},\n",
            nginx->drop_errors, nginx->drop_window_us,
            nginx->request_timeout_us);
    sim_json_dist(out, "provider_create_delay", &config->provider.create_delay);
    sim_json_dist(out, "provider_remove_delay", &config->provider.remove_delay);
    sim_json_dist(out, "provider_restart_delay",
                  &config->provider.restart_delay);
    sim_json_dist(out, "provider_boot_delay", &config->provider.boot_delay);
    sim_json_dist(out, "link_latency", &config->link_latency);
}

static void sim_json_settings(FILE *out, const sim_scenario *scenario)
{
    const world_config *config = &scenario->world;

    fprintf(out,
            "  \"settings\": {\n    \"duration_us\": %" PRId64
            ",\n    \"sample_interval_us\": %" PRId64 ",\n",
            config->duration_us, config->sample_interval_us);
    sim_json_topology(out, config);
    sim_json_models(out, config);
    fprintf(out, "    \"faults\": %zu,\n    \"tenant_events\": %zu\n  },\n",
            config->fault_count, config->tenant_event_count);
}

static void sim_json_metrics(FILE *out, const sim_metrics *m)
{
    fprintf(out,
            "  \"metrics\": {\n    \"requests\": %" PRIu64
            ",\n    \"failed_requests\": %" PRIu64 ",\n",
            m->requests, m->failed_requests);
    fputs("    \"latency_p50_ms_max\": ", out);
    sim_json_number(out, m->latency_p50_ms_max);
    fputs(",\n    \"latency_p95_ms_max\": ", out);
    sim_json_number(out, m->latency_p95_ms_max);
    fputs(",\n    \"latency_p99_ms_max\": ", out);
    sim_json_number(out, m->latency_p99_ms_max);
    fprintf(out,
            ",\n    \"instances_min\": %" PRIu32 ",\n    \"instances_max\": %" PRIu32
            ",\n    \"instance_hours\": ",
            m->instances_min, m->instances_max);
    sim_json_number(out, m->instance_hours);
    fprintf(out,
            ",\n    \"scale_outs\": %" PRIu32 ",\n    \"scale_ins\": %" PRIu32
            ",\n    \"scaling_actions\": %" PRIu32 ",\n    \"restarts\": %" PRIu32
            ",\n    \"route_changes\": %" PRIu32 ",\n    \"recovery_time_s\": ",
            m->scale_outs, m->scale_ins, m->scale_outs + m->scale_ins,
            m->restarts, m->route_changes);
    sim_json_number(out, m->recovery_time_s);
    fputs("\n  },\n", out);
}

static void sim_json_verdicts(FILE *out, const sim_check *check)
{
    fprintf(out, "  \"verdict\": \"%s\",\n  \"expectations\": [",
            check->failed == 0 ? "pass" : "fail");
    for (size_t i = 0; i < check->count; i++) {
        const sim_verdict *verdict = &check->verdicts[i];

        fprintf(out, "%s\n    {\"name\": ", i > 0 ? "," : "");
        sim_out_json_string(out, verdict->name);
        fprintf(out,
                ", \"kind\": \"%s\", \"passed\": %s, \"skipped\": %s, "
                "\"summary\": ",
                sim_verdict_kind_name(verdict->kind),
                verdict->passed ? "true" : "false",
                verdict->skipped ? "true" : "false");
        sim_out_json_string(out, verdict->summary);
        fputs("}", out);
    }
    fputs(check->count > 0 ? "\n  ]\n" : "]\n", out);
}

int sim_out_summary_json(FILE *out, const sim_run_result *run)
{
    const sim_scenario *scenario = run->scenario;

    fputs("{\n  \"scenario\": ", out);
    sim_out_json_string(out, scenario->name);
    fputs(",\n  \"description\": ", out);
    sim_out_json_string(out, scenario->description);
    fputs(",\n  \"file\": ", out);
    sim_out_json_string(out, sim_base_name(scenario->path));
    fprintf(out, ",\n  \"seed\": %" PRIu64 ",\n  \"lbsim_version\": \"%s\",\n",
            run->seed, LBSIM_VERSION);
    fprintf(out, "  \"messages\": %zu,\n", run->record->msg_count);
    sim_json_policy(out, &scenario->policy);
    sim_json_settings(out, scenario);
    sim_json_metrics(out, run->metrics);
    sim_json_verdicts(out, run->check);
    fputs("}\n", out);
    return ferror(out) ? -EIO : 0;
}
