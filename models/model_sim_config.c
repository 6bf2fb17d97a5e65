/* Building a model_sim from a world_config: checks every field and copies
 * what the run keeps, so the caller may free the config afterwards. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_assert.h"
#include "model_sim.h"
#include "rng.h"

/* Used when the config leaves these at 0. */
#define SAMPLE_INTERVAL_DEFAULT_US SIM_S(1)
#define GRACE_MARGIN_US SIM_S(10)

/* The shortest DFM sample interval, a chosen floor. Each sample is one
 * event per instance, and a CPU share measured over a few microseconds of
 * integer time is too coarse to compare with a threshold in permille. */
#define DFM_SAMPLE_INTERVAL_MIN_US SIM_MS(1)

static int copy_text(char **out, const char *text)
{
    *out = NULL;
    if (text == NULL)
        return 0;
    *out = strdup(text);
    return *out == NULL ? -ENOMEM : 0;
}

static int check_id(const char *id, const char *what, size_t index,
                    char *err, size_t err_len)
{
    if (id == NULL || id[0] == '\0' || strlen(id) > LB_ID_LEN_MAX ||
        strpbrk(id, " ,=/:") != NULL) {
        snprintf(err, err_len,
                 "%s[%zu]: id \"%s\" must have 1 to %d characters and no "
                 "space, comma, '=', '/' or ':'",
                 what, index, id == NULL ? "" : id, LB_ID_LEN_MAX);
        return -EINVAL;
    }
    return 0;
}

static int set_components(model_sim *sim, const world_config *config,
                          char *err, size_t err_len)
{
    if (config->component_count == 0 ||
        config->component_count > LB_COMPONENTS_MAX) {
        snprintf(err, err_len, "components: need 1 to %d, got %zu",
                 LB_COMPONENTS_MAX, config->component_count);
        return -EINVAL;
    }

    for (size_t c = 0; c < config->component_count; c++) {
        const world_component_config *cc = &config->components[c];
        model_component *mc = &sim->components[c];
        char what[64];
        int rc = check_id(cc->name, "components", c, err, err_len);

        if (rc != 0)
            return rc;
        if (cc->workers == 0) {
            snprintf(err, err_len, "components[%zu] (%s): workers must be "
                     ">= 1", c, cc->name);
            return -EINVAL;
        }
        if (copy_text(&mc->name, cc->name) != 0)
            return -ENOMEM;
        sim->component_count = c + 1;
        mc->workers = cc->workers;
        mc->queue_capacity = cc->queue_capacity;
        snprintf(what, sizeof(what), "components[%zu].service", c);
        rc = model_sampler_init(&mc->service, &cc->service, what, err,
                                err_len);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int set_samplers(model_sim *sim, const world_config *config,
                        char *err, size_t err_len)
{
    const world_provider_config *p = &config->provider;
    int rc = model_sampler_init(&sim->create_delay, &p->create_delay,
                                "provider.create_delay", err, err_len);

    if (rc == 0)
        rc = model_sampler_init(&sim->remove_delay, &p->remove_delay,
                                "provider.remove_delay", err, err_len);
    if (rc == 0)
        rc = model_sampler_init(&sim->restart_delay, &p->restart_delay,
                                "provider.restart_delay", err, err_len);
    if (rc == 0)
        rc = model_sampler_init(&sim->boot_delay, &p->boot_delay,
                                "provider.boot_delay", err, err_len);
    if (rc == 0)
        rc = model_sampler_init(&sim->link_latency, &config->link_latency,
                                "link_latency", err, err_len);
    return rc;
}

static int check_probability(double p, const char *what, char *err,
                             size_t err_len)
{
    if (!(p >= 0 && p <= 1)) {
        snprintf(err, err_len, "%s: probability must be in [0, 1]", what);
        return -EINVAL;
    }
    return 0;
}

static int set_scalars(model_sim *sim, const world_config *config, char *err,
                       size_t err_len)
{
    if (config->duration_us <= 0 || config->sample_interval_us < 0) {
        snprintf(err, err_len,
                 "duration_us must be > 0 and sample_interval_us >= 0");
        return -EINVAL;
    }
    if (config->instance_vcpus == 0) {
        snprintf(err, err_len, "instance_vcpus must be >= 1");
        return -EINVAL;
    }
    if (config->dfm.low_load_permille > config->dfm.overload_permille ||
        config->dfm.window_us < 0 || config->dfm.sample_interval_us < 0 ||
        config->dfm.restart_delay_us < 0 || config->dfm.warmup_us < 0 ||
        config->dfm.warmup_cpu_permille > 1000) {
        snprintf(err, err_len,
                 "dfm: need low_load_permille <= overload_permille, "
                 "warmup_cpu_permille <= 1000 and no negative time");
        return -EINVAL;
    }
    if (config->dfm.sample_interval_us < DFM_SAMPLE_INTERVAL_MIN_US) {
        snprintf(err, err_len,
                 "dfm.sample_interval_us must be >= %lld (1 ms), got %lld",
                 (long long)DFM_SAMPLE_INTERVAL_MIN_US,
                 (long long)config->dfm.sample_interval_us);
        return -EINVAL;
    }
    if (config->nginx.request_timeout_us <= 0) {
        snprintf(err, err_len,
                 "nginx.request_timeout_us must be > 0, got %lld",
                 (long long)config->nginx.request_timeout_us);
        return -EINVAL;
    }
    if (config->nginx.drop_window_us <= 0) {
        snprintf(err, err_len, "nginx.drop_window_us must be > 0, got %lld",
                 (long long)config->nginx.drop_window_us);
        return -EINVAL;
    }

    const world_provider_config *p = &config->provider;
    int rc = check_probability(p->fail_probability,
                               "provider.fail_probability", err, err_len);

    if (rc == 0)
        rc = check_probability(p->timeout_probability,
                               "provider.timeout_probability", err, err_len);
    if (rc == 0)
        rc = check_probability(p->reply_lost_probability,
                               "provider.reply_lost_probability", err,
                               err_len);
    if (rc != 0)
        return rc;

    sim->seed = config->seed;
    sim->duration_us = config->duration_us;
    sim->sample_interval_us = config->sample_interval_us > 0
                                  ? config->sample_interval_us
                                  : SAMPLE_INTERVAL_DEFAULT_US;
    sim->instance_vcpus = config->instance_vcpus;
    sim->dfm = config->dfm;
    sim->nginx = config->nginx;
    sim->provider = *p;
    sim->invariant_grace_us = config->invariant_grace_us > 0
                                  ? config->invariant_grace_us
                                  : sim->nginx.request_timeout_us +
                                        sim->nginx.drop_window_us +
                                        GRACE_MARGIN_US;
    return 0;
}

static int set_tenants(model_sim *sim, const world_config *config, char *err,
                       size_t err_len)
{
    for (size_t i = 0; i < config->tenant_count; i++) {
        const world_tenant_config *tc = &config->tenants[i];
        int rc = check_id(tc->id, "tenants", i, err, err_len);

        if (rc != 0)
            return rc;
        if (model_tenant_find(sim, tc->id) != MODEL_NONE) {
            snprintf(err, err_len, "tenants[%zu]: duplicate id \"%s\"", i,
                     tc->id);
            return -EINVAL;
        }

        uint32_t t = model_tenant_intern(sim, tc->id);

        if (t == MODEL_NONE)
            return -ENOMEM;
        rc = model_tenant_configure(sim, t, tc, err, err_len);
        if (rc != 0)
            return rc;
        sim->tenants[t].sending = tc->pattern.kind != WORLD_PATTERN_NONE;
    }
    return 0;
}

static int add_instance_tenants(model_sim *sim, uint32_t index,
                                const world_instance_config *ic, char *err,
                                size_t err_len)
{
    model_instance *inst = &sim->instances[index];

    inst->tenants = calloc(ic->tenant_count + 1, sizeof(*inst->tenants));
    if (inst->tenants == NULL)
        return -ENOMEM;
    inst->tenant_cap = ic->tenant_count + 1;

    for (size_t k = 0; k < ic->tenant_count; k++) {
        int rc = check_id(ic->tenants[k], "instance tenants", k, err,
                          err_len);

        if (rc != 0)
            return rc;

        uint32_t t = model_tenant_intern(sim, ic->tenants[k]);

        if (t == MODEL_NONE)
            return -ENOMEM;
        inst->tenants[inst->tenant_count++] = t;
    }
    return 0;
}

static int set_instances(model_sim *sim, const world_config *config,
                         char *err, size_t err_len)
{
    lb_component_mask all = (lb_component_mask)((1u << sim->component_count) -
                                                1u);

    for (size_t i = 0; i < config->instance_count; i++) {
        const world_instance_config *ic = &config->instances[i];
        int rc = check_id(ic->id, "instances", i, err, err_len);

        if (rc != 0)
            return rc;
        if (model_instance_find(sim, ic->id) != MODEL_NONE ||
            (ic->components & ~all) != 0) {
            snprintf(err, err_len,
                     "instances[%zu] (%s): duplicate id or a component "
                     "beyond the %zu configured",
                     i, ic->id, sim->component_count);
            return -EINVAL;
        }

        uint32_t index = model_instance_add(sim, ic->id);

        if (index == MODEL_NONE)
            return -ENOMEM;
        sim->instances[index].initial_mask = ic->components;
        rc = add_instance_tenants(sim, index, ic, err, err_len);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int copy_fault(model_sim *sim, size_t i, const world_fault *spec,
                      char *err, size_t err_len)
{
    model_fault *f = &sim->faults[i];

    f->spec = *spec;
    if (copy_text(&f->instance, spec->instance) != 0 ||
        copy_text(&f->component, spec->component) != 0 ||
        copy_text(&f->from, spec->from) != 0 ||
        copy_text(&f->to, spec->to) != 0 ||
        copy_text(&f->kind_match, spec->kind_match) != 0)
        return -ENOMEM;
    f->rng = sim_rng_stream(sim->seed, "fault", i);
    if (f->rng == NULL)
        return -ENOMEM;

    /* until_us 0 means "not given": the rule lasts to the end of the run. */
    if (f->spec.until_us == 0)
        f->spec.until_us = SIM_TIME_MAX;

    /* An instance the Provider may create later is looked up when the
     * fault is due. */
    if (spec->instance != NULL &&
        model_instance_find(sim, spec->instance) == MODEL_NONE &&
        !world_instance_name_is_future(spec->instance)) {
        snprintf(err, err_len, "faults[%zu]: unknown instance \"%s\": "
                 "expected an initial instance or a name the Provider "
                 "gives (vm-<n>)", i, spec->instance);
        return -EINVAL;
    }

    f->component_index = MODEL_NONE;
    if (spec->component != NULL) {
        f->component_index = model_component_find(sim, spec->component);
        if (f->component_index == MODEL_NONE) {
            snprintf(err, err_len, "faults[%zu]: unknown component \"%s\"",
                     i, spec->component);
            return -EINVAL;
        }
    }
    return 0;
}

static int check_fault(const world_fault *spec, size_t i, char *err,
                       size_t err_len)
{
    char what[64];

    snprintf(what, sizeof(what), "faults[%zu]", i);
    if (spec->kind < WORLD_FAULT_KILL_PROCESS ||
        spec->kind > WORLD_FAULT_MSG_REORDER) {
        snprintf(err, err_len, "%s: unknown kind %d", what, (int)spec->kind);
        return -EINVAL;
    }
    if (spec->at_us < 0 || spec->delay_us < 0 ||
        (spec->until_us != 0 && spec->until_us < spec->at_us)) {
        snprintf(err, err_len, "%s: need 0 <= at_us <= until_us and "
                 "delay_us >= 0", what);
        return -EINVAL;
    }
    if (spec->kind == WORLD_FAULT_KILL_PROCESS &&
        (spec->instance == NULL || spec->component == NULL)) {
        snprintf(err, err_len, "%s: kill_process needs an instance and a "
                 "component", what);
        return -EINVAL;
    }
    if (spec->kind == WORLD_FAULT_CRASH_INSTANCE && spec->instance == NULL) {
        snprintf(err, err_len, "%s: crash_instance needs an instance", what);
        return -EINVAL;
    }
    return check_probability(spec->probability, what, err, err_len);
}

static int set_faults(model_sim *sim, const world_config *config, char *err,
                      size_t err_len)
{
    if (config->fault_count == 0)
        return 0;
    sim->faults = calloc(config->fault_count, sizeof(*sim->faults));
    if (sim->faults == NULL)
        return -ENOMEM;
    sim->fault_count = config->fault_count;

    for (size_t i = 0; i < config->fault_count; i++) {
        int rc = check_fault(&config->faults[i], i, err, err_len);

        if (rc == 0)
            rc = copy_fault(sim, i, &config->faults[i], err, err_len);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int set_tenant_events(model_sim *sim, const world_config *config,
                             char *err, size_t err_len)
{
    if (config->tenant_event_count == 0)
        return 0;
    sim->tenant_events = calloc(config->tenant_event_count,
                                sizeof(*sim->tenant_events));
    if (sim->tenant_events == NULL)
        return -ENOMEM;

    for (size_t i = 0; i < config->tenant_event_count; i++) {
        const world_tenant_event *ev = &config->tenant_events[i];
        world_tenant_event *copy = &sim->tenant_events[i];
        int rc = check_id(ev->tenant.id, "tenant_events", i, err, err_len);

        if (rc != 0)
            return rc;
        *copy = *ev;
        copy->tenant.id = strdup(ev->tenant.id);
        if (copy->tenant.id == NULL)
            return -ENOMEM;
        sim->tenant_event_count = i + 1;
        if (ev->at_us < 0 || (ev->kind != WORLD_TENANT_CREATE &&
                              ev->kind != WORLD_TENANT_REMOVE)) {
            snprintf(err, err_len, "tenant_events[%zu]: need at_us >= 0 and "
                     "kind create or remove", i);
            return -EINVAL;
        }

        /* Interned now so that its streams and index depend on the config
         * only; its traffic starts when its DEV has created it. */
        uint32_t t = model_tenant_intern(sim, ev->tenant.id);

        if (t == MODEL_NONE)
            return -ENOMEM;
        if (ev->kind == WORLD_TENANT_CREATE) {
            rc = model_tenant_configure(sim, t, &ev->tenant, err, err_len);
            if (rc != 0)
                return rc;
            sim->tenants[t].sending = false;
        }
    }
    return 0;
}

static int set_streams(model_sim *sim)
{
    sim->link_rng = sim_rng_stream(sim->seed, "link.latency", 0);
    sim->provider_rng = sim_rng_stream(sim->seed, "provider", 0);
    return sim->link_rng == NULL || sim->provider_rng == NULL ? -ENOMEM : 0;
}

static int build(model_sim *sim, const world_config *config, char *err,
                 size_t err_len)
{
    int rc = set_scalars(sim, config, err, err_len);

    if (rc == 0)
        rc = set_components(sim, config, err, err_len);
    if (rc == 0)
        rc = set_samplers(sim, config, err, err_len);
    if (rc == 0)
        rc = set_streams(sim);
    if (rc == 0)
        rc = set_tenants(sim, config, err, err_len);
    if (rc == 0)
        rc = set_instances(sim, config, err, err_len);
    if (rc == 0 && config->trace != NULL) {
        sim->trace_config = *config->trace;
        rc = copy_text(&sim->trace_path, config->trace->path);
        if (rc == 0)
            rc = model_traffic_scan_trace(sim, err, err_len);
    }
    if (rc == 0)
        rc = set_tenant_events(sim, config, err, err_len);
    if (rc == 0)
        rc = set_faults(sim, config, err, err_len);
    if (rc == -ENOMEM && err[0] == '\0')
        snprintf(err, err_len, "out of memory building the world");
    return rc;
}

model_sim *model_sim_create(const world_config *config,
                            const world_observer *observer,
                            const model_lb_sink *sink, char *err,
                            size_t err_len)
{
    MODEL_ASSERT(config != NULL && err != NULL && err_len > 0);
    err[0] = '\0';

    model_sim *sim = calloc(1, sizeof(*sim));

    if (sim == NULL) {
        snprintf(err, err_len, "out of memory building the world");
        return NULL;
    }
    sim->now_override_us = -1;
    sim->below_min_since_us = -1;
    sim->engine = sim_engine_create();
    if (sim->engine == NULL) {
        free(sim);
        snprintf(err, err_len, "out of memory building the world");
        return NULL;
    }
    if (observer != NULL)
        sim->observer = *observer;
    if (sink != NULL)
        sim->lb = *sink;
    sim->default_instance = MODEL_NONE;
    sim->request_free = MODEL_NONE;

    if (build(sim, config, err, err_len) != 0) {
        model_sim_destroy(sim);
        return NULL;
    }
    model_nginx_init_routes(sim, config);
    return sim;
}

int model_sim_start(model_sim *sim)
{
    int rc = model_traffic_start(sim);

    if (rc == 0)
        rc = model_bm_router_start(sim);
    if (rc == 0)
        rc = model_faults_start(sim);
    if (rc == 0)
        rc = model_sample_start(sim);
    if (rc != 0)
        return rc;

    /* Initial instances run already. Their DFM sends no dfm_ready because
     * the controller has them in its config. */
    for (uint32_t i = 0; i < sim->instance_count; i++) {
        model_instance *inst = &sim->instances[i];

        if (inst->state != MODEL_INST_BOOTING || inst->boot_pending)
            continue;
        model_dfm_boot_done(sim, i, false);
    }
    return 0;
}
