/* The data files a scenario names: the trace CSV and the CSVs of empirical
 * distributions. The loader reads each with the models' own readers, so a
 * file that the world would reject stops the load, with the scenario key
 * that names the file and the file's own line and reason. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "model_dist.h"
#include "model_trace.h"
#include "scenario_loader.h"

/* Fails unless path names a regular file that can be opened for reading. */
static int sim_load_check_readable(sim_loader *loader, const yaml_node_t *node,
                                   const char *key, const char *what,
                                   const char *path)
{
    struct stat info;
    FILE *file;

    if (stat(path, &info) == 0 && S_ISDIR(info.st_mode)) {
        return sim_yaml_fail(&loader->y, node, key,
                             "expected %s, got '%s' which is a folder", what,
                             path);
    }
    file = fopen(path, "rb");
    if (file == NULL) {
        return sim_yaml_fail(&loader->y, node, key,
                             "expected %s, got '%s' which cannot be opened: "
                             "%s",
                             what, path, strerror(errno));
    }
    fclose(file);
    return 0;
}

int sim_load_empirical_file(sim_loader *loader, const yaml_node_t *node,
                            const char *key, const model_dist *dist)
{
    model_sampler sampler;
    char reason[512] = "";
    int rc;

    rc = sim_load_check_readable(loader, node, key, "a readable CSV file",
                                 dist->empirical_path);
    if (rc != 0) {
        return rc;
    }
    rc = model_sampler_init(&sampler, dist, key, reason, sizeof(reason));
    if (rc == -ENOMEM) {
        return rc;
    }
    if (rc != 0) {
        return sim_yaml_fail(&loader->y, node, key,
                             "expected a CSV file with the header value_us "
                             "and one non-negative number per row, got %s",
                             reason);
    }
    model_sampler_deinit(&sampler);
    return 0;
}

/* Adds the tenant of every row to the loader's tenants and traced lists.
 * Returns 0, -ENOMEM, or -EINVAL with the reader's
 * "<file>:<line>: <reason>" in reason. */
static int sim_trace_read_rows(sim_loader *loader, model_trace_reader *reader,
                               size_t *rows, char *reason, size_t reason_len)
{
    model_trace_row row;
    int rc;

    *rows = 0;
    while ((rc = model_trace_next(reader, &row, reason, reason_len)) == 1) {
        const char *tenant;

        (*rows)++;
        if (sim_name_list_has(&loader->traced, row.tenant)) {
            continue;
        }
        tenant = sim_pool_strdup(&loader->scenario->pool, row.tenant);
        if (tenant == NULL ||
            sim_name_list_add(loader, &loader->traced, tenant) != 0 ||
            sim_name_list_add(loader, &loader->tenants, tenant) != 0) {
            return -ENOMEM;
        }
    }
    return rc;
}

int sim_load_trace_tenants(sim_loader *loader, const yaml_node_t *node,
                           const char *key, const char *path)
{
    model_trace_reader reader;
    char reason[512] = "";
    size_t rows = 0;
    int rc;

    rc = sim_load_check_readable(loader, node, key, "a readable trace CSV",
                                 path);
    if (rc != 0) {
        return rc;
    }
    rc = model_trace_open(&reader, path, reason, sizeof(reason));
    if (rc == 0) {
        rc = sim_trace_read_rows(loader, &reader, &rows, reason,
                                 sizeof(reason));
        model_trace_close(&reader);
    }
    if (rc == 0 && rows == 0) {
        snprintf(reason, sizeof(reason), "%s: no rows after the header", path);
        rc = -EINVAL;
    }
    if (rc == -ENOMEM) {
        return rc;
    }
    if (rc != 0) {
        return sim_yaml_fail(&loader->y, node, key,
                             "expected a trace CSV with the header "
                             "time_s,tenant,requests and at least one valid "
                             "row, got %s",
                             reason);
    }
    return 0;
}
