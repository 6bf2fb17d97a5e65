/* The expect section: an ordered sequence of message steps, messages that
 * must never appear, bounds on metrics, and invariants switched off. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_loader.h"
#include "sim_units.h"

static const char *const sim_expect_keys[] = {
    "sequence", "never", "metrics", "invariants", "invariant_grace", NULL,
};
static const char *const sim_step_keys[] = {
    "name", "from", "to", "kind", "fields", "within", "before", "after",
    "fate", NULL,
};
static const char *const sim_never_keys[] = {
    "name", "from", "to", "kind", "fields", "before", "after", "fate", NULL,
};
static const char *const sim_pattern_required[] = {"name", "kind", NULL};
static const char *const sim_fate_names[] = {"delivered", "lost", "any",
                                             NULL};

/* Checks a from or to pattern: an actor, an actor prefix ending in '*', or
 * an actor with a variable ("dfm/$new", sequence steps only). */
static int sim_load_actor_pattern(sim_loader *loader, const yaml_node_t *node,
                                  const char *key, bool allow_variables,
                                  const char **out)
{
    const char *text = sim_yaml_text(node);

    if (sim_yaml_is_scalar(node) &&
        (strchr(text, '*') != NULL || strchr(text, '$') != NULL)) {
        const char *mark = strpbrk(text, "*$");
        bool valid = *mark == '*' ? mark[1] == '\0'
                                  : allow_variables && mark[1] != '\0';

        if (!valid) {
            return sim_yaml_fail_expected(
                &loader->y, node, key,
                allow_variables ? "an actor, a prefix ending in '*' or a "
                                  "prefix and a $variable"
                                : "an actor or a prefix ending in '*' "
                                  "(variables work in sequence steps only)");
        }
        return sim_yaml_node_string(&loader->y, node, key, out);
    }
    return sim_load_actor(loader, node, key, out);
}

static int sim_compare_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An item may end in one variable: "t3/dev:$new". A '$' elsewhere, or in a
 * never entry, would be compared as text and never match. */
static int sim_check_item_variable(sim_loader *loader, const yaml_node_t *item,
                                   const char *key, bool allow_variables)
{
    const char *text = sim_yaml_text(item);
    const char *mark = text != NULL ? strchr(text, '$') : NULL;
    size_t name_len;

    if (mark == NULL) {
        return 0;
    }
    name_len = strspn(mark + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
                                "tuvwxyz0123456789_");
    if (!allow_variables) {
        return sim_yaml_fail_expected(&loader->y, item, key,
                                      "an item without '$' (variables work "
                                      "in sequence steps only)");
    }
    if (name_len == 0 || mark[1 + name_len] != '\0') {
        return sim_yaml_fail_expected(&loader->y, item, key,
                                      "an item that is text, or text ending "
                                      "in one $variable such as "
                                      "t3/dev:$new");
    }
    return 0;
}

static int sim_load_field_list(sim_loader *loader, const yaml_node_t *node,
                               const char *key, sim_field_op op,
                               bool allow_variables, sim_field_match *match)
{
    size_t count = sim_yaml_is_sequence(node) ? sim_yaml_item_count(node) : 1;
    const char **items = sim_pool_calloc(&loader->scenario->pool, count + 1,
                                         sizeof(*items));
    int rc = 0;

    if (items == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char item_key[SIM_YAML_PATH_MAX];

        const yaml_node_t *item = node;

        if (sim_yaml_is_sequence(node)) {
            item = sim_yaml_item(&loader->y, node, i);
        }
        sim_yaml_path_index(item_key, sizeof(item_key), key, i);
        rc = sim_yaml_node_string(&loader->y, item, item_key, &items[i]);
        if (rc == 0) {
            rc = sim_check_item_variable(loader, item, item_key,
                                         allow_variables);
        }
    }
    if (op == SIM_FIELD_SET) {
        qsort(items, count, sizeof(*items), sim_compare_text);
    }
    match->op = op;
    match->items = items;
    match->item_count = count;
    return rc;
}

/* Reads {contains: [...], excludes: [...]}, each with one item or a list,
 * as one match per key. Returns the number of matches written, or a
 * negative errno value. */
static int sim_load_field_membership(sim_loader *loader,
                                     const yaml_node_t *node, const char *key,
                                     bool allow_variables,
                                     sim_field_match *matches)
{
    static const char *const names[] = {"contains", "excludes", NULL};
    sim_yaml *y = &loader->y;
    size_t count = sim_yaml_pair_count(node);
    int rc;

    rc = sim_yaml_check_keys(y, node, key, names);
    if (rc == 0 && count == 0) {
        rc = sim_yaml_fail_expected(y, node, key, "contains or excludes");
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const char *name = sim_yaml_text(sim_yaml_pair_key(y, node, i));
        char path[SIM_YAML_PATH_MAX];

        sim_yaml_path_key(path, sizeof(path), key, name);
        matches[i].key = matches[0].key;
        rc = sim_load_field_list(loader, sim_yaml_pair_value(y, node, i),
                                 path,
                                 strcmp(name, "contains") == 0
                                     ? SIM_FIELD_CONTAINS
                                     : SIM_FIELD_EXCLUDES,
                                 allow_variables, &matches[i]);
    }
    return rc == 0 ? (int)count : rc;
}

typedef struct sim_op_prefix {
    const char *prefix;
    sim_field_op op;
} sim_op_prefix;

/* Two-character prefixes first, so that "<=" is not read as "<". */
static const sim_op_prefix sim_op_prefixes[] = {
    {"<=", SIM_FIELD_LESS_EQUAL},
    {">=", SIM_FIELD_GREATER_EQUAL},
    {"<", SIM_FIELD_LESS},
    {">", SIM_FIELD_GREATER},
};

static int sim_load_field_scalar(sim_loader *loader, const yaml_node_t *node,
                                 const char *key, bool allow_variables,
                                 sim_field_match *match)
{
    const char *text = sim_yaml_text(node);

    if (strcmp(text, "*") == 0) {
        match->op = SIM_FIELD_PRESENT;
    } else if (text[0] == '$') {
        if (!allow_variables || text[1] == '\0') {
            return sim_yaml_fail_expected(&loader->y, node, key,
                                          allow_variables
                                              ? "a variable name after '$'"
                                              : "a value (variables work in "
                                                "sequence steps only)");
        }
        match->op = SIM_FIELD_VARIABLE;
    } else {
        match->op = SIM_FIELD_EQUAL;
    }
    for (size_t i = 0; i < sizeof(sim_op_prefixes) / sizeof(sim_op_prefixes[0]);
         i++) {
        size_t len = strlen(sim_op_prefixes[i].prefix);
        char *end = NULL;

        if (strncmp(text, sim_op_prefixes[i].prefix, len) != 0) {
            continue;
        }
        match->number = strtod(text + len, &end);
        if (end == text + len || *end != '\0') {
            return sim_yaml_fail_expected(&loader->y, node, key,
                                          "a number after the comparison");
        }
        match->op = sim_op_prefixes[i].op;
        break;
    }
    return sim_yaml_node_string(&loader->y, node, key, &match->text);
}

static int sim_load_fields(sim_loader *loader, const yaml_node_t *node,
                           const char *path, bool allow_variables,
                           sim_msg_pattern *pattern)
{
    sim_yaml *y = &loader->y;
    sim_field_match *fields;
    size_t count;
    size_t used = 0;
    int rc = sim_yaml_want_mapping(y, node, path);

    if (rc != 0) {
        return rc;
    }
    /* A field with both contains and excludes takes two matches. */
    count = sim_yaml_pair_count(node);
    fields = sim_pool_calloc(&loader->scenario->pool, 2 * count + 1,
                             sizeof(*fields));
    if (fields == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        yaml_node_t *name = sim_yaml_pair_key(y, node, i);
        yaml_node_t *value = sim_yaml_pair_value(y, node, i);
        sim_field_match *match = &fields[used];
        char key[SIM_YAML_PATH_MAX];
        char known[512];
        int added = 1;

        sim_yaml_path_key(key, sizeof(key), path,
                          sim_yaml_text(name) != NULL ? sim_yaml_text(name)
                                                      : "?");
        rc = sim_yaml_node_string(y, name, key, &match->key);
        if (rc == 0 && !sim_msg_field_known(pattern->kind, match->key, known,
                                            sizeof(known))) {
            rc = sim_yaml_fail(y, name, key,
                               "expected a field of %s messages (one of: %s), "
                               "got unknown field '%s'",
                               pattern->kind, known, match->key);
        }
        if (rc == 0 && sim_yaml_is_sequence(value)) {
            rc = sim_load_field_list(loader, value, key, SIM_FIELD_SET,
                                     allow_variables, match);
        } else if (rc == 0 && sim_yaml_is_mapping(value)) {
            added = sim_load_field_membership(loader, value, key,
                                              allow_variables, match);
            rc = added < 0 ? added : 0;
        } else if (rc == 0 && sim_yaml_is_scalar(value)) {
            rc = sim_load_field_scalar(loader, value, key, allow_variables,
                                       match);
        } else if (rc == 0) {
            rc = sim_yaml_fail_expected(y, value, key,
                                        "a value or a list of values");
        }
        used += rc == 0 ? (size_t)added : 0;
    }
    pattern->fields = fields;
    pattern->field_count = used;
    return rc;
}

static int sim_load_pattern(sim_loader *loader, const yaml_node_t *node,
                            const char *path, bool allow_variables,
                            sim_msg_pattern *pattern)
{
    sim_yaml *y = &loader->y;
    char key[SIM_YAML_PATH_MAX];
    const yaml_node_t *value;
    size_t index = 0;
    int rc = 0;

    sim_yaml_path_key(key, sizeof(key), path, "kind");
    rc = sim_yaml_node_choice(y, sim_yaml_get(y, node, "kind"), key,
                              sim_msg_kinds, &index);
    pattern->kind = sim_msg_kinds[index];
    if (rc == 0 && (value = sim_yaml_get(y, node, "from")) != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "from");
        rc = sim_load_actor_pattern(loader, value, key, allow_variables,
                                    &pattern->from);
    }
    if (rc == 0 && (value = sim_yaml_get(y, node, "to")) != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "to");
        rc = sim_load_actor_pattern(loader, value, key, allow_variables,
                                    &pattern->to);
    }
    if (rc == 0 && (value = sim_yaml_get(y, node, "fate")) != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "fate");
        rc = sim_yaml_node_choice(y, value, key, sim_fate_names, &index);
        pattern->fate = (sim_fate_match)index;
    }
    if (rc == 0 && (value = sim_yaml_get(y, node, "fields")) != NULL) {
        sim_yaml_path_key(key, sizeof(key), path, "fields");
        rc = sim_load_fields(loader, value, key, allow_variables, pattern);
    }
    return rc;
}

/* Reads the keys that sequence steps and never entries share. */
static int sim_load_entry(sim_loader *loader, const yaml_node_t *node,
                          const char *path, const char *const *keys,
                          bool allow_variables, const char **name,
                          sim_msg_pattern *pattern)
{
    sim_yaml *y = &loader->y;
    int rc = sim_yaml_want_mapping(y, node, path);

    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, path, keys);
    }
    if (rc == 0) {
        rc = sim_yaml_require(y, node, path, sim_pattern_required);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_string(y, node, path, "name", name);
    }
    if (rc == 0) {
        rc = sim_load_pattern(loader, node, path, allow_variables, pattern);
    }
    return rc;
}

/* A window that starts after the run ends, or ends before it starts, can
 * match nothing: a step would always fail and a never entry always hold. */
static int sim_check_window(sim_loader *loader, const yaml_node_t *node,
                            const char *path, sim_time_t after_us,
                            sim_time_t before_us)
{
    sim_yaml *y = &loader->y;
    char key[SIM_YAML_PATH_MAX];
    char what[80];
    char after[40];

    if (after_us >= loader->scenario->world.duration_us) {
        sim_yaml_path_key(key, sizeof(key), path, "after");
        return sim_yaml_fail_expected(y, sim_yaml_get(y, node, "after"), key,
                                      "a time within the scenario's "
                                      "duration");
    }
    if (before_us < after_us) {
        sim_format_seconds(after, sizeof(after), after_us);
        snprintf(what, sizeof(what), "a time at or after 'after' (%s)",
                 after);
        sim_yaml_path_key(key, sizeof(key), path, "before");
        return sim_yaml_fail_expected(y, sim_yaml_get(y, node, "before"), key,
                                      what);
    }
    return 0;
}

static int sim_load_step(sim_loader *loader, const yaml_node_t *node,
                         const char *path, sim_step *step)
{
    sim_yaml *y = &loader->y;
    int rc;

    step->within_us = SIM_NO_DEADLINE;
    step->before_us = SIM_NO_DEADLINE;
    step->line = sim_yaml_line(node);
    rc = sim_load_entry(loader, node, path, sim_step_keys, true, &step->name,
                        &step->pattern);
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, path, "within", &step->within_us);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, path, "before", &step->before_us);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, path, "after", &step->after_us);
    }
    if (rc == 0) {
        rc = sim_check_window(loader, node, path, step->after_us,
                              step->before_us);
    }
    return rc;
}

static int sim_load_sequence(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    sim_expect *expect = &loader->scenario->expect;
    sim_step *steps;
    size_t count;
    int rc = sim_yaml_want_sequence(y, node, "expect.sequence");

    if (rc != 0) {
        return rc;
    }
    count = sim_yaml_item_count(node);
    steps = sim_pool_calloc(&loader->scenario->pool, count + 1,
                            sizeof(*steps));
    if (steps == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char path[SIM_YAML_PATH_MAX];

        sim_yaml_path_index(path, sizeof(path), "expect.sequence", i);
        rc = sim_load_step(loader, sim_yaml_item(y, node, i), path, &steps[i]);
    }
    expect->steps = steps;
    expect->step_count = count;
    return rc;
}

static int sim_load_never(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    sim_expect *expect = &loader->scenario->expect;
    sim_never *nevers;
    size_t count;
    int rc = sim_yaml_want_sequence(y, node, "expect.never");

    if (rc != 0) {
        return rc;
    }
    count = sim_yaml_item_count(node);
    nevers = sim_pool_calloc(&loader->scenario->pool, count + 1,
                             sizeof(*nevers));
    if (nevers == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        yaml_node_t *item = sim_yaml_item(y, node, i);
        char path[SIM_YAML_PATH_MAX];

        sim_yaml_path_index(path, sizeof(path), "expect.never", i);
        nevers[i].before_us = SIM_NO_DEADLINE;
        rc = sim_load_entry(loader, item, path, sim_never_keys, false,
                            &nevers[i].name, &nevers[i].pattern);
        if (rc == 0) {
            rc = sim_yaml_opt_duration(y, item, path, "after",
                                       &nevers[i].after_us);
        }
        if (rc == 0) {
            rc = sim_yaml_opt_duration(y, item, path, "before",
                                       &nevers[i].before_us);
        }
        if (rc == 0) {
            rc = sim_check_window(loader, item, path, nevers[i].after_us,
                                  nevers[i].before_us);
        }
    }
    expect->nevers = nevers;
    expect->never_count = count;
    return rc;
}

static int sim_load_invariants(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    const char *names[SIM_INVARIANT_COUNT + 1];
    int rc = sim_yaml_want_mapping(y, node, "expect.invariants");

    for (size_t i = 0; i < SIM_INVARIANT_COUNT; i++) {
        names[i] = sim_invariant_names[i];
    }
    names[SIM_INVARIANT_COUNT] = NULL;
    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, "expect.invariants", names);
    }
    for (size_t i = 0; rc == 0 && i < SIM_INVARIANT_COUNT; i++) {
        rc = sim_yaml_opt_bool(y, node, "expect.invariants", names[i],
                               &loader->scenario->expect.invariant_on[i]);
    }
    return rc;
}

int sim_load_expect(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    const yaml_node_t *value;
    int rc = sim_yaml_want_mapping(y, node, "expect");

    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, "expect", sim_expect_keys);
    }
    if (rc == 0 && (value = sim_yaml_get(y, node, "sequence")) != NULL) {
        rc = sim_load_sequence(loader, value);
    }
    if (rc == 0 && (value = sim_yaml_get(y, node, "never")) != NULL) {
        rc = sim_load_never(loader, value);
    }
    if (rc == 0 && (value = sim_yaml_get(y, node, "metrics")) != NULL) {
        rc = sim_load_metrics(loader, value);
    }
    if (rc == 0 && (value = sim_yaml_get(y, node, "invariants")) != NULL) {
        rc = sim_load_invariants(loader, value);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, "expect", "invariant_grace",
                                   &loader->scenario->world.invariant_grace_us);
    }
    return rc;
}
