/* Scratch folders and file helpers shared by the plot tests. */
#ifndef PLOT_TEST_FILES_H
#define PLOT_TEST_FILES_H

#include <stddef.h>

/* Creates a new folder parent/prefix-XXXXXX, and parent first when it is
 * missing. The new folder's path goes into out. Returns 0 or -1. */
int plot_test_make_dir(const char *parent, const char *prefix, char *out,
                       size_t out_len);

/* Writes dir/name into out, failing the test when it does not fit. */
void plot_test_path(char *out, size_t out_len, const char *dir,
                    const char *name);

/* Copies the regular files of from_dir into to_dir (which must exist).
 * Returns 0 or -1. */
int plot_test_copy_dir(const char *from_dir, const char *to_dir);

/* Writes text to dir/name. Returns 0 or -1. */
int plot_test_write(const char *dir, const char *name, const char *text);

/* Returns the malloc'd contents of dir/name, or NULL. */
char *plot_test_read(const char *dir, const char *name);

/* Returns 1 when dir/name exists. */
int plot_test_exists(const char *dir, const char *name);

/* Number of non-overlapping occurrences of needle in text. */
size_t plot_test_count(const char *text, const char *needle);

#endif
