/* The message matcher: actors with prefixes and variables, kinds, fates and
 * field comparisons. */
#include "sim_match.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_record.h"
#include "sim_units.h"

const char *sim_bindings_get(const sim_bindings *bindings, const char *name)
{
    for (size_t i = 0; i < bindings->count; i++) {
        if (strcmp(bindings->vars[i].name, name) == 0) {
            return bindings->vars[i].value;
        }
    }
    return NULL;
}

/* Binds name to value, or checks it against the bound value. */
static bool sim_bind(sim_bindings *bindings, const char *name,
                     const char *value)
{
    const char *bound = sim_bindings_get(bindings, name);

    if (bound != NULL) {
        return strcmp(bound, value) == 0;
    }
    if (bindings->count == SIM_VARIABLES_MAX ||
        strlen(name) > SIM_VARIABLE_LEN_MAX ||
        strlen(value) > SIM_VARIABLE_LEN_MAX) {
        return false;
    }
    strcpy(bindings->vars[bindings->count].name, name);
    strcpy(bindings->vars[bindings->count].value, value);
    bindings->count++;
    return true;
}

static bool sim_match_actor(const char *pattern, const char *actor,
                            sim_bindings *bindings)
{
    const char *mark;
    size_t prefix_len;

    if (pattern == NULL) {
        return true;
    }
    mark = strpbrk(pattern, "*$");
    if (mark == NULL) {
        return strcmp(pattern, actor) == 0;
    }
    prefix_len = (size_t)(mark - pattern);
    if (strncmp(pattern, actor, prefix_len) != 0) {
        return false;
    }
    return *mark == '*' || sim_bind(bindings, mark + 1, actor + prefix_len);
}

/* Writes item with a trailing "$name" replaced by its bound value. Returns
 * false when the variable is not bound yet. */
static bool sim_item_expand(const char *item, const sim_bindings *bindings,
                            char *buf, size_t buf_len)
{
    const char *mark = strchr(item, '$');
    const char *value;

    if (mark == NULL) {
        snprintf(buf, buf_len, "%s", item);
        return true;
    }
    value = sim_bindings_get(bindings, mark + 1);
    if (value == NULL) {
        return false;
    }
    snprintf(buf, buf_len, "%.*s%s", (int)(mark - item), item, value);
    return true;
}

/* Whether item is one of the comma-separated entries of list. */
static bool sim_list_has(const char *list, const char *item)
{
    size_t len = strlen(item);
    const char *cursor = list;

    while (*cursor != '\0') {
        const char *end = strchr(cursor, ',');
        size_t entry_len = end != NULL ? (size_t)(end - cursor)
                                       : strlen(cursor);

        if (entry_len == len && strncmp(cursor, item, len) == 0) {
            return true;
        }
        if (end == NULL) {
            break;
        }
        cursor = end + 1;
    }
    return false;
}

static size_t sim_list_count(const char *list)
{
    size_t count = list[0] != '\0' ? 1 : 0;

    for (const char *c = list; *c != '\0'; c++) {
        count += *c == ',';
    }
    return count;
}

/* Set equality: every expected item is in the list and the list has no
 * other entry (duplicates aside). */
static bool sim_match_set(const sim_field_match *field, const char *value,
                          const sim_bindings *bindings)
{
    char item[256];

    if (sim_list_count(value) != field->item_count) {
        return false;
    }
    for (size_t i = 0; i < field->item_count; i++) {
        if (!sim_item_expand(field->items[i], bindings, item, sizeof(item)) ||
            !sim_list_has(value, item)) {
            return false;
        }
    }
    return true;
}

static bool sim_match_membership(const sim_field_match *field,
                                 const char *value,
                                 const sim_bindings *bindings)
{
    bool want = field->op == SIM_FIELD_CONTAINS;
    char item[256];

    for (size_t i = 0; i < field->item_count; i++) {
        if (!sim_item_expand(field->items[i], bindings, item, sizeof(item))) {
            return false;
        }
        if (sim_list_has(value, item) != want) {
            return false;
        }
    }
    return true;
}

static bool sim_match_number(const sim_field_match *field, const char *value)
{
    char *end = NULL;
    double number = strtod(value, &end);

    if (end == value || *end != '\0') {
        return false;
    }
    switch (field->op) {
    case SIM_FIELD_LESS:
        return number < field->number;
    case SIM_FIELD_LESS_EQUAL:
        return number <= field->number;
    case SIM_FIELD_GREATER:
        return number > field->number;
    default:
        return number >= field->number;
    }
}

/* Compares one field of the message; value is NULL when it is absent. */
static bool sim_match_value(const sim_field_match *field, const char *value,
                            sim_bindings *bindings)
{
    if (value == NULL) {
        return field->op == SIM_FIELD_EXCLUDES;
    }
    switch (field->op) {
    case SIM_FIELD_EQUAL:
        return strcmp(field->text, value) == 0;
    case SIM_FIELD_SET:
        return sim_match_set(field, value, bindings);
    case SIM_FIELD_PRESENT:
        return true;
    case SIM_FIELD_VARIABLE:
        return sim_bind(bindings, field->text + 1, value);
    case SIM_FIELD_CONTAINS:
    case SIM_FIELD_EXCLUDES:
        return sim_match_membership(field, value, bindings);
    default:
        return sim_match_number(field, value);
    }
}

static void sim_field_describe(const sim_field_match *field, sim_text *out)
{
    static const char *const lists[] = {"", "", "contains ", "excludes "};

    if (field->op != SIM_FIELD_SET && field->op != SIM_FIELD_CONTAINS &&
        field->op != SIM_FIELD_EXCLUDES) {
        sim_text_printf(out, "%s", field->text);
        return;
    }
    sim_text_printf(out, "%s[",
                    lists[field->op == SIM_FIELD_SET        ? 0
                          : field->op == SIM_FIELD_CONTAINS ? 2
                                                            : 3]);
    for (size_t i = 0; i < field->item_count; i++) {
        sim_text_printf(out, "%s%s", i > 0 ? "," : "", field->items[i]);
    }
    sim_text_printf(out, "]");
}

/* Matches every field; on a mismatch writes why. */
static bool sim_match_fields(const sim_msg_pattern *pattern,
                             const sim_msg *msg, sim_bindings *bindings,
                             sim_text *why)
{
    size_t len = strlen(msg->fields) + 1;
    char *value = malloc(len < 32 ? 32 : len);
    bool matched = value != NULL;

    for (size_t i = 0; matched && i < pattern->field_count; i++) {
        const sim_field_match *field = &pattern->fields[i];
        bool present = true;

        if (strcmp(field->key, "request_id") == 0) {
            snprintf(value, 32, "%" PRIu64, msg->request_id);
        } else {
            present = sim_fields_get(msg->fields, field->key, value, len) == 0;
        }
        matched = sim_match_value(field, present ? value : NULL, bindings);
        if (!matched && why != NULL) {
            sim_text_printf(why, "field %s: expected ", field->key);
            sim_field_describe(field, why);
            sim_text_printf(why, ", got %s", present ? value : "no such field");
        }
    }
    free(value);
    return matched;
}

bool sim_match_msg(const sim_msg_pattern *pattern, const sim_msg *msg,
                   sim_bindings *bindings, sim_text *why)
{
    sim_bindings trial = *bindings;
    bool delivered = msg->fate == SIM_MSG_DELIVERED;

    if (pattern->kind != NULL && strcmp(pattern->kind, msg->kind) != 0) {
        return false;
    }
    if (!sim_match_actor(pattern->from, msg->from, &trial)) {
        if (why != NULL) {
            sim_text_printf(why, "from: expected %s, got %s", pattern->from,
                            msg->from);
        }
        return false;
    }
    if (!sim_match_actor(pattern->to, msg->to, &trial)) {
        if (why != NULL) {
            sim_text_printf(why, "to: expected %s, got %s", pattern->to,
                            msg->to);
        }
        return false;
    }
    if ((pattern->fate == SIM_FATE_MATCH_DELIVERED && !delivered) ||
        (pattern->fate == SIM_FATE_MATCH_LOST && delivered)) {
        if (why != NULL) {
            sim_text_printf(why, "fate: expected %s, got %s",
                            delivered ? "lost" : "delivered",
                            delivered ? "delivered" : "lost");
        }
        return false;
    }
    if (!sim_match_fields(pattern, msg, &trial, why)) {
        return false;
    }
    *bindings = trial;
    return true;
}

void sim_pattern_describe(const sim_msg_pattern *pattern, sim_text *out)
{
    sim_text_printf(out, "%s", pattern->kind != NULL ? pattern->kind : "any");
    if (pattern->from != NULL) {
        sim_text_printf(out, " from %s", pattern->from);
    }
    if (pattern->to != NULL) {
        sim_text_printf(out, " to %s", pattern->to);
    }
    for (size_t i = 0; i < pattern->field_count; i++) {
        sim_text_printf(out, "%s%s=", i == 0 ? " with " : " ",
                        pattern->fields[i].key);
        sim_field_describe(&pattern->fields[i], out);
    }
    if (pattern->fate == SIM_FATE_MATCH_LOST) {
        sim_text_printf(out, " (lost)");
    }
}

void sim_msg_describe(const sim_msg *msg, sim_text *out)
{
    char at[40];

    sim_format_seconds(at, sizeof(at), msg->at_us);
    sim_text_printf(out, "%s %s -> %s %s", at, msg->from, msg->to, msg->kind);
    if (msg->request_id != 0) {
        sim_text_printf(out, " #%" PRIu64, msg->request_id);
    }
    if (msg->fields[0] != '\0') {
        sim_text_printf(out, " %.200s%s", msg->fields,
                        strlen(msg->fields) > 200 ? "..." : "");
    }
    if (msg->fate == SIM_MSG_LOST) {
        sim_text_printf(out, " [lost]");
    }
}
