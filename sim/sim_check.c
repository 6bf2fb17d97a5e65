/* The expectation checker: sequence steps, never entries, metric bounds and
 * invariants, one verdict each. */
#include "sim_check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_match.h"
#include "sim_text.h"
#include "sim_units.h"

const char *sim_verdict_kind_name(sim_verdict_kind kind)
{
    static const char *const names[] = {"sequence", "never", "metric",
                                        "invariant"};

    return names[kind];
}

/* Copies summary and detail into the pool and sets passed. */
static int sim_verdict_set(sim_check *check, sim_verdict *verdict,
                           bool passed, const sim_text *summary,
                           const sim_text *detail)
{
    verdict->passed = passed;
    verdict->summary = sim_pool_strdup(&check->pool, sim_text_get(summary));
    verdict->detail = sim_pool_strdup(&check->pool, sim_text_get(detail));
    if (verdict->summary == NULL || verdict->detail == NULL ||
        summary->failed || detail->failed) {
        return -ENOMEM;
    }
    return 0;
}

static char *sim_verdict_name(sim_check *check, const char *kind,
                              const char *name)
{
    size_t len = strlen(kind) + strlen(name) + 3;
    char *text = sim_pool_alloc(&check->pool, len);

    if (text != NULL) {
        snprintf(text, len, "%s: %s", kind, name);
    }
    return text;
}

static int sim_check_never(sim_check *check, const sim_never *never,
                           const sim_record *record, sim_verdict *out)
{
    sim_text summary = {0};
    sim_text detail = {0};
    size_t seen = 0;
    int rc;

    out->kind = SIM_VERDICT_NEVER;
    out->name = sim_verdict_name(check, "never", never->name);
    for (size_t i = 0; i < record->msg_count; i++) {
        const sim_msg *msg = &record->msgs[i];
        sim_bindings bindings = {0};

        if (msg->at_us < never->after_us || msg->at_us > never->before_us ||
            !sim_match_msg(&never->pattern, msg, &bindings, NULL)) {
            continue;
        }
        if (seen++ < 3) {
            sim_text_printf(&detail, "  seen: ");
            sim_msg_describe(msg, &detail);
            sim_text_printf(&detail, "\n");
        }
    }
    if (seen == 0) {
        sim_text_printf(&summary, "not seen");
    } else {
        sim_text_printf(&summary, "seen %zu time%s: ", seen,
                        seen == 1 ? "" : "s");
        sim_pattern_describe(&never->pattern, &summary);
    }
    rc = sim_verdict_set(check, out, seen == 0, &summary, &detail);
    sim_text_free(&summary);
    sim_text_free(&detail);
    return out->name == NULL ? -ENOMEM : rc;
}

static int sim_check_bound(sim_check *check, const sim_metric_bound *bound,
                           const sim_metrics *metrics, sim_verdict *out)
{
    double value = sim_metrics_value(metrics, bound->metric, bound->is_max);
    bool passed = bound->is_max ? value <= bound->value
                                : value >= bound->value;
    sim_text summary = {0};
    sim_text detail = {0};
    int rc;

    out->kind = SIM_VERDICT_METRIC;
    out->name = sim_verdict_name(check, "metric", bound->name);
    sim_text_printf(&summary, "%s = %.6g, %s %.6g", sim_metric_name(bound->metric),
                    value, bound->is_max ? "at most" : "at least",
                    bound->value);
    rc = sim_verdict_set(check, out, passed, &summary, &detail);
    sim_text_free(&summary);
    sim_text_free(&detail);
    return out->name == NULL ? -ENOMEM : rc;
}

static int sim_check_invariant(sim_check *check, const char *name,
                               const sim_record *record, sim_verdict *out)
{
    sim_text summary = {0};
    sim_text detail = {0};
    size_t count = 0;
    int rc;

    out->kind = SIM_VERDICT_INVARIANT;
    out->name = sim_verdict_name(check, "invariant", name);
    for (size_t i = 0; i < record->violation_count; i++) {
        const sim_violation *violation = &record->violations[i];
        char at[40];

        if (strcmp(violation->name, name) != 0) {
            continue;
        }
        if (count++ < 3) {
            sim_format_seconds(at, sizeof(at), violation->at_us);
            sim_text_printf(&detail, "  %s %s\n", at, violation->detail);
        }
    }
    if (count == 0) {
        sim_text_printf(&summary, "held");
    } else {
        sim_text_printf(&summary, "violated %zu time%s", count,
                        count == 1 ? "" : "s");
    }
    rc = sim_verdict_set(check, out, count == 0, &summary, &detail);
    sim_text_free(&summary);
    sim_text_free(&detail);
    return out->name == NULL ? -ENOMEM : rc;
}

/* Invariants the world reported that the scenario cannot name still fail
 * the run: a new check in the world must not pass unnoticed. */
static size_t sim_unknown_invariants(const sim_record *record,
                                     const char **names, size_t max)
{
    size_t count = 0;

    for (size_t i = 0; i < record->violation_count; i++) {
        const char *name = record->violations[i].name;
        bool listed = sim_invariant_index(name) >= 0;

        for (size_t j = 0; !listed && j < count; j++) {
            listed = strcmp(names[j], name) == 0;
        }
        if (!listed && count < max) {
            names[count++] = name;
        }
    }
    return count;
}

static int sim_check_invariants(sim_check *check, const sim_expect *expect,
                                const sim_record *record)
{
    const char *unknown[16];
    size_t unknown_count = sim_unknown_invariants(record, unknown, 16);
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < SIM_INVARIANT_COUNT; i++) {
        if (expect->invariant_on[i]) {
            rc = sim_check_invariant(check, sim_invariant_names[i], record,
                                     &check->verdicts[check->count++]);
        }
    }
    for (size_t i = 0; rc == 0 && i < unknown_count; i++) {
        rc = sim_check_invariant(check, unknown[i], record,
                                 &check->verdicts[check->count++]);
    }
    return rc;
}

int sim_check_run(sim_check *check, const sim_expect *expect,
                  const sim_record *record, const sim_metrics *metrics)
{
    size_t capacity = expect->step_count + expect->never_count +
                      expect->bound_count + SIM_INVARIANT_COUNT + 16;
    int rc = 0;

    memset(check, 0, sizeof(*check));
    sim_pool_init(&check->pool);
    check->verdicts = sim_pool_calloc(&check->pool, capacity,
                                      sizeof(*check->verdicts));
    if (check->verdicts == NULL) {
        return -ENOMEM;
    }

    rc = sim_check_sequence(check, expect, record, check->verdicts);
    check->count = expect->step_count;
    for (size_t i = 0; rc == 0 && i < expect->never_count; i++) {
        rc = sim_check_never(check, &expect->nevers[i], record,
                             &check->verdicts[check->count++]);
    }
    for (size_t i = 0; rc == 0 && i < expect->bound_count; i++) {
        rc = sim_check_bound(check, &expect->bounds[i], metrics,
                             &check->verdicts[check->count++]);
    }
    if (rc == 0) {
        rc = sim_check_invariants(check, expect, record);
    }
    for (size_t i = 0; i < check->count; i++) {
        const sim_verdict *verdict = &check->verdicts[i];

        check->skipped += verdict->skipped ? 1 : 0;
        check->failed += verdict->passed || verdict->skipped ? 0 : 1;
    }
    return rc;
}

void sim_check_deinit(sim_check *check)
{
    sim_pool_deinit(&check->pool);
    memset(check, 0, sizeof(*check));
}
