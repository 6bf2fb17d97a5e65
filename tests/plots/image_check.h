/* Checks that an image file written by gnuplot is valid and shows data.
 *
 * PNG: the signature, every chunk's CRC and the IHDR header are checked,
 * and the image data are inflated (zlib) and unfiltered into pixels, so
 * that colours can be counted. Only what gnuplot writes is supported: 8
 * bits per sample, no interlacing. SVG: the <path> elements are scanned
 * for their points and colours. */
#ifndef PLOT_IMAGE_CHECK_H
#define PLOT_IMAGE_CHECK_H

#include <stddef.h>
#include <stdint.h>

typedef struct plot_png {
    uint32_t width;
    uint32_t height;
    uint32_t *pixels; /* width * height colours as 0xRRGGBB, row by row */
} plot_png;

/* Loads path into png. Returns 0, or -1 with the reason in why. */
int plot_png_load(const char *path, plot_png *png, char *why, size_t why_len);
void plot_png_free(plot_png *png);

/* Number of distinct colours, counted up to limit. */
size_t plot_png_distinct_colors(const plot_png *png, size_t limit);

/* Number of pixels of exactly colour rgb (0xRRGGBB). */
size_t plot_png_count_color(const plot_png *png, uint32_t rgb);

typedef struct plot_svg_stats {
    size_t paths;            /* <path> elements */
    size_t long_paths;       /* paths with at least min_points points */
    size_t long_path_colors; /* distinct stroke colours of the long paths */
} plot_svg_stats;

/* Scans the SVG file path. Returns 0, or -1 with the reason in why when the
 * file is unreadable or is not a complete SVG document. */
int plot_svg_scan(const char *path, size_t min_points, plot_svg_stats *stats,
                  char *why, size_t why_len);

/* Number of elements in the SVG file filled with colour rgb (0xRRGGBB),
 * or 0 when the file is unreadable. */
size_t plot_svg_count_fill(const char *path, uint32_t rgb);

/* Writes a width x height PNG of one colour, for tests of the checks. */
int plot_png_write_blank(const char *path, uint32_t width, uint32_t height,
                         uint32_t rgb);

#endif
