/* Helper files for the placement plot, computed from a run folder.
 *
 * A route is one (tenant, component) pair. Each routing table in
 * placement.csv (the rows that share a time_s) gives every route its
 * instance. A segment of a route ends when its instance changes or when the
 * next table leaves the route out. The segments of the drawn tenants
 * become boxes in the plot. */
#include "plot_placement.h"

#include "plot_csv.h"
#include "plot_names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Fraction of a tenant's row filled by its component stripes. */
#define PLOT_ROW_FILL 0.8

typedef struct plot_route {
    long instance;        /* current instance, valid while active */
    double start_s;       /* when the route moved to that instance */
    unsigned long table;  /* last routing table that listed the route */
    int active;
} plot_route;

typedef struct plot_segment {
    double start_s;
    double end_s;
    size_t row;
    size_t component;
    size_t instance;
} plot_segment;

typedef struct plot_placement {
    const char *run_dir;
    FILE *err;

    plot_names tenants;
    double *requests;      /* per tenant, from tenants.csv (0 if absent) */
    size_t *row;           /* per tenant: its row, 0 for "other" */
    size_t tenant_capacity;
    size_t top_count;

    plot_names instances;
    plot_names components;
    plot_names route_keys; /* "tenant\x1fcomponent" */
    plot_route *routes;
    size_t *route_tenant;
    size_t route_capacity;

    plot_segment *segments;
    size_t segment_count;
    size_t segment_capacity;

    /* Per routing table: its time and, from offset[i], the number of
     * "other" tenants served by each instance known then. */
    double *table_time_s;
    size_t *table_offset;
    size_t *table_instances;
    size_t table_count;
    size_t table_capacity;
    size_t *other_counts;
    size_t other_count_len;
    size_t other_count_capacity;

    /* The routing table being read: its rows share open_time_s. */
    int table_open;
    double open_time_s;

    double end_s;
} plot_placement;

/* Returns array grown to hold need elements of size bytes (itself when it
 * is big enough), with its new capacity in *grown; NULL when memory runs
 * out, and then array is unchanged. */
static void *plot_grow(void *array, size_t capacity, size_t need, size_t size,
                       size_t *grown)
{
    size_t target = capacity ? capacity : 16;

    *grown = capacity;
    if (need <= capacity) {
        return array;
    }
    while (target < need) {
        target *= 2;
    }
    array = realloc(array, target * size);
    if (array != NULL) {
        *grown = target;
    }
    return array;
}

static int plot_check_name(const plot_csv_row *row, const char *column,
                           const char *name, FILE *err)
{
    if (plot_name_is_plain(name)) {
        return 0;
    }
    fprintf(err, "plots: %s line %zu: %s '%s' is empty or contains a space, "
            "comma, quote, backslash or control character\n", row->path,
            row->line, column, name);
    return -EINVAL;
}

/* Adds a tenant (new ones with no requests and no row) and returns its
 * number, or -ENOMEM. */
static long plot_add_tenant(plot_placement *p, const char *name)
{
    long tenant = plot_names_add(&p->tenants, name);
    size_t need = (size_t)tenant + 1;
    size_t capacity = 0;
    double *requests;
    size_t *row;

    if (tenant < 0 || need <= p->tenant_capacity) {
        return tenant;
    }
    requests = plot_grow(p->requests, p->tenant_capacity, need,
                         sizeof *requests, &capacity);
    if (requests == NULL) {
        return -ENOMEM;
    }
    p->requests = requests;
    row = plot_grow(p->row, p->tenant_capacity, need, sizeof *row, &capacity);
    if (row == NULL) {
        return -ENOMEM;
    }
    p->row = row;

    for (size_t t = p->tenant_capacity; t < capacity; t++) {
        p->requests[t] = 0;
        p->row[t] = 0;
    }
    p->tenant_capacity = capacity;
    return tenant;
}

static int plot_on_tenant_row(void *ctx, const plot_csv_row *row, FILE *err)
{
    plot_placement *p = ctx;
    double requests;
    long tenant;
    int rc = plot_check_name(row, "tenant", row->fields[0], err);

    rc = rc == 0 ? plot_csv_number(row, 1, "requests", &requests, err) : rc;
    if (rc != 0) {
        return rc;
    }
    if (plot_names_find(&p->tenants, row->fields[0]) >= 0) {
        fprintf(err, "plots: %s line %zu: tenant %s is listed twice\n",
                row->path, row->line, row->fields[0]);
        return -EINVAL;
    }

    tenant = plot_add_tenant(p, row->fields[0]);
    if (tenant < 0) {
        return -ENOMEM;
    }
    p->requests[tenant] = requests;
    return 0;
}

/* The placement being ranked, for plot_compare_rank: qsort passes no
 * context to its comparison function. */
static const plot_placement *plot_rank_context;

/* Heaviest first; equal requests in name order, so the ranking never
 * depends on the order of tenants.csv. */
static int plot_compare_rank(const void *a, const void *b)
{
    const plot_placement *p = plot_rank_context;
    size_t ta = *(const size_t *)a;
    size_t tb = *(const size_t *)b;

    if (p->requests[ta] != p->requests[tb]) {
        return p->requests[ta] > p->requests[tb] ? -1 : 1;
    }
    return strcmp(p->tenants.names[ta], p->tenants.names[tb]);
}

/* Ranks the tenants of tenants.csv and numbers the rows of the drawn ones
 * from p->top_count (the heaviest) down to 1. */
static int plot_rank_tenants(plot_placement *p, size_t top_count)
{
    size_t count = p->tenants.count;
    size_t *order = malloc((count ? count : 1) * sizeof *order);

    if (order == NULL) {
        return -ENOMEM;
    }
    for (size_t t = 0; t < count; t++) {
        order[t] = t;
    }
    plot_rank_context = p;
    qsort(order, count, sizeof *order, plot_compare_rank);

    p->top_count = count <= top_count + 1 ? count : top_count;
    for (size_t rank = 0; rank < p->top_count; rank++) {
        p->row[order[rank]] = p->top_count - rank;
    }
    free(order);
    return 0;
}

static int plot_on_instance_row(void *ctx, const plot_csv_row *row, FILE *err)
{
    plot_placement *p = ctx;
    double time_s;
    int rc = plot_check_name(row, "instance", row->fields[1], err);

    rc = rc == 0 ? plot_csv_number(row, 0, "time_s", &time_s, err) : rc;
    if (rc != 0) {
        return rc;
    }
    if (time_s > p->end_s) {
        p->end_s = time_s;
    }
    return plot_names_add(&p->instances, row->fields[1]) < 0 ? -ENOMEM : 0;
}

static int plot_on_timeseries_row(void *ctx, const plot_csv_row *row,
                                  FILE *err)
{
    plot_placement *p = ctx;
    double time_s;
    int rc = plot_csv_number(row, 0, "time_s", &time_s, err);

    if (rc == 0 && time_s > p->end_s) {
        p->end_s = time_s;
    }
    return rc;
}

static int plot_end_segment(plot_placement *p, size_t route, double end_s)
{
    plot_route *r = &p->routes[route];
    size_t tenant = p->route_tenant[route];
    size_t component = 0;
    plot_segment *s;

    r->active = 0;
    if (p->row[tenant] == 0 || end_s <= r->start_s) {
        return 0;
    }
    s = plot_grow(p->segments, p->segment_capacity, p->segment_count + 1,
                  sizeof *s, &p->segment_capacity);
    if (s == NULL) {
        return -ENOMEM;
    }
    p->segments = s;

    /* The component is the part of the route key after the separator. */
    component = (size_t)plot_names_find(
        &p->components, strchr(p->route_keys.names[route], '\x1f') + 1);
    s = &p->segments[p->segment_count++];
    s->start_s = r->start_s;
    s->end_s = end_s;
    s->row = p->row[tenant];
    s->component = component;
    s->instance = (size_t)r->instance;
    return 0;
}

/* Returns the number of the route (tenant, component), adding it when new,
 * or -ENOMEM. */
static long plot_add_route(plot_placement *p, size_t tenant,
                           const char *component)
{
    size_t key_len = strlen(p->tenants.names[tenant]) + strlen(component) + 2;
    char *key = malloc(key_len);
    long route;
    size_t capacity = 0;
    plot_route *routes;
    size_t *route_tenant;

    if (key == NULL) {
        return -ENOMEM;
    }
    snprintf(key, key_len, "%s\x1f%s", p->tenants.names[tenant], component);
    route = plot_names_add(&p->route_keys, key);
    free(key);
    if (route < 0) {
        return route;
    }

    if ((size_t)route >= p->route_capacity) {
        routes = plot_grow(p->routes, p->route_capacity, (size_t)route + 1,
                           sizeof *routes, &capacity);
        if (routes == NULL) {
            return -ENOMEM;
        }
        p->routes = routes;
        route_tenant = plot_grow(p->route_tenant, p->route_capacity,
                                 (size_t)route + 1, sizeof *route_tenant,
                                 &capacity);
        if (route_tenant == NULL) {
            return -ENOMEM;
        }
        p->route_tenant = route_tenant;
        memset(&p->routes[p->route_capacity], 0,
               (capacity - p->route_capacity) * sizeof *p->routes);
        p->route_capacity = capacity;
    }
    p->route_tenant[route] = tenant;
    return route;
}

/* Counts, per instance, the "other" tenants that the current routes send
 * to it (a tenant counts once per instance), and stores the counts with
 * the table's time. */
static int plot_count_other(plot_placement *p, double time_s)
{
    size_t instance_count = p->instances.count;
    size_t need = p->other_count_len + instance_count;
    size_t capacity = 0;
    size_t *counts;
    unsigned char *served;
    void *grown;

    counts = plot_grow(p->other_counts, p->other_count_capacity, need,
                       sizeof *counts, &p->other_count_capacity);
    if (counts == NULL) {
        return -ENOMEM;
    }
    p->other_counts = counts;
    grown = plot_grow(p->table_time_s, p->table_capacity, p->table_count + 1,
                      sizeof *p->table_time_s, &capacity);
    if (grown == NULL) {
        return -ENOMEM;
    }
    p->table_time_s = grown;
    grown = plot_grow(p->table_offset, p->table_capacity, p->table_count + 1,
                      sizeof *p->table_offset, &capacity);
    if (grown == NULL) {
        return -ENOMEM;
    }
    p->table_offset = grown;
    grown = plot_grow(p->table_instances, p->table_capacity,
                      p->table_count + 1, sizeof *p->table_instances,
                      &capacity);
    if (grown == NULL) {
        return -ENOMEM;
    }
    p->table_instances = grown;
    p->table_capacity = capacity;

    served = calloc(p->tenants.count * instance_count + 1, 1);
    if (served == NULL) {
        return -ENOMEM;
    }
    memset(&counts[p->other_count_len], 0, instance_count * sizeof *counts);
    for (size_t route = 0; route < p->route_keys.count; route++) {
        size_t tenant = p->route_tenant[route];
        size_t instance = (size_t)p->routes[route].instance;
        size_t cell = tenant * instance_count + instance;

        if (!p->routes[route].active || p->row[tenant] != 0 || served[cell]) {
            continue;
        }
        served[cell] = 1;
        counts[p->other_count_len + instance]++;
    }
    free(served);

    p->table_time_s[p->table_count] = time_s;
    p->table_offset[p->table_count] = p->other_count_len;
    p->table_instances[p->table_count] = instance_count;
    p->table_count++;
    p->other_count_len = need;
    return 0;
}

/* Ends the routing table applied at time_s: routes it did not list end. */
static int plot_finish_table(plot_placement *p, double time_s)
{
    unsigned long table = (unsigned long)p->table_count + 1;

    for (size_t route = 0; route < p->route_keys.count; route++) {
        plot_route *r = &p->routes[route];

        if (r->active && r->table != table &&
            plot_end_segment(p, route, time_s) != 0) {
            return -ENOMEM;
        }
    }
    return plot_count_other(p, time_s);
}

/* Parsed fields of one placement.csv record. */
typedef struct plot_route_row {
    double time_s;
    long tenant;
    long component;
    long instance;
} plot_route_row;

static int plot_parse_route_row(plot_placement *p, const plot_csv_row *row,
                                plot_route_row *parsed, FILE *err)
{
    static const char *const columns[] = {"tenant", "component", "instance"};
    int rc = plot_csv_number(row, 0, "time_s", &parsed->time_s, err);

    for (size_t c = 0; c < 3 && rc == 0; c++) {
        rc = plot_check_name(row, columns[c], row->fields[c + 1], err);
    }
    if (rc != 0) {
        return rc;
    }

    parsed->tenant = plot_add_tenant(p, row->fields[1]);
    parsed->component = plot_names_add(&p->components, row->fields[2]);
    parsed->instance = plot_names_add(&p->instances, row->fields[3]);
    if (parsed->tenant < 0 || parsed->component < 0 || parsed->instance < 0) {
        return -ENOMEM;
    }
    return 0;
}

static int plot_on_route_row(void *ctx, const plot_csv_row *row, FILE *err)
{
    plot_placement *p = ctx;
    unsigned long table;
    plot_route_row parsed;
    plot_route *r;
    long route;
    int rc = plot_parse_route_row(p, row, &parsed, err);

    if (rc != 0) {
        return rc;
    }
    if (p->table_open && parsed.time_s < p->open_time_s) {
        fprintf(err, "plots: %s line %zu: time_s %g is earlier than the "
                "routing table before it (%g); rows must be in time order\n",
                row->path, row->line, parsed.time_s, p->open_time_s);
        return -EINVAL;
    }

    /* The first row of a later table ends the table before it. */
    if (p->table_open && parsed.time_s > p->open_time_s) {
        rc = plot_finish_table(p, p->open_time_s);
        if (rc != 0) {
            return rc;
        }
        p->table_open = 0;
    }
    if (!p->table_open) {
        p->table_open = 1;
        p->open_time_s = parsed.time_s;
    }

    route = plot_add_route(p, (size_t)parsed.tenant,
                           p->components.names[parsed.component]);
    if (route < 0) {
        return -ENOMEM;
    }
    r = &p->routes[route];
    table = (unsigned long)p->table_count + 1;
    /* TODO: a route to several instances at once shows only the first. */
    if (r->table == table) {
        return 0;
    }
    r->table = table;
    if (r->active && r->instance == parsed.instance) {
        return 0;
    }
    if (r->active && plot_end_segment(p, (size_t)route, parsed.time_s) != 0) {
        return -ENOMEM;
    }
    r->active = 1;
    r->instance = parsed.instance;
    r->start_s = parsed.time_s;
    return 0;
}

/* Opens run_dir/name for writing. Returns NULL after a message on err. */
static FILE *plot_open_output(const plot_placement *p, const char *name,
                              char *path, size_t path_len)
{
    FILE *file = NULL;
    int n = snprintf(path, path_len, "%s/%s", p->run_dir, name);

    if (n >= 0 && (size_t)n < path_len) {
        file = fopen(path, "w");
    }
    if (file == NULL) {
        fprintf(p->err, "plots: cannot write %s/%s: %s\n", p->run_dir, name,
                n >= 0 && (size_t)n < path_len ? strerror(errno)
                                               : "path too long");
    }
    return file;
}

/* Closes file and reports a failed write. Returns 0 or -EIO. */
static int plot_close_output(const plot_placement *p, FILE *file,
                             const char *path)
{
    int failed = ferror(file);

    if (fclose(file) != 0 || failed) {
        fprintf(p->err, "plots: writing %s failed\n", path);
        return -EIO;
    }
    return 0;
}

static void plot_write_word_list(FILE *file, const plot_names *names)
{
    for (size_t i = 0; i < names->count; i++) {
        fprintf(file, "%s%s", i ? " " : "", names->names[i]);
    }
}

static int plot_write_info(const plot_placement *p)
{
    char path[4096];
    FILE *file = plot_open_output(p, "plot_placement_info.csv", path,
                                  sizeof path);

    if (file == NULL) {
        return -EIO;
    }
    fputs("components,instances,top_tenants,other_tenants,tables,segments,"
          "end_s\n", file);
    plot_write_word_list(file, &p->components);
    fputc(',', file);
    plot_write_word_list(file, &p->instances);
    fprintf(file, ",%zu,%zu,%zu,%zu,%.10g\n", p->top_count,
            p->tenants.count - p->top_count, p->table_count,
            p->segment_count, p->end_s);
    return plot_close_output(p, file, path);
}

static int plot_write_rows(const plot_placement *p)
{
    char path[4096];
    double total = 0;
    FILE *file = plot_open_output(p, "plot_placement_rows.csv", path,
                                  sizeof path);

    if (file == NULL) {
        return -EIO;
    }
    for (size_t t = 0; t < p->tenants.count; t++) {
        total += p->requests[t];
    }

    fputs("row,tenant,label\n", file);
    for (size_t row = p->top_count; row >= 1; row--) {
        for (size_t t = 0; t < p->tenants.count; t++) {
            if (p->row[t] != row) {
                continue;
            }
            fprintf(file, "%zu,%s,%s", row, p->tenants.names[t],
                    p->tenants.names[t]);
            if (total > 0) {
                fprintf(file, " %.1f %%", 100.0 * p->requests[t] / total);
            }
            fputc('\n', file);
        }
    }
    return plot_close_output(p, file, path);
}

static int plot_write_segments(const plot_placement *p)
{
    char path[4096];
    size_t stripes = p->components.count ? p->components.count : 1;
    double height = PLOT_ROW_FILL / (double)stripes;
    FILE *file = plot_open_output(p, "plot_placement_segments.csv", path,
                                  sizeof path);

    if (file == NULL) {
        return -EIO;
    }
    fputs("start_s,end_s,y_low,y_high,instance\n", file);
    for (size_t i = 0; i < p->segment_count; i++) {
        const plot_segment *s = &p->segments[i];
        /* The first component is the top stripe of the row. */
        double y_high = (double)s->row + PLOT_ROW_FILL / 2 -
                        (double)s->component * height;

        fprintf(file, "%.10g,%.10g,%.6f,%.6f,%zu\n", s->start_s, s->end_s,
                y_high - height, y_high, s->instance + 1);
    }
    return plot_close_output(p, file, path);
}

static size_t plot_other_count(const plot_placement *p, size_t table,
                               size_t instance)
{
    if (instance >= p->table_instances[table]) {
        return 0;
    }
    return p->other_counts[p->table_offset[table] + instance];
}

static int plot_write_other(const plot_placement *p)
{
    char path[4096];
    FILE *file = plot_open_output(p, "plot_placement_other.csv", path,
                                  sizeof path);

    if (file == NULL) {
        return -EIO;
    }
    fputs("time_s,instance,tenants\n", file);
    for (size_t table = 0; table < p->table_count; table++) {
        for (size_t i = 0; i < p->instances.count; i++) {
            fprintf(file, "%.10g,%zu,%zu\n", p->table_time_s[table], i + 1,
                    plot_other_count(p, table, i));
        }
    }

    /* Holds the last counts to the end of the run. */
    if (p->table_count > 0 &&
        p->end_s > p->table_time_s[p->table_count - 1]) {
        for (size_t i = 0; i < p->instances.count; i++) {
            fprintf(file, "%.10g,%zu,%zu\n", p->end_s, i + 1,
                    plot_other_count(p, p->table_count - 1, i));
        }
    }
    return plot_close_output(p, file, path);
}

static int plot_read_inputs(plot_placement *p, size_t top_count)
{
    static const char *const tenant_columns[] = {"tenant", "requests"};
    static const char *const instance_columns[] = {"time_s", "instance"};
    static const char *const timeseries_columns[] = {"time_s"};
    static const char *const route_columns[] = {"time_s", "tenant",
                                                "component", "instance"};
    char path[4096];
    int rc;

    snprintf(path, sizeof path, "%s/tenants.csv", p->run_dir);
    rc = plot_csv_read(path, tenant_columns, 2, plot_on_tenant_row, p, p->err);
    rc = rc == 0 ? plot_rank_tenants(p, top_count) : rc;
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/instances.csv", p->run_dir);
        rc = plot_csv_read(path, instance_columns, 2, plot_on_instance_row, p,
                           p->err);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/timeseries.csv", p->run_dir);
        rc = plot_csv_read(path, timeseries_columns, 1, plot_on_timeseries_row,
                           p, p->err);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/placement.csv", p->run_dir);
        rc = plot_csv_read(path, route_columns, 4, plot_on_route_row, p,
                           p->err);
    }
    return rc;
}

/* Ends the last routing table, and every route at the end of the run. */
static int plot_finish_routes(plot_placement *p)
{
    if (p->table_open) {
        int rc = plot_finish_table(p, p->open_time_s);

        if (rc != 0) {
            return rc;
        }
        if (p->open_time_s > p->end_s) {
            p->end_s = p->open_time_s;
        }
    }
    for (size_t route = 0; route < p->route_keys.count; route++) {
        if (p->routes[route].active &&
            plot_end_segment(p, route, p->end_s) != 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

static void plot_placement_deinit(plot_placement *p)
{
    plot_names_deinit(&p->tenants);
    plot_names_deinit(&p->instances);
    plot_names_deinit(&p->components);
    plot_names_deinit(&p->route_keys);
    free(p->requests);
    free(p->row);
    free(p->routes);
    free(p->route_tenant);
    free(p->segments);
    free(p->table_time_s);
    free(p->table_offset);
    free(p->table_instances);
    free(p->other_counts);
}

int plot_placement_prepare(const char *run_dir, size_t top_count, FILE *err)
{
    plot_placement p;
    int rc;

    memset(&p, 0, sizeof p);
    p.run_dir = run_dir;
    p.err = err;
    plot_names_init(&p.tenants);
    plot_names_init(&p.instances);
    plot_names_init(&p.components);
    plot_names_init(&p.route_keys);

    rc = plot_read_inputs(&p, top_count);
    rc = rc == 0 ? plot_finish_routes(&p) : rc;
    rc = rc == 0 ? plot_write_info(&p) : rc;
    rc = rc == 0 ? plot_write_rows(&p) : rc;
    rc = rc == 0 ? plot_write_segments(&p) : rc;
    rc = rc == 0 ? plot_write_other(&p) : rc;
    if (rc == -ENOMEM) {
        fprintf(err, "plots: out of memory while reading %s\n", run_dir);
    }

    plot_placement_deinit(&p);
    return rc;
}
