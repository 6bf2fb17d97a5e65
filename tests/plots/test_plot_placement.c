/* Tests of the placement helper files on small runs written by the test,
 * where the expected files can be worked out by hand.
 * Usage: test_plot_placement SOURCE_DIR SCRATCH_DIR. */
#include "plot_placement.h"
#include "test_files.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *source_dir;
static const char *scratch_dir;

/* Three tenants (a heaviest, c lightest) on two instances over 20 s. At
 * t=10 tenant a moves both components to i2 and tenant c disappears. */
static void write_small_run(char *run, size_t run_len)
{
    assert_int_equal(plot_test_make_dir(scratch_dir, "small", run, run_len), 0);
    assert_int_equal(plot_test_write(run, "tenants.csv",
        "tenant,requests\n"
        "c,100\n"
        "a,600\n"
        "b,300\n"), 0);
    assert_int_equal(plot_test_write(run, "instances.csv",
        "time_s,instance,state,cpu_percent,requests_per_s\n"
        "0,i1,active,50,10\n"
        "10,i2,active,50,10\n"), 0);
    assert_int_equal(plot_test_write(run, "timeseries.csv",
        "time_s,instances\n"
        "0,1\n"
        "20,2\n"), 0);
    assert_int_equal(plot_test_write(run, "placement.csv",
        "time_s,tenant,component,instance\n"
        "0,a,DEV,i1\n"
        "0,a,DEP,i1\n"
        "0,b,DEV,i1\n"
        "0,c,DEV,i1\n"
        "10,a,DEV,i2\n"
        "10,a,DEP,i2\n"
        "10,b,DEV,i1\n"), 0);
}

static void expect_file(const char *run, const char *name,
                        const char *expected)
{
    char *text = plot_test_read(run, name);

    assert_non_null(text);
    assert_string_equal(text, expected);
    free(text);
}

static void small_run_gives_expected_files(void **state)
{
    char run[4096];

    (void)state;
    write_small_run(run, sizeof run);
    assert_int_equal(plot_placement_prepare(run, 1, stderr), 0);

    expect_file(run, "plot_placement_info.csv",
                "components,instances,top_tenants,other_tenants,tables,"
                "segments,end_s\n"
                "DEV DEP,i1 i2,1,2,2,4,20\n");
    expect_file(run, "plot_placement_rows.csv",
                "row,tenant,label\n"
                "1,a,a 60.0 %\n");
    /* Two stripes of 0.4 in row 1: DEV on top, DEP below. */
    expect_file(run, "plot_placement_segments.csv",
                "start_s,end_s,y_low,y_high,instance\n"
                "0,10,1.000000,1.400000,1\n"
                "0,10,0.600000,1.000000,1\n"
                "10,20,1.000000,1.400000,2\n"
                "10,20,0.600000,1.000000,2\n");
    /* b and c on i1 until c leaves at 10. */
    expect_file(run, "plot_placement_other.csv",
                "time_s,instance,tenants\n"
                "0,1,2\n"
                "0,2,0\n"
                "10,1,1\n"
                "10,2,0\n"
                "20,1,1\n"
                "20,2,0\n");
}

static void one_left_over_tenant_gets_row(void **state)
{
    char run[4096];
    char *rows;

    (void)state;
    write_small_run(run, sizeof run);
    assert_int_equal(plot_placement_prepare(run, 2, stderr), 0);

    /* With one tenant left over, it gets a row of its own. */
    rows = plot_test_read(run, "plot_placement_rows.csv");
    assert_non_null(rows);
    assert_string_equal(rows, "row,tenant,label\n"
                              "3,a,a 60.0 %\n"
                              "2,b,b 30.0 %\n"
                              "1,c,c 10.0 %\n");
    free(rows);
}

static void out_of_order_table_is_rejected(void **state)
{
    char run[4096];
    char *text = NULL;
    size_t len = 0;
    FILE *err;

    (void)state;
    write_small_run(run, sizeof run);
    assert_int_equal(plot_test_write(run, "placement.csv",
        "time_s,tenant,component,instance\n"
        "10,a,DEV,i1\n"
        "5,a,DEV,i2\n"), 0);
    err = open_memstream(&text, &len);
    assert_non_null(err);
    assert_int_equal(plot_placement_prepare(run, 1, err), -EINVAL);
    fclose(err);
    assert_non_null(strstr(text, "placement.csv line 3: time_s 5 is earlier"));
    free(text);
}

static void fixture_moves_four_heaviest(void **state)
{
    char from[4096];
    char run[4096];
    char *segments;
    size_t moved = 0;

    (void)state;
    plot_test_path(from, sizeof from, source_dir, "fixture");
    assert_int_equal(plot_test_make_dir(scratch_dir, "fixture", run,
                                        sizeof run), 0);
    assert_int_equal(plot_test_copy_dir(from, run), 0);
    assert_int_equal(plot_placement_prepare(run, 15, stderr), 0);

    expect_file(run, "plot_placement_info.csv",
                "components,instances,top_tenants,other_tenants,tables,"
                "segments,end_s\n"
                "DEV DEP DFC,i1 i2,15,35,2,57,180\n");

    /* The four heaviest tenants (rows 15 to 12), three components each,
     * are on i2 from the second routing table at 61 s to the end. */
    segments = plot_test_read(run, "plot_placement_segments.csv");
    assert_non_null(segments);
    for (char *line = strtok(segments, "\n"); line != NULL;
         line = strtok(NULL, "\n")) {
        double start_s, end_s, y_low, y_high;
        unsigned instance;

        if (sscanf(line, "%lf,%lf,%lf,%lf,%u", &start_s, &end_s, &y_low,
                   &y_high, &instance) != 5 || instance != 2) {
            continue;
        }
        assert_true(start_s == 61 && end_s == 180);
        assert_true(y_low > 11.5);
        moved++;
    }
    assert_int_equal(moved, 12);
    free(segments);
}

static void helper_files_are_deterministic(void **state)
{
    static const char *const files[] = {
        "plot_placement_info.csv", "plot_placement_rows.csv",
        "plot_placement_segments.csv", "plot_placement_other.csv"};
    char from[4096];
    char first[4096];
    char second[4096];

    (void)state;
    plot_test_path(from, sizeof from, source_dir, "fixture");
    assert_int_equal(plot_test_make_dir(scratch_dir, "once", first,
                                        sizeof first), 0);
    assert_int_equal(plot_test_make_dir(scratch_dir, "twice", second,
                                        sizeof second), 0);
    assert_int_equal(plot_test_copy_dir(from, first), 0);
    assert_int_equal(plot_test_copy_dir(from, second), 0);
    assert_int_equal(plot_placement_prepare(first, 15, stderr), 0);
    assert_int_equal(plot_placement_prepare(second, 15, stderr), 0);

    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *a = plot_test_read(first, files[i]);
        char *b = plot_test_read(second, files[i]);

        assert_non_null(a);
        assert_non_null(b);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_run_gives_expected_files),
        cmocka_unit_test(one_left_over_tenant_gets_row),
        cmocka_unit_test(out_of_order_table_is_rejected),
        cmocka_unit_test(fixture_moves_four_heaviest),
        cmocka_unit_test(helper_files_are_deterministic),
    };

    if (argc != 3) {
        fprintf(stderr, "usage: %s SOURCE_DIR SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    source_dir = argv[1];
    scratch_dir = argv[2];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
