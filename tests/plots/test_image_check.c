/* Tests that the image checks of the plot tests can fail: a blank PNG has
 * one colour, a corrupted PNG is rejected, an SVG without data has no long
 * paths. Usage: test_image_check SCRATCH_DIR. */
#include "image_check.h"
#include "test_files.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *scratch_dir;

static void blank_png(char *path, size_t path_len)
{
    char dir[4096];

    assert_int_equal(plot_test_make_dir(scratch_dir, "png", dir, sizeof dir),
                     0);
    plot_test_path(path, path_len, dir, "blank.png");
    assert_int_equal(plot_png_write_blank(path, 640, 480, 0xffffffu), 0);
}

static void blank_png_has_one_color(void **state)
{
    char path[4096];
    char why[256] = "";
    plot_png png;

    (void)state;
    blank_png(path, sizeof path);
    if (plot_png_load(path, &png, why, sizeof why) != 0) {
        fail_msg("%s", why);
    }
    assert_int_equal(png.width, 640);
    assert_int_equal(png.height, 480);
    assert_int_equal(plot_png_distinct_colors(&png, 1000), 1);
    assert_int_equal(plot_png_count_color(&png, 0xffffffu), 640 * 480);
    plot_png_free(&png);
}

static void corrupted_png_is_rejected(void **state)
{
    char path[4096];
    char why[256] = "";
    plot_png png;
    FILE *file;

    (void)state;
    blank_png(path, sizeof path);
    /* Byte 45 lies in the IDAT data: the signature and IHDR take 33 bytes,
     * the IDAT length and type 8 more. */
    file = fopen(path, "r+b");
    assert_non_null(file);
    assert_int_equal(fseek(file, 45, SEEK_SET), 0);
    assert_int_equal(fputc(0x55, file), 0x55);
    assert_int_equal(fclose(file), 0);

    assert_int_equal(plot_png_load(path, &png, why, sizeof why), -1);
    assert_non_null(strstr(why, "CRC mismatch in chunk IDAT"));
}

static void svg_without_data_has_no_long_paths(void **state)
{
    char dir[4096];
    char path[4096];
    char why[256] = "";
    plot_svg_stats stats;

    (void)state;
    assert_int_equal(plot_test_make_dir(scratch_dir, "svg", dir, sizeof dir),
                     0);
    assert_int_equal(plot_test_write(dir, "axes.svg",
        "<svg>\n<path stroke='black' d='M1,1 L1,9 L9,9 L9,1 Z'/>\n</svg>\n"),
        0);
    plot_test_path(path, sizeof path, dir, "axes.svg");
    assert_int_equal(plot_svg_scan(path, 100, &stats, why, sizeof why), 0);
    assert_int_equal(stats.paths, 1);
    assert_int_equal(stats.long_paths, 0);

    assert_int_equal(plot_test_write(dir, "cut.svg", "<svg>\n<path d='M1,1"),
                     0);
    plot_test_path(path, sizeof path, dir, "cut.svg");
    assert_int_equal(plot_svg_scan(path, 100, &stats, why, sizeof why), -1);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blank_png_has_one_color),
        cmocka_unit_test(corrupted_png_is_rejected),
        cmocka_unit_test(svg_without_data_has_no_long_paths),
    };

    if (argc != 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    scratch_dir = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
