/* Policy parameters of the controller, by name.
 *
 * Scenario files (lbsim) and the config file (lbd) set the same parameters
 * under the same names. A name ends with its unit (_us, _permille, ...).
 * docs/policy.md documents each one with its unit and default. */
#ifndef LB_POLICY_H
#define LB_POLICY_H

#include <stddef.h>
#include <stdint.h>

/* TODO: the controller's parameters; callers set them through
 * lb_policy_set so that their names stay the only interface. */
typedef struct lb_policy {
    uint32_t overload_cpu_permille;
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

/* Writes the current value of parameter index as text. Returns the length
 * written, as snprintf does. */
int lb_policy_format(const lb_policy *policy, size_t index, char *buf,
                     size_t buf_len);

#endif
