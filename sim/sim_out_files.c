/* Writes every output file of a run into one folder. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim_out.h"
#include "sim_out_dir.h"

typedef int (*sim_out_writer)(FILE *out, const sim_run_result *run);

static int sim_out_marker(FILE *out, const sim_run_result *run);

typedef struct sim_out_file {
    const char *name;
    sim_out_writer write;
} sim_out_file;

static const sim_out_file sim_out_files[] = {
    {"trace.csv", sim_out_trace_csv},
    {"timeseries.csv", sim_out_timeseries_csv},
    {"instances.csv", sim_out_instances_csv},
    {"placement.csv", sim_out_placement_csv},
    {"actions.csv", sim_out_actions_csv},
    {"tenants.csv", sim_out_tenants_csv},
    {"sequence.mmd", sim_out_sequence_mmd},
    {"controller.log", sim_out_controller_log},
    {"junit.xml", sim_out_junit_xml},
    {"summary.json", sim_out_summary_json},
    /* Last: only a folder that contains it may be replaced by a later run. */
    {SIM_OUT_MARKER, sim_out_marker},
};

static int sim_out_marker(FILE *out, const sim_run_result *run)
{
    (void)run;
    fputs("This folder was written by lbsim. The next lbsim run of the same "
          "scenario\ninto the same --out folder replaces it whole.\n",
          out);
    return ferror(out) ? -EIO : 0;
}

static int sim_out_write_file(const char *dir, const sim_out_file *file,
                              const sim_run_result *run, char *err,
                              size_t err_len)
{
    char path[4200];
    FILE *out;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", dir, file->name);
    out = fopen(path, "w");
    if (out == NULL) {
        rc = -errno;
        snprintf(err, err_len, "%s: cannot create: %s", path, strerror(errno));
        return rc;
    }
    rc = file->write(out, run);
    if (fclose(out) != 0 && rc == 0) {
        rc = -EIO;
    }
    if (rc != 0) {
        snprintf(err, err_len, "%s: cannot write: %s", path, strerror(-rc));
    }
    return rc;
}

int sim_out_write_all(const char *dir, const sim_run_result *run, char *err,
                      size_t err_len)
{
    int rc = 0;

    for (size_t i = 0;
         rc == 0 && i < sizeof(sim_out_files) / sizeof(sim_out_files[0]);
         i++) {
        rc = sim_out_write_file(dir, &sim_out_files[i], run, err, err_len);
    }
    return rc;
}
