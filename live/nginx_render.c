/* Renders a routing table as nginx configuration; see nginx_render.h. */
#include "nginx_render.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "id.h"

int live_nginx_header_check(const char *header)
{
    size_t len = header ? strlen(header) : 0;

    if (len == 0 || len > 63) {
        return -EINVAL;
    }
    for (size_t i = 0; i < len; i++) {
        char c = header[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-')) {
            return -EINVAL;
        }
    }
    return 0;
}

static int live_render_config_check(const live_nginx_render_config *config,
                                    char *err, size_t err_len)
{
    if (config->component_count == 0 ||
        config->component_count > LB_COMPONENTS_MAX) {
        snprintf(err, err_len, "component count %zu is not in 1..%d",
                 config->component_count, LB_COMPONENTS_MAX);
        return -EINVAL;
    }
    for (size_t c = 0; c < config->component_count; c++) {
        const live_component *component = &config->components[c];
        if (!live_component_name_valid(component->name) ||
            !live_path_prefix_valid(component->path_prefix)) {
            snprintf(err, err_len, "component %zu: invalid name or path", c);
            return -EINVAL;
        }
    }
    if (config->tenant_header &&
        live_nginx_header_check(config->tenant_header) != 0) {
        snprintf(err, err_len, "invalid tenant header name");
        return -EINVAL;
    }
    if (config->status_listen &&
        !live_address_valid(config->status_listen, NULL)) {
        snprintf(err, err_len, "invalid status address");
        return -EINVAL;
    }
    return 0;
}

static int live_render_instances_check(const live_nginx_render_config *config,
                                       const lb_routes *routes, char *err,
                                       size_t err_len)
{
    for (size_t i = 0; i < routes->instance_count; i++) {
        const lb_route_instance *instance = &routes->instances[i];
        uint16_t port = 0;
        if (!live_id_valid(instance->id)) {
            snprintf(err, err_len, "instances[%zu].id: invalid instance id "
                     "(expected 1-63 of [A-Za-z0-9_-], starting with a "
                     "letter or digit)", i);
            return -EINVAL;
        }
        if (!live_address_valid(instance->address, &port)) {
            snprintf(err, err_len, "instances[%zu].address of instance %s: "
                     "invalid address (expected host:port)", i, instance->id);
            return -EINVAL;
        }
        for (size_t c = 0; c < config->component_count; c++) {
            if (port + config->components[c].port_offset > 65535) {
                snprintf(err, err_len, "instances[%zu]: port %u + offset %u "
                         "of component %s exceeds 65535", i, port,
                         config->components[c].port_offset,
                         config->components[c].name);
                return -EINVAL;
            }
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(routes->instances[j].id, instance->id) == 0) {
                snprintf(err, err_len, "instances[%zu].id: duplicate "
                         "instance %s", i, instance->id);
                return -EINVAL;
            }
        }
    }
    return 0;
}

static int live_render_route_check(const live_nginx_render_config *config,
                                   const lb_routes *routes, size_t r,
                                   char *err, size_t err_len)
{
    const lb_route *route = &routes->routes[r];

    if (!live_id_valid(route->tenant)) {
        snprintf(err, err_len, "routes[%zu].tenant: invalid tenant id "
                 "(expected 1-63 of [A-Za-z0-9_-], starting with a letter "
                 "or digit)", r);
        return -EINVAL;
    }
    if (route->component >= config->component_count) {
        snprintf(err, err_len, "routes[%zu].component: %u is not a "
                 "configured component", r, route->component);
        return -EINVAL;
    }
    if (route->instance >= routes->instance_count) {
        snprintf(err, err_len, "routes[%zu].instance: index %u out of range",
                 r, route->instance);
        return -EINVAL;
    }
    for (size_t j = 0; j < r; j++) {
        if (routes->routes[j].component == route->component &&
            strcmp(routes->routes[j].tenant, route->tenant) == 0) {
            snprintf(err, err_len, "routes[%zu]: tenant %s has two routes "
                     "for component %s", r, route->tenant,
                     config->components[route->component].name);
            return -EINVAL;
        }
    }
    return 0;
}

int live_nginx_routes_check(const live_nginx_render_config *config,
                            const lb_routes *routes, char *err,
                            size_t err_len)
{
    int rc = live_render_config_check(config, err, err_len);
    if (rc != 0) {
        return rc;
    }
    rc = live_render_instances_check(config, routes, err, err_len);
    if (rc != 0) {
        return rc;
    }
    for (size_t r = 0; r < routes->route_count; r++) {
        rc = live_render_route_check(config, routes, r, err, err_len);
        if (rc != 0) {
            return rc;
        }
    }
    if (routes->default_instance != LB_ROUTE_NO_DEFAULT &&
        routes->default_instance >= routes->instance_count) {
        snprintf(err, err_len, "default_instance: index %u out of range",
                 routes->default_instance);
        return -EINVAL;
    }
    return 0;
}

static void live_render_tenant_map(FILE *out,
                                   const live_nginx_render_config *config)
{
    if (config->tenant_header) {
        fprintf(out, "map $http_");
        for (const char *p = config->tenant_header; *p; p++) {
            char c = *p;
            fputc(c == '-' ? '_' : (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c),
                  out);
        }
        fprintf(out, " $lbsim_tenant {\n    default \"\";\n"
                "    \"~^(?<lbsim_t>[A-Za-z0-9][A-Za-z0-9_-]{0,62})$\" "
                "$lbsim_t;\n}\n");
        return;
    }
    fprintf(out, "map $host $lbsim_tenant {\n    default \"\";\n"
            "    \"~^(?<lbsim_t>[A-Za-z0-9][A-Za-z0-9_-]{0,62})(\\.|$)\" "
            "$lbsim_t;\n}\n");
}

/* Longer prefixes first, because nginx tries map regexes in order. */
static void live_render_component_map(FILE *out,
                                      const live_nginx_render_config *config)
{
    bool done[LB_COMPONENTS_MAX] = {false};

    fprintf(out, "map $uri $lbsim_component {\n    default \"\";\n");
    for (size_t n = 0; n < config->component_count; n++) {
        size_t best = SIZE_MAX;
        for (size_t c = 0; c < config->component_count; c++) {
            if (!done[c] && (best == SIZE_MAX ||
                             strlen(config->components[c].path_prefix) >
                             strlen(config->components[best].path_prefix))) {
                best = c;
            }
        }
        done[best] = true;
        fprintf(out, "    \"~^");
        for (const char *p = config->components[best].path_prefix; *p; p++) {
            if (*p == '.') {
                fputc('\\', out);
            }
            fputc(*p, out);
        }
        fprintf(out, "\" %s;\n", config->components[best].name);
    }
    fprintf(out, "}\n");
}

static void live_render_route_map(FILE *out,
                                  const live_nginx_render_config *config,
                                  const lb_routes *routes)
{
    fprintf(out, "map \"$lbsim_tenant:$lbsim_component\" $lbsim_route {\n"
            "    default \"\";\n");
    for (size_t r = 0; r < routes->route_count; r++) {
        const lb_route *route = &routes->routes[r];
        const char *component = config->components[route->component].name;
        fprintf(out, "    \"%s:%s\" lbsim_%s_%s;\n", route->tenant, component,
                routes->instances[route->instance].id, component);
    }
    if (routes->default_instance != LB_ROUTE_NO_DEFAULT) {
        /* Tenants without a route of their own reach the default DEV. */
        const char *component = config->components[0].name;
        fprintf(out, "    \"~:%s$\" lbsim_%s_%s;\n", component,
                routes->instances[routes->default_instance].id, component);
    }
    fprintf(out, "}\n");
}

/* Marks in used[instance * LB_COMPONENTS_MAX + component] what is routed. */
static bool *live_render_used(const lb_routes *routes)
{
    bool *used = calloc(routes->instance_count * LB_COMPONENTS_MAX + 1,
                        sizeof(*used));
    if (!used) {
        return NULL;
    }
    for (size_t r = 0; r < routes->route_count; r++) {
        used[routes->routes[r].instance * LB_COMPONENTS_MAX +
             routes->routes[r].component] = true;
    }
    if (routes->default_instance != LB_ROUTE_NO_DEFAULT) {
        used[routes->default_instance * LB_COMPONENTS_MAX] = true;
    }
    return used;
}

static void live_render_upstreams(FILE *out,
                                  const live_nginx_render_config *config,
                                  const lb_routes *routes, const bool *used)
{
    fprintf(out, "map $lbsim_route $lbsim_instance {\n    default \"\";\n");
    for (size_t i = 0; i < routes->instance_count; i++) {
        for (size_t c = 0; c < config->component_count; c++) {
            if (used[i * LB_COMPONENTS_MAX + c]) {
                fprintf(out, "    lbsim_%s_%s %s;\n", routes->instances[i].id,
                        config->components[c].name, routes->instances[i].id);
            }
        }
    }
    fprintf(out, "}\n");

    for (size_t i = 0; i < routes->instance_count; i++) {
        const char *address = routes->instances[i].address;
        uint16_t port = 0;
        live_address_valid(address, &port);
        int host_len = (int)(strrchr(address, ':') - address);
        for (size_t c = 0; c < config->component_count; c++) {
            if (!used[i * LB_COMPONENTS_MAX + c]) {
                continue;
            }
            /* max_fails=0: the one server is never marked down by nginx,
             * so lbd alone decides where requests go. */
            fprintf(out, "upstream lbsim_%s_%s {\n    server %.*s:%u "
                    "max_fails=0;\n}\n", routes->instances[i].id,
                    config->components[c].name, host_len, address,
                    port + config->components[c].port_offset);
        }
    }
}

static void live_render_state(FILE *out, const live_nginx_render_config *config,
                              const lb_routes *routes)
{
    fprintf(out, "# lbsim-state version %llu\n",
            (unsigned long long)routes->version);
    for (size_t i = 0; i < routes->instance_count; i++) {
        fprintf(out, "# lbsim-instance %s %s\n", routes->instances[i].id,
                routes->instances[i].address);
    }
    for (size_t r = 0; r < routes->route_count; r++) {
        const lb_route *route = &routes->routes[r];
        fprintf(out, "# lbsim-route %s %s %s\n", route->tenant,
                config->components[route->component].name,
                routes->instances[route->instance].id);
    }
    if (routes->default_instance != LB_ROUTE_NO_DEFAULT) {
        fprintf(out, "# lbsim-default %s\n",
                routes->instances[routes->default_instance].id);
    }
}

int live_nginx_render(const live_nginx_render_config *config,
                      const lb_routes *routes, char **text, char *err,
                      size_t err_len)
{
    int rc = live_nginx_routes_check(config, routes, err, err_len);
    if (rc != 0) {
        return rc;
    }
    bool *used = live_render_used(routes);
    size_t size = 0;
    FILE *out = used ? open_memstream(text, &size) : NULL;
    if (!out) {
        free(used);
        snprintf(err, err_len, "out of memory");
        return -ENOMEM;
    }

    fprintf(out, "# Written by lbd: routing table version %llu. lbd "
            "replaces this file on every change.\n",
            (unsigned long long)routes->version);
    fprintf(out, "log_format lbsim \"$msec\\t$lbsim_tenant\\t$lbsim_component"
            "\\t$lbsim_instance\\t$status\\t$request_time\\t"
            "$upstream_status\";\n");
    live_render_tenant_map(out, config);
    live_render_component_map(out, config);
    live_render_route_map(out, config, routes);
    live_render_upstreams(out, config, routes, used);
    if (config->status_listen) {
        fprintf(out, "server {\n    listen %s;\n    access_log off;\n"
                "    location = /lbsim/version {\n        default_type "
                "text/plain;\n        return 200 \"%llu\\n\";\n    }\n}\n",
                config->status_listen, (unsigned long long)routes->version);
    }
    live_render_state(out, config, routes);
    free(used);

    if (fclose(out) != 0) {
        free(*text);
        *text = NULL;
        snprintf(err, err_len, "out of memory");
        return -ENOMEM;
    }
    return 0;
}
