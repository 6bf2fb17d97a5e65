/* One scenario run: build the world, record what it does, check the
 * expectations, write the output folder and print the verdict. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lbsim.h"
#include "run_header.h"
#include "sim_check.h"
#include "sim_invariants.h"
#include "sim_metrics.h"
#include "sim_out.h"
#include "sim_out_dir.h"
#include "sim_record.h"
#include "sim_units.h"
#include "world.h"

/* A progress line appears only after this much wall time, so that short runs
 * print nothing extra. */
#define LBSIM_PROGRESS_AFTER_S 1.0
#define LBSIM_PROGRESS_EVERY_S 0.2

typedef struct lbsim_observer {
    sim_record record;
    int rc; /* first recording failure */
    const sim_scenario *scenario;
    bool progress;
    bool progress_shown;
    double started_s;
    double shown_s;
} lbsim_observer;

/* Wall-clock seconds, only for the progress line: nothing that decides or
 * is written depends on it. */
static double lbsim_wall_s(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void lbsim_on_msg(void *ctx, const sim_msg *msg)
{
    lbsim_observer *observer = ctx;

    if (observer->rc == 0) {
        observer->rc = sim_record_msg(&observer->record, msg);
    }
}

static void lbsim_show_progress(lbsim_observer *observer, sim_time_t at_us)
{
    double now_s = lbsim_wall_s();
    char at[40];
    char duration[40];

    if (now_s - observer->started_s < LBSIM_PROGRESS_AFTER_S ||
        now_s - observer->shown_s < LBSIM_PROGRESS_EVERY_S) {
        return;
    }
    sim_format_seconds(at, sizeof(at), at_us);
    sim_format_seconds(duration, sizeof(duration),
                       observer->scenario->world.duration_us);
    fprintf(stderr, "\rlbsim: %s: %s of %s virtual time", observer->scenario->name,
            at, duration);
    fflush(stderr);
    observer->shown_s = now_s;
    observer->progress_shown = true;
}

static void lbsim_on_sample(void *ctx, const world_sample *sample)
{
    lbsim_observer *observer = ctx;

    if (observer->rc == 0) {
        observer->rc = sim_record_sample(&observer->record, sample);
    }
    if (observer->progress) {
        lbsim_show_progress(observer, sample->at_us);
    }
}

static void lbsim_on_log(void *ctx, sim_time_t at_us, lb_log_level level,
                         const char *event, const char *fields)
{
    lbsim_observer *observer = ctx;

    if (observer->rc == 0) {
        observer->rc = sim_record_log(&observer->record, at_us, level, event,
                                      fields);
    }
}

static void lbsim_on_violation(void *ctx, sim_time_t at_us, const char *name,
                               const char *detail)
{
    lbsim_observer *observer = ctx;

    if (observer->rc == 0) {
        observer->rc = sim_record_violation(&observer->record, at_us, name,
                                            detail);
    }
}

static void lbsim_clear_progress(lbsim_observer *observer)
{
    if (observer->progress_shown) {
        fprintf(stderr, "\r%*s\r", 79, "");
        fflush(stderr);
    }
}

/* Builds and runs the world into observer->record. Returns 0 or a negative
 * errno value with a message in err. */
static int lbsim_simulate(const sim_scenario *scenario, uint64_t seed,
                          lbsim_observer *observer, char *err, size_t err_len)
{
    world_config config = scenario->world;
    world_observer callbacks = {
        .ctx = observer,
        .on_msg = lbsim_on_msg,
        .on_sample = lbsim_on_sample,
        .on_log = lbsim_on_log,
        .on_violation = lbsim_on_violation,
    };
    world_tenant_totals *totals;
    world *w;
    size_t count;
    int rc;

    config.seed = seed;
    w = world_create(&config, &callbacks, err, err_len);
    if (w == NULL) {
        return -EINVAL;
    }
    observer->started_s = lbsim_wall_s();
    rc = world_run(w, err, err_len);
    lbsim_clear_progress(observer);

    count = world_tenant_count(w);
    totals = calloc(count + 1, sizeof(*totals));
    if (rc == 0 && totals == NULL) {
        rc = -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        world_tenant_totals_at(w, i, &totals[i]);
    }
    if (rc == 0) {
        rc = sim_record_tenants(&observer->record, totals, count);
    }
    free(totals);
    world_destroy(w);
    if (rc == 0 && observer->rc != 0) {
        rc = observer->rc;
    }
    if (rc == 0) {
        rc = sim_invariants_check_trace(&observer->record, &scenario->policy,
                                        scenario->world.duration_us);
    }
    if (rc == -ENOMEM) {
        snprintf(err, err_len, "out of memory");
    }
    return rc;
}

/* Writes the output folder <out>/<name> through a temporary folder. */
static int lbsim_write_outputs(const sim_run_result *run,
                               const lbsim_options *options, char *final_dir,
                               char *err, size_t err_len)
{
    char tmp_dir[SIM_OUT_PATH_MAX];
    int rc;

    if (snprintf(final_dir, SIM_OUT_PATH_MAX, "%s/%s", options->out_parent,
                 run->scenario->name) >= SIM_OUT_PATH_MAX) {
        snprintf(err, err_len, "%s: output path too long", options->out_parent);
        return -ENAMETOOLONG;
    }
    rc = sim_out_dir_begin(final_dir, tmp_dir, err, err_len);
    if (rc != 0) {
        return rc;
    }
    rc = sim_out_write_all(tmp_dir, run, err, err_len);
    if (rc != 0) {
        sim_out_dir_abort(tmp_dir);
        return rc;
    }
    return sim_out_dir_commit(tmp_dir, final_dir, err, err_len);
}

/* Prints text with each line indented by two more spaces, under the
 * verdict it explains. */
static void lbsim_print_indented(const char *text)
{
    while (*text != '\0') {
        const char *end = strchr(text, '\n');
        size_t len = end != NULL ? (size_t)(end - text) : strlen(text);

        printf("  %.*s\n", (int)len, text);
        text += len;
        if (*text == '\n') {
            text++;
        }
    }
}

static void lbsim_print_verdict(const sim_run_result *run,
                                const lbsim_options *options,
                                const char *out_dir)
{
    const sim_check *check = run->check;

    if (check->failed == 0) {
        printf("PASS %s: %zu expectation%s held; outputs in %s\n",
               run->scenario->name, check->count,
               check->count == 1 ? "" : "s", out_dir);
        return;
    }
    printf("FAIL %s (seed %" PRIu64 "): %zu of %zu expectations failed",
           run->scenario->name, run->seed, check->failed, check->count);
    if (check->skipped > 0) {
        printf(", %zu not checked", check->skipped);
    }
    printf("; outputs in %s\n", out_dir);
    for (size_t i = 0; options->details && i < check->count; i++) {
        const sim_verdict *verdict = &check->verdicts[i];

        if (!verdict->passed && !verdict->skipped) {
            printf("  %s: %s\n", verdict->name, verdict->summary);
            lbsim_print_indented(verdict->detail);
        }
    }
}

/* Checks the record and writes the outputs; fills outcome. */
static int lbsim_finish(const sim_scenario *scenario, uint64_t seed,
                        const sim_record *record, const lbsim_options *options,
                        FILE *junit, lbsim_outcome *outcome)
{
    char out_dir[SIM_OUT_PATH_MAX];
    char err[1024] = "";
    sim_metrics metrics;
    sim_check check = {0};
    sim_run_result run = {scenario, seed, record, &metrics, &check};
    int rc;

    rc = sim_metrics_compute(record, &metrics);
    if (rc == 0) {
        rc = sim_check_run(&check, &scenario->expect, record, &metrics);
    }
    if (rc == 0) {
        rc = lbsim_write_outputs(&run, options, out_dir, err, sizeof(err));
    }
    if (rc == 0 && options->plot && lbsim_plot(out_dir, false) != 0) {
        rc = -EIO;
        snprintf(err, sizeof(err), "the plots of the output folder failed");
    }
    if (rc == 0) {
        lbsim_print_verdict(&run, options, out_dir);
        if (junit != NULL) {
            sim_out_junit_suite(junit, &run);
        }
        outcome->status = check.failed == 0 ? LBSIM_EXIT_PASS
                                            : LBSIM_EXIT_FAIL;
        outcome->failed_requests = metrics.failed_requests;
        outcome->instances_max = metrics.instances_max;
        outcome->scaling_actions = metrics.scale_outs + metrics.scale_ins;
    } else {
        fprintf(stderr, "lbsim: %s: %s\n", scenario->path,
                err[0] != '\0' ? err : strerror(-rc));
        if (junit != NULL) {
            sim_out_junit_error(junit, scenario->path, err);
        }
    }
    sim_check_deinit(&check);
    return rc == 0 ? outcome->status : LBSIM_EXIT_BAD_INPUT;
}

int lbsim_run_one(const sim_scenario *scenario, const lbsim_options *options,
                  FILE *junit, lbsim_outcome *outcome)
{
    uint64_t seed = options->has_seed ? options->seed : scenario->world.seed;
    lbsim_observer observer = {
        .scenario = scenario,
        .progress = options->progress,
    };
    char err[1024] = "";
    int status;

    outcome->name = scenario->name;
    outcome->status = LBSIM_EXIT_BAD_INPUT;
    sim_print_run_header(stdout, seed, scenario->name);
    sim_record_init(&observer.record, scenario->world.sample_interval_us);

    if (lbsim_simulate(scenario, seed, &observer, err, sizeof(err)) != 0) {
        fprintf(stderr, "lbsim: %s: the run failed (seed %" PRIu64 "): %s\n",
                scenario->path, seed, err);
        if (junit != NULL) {
            sim_out_junit_error(junit, scenario->path, err);
        }
        sim_record_deinit(&observer.record);
        return LBSIM_EXIT_BAD_INPUT;
    }
    status = lbsim_finish(scenario, seed, &observer.record, options, junit,
                          outcome);
    outcome->status = status;
    sim_record_deinit(&observer.record);
    return status;
}
