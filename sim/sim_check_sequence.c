/* The ordered sequence of an expect section: each step must match a message
 * after the message of the step before it, by its deadline. Later messages
 * may interleave. The earliest match is taken for each step, which can only
 * leave more time for the steps after it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim_check.h"
#include "sim_match.h"
#include "sim_units.h"

/* Messages shown on each side of a missed deadline. */
#define SIM_CONTEXT_MSGS 4
/* Near misses shown: messages of the step's kind that failed on a field. */
#define SIM_NEAR_MISSES_MAX 3

typedef struct sim_seq_state {
    size_t next;            /* first message the next step may match */
    sim_time_t previous_us; /* time of the previous step's message */
    long last_step;         /* index of the last step seen, -1 for none */
    size_t last_msg;        /* its message */
    sim_bindings bindings;
} sim_seq_state;

/* The latest time the step may match: before, and within counted from the
 * previous step's message or from after, whichever is later. */
static sim_time_t sim_step_deadline(const sim_step *step,
                                    const sim_seq_state *state)
{
    sim_time_t deadline = step->before_us;
    sim_time_t base_us = state->previous_us > step->after_us
                             ? state->previous_us
                             : step->after_us;

    if (step->within_us != SIM_NO_DEADLINE &&
        base_us + step->within_us < deadline) {
        deadline = base_us + step->within_us;
    }
    return deadline;
}

/* Finds the earliest message at or after state->next that matches step.
 * Returns its index, or msg_count; bindings gets the match's variables. */
static size_t sim_step_find(const sim_step *step, const sim_record *record,
                            const sim_seq_state *state,
                            sim_bindings *bindings)
{
    for (size_t i = state->next; i < record->msg_count; i++) {
        const sim_msg *msg = &record->msgs[i];

        if (msg->at_us < step->after_us) {
            continue;
        }
        *bindings = state->bindings;
        if (sim_match_msg(&step->pattern, msg, bindings, NULL)) {
            return i;
        }
    }
    return record->msg_count;
}

static void sim_report_expected(const sim_step *step, sim_text *detail)
{
    char text[40];

    sim_text_printf(detail, "  expected: ");
    sim_pattern_describe(&step->pattern, detail);
    if (step->within_us != SIM_NO_DEADLINE) {
        sim_format_seconds(text, sizeof(text), step->within_us);
        sim_text_printf(detail, ", within %s", text);
    }
    if (step->before_us != SIM_NO_DEADLINE) {
        sim_format_seconds(text, sizeof(text), step->before_us);
        sim_text_printf(detail, ", before %s", text);
    }
    if (step->after_us > 0) {
        sim_format_seconds(text, sizeof(text), step->after_us);
        sim_text_printf(detail, ", after %s", text);
    }
    sim_text_printf(detail, "\n");
}

static void sim_report_last_step(const sim_expect *expect,
                                 const sim_record *record,
                                 const sim_seq_state *state, sim_text *detail)
{
    sim_text_printf(detail, "  last matching step: ");
    if (state->last_step < 0) {
        sim_text_printf(detail, "none, this was the first step\n");
        return;
    }
    sim_text_printf(detail, "%ld '%s': ", state->last_step + 1,
                    expect->steps[state->last_step].name);
    sim_msg_describe(&record->msgs[state->last_msg], detail);
    sim_text_printf(detail, "\n");
}

/* Lists messages of the step's kind after the previous step that failed on
 * a sender, receiver, fate or field, with the reason. */
static void sim_report_near_misses(const sim_step *step,
                                   const sim_record *record,
                                   const sim_seq_state *state,
                                   sim_text *detail)
{
    size_t misses_shown = 0;

    for (size_t i = state->next;
         i < record->msg_count && misses_shown < SIM_NEAR_MISSES_MAX; i++) {
        const sim_msg *msg = &record->msgs[i];
        sim_bindings trial = state->bindings;
        sim_text reason = {0};

        if (strcmp(msg->kind, step->pattern.kind) != 0) {
            continue;
        }
        if (!sim_match_msg(&step->pattern, msg, &trial, &reason)) {
            if (misses_shown == 0) {
                sim_text_printf(detail, "  %s messages that did not match:\n",
                                step->pattern.kind);
            }
            sim_text_printf(detail, "    ");
            sim_msg_describe(msg, detail);
            sim_text_printf(detail, "\n      (%s)\n", sim_text_get(&reason));
            misses_shown++;
        }
        sim_text_free(&reason);
    }
    if (misses_shown == 0) {
        sim_text_printf(detail, "  no %s message after the last matching "
                                "step\n",
                        step->pattern.kind);
    }
}

/* Lists the messages around the deadline, or, without a deadline, the first
 * messages after the last matching step and the last ones of the run. */
static void sim_report_context(const sim_record *record,
                               const sim_seq_state *state,
                               sim_time_t deadline_us, sim_text *detail)
{
    size_t pivot = state->next;
    size_t first;
    size_t last;
    char text[40];

    if (deadline_us != SIM_NO_DEADLINE) {
        sim_format_seconds(text, sizeof(text), deadline_us);
        sim_text_printf(detail, "  deadline: %s; messages around it:\n", text);
        while (pivot < record->msg_count &&
               record->msgs[pivot].at_us <= deadline_us) {
            pivot++;
        }
        first = pivot >= state->next + SIM_CONTEXT_MSGS
                    ? pivot - SIM_CONTEXT_MSGS
                    : state->next;
    } else {
        sim_text_printf(detail, "  no deadline; messages after the last "
                                "matching step:\n");
        first = state->next;
        pivot = state->next + SIM_CONTEXT_MSGS;
    }
    last = pivot + SIM_CONTEXT_MSGS;
    if (last > record->msg_count) {
        last = record->msg_count;
    }
    for (size_t i = first; i < last; i++) {
        sim_text_printf(detail, "    %s", i == pivot && deadline_us !=
                                                SIM_NO_DEADLINE
                                             ? "-- deadline --\n    "
                                             : "");
        sim_msg_describe(&record->msgs[i], detail);
        sim_text_printf(detail, "\n");
    }
    if (first == last) {
        sim_text_printf(detail, "    (none: the trace ends here)\n");
    }
}

static char *sim_check_strdup(sim_check *check, const char *text)
{
    return sim_pool_strdup(&check->pool, text);
}

/* Fills a failed verdict for step index, which was not seen in time. */
static int sim_report_missed(sim_check *check, const sim_expect *expect,
                             const sim_record *record, size_t index,
                             const sim_seq_state *state, size_t late_msg,
                             sim_verdict *out)
{
    const sim_step *step = &expect->steps[index];
    sim_time_t deadline_us = sim_step_deadline(step, state);
    sim_text summary = {0};
    sim_text detail = {0};
    int rc = 0;

    sim_text_printf(&summary, "step %zu '%s' (line %d) not seen", index + 1,
                    step->name, step->line);
    if (late_msg < record->msg_count) {
        char at[40];

        sim_format_seconds(at, sizeof(at), record->msgs[late_msg].at_us);
        sim_text_printf(&summary, " by its deadline (it came at %s)", at);
    }
    sim_report_expected(step, &detail);
    sim_report_last_step(expect, record, state, &detail);
    sim_report_near_misses(step, record, state, &detail);
    sim_report_context(record, state, deadline_us, &detail);

    out->summary = sim_check_strdup(check, sim_text_get(&summary));
    out->detail = sim_check_strdup(check, sim_text_get(&detail));
    if (out->summary == NULL || out->detail == NULL || summary.failed ||
        detail.failed) {
        rc = -ENOMEM;
    }
    sim_text_free(&summary);
    sim_text_free(&detail);
    return rc;
}

/* Names a step's verdict "step N: NAME", so that reports keep the order. */
static const char *sim_step_verdict_name(sim_check *check, size_t index,
                                         const sim_step *step)
{
    size_t len = strlen(step->name) + 32;
    char *text = sim_pool_alloc(&check->pool, len);

    if (text != NULL) {
        snprintf(text, len, "step %zu: %s", index + 1, step->name);
    }
    return text;
}

/* Fills the verdict of a step that matched message found. */
static int sim_report_seen(sim_check *check, const sim_record *record,
                           size_t found, sim_verdict *out)
{
    sim_text summary = {0};
    int rc = 0;

    out->passed = true;
    out->detail = "";
    sim_text_printf(&summary, "seen: ");
    sim_msg_describe(&record->msgs[found], &summary);
    out->summary = sim_check_strdup(check, sim_text_get(&summary));
    if (out->summary == NULL || summary.failed) {
        rc = -ENOMEM;
    }
    sim_text_free(&summary);
    return rc;
}

/* Fills the verdict of a step after a missed one: it cannot be checked,
 * because its place in the order is unknown. */
static int sim_report_skipped(sim_check *check, size_t missed,
                              const sim_expect *expect, sim_verdict *out)
{
    char summary[256];

    out->passed = false;
    out->skipped = true;
    out->detail = "";
    snprintf(summary, sizeof(summary),
             "not checked: step %zu '%s' before it was not seen", missed + 1,
             expect->steps[missed].name);
    out->summary = sim_check_strdup(check, summary);
    return out->summary == NULL ? -ENOMEM : 0;
}

int sim_check_sequence(sim_check *check, const sim_expect *expect,
                       const sim_record *record, sim_verdict *out)
{
    sim_seq_state state = {.last_step = -1};
    size_t missed = expect->step_count;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < expect->step_count; i++) {
        const sim_step *step = &expect->steps[i];
        sim_verdict *verdict = &out[i];
        sim_bindings bindings;
        size_t found;

        memset(verdict, 0, sizeof(*verdict));
        verdict->kind = SIM_VERDICT_SEQUENCE;
        verdict->name = sim_step_verdict_name(check, i, step);
        if (verdict->name == NULL) {
            return -ENOMEM;
        }
        if (missed < i) {
            rc = sim_report_skipped(check, missed, expect, verdict);
            continue;
        }
        found = sim_step_find(step, record, &state, &bindings);
        if (found == record->msg_count ||
            record->msgs[found].at_us > sim_step_deadline(step, &state)) {
            missed = i;
            verdict->passed = false;
            rc = sim_report_missed(check, expect, record, i, &state, found,
                                   verdict);
            continue;
        }
        state.bindings = bindings;
        state.previous_us = record->msgs[found].at_us;
        state.last_step = (long)i;
        state.last_msg = found;
        state.next = found + 1;
        check->steps_seen = i + 1;
        rc = sim_report_seen(check, record, found, verdict);
    }
    return rc;
}
