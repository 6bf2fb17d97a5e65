/* Peak memory of a trace replay: replays the first H hours of a trace
 * through the whole simulated topology (controller included) and prints the
 * peak resident set size. Each replay runs in its own child process, so
 * each peak belongs to one replay. A streamed replay keeps the same peak
 * for 1 h and for 24 h.
 *
 * Usage: bench_trace_rss TRACE.csv [HOURS ...]   (default hours: 1 24)
 * Output, one line per replay:
 *   hours=H requests=N events=E wall_s=W peak_rss_kib=K */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "world.h"

/* A topology big enough for the trace's peak: one instance of 16 vCPUs
 * whose dev has 64 workers of 2 ms requests. */
static void build_config(world_config *config, world_trace_config *trace,
                         world_component_config *component,
                         world_instance_config *instance, lb_policy *policy,
                         const char *path, double hours)
{
    lb_policy_defaults(policy);
    *trace = (world_trace_config){.path = path, .time_scale = 1,
                                  .rate_scale = 1, .clones = 1};
    *component = (world_component_config){
        .name = "dev", .workers = 64, .queue_capacity = 1000,
        .service = {.kind = MODEL_DIST_EXPONENTIAL, .mean_us = 2000}};
    *instance = (world_instance_config){.id = "i1", .components = 1};
    *config = (world_config){
        .seed = 1,
        .duration_us = (sim_time_t)(hours * 3600.0 * SIM_US_PER_S),
        .sample_interval_us = SIM_S(10),
        .policy = policy,
        .component_count = 1,
        .components = component,
        .instance_vcpus = 16,
        .instance_count = 1,
        .instances = instance,
        .trace = trace,
        .dfm = {.sample_interval_us = SIM_S(5), .overload_permille = 800,
                .low_load_permille = 0, .window_us = SIM_S(60),
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
}

static double wall_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one replay in this process and prints its line. Returns 0 or 1. */
static int replay(const char *path, double hours)
{
    world_config config;
    world_trace_config trace;
    world_component_config component;
    world_instance_config instance;
    lb_policy policy;
    char err[512] = "";
    double started = wall_seconds();

    build_config(&config, &trace, &component, &instance, &policy, path,
                 hours);

    world *w = world_create(&config, NULL, err, sizeof(err));

    if (w == NULL || world_run(w, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_trace_rss: %s\n", err);
        world_destroy(w);
        return 1;
    }

    uint64_t requests = 0;

    for (size_t i = 0; i < world_tenant_count(w); i++) {
        world_tenant_totals totals;

        world_tenant_totals_at(w, i, &totals);
        requests += totals.requests;
    }

    struct rusage usage;

    getrusage(RUSAGE_SELF, &usage);
    printf("hours=%g requests=%" PRIu64 " events=%" PRIu64
           " wall_s=%.2f peak_rss_kib=%ld\n",
           hours, requests, world_events_run(w), wall_seconds() - started,
           usage.ru_maxrss);
    fflush(stdout);
    world_destroy(w);
    return 0;
}

static int replay_in_child(const char *path, double hours)
{
    pid_t pid = fork();

    if (pid < 0) {
        fprintf(stderr, "bench_trace_rss: fork failed: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0)
        _exit(replay(path, hours));

    int status = 0;

    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return 1;
    return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    static const char *const default_hours[] = {"1", "24"};
    const char *const *hours = default_hours;
    int count = 2;
    int failed = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s TRACE.csv [HOURS ...]\n", argv[0]);
        return 2;
    }
    if (argc > 2) {
        hours = (const char *const *)&argv[2];
        count = argc - 2;
    }
    for (int i = 0; i < count; i++) {
        char *end = NULL;
        double h = strtod(hours[i], &end);

        if (end == hours[i] || *end != '\0' || !(h > 0)) {
            fprintf(stderr, "bench_trace_rss: invalid hours \"%s\": expected "
                    "a number > 0\n", hours[i]);
            return 2;
        }
        failed |= replay_in_child(argv[1], h);
    }
    return failed;
}
