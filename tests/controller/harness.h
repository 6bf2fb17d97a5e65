/* A controller under test: fake ports, a policy and helpers that feed it
 * replies and notifications. Components are dev (0) and dep (1). */
#ifndef HARNESS_H
#define HARNESS_H

#include "controller.h"
#include "fake_ports.h"

#define S(seconds) ((lb_time_t)(seconds) * 1000000)
#define DEV_DEP 0x3u

typedef struct harness {
    fake_world world;
    lb_ports ports;
    lb_policy policy;
    lb_controller *controller;
} harness;

/* Fills h with the fake ports and the default policy. */
void harness_init(harness *h);

/* Creates and starts the controller with these instances (each running dev
 * and dep), checks the first routing table and the provider listing, and
 * replies to both. */
void harness_start(harness *h, const lb_instance_init *instances,
                   size_t count, const char *first_routes);

void harness_destroy(harness *h);

/* Replies to a statistics request with t1 and t2 on i1 (100 requests each)
 * and t3 on i2 (i2_requests). */
void harness_stats_reply_two(harness *h, lb_request_id id,
                             uint64_t i2_requests);

/* Sends an overload or low-load report of instance with dev and dep CPU. */
void harness_overload(harness *h, const char *instance, uint32_t cpu_permille,
                      uint32_t dev_permille, uint32_t dep_permille);
void harness_low_load(harness *h, const char *instance, uint32_t cpu_permille);

/* Replies to a statistics request with rows "tenant/instance/component=requests"
 * given as parallel arrays. */
void harness_stats_reply(harness *h, lb_request_id id, size_t count,
                         const char *const *tenants,
                         const char *const *instances,
                         const uint32_t *components,
                         const uint64_t *requests);

#endif
