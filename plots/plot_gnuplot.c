/* Finding and running the gnuplot executable.
 *
 * gnuplot runs in a child process made with fork and execv, so no shell
 * ever parses a path. Its standard input is /dev/null, which keeps it from
 * waiting for commands, and its output goes through a pipe to err. */
#include "plot_gnuplot.h"

#include "plot_run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit status of the child when execv failed; gnuplot never uses it. */
#define PLOT_EXEC_FAILED 127

static int plot_is_executable_file(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return 0;
    }
    return access(path, X_OK) == 0;
}

int plot_gnuplot_find(char *path, size_t path_len)
{
    const char *search = getenv("PATH");
    char default_path[256];

    if (search == NULL) {
        size_t n = confstr(_CS_PATH, default_path, sizeof default_path);

        if (n == 0 || n > sizeof default_path) {
            return PLOT_GNUPLOT_MISSING;
        }
        search = default_path;
    }

    while (*search != '\0') {
        const char *end = strchr(search, ':');
        size_t dir_len = end != NULL ? (size_t)(end - search) : strlen(search);
        /* An empty PATH entry means the current directory. */
        const char *dir = dir_len > 0 ? search : ".";
        int dir_print_len = dir_len > 0 ? (int)dir_len : 1;
        int n = snprintf(path, path_len, "%.*s/gnuplot", dir_print_len, dir);

        if (n < 0 || (size_t)n >= path_len) {
            return -ENAMETOOLONG;
        }
        if (plot_is_executable_file(path)) {
            return 0;
        }
        search += dir_len;
        if (*search == ':') {
            search++;
        }
    }
    return PLOT_GNUPLOT_MISSING;
}

static int plot_append(char *buf, size_t buf_len, const char *text)
{
    size_t used = strlen(buf);
    size_t add = strlen(text);

    if (used + add + 1 > buf_len) {
        return -ENAMETOOLONG;
    }
    memcpy(buf + used, text, add + 1);
    return 0;
}

int plot_gnuplot_set_string(char *buf, size_t buf_len, const char *name,
                            const char *value)
{
    char quoted[2];
    int rc = 0;

    for (const char *c = value; *c != '\0'; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            return -EINVAL;
        }
    }

    rc = plot_append(buf, buf_len, name);
    rc = rc == 0 ? plot_append(buf, buf_len, "='") : rc;
    quoted[1] = '\0';
    for (const char *c = value; rc == 0 && *c != '\0'; c++) {
        quoted[0] = *c;
        rc = plot_append(buf, buf_len, *c == '\'' ? "''" : quoted);
    }
    rc = rc == 0 ? plot_append(buf, buf_len, "'; ") : rc;
    return rc;
}

int plot_gnuplot_set_number(char *buf, size_t buf_len, const char *name,
                            double value)
{
    char text[64];
    int rc = plot_append(buf, buf_len, name);

    /* %.17g reads back as the same double; NaN is spelled as gnuplot's. */
    if (value != value) {
        snprintf(text, sizeof text, "=NaN; ");
    } else {
        snprintf(text, sizeof text, "=%.17g; ", value);
    }
    return rc == 0 ? plot_append(buf, buf_len, text) : rc;
}

/* Writes the script parts into a new temporary file; path receives its
 * name. Returns 0 or -EIO with a message on err. */
static int plot_write_temp_script(char *path, size_t path_len,
                                  const char *const *parts, size_t part_count,
                                  FILE *err)
{
    const char *tmp = getenv("TMPDIR");
    int fd = -1;
    FILE *file = NULL;
    int rc = 0;

    if (tmp == NULL || tmp[0] == '\0') {
        tmp = "/tmp";
    }
    if (snprintf(path, path_len, "%s/lbsim-plot-XXXXXX", tmp) >= (int)path_len) {
        fprintf(err, "plots: TMPDIR path %s is too long\n", tmp);
        return -EIO;
    }
    fd = mkstemp(path);
    if (fd < 0) {
        fprintf(err, "plots: cannot create a temporary file in %s: %s\n", tmp,
                strerror(errno));
        return -EIO;
    }
    file = fdopen(fd, "w");
    if (file == NULL) {
        close(fd);
        unlink(path);
        return -EIO;
    }

    for (size_t i = 0; i < part_count && rc == 0; i++) {
        if (fputs(parts[i], file) == EOF || fputc('\n', file) == EOF) {
            rc = -EIO;
        }
    }
    if (fclose(file) != 0) {
        rc = -EIO;
    }
    if (rc != 0) {
        fprintf(err, "plots: cannot write the temporary file %s: %s\n", path,
                strerror(errno));
        unlink(path);
    }
    return rc;
}

/* In the child: connects stdin to /dev/null and stdout and stderr to
 * out_fd, then becomes gnuplot. Never returns. */
static void plot_exec_child(const char *gnuplot, const char *settings,
                            const char *script_path, int out_fd)
{
    char *argv[] = {"gnuplot", "-e", (char *)settings, (char *)script_path,
                    NULL};
    int null_fd = open("/dev/null", O_RDONLY);

    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
        dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0) {
        _exit(PLOT_EXEC_FAILED);
    }
    execv(gnuplot, argv);
    dprintf(STDERR_FILENO, "cannot run %s: %s\n", gnuplot, strerror(errno));
    _exit(PLOT_EXEC_FAILED);
}

/* Copies everything the child writes to err, each line prefixed. */
static void plot_copy_output(int fd, FILE *err)
{
    char buf[4096];
    int line_start = 1;

    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        for (ssize_t i = 0; i < n; i++) {
            /* gnuplot ends each error with an empty line: drop those. */
            if (line_start && buf[i] == '\n') {
                continue;
            }
            if (line_start) {
                fputs("gnuplot: ", err);
            }
            fputc(buf[i], err);
            line_start = buf[i] == '\n';
        }
    }
    if (!line_start) {
        fputc('\n', err);
    }
}

static int plot_wait_child(pid_t pid, int *status)
{
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR) {
            return -errno;
        }
    }
    return 0;
}

int plot_gnuplot_run(const char *gnuplot, const char *settings,
                     const char *const *script_parts, size_t part_count,
                     const char *script_name, FILE *err)
{
    char script_path[4096];
    int fds[2];
    pid_t pid;
    int status = 0;
    int rc = plot_write_temp_script(script_path, sizeof script_path,
                                    script_parts, part_count, err);

    if (rc != 0) {
        return rc;
    }
    if (pipe(fds) != 0) {
        fprintf(err, "plots: pipe failed: %s\n", strerror(errno));
        unlink(script_path);
        return -EIO;
    }

    fflush(err);
    pid = fork();
    if (pid < 0) {
        fprintf(err, "plots: fork failed: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        unlink(script_path);
        return -EIO;
    }
    if (pid == 0) {
        close(fds[0]);
        plot_exec_child(gnuplot, settings, script_path, fds[1]);
    }

    close(fds[1]);
    plot_copy_output(fds[0], err);
    close(fds[0]);
    rc = plot_wait_child(pid, &status);
    unlink(script_path);

    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(err, "plots: gnuplot failed on %s (%s %d); its messages are "
                "above\n", script_name,
                WIFSIGNALED(status) ? "signal" : "exit status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        return -EIO;
    }
    return 0;
}
