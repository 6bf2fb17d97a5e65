/* The plots of an output folder, drawn by the plots library when this build
 * has it. */
#include "lbsim.h"

#include <errno.h>
#include <stdio.h>

#ifdef LBSIM_HAVE_PLOTS
#include "plot_run.h"
#endif

int lbsim_plot(const char *out_dir)
{
#ifdef LBSIM_HAVE_PLOTS
    int rc = plot_run_folder(out_dir, stderr);

    /* Without gnuplot the run still counts: plot_run_folder printed which
     * package to install. */
    return rc == PLOT_GNUPLOT_MISSING ? 0 : rc;
#else
    fprintf(stderr, "lbsim: %s: this lbsim was built without plots/\n",
            out_dir);
    return -ENOSYS;
#endif
}

int lbsim_plot_compare(const char *a_dir, const char *b_dir,
                       const char *out_prefix)
{
#ifdef LBSIM_HAVE_PLOTS
    int rc = plot_compare_folders(a_dir, b_dir, out_prefix, stderr);

    return rc == PLOT_GNUPLOT_MISSING ? 0 : rc;
#else
    (void)b_dir;
    (void)out_prefix;
    fprintf(stderr, "lbsim: %s: this lbsim was built without plots/\n",
            a_dir);
    return -ENOSYS;
#endif
}
