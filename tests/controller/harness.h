/* A controller under test: fake ports, a policy and helpers that feed it
 * replies and notifications. Components are dev (0) and dep (1). */
#ifndef HARNESS_H
#define HARNESS_H

#include "controller.h"
#include "fake_ports.h"

#define S(seconds) ((lb_time_t)(seconds) * 1000000)
#define DEV_DEP 0x3u

/* The first routing tables of the two usual topologies: one instance i1
 * with t1 to t4, and i1 with t1 and t2 beside i2 with t3. */
#define ROUTES_I1_T1_T4                                                    \
    "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1,"           \
    "t3/dev=i1,t3/dep=i1,t4/dev=i1,t4/dep=i1"
#define ROUTES_T1_T2_ON_I1_T3_ON_I2                                        \
    "default=i1 routes=t1/dev=i1,t1/dep=i1,t2/dev=i1,t2/dep=i1,"           \
    "t3/dev=i2,t3/dep=i2"
#define START_T1_ON_I2 "instance=i2 components=dev,dep tenants=t1"

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

/* Starts the controller on i1 with t1 to t4. */
void harness_start_one_instance(harness *h);

/* Starts the controller on i1 with t1 and t2, and i2 with t3. */
void harness_start_two_instances(harness *h);

void harness_destroy(harness *h);

/* Replies to a statistics request with t1 and t2 on i1 (100 requests each)
 * and t3 on i2 (i2_requests). */
void harness_stats_reply_two(harness *h, lb_request_id id,
                             uint64_t i2_requests);

/* Sends an overload or low-load report of instance with dev and dep CPU. */
void harness_overload(harness *h, const char *instance, uint32_t cpu_permille,
                      uint32_t dev_permille, uint32_t dep_permille);
void harness_low_load(harness *h, const char *instance, uint32_t cpu_permille);

/* Replies to a statistics request with t1 carrying most of i1's dev load
 * (500 of 1,000 requests) and t1 and t2 the dep load. */
void harness_stats_reply_t1_heavy(harness *h, lb_request_id id);

/* Replies to a statistics request with rows "tenant/instance/component=requests"
 * given as parallel arrays. */
void harness_stats_reply(harness *h, lb_request_id id, size_t count,
                         const char *const *tenants,
                         const char *const *instances,
                         const uint32_t *components,
                         const uint64_t *requests);

#endif
