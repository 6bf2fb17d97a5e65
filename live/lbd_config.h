/* lbd's settings, read from its config file (format in docs/real-mode.md
 * and live/examples/lbd.conf). Every problem is reported as
 * "file:line: [section] key: what is wrong". */
#ifndef LBD_CONFIG_H
#define LBD_CONFIG_H

#include <stddef.h>

#include "controller.h"
#include "ini.h"
#include "log.h"
#include "nginx.h"
#include "nginx_render.h"
#include "provider.h"
#include "registry.h"

/* An instance from [instances], used when the routes file contains no table. */
typedef struct lbd_instance {
    char id[LB_ID_LEN_MAX + 1];
    char address[LIVE_ADDRESS_LEN_MAX + 1];
    lb_component_mask components;
    char **tenants;
    size_t tenant_count;
} lbd_instance;

typedef struct lbd_config {
    live_ini ini; /* owns the strings the settings below point to */

    const char *listen;
    char *token; /* never logged */
    lb_log_level log_level;
    long dfm_timeout_ms;

    live_component components[LB_COMPONENTS_MAX];
    const char *component_names[LB_COMPONENTS_MAX];
    size_t component_count;

    char **nginx_test_argv;
    char **nginx_reload_argv;
    live_nginx_config nginx;

    char **provider_argv[4]; /* create, remove, restart, list */
    char *provider_token;
    live_provider_config provider;

    lbd_instance *instances;
    size_t instance_count;

    lb_policy policy;
} lbd_config;

/* Reads path. Returns 0, or a negative errno value with the message in err;
 * lbd_config_free is safe after either. */
int lbd_config_load(lbd_config *config, const char *path, char *err,
                    size_t err_len);
void lbd_config_free(lbd_config *config);

#endif
