/* Unit tests of duration parsing and time formatting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sim_units.h"

static void duration_units_parse(void **state)
{
    sim_time_t us = -1;

    (void)state;
    assert_int_equal(sim_duration_parse("250ms", &us), 0);
    assert_int_equal(us, 250000);
    assert_int_equal(sim_duration_parse("90s", &us), 0);
    assert_int_equal(us, 90000000);
    assert_int_equal(sim_duration_parse("15m", &us), 0);
    assert_int_equal(us, 900000000);
    assert_int_equal(sim_duration_parse("2h", &us), 0);
    assert_int_equal(us, INT64_C(7200000000));
    assert_int_equal(sim_duration_parse("500us", &us), 0);
    assert_int_equal(us, 500);
    assert_int_equal(sim_duration_parse("1.5s", &us), 0);
    assert_int_equal(us, 1500000);
    assert_int_equal(sim_duration_parse("0", &us), 0);
    assert_int_equal(us, 0);
}

static void duration_bad_text_rejected(void **state)
{
    sim_time_t us = 7;

    (void)state;
    assert_int_equal(sim_duration_parse("90", &us), -EINVAL);
    assert_int_equal(sim_duration_parse("s", &us), -EINVAL);
    assert_int_equal(sim_duration_parse("5 s", &us), -EINVAL);
    assert_int_equal(sim_duration_parse("5sec", &us), -EINVAL);
    assert_int_equal(sim_duration_parse("", &us), -EINVAL);
    assert_int_equal(us, 7);
}

static void duration_bare_point_rejected(void **state)
{
    sim_time_t us = 7;

    (void)state;
    assert_int_equal(sim_duration_parse(".5s", &us), -EINVAL);
    assert_int_equal(sim_duration_parse("5.s", &us), -EINVAL);
    assert_int_equal(sim_duration_parse(".s", &us), -EINVAL);
    assert_int_equal(us, 7);
    assert_int_equal(sim_duration_parse("0.5s", &us), 0);
    assert_int_equal(us, 500000);
}

static void duration_out_of_range_rejected(void **state)
{
    sim_time_t us = 7;

    (void)state;
    assert_int_equal(sim_duration_parse("-5s", &us), -ERANGE);
    assert_int_equal(sim_duration_parse("1.5us", &us), -ERANGE);
    assert_int_equal(sim_duration_parse("99999999999999999999h", &us),
                     -ERANGE);
    assert_int_equal(sim_duration_parse("9999999999999h", &us), -ERANGE);
    assert_int_equal(us, 7);
}

static void seconds_formats_are_stable(void **state)
{
    char buf[40];

    (void)state;
    sim_format_seconds_fixed(buf, sizeof(buf), 12500000);
    assert_string_equal(buf, "12.500000");
    sim_format_seconds_fixed(buf, sizeof(buf), 7);
    assert_string_equal(buf, "0.000007");
    sim_format_seconds(buf, sizeof(buf), 12500000);
    assert_string_equal(buf, "12.5s");
    sim_format_seconds(buf, sizeof(buf), 5000000);
    assert_string_equal(buf, "5s");
    sim_format_seconds(buf, sizeof(buf), 250);
    assert_string_equal(buf, "0.00025s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(duration_units_parse),
        cmocka_unit_test(duration_bad_text_rejected),
        cmocka_unit_test(duration_bare_point_rejected),
        cmocka_unit_test(duration_out_of_range_rejected),
        cmocka_unit_test(seconds_formats_are_stable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
