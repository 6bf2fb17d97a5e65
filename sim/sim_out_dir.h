/* Output folders that appear whole or not at all.
 *
 * A run writes into a fresh temporary folder beside the final one and
 * renames it into place at the end. So a failed run leaves no half-written
 * outputs, and an earlier run's folder stays until the new one is
 * complete. */
#ifndef SIM_OUT_DIR_H
#define SIM_OUT_DIR_H

#include <stddef.h>

/* Maximum length of an output folder path, in bytes. */
#define SIM_OUT_PATH_MAX 4096

/* The file that marks a folder as lbsim's own output folder, written last. */
#define SIM_OUT_MARKER ".lbsim-output"

/* Creates every missing folder of path, like mkdir -p. Returns 0 or a
 * negative errno value. */
int sim_out_mkdirs(const char *path);

/* Writes the folder part of path ("." when it has none) into buf. */
void sim_out_parent_dir(const char *path, char *buf, size_t buf_len);

/* Creates the parents of final_dir and a temporary folder beside it, whose
 * path goes to tmp_dir (SIM_OUT_PATH_MAX bytes). Returns 0 or a negative
 * errno value with a message in err. */
int sim_out_dir_begin(const char *final_dir, char *tmp_dir, char *err,
                      size_t err_len);

/* Moves tmp_dir to final_dir. An existing final_dir is replaced, with all it
 * holds, only when it contains SIM_OUT_MARKER, that is when an earlier lbsim
 * run wrote it. Returns
 * 0 or a negative errno value with a message in err; tmp_dir is removed
 * either way. */
int sim_out_dir_commit(const char *tmp_dir, const char *final_dir, char *err,
                       size_t err_len);

/* Removes tmp_dir and everything in it. */
void sim_out_dir_abort(const char *tmp_dir);

#endif
