/* The trace reader: good traces stream row by row; each kind of bad row is
 * rejected with "<file>:<line>: <reason>", also through world creation. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model_dist.h"
#include "model_test_util.h"
#include "model_trace.h"

typedef struct trace_dir {
    char path[256];
} trace_dir;

static int dir_setup(void **state)
{
    trace_dir *dir = calloc(1, sizeof(*dir));

    assert_non_null(dir);
    const char *tmp = getenv("TMPDIR");

    snprintf(dir->path, sizeof(dir->path), "%s/lbsim-trace-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir->path));
    *state = dir;
    return 0;
}

static int dir_teardown(void **state)
{
    trace_dir *dir = *state;
    char cmd[320];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir->path);
    assert_int_equal(system(cmd), 0);
    free(dir);
    return 0;
}

static void write_file(const trace_dir *dir, const char *name,
                       const char *text, char *path, size_t path_len)
{
    snprintf(path, path_len, "%s/%s", dir->path, name);

    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Reads the whole trace; returns the error code (0 when good). */
static int read_all(const char *path, char *err, size_t err_len,
                    size_t *rows)
{
    model_trace_reader reader;
    model_trace_row row;
    int rc = model_trace_open(&reader, path, err, err_len);

    *rows = 0;
    if (rc != 0)
        return rc;
    while ((rc = model_trace_next(&reader, &row, err, err_len)) == 1)
        (*rows)++;
    model_trace_close(&reader);
    return rc;
}

typedef struct bad_case {
    const char *text;
    int line;
    const char *reason;
} bad_case;

static const bad_case bad_cases[] = {
    {"time_s,tenant,requests\n0,t1\n", 2, "missing field requests"},
    {"time_s,tenant,requests\n0,,5\n", 2, "missing field tenant"},
    {"time_s,tenant,requests\n0,t1,5\nabc,t1,5\n", 3,
     "time_s is not a number: \"abc\""},
    {"time_s,tenant,requests\n0,t1,x5\n", 2,
     "requests is not a non-negative integer: \"x5\""},
    {"time_s,tenant,requests\n0,t1,2.5\n", 2,
     "requests is not a non-negative integer"},
    {"time_s,tenant,requests\n0,t1,-3\n", 2, "requests is negative: -3"},
    {"time_s,tenant,requests\n60,t1,1\n60,t2,1\n0,t1,1\n", 4,
     "time goes backwards"},
    {"time_s,tenant,requests\n-60,t1,1\n", 2, "time_s is negative"},
    {"time,tenant,requests\n0,t1,1\n", 1, "wrong header"},
    {"time_s,tenant\n0,t1\n", 1, "wrong header"},
    {"", 1, "empty file"},
    {"time_s,tenant,requests\n0,t1,1,9\n", 2, "4 fields, expected 3"},
    {"time_s,tenant,requests\n0,T 1,1\n", 2, "invalid tenant id \"T 1\""},
    {"time_s,tenant,requests\n0,t1,1\n0,\"t2,5\n", 3, "invalid CSV"},
};

static void trace_rejects_bad_rows(void **state)
{
    const trace_dir *dir = *state;

    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const bad_case *bc = &bad_cases[i];
        char path[320];
        char err[512] = "";
        char prefix[360];
        size_t rows;

        write_file(dir, "bad.csv", bc->text, path, sizeof(path));
        assert_int_equal(read_all(path, err, sizeof(err), &rows), -EINVAL);
        snprintf(prefix, sizeof(prefix), "%s:%d: ", path, bc->line);
        if (strncmp(err, prefix, strlen(prefix)) != 0 ||
            strstr(err, bc->reason) == NULL)
            fail_msg("case %zu: got \"%s\", expected \"%s%s...\"", i, err,
                     prefix, bc->reason);
    }
}

static void trace_reads_good_rows(void **state)
{
    const trace_dir *dir = *state;
    char path[320];
    char err[512] = "";
    model_trace_reader reader;
    model_trace_row row;

    write_file(dir, "good.csv",
               "time_s,tenant,requests\r\n0,a-1,5\r\n0,b_2,0\r\n60,a-1,7",
               path, sizeof(path));
    assert_int_equal(model_trace_open(&reader, path, err, sizeof(err)), 0);

    assert_int_equal(model_trace_next(&reader, &row, err, sizeof(err)), 1);
    assert_string_equal(row.tenant, "a-1");
    assert_int_equal(row.requests, 5);
    assert_int_equal(row.line, 2);
    assert_int_equal(model_trace_next(&reader, &row, err, sizeof(err)), 1);
    assert_string_equal(row.tenant, "b_2");
    assert_int_equal(row.requests, 0);
    assert_int_equal(model_trace_next(&reader, &row, err, sizeof(err)), 1);
    assert_true(row.time_s == 60.0);
    assert_int_equal(row.requests, 7);
    assert_int_equal(row.line, 4);
    assert_int_equal(model_trace_next(&reader, &row, err, sizeof(err)), 0);
    model_trace_close(&reader);
}

static void trace_missing_file_named(void **state)
{
    const trace_dir *dir = *state;
    char path[320];
    char err[512] = "";
    size_t rows;

    snprintf(path, sizeof(path), "%s/none.csv", dir->path);
    assert_int_equal(read_all(path, err, sizeof(err), &rows), -ENOENT);
    assert_non_null(strstr(err, path));
}

static void world_rejects_bad_trace(void **state)
{
    const trace_dir *dir = *state;
    test_config tc;
    world_trace_config trace = {.time_scale = 1, .rate_scale = 1,
                                .clones = 1};
    char path[320];
    char err[512] = "";
    char prefix[360];

    write_file(dir, "world.csv",
               "time_s,tenant,requests\n0,t1,5\n60,t1,oops\n", path,
               sizeof(path));
    test_config_init(&tc);
    trace.path = path;
    tc.config.trace = &trace;

    world *w = world_create(&tc.config, NULL, err, sizeof(err));

    assert_null(w);
    snprintf(prefix, sizeof(prefix), "%s:3: requests", path);
    assert_non_null(strstr(err, prefix));
}

static void empirical_dist_rejects_bad_value(void **state)
{
    const trace_dir *dir = *state;
    char path[320];
    char err[512] = "";
    char prefix[360];
    model_sampler sampler;
    model_dist dist = {.kind = MODEL_DIST_EMPIRICAL};

    write_file(dir, "dist.csv", "value_us\n100\n-5\n", path, sizeof(path));
    dist.empirical_path = path;
    assert_int_equal(model_sampler_init(&sampler, &dist, "service", err,
                                        sizeof(err)),
                     -EINVAL);
    snprintf(prefix, sizeof(prefix), "%s:3: value_us", path);
    assert_non_null(strstr(err, prefix));

    write_file(dir, "dist.csv", "duration\n100\n", path, sizeof(path));
    assert_int_equal(model_sampler_init(&sampler, &dist, "service", err,
                                        sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "wrong header"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trace_rejects_bad_rows),
        cmocka_unit_test(trace_reads_good_rows),
        cmocka_unit_test(trace_missing_file_named),
        cmocka_unit_test(world_rejects_bad_trace),
        cmocka_unit_test(empirical_dist_rejects_bad_value),
    };

    return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
