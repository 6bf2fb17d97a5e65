/* Unit test of the run header: the root seed comes first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "run_header.h"

static void test_header_starts_with_seed(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    (void)state;
    assert_non_null(out);
    assert_int_equal(sim_print_run_header(out, UINT64_MAX, "phold"), 0);
    assert_int_equal(sim_print_run_header(out, 7, NULL), 0);
    fclose(out);
    assert_true(strncmp(text, "seed=18446744073709551615 what=phold ",
                        37) == 0);
    assert_non_null(strstr(text, "\nseed=7 what=- "));
    assert_int_equal(text[len - 1], '\n');
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_starts_with_seed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
