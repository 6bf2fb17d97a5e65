/* The policy parameter table and the name-based access to it.
 *
 * One table row per parameter contains its name, unit, type, range, default
 * and meaning. Every function here walks that table, so a parameter added to
 * the table is settable, printable and documented at once. */
/* Asserts stay on in every build type. */
#undef NDEBUG
#include "policy.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_S INT64_C(1000000)

/* Maximum duration a parameter accepts: about 115 days. */
#define DURATION_US_MAX INT64_C(10000000000000)

typedef enum policy_type {
    POLICY_U32 = 0,
    POLICY_DURATION, /* int64_t microseconds */
    POLICY_TEXT,     /* char[LB_POLICY_TEXT_LEN_MAX + 1] */
} policy_type;

typedef struct policy_param {
    const char *name;
    const char *unit;
    policy_type type;
    size_t offset;
    int64_t min;
    int64_t max;
    int64_t default_value; /* numeric types */
    const char *default_text; /* POLICY_TEXT */
    const char *description;
} policy_param;

#define U32(field, unit, lo, hi, def, text) \
    { #field, unit, POLICY_U32, offsetof(lb_policy, field), lo, hi, def, \
      NULL, text }
#define DURATION(field, def, text) \
    { #field, "us", POLICY_DURATION, offsetof(lb_policy, field), 0, \
      DURATION_US_MAX, def, NULL, text }

static const policy_param policy_params[] = {
    U32(overload_cpu_permille, "permille", 1, 1000, 800,
        "CPU above which an instance counts as overloaded"),
    U32(target_cpu_permille, "permille", 1, 1000, 600,
        "CPU that an overloaded instance should fall to after tenants move "
        "off it, and the most that placement loads an instance with"),
    U32(headroom_cpu_permille, "permille", 0, 1000, 100,
        "margin below overload_cpu_permille that the remaining instances "
        "keep after a low-load removal"),
    U32(tenant_new_cpu_permille, "permille", 0, 1000, 20,
        "CPU assumed for a tenant that has no load estimate yet"),
    U32(instances_min, "count", 1, 10000, 1,
        "fewest worker instances; a removal never goes below it"),
    U32(instances_max, "count", 1, 10000, 8,
        "most worker instances, counting those being created"),
    { "instance_type", "text", POLICY_TEXT,
      offsetof(lb_policy, instance_type), 1, LB_POLICY_TEXT_LEN_MAX, 0,
      "standard", "instance type asked of the provider on a create" },
    DURATION(overload_cooldown_us, 60 * US_PER_S,
             "time after tenants moved off an instance during which its "
             "overload reports are ignored"),
    DURATION(scale_in_cooldown_us, 300 * US_PER_S,
             "time after a create or a removal during which no removal "
             "starts"),
    DURATION(warmup_us, 60 * US_PER_S,
             "time after a new or restarted instance started its components "
             "during which its CPU reports are ignored"),
    DURATION(routes_interval_min_us, 1 * US_PER_S,
             "shortest time between two routing tables sent to NGINX"),
    DURATION(request_timeout_us, 5 * US_PER_S,
             "time to wait for a reply from NGINX or a DFM"),
    DURATION(provider_timeout_us, 120 * US_PER_S,
             "time to wait for a reply from the provider"),
    DURATION(ready_timeout_us, 300 * US_PER_S,
             "time from created or restarted to the DFM's ready before the "
             "instance is given up"),
    U32(retries_max, "count", 0, 100, 3,
        "times a timed-out request is sent again before it is given up"),
    DURATION(retry_backoff_min_us, 1 * US_PER_S,
             "wait before the first retry; it doubles with each retry"),
    DURATION(retry_backoff_max_us, 30 * US_PER_S,
             "longest wait before a retry"),
    DURATION(stop_grace_us, 30 * US_PER_S,
             "time a graceful stop leaves requests in flight before the DFM "
             "kills them"),
    DURATION(component_stable_us, 30 * US_PER_S,
             "time a restarted component must stay up before its tenants "
             "are routed back"),
    U32(crash_loop_downs, "count", 2, 16, 3,
        "downs within crash_loop_window_us that mark a component as "
        "crash-looping"),
    DURATION(crash_loop_window_us, 600 * US_PER_S,
             "window in which crash_loop_downs are counted"),
    DURATION(crash_loop_stable_us, 600 * US_PER_S,
             "time a crash-looping component must stay up before its "
             "tenants are routed back"),
    DURATION(dropping_grace_us, 15 * US_PER_S,
             "time after a restarted instance became active again, or after "
             "one of its components went down, during which its dropping "
             "reports cause no restart"),
    DURATION(restart_cooldown_us, 60 * US_PER_S,
             "shortest time between two restarts of one instance, and the "
             "first wait before a failed instance is restarted again"),
    DURATION(restart_backoff_max_us, 600 * US_PER_S,
             "longest wait before a failed instance is restarted again"),
    DURATION(ready_probe_us, 30 * US_PER_S,
             "time without the DFM's ready after which a booting instance "
             "gets its components_start anyway; 0 turns it off"),
    DURATION(stats_interval_us, 10 * US_PER_S,
             "time between two statistics requests that check every "
             "instance for requests that all fail; 0 turns them off"),
    DURATION(scale_out_backoff_min_us, 30 * US_PER_S,
             "wait after a failed or abandoned create before the next one; "
             "it doubles with each failure"),
    DURATION(scale_out_backoff_max_us, 600 * US_PER_S,
             "longest wait after failed creates before the next one"),
};

#define POLICY_PARAM_COUNT (sizeof policy_params / sizeof policy_params[0])

static const policy_param *policy_param_find(const char *name)
{
    for (size_t i = 0; i < POLICY_PARAM_COUNT; i++) {
        if (strcmp(policy_params[i].name, name) == 0) {
            return &policy_params[i];
        }
    }
    return NULL;
}

static void *policy_field(lb_policy *policy, const policy_param *param)
{
    return (char *)policy + param->offset;
}

static const void *policy_field_const(const lb_policy *policy,
                                      const policy_param *param)
{
    return (const char *)policy + param->offset;
}

void lb_policy_defaults(lb_policy *policy)
{
    assert(policy != NULL);

    memset(policy, 0, sizeof *policy);
    for (size_t i = 0; i < POLICY_PARAM_COUNT; i++) {
        const policy_param *param = &policy_params[i];
        void *field = policy_field(policy, param);

        switch (param->type) {
        case POLICY_U32:
            *(uint32_t *)field = (uint32_t)param->default_value;
            break;
        case POLICY_DURATION:
            *(int64_t *)field = param->default_value;
            break;
        case POLICY_TEXT:
            snprintf(field, LB_POLICY_TEXT_LEN_MAX + 1, "%s",
                     param->default_text);
            break;
        }
    }
}

/* Parses a decimal integer in [min, max] with nothing after it. */
static int policy_parse_integer(const char *value, int64_t min, int64_t max,
                                int64_t *out)
{
    char *end = NULL;

    if (value[0] == '\0' || value[0] == '-' || value[0] == '+' ||
        value[0] == ' ') {
        return -EINVAL;
    }
    errno = 0;
    unsigned long long parsed = strtoull(value, &end, 10);
    if (errno != 0 || *end != '\0' || parsed > (unsigned long long)max ||
        (int64_t)parsed < min) {
        return -EINVAL;
    }
    *out = (int64_t)parsed;
    return 0;
}

static int policy_set_text(lb_policy *policy, const policy_param *param,
                           const char *value, char *err, size_t err_len)
{
    size_t len = strlen(value);

    if (len < (size_t)param->min || len > (size_t)param->max) {
        snprintf(err, err_len,
                 "%s: expected text of %" PRId64 " to %" PRId64
                 " characters, got %zu characters",
                 param->name, param->min, param->max, len);
        return -EINVAL;
    }
    for (size_t i = 0; i < len; i++) {
        if (value[i] <= ' ' || value[i] == 0x7f) {
            snprintf(err, err_len,
                     "%s: expected text without spaces or control "
                     "characters, got \"%s\"",
                     param->name, value);
            return -EINVAL;
        }
    }
    memcpy(policy_field(policy, param), value, len + 1);
    return 0;
}

int lb_policy_set(lb_policy *policy, const char *name, const char *value,
                  char *err, size_t err_len)
{
    assert(policy != NULL);
    assert(name != NULL);
    assert(value != NULL);

    const policy_param *param = policy_param_find(name);
    if (param == NULL) {
        snprintf(err, err_len, "%s: unknown policy parameter", name);
        return -ENOENT;
    }
    if (param->type == POLICY_TEXT) {
        return policy_set_text(policy, param, value, err, err_len);
    }

    int64_t parsed = 0;
    if (policy_parse_integer(value, param->min, param->max, &parsed) != 0) {
        snprintf(err, err_len,
                 "%s: expected an integer from %" PRId64 " to %" PRId64
                 " (%s), got \"%s\"",
                 param->name, param->min, param->max, param->unit, value);
        return -EINVAL;
    }
    if (param->type == POLICY_U32) {
        *(uint32_t *)policy_field(policy, param) = (uint32_t)parsed;
    } else {
        *(int64_t *)policy_field(policy, param) = parsed;
    }
    return 0;
}

int lb_policy_validate(const lb_policy *policy, char *err, size_t err_len)
{
    assert(policy != NULL);

    if (policy->instances_min > policy->instances_max) {
        snprintf(err, err_len,
                 "instances_min (%" PRIu32 ") must not exceed instances_max "
                 "(%" PRIu32 ")",
                 policy->instances_min, policy->instances_max);
        return -EINVAL;
    }
    if (policy->target_cpu_permille >= policy->overload_cpu_permille) {
        snprintf(err, err_len,
                 "target_cpu_permille (%" PRIu32 ") must be below "
                 "overload_cpu_permille (%" PRIu32 ")",
                 policy->target_cpu_permille, policy->overload_cpu_permille);
        return -EINVAL;
    }
    if (policy->headroom_cpu_permille >= policy->overload_cpu_permille) {
        snprintf(err, err_len,
                 "headroom_cpu_permille (%" PRIu32 ") must be below "
                 "overload_cpu_permille (%" PRIu32 ")",
                 policy->headroom_cpu_permille,
                 policy->overload_cpu_permille);
        return -EINVAL;
    }
    if (policy->retry_backoff_min_us > policy->retry_backoff_max_us) {
        snprintf(err, err_len,
                 "retry_backoff_min_us (%" PRId64 ") must not exceed "
                 "retry_backoff_max_us (%" PRId64 ")",
                 policy->retry_backoff_min_us, policy->retry_backoff_max_us);
        return -EINVAL;
    }
    if (policy->restart_cooldown_us > policy->restart_backoff_max_us) {
        snprintf(err, err_len,
                 "restart_cooldown_us (%" PRId64 ") must not exceed "
                 "restart_backoff_max_us (%" PRId64 ")",
                 policy->restart_cooldown_us, policy->restart_backoff_max_us);
        return -EINVAL;
    }
    if (policy->scale_out_backoff_min_us > policy->scale_out_backoff_max_us) {
        snprintf(err, err_len,
                 "scale_out_backoff_min_us (%" PRId64 ") must not exceed "
                 "scale_out_backoff_max_us (%" PRId64 ")",
                 policy->scale_out_backoff_min_us,
                 policy->scale_out_backoff_max_us);
        return -EINVAL;
    }
    if (policy->request_timeout_us <= 0 || policy->provider_timeout_us <= 0 ||
        policy->ready_timeout_us <= 0) {
        snprintf(err, err_len,
                 "request_timeout_us, provider_timeout_us and "
                 "ready_timeout_us must be above 0");
        return -EINVAL;
    }
    if (policy->instance_type[0] == '\0') {
        snprintf(err, err_len, "instance_type must not be empty");
        return -EINVAL;
    }
    return 0;
}

size_t lb_policy_param_count(void)
{
    return POLICY_PARAM_COUNT;
}

const char *lb_policy_param_name(size_t index)
{
    assert(index < POLICY_PARAM_COUNT);
    return policy_params[index].name;
}

const char *lb_policy_param_unit(size_t index)
{
    assert(index < POLICY_PARAM_COUNT);
    return policy_params[index].unit;
}

const char *lb_policy_param_description(size_t index)
{
    assert(index < POLICY_PARAM_COUNT);
    return policy_params[index].description;
}

int lb_policy_format(const lb_policy *policy, size_t index, char *buf,
                     size_t buf_len)
{
    assert(policy != NULL);
    assert(index < POLICY_PARAM_COUNT);

    const policy_param *param = &policy_params[index];
    const void *field = policy_field_const(policy, param);

    switch (param->type) {
    case POLICY_U32:
        return snprintf(buf, buf_len, "%" PRIu32, *(const uint32_t *)field);
    case POLICY_DURATION:
        return snprintf(buf, buf_len, "%" PRId64, *(const int64_t *)field);
    case POLICY_TEXT:
        return snprintf(buf, buf_len, "%s", (const char *)field);
    }
    assert(!"unknown policy parameter type");
    return -1;
}
