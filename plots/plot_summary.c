/* The few values the plots take from a run's summary.json.
 *
 * NOTE: this is a key search, not a JSON parser: it takes the first
 * "overload_cpu_permille" key of the file, at any depth. The plots need one
 * number, and lbsim writes each policy parameter once. */
#include "plot_summary.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* summary.json is a few kilobytes; a larger file is read only this far. */
#define PLOT_SUMMARY_MAX_BYTES (1 << 20)

static char *plot_read_text(const char *path)
{
    FILE *file = fopen(path, "r");
    char *text;
    size_t len;

    if (file == NULL) {
        return NULL;
    }
    text = malloc(PLOT_SUMMARY_MAX_BYTES + 1);
    if (text != NULL) {
        len = fread(text, 1, PLOT_SUMMARY_MAX_BYTES, file);
        text[len] = '\0';
    }
    fclose(file);
    return text;
}

int plot_summary_overload_percent(const char *run_dir, double *percent,
                                  FILE *err)
{
    static const char key[] = "\"overload_cpu_permille\"";
    char path[4096];
    char *text;
    const char *at;
    char *end = NULL;
    double permille = NAN;

    *percent = NAN;
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    text = plot_read_text(path);
    at = text != NULL ? strstr(text, key) : NULL;
    if (at == NULL) {
        free(text);
        return 0;
    }

    at += strlen(key);
    at += strspn(at, " \t\r\n");
    if (*at == ':') {
        at++;
        permille = strtod(at, &end);
    }
    if (end == NULL || end == at || !isfinite(permille)) {
        fprintf(err, "plots: %s: overload_cpu_permille is not followed by a "
                "number\n", path);
        free(text);
        return -EINVAL;
    }
    *percent = permille / 10.0;
    free(text);
    return 0;
}
