/* The provider port of lbd: creates, removes, restarts and lists
 * instances through either configured commands or an HTTP API.
 *
 * Commands: each is an argument list (no shell) whose words may contain
 * {request_id}, {type} and {instance}; lbd checks the values as ids before
 * substituting them. A command exits 0 and prints one JSON object on
 * stdout, or exits non-zero with the reason on stderr. It must not leave a
 * process holding its stdout open (start daemons with their output sent
 * elsewhere), since lbd reads until end of file.
 *
 * HTTP: POST <base>/v1/instances, DELETE <base>/v1/instances/<id>,
 * POST <base>/v1/instances/<id>/restart and GET <base>/v1/instances, with
 * the same JSON bodies as the commands print (docs/real-mode.md). */
#ifndef LIVE_PROVIDER_H
#define LIVE_PROVIDER_H

#include <stdint.h>

#include "controller.h"
#include "dfm.h"
#include "loop.h"
#include "registry.h"

typedef enum live_provider_kind {
    LIVE_PROVIDER_COMMAND,
    LIVE_PROVIDER_HTTP,
} live_provider_kind;

typedef struct live_provider_config {
    live_provider_kind kind;
    /* NULL-terminated argument templates, for LIVE_PROVIDER_COMMAND. */
    const char *const *create_argv;
    const char *const *remove_argv;
    const char *const *restart_argv;
    const char *const *list_argv;
    const char *base_url; /* for LIVE_PROVIDER_HTTP, without a final '/' */
    const char *token;    /* bearer token for LIVE_PROVIDER_HTTP, or NULL */
    int64_t timeout_us;
} live_provider_config;

typedef struct live_provider {
    live_loop *loop;
    const live_provider_config *config;
    live_registry *registry;
    live_dfm *dfm; /* to pass on a dfm_ready that came early */
    lb_controller *controller;
    int running; /* requests with no reply yet */
} live_provider;

/* Port functions; ctx is the live_provider. */
int live_provider_instance_create(void *ctx, lb_request_id id,
                                  const char *instance_type);
int live_provider_instance_remove(void *ctx, lb_request_id id,
                                  const char *instance);
int live_provider_instance_restart(void *ctx, lb_request_id id,
                                   const char *instance);
int live_provider_instance_list(void *ctx, lb_request_id id);

/* Lists the instances before the controller exists, running the loop until
 * the reply comes. On success *instances (free with
 * live_provider_list_free) and *count are set. Returns 0 or a negative
 * errno value with a message in err. */
int live_provider_list_now(live_provider *provider,
                           lb_instance_info **instances, size_t *count,
                           char *err, size_t err_len);
void live_provider_list_free(lb_instance_info *instances, size_t count);

/* Parses a list reply {"instances": [{"id": ..., "address": ...}]}.
 * Returns 0 or -EINVAL with a message in err. */
int live_provider_list_parse(const char *text, lb_instance_info **instances,
                             size_t *count, char *err, size_t err_len);

/* Replaces {request_id}, {type} and {instance} in each word of templ.
 * Returns a NULL-terminated list freed with live_argv_free, or NULL. */
char **live_argv_expand(const char *const *templ, lb_request_id id,
                        const char *type, const char *instance);
void live_argv_free(char **argv);

#endif
