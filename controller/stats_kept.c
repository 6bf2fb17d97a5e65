/* The counts of the latest liveness statistics, kept for the next decision.
 *
 * NGINX restarts its counts at every statistics request. A liveness request
 * shortly before an overload or low-load report would leave the decision's
 * statistics nearly empty, so the rows of the latest liveness reply are
 * kept and added to the rows of the next decision's reply, then dropped.
 * Only one reply is kept, so memory grows with tenants, not with time. */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lb_kept_row {
    char tenant[LB_ID_LEN_MAX + 1];
    char instance[LB_ID_LEN_MAX + 1];
    uint32_t component;
    uint64_t requests;
    uint64_t errors;
} lb_kept_row;

void lb_stats_drop(lb_controller *c)
{
    free(c->kept_rows);
    c->kept_rows = NULL;
    c->kept_count = 0;
    c->kept_interval_us = 0;
}

void lb_stats_keep(lb_controller *c, const lb_stats *stats)
{
    lb_stats_drop(c);
    if (stats->row_count == 0) {
        return;
    }

    lb_kept_row *rows = calloc(stats->row_count, sizeof *rows);
    assert(rows != NULL && "statistics allocation failed");
    size_t count = 0;
    for (size_t r = 0; r < stats->row_count; r++) {
        const lb_stats_row *row = &stats->rows[r];
        if (row->tenant == NULL || row->instance == NULL ||
            strlen(row->tenant) > LB_ID_LEN_MAX ||
            strlen(row->instance) > LB_ID_LEN_MAX) {
            continue;
        }
        snprintf(rows[count].tenant, sizeof rows[count].tenant, "%s",
                 row->tenant);
        snprintf(rows[count].instance, sizeof rows[count].instance, "%s",
                 row->instance);
        rows[count].component = row->component;
        rows[count].requests = row->requests;
        rows[count].errors = row->errors;
        count++;
    }
    c->kept_rows = rows;
    c->kept_count = count;
    c->kept_interval_us = stats->interval_us;
}

lb_stats_row *lb_stats_merge(const lb_controller *c, const lb_stats *stats,
                             lb_stats *merged)
{
    size_t count = c->kept_count + stats->row_count;
    lb_stats_row *rows = calloc(count ? count : 1, sizeof *rows);
    assert(rows != NULL && "statistics allocation failed");
    const lb_kept_row *kept = c->kept_rows;

    for (size_t r = 0; r < c->kept_count; r++) {
        rows[r] = (lb_stats_row){
            .tenant = kept[r].tenant,
            .instance = kept[r].instance,
            .component = kept[r].component,
            .requests = kept[r].requests,
            .errors = kept[r].errors,
        };
    }
    for (size_t r = 0; r < stats->row_count; r++) {
        rows[c->kept_count + r] = stats->rows[r];
    }
    *merged = (lb_stats){
        .request_id = stats->request_id,
        .interval_us = stats->interval_us + c->kept_interval_us,
        .row_count = count,
        .rows = rows,
    };
    return rows;
}
