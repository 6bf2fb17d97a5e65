/* Reading lbd's config file into its settings; see lbd_config.h. */
#include "lbd_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include "api_server.h"
#include "id.h"

#define LBD_TOKEN_LEN_MIN 16
#define LBD_TOKEN_LEN_MAX 4096

static const char *const lbd_sections[] = {
    "lbd", "components", "nginx", "provider", "instances", "policy", NULL,
};

/* Splits text on spaces into a NULL-terminated list; no quoting. */
static char **lbd_split_words(const char *text)
{
    size_t count = 0;
    char **words = calloc(strlen(text) / 2 + 2, sizeof(*words));
    const char *p = text;

    while (words && *p) {
        while (isspace((unsigned char)*p)) {
            p++;
        }
        size_t len = 0;
        while (p[len] && !isspace((unsigned char)p[len])) {
            len++;
        }
        if (len && !(words[count++] = strndup(p, len))) {
            live_argv_free(words);
            return NULL;
        }
        p += len;
    }
    return words;
}

/* Reads a value; a missing required one names section and key. */
static const char *lbd_get(lbd_config *config, const char *section,
                           const char *key, const char *fallback,
                           char *err, size_t err_len)
{
    live_ini_entry *entry = live_ini_get(&config->ini, section, key);
    if (entry) {
        return entry->value;
    }
    if (!fallback) {
        snprintf(err, err_len, "%s: [%s] %s: missing (required)",
                 config->ini.path, section, key);
    }
    return fallback;
}

/* Reads a number in [min, max]; returns 0 or -EINVAL. */
static int lbd_get_number(lbd_config *config, const char *section,
                          const char *key, long fallback, long min, long max,
                          long *value, char *err, size_t err_len)
{
    live_ini_entry *entry = live_ini_get(&config->ini, section, key);
    char message[96];
    char *end = NULL;

    if (!entry) {
        *value = fallback;
        return 0;
    }
    errno = 0;
    long number = strtol(entry->value, &end, 10);
    if (errno || end == entry->value || *end || number < min || number > max) {
        snprintf(message, sizeof(message), "expected an integer in %ld..%ld",
                 min, max);
        live_ini_error(&config->ini, entry, message, err, err_len);
        return -EINVAL;
    }
    *value = number;
    return 0;
}

/* Warns when anyone may read the token file, since the token is the only
 * credential of the API. */
static void lbd_token_mode_check(const char *path, FILE *file)
{
    struct stat info;
    char quoted[300];

    if (fstat(fileno(file), &info) == 0 && (info.st_mode & S_IROTH)) {
        live_log(LB_LOG_WARN, "token_file_readable_by_all", "file=%s "
                 "hint=\"chmod o-r the file\"",
                 live_log_quote(quoted, sizeof(quoted), path));
    }
}

/* Reads the first line of a token file: LBD_TOKEN_LEN_MIN to
 * LBD_TOKEN_LEN_MAX printable characters without spaces. */
static int lbd_read_token(lbd_config *config, const char *section,
                          char **token, char *err, size_t err_len)
{
    live_ini_entry *entry = live_ini_get(&config->ini, section, "token_file");
    char buf[LBD_TOKEN_LEN_MAX + 2] = "";
    char message[160];

    if (!entry) {
        snprintf(err, err_len, "%s: [%s] token_file: missing (required)",
                 config->ini.path, section);
        return -EINVAL;
    }
    FILE *file = fopen(entry->value, "r");
    if (!file) {
        int rc = -errno;
        snprintf(message, sizeof(message), "cannot open the token file: %s",
                 strerror(-rc));
        live_ini_error(&config->ini, entry, message, err, err_len);
        return rc;
    }
    lbd_token_mode_check(entry->value, file);
    if (!fgets(buf, sizeof(buf), file)) {
        buf[0] = '\0';
    }
    fclose(file);
    buf[strcspn(buf, "\r\n")] = '\0';
    size_t len = strlen(buf);
    bool printable = true;
    for (size_t i = 0; i < len; i++) {
        printable = printable && isgraph((unsigned char)buf[i]);
    }
    if (len > LBD_TOKEN_LEN_MAX) {
        snprintf(message, sizeof(message), "the token is longer than %d "
                 "characters", LBD_TOKEN_LEN_MAX);
    } else if (len < LBD_TOKEN_LEN_MIN || !printable) {
        snprintf(message, sizeof(message), "the token must be at least %d "
                 "printable characters without spaces", LBD_TOKEN_LEN_MIN);
    } else {
        message[0] = '\0';
    }
    if (message[0]) {
        memset(buf, 0, sizeof(buf));
        live_ini_error(&config->ini, entry, message, err, err_len);
        return -EINVAL;
    }
    *token = strdup(buf);
    memset(buf, 0, sizeof(buf));
    return *token ? 0 : -ENOMEM;
}

static bool lbd_address_loopback(const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)addr;
        return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

/* [lbd] listen: a numeric address; one that is not loopback needs
 * listen_non_loopback = yes, so exposing the API is never an accident. */
static int lbd_load_listen(lbd_config *config, char *err, size_t err_len)
{
    live_ini_entry *entry = live_ini_get(&config->ini, "lbd", "listen");
    live_ini_entry *opt_in = live_ini_get(&config->ini, "lbd",
                                          "listen_non_loopback");
    struct sockaddr_storage addr;
    size_t addr_len = 0;

    config->listen = entry ? entry->value : "127.0.0.1:8700";
    if (opt_in && strcmp(opt_in->value, "yes") != 0 &&
        strcmp(opt_in->value, "no") != 0) {
        live_ini_error(&config->ini, opt_in, "expected yes or no", err,
                       err_len);
        return -EINVAL;
    }
    if (live_api_address_parse(config->listen, &addr, &addr_len) != 0) {
        live_ini_error(&config->ini, entry, "expected a numeric IP:PORT such "
                       "as 127.0.0.1:8700 or [::1]:8700", err, err_len);
        return -EINVAL;
    }
    bool allowed = opt_in && strcmp(opt_in->value, "yes") == 0;
    if (!lbd_address_loopback(&addr) && !allowed) {
        live_ini_error(&config->ini, entry, "not a loopback address; to "
                       "serve the API beyond this host, also set "
                       "listen_non_loopback = yes in [lbd]", err, err_len);
        return -EINVAL;
    }
    return 0;
}

static int lbd_load_main(lbd_config *config, char *err, size_t err_len)
{
    long timeout_ms = 0;

    if (lbd_load_listen(config, err, err_len) != 0) {
        return -EINVAL;
    }
    const char *level = lbd_get(config, "lbd", "log_level", "info", err,
                                err_len);
    if (live_log_level_parse(level, &config->log_level) != 0) {
        live_ini_error(&config->ini, live_ini_get(&config->ini, "lbd",
                                                  "log_level"),
                       "expected debug, info, warn or error", err, err_len);
        return -EINVAL;
    }
    int rc = lbd_get_number(config, "lbd", "dfm_timeout_ms", 5000, 1, 600000,
                            &timeout_ms, err, err_len);
    config->dfm_timeout_ms = timeout_ms;
    if (rc == 0) {
        rc = lbd_read_token(config, "lbd", &config->token, err, err_len);
    }
    return rc;
}

/* [components]: "name = path_prefix port_offset", in index order. */
static int lbd_load_components(lbd_config *config, char *err, size_t err_len)
{
    for (size_t i = 0; i < config->ini.count; i++) {
        live_ini_entry *entry = &config->ini.entries[i];
        char path[128];
        unsigned offset = 0;
        char extra = 0;

        if (strcmp(entry->section, "components") != 0) {
            continue;
        }
        entry->used = true;
        if (config->component_count == LB_COMPONENTS_MAX) {
            live_ini_error(&config->ini, entry, "too many components (at most "
                           "8)", err, err_len);
            return -EINVAL;
        }
        live_component *component =
            &config->components[config->component_count];
        if (!live_component_name_valid(entry->key) ||
            sscanf(entry->value, "%127s %u %c", path, &offset, &extra) != 2 ||
            !live_path_prefix_valid(path) || offset == 0 || offset > 1000) {
            live_ini_error(&config->ini, entry, "expected a name of [a-z0-9] "
                           "and \"/path/prefix PORT_OFFSET\" with an offset in "
                           "1..1000", err, err_len);
            return -EINVAL;
        }
        for (size_t c = 0; c < config->component_count; c++) {
            if (strcmp(config->components[c].path_prefix, path) == 0) {
                char message[300];
                snprintf(message, sizeof(message), "path prefix %s is "
                         "already used by component %s", path,
                         config->components[c].name);
                live_ini_error(&config->ini, entry, message, err, err_len);
                return -EINVAL;
            }
        }
        snprintf(component->name, sizeof(component->name), "%s", entry->key);
        snprintf(component->path_prefix, sizeof(component->path_prefix), "%s",
                 path);
        component->port_offset = offset;
        config->component_names[config->component_count++] = component->name;
    }
    if (config->component_count == 0) {
        snprintf(err, err_len, "%s: [components]: at least one component is "
                 "required", config->ini.path);
        return -EINVAL;
    }
    return 0;
}

/* Builds "binary [-p prefix] [-e error_log] -c conf [-g globals] extra...". */
static char **lbd_nginx_argv(lbd_config *config, const char *extra)
{
    const char *binary = lbd_get(config, "nginx", "binary", "nginx", NULL, 0);
    const char *prefix = lbd_get(config, "nginx", "prefix", "", NULL, 0);
    const char *error_log = lbd_get(config, "nginx", "error_log", "", NULL, 0);
    const char *conf = lbd_get(config, "nginx", "conf", "/etc/nginx/nginx.conf",
                               NULL, 0);
    const char *globals = lbd_get(config, "nginx", "globals", "", NULL, 0);
    size_t count = 0;
    char **argv = calloc(16, sizeof(*argv));

    if (!argv) {
        return NULL;
    }
    argv[count++] = strdup(binary);
    if (prefix[0]) {
        argv[count++] = strdup("-p");
        argv[count++] = strdup(prefix);
    }
    if (error_log[0]) {
        argv[count++] = strdup("-e");
        argv[count++] = strdup(error_log);
    }
    argv[count++] = strdup("-c");
    argv[count++] = strdup(conf);
    if (globals[0]) {
        argv[count++] = strdup("-g");
        argv[count++] = strdup(globals); /* one word, spaces and all */
    }
    char **words = lbd_split_words(extra);
    for (size_t i = 0; words && words[i] && count < 15; i++) {
        argv[count++] = words[i];
    }
    free(words);
    for (size_t i = 0; i < count; i++) {
        if (!argv[i]) {
            live_argv_free(argv);
            return NULL;
        }
    }
    return argv;
}

static int lbd_load_nginx_limits(lbd_config *config, char *err, size_t err_len)
{
    long command_ms = 0, confirm_ms = 0, poll_ms = 0, errors = 0,
         window_ms = 0;

    if (lbd_get_number(config, "nginx", "command_timeout_ms", 10000, 100,
                       600000, &command_ms, err, err_len) != 0 ||
        lbd_get_number(config, "nginx", "confirm_timeout_ms", 10000, 100,
                       600000, &confirm_ms, err, err_len) != 0 ||
        lbd_get_number(config, "nginx", "log_poll_ms", 200, 10, 60000,
                       &poll_ms, err, err_len) != 0 ||
        lbd_get_number(config, "nginx", "dropping_errors", 5, 1, 1000000,
                       &errors, err, err_len) != 0 ||
        lbd_get_number(config, "nginx", "dropping_window_ms", 5000, 100,
                       3600000, &window_ms, err, err_len) != 0) {
        return -EINVAL;
    }
    config->nginx.command_timeout_us = command_ms * 1000;
    config->nginx.confirm_timeout_us = confirm_ms * 1000;
    config->nginx.log_poll_us = poll_ms * 1000;
    config->nginx.dropping_errors = (uint64_t)errors;
    config->nginx.dropping_window_us = window_ms * 1000;
    return 0;
}

/* Where nginx finds the tenant: tenant_from and tenant_header. */
static int lbd_load_tenant_source(lbd_config *config, char *err,
                                  size_t err_len)
{
    live_nginx_render_config *render = &config->nginx.render;
    live_ini_entry *entry = live_ini_get(&config->ini, "nginx", "tenant_from");
    const char *from = entry ? entry->value : "header";

    render->tenant_header = lbd_get(config, "nginx", "tenant_header", NULL,
                                    NULL, 0);
    if (strcmp(from, "host") == 0) {
        render->tenant_header = NULL;
    } else if (strcmp(from, "header") != 0) {
        live_ini_error(&config->ini, entry, "expected header or host", err,
                       err_len);
        return -EINVAL;
    } else if (!render->tenant_header) {
        render->tenant_header = "X-Tenant";
    }
    entry = live_ini_get(&config->ini, "nginx", "tenant_header");
    if (entry && live_nginx_header_check(entry->value) != 0) {
        live_ini_error(&config->ini, entry, "expected 1-63 of [A-Za-z0-9-]",
                       err, err_len);
        return -EINVAL;
    }
    return 0;
}

static int lbd_load_nginx(lbd_config *config, char *err, size_t err_len)
{
    live_nginx_config *nginx = &config->nginx;
    live_ini_entry *entry;

    nginx->render.components = config->components;
    nginx->render.component_count = config->component_count;
    nginx->routes_file = lbd_get(config, "nginx", "routes_file", NULL, err,
                                 err_len);
    nginx->access_log = lbd_get(config, "nginx", "access_log", NULL, err,
                                err_len);
    if (!nginx->routes_file || !nginx->access_log) {
        return -EINVAL;
    }
    nginx->pid_file = lbd_get(config, "nginx", "pid_file", NULL, NULL, 0);
    if (lbd_load_tenant_source(config, err, err_len) != 0) {
        return -EINVAL;
    }
    entry = live_ini_get(&config->ini, "nginx", "status_listen");
    if (entry && !live_address_valid(entry->value, NULL)) {
        live_ini_error(&config->ini, entry, "expected host:port", err,
                       err_len);
        return -EINVAL;
    }
    nginx->render.status_listen = entry ? entry->value : NULL;

    const char *test_cmd = lbd_get(config, "nginx", "test_command", NULL, NULL,
                                   0);
    const char *reload_cmd = lbd_get(config, "nginx", "reload_command", NULL,
                                     NULL, 0);
    config->nginx_test_argv = test_cmd ? lbd_split_words(test_cmd) :
                                         lbd_nginx_argv(config, "-t -q");
    config->nginx_reload_argv = reload_cmd ? lbd_split_words(reload_cmd) :
                                             lbd_nginx_argv(config,
                                                            "-s reload");
    if (!config->nginx_test_argv || !config->nginx_test_argv[0] ||
        !config->nginx_reload_argv || !config->nginx_reload_argv[0]) {
        snprintf(err, err_len, "%s: [nginx]: empty test or reload command",
                 config->ini.path);
        return -EINVAL;
    }
    nginx->test_argv = (const char *const *)config->nginx_test_argv;
    nginx->reload_argv = (const char *const *)config->nginx_reload_argv;
    return lbd_load_nginx_limits(config, err, err_len);
}

/* Every {name} in a provider command must be one lbd fills in, so that a
 * typing mistake fails here and not on the first scale-out. */
static int lbd_placeholders_check(lbd_config *config,
                                  const live_ini_entry *entry, char *err,
                                  size_t err_len)
{
    static const char *const known[] = {"{request_id}", "{type}",
                                        "{instance}"};
    char message[160];

    for (const char *p = strchr(entry->value, '{'); p; p = strchr(p, '{')) {
        size_t len = strcspn(p, "} ");
        bool found = false;
        for (size_t k = 0; k < 3 && p[len] == '}'; k++) {
            found = found || (strlen(known[k]) == len + 1 &&
                              strncmp(p, known[k], len + 1) == 0);
        }
        if (!found) {
            snprintf(message, sizeof(message), "unknown placeholder %.*s "
                     "(expected {request_id}, {type} or {instance})",
                     (int)(len > 40 ? 40 : len + (p[len] == '}')), p);
            live_ini_error(&config->ini, entry, message, err, err_len);
            return -EINVAL;
        }
        p += len + 1;
    }
    return 0;
}

static int lbd_load_provider(lbd_config *config, char *err, size_t err_len)
{
    static const char *const keys[4] = {"create", "remove", "restart", "list"};
    live_provider_config *provider = &config->provider;
    long timeout_ms = 0;
    const char *kind = lbd_get(config, "provider", "kind", "command", NULL, 0);

    if (lbd_get_number(config, "provider", "timeout_ms", 120000, 100, 3600000,
                       &timeout_ms, err, err_len) != 0) {
        return -EINVAL;
    }
    provider->timeout_us = timeout_ms * 1000;
    if (strcmp(kind, "http") == 0) {
        provider->kind = LIVE_PROVIDER_HTTP;
        provider->base_url = lbd_get(config, "provider", "url", NULL, err,
                                     err_len);
        if (!provider->base_url) {
            return -EINVAL;
        }
        if (strncasecmp(provider->base_url, "http://", 7) != 0 &&
            strncasecmp(provider->base_url, "https://", 8) != 0) {
            live_ini_error(&config->ini, live_ini_get(&config->ini, "provider",
                                                      "url"),
                           "expected an http:// or https:// URL", err,
                           err_len);
            return -EINVAL;
        }
        if (live_ini_get(&config->ini, "provider", "token_file")) {
            int rc = lbd_read_token(config, "provider",
                                    &config->provider_token, err, err_len);
            if (rc != 0) {
                return rc;
            }
        }
        provider->token = config->provider_token;
        return 0;
    }
    if (strcmp(kind, "command") != 0) {
        live_ini_error(&config->ini, live_ini_get(&config->ini, "provider",
                                                  "kind"),
                       "expected command or http", err, err_len);
        return -EINVAL;
    }
    provider->kind = LIVE_PROVIDER_COMMAND;
    for (size_t i = 0; i < 4; i++) {
        const char *command = lbd_get(config, "provider", keys[i], NULL, err,
                                      err_len);
        if (!command) {
            return -EINVAL;
        }
        live_ini_entry *entry = live_ini_get(&config->ini, "provider",
                                             keys[i]);
        config->provider_argv[i] = lbd_split_words(command);
        if (!config->provider_argv[i] || !config->provider_argv[i][0]) {
            live_ini_error(&config->ini, entry, "empty command", err, err_len);
            return -EINVAL;
        }
        if (lbd_placeholders_check(config, entry, err, err_len) != 0) {
            return -EINVAL;
        }
    }
    provider->create_argv = (const char *const *)config->provider_argv[0];
    provider->remove_argv = (const char *const *)config->provider_argv[1];
    provider->restart_argv = (const char *const *)config->provider_argv[2];
    provider->list_argv = (const char *const *)config->provider_argv[3];
    return 0;
}

static int lbd_component_mask_parse(const lbd_config *config, char *names,
                                    lb_component_mask *mask)
{
    *mask = 0;
    for (char *name = strtok(names, ","); name; name = strtok(NULL, ",")) {
        size_t c = 0;
        while (c < config->component_count &&
               strcmp(config->components[c].name, name) != 0) {
            c++;
        }
        if (c == config->component_count) {
            return -EINVAL;
        }
        *mask |= 1u << c;
    }
    return *mask ? 0 : -EINVAL;
}

static int lbd_tenants_parse(lbd_instance *instance, char *list)
{
    if (strcmp(list, "-") == 0) {
        return 0;
    }
    instance->tenants = calloc(strlen(list) / 2 + 2, sizeof(char *));
    if (!instance->tenants) {
        return -ENOMEM;
    }
    for (char *tenant = strtok(list, ","); tenant; tenant = strtok(NULL, ",")) {
        if (!live_id_valid(tenant)) {
            return -EINVAL;
        }
        instance->tenants[instance->tenant_count] = strdup(tenant);
        if (!instance->tenants[instance->tenant_count++]) {
            return -ENOMEM;
        }
    }
    return 0;
}

/* Checks one [instances] entry against the components and the entries
 * before it: each component's port (the address's port plus its offset)
 * must exist, and a tenant may be on one instance only. */
static int lbd_instance_check(lbd_config *config, const live_ini_entry *entry,
                              const lbd_instance *instance, char *err,
                              size_t err_len)
{
    char message[200];
    uint16_t port = 0;

    live_address_valid(instance->address, &port);
    for (size_t c = 0; c < config->component_count; c++) {
        unsigned offset = config->components[c].port_offset;
        if ((instance->components & (1u << c)) && port + offset > 65535) {
            snprintf(message, sizeof(message), "port %u plus the offset %u "
                     "of component %s is above 65535", port, offset,
                     config->components[c].name);
            live_ini_error(&config->ini, entry, message, err, err_len);
            return -EINVAL;
        }
    }
    for (size_t t = 0; t < instance->tenant_count; t++) {
        for (size_t i = 0; i + 1 < config->instance_count; i++) {
            const lbd_instance *other = &config->instances[i];
            for (size_t o = 0; o < other->tenant_count; o++) {
                if (strcmp(other->tenants[o], instance->tenants[t]) == 0) {
                    snprintf(message, sizeof(message), "tenant %s is already "
                             "on instance %s", instance->tenants[t],
                             other->id);
                    live_ini_error(&config->ini, entry, message, err,
                                   err_len);
                    return -EINVAL;
                }
            }
        }
    }
    return 0;
}

/* [instances]: "id = host:port components tenants", for example
 * "i1 = 10.0.0.5:8080 dev,dep t1,t2"; "-" for no tenants. */
static int lbd_load_instances(lbd_config *config, char *err, size_t err_len)
{
    for (size_t i = 0; i < config->ini.count; i++) {
        live_ini_entry *entry = &config->ini.entries[i];
        char address[LIVE_ADDRESS_LEN_MAX + 1], components[128], tenants[2048];
        char extra = 0;

        if (strcmp(entry->section, "instances") != 0) {
            continue;
        }
        entry->used = true;
        lbd_instance *grown = realloc(config->instances,
                                      (config->instance_count + 1) *
                                      sizeof(*grown));
        if (!grown) {
            return -ENOMEM;
        }
        config->instances = grown;
        lbd_instance *instance = &config->instances[config->instance_count++];
        memset(instance, 0, sizeof(*instance));
        int fields = sscanf(entry->value, "%263s %127s %2047s %c", address,
                            components, tenants, &extra);
        if (!live_id_valid(entry->key) || fields != 3 ||
            !live_address_valid(address, NULL) ||
            lbd_component_mask_parse(config, components,
                                     &instance->components) != 0 ||
            lbd_tenants_parse(instance, tenants) != 0) {
            live_ini_error(&config->ini, entry, "expected \"HOST:PORT "
                           "COMPONENT,... TENANT,...\" (\"-\" for no "
                           "tenants) with valid ids", err, err_len);
            return -EINVAL;
        }
        snprintf(instance->id, sizeof(instance->id), "%s", entry->key);
        snprintf(instance->address, sizeof(instance->address), "%s", address);
        if (lbd_instance_check(config, entry, instance, err, err_len) != 0) {
            return -EINVAL;
        }
    }
    return 0;
}

static int lbd_load_policy(lbd_config *config, char *err, size_t err_len)
{
    char message[256];

    lb_policy_defaults(&config->policy);
    for (size_t i = 0; i < config->ini.count; i++) {
        live_ini_entry *entry = &config->ini.entries[i];
        if (strcmp(entry->section, "policy") != 0) {
            continue;
        }
        entry->used = true;
        message[0] = '\0';
        if (lb_policy_set(&config->policy, entry->key, entry->value, message,
                          sizeof(message)) != 0) {
            live_ini_error(&config->ini, entry, message[0] ? message :
                           "unknown parameter or invalid value", err, err_len);
            return -EINVAL;
        }
    }
    if (lb_policy_validate(&config->policy, message, sizeof(message)) != 0) {
        snprintf(err, err_len, "%s: [policy]: %s", config->ini.path, message);
        return -EINVAL;
    }
    if (!live_instance_type_valid(config->policy.instance_type)) {
        snprintf(message, sizeof(message), "expected 1-%d of "
                 "[A-Za-z0-9._:/-] starting with a letter or digit",
                 LIVE_TYPE_LEN_MAX);
        live_ini_entry *entry = live_ini_get(&config->ini, "policy",
                                             "instance_type");
        if (entry) {
            live_ini_error(&config->ini, entry, message, err, err_len);
        } else {
            snprintf(err, err_len, "%s: [policy] instance_type: %s",
                     config->ini.path, message);
        }
        return -EINVAL;
    }
    return 0;
}

int lbd_config_load(lbd_config *config, const char *path, char *err,
                    size_t err_len)
{
    memset(config, 0, sizeof(*config));
    int rc = live_ini_load(&config->ini, path, lbd_sections, err, err_len);
    if (rc == 0) {
        rc = lbd_load_main(config, err, err_len);
    }
    if (rc == 0) {
        rc = lbd_load_components(config, err, err_len);
    }
    if (rc == 0) {
        rc = lbd_load_nginx(config, err, err_len);
    }
    if (rc == 0) {
        rc = lbd_load_provider(config, err, err_len);
    }
    if (rc == 0) {
        rc = lbd_load_instances(config, err, err_len);
    }
    if (rc == 0) {
        rc = lbd_load_policy(config, err, err_len);
    }
    const live_ini_entry *unused = live_ini_unused(&config->ini);
    if (rc == 0 && unused) {
        live_ini_error(&config->ini, unused, "unknown key", err, err_len);
        rc = -EINVAL;
    }
    return rc;
}

void lbd_config_free(lbd_config *config)
{
    if (config->token) {
        memset(config->token, 0, strlen(config->token));
    }
    free(config->token);
    free(config->provider_token);
    live_argv_free(config->nginx_test_argv);
    live_argv_free(config->nginx_reload_argv);
    for (size_t i = 0; i < 4; i++) {
        live_argv_free(config->provider_argv[i]);
    }
    for (size_t i = 0; i < config->instance_count; i++) {
        live_argv_free(config->instances[i].tenants);
    }
    free(config->instances);
    live_ini_free(&config->ini);
    memset(config, 0, sizeof(*config));
}
