/* Trace replay at scale: a day of a traffic trace, its tenants cloned and
 * its rate scaled, through the whole simulated topology with the real
 * controller inside (world_create and world_run, as lbsim runs a scenario).
 * It prints one line with the simulated requests, the events, events per
 * second of wall time, the wall time and the peak resident set size.
 *
 * Memory grows with the tenants and the requests in flight: the world reads
 * the trace one bucket ahead, so a longer trace needs no more memory.
 *
 * The topology: every tenant (clones included) is named on one of the
 * initial instances, round robin, so that each is in the controller's
 * tables and can be moved on overload. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "model_trace.h"
#include "policy.h"
#include "world.h"

#ifndef REPLAY_TRACE_DEFAULT
#define REPLAY_TRACE_DEFAULT "azure-fn-2019-day.csv"
#endif

/* Upper bounds of the options, so that a typo cannot ask for terabytes. */
#define REPLAY_CLONES_MAX 1000u
#define REPLAY_INSTANCES_MAX 10000u

typedef struct replay_options {
    const char *trace_path;
    double hours;
    uint32_t clones;
    double rate_scale;
    uint64_t seed;
    uint32_t vcpus;
    uint32_t instances;
    uint32_t instances_max;
    double service_ms;
} replay_options;

/* Tenant ids of the trace, with their clones: one allocation per id. */
typedef struct replay_tenants {
    char **ids;
    size_t count;
    size_t cap;
} replay_tenants;

/* Counts of the controller's provider requests, from the message trace. */
typedef struct replay_counts {
    uint64_t messages;
    uint64_t creates;
    uint64_t removes;
} replay_counts;

static void replay_usage(FILE *out, const char *program)
{
    fprintf(out,
            "usage: %s [OPTIONS]\n"
            "Replays a trace through the simulated topology and the "
            "controller, then prints\n"
            "requests, events, events/s, wall time and peak RSS.\n"
            "\n"
            "  --trace FILE        trace CSV time_s,tenant,requests "
            "(default: the day trace)\n"
            "  --hours H           virtual hours to run (default 24)\n"
            "  --clones K          copies of each trace tenant, 1 to %u "
            "(default 20)\n"
            "  --rate-scale X      multiplies every bucket's requests "
            "(default 0.75)\n"
            "  --seed N            root seed of the random streams "
            "(default 1)\n"
            "  --vcpus N           vCPUs of each worker instance "
            "(default 16)\n"
            "  --instances N       initial worker instances (default 8)\n"
            "  --instances-max N   policy instances_max (default 32)\n"
            "  --service-ms X      mean CPU time of a request, exponential, "
            "in ms (default 10)\n"
            "  --help              print this text\n",
            program, REPLAY_CLONES_MAX);
}

static int replay_parse_u64(const char *name, const char *text,
                            uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    unsigned long long value;

    errno = 0;
    value = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 || text[0] == '-' ||
        value < min || value > max) {
        fprintf(stderr, "replay: invalid %s '%s': expected an integer from "
                "%" PRIu64 " to %" PRIu64 "\n", name, text, min, max);
        return -EINVAL;
    }
    *out = value;
    return 0;
}

static int replay_parse_u32(const char *name, const char *text, uint32_t min,
                            uint32_t max, uint32_t *out)
{
    uint64_t value = 0;
    int rc = replay_parse_u64(name, text, min, max, &value);

    *out = (uint32_t)value;
    return rc;
}

static int replay_parse_positive(const char *name, const char *text,
                                 double max, double *out)
{
    char *end = NULL;
    double value;

    errno = 0;
    value = strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0 || !(value > 0) ||
        !(value <= max)) {
        fprintf(stderr, "replay: invalid %s '%s': expected a number above 0 "
                "and at most %g\n", name, text, max);
        return -EINVAL;
    }
    *out = value;
    return 0;
}

/* Returns 0, 1 after --help, or -EINVAL after a message on stderr. */
static int replay_parse_args(int argc, char **argv, replay_options *opt)
{
    static const struct option longs[] = {
        {"trace", required_argument, NULL, 't'},
        {"hours", required_argument, NULL, 'H'},
        {"clones", required_argument, NULL, 'c'},
        {"rate-scale", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 's'},
        {"vcpus", required_argument, NULL, 'v'},
        {"instances", required_argument, NULL, 'i'},
        {"instances-max", required_argument, NULL, 'm'},
        {"service-ms", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int rc = 0;
    int ch;

    while (rc == 0 && (ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 't':
            opt->trace_path = optarg;
            break;
        case 'H':
            rc = replay_parse_positive("--hours", optarg, 1e4, &opt->hours);
            break;
        case 'c':
            rc = replay_parse_u32("--clones", optarg, 1, REPLAY_CLONES_MAX,
                                  &opt->clones);
            break;
        case 'r':
            rc = replay_parse_positive("--rate-scale", optarg, 1e6,
                                       &opt->rate_scale);
            break;
        case 's':
            rc = replay_parse_u64("--seed", optarg, 0, UINT64_MAX,
                                  &opt->seed);
            break;
        case 'v':
            rc = replay_parse_u32("--vcpus", optarg, 1, 1024, &opt->vcpus);
            break;
        case 'i':
            rc = replay_parse_u32("--instances", optarg, 1,
                                  REPLAY_INSTANCES_MAX, &opt->instances);
            break;
        case 'm':
            rc = replay_parse_u32("--instances-max", optarg, 1,
                                  REPLAY_INSTANCES_MAX, &opt->instances_max);
            break;
        case 'S':
            rc = replay_parse_positive("--service-ms", optarg, 1e6,
                                       &opt->service_ms);
            break;
        case 'h':
            replay_usage(stdout, argv[0]);
            return 1;
        default:
            replay_usage(stderr, argv[0]);
            return -EINVAL;
        }
    }
    if (rc == 0 && optind < argc) {
        fprintf(stderr, "replay: unexpected argument '%s': run with --help "
                "for the options\n", argv[optind]);
        rc = -EINVAL;
    }
    if (rc == 0 && opt->instances > opt->instances_max) {
        fprintf(stderr, "replay: --instances %u is above --instances-max %u\n",
                opt->instances, opt->instances_max);
        rc = -EINVAL;
    }
    return rc;
}

/* ---- tenant ids ---------------------------------------------------------- */

static int replay_tenants_add(replay_tenants *tenants, const char *id)
{
    if (tenants->count == tenants->cap) {
        size_t cap = tenants->cap == 0 ? 64 : tenants->cap * 2;
        char **grown = realloc(tenants->ids, cap * sizeof(*grown));

        if (grown == NULL)
            return -ENOMEM;
        tenants->ids = grown;
        tenants->cap = cap;
    }
    tenants->ids[tenants->count] = strdup(id);
    if (tenants->ids[tenants->count] == NULL)
        return -ENOMEM;
    tenants->count++;
    return 0;
}

static bool replay_tenants_has(const replay_tenants *tenants, const char *id)
{
    for (size_t i = 0; i < tenants->count; i++)
        if (strcmp(tenants->ids[i], id) == 0)
            return true;
    return false;
}

static void replay_tenants_free(replay_tenants *tenants)
{
    for (size_t i = 0; i < tenants->count; i++)
        free(tenants->ids[i]);
    free(tenants->ids);
    memset(tenants, 0, sizeof(*tenants));
}

/* Lists the trace's tenants, then each clone id as the world names it
 * ("<id>-c<k>"). One pass over the trace before the run; the search for
 * duplicates is linear, which is fine for traces of a few thousand ids. */
static int replay_list_tenants(const char *path, uint32_t clones,
                               replay_tenants *tenants, char *err,
                               size_t err_len)
{
    model_trace_reader reader;
    model_trace_row row;
    int rc = model_trace_open(&reader, path, err, err_len);

    if (rc != 0)
        return rc;
    while ((rc = model_trace_next(&reader, &row, err, err_len)) == 1) {
        if (!replay_tenants_has(tenants, row.tenant))
            rc = replay_tenants_add(tenants, row.tenant);
        if (rc < 0)
            break;
    }
    model_trace_close(&reader);
    if (rc < 0)
        return rc;

    size_t originals = tenants->count;

    for (uint32_t k = 1; rc == 0 && k < clones; k++) {
        for (size_t i = 0; rc == 0 && i < originals; i++) {
            char id[LB_ID_LEN_MAX + 1];

            snprintf(id, sizeof(id), "%s-c%u", tenants->ids[i], k);
            rc = replay_tenants_add(tenants, id);
        }
    }
    if (rc == -ENOMEM)
        snprintf(err, err_len, "out of memory listing the trace's tenants");
    return rc;
}

/* ---- the world ------------------------------------------------------------ */

static void replay_count_msg(void *ctx, const sim_msg *msg)
{
    replay_counts *counts = ctx;

    counts->messages++;
    if (strcmp(msg->from, "lb") != 0)
        return;
    counts->creates += strcmp(msg->kind, "instance_create") == 0;
    counts->removes += strcmp(msg->kind, "instance_remove") == 0;
}

/* Builds the world's config; the arrays it points to are the caller's. */
static int replay_build_config(const replay_options *opt,
                               const replay_tenants *tenants,
                               world_config *config, world_trace_config *trace,
                               world_component_config *component,
                               world_instance_config *instances,
                               char (*instance_ids)[16],
                               const char ***instance_tenants,
                               lb_policy *policy)
{
    char value[32];
    char err[256];

    lb_policy_defaults(policy);
    snprintf(value, sizeof(value), "%u", opt->instances_max);
    if (lb_policy_set(policy, "instances_max", value, err, sizeof(err)) != 0)
        return -EINVAL;

    *trace = (world_trace_config){.path = opt->trace_path, .time_scale = 1,
                                  .rate_scale = opt->rate_scale,
                                  .clones = opt->clones};
    *component = (world_component_config){
        .name = "dev", .workers = 4 * opt->vcpus, .queue_capacity = 1024,
        .service = {.kind = MODEL_DIST_EXPONENTIAL,
                    .mean_us = opt->service_ms * 1000.0}};

    for (uint32_t i = 0; i < opt->instances; i++) {
        size_t count = 0;

        for (size_t t = i; t < tenants->count; t += opt->instances)
            instance_tenants[i][count++] = tenants->ids[t];
        snprintf(instance_ids[i], sizeof(instance_ids[i]), "i%u", i + 1);
        instances[i] = (world_instance_config){
            .id = instance_ids[i], .components = 1, .tenant_count = count,
            .tenants = instance_tenants[i]};
    }

    *config = (world_config){
        .seed = opt->seed,
        .duration_us = (sim_time_t)llround(opt->hours * 3600.0 * 1e6),
        .sample_interval_us = SIM_S(10),
        .policy = policy,
        .component_count = 1,
        .components = component,
        .instance_vcpus = opt->vcpus,
        .instance_count = opt->instances,
        .instances = instances,
        .trace = trace,
        .dfm = {.sample_interval_us = SIM_S(5), .overload_permille = 800,
                .low_load_permille = 200, .window_us = SIM_S(30),
                .restart_delay_us = SIM_S(5)},
        .nginx = {.drop_errors = 50, .drop_window_us = SIM_S(10),
                  .request_timeout_us = SIM_S(30)},
        .provider = {
            .create_delay = {.kind = MODEL_DIST_DETERMINISTIC, .mean_us = 6e7},
            .remove_delay = {.kind = MODEL_DIST_DETERMINISTIC, .mean_us = 1e7},
            .restart_delay = {.kind = MODEL_DIST_DETERMINISTIC,
                              .mean_us = 3e7},
            .boot_delay = {.kind = MODEL_DIST_DETERMINISTIC, .mean_us = 2e7}},
        .link_latency = {.kind = MODEL_DIST_DETERMINISTIC, .mean_us = 500},
    };
    return 0;
}

static double replay_wall_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void replay_print(const replay_options *opt, world *w,
                         const replay_counts *counts, double wall_s)
{
    uint64_t requests = 0;
    uint64_t failed = 0;
    uint64_t events = world_events_run(w);
    struct rusage usage;

    for (size_t i = 0; i < world_tenant_count(w); i++) {
        world_tenant_totals totals;

        world_tenant_totals_at(w, i, &totals);
        requests += totals.requests;
        failed += totals.failed;
    }
    getrusage(RUSAGE_SELF, &usage);

    /* ru_maxrss is in KiB on Linux. */
    printf("tenants=%zu hours=%g requests=%" PRIu64 " mean_requests_per_s=%.1f"
           " failed=%" PRIu64 " scale_outs=%" PRIu64 " scale_ins=%" PRIu64
           " events=%" PRIu64 " events_per_s=%.0f wall_s=%.2f"
           " peak_rss_mib=%.1f\n",
           world_tenant_count(w), opt->hours, requests,
           (double)requests / (opt->hours * 3600.0), failed, counts->creates,
           counts->removes, events, (double)events / wall_s, wall_s,
           (double)usage.ru_maxrss / 1024.0);
}

/* Runs the replay and prints its line. Returns 0, or 1 after a message. */
static int replay_run(const replay_options *opt, const replay_tenants *tenants)
{
    uint32_t n = opt->instances;
    world_instance_config *instances = calloc(n, sizeof(*instances));
    char (*instance_ids)[16] = calloc(n, sizeof(*instance_ids));
    const char ***instance_tenants = calloc(n, sizeof(*instance_tenants));
    bool ok = instances != NULL && instance_ids != NULL &&
              instance_tenants != NULL;

    for (uint32_t i = 0; ok && i < n; i++) {
        instance_tenants[i] = calloc(tenants->count / n + 1,
                                     sizeof(**instance_tenants));
        ok = instance_tenants[i] != NULL;
    }

    world_config config;
    world_trace_config trace;
    world_component_config component;
    lb_policy policy;
    replay_counts counts = {0};
    world_observer observer = {.ctx = &counts, .on_msg = replay_count_msg};
    char err[512] = "out of memory building the topology";
    world *w = NULL;
    int status = 1;

    if (ok && replay_build_config(opt, tenants, &config, &trace, &component,
                                  instances, instance_ids, instance_tenants,
                                  &policy) != 0)
        snprintf(err, sizeof(err), "the policy rejected instances_max %u",
                 opt->instances_max);
    else if (ok)
        w = world_create(&config, &observer, err, sizeof(err));

    if (w != NULL) {
        double started = replay_wall_s();

        if (world_run(w, err, sizeof(err)) == 0) {
            replay_print(opt, w, &counts, replay_wall_s() - started);
            status = 0;
        }
    }
    if (status != 0)
        fprintf(stderr, "replay: %s\n", err);

    world_destroy(w);
    for (uint32_t i = 0; instance_tenants != NULL && i < n; i++)
        free(instance_tenants[i]);
    free(instance_tenants);
    free(instance_ids);
    free(instances);
    return status;
}

int main(int argc, char **argv)
{
    replay_options opt = {
        .trace_path = REPLAY_TRACE_DEFAULT,
        .hours = 24,
        .clones = 20,
        .rate_scale = 0.75,
        .seed = 1,
        .vcpus = 16,
        .instances = 8,
        .instances_max = 32,
        .service_ms = 10,
    };
    replay_tenants tenants = {0};
    char err[512] = "";
    int rc = replay_parse_args(argc, argv, &opt);

    if (rc != 0)
        return rc > 0 ? 0 : 2;

    rc = replay_list_tenants(opt.trace_path, opt.clones, &tenants, err,
                             sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "replay: %s\n", err);
        replay_tenants_free(&tenants);
        return 1;
    }

    rc = replay_run(&opt, &tenants);
    replay_tenants_free(&tenants);
    return rc;
}
