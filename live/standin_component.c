/* The stand-in's components: HTTP backends that reply to every request
 * with the instance, component and tenant that served it. */
#include "standin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "log.h"

/* Checks a component being stopped until its requests are done. */
#define STANDIN_STOP_POLL_US 10000

typedef struct standin_stop {
    standin *self;
    size_t index;
    int64_t deadline_us;
    uint64_t request_id;
    standin_stopped_cb done;
} standin_stop;

static enum MHD_Result standin_backend_cb(void *cls,
                                          struct MHD_Connection *connection,
                                          const char *url, const char *method,
                                          const char *version,
                                          const char *upload_data,
                                          size_t *upload_data_size,
                                          void **con_cls)
{
    standin_component *component = cls;
    char body[256];
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;

    if (!*con_cls) {
        *con_cls = component; /* first call: headers only */
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* bodies are read and dropped */
        return MHD_YES;
    }
    const char *tenant = MHD_lookup_connection_value(connection,
                                                     MHD_HEADER_KIND,
                                                     "X-Tenant");
    snprintf(body, sizeof(body), "instance=%s component=%s tenant=%.63s\n",
             component->instance, component->name, tenant ? tenant : "-");
    component->requests++;
    struct MHD_Response *response = MHD_create_response_from_buffer(
        strlen(body), body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result result = MHD_queue_response(connection, MHD_HTTP_OK,
                                                response);
    MHD_destroy_response(response);
    return result;
}

int standin_component_start(standin *self, size_t index)
{
    standin_component *component = &self->components[index];
    struct sockaddr_in addr = {.sin_family = AF_INET};

    if (component->daemon) {
        return 0;
    }
    component->instance = self->id;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)(self->port + component->port_offset));
    component->daemon = MHD_start_daemon(
        MHD_USE_EPOLL, 0, NULL, NULL, standin_backend_cb, component,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!component->daemon) {
        return -EADDRINUSE;
    }
    component->stopping = false;
    live_loop_mhd_add(self->loop, component->daemon);
    live_log(LB_LOG_INFO, "component_started", "instance=%s component=%s "
             "port=%u", self->id, component->name,
             self->port + component->port_offset);
    return 0;
}

void standin_component_kill(standin *self, size_t index)
{
    standin_component *component = &self->components[index];

    if (!component->daemon) {
        return;
    }
    live_loop_mhd_remove(self->loop, component->daemon);
    MHD_stop_daemon(component->daemon);
    component->daemon = NULL;
    component->stopping = false;
}

static unsigned standin_connections(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

static void standin_stop_poll(void *ctx)
{
    standin_stop *stop = ctx;
    standin_component *component = &stop->self->components[stop->index];
    uint64_t killed = 0;

    if (component->daemon && component->stopping) {
        unsigned open = standin_connections(component->daemon);
        int64_t now_us = live_loop_now_us(stop->self->loop);
        if (open > 0 && now_us < stop->deadline_us) {
            live_loop_timer_start(stop->self->loop,
                                  now_us + STANDIN_STOP_POLL_US,
                                  standin_stop_poll, stop);
            return;
        }
        killed = open;
        standin_component_kill(stop->self, stop->index);
    }
    live_log(LB_LOG_INFO, "component_stopped", "instance=%s component=%s "
             "killed=%llu", stop->self->id, component->name,
             (unsigned long long)killed);
    stop->done(stop->self, stop->index, killed, stop->request_id);
    free(stop);
}

void standin_component_stop(standin *self, size_t index, int64_t deadline_us,
                            uint64_t request_id, standin_stopped_cb done)
{
    standin_component *component = &self->components[index];
    standin_stop *stop = calloc(1, sizeof(*stop));

    if (!stop) {
        standin_component_kill(self, index);
        done(self, index, 0, request_id);
        return;
    }
    if (component->daemon && !component->stopping) {
        MHD_socket listen_fd = MHD_quiesce_daemon(component->daemon);
        if (listen_fd != MHD_INVALID_SOCKET) {
            close(listen_fd);
        }
        component->stopping = true;
    }
    *stop = (standin_stop){self, index, deadline_us, request_id, done};
    live_loop_timer_start(self->loop, live_loop_now_us(self->loop),
                          standin_stop_poll, stop);
}
