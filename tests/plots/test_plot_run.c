/* Tests of plot_run_folder and plot_compare_folders on the fixture runs.
 * Every plot must be written, be a valid PNG and SVG, and show the data. A
 * missing gnuplot must be reported once, and bad input rejected with the
 * file named.
 * Usage: test_plot_run SOURCE_DIR SCRATCH_DIR, where SOURCE_DIR contains
 * the fixture and fixture-late run folders. */
#include "image_check.h"
#include "plot_run.h"
#include "test_files.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

/* The colours that common.gp gives instances 1 and 2 (linetypes 1, 2). */
#define COLOR_INSTANCE_1 0x1f77b4u
#define COLOR_INSTANCE_2 0xff7f0eu

/* A data line of the fixture has one point per second of its 180 s. */
#define MIN_DATA_POINTS 100

static const char *source_dir;
static const char *scratch_dir;

/* Copies fixture folder name into a new scratch folder. */
static void copy_fixture(const char *name, char *run, size_t run_len)
{
    char from[4096];

    plot_test_path(from, sizeof from, source_dir, name);
    assert_int_equal(plot_test_make_dir(scratch_dir, name, run, run_len), 0);
    assert_int_equal(plot_test_copy_dir(from, run), 0);
}

/* Loads dir/name and checks that it is a valid PNG of a plausible size
 * with more than a few colours. The caller frees png. */
static void load_png(const char *dir, const char *name, plot_png *png)
{
    char path[4096];
    char why[256] = "";

    plot_test_path(path, sizeof path, dir, name);
    if (plot_png_load(path, png, why, sizeof why) != 0) {
        fail_msg("%s: %s", path, why);
    }
    assert_true(png->width >= 800);
    assert_true(png->height >= 400);
    assert_true(plot_png_distinct_colors(png, 1000) > 8);
}

static void scan_svg(const char *dir, const char *name, plot_svg_stats *stats)
{
    char path[4096];
    char why[256] = "";

    plot_test_path(path, sizeof path, dir, name);
    if (plot_svg_scan(path, MIN_DATA_POINTS, stats, why, sizeof why) != 0) {
        fail_msg("%s: %s", path, why);
    }
}

/* Counts the segments on instance (1-based) in the placement helper file. */
static size_t count_segments(const char *run, unsigned instance)
{
    char *text = plot_test_read(run, "plot_placement_segments.csv");
    size_t count = 0;

    assert_non_null(text);
    for (char *line = strchr(text, '\n'); line != NULL && line[1] != '\0';
         line = strchr(line + 1, '\n')) {
        char *end = strchr(line + 1, '\n');
        const char *last;

        if (end != NULL) {
            *end = '\0';
        }
        last = strrchr(line + 1, ',');
        count += last != NULL && strtoul(last + 1, NULL, 10) == instance;
        if (end != NULL) {
            *end = '\n';
        }
    }
    free(text);
    return count;
}

static void run_folder_writes_load_plot(const char *run)
{
    plot_png png;
    plot_svg_stats svg;

    load_png(run, "load.png", &png);
    assert_true(plot_png_count_color(&png, COLOR_INSTANCE_1) > 200);
    assert_true(plot_png_count_color(&png, COLOR_INSTANCE_2) > 200);
    plot_png_free(&png);

    /* CPU and requests/s of both instances. */
    scan_svg(run, "load.svg", &svg);
    assert_true(svg.long_paths >= 4);
    assert_true(svg.long_path_colors >= 2);
}

static void run_folder_writes_latency_plot(const char *run)
{
    plot_png png;
    plot_svg_stats svg;

    load_png(run, "latency.png", &png);
    assert_true(plot_png_count_color(&png, COLOR_INSTANCE_1) > 200);
    plot_png_free(&png);

    /* p50, p95, p99 and failed requests. */
    scan_svg(run, "latency.svg", &svg);
    assert_true(svg.long_paths >= 4);
    assert_true(svg.long_path_colors >= 4);
}

static void run_folder_writes_instances_plot(const char *run)
{
    plot_png png;
    plot_svg_stats svg;

    load_png(run, "instances.png", &png);
    assert_true(plot_png_count_color(&png, COLOR_INSTANCE_1) > 200);
    plot_png_free(&png);

    scan_svg(run, "instances.svg", &svg);
    assert_true(svg.long_paths >= 1);
}

static void run_folder_writes_placement_plot(const char *run)
{
    char path[4096];
    size_t on_first = count_segments(run, 1);
    size_t on_second = count_segments(run, 2);
    plot_png png;

    load_png(run, "placement.png", &png);
    assert_true(plot_png_count_color(&png, COLOR_INSTANCE_1) > 5000);
    assert_true(plot_png_count_color(&png, COLOR_INSTANCE_2) > 2000);
    plot_png_free(&png);

    /* One filled box per segment, plus one key entry per instance. */
    plot_test_path(path, sizeof path, run, "placement.svg");
    assert_true(on_first > 0);
    assert_true(on_second > 0);
    assert_int_equal(plot_svg_count_fill(path, COLOR_INSTANCE_1), on_first + 1);
    assert_int_equal(plot_svg_count_fill(path, COLOR_INSTANCE_2), on_second + 1);
}

static void run_folder_writes_every_plot(void **state)
{
    char run[4096];

    (void)state;
    copy_fixture("fixture", run, sizeof run);
    assert_int_equal(plot_run_folder(run, stderr), 0);

    run_folder_writes_load_plot(run);
    run_folder_writes_latency_plot(run);
    run_folder_writes_instances_plot(run);
    run_folder_writes_placement_plot(run);
}

static void compare_writes_side_by_side(void **state)
{
    char a[4096];
    char b[4096];
    char out[4096];
    char path[4096];
    plot_png png;
    plot_svg_stats svg;
    char why[256] = "";

    (void)state;
    copy_fixture("fixture", a, sizeof a);
    copy_fixture("fixture-late", b, sizeof b);
    plot_test_path(out, sizeof out, a, "both");
    assert_int_equal(plot_compare_folders(a, b, out, stderr), 0);

    load_png(a, "both.png", &png);
    assert_true(plot_png_count_color(&png, COLOR_INSTANCE_2) > 200);
    plot_png_free(&png);
    plot_test_path(path, sizeof path, a, "both.svg");
    assert_int_equal(plot_svg_scan(path, MIN_DATA_POINTS, &svg, why,
                                   sizeof why), 0);
    /* Per run at least: CPU of i1, three percentiles, failed requests and
     * the instance count. */
    assert_true(svg.long_paths >= 2 * 6);
}

/* Runs fn with PATH set to an empty folder, output captured in text. */
static int run_without_gnuplot(int (*fn)(const char *, FILE *),
                               const char *run, char **text)
{
    char empty[4096];
    char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    size_t len = 0;
    FILE *err;
    int rc;

    assert_int_equal(plot_test_make_dir(scratch_dir, "no-gnuplot", empty,
                                        sizeof empty), 0);
    err = open_memstream(text, &len);
    assert_non_null(err);
    assert_int_equal(setenv("PATH", empty, 1), 0);
    rc = fn(run, err);
    if (saved != NULL) {
        setenv("PATH", saved, 1);
        free(saved);
    }
    fclose(err);
    return rc;
}

static int compare_with_itself(const char *run, FILE *err)
{
    char out[4096];

    plot_test_path(out, sizeof out, run, "self");
    return plot_compare_folders(run, run, out, err);
}

static void missing_gnuplot_is_reported_once(void **state)
{
    char run[4096];
    char *text = NULL;

    (void)state;
    copy_fixture("fixture", run, sizeof run);
    assert_int_equal(run_without_gnuplot(plot_run_folder, run, &text),
                     PLOT_GNUPLOT_MISSING);
    assert_int_equal(plot_test_count(text, "\n"), 1);
    assert_int_equal(plot_test_count(text, "skipped"), 1);
    assert_int_equal(plot_test_count(text, "gnuplot-nox"), 1);
    assert_false(plot_test_exists(run, "load.png"));
    assert_false(plot_test_exists(run, "placement.svg"));
    free(text);

    /* Later calls in the same process print nothing more. */
    assert_int_equal(run_without_gnuplot(plot_run_folder, run, &text),
                     PLOT_GNUPLOT_MISSING);
    assert_string_equal(text, "");
    free(text);
    assert_int_equal(run_without_gnuplot(compare_with_itself, run, &text),
                     PLOT_GNUPLOT_MISSING);
    assert_string_equal(text, "");
    assert_false(plot_test_exists(run, "self.png"));
    free(text);
}

/* Runs plot_run_folder on run, expecting -EINVAL and a message that
 * contains expected. */
static void expect_rejected(const char *run, const char *expected)
{
    char *text = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&text, &len);

    assert_non_null(err);
    assert_int_equal(plot_run_folder(run, err), -EINVAL);
    fclose(err);
    if (strstr(text, expected) == NULL) {
        fail_msg("expected '%s' in: %s", expected, text);
    }
    assert_false(plot_test_exists(run, "load.png"));
    free(text);
}

static void missing_timeseries_is_rejected(void **state)
{
    char run[4096];
    char path[4096];

    (void)state;
    copy_fixture("fixture", run, sizeof run);
    plot_test_path(path, sizeof path, run, "timeseries.csv");
    assert_int_equal(remove(path), 0);
    expect_rejected(run, "timeseries.csv");
}

static void missing_column_is_rejected(void **state)
{
    char run[4096];

    (void)state;
    copy_fixture("fixture", run, sizeof run);
    assert_int_equal(plot_test_write(run, "instances.csv",
                                     "time_s,instance,state,cpu_percent\n"
                                     "0,i1,active,50\n"), 0);
    expect_rejected(run, "instances.csv: the header has no column "
                         "'requests_per_s'");
}

static void instance_name_with_space_is_rejected(void **state)
{
    char run[4096];

    (void)state;
    copy_fixture("fixture", run, sizeof run);
    assert_int_equal(plot_test_write(run, "instances.csv",
                                     "time_s,instance,state,cpu_percent,"
                                     "requests_per_s\n"
                                     "0,i1,active,50,10\n"
                                     "1,i 2,active,50,10\n"), 0);
    expect_rejected(run, "instances.csv line 3: instance 'i 2'");
}

static void text_in_number_column_is_rejected(void **state)
{
    char run[4096];

    (void)state;
    copy_fixture("fixture", run, sizeof run);
    assert_int_equal(plot_test_write(run, "actions.csv",
                                     "time_s,action,instance,detail\n"
                                     "soon,scale_out,i2,\n"), 0);
    expect_rejected(run, "actions.csv line 2: column time_s is 'soon'");
}

/* Loads dir/name and checks only that it is a valid PNG. */
static void expect_valid_png(const char *dir, const char *name)
{
    char path[4096];
    char why[256] = "";
    plot_png png;

    plot_test_path(path, sizeof path, dir, name);
    if (plot_png_load(path, &png, why, sizeof why) != 0) {
        fail_msg("%s: %s", path, why);
    }
    plot_png_free(&png);
}

static void empty_placement_still_plots(void **state)
{
    char run[4096];

    (void)state;
    copy_fixture("fixture", run, sizeof run);
    assert_int_equal(plot_test_write(run, "placement.csv",
                                     "time_s,tenant,component,instance\n"), 0);
    assert_int_equal(plot_run_folder(run, stderr), 0);
    expect_valid_png(run, "placement.png");

    assert_int_equal(plot_test_write(run, "tenants.csv",
                                     "tenant,requests\n"), 0);
    assert_int_equal(plot_run_folder(run, stderr), 0);
    expect_valid_png(run, "placement.png");
}

static void empty_actions_still_plots(void **state)
{
    char run[4096];
    char *text = NULL;
    size_t len = 0;
    FILE *err;

    (void)state;
    copy_fixture("fixture", run, sizeof run);
    assert_int_equal(plot_test_write(run, "actions.csv",
                                     "time_s,action,instance,detail\n"), 0);
    err = open_memstream(&text, &len);
    assert_non_null(err);
    assert_int_equal(plot_run_folder(run, err), 0);
    fclose(err);
    /* No gnuplot warning about the empty file either. */
    assert_string_equal(text, "");
    free(text);
    expect_valid_png(run, "load.png");
}

static void path_with_quote_and_space_works(void **state)
{
    char parent[4096];
    char run[4096];
    char from[4096];

    (void)state;
    assert_int_equal(plot_test_make_dir(scratch_dir, "quote", parent,
                                        sizeof parent), 0);
    plot_test_path(run, sizeof run, parent, "it's a run");
    assert_int_equal(mkdir(run, 0755), 0);
    plot_test_path(from, sizeof from, source_dir, "fixture");
    assert_int_equal(plot_test_copy_dir(from, run), 0);

    assert_int_equal(plot_run_folder(run, stderr), 0);
    assert_true(plot_test_exists(run, "load.png"));
    assert_true(plot_test_exists(run, "placement.svg"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(run_folder_writes_every_plot),
        cmocka_unit_test(compare_writes_side_by_side),
        cmocka_unit_test(missing_gnuplot_is_reported_once),
        cmocka_unit_test(missing_timeseries_is_rejected),
        cmocka_unit_test(missing_column_is_rejected),
        cmocka_unit_test(instance_name_with_space_is_rejected),
        cmocka_unit_test(text_in_number_column_is_rejected),
        cmocka_unit_test(path_with_quote_and_space_works),
        cmocka_unit_test(empty_placement_still_plots),
        cmocka_unit_test(empty_actions_still_plots),
    };

    if (argc != 3) {
        fprintf(stderr, "usage: %s SOURCE_DIR SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    source_dir = argv[1];
    scratch_dir = argv[2];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
