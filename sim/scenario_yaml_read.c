/* Typed reads of scalar nodes: strings, integers, numbers, durations,
 * booleans and choices from a list of names. */
#include "scenario_yaml.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_units.h"

static bool sim_yaml_is_plain(const sim_yaml *y, const yaml_node_t *node)
{
    return node->type == YAML_SCALAR_NODE &&
           node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           !sim_yaml_is_tagged(y, node);
}

/* Fails with what was expected of a number, and explains why a scalar that
 * reads as a number was not taken: quotes or a tag make it a string. */
static int sim_yaml_fail_number(sim_yaml *y, const yaml_node_t *node,
                                const char *key, const char *what)
{
    char got[64];

    if (node->type != YAML_SCALAR_NODE ||
        node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (node->type == YAML_SCALAR_NODE && sim_yaml_is_tagged(y, node)) {
            sim_yaml_describe(node, got, sizeof(got));
            return sim_yaml_fail(y, node, key,
                                 "expected %s without a YAML tag, got %s "
                                 "with a tag",
                                 what, got);
        }
        return sim_yaml_fail_expected(y, node, key, what);
    }
    sim_yaml_describe(node, got, sizeof(got));
    return sim_yaml_fail(y, node, key,
                         "expected %s, got the quoted string %s (write "
                         "numbers without quotes)",
                         what, got);
}

int sim_yaml_node_string(sim_yaml *y, const yaml_node_t *node,
                         const char *key, const char **out)
{
    if (!sim_yaml_is_scalar(node)) {
        return sim_yaml_fail_expected(y, node, key, "a string");
    }
    *out = sim_pool_strdup(y->pool, sim_yaml_text(node));
    if (*out == NULL) {
        return sim_yaml_fail(y, node, key, "out of memory");
    }
    return 0;
}

int sim_yaml_node_uint_range(sim_yaml *y, const yaml_node_t *node,
                             const char *key, uint64_t min, uint64_t max,
                             uint64_t *out)
{
    char what[64];
    const char *text = sim_yaml_text(node);
    char *end = NULL;
    unsigned long long value;

    snprintf(what, sizeof(what), "an integer from %" PRIu64 " to %" PRIu64,
             min, max);
    if (!sim_yaml_is_plain(y, node)) {
        return sim_yaml_fail_number(y, node, key, what);
    }
    if (text[0] < '0' || text[0] > '9') {
        return sim_yaml_fail_expected(y, node, key, what);
    }
    errno = 0;
    value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || value > max || value < min) {
        return sim_yaml_fail_expected(y, node, key, what);
    }
    *out = value;
    return 0;
}

int sim_yaml_node_uint(sim_yaml *y, const yaml_node_t *node, const char *key,
                       uint64_t max, uint64_t *out)
{
    return sim_yaml_node_uint_range(y, node, key, 0, max, out);
}

int sim_yaml_node_double(sim_yaml *y, const yaml_node_t *node,
                         const char *key, double min, double max,
                         double *out)
{
    char what[80];
    const char *text = sim_yaml_text(node);
    char *end = NULL;
    double value;

    snprintf(what, sizeof(what), "a number from %g to %g", min, max);
    if (!sim_yaml_is_plain(y, node)) {
        return sim_yaml_fail_number(y, node, key, what);
    }
    if (text[0] == '\0') {
        return sim_yaml_fail_expected(y, node, key, what);
    }
    errno = 0;
    value = strtod(text, &end);
    if (errno != 0 || *end != '\0' || !isfinite(value) || value < min ||
        value > max) {
        return sim_yaml_fail_expected(y, node, key, what);
    }
    *out = value;
    return 0;
}

int sim_yaml_node_duration(sim_yaml *y, const yaml_node_t *node,
                           const char *key, sim_time_t *out_us)
{
    const char *text = sim_yaml_text(node);
    int rc;

    if (!sim_yaml_is_scalar(node)) {
        return sim_yaml_fail_expected(
            y, node, key, "a duration with a unit such as 250ms, 90s or 15m");
    }
    rc = sim_duration_parse(text, out_us);
    if (rc == -ERANGE) {
        return sim_yaml_fail_expected(
            y, node, key,
            "a non-negative duration in whole microseconds that fits in 64 "
            "bits");
    }
    if (rc != 0) {
        return sim_yaml_fail_expected(
            y, node, key,
            "a duration with a unit (us, ms, s, m or h) such as 250ms, 90s or "
            "15m");
    }
    return 0;
}

int sim_yaml_node_bool(sim_yaml *y, const yaml_node_t *node, const char *key,
                       bool *out)
{
    static const char *const yes[] = {"true", "True", "yes", "on", NULL};
    static const char *const no[] = {"false", "False", "no", "off", NULL};
    const char *text = sim_yaml_text(node);

    if (sim_yaml_is_plain(y, node)) {
        for (size_t i = 0; yes[i] != NULL; i++) {
            if (strcmp(text, yes[i]) == 0) {
                *out = true;
                return 0;
            }
            if (strcmp(text, no[i]) == 0) {
                *out = false;
                return 0;
            }
        }
    }
    return sim_yaml_fail_expected(y, node, key, "true or false");
}

int sim_yaml_node_choice(sim_yaml *y, const yaml_node_t *node,
                         const char *key, const char *const *names,
                         size_t *out_index)
{
    char what[1024];
    const char *text = sim_yaml_text(node);

    if (sim_yaml_is_scalar(node)) {
        for (size_t i = 0; names[i] != NULL; i++) {
            if (strcmp(text, names[i]) == 0) {
                *out_index = i;
                return 0;
            }
        }
    }
    memcpy(what, "one of: ", 9);
    sim_yaml_join_names(what + 8, sizeof(what) - 8, names);
    return sim_yaml_fail_expected(y, node, key, what);
}

/* Finds key in mapping and builds its path; returns NULL when it is
 * absent. */
static yaml_node_t *sim_yaml_opt_find(sim_yaml *y, const yaml_node_t *mapping,
                                      const char *path, const char *key,
                                      char *key_path)
{
    sim_yaml_path_key(key_path, SIM_YAML_PATH_MAX, path, key);
    return sim_yaml_get(y, mapping, key);
}

int sim_yaml_opt_string(sim_yaml *y, const yaml_node_t *mapping,
                        const char *path, const char *key, const char **out)
{
    char key_path[SIM_YAML_PATH_MAX];
    yaml_node_t *node = sim_yaml_opt_find(y, mapping, path, key, key_path);

    return node == NULL ? 0 : sim_yaml_node_string(y, node, key_path, out);
}

int sim_yaml_opt_uint(sim_yaml *y, const yaml_node_t *mapping,
                      const char *path, const char *key, uint64_t max,
                      uint64_t *out)
{
    char key_path[SIM_YAML_PATH_MAX];
    yaml_node_t *node = sim_yaml_opt_find(y, mapping, path, key, key_path);

    return node == NULL ? 0 : sim_yaml_node_uint(y, node, key_path, max, out);
}

int sim_yaml_opt_u32(sim_yaml *y, const yaml_node_t *mapping,
                     const char *path, const char *key, uint32_t max,
                     uint32_t *out)
{
    return sim_yaml_opt_u32_range(y, mapping, path, key, 0, max, out);
}

int sim_yaml_opt_u32_range(sim_yaml *y, const yaml_node_t *mapping,
                           const char *path, const char *key, uint32_t min,
                           uint32_t max, uint32_t *out)
{
    char key_path[SIM_YAML_PATH_MAX];
    yaml_node_t *node = sim_yaml_opt_find(y, mapping, path, key, key_path);
    uint64_t value = *out;
    int rc;

    if (node == NULL) {
        return 0;
    }
    rc = sim_yaml_node_uint_range(y, node, key_path, min, max, &value);
    if (rc == 0) {
        *out = (uint32_t)value;
    }
    return rc;
}

int sim_yaml_opt_double(sim_yaml *y, const yaml_node_t *mapping,
                        const char *path, const char *key, double min,
                        double max, double *out)
{
    char key_path[SIM_YAML_PATH_MAX];
    yaml_node_t *node = sim_yaml_opt_find(y, mapping, path, key, key_path);

    return node == NULL
               ? 0
               : sim_yaml_node_double(y, node, key_path, min, max, out);
}

int sim_yaml_opt_duration(sim_yaml *y, const yaml_node_t *mapping,
                          const char *path, const char *key,
                          sim_time_t *out_us)
{
    char key_path[SIM_YAML_PATH_MAX];
    yaml_node_t *node = sim_yaml_opt_find(y, mapping, path, key, key_path);

    return node == NULL ? 0
                        : sim_yaml_node_duration(y, node, key_path, out_us);
}

int sim_yaml_opt_bool(sim_yaml *y, const yaml_node_t *mapping,
                      const char *path, const char *key, bool *out)
{
    char key_path[SIM_YAML_PATH_MAX];
    yaml_node_t *node = sim_yaml_opt_find(y, mapping, path, key, key_path);

    return node == NULL ? 0 : sim_yaml_node_bool(y, node, key_path, out);
}
