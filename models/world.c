/* world.h: the simulated topology with the real controller at its LB end. */
#include "world.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"
#include "world_internal.h"

static int policy_value(const lb_policy *policy, const char *name,
                        uint32_t *out)
{
    char text[64];

    for (size_t i = 0; i < lb_policy_param_count(); i++) {
        if (strcmp(lb_policy_param_name(i), name) != 0)
            continue;
        lb_policy_format(policy, i, text, sizeof(text));
        *out = (uint32_t)strtoul(text, NULL, 10);
        return 0;
    }
    return -ENOENT;
}

static void set_bounds(world *w)
{
    model_sim *sim = w->sim;

    sim->bounds_known =
        policy_value(&w->policy, "instances_min", &sim->instances_min) == 0 &&
        policy_value(&w->policy, "instances_max", &sim->instances_max) == 0;
}

/* Builds the controller's view of the initial topology and the controller. */
static int make_controller(world *w, const world_config *config, char *err,
                           size_t err_len)
{
    const char *names[LB_COMPONENTS_MAX];
    lb_instance_init *inits = calloc(config->instance_count + 1,
                                     sizeof(*inits));

    if (inits == NULL) {
        snprintf(err, err_len, "out of memory building the world");
        return -ENOMEM;
    }
    for (size_t c = 0; c < w->sim->component_count; c++)
        names[c] = w->sim->components[c].name;
    for (size_t i = 0; i < config->instance_count; i++) {
        const world_instance_config *ic = &config->instances[i];

        inits[i] = (lb_instance_init){
            .id = ic->id,
            .address = ic->id,
            .components = ic->components,
            .tenant_count = ic->tenant_count,
            .tenants = ic->tenants,
        };
    }

    lb_config lb = {
        .policy = &w->policy,
        .component_count = w->sim->component_count,
        .component_names = names,
        .instance_count = config->instance_count,
        .instances = inits,
    };

    model_ports_fill(w->sim, &w->ports);
    w->controller = lb_controller_create(&lb, &w->ports);
    free(inits);
    if (w->controller == NULL) {
        snprintf(err, err_len, "the controller rejected the configuration "
                 "(its log names the reason)");
        return -EINVAL;
    }
    return 0;
}

world *world_create(const world_config *config, const world_observer *observer,
                    char *err, size_t err_len)
{
    world *w = calloc(1, sizeof(*w));

    if (w == NULL) {
        snprintf(err, err_len, "out of memory building the world");
        return NULL;
    }

    model_lb_sink sink = {.ctx = w, .deliver = world_deliver,
                          .timer = world_timer};

    w->sim = model_sim_create(config, observer, &sink, err, err_len);
    if (w->sim == NULL) {
        free(w);
        return NULL;
    }
    if (config->policy != NULL)
        w->policy = *config->policy;
    else
        lb_policy_defaults(&w->policy);
    set_bounds(w);
    if (make_controller(w, config, err, err_len) != 0) {
        world_destroy(w);
        return NULL;
    }
    return w;
}

int world_run(world *w, char *err, size_t err_len)
{
    model_sim *sim = w->sim;

    if (w->ran) {
        snprintf(err, err_len, "world_run: this world has run already");
        return -EINVAL;
    }
    w->ran = true;

    int rc = model_sim_start(sim);

    if (rc == 0) {
        lb_controller_start(w->controller);
        sim_engine_run_until(sim->engine, sim->duration_us);
        /* Completions due by the end count in the totals. */
        model_instances_sync(sim);
        rc = sim->trace_error;
    } else if (rc == -ENOMEM) {
        snprintf(err, err_len, "out of memory starting the world");
    }
    if (sim->trace_error != 0)
        snprintf(err, err_len, "%s", sim->trace_err);
    return rc;
}

size_t world_tenant_count(const world *w)
{
    return w->sim->tenant_count;
}

void world_tenant_totals_at(const world *w, size_t index,
                            world_tenant_totals *out)
{
    MODEL_ASSERT(index < w->sim->tenant_count);

    /* Not const: reading the latency histogram moves its pending counts
     * into its bins. */
    model_tenant *t = &w->sim->tenants[index];
    uint64_t failed = 0;

    for (size_t r = 1; r < MODEL_FAIL_COUNT; r++)
        failed += t->failed[r];
    *out = (world_tenant_totals){
        .tenant = t->id,
        .requests = t->requests,
        .failed = failed,
        .failed_queue_full = t->failed[MODEL_FAIL_QUEUE_FULL],
        .failed_process_down = t->failed[MODEL_FAIL_PROCESS_DOWN] +
                               t->failed[MODEL_FAIL_PROCESS_STOPPED],
        .failed_process_dead = t->failed[MODEL_FAIL_PROCESS_DOWN],
        .failed_process_stopped = t->failed[MODEL_FAIL_PROCESS_STOPPED],
        .failed_no_route = t->failed[MODEL_FAIL_NO_ROUTE],
        .failed_timeout = t->failed[MODEL_FAIL_TIMEOUT],
        .failed_killed = t->failed[MODEL_FAIL_KILLED],
        .latency_mean_us = t->completed > 0
                               ? t->latency_us_sum / (double)t->completed
                               : 0.0,
        .latency_p99_us = t->latency.hist != NULL
                              ? model_latency_quantile(&t->latency, 0.99)
                              : 0.0,
    };
}

uint64_t world_events_run(const world *w)
{
    return sim_engine_events_run(w->sim->engine);
}

void world_destroy(world *w)
{
    if (w == NULL)
        return;
    if (w->controller != NULL)
        lb_controller_destroy(w->controller);
    model_sim_destroy(w->sim);
    free(w);
}
