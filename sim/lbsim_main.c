/* lbsim's command line: run, check, validate and plot.
 *
 * Every file is loaded and checked before anything runs, so that a bad file
 * stops the command with exit status 2 before it writes any output. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lbsim.h"
#include "sim_out.h"
#include "sim_out_dir.h"

#ifndef LBSIM_VERSION
#define LBSIM_VERSION "unknown"
#endif

typedef enum lbsim_command {
    LBSIM_RUN,
    LBSIM_CHECK,
    LBSIM_VALIDATE,
    LBSIM_PLOT,
} lbsim_command;

static const char lbsim_usage[] =
    "usage: lbsim run FILE... [--seed N] [--out DIR] [--plot]\n"
    "       lbsim check FILE... [--junit FILE] [--seed N] [--out DIR] "
    "[--plot]\n"
    "       lbsim validate FILE...\n"
    "       lbsim plot OUTDIR... | lbsim plot --compare PREFIX DIR_A DIR_B\n"
    "       lbsim <command> --help | lbsim --help | lbsim --version\n";

static const char lbsim_help[] =
    "lbsim runs the LB controller against a simulated topology, as scenario\n"
    "files describe it, and checks what it did. Scenario files are YAML; see\n"
    "docs/scenario-format.md.\n"
    "\n"
    "commands:\n"
    "  run       run each scenario and write its output folder\n"
    "  check     run each scenario and report whether every expectation held\n"
    "  validate  load each scenario file and report the first error in it\n"
    "  plot      draw the plots of output folders that run or check wrote\n"
    "\n"
    "exit status: 0 when everything held, 1 when an expectation failed\n"
    "(check), 2 on bad usage, a bad scenario file or a run that failed.\n"
    "'lbsim <command> --help' describes a command's options. Options may\n"
    "come before or after the files; '--' ends them, so that the files\n"
    "after it may start with '-'.\n";

static const char lbsim_help_run[] =
    "Runs each scenario file and writes its outputs to DIR/<scenario name>:\n"
    "trace.csv, timeseries.csv, instances.csv, placement.csv, actions.csv,\n"
    "tenants.csv, controller.log, summary.json, sequence.mmd and junit.xml,\n"
    "and the marker .lbsim-output: an existing folder is replaced only when\n"
    "it has that marker.\n"
    "The same file and seed give the same bytes. Prints the seed first, then\n"
    "one verdict line per scenario. The exit status does not depend on the\n"
    "verdicts: 0, or 2 on bad input or a run that failed.\n"
    "\n"
    "options:\n"
    "  --seed N   root seed of every random stream, replacing the file's seed\n"
    "  --out DIR  parent folder of the output folders (default: out)\n"
    "  --plot     also draw the plots (PNG and SVG) into each output folder\n";

static const char lbsim_help_check[] =
    "Runs each scenario file like 'lbsim run', then prints for each a verdict\n"
    "line and, for a failed expectation, what failed: for a sequence, the step\n"
    "not seen, the last step that matched and the messages around the\n"
    "deadline. Each sequence step counts as one expectation; the steps after\n"
    "a missed one are not checked. With several files it ends with a table\n"
    "of verdicts.\n"
    "Exit status: 0 when every expectation held, 1 when one failed, 2 on bad\n"
    "input.\n"
    "\n"
    "options:\n"
    "  --junit FILE  also write one JUnit XML report for all files to FILE\n"
    "                (checked before the first run; its folder is created)\n"
    "  --seed N      root seed of every random stream, replacing the file's\n"
    "                seed\n"
    "  --out DIR     parent folder of the output folders (default: out)\n"
    "  --plot        also draw the plots into each output folder\n";

static const char lbsim_help_validate[] =
    "Loads each scenario file and checks every key, type, name and data file\n"
    "it refers to, and builds its simulated world without running it, so a\n"
    "file that validate accepts is one that run accepts. Prints 'FILE: valid'\n"
    "or the first error as FILE:LINE:COLUMN: key 'KEY': expected ..., got ....\n"
    "Exit status: 0 when every file is valid, 2 otherwise.\n";

static const char lbsim_help_plot[] =
    "Draws load, latency, instance and placement plots (PNG and SVG) into\n"
    "each output folder, from the CSV files that run or check wrote there.\n"
    "Runs gnuplot, which must be on PATH (Debian package gnuplot-nox);\n"
    "without it nothing is drawn and the exit status is 2. (run and check\n"
    "with --plot only print a notice then, and keep their exit status.)\n"
    "Exit status: 0 when every folder was drawn, 2 otherwise.\n"
    "\n"
    "options:\n"
    "  --compare PREFIX  draw exactly two output folders side by side on the\n"
    "                    same scales (for example two policies on one seed)\n"
    "                    into PREFIX.png and PREFIX.svg\n";

typedef struct lbsim_args {
    lbsim_command command;
    lbsim_options options;
    size_t file_count;
    char **files;
} lbsim_args;

static int lbsim_usage_error(const char *format, const char *value)
{
    fprintf(stderr, "lbsim: ");
    fprintf(stderr, format, value);
    fprintf(stderr, "\n%s", lbsim_usage);
    return LBSIM_EXIT_BAD_INPUT;
}

static const char *lbsim_command_help(lbsim_command command)
{
    const char *texts[] = {lbsim_help_run, lbsim_help_check,
                           lbsim_help_validate, lbsim_help_plot};

    return texts[command];
}

/* Reads the value of option name, given as "--name=V" or "--name V". */
static const char *lbsim_option_value(int argc, char **argv, int *index,
                                      const char *name)
{
    const char *arg = argv[*index];
    size_t len = strlen(name);

    if (strncmp(arg, name, len) != 0) {
        return NULL;
    }
    if (arg[len] == '=') {
        return arg + len + 1;
    }
    if (arg[len] == '\0' && *index + 1 < argc) {
        return argv[++*index];
    }
    return NULL;
}

static bool lbsim_option_is(const char *arg, const char *name)
{
    size_t len = strlen(name);

    return strncmp(arg, name, len) == 0 &&
           (arg[len] == '\0' || arg[len] == '=');
}

static int lbsim_parse_seed(const char *text, uint64_t *seed)
{
    char *end = NULL;

    if (text[0] < '0' || text[0] > '9') {
        return -EINVAL;
    }
    errno = 0;
    *seed = strtoull(text, &end, 10);
    return errno != 0 || *end != '\0' ? -EINVAL : 0;
}

/* Parses one option of args->command; returns -1 for --help, 0 when done,
 * or an exit status on error. */
static int lbsim_parse_option(int argc, char **argv, int *index,
                              lbsim_args *args)
{
    const char *arg = argv[*index];
    bool runs = args->command == LBSIM_RUN || args->command == LBSIM_CHECK;
    const char *value;

    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        return -1;
    }
    if (runs && lbsim_option_is(arg, "--seed")) {
        value = lbsim_option_value(argc, argv, index, "--seed");
        if (value == NULL) {
            return lbsim_usage_error("--seed: expected an integer from 0 to "
                                     "2^64-1, got %s", "nothing");
        }
        if (lbsim_parse_seed(value, &args->options.seed) != 0) {
            return lbsim_usage_error("--seed: expected an integer from 0 to "
                                     "2^64-1, got '%s'", value);
        }
        args->options.has_seed = true;
        return 0;
    }
    if (runs && lbsim_option_is(arg, "--out")) {
        value = lbsim_option_value(argc, argv, index, "--out");
        if (value == NULL || value[0] == '\0') {
            return lbsim_usage_error("--out: expected a folder, got %s",
                                     "nothing");
        }
        args->options.out_parent = value;
        return 0;
    }
    if (args->command == LBSIM_CHECK && lbsim_option_is(arg, "--junit")) {
        value = lbsim_option_value(argc, argv, index, "--junit");
        if (value == NULL || value[0] == '\0') {
            return lbsim_usage_error("--junit: expected a file, got %s",
                                     "nothing");
        }
        args->options.junit_path = value;
        return 0;
    }
    if (args->command == LBSIM_PLOT && lbsim_option_is(arg, "--compare")) {
        value = lbsim_option_value(argc, argv, index, "--compare");
        if (value == NULL || value[0] == '\0') {
            return lbsim_usage_error("--compare: expected a file prefix, "
                                     "got %s", "nothing");
        }
        args->options.compare_prefix = value;
        return 0;
    }
    if (runs && strcmp(arg, "--plot") == 0) {
        args->options.plot = true;
        return 0;
    }
    return lbsim_usage_error("unknown option '%s' for this command", arg);
}

static int lbsim_parse_command(const char *name, lbsim_command *command)
{
    static const char *const names[] = {"run", "check", "validate", "plot"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i]) == 0) {
            *command = (lbsim_command)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* Parses the command line. Returns -1 when help was printed, 0, or an exit
 * status on error. */
static int lbsim_parse(int argc, char **argv, lbsim_args *args)
{
    bool files_only = false;

    args->options.out_parent = "out";
    args->files = calloc((size_t)argc, sizeof(*args->files));
    if (args->files == NULL) {
        return LBSIM_EXIT_BAD_INPUT;
    }
    if (lbsim_parse_command(argv[1], &args->command) != 0) {
        return lbsim_usage_error("unknown command '%s'", argv[1]);
    }
    for (int i = 2; i < argc; i++) {
        /* "--" ends the options: a file may then start with '-'. */
        if (!files_only && strcmp(argv[i], "--") == 0) {
            files_only = true;
            continue;
        }
        if (!files_only && argv[i][0] == '-' && argv[i][1] != '\0') {
            int rc = lbsim_parse_option(argc, argv, &i, args);

            if (rc == -1) {
                fputs(lbsim_command_help(args->command), stdout);
                return -1;
            }
            if (rc != 0) {
                return rc;
            }
            continue;
        }
        args->files[args->file_count++] = argv[i];
    }
    if (args->file_count == 0) {
        return lbsim_usage_error("%s: expected at least one file or folder",
                                 argv[1]);
    }
    args->options.details = args->command == LBSIM_CHECK;
    args->options.progress = isatty(STDERR_FILENO) == 1;
    return 0;
}

static int lbsim_validate(const lbsim_args *args)
{
    int status = LBSIM_EXIT_PASS;

    for (size_t i = 0; i < args->file_count; i++) {
        sim_scenario scenario;
        char err[2048];

        if (sim_scenario_load(&scenario, args->files[i], err, sizeof(err)) !=
            0) {
            fprintf(stderr, "%s\n", err);
            status = LBSIM_EXIT_BAD_INPUT;
            continue;
        }
        printf("%s: valid\n", args->files[i]);
        sim_scenario_deinit(&scenario);
    }
    return status;
}

/* The index of the first file that is the same file as files[index] (by
 * device and inode, so "a.yaml" and "./a.yaml" are one file), or index. */
static size_t lbsim_first_same_file(const lbsim_args *args, size_t index)
{
    struct stat info;
    struct stat other;

    if (stat(args->files[index], &info) != 0) {
        return index;
    }
    for (size_t i = 0; i < index; i++) {
        if (stat(args->files[i], &other) == 0 && other.st_dev == info.st_dev &&
            other.st_ino == info.st_ino) {
            return i;
        }
    }
    return index;
}

/* Loads every file; prints each error. Returns the number that failed. Two
 * scenarios with one name would write one output folder, so that fails
 * too. */
static size_t lbsim_load_all(const lbsim_args *args, sim_scenario *scenarios,
                             char **errors)
{
    size_t failed = 0;

    for (size_t i = 0; i < args->file_count; i++) {
        char err[2048] = "";
        size_t first = lbsim_first_same_file(args, i);

        if (first < i) {
            snprintf(err, sizeof(err),
                     "%s: the same file as %s; give each file once",
                     args->files[i], args->files[first]);
            fprintf(stderr, "%s\n", err);
            errors[i] = strdup(err);
            failed++;
            continue;
        }
        if (sim_scenario_load(&scenarios[i], args->files[i], err,
                              sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            errors[i] = strdup(err);
            failed++;
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (errors[j] == NULL &&
                strcmp(scenarios[j].name, scenarios[i].name) == 0) {
                snprintf(err, sizeof(err),
                         "%s: scenario name '%s' is also the name of %s; "
                         "each needs its own output folder",
                         args->files[i], scenarios[i].name, args->files[j]);
                fprintf(stderr, "%s\n", err);
                errors[i] = strdup(err);
                sim_scenario_deinit(&scenarios[i]);
                failed++;
                break;
            }
        }
    }
    return failed;
}

static void lbsim_print_table(const lbsim_outcome *outcomes, size_t count)
{
    static const char *const verdicts[] = {"pass", "FAIL", "error"};

    printf("\n%-32s %-7s %15s %13s %15s\n", "scenario", "verdict",
           "failed_requests", "instances_max", "scaling_actions");
    for (size_t i = 0; i < count; i++) {
        const lbsim_outcome *o = &outcomes[i];

        if (o->status == LBSIM_EXIT_BAD_INPUT) {
            printf("%-32s %-7s %15s %13s %15s\n", o->name, verdicts[2], "-",
                   "-", "-");
            continue;
        }
        printf("%-32s %-7s %15" PRIu64 " %13" PRIu32 " %15" PRIu32 "\n",
               o->name, verdicts[o->status], o->failed_requests,
               o->instances_max, o->scaling_actions);
    }
}

/* Writes the combined JUnit report through a temporary file, so that a
 * reader never sees half of it. */
static int lbsim_write_junit(const char *path, const char *suites,
                             size_t tests, size_t failures, size_t errors)
{
    char tmp[4200];
    FILE *out;
    int rc = 0;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    out = fopen(tmp, "w");
    if (out == NULL) {
        fprintf(stderr, "lbsim: %s: cannot create: %s\n", tmp,
                strerror(errno));
        return -EIO;
    }
    sim_out_junit_begin(out, tests, failures, errors);
    fputs(suites, out);
    sim_out_junit_end(out);
    if (fclose(out) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "lbsim: %s: cannot write: %s\n", path,
                strerror(errno));
        remove(tmp);
        rc = -EIO;
    }
    return rc;
}

/* Counts testcases, failures and errors in the suites written so far. */
static void lbsim_junit_counts(const char *suites, size_t *tests,
                               size_t *failures, size_t *errors)
{
    *tests = 0;
    *failures = 0;
    *errors = 0;
    for (const char *c = suites; (c = strstr(c, "<testcase ")) != NULL; c++) {
        (*tests)++;
    }
    for (const char *c = suites; (c = strstr(c, "<failure ")) != NULL; c++) {
        (*failures)++;
    }
    for (const char *c = suites; (c = strstr(c, "<error ")) != NULL; c++) {
        (*errors)++;
    }
}

static int lbsim_status_merge(int status, int next)
{
    return next > status ? next : status;
}

/* Runs every loaded scenario. Returns the worst status. */
static int lbsim_run_all(const lbsim_args *args, sim_scenario *scenarios,
                         FILE *junit)
{
    lbsim_outcome *outcomes = calloc(args->file_count, sizeof(*outcomes));
    int status = LBSIM_EXIT_PASS;

    if (outcomes == NULL) {
        return LBSIM_EXIT_BAD_INPUT;
    }
    for (size_t i = 0; i < args->file_count; i++) {
        lbsim_run_one(&scenarios[i], &args->options, junit, &outcomes[i]);
        status = lbsim_status_merge(status, outcomes[i].status);
    }
    if (args->command == LBSIM_CHECK && args->file_count > 1) {
        lbsim_print_table(outcomes, args->file_count);
    }
    free(outcomes);
    return status;
}

/* Closes the in-memory JUnit suites and writes the whole report. Returns 0
 * or -EIO. */
static int lbsim_finish_junit(const char *path, FILE *junit, char **suites)
{
    size_t tests;
    size_t failures;
    size_t errors;

    if (fclose(junit) != 0 || *suites == NULL) {
        fprintf(stderr, "lbsim: %s: out of memory for the report\n", path);
        return -EIO;
    }
    lbsim_junit_counts(*suites, &tests, &failures, &errors);
    return lbsim_write_junit(path, *suites, tests, failures, errors);
}

/* Checks the places outputs go before anything runs, so that a bad --out or
 * --junit does not show only after every run. Returns 0 or an exit status
 * after printing why. */
static int lbsim_check_destinations(const lbsim_options *options)
{
    struct stat info;
    char tmp[4200];
    FILE *probe;

    if (stat(options->out_parent, &info) == 0 && !S_ISDIR(info.st_mode)) {
        return lbsim_usage_error("--out: expected a folder, got '%s' which "
                                 "is not a folder", options->out_parent);
    }
    if (options->junit_path == NULL) {
        return 0;
    }
    if (stat(options->junit_path, &info) == 0 && S_ISDIR(info.st_mode)) {
        return lbsim_usage_error("--junit: expected a file, got '%s' which "
                                 "is a folder", options->junit_path);
    }
    /* The report is written through FILE.tmp: probe that it can be, after
     * creating its folder as --out does for the output folders. */
    sim_out_parent_dir(options->junit_path, tmp, sizeof(tmp));
    sim_out_mkdirs(tmp);
    snprintf(tmp, sizeof(tmp), "%s.tmp", options->junit_path);
    probe = fopen(tmp, "w");
    if (probe == NULL) {
        fprintf(stderr, "lbsim: --junit: cannot create %s: %s\n", tmp,
                strerror(errno));
        return LBSIM_EXIT_BAD_INPUT;
    }
    fclose(probe);
    remove(tmp);
    return 0;
}

/* Loads every file, then runs them all; a bad file stops everything before
 * the first run, so no output folder is written for any file. */
static int lbsim_load_and_run(const lbsim_args *args)
{
    sim_scenario *scenarios = calloc(args->file_count, sizeof(*scenarios));
    char **errors = calloc(args->file_count, sizeof(*errors));
    char *suites = NULL;
    size_t suites_len = 0;
    FILE *junit = NULL;
    int status = LBSIM_EXIT_BAD_INPUT;

    if (scenarios != NULL && errors != NULL &&
        args->options.junit_path != NULL) {
        junit = open_memstream(&suites, &suites_len);
    }
    if (scenarios == NULL || errors == NULL ||
        (args->options.junit_path != NULL && junit == NULL)) {
        fprintf(stderr, "lbsim: out of memory\n");
        free(scenarios);
        free(errors);
        return LBSIM_EXIT_BAD_INPUT;
    }

    if (lbsim_load_all(args, scenarios, errors) > 0) {
        for (size_t i = 0; junit != NULL && i < args->file_count; i++) {
            if (errors[i] != NULL) {
                sim_out_junit_error(junit, args->files[i], errors[i]);
            }
        }
    } else {
        status = lbsim_run_all(args, scenarios, junit);
        /* run reports verdicts but does not judge them. */
        if (args->command == LBSIM_RUN && status == LBSIM_EXIT_FAIL) {
            status = LBSIM_EXIT_PASS;
        }
    }
    if (junit != NULL &&
        lbsim_finish_junit(args->options.junit_path, junit, &suites) != 0) {
        status = LBSIM_EXIT_BAD_INPUT;
    }

    for (size_t i = 0; i < args->file_count; i++) {
        if (errors[i] == NULL) {
            sim_scenario_deinit(&scenarios[i]);
        }
        free(errors[i]);
    }
    free(suites);
    free(scenarios);
    free(errors);
    return status;
}

static int lbsim_run_files(const lbsim_args *args)
{
    int checked = lbsim_check_destinations(&args->options);

    if (checked != 0) {
        return checked;
    }
    return lbsim_load_and_run(args);
}

static int lbsim_plot_folders(const lbsim_args *args)
{
    int status = LBSIM_EXIT_PASS;

    if (args->options.compare_prefix != NULL) {
        if (args->file_count != 2) {
            fprintf(stderr, "lbsim: plot --compare: expected two output "
                            "folders, got %zu\n", args->file_count);
            return LBSIM_EXIT_BAD_INPUT;
        }
        if (lbsim_plot_compare(args->files[0], args->files[1],
                               args->options.compare_prefix) != 0) {
            return LBSIM_EXIT_BAD_INPUT;
        }
        return LBSIM_EXIT_PASS;
    }

    for (size_t i = 0; i < args->file_count; i++) {
        if (lbsim_plot(args->files[i], true) != 0) {
            status = LBSIM_EXIT_BAD_INPUT;
        }
    }
    return status;
}

int main(int argc, char **argv)
{
    lbsim_args args = {0};
    int status;

    if (argc < 2) {
        fprintf(stderr, "%s", lbsim_usage);
        return LBSIM_EXIT_BAD_INPUT;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        printf("%s\n%s", lbsim_usage, lbsim_help);
        return LBSIM_EXIT_PASS;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("lbsim %s\n", LBSIM_VERSION);
        return LBSIM_EXIT_PASS;
    }

    status = lbsim_parse(argc, argv, &args);
    if (status == 0) {
        switch (args.command) {
        case LBSIM_VALIDATE:
            status = lbsim_validate(&args);
            break;
        case LBSIM_PLOT:
            status = lbsim_plot_folders(&args);
            break;
        default:
            status = lbsim_run_files(&args);
            break;
        }
    } else if (status == -1) {
        status = LBSIM_EXIT_PASS;
    }
    free(args.files);
    return status;
}
