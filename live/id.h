/* Checks of every outside string before it reaches an nginx configuration
 * file, a command's argument list or a URL.
 *
 * An id (tenant, instance, instance type) is 1 to LB_ID_LEN_MAX characters
 * of [A-Za-z0-9_-] and starts with a letter or digit, so it can never carry
 * nginx syntax (; { } quotes, spaces, $, #) nor pass for a command option. */
#ifndef LIVE_ID_H
#define LIVE_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool live_id_valid(const char *id);

/* An instance type, as cloud providers name them ("m5.large",
 * "e2-standard-4", "Standard_D2s_v3", "gpu:a100/2"): 1 to LIVE_TYPE_LEN_MAX
 * characters of [A-Za-z0-9._:/-] starting with a letter or digit. It is
 * passed to the provider only, never written into nginx's configuration,
 * and cannot pass for a command option or carry shell or JSON syntax. */
#define LIVE_TYPE_LEN_MAX 63
bool live_instance_type_valid(const char *type);

/* A component name: 1 to 15 of [a-z0-9]. It has no '_' so that the nginx
 * upstream name lbsim_<instance>_<component> splits one way only. */
bool live_component_name_valid(const char *name);

/* An address "host:port": host is an IPv4 address, a DNS name of
 * [A-Za-z0-9.-] or a bracketed IPv6 address of [0-9A-Fa-f:.]; port is
 * 1..65535. On success the port goes to *port when port is not NULL. */
bool live_address_valid(const char *address, uint16_t *port);

/* Copies address with its port replaced by port into out. Returns 0, or
 * -EINVAL for an invalid address or -ENOSPC when out is too short. */
int live_address_with_port(const char *address, unsigned port, char *out,
                           size_t out_len);

/* A URL path prefix for a component: starts with '/', then [A-Za-z0-9/_.-],
 * at most 127 characters. */
bool live_path_prefix_valid(const char *path);

#endif
