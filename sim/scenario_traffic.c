/* The traffic section: a trace CSV replayed for tenants with pattern trace.
 * The loader reads the trace's tenant column once, so that a missing or
 * malformed trace stops the load and its tenants can be named elsewhere. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <csv.h>

#include "scenario_loader.h"

static const char *const sim_traffic_keys[] = {
    "trace", "time_scale", "rate_scale", "clones", NULL,
};
static const char *const sim_traffic_required[] = {"trace", NULL};

typedef struct sim_trace_scan {
    sim_loader *loader;
    size_t column;
    size_t row;
    int rc;
} sim_trace_scan;

/* Keeps the tenant column (the second) of every row after the header. */
static void sim_trace_field_cb(void *data, size_t len, void *ctx)
{
    sim_trace_scan *scan = ctx;
    size_t column = scan->column++;
    char *tenant;

    /* CSV_APPEND_NULL ends data with a NUL, so it is a string here. */
    if (scan->rc != 0 || scan->row == 0 || column != 1 ||
        sim_name_list_has(&scan->loader->tenants, data)) {
        return;
    }
    tenant = sim_pool_alloc(&scan->loader->scenario->pool, len + 1);
    if (tenant == NULL) {
        scan->rc = -ENOMEM;
        return;
    }
    memcpy(tenant, data, len);
    scan->rc = sim_name_list_add(scan->loader, &scan->loader->tenants, tenant);
}

static void sim_trace_row_cb(int terminator, void *ctx)
{
    sim_trace_scan *scan = ctx;

    (void)terminator;
    if (scan->column != 3 && scan->rc == 0) {
        scan->rc = -EINVAL;
    }
    if (scan->rc == 0) {
        scan->row++;
    }
    scan->column = 0;
}

static int sim_trace_parse(sim_trace_scan *scan, FILE *file)
{
    struct csv_parser parser;
    char buf[8192];
    size_t len;

    if (csv_init(&parser, CSV_APPEND_NULL) != 0) {
        return -ENOMEM;
    }
    while ((len = fread(buf, 1, sizeof(buf), file)) > 0) {
        if (csv_parse(&parser, buf, len, sim_trace_field_cb,
                      sim_trace_row_cb, scan) != len) {
            csv_free(&parser);
            return -EINVAL;
        }
    }
    csv_fini(&parser, sim_trace_field_cb, sim_trace_row_cb, scan);
    csv_free(&parser);
    return ferror(file) ? -EIO : scan->rc;
}

int sim_load_trace_tenants(sim_loader *loader, const yaml_node_t *node,
                           const char *key, const char *path)
{
    sim_trace_scan scan = {.loader = loader};
    FILE *file = fopen(path, "rb");
    int rc;

    if (file == NULL) {
        return sim_yaml_fail(&loader->y, node, key,
                             "expected a readable trace CSV, got '%s' which "
                             "cannot be opened: %s",
                             path, strerror(errno));
    }
    rc = sim_trace_parse(&scan, file);
    fclose(file);
    if (rc == -ENOMEM) {
        return rc;
    }
    if (rc != 0 || scan.row < 2) {
        return sim_yaml_fail(&loader->y, node, key,
                             "expected a trace CSV with the header "
                             "time_s,tenant,requests and at least one row, "
                             "got '%s' that does not parse at line %zu",
                             path, scan.row + 1);
    }
    return 0;
}

int sim_load_traffic(sim_loader *loader, const yaml_node_t *node)
{
    sim_yaml *y = &loader->y;
    world_trace_config *trace;
    const char *file = NULL;
    int rc;

    trace = sim_pool_calloc(&loader->scenario->pool, 1, sizeof(*trace));
    if (trace == NULL) {
        return -ENOMEM;
    }
    trace->time_scale = 1.0;
    trace->rate_scale = 1.0;
    trace->clones = 1;

    rc = sim_yaml_want_mapping(y, node, "traffic");
    if (rc == 0) {
        rc = sim_yaml_check_keys(y, node, "traffic", sim_traffic_keys);
    }
    if (rc == 0) {
        rc = sim_yaml_require(y, node, "traffic", sim_traffic_required);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_string(y, node, "traffic", "trace", &file);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_double(y, node, "traffic", "time_scale", 1e-6, 1e6,
                                 &trace->time_scale);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_double(y, node, "traffic", "rate_scale", 0.0, 1e6,
                                 &trace->rate_scale);
    }
    if (rc == 0) {
        rc = sim_yaml_opt_u32(y, node, "traffic", "clones", 1000,
                              &trace->clones);
    }
    if (rc == 0 && trace->clones == 0) {
        rc = sim_yaml_fail_expected(y, sim_yaml_get(y, node, "clones"),
                                    "traffic.clones", "at least 1");
    }
    if (rc == 0) {
        trace->path = sim_load_resolve_path(loader, file);
        rc = trace->path == NULL ? -ENOMEM : 0;
    }
    if (rc == 0) {
        rc = sim_load_trace_tenants(loader, sim_yaml_get(y, node, "trace"),
                                    "traffic.trace", trace->path);
    }
    loader->scenario->world.trace = trace;
    return rc;
}
