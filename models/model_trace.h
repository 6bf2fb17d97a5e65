/* Streaming reader of traffic traces: CSV rows "time_s,tenant,requests".
 *
 * Rows come one at a time and are checked as they come. The header must be
 * exactly time_s,tenant,requests, and each row needs three fields. time_s
 * is a non-negative number that never goes backwards, tenant an id of
 * [a-z0-9_-] and requests a non-negative integer. A bad row yields an error
 * "<file>:<line>: <reason>". Memory does not depend on the trace's length. */
#ifndef MODELS_MODEL_TRACE_H
#define MODELS_MODEL_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "model_csv.h"
#include "ports.h"

/* Maximum length of a trace tenant id, which leaves room for the clone
 * suffix "-cNNNNN". */
#define MODEL_TRACE_TENANT_LEN_MAX (LB_ID_LEN_MAX - 8)

typedef struct model_trace_row {
    double time_s;
    const char *tenant; /* valid until the next model_trace_next */
    uint64_t requests;
    size_t line;
} model_trace_row;

typedef struct model_trace_reader {
    model_csv_reader csv;
    char *path;
    double last_time_s;
} model_trace_reader;

/* Opens the trace and checks its header. Returns 0 or a negative errno value
 * with "<file>:<line>: <reason>" in err. */
int model_trace_open(model_trace_reader *reader, const char *path, char *err,
                     size_t err_len);

/* Reads the next row. Returns 1 for a row, 0 at the end, or -EINVAL / -EIO
 * with "<file>:<line>: <reason>" in err. */
int model_trace_next(model_trace_reader *reader, model_trace_row *row,
                     char *err, size_t err_len);

void model_trace_close(model_trace_reader *reader);

/* Checks that id is a valid trace tenant id. */
int model_trace_tenant_valid(const char *id);

#endif
