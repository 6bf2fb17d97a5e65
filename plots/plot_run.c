/* Plots of an lbsim run folder: checks the input files, writes the
 * placement helper files, then runs gnuplot once per plot. */
#include "plot_run.h"

#include "plot_csv.h"
#include "plot_gnuplot.h"
#include "plot_names.h"
#include "plot_placement.h"
#include "plot_scripts.h"
#include "plot_summary.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Tenants drawn one per row in the placement plot; the rest are "other".
 * Fifteen rows stay readable at the plot's default height. */
#define PLOT_TOP_TENANTS 15

/* Room for the gnuplot assignments that precede a script. */
#define PLOT_SETTINGS_LEN 16384

/* Bits of plot_file_check.numeric, .plain and .optional, per column. */
#define PLOT_COLUMN(c) (1u << (c))

/* What one input file must contain for the scripts to read it. */
typedef struct plot_file_check {
    const char *name;
    const char *const *columns;
    size_t column_count;
    unsigned numeric;  /* columns that must hold a finite number */
    unsigned plain;    /* columns that must hold a name without spaces */
    unsigned optional; /* plain columns that may also be empty */
    size_t rows;       /* data rows seen */
} plot_file_check;

/* Prints the notice the first time only, so that a run of several
 * scenarios prints it once. */
static void plot_print_skip_notice(FILE *err)
{
    static int printed;

    if (printed) {
        return;
    }
    printed = 1;
    fputs("plots skipped: gnuplot was not found on PATH. Install the Debian "
          "package gnuplot-nox (or gnuplot), then run 'lbsim plot OUTDIR' to "
          "draw them.\n", err);
}

static int plot_check_field(const plot_file_check *check,
                            const plot_csv_row *row, size_t c, FILE *err)
{
    const char *text = row->fields[c];
    double value;

    if (check->numeric & PLOT_COLUMN(c)) {
        return plot_csv_number(row, c, check->columns[c], &value, err);
    }
    if (!(check->plain & PLOT_COLUMN(c)) || plot_name_is_plain(text) ||
        (text[0] == '\0' && (check->optional & PLOT_COLUMN(c)))) {
        return 0;
    }
    fprintf(err, "plots: %s line %zu: %s '%s' is empty or contains a space, "
            "comma, quote, backslash or control character\n", row->path,
            row->line, check->columns[c], text);
    return -EINVAL;
}

static int plot_on_check_row(void *ctx, const plot_csv_row *row, FILE *err)
{
    plot_file_check *check = ctx;

    for (size_t c = 0; c < check->column_count; c++) {
        int rc = plot_check_field(check, row, c, err);

        if (rc != 0) {
            return rc;
        }
    }
    check->rows++;
    return 0;
}

/* Checks the files that the load, latency and instances scripts read.
 * Returns 0 with the number of actions in *actions_rows, or -EINVAL. */
static int plot_check_run(const char *run_dir, size_t *actions_rows,
                          FILE *err)
{
    static const char *const timeseries[] = {
        "time_s", "instances", "requests_per_s", "errors_per_s",
        "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
        "pending_provider_requests"};
    static const char *const instances[] = {"time_s", "instance",
                                            "cpu_percent", "requests_per_s"};
    static const char *const actions[] = {"time_s", "action", "instance"};
    plot_file_check checks[] = {
        {"timeseries.csv", timeseries, 8, 0xffu, 0, 0, 0},
        {"instances.csv", instances, 4, PLOT_COLUMN(0) | PLOT_COLUMN(2) |
             PLOT_COLUMN(3), PLOT_COLUMN(1), 0, 0},
        {"actions.csv", actions, 3, PLOT_COLUMN(0),
         PLOT_COLUMN(1) | PLOT_COLUMN(2), PLOT_COLUMN(2), 0},
    };
    struct stat st;
    char path[PATH_MAX];

    if (stat(run_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(err, "plots: run folder %s not found\n", run_dir);
        return -EINVAL;
    }
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        plot_file_check *check = &checks[i];
        int rc;

        snprintf(path, sizeof path, "%s/%s", run_dir, check->name);
        rc = plot_csv_read(path, check->columns, check->column_count,
                           plot_on_check_row, check, err);
        if (rc != 0) {
            return rc;
        }
        /* The scripts scale their axes from the data: they need a row. */
        if (check->rows == 0 && i < 2) {
            fprintf(err, "plots: %s has no data rows\n", path);
            return -EINVAL;
        }
    }
    *actions_rows = checks[2].rows;
    return 0;
}

/* Finds gnuplot, printing the skip notice when it is missing. */
static int plot_find_gnuplot(char *gnuplot, size_t len, FILE *err)
{
    int rc = plot_gnuplot_find(gnuplot, len);

    if (rc == PLOT_GNUPLOT_MISSING) {
        plot_print_skip_notice(err);
    } else if (rc != 0) {
        fprintf(err, "plots: a PATH entry is too long to search for "
                "gnuplot\n");
        rc = -EINVAL;
    }
    return rc;
}

static int plot_settings_error(int rc, const char *value, FILE *err)
{
    if (rc == -EINVAL) {
        fprintf(err, "plots: the path %s contains a control character, which "
                "gnuplot cannot take; rename it\n", value);
    } else if (rc != 0) {
        fprintf(err, "plots: the path %s is too long\n", value);
    }
    return rc != 0 ? -EINVAL : 0;
}

/* Appends the settings of one run: folder, threshold and action count,
 * each name followed by suffix ("" for a single run). */
static int plot_add_run_settings(char *settings, const char *run_dir,
                                 const char *suffix, FILE *err)
{
    char name[64];
    size_t actions_rows = 0;
    double overload_percent;
    int rc = plot_check_run(run_dir, &actions_rows, err);

    rc = rc == 0 ? plot_summary_overload_percent(run_dir, &overload_percent,
                                                 err) : rc;
    if (rc != 0) {
        return rc;
    }

    snprintf(name, sizeof name, "run%s", suffix);
    rc = plot_gnuplot_set_string(settings, PLOT_SETTINGS_LEN, name, run_dir);
    if (rc != 0) {
        return plot_settings_error(rc, run_dir, err);
    }
    snprintf(name, sizeof name, "overload_percent%s", suffix);
    rc = plot_gnuplot_set_number(settings, PLOT_SETTINGS_LEN, name,
                                 overload_percent);
    snprintf(name, sizeof name, "actions_rows%s", suffix);
    rc = rc == 0 ? plot_gnuplot_set_number(settings, PLOT_SETTINGS_LEN, name,
                                           (double)actions_rows) : rc;
    return plot_settings_error(rc, run_dir, err);
}

int plot_run_folder(const char *out_dir, FILE *err)
{
    static const struct {
        const char *name;
        const char *script;
    } plots[] = {
        {"load.gp", plot_script_load},
        {"latency.gp", plot_script_latency},
        {"instances.gp", plot_script_instances},
        {"placement.gp", plot_script_placement},
    };
    char gnuplot[PATH_MAX];
    char *settings = NULL;
    int rc = plot_find_gnuplot(gnuplot, sizeof gnuplot, err);

    if (rc != 0) {
        return rc;
    }
    settings = calloc(PLOT_SETTINGS_LEN, 1);
    if (settings == NULL) {
        return -ENOMEM;
    }

    rc = plot_add_run_settings(settings, out_dir, "", err);
    rc = rc == 0 ? plot_placement_prepare(out_dir, PLOT_TOP_TENANTS, err) : rc;
    for (size_t i = 0; rc == 0 && i < sizeof plots / sizeof plots[0]; i++) {
        const char *parts[] = {plot_script_common, plots[i].script};

        rc = plot_gnuplot_run(gnuplot, settings, parts, 2, plots[i].name, err);
    }

    free(settings);
    return rc;
}

/* Appends label<suffix>='the folder's last path component', or the path
 * itself when that component is "." or "..". */
static int plot_add_label(char *settings, const char *run_dir,
                          const char *suffix, FILE *err)
{
    char label[PATH_MAX];
    char name[64];
    size_t len = strlen(run_dir);
    const char *start;
    int rc;

    while (len > 1 && run_dir[len - 1] == '/') {
        len--;
    }
    start = run_dir + len;
    while (start > run_dir && start[-1] != '/') {
        start--;
    }
    snprintf(label, sizeof label, "%.*s", (int)(run_dir + len - start), start);
    if (label[0] == '\0' || strcmp(label, ".") == 0 ||
        strcmp(label, "..") == 0) {
        snprintf(label, sizeof label, "%s", run_dir);
    }

    snprintf(name, sizeof name, "label%s", suffix);
    rc = plot_gnuplot_set_string(settings, PLOT_SETTINGS_LEN, name, label);
    return plot_settings_error(rc, label, err);
}

int plot_compare_folders(const char *a_dir, const char *b_dir,
                         const char *out_prefix, FILE *err)
{
    char gnuplot[PATH_MAX];
    const char *parts[] = {plot_script_common, plot_script_compare};
    char *settings = NULL;
    int rc = plot_find_gnuplot(gnuplot, sizeof gnuplot, err);

    if (rc != 0) {
        return rc;
    }
    settings = calloc(PLOT_SETTINGS_LEN, 1);
    if (settings == NULL) {
        return -ENOMEM;
    }

    rc = plot_add_run_settings(settings, a_dir, "_a", err);
    rc = rc == 0 ? plot_add_run_settings(settings, b_dir, "_b", err) : rc;
    rc = rc == 0 ? plot_add_label(settings, a_dir, "_a", err) : rc;
    rc = rc == 0 ? plot_add_label(settings, b_dir, "_b", err) : rc;
    if (rc == 0) {
        rc = plot_gnuplot_set_string(settings, PLOT_SETTINGS_LEN, "out",
                                     out_prefix);
        rc = plot_settings_error(rc, out_prefix, err);
    }
    rc = rc == 0 ? plot_gnuplot_run(gnuplot, settings, parts, 2, "compare.gp",
                                    err) : rc;

    free(settings);
    return rc;
}
