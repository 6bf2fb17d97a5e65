/* Policy parameters of the controller, by name.
 *
 * Scenario files (lbsim) and the config file (lbd) set the same parameters
 * under the same names. A name ends with its unit (_us, _permille, ...).
 * docs/policy.md documents each one with its unit and default. CPU is in
 * thousandths of one instance's whole capacity; durations are integer
 * microseconds. */
#ifndef LB_POLICY_H
#define LB_POLICY_H

#include <stddef.h>
#include <stdint.h>

/* Maximum length of instance_type, in bytes, without the terminating NUL. */
#define LB_POLICY_TEXT_LEN_MAX 63

/* The controller's parameters. Callers set them through lb_policy_set so
 * that the names stay the only interface; the fields are read by the
 * controller. Each field is the parameter of the same name. */
typedef struct lb_policy {
    uint32_t overload_cpu_permille;
    uint32_t target_cpu_permille;
    uint32_t headroom_cpu_permille;
    uint32_t tenant_new_cpu_permille;
    uint32_t instances_min;
    uint32_t instances_max;
    char instance_type[LB_POLICY_TEXT_LEN_MAX + 1];
    int64_t overload_cooldown_us;
    int64_t scale_in_cooldown_us;
    int64_t warmup_us;
    int64_t routes_interval_min_us;
    int64_t request_timeout_us;
    int64_t provider_timeout_us;
    int64_t ready_timeout_us;
    uint32_t retries_max;
    int64_t retry_backoff_min_us;
    int64_t retry_backoff_max_us;
    int64_t stop_grace_us;
    int64_t component_stable_us;
    uint32_t crash_loop_downs;
    int64_t crash_loop_window_us;
    int64_t crash_loop_stable_us;
    int64_t dropping_grace_us;
    int64_t restart_cooldown_us;
    int64_t restart_backoff_max_us;
    int64_t ready_probe_us;
    int64_t stats_interval_us;
    int64_t scale_out_backoff_min_us;
    int64_t scale_out_backoff_max_us;
} lb_policy;

/* Fills every parameter with its default. */
void lb_policy_defaults(lb_policy *policy);

/* Sets parameter name from its text value. Returns 0, -ENOENT for an unknown
 * name or -EINVAL for a value out of range or of the wrong type; then err
 * holds a message that names the parameter and the expected value. */
int lb_policy_set(lb_policy *policy, const char *name, const char *value,
                  char *err, size_t err_len);

/* Checks the rules between parameters (for example min <= max). Returns 0 or
 * -EINVAL with a message in err. */
int lb_policy_validate(const lb_policy *policy, char *err, size_t err_len);

/* Number of parameters, and the name of parameter index. */
size_t lb_policy_param_count(void);
const char *lb_policy_param_name(size_t index);

/* Unit of parameter index ("us", "permille", "count", "text") and its
 * one-line meaning. */
const char *lb_policy_param_unit(size_t index);
const char *lb_policy_param_description(size_t index);

/* Writes the current value of parameter index as text. Returns the length
 * written, as snprintf does. */
int lb_policy_format(const lb_policy *policy, size_t index, char *buf,
                     size_t buf_len);

#endif
