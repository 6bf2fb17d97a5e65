/* Output folders: a temporary folder, renamed into place when complete. */
#define _XOPEN_SOURCE 700
#include "sim_out_dir.h"

#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sim_out_mkdirs(const char *path)
{
    char buf[SIM_OUT_PATH_MAX];
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof(buf)) {
        return -ENAMETOOLONG;
    }
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') {
            continue;
        }
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            return -errno;
        }
        buf[i] = saved;
    }
    return 0;
}

void sim_out_parent_dir(const char *path, char *buf, size_t buf_len)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL) {
        snprintf(buf, buf_len, ".");
    } else if (slash == path) {
        snprintf(buf, buf_len, "/");
    } else {
        snprintf(buf, buf_len, "%.*s", (int)(slash - path), path);
    }
}

int sim_out_dir_begin(const char *final_dir, char *tmp_dir, char *err,
                      size_t err_len)
{
    char parent[SIM_OUT_PATH_MAX];
    int rc;

    sim_out_parent_dir(final_dir, parent, sizeof(parent));
    rc = sim_out_mkdirs(parent);
    if (rc != 0) {
        snprintf(err, err_len, "%s: cannot create the folder: %s", parent,
                 strerror(-rc));
        return rc;
    }
    if (snprintf(tmp_dir, SIM_OUT_PATH_MAX, "%s.tmp-XXXXXX", final_dir) >=
        SIM_OUT_PATH_MAX) {
        snprintf(err, err_len, "%s: output path too long", final_dir);
        return -ENAMETOOLONG;
    }
    if (mkdtemp(tmp_dir) == NULL) {
        rc = -errno;
        snprintf(err, err_len, "%s: cannot create a temporary folder: %s",
                 tmp_dir, strerror(errno));
        return rc;
    }
    return 0;
}

static int sim_remove_cb(const char *path, const struct stat *info, int flag,
                         struct FTW *ftw)
{
    (void)info;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void sim_out_dir_abort(const char *tmp_dir)
{
    nftw(tmp_dir, sim_remove_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Checks that an existing final_dir was written by lbsim before it is
 * replaced: lbsim must never delete a folder it did not create. */
static int sim_check_replaceable(const char *final_dir, char *err,
                                 size_t err_len)
{
    char marker[SIM_OUT_PATH_MAX + 32];

    snprintf(marker, sizeof(marker), "%s/%s", final_dir, SIM_OUT_MARKER);
    if (access(marker, F_OK) == 0) {
        return 0;
    }
    snprintf(err, err_len,
             "%s: the output folder exists and is not an lbsim output folder "
             "(it has no %s file); choose another --out folder or remove it",
             final_dir, SIM_OUT_MARKER);
    return -EEXIST;
}

int sim_out_dir_commit(const char *tmp_dir, const char *final_dir, char *err,
                       size_t err_len)
{
    char old_dir[SIM_OUT_PATH_MAX + 16];
    struct stat info;
    bool replacing = stat(final_dir, &info) == 0;
    int rc = 0;

    err[0] = '\0';
    if (replacing) {
        rc = sim_check_replaceable(final_dir, err, err_len);
        snprintf(old_dir, sizeof(old_dir), "%s.old-XXXXXX", final_dir);
        if (rc == 0 && mkdtemp(old_dir) == NULL) {
            rc = -errno;
        }
        /* rename replaces the empty folder that mkdtemp reserved. */
        if (rc == 0 && rename(final_dir, old_dir) != 0) {
            rc = -errno;
            rmdir(old_dir);
        }
    }
    if (rc == 0 && rename(tmp_dir, final_dir) != 0) {
        rc = -errno;
    }
    if (rc != 0) {
        if (err[0] == '\0' || rc != -EEXIST) {
            snprintf(err, err_len, "%s: cannot move the outputs into place: %s",
                     final_dir, strerror(-rc));
        }
        sim_out_dir_abort(tmp_dir);
        return rc;
    }
    if (replacing) {
        sim_out_dir_abort(old_dir);
    }
    return 0;
}
