/* Finding and running the gnuplot executable. */
#ifndef PLOT_GNUPLOT_H
#define PLOT_GNUPLOT_H

#include <stddef.h>
#include <stdio.h>

/* Searches PATH (or the system's default path when PATH is unset) for an
 * executable file named gnuplot and copies its path into path. Returns 0,
 * PLOT_GNUPLOT_MISSING, or -ENAMETOOLONG. */
int plot_gnuplot_find(char *path, size_t path_len);

/* Appends a gnuplot assignment name='value' and a "; " separator to buf
 * (NUL-terminated, buf_len bytes in all). The value is quoted so that
 * gnuplot reads it back unchanged: a single quote is doubled. Returns 0,
 * -EINVAL when value contains a control character (which gnuplot's -e
 * option cannot carry), or -ENAMETOOLONG when buf is too small. */
int plot_gnuplot_set_string(char *buf, size_t buf_len, const char *name,
                            const char *value);

/* Appends name=value; with a number. Same returns as above. */
int plot_gnuplot_set_number(char *buf, size_t buf_len, const char *name,
                            double value);

/* Runs gnuplot (path from plot_gnuplot_find) on the gnuplot commands in
 * settings (run first, as with -e) and then on the concatenated script
 * parts, which are written to a temporary file that is removed afterwards.
 * gnuplot's own messages are copied to err, each line prefixed with
 * "gnuplot: ". script_name names the script in error messages. Returns 0,
 * or -EIO when gnuplot could not be started or exited with an error. */
int plot_gnuplot_run(const char *gnuplot, const char *settings,
                     const char *const *script_parts, size_t part_count,
                     const char *script_name, FILE *err);

#endif
