/* lbd-standin: a stand-in worker instance for real-mode tests.
 *
 * One process plays an instance's DFM and its components: the DFM API
 * (docs/dfm-api.md) on the instance address, and each component as an HTTP
 * backend on the address's port plus the component's offset. It reports
 * the CPU load a test sets for it to simulate (POST /v1/standin/load), and a
 * test can crash a component for a while (POST /v1/standin/crash). */
#ifndef LIVE_STANDIN_H
#define LIVE_STANDIN_H

#include <stdbool.h>
#include <stdint.h>

#include "api_server.h"
#include "loop.h"
#include "ports.h"

struct MHD_Daemon;

#define STANDIN_TENANTS_MAX 256

typedef struct standin_component {
    char name[16];
    const char *instance; /* the stand-in's id, for the reply bodies */
    unsigned port_offset;
    struct MHD_Daemon *daemon; /* NULL while the component is not running */
    bool stopping;             /* no longer accepting, finishing requests */
    uint64_t requests;         /* served since the start of the process */
} standin_component;

typedef struct standin {
    live_loop *loop;
    char id[LB_ID_LEN_MAX + 1];
    char lbd_url[256];
    char *token;
    uint16_t port; /* the DFM's port; components add their offset */
    live_api_server *api;

    standin_component components[LB_COMPONENTS_MAX];
    size_t component_count;
    char tenants[STANDIN_TENANTS_MAX][LB_ID_LEN_MAX + 1];
    size_t tenant_count;

    uint32_t cpu_permille;
    uint32_t overload_permille;
    uint32_t low_permille;
    int64_t window_us;
    int64_t report_us;
    int64_t above_since_us; /* -1 when the load is not above overload */
    int64_t below_since_us; /* -1 when the load is not below low */
    bool ready_sent;
} standin;

/* Starts component index listening; returns 0 or a negative errno value. */
int standin_component_start(standin *self, size_t index);

/* Stops accepting at once; the component ends when its requests finish
 * or at deadline_us, and done(self, index, killed) is called then. */
typedef void (*standin_stopped_cb)(standin *self, size_t index,
                                   uint64_t killed, uint64_t request_id);
void standin_component_stop(standin *self, size_t index, int64_t deadline_us,
                            uint64_t request_id, standin_stopped_cb done);

/* Closes the component's listener and connections at once. */
void standin_component_kill(standin *self, size_t index);

/* Sends a notification to lbd, retrying a few times on failure. */
void standin_notify(standin *self, const char *path, json_t *body);

#endif
