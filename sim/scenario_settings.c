/* The policy section, passed through the controller's lb_policy_set by
 * name, and the settings of the DFM, NGINX and Provider models. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "scenario_loader.h"

static const char *const sim_dfm_keys[] = {
    "sample_interval", "overload_permille", "low_load_permille", "window",
    "restart_delay",   "warmup",            "warmup_cpu_permille", NULL,
};
static const char *const sim_nginx_keys[] = {
    "drop_errors", "drop_window", "request_timeout", NULL,
};
static const char *const sim_provider_keys[] = {
    "create_delay",     "remove_delay",        "restart_delay",
    "boot_delay",       "quota",               "fail_probability",
    "timeout_probability", "reply_lost_probability", NULL,
};

static void sim_policy_names(char *buf, size_t buf_len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < lb_policy_param_count() && used < buf_len; i++) {
        int n = snprintf(buf + used, buf_len - used, "%s%s", i > 0 ? ", " : "",
                         lb_policy_param_name(i));
        if (n < 0) {
            return;
        }
        used += (size_t)n;
    }
}

static bool sim_policy_is_duration(const char *name)
{
    for (size_t i = 0; i < lb_policy_param_count(); i++) {
        if (strcmp(lb_policy_param_name(i), name) == 0) {
            return strcmp(lb_policy_param_unit(i), "us") == 0;
        }
    }
    return false;
}

/* Writes the text handed to lb_policy_set. A parameter in microseconds also
 * takes a duration with a unit ("10s") and gets its count of microseconds.
 * A plain integer stays a count of microseconds. */
static int sim_policy_value_text(sim_loader *loader, const yaml_node_t *name,
                                 const yaml_node_t *value, const char *key,
                                 char *text, size_t text_len)
{
    const char *raw = sim_yaml_text(value);
    sim_time_t us;
    size_t digits = strspn(raw, "0123456789");

    if (!sim_policy_is_duration(sim_yaml_text(name)) || raw[digits] == '\0') {
        snprintf(text, text_len, "%s", raw);
        return 0;
    }
    if (sim_yaml_node_duration(&loader->y, value, key, &us) != 0) {
        return -EINVAL;
    }
    snprintf(text, text_len, "%" PRId64, us);
    return 0;
}

/* The controller's reason without its "name: " prefix, which the message
 * gives already as the key. */
static const char *sim_policy_reason(const char *reason, const char *name)
{
    size_t len = strlen(name);

    if (strncmp(reason, name, len) == 0 && reason[len] == ':' &&
        reason[len + 1] == ' ') {
        return reason + len + 2;
    }
    return reason;
}

static int sim_load_policy_param(sim_loader *loader, const yaml_node_t *name,
                                 const yaml_node_t *value)
{
    sim_yaml *y = &loader->y;
    char key[SIM_YAML_PATH_MAX];
    char reason[256] = "";
    char names[2048];
    char text[64];
    int rc;

    if (!sim_yaml_is_scalar(name)) {
        return sim_yaml_fail_expected(y, name, "policy",
                                      "a policy parameter name");
    }
    sim_yaml_path_key(key, sizeof(key), "policy", sim_yaml_text(name));
    if (!sim_yaml_is_scalar(value)) {
        return sim_yaml_fail_expected(y, value, key, "a number or a duration");
    }

    rc = sim_policy_value_text(loader, name, value, key, text, sizeof(text));
    if (rc != 0) {
        return rc;
    }
    rc = lb_policy_set(&loader->scenario->policy, sim_yaml_text(name), text,
                       reason, sizeof(reason));
    if (rc == -ENOENT) {
        sim_policy_names(names, sizeof(names));
        return sim_yaml_fail(y, name, key,
                             "unknown policy parameter, expected one of: %s",
                             names);
    }
    if (rc != 0) {
        return sim_yaml_fail(y, value, key, "%s",
                             sim_policy_reason(reason, sim_yaml_text(name)));
    }
    return 0;
}

int sim_load_policy(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    char reason[256] = "";
    int rc = sim_yaml_want_mapping(y, node, "policy");

    for (size_t i = 0; rc == 0 && i < sim_yaml_pair_count(node); i++) {
        rc = sim_load_policy_param(loader, sim_yaml_pair_key(y, node, i),
                                   sim_yaml_pair_value(y, node, i));
    }
    if (rc == 0 &&
        lb_policy_validate(&loader->scenario->policy, reason,
                           sizeof(reason)) != 0) {
        rc = sim_yaml_fail(y, node, "policy",
                           "expected parameters that agree with each other, "
                           "got: %s",
                           reason);
    }
    return rc;
}

int sim_load_dfm(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    world_dfm_config *dfm = &loader->scenario->world.dfm;
    int rc = sim_yaml_want_mapping(y, node, "dfm");

    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, "dfm", sim_dfm_keys);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, "dfm", "sample_interval",
                                   &dfm->sample_interval_us);
    }
    if (rc == 0 && dfm->sample_interval_us == 0) {
        rc = sim_yaml_fail_expected(y, sim_yaml_get(y, node,
                                                    "sample_interval"),
                                    "dfm.sample_interval",
                                    "a duration above 0");
    }
    if (rc == 0) {
        rc = sim_yaml_opt_u32(y, node, "dfm", "overload_permille", 1000,
                              &dfm->overload_permille);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_u32(y, node, "dfm", "low_load_permille", 1000,
                              &dfm->low_load_permille);
    }
    if (rc == 0 && dfm->low_load_permille >= dfm->overload_permille) {
        rc = sim_yaml_fail(y, node, "dfm.low_load_permille",
                           "expected a value below overload_permille (%u), "
                           "got %u",
                           dfm->overload_permille, dfm->low_load_permille);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, "dfm", "window", &dfm->window_us);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, "dfm", "restart_delay",
                                   &dfm->restart_delay_us);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, "dfm", "warmup", &dfm->warmup_us);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_u32(y, node, "dfm", "warmup_cpu_permille", 1000,
                              &dfm->warmup_cpu_permille);
    }
    return rc;
}

int sim_load_nginx(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    world_nginx_config *nginx = &loader->scenario->world.nginx;
    int rc = sim_yaml_want_mapping(y, node, "nginx");

    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, "nginx", sim_nginx_keys);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_u32_range(y, node, "nginx", "drop_errors", 1,
                                    1000000, &nginx->drop_errors);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, "nginx", "drop_window",
                                   &nginx->drop_window_us);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_duration(y, node, "nginx", "request_timeout",
                                   &nginx->request_timeout_us);
    }
    return rc;
}

static int sim_load_provider_dists(sim_loader *loader, const yaml_node_t *node)
{
    static const char *const names[] = {
        "create_delay", "remove_delay", "restart_delay", "boot_delay",
    };
    world_provider_config *provider = &loader->scenario->world.provider;
    model_dist *dists[] = {
        &provider->create_delay, &provider->remove_delay,
        &provider->restart_delay, &provider->boot_delay,
    };
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sizeof(names) / sizeof(names[0]); i++) {
        const yaml_node_t *value = sim_yaml_get(&loader->y, node, names[i]);
        char key[SIM_YAML_PATH_MAX];

        if (value != NULL) {
            sim_yaml_path_key(key, sizeof(key), "provider", names[i]);
            rc = sim_load_dist(loader, value, key, dists[i]);
        }
    }
    return rc;
}

int sim_load_provider(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    world_provider_config *provider = &loader->scenario->world.provider;
    int rc = sim_yaml_want_mapping(y, node, "provider");

    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, "provider", sim_provider_keys);
    }
    if (rc == 0) {
        rc = sim_load_provider_dists(loader, node);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_u32(y, node, "provider", "quota", 100000,
                              &provider->quota);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_double(y, node, "provider", "fail_probability", 0.0,
                                 1.0, &provider->fail_probability);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_double(y, node, "provider", "timeout_probability",
                                 0.0, 1.0, &provider->timeout_probability);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_double(y, node, "provider",
                                 "reply_lost_probability", 0.0, 1.0,
                                 &provider->reply_lost_probability);
    }
    return rc;
}
