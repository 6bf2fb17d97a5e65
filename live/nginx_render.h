/* Rendering of a routing table as an nginx configuration file.
 *
 * The file goes into nginx's http block. It defines the lbsim log format,
 * maps from the request (tenant, component) to an upstream, one upstream
 * per (instance, component) in use, and, when a status address is set, a
 * small server that returns the table version (lbd polls it to see that a
 * reload took effect). It ends with "# lbsim-..." comment lines that let
 * lbd read the table back after a restart.
 *
 * Every id, address and name is checked before any text is produced, so a
 * rejected table writes nothing. */
#ifndef LIVE_NGINX_RENDER_H
#define LIVE_NGINX_RENDER_H

#include <stddef.h>

#include "ports.h"

/* One component (dev, dep, ...): where its requests come in and where it
 * listens on each instance. */
typedef struct live_component {
    char name[16];
    char path_prefix[128]; /* request paths under it go to this component */
    unsigned port_offset;  /* listens on instance address port + offset */
} live_component;

typedef struct live_nginx_render_config {
    const live_component *components;
    size_t component_count;
    /* Request header that names the tenant, or NULL for the first label of
     * the host name. */
    const char *tenant_header;
    /* "host:port" of the version server, or NULL for none. */
    const char *status_listen;
} live_nginx_render_config;

/* Renders routes into a new NUL-terminated string (*text, freed by the
 * caller). Returns 0, -EINVAL with a message in err naming the field and
 * value when the table or config is invalid, or -ENOMEM. */
int live_nginx_render(const live_nginx_render_config *config,
                      const lb_routes *routes, char **text, char *err,
                      size_t err_len);

/* Checks the table alone; same errors as live_nginx_render. */
int live_nginx_routes_check(const live_nginx_render_config *config,
                            const lb_routes *routes, char *err,
                            size_t err_len);

/* Checks a header name for tenant_header: 1 to 63 of [A-Za-z0-9-]. */
int live_nginx_header_check(const char *header);

#endif
