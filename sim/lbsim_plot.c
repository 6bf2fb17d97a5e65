/* The plots of an output folder, drawn by the plots library when this build
 * has it. */
#include "lbsim.h"

#include <errno.h>
#include <stdio.h>

#ifdef LBSIM_HAVE_PLOTS
#include "plot_gnuplot.h"
#include "plot_run.h"
#endif

#ifdef LBSIM_HAVE_PLOTS
/* For the plot command, drawing is the whole job: without gnuplot it fails
 * before the plots library prints its notice for runs. */
static int lbsim_require_gnuplot(void)
{
    char path[4096];

    if (plot_gnuplot_find(path, sizeof(path)) == PLOT_GNUPLOT_MISSING) {
        fprintf(stderr,
                "lbsim: plot: gnuplot was not found on PATH, so nothing was "
                "drawn. Install the Debian package gnuplot-nox (apt-get "
                "install gnuplot-nox).\n");
        return PLOT_GNUPLOT_MISSING;
    }
    return 0;
}
#endif

int lbsim_plot(const char *out_dir, bool gnuplot_required)
{
#ifdef LBSIM_HAVE_PLOTS
    int rc = gnuplot_required ? lbsim_require_gnuplot() : 0;

    if (rc == 0) {
        rc = plot_run_folder(out_dir, stderr);
    }
    /* After a run, missing gnuplot is a notice that plot_run_folder printed
     * once, with the package to install: the run still counts. */
    return rc == PLOT_GNUPLOT_MISSING && !gnuplot_required ? 0 : rc;
#else
    (void)gnuplot_required;
    fprintf(stderr, "lbsim: %s: this lbsim was built without plots/\n",
            out_dir);
    return -ENOSYS;
#endif
}

int lbsim_plot_compare(const char *a_dir, const char *b_dir,
                       const char *out_prefix)
{
#ifdef LBSIM_HAVE_PLOTS
    int rc = lbsim_require_gnuplot();

    if (rc == 0) {
        rc = plot_compare_folders(a_dir, b_dir, out_prefix, stderr);
    }
    return rc;
#else
    (void)b_dir;
    (void)out_prefix;
    fprintf(stderr, "lbsim: %s: this lbsim was built without plots/\n",
            a_dir);
    return -ENOSYS;
#endif
}
