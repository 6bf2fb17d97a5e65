/* Unit tests of the output writers on a hand-made record: exact bytes for
 * the CSV files, placement from applied tables only, and escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_out.h"

typedef int (*writer_fn)(FILE *out, const sim_run_result *run);

/* Runs a writer into memory and returns the text (free it). */
static char *write_to_text(writer_fn writer, const sim_run_result *run)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    assert_non_null(out);
    assert_int_equal(writer(out, run), 0);
    fclose(out);
    return text;
}

static void record_add(sim_record *record, sim_time_t at_us, const char *from,
                       const char *to, const char *kind, uint64_t request_id,
                       const char *fields, sim_msg_fate fate)
{
    sim_msg msg = {at_us, from, to, kind, request_id, fields, fate};

    assert_int_equal(sim_record_msg(record, &msg), 0);
}

static void record_routes(sim_record *record)
{
    sim_record_init(record, SIM_S(1));
    record_add(record, 1000, "lb", "nginx", "routes_apply", 0,
               "version=1 default=i1 routes=t1/dev:i1,t2/dev:i1",
               SIM_MSG_DELIVERED);
    record_add(record, 2000, "nginx", "lb", "routes_applied", 0, "version=1",
               SIM_MSG_DELIVERED);
    /* Version 2 is lost on the way: NGINX never applied it. */
    record_add(record, SIM_S(5), "lb", "nginx", "routes_apply", 0,
               "version=2 default=i1 routes=t1/dev:i1,t2/dev:i2",
               SIM_MSG_LOST);
    /* NGINX applied version 3 but its reply was lost: the table counts. */
    record_add(record, SIM_S(6), "lb", "nginx", "routes_apply", 0,
               "version=3 default=i1 routes=t2/dep:i2", SIM_MSG_DELIVERED);
    record_add(record, SIM_S(6) + 1, "nginx", "lb", "routes_applied", 0,
               "version=3", SIM_MSG_LOST);
    record_add(record, SIM_S(7), "lb", "provider", "instance_remove", 9,
               "instance=i2", SIM_MSG_DELIVERED);
}

static void trace_csv_exact(void **state)
{
    sim_record record;
    sim_run_result run = {.record = &record};
    char *text;

    (void)state;
    record_routes(&record);
    text = write_to_text(sim_out_trace_csv, &run);
    assert_string_equal(
        text,
        "time_us,from,to,kind,request_id,fate,fields\n"
        "1000,lb,nginx,routes_apply,0,delivered,"
        "\"version=1 default=i1 routes=t1/dev:i1,t2/dev:i1\"\n"
        "2000,nginx,lb,routes_applied,0,delivered,version=1\n"
        "5000000,lb,nginx,routes_apply,0,lost,"
        "\"version=2 default=i1 routes=t1/dev:i1,t2/dev:i2\"\n"
        "6000000,lb,nginx,routes_apply,0,delivered,"
        "version=3 default=i1 routes=t2/dep:i2\n"
        "6000001,nginx,lb,routes_applied,0,lost,version=3\n"
        "7000000,lb,provider,instance_remove,9,delivered,instance=i2\n");
    free(text);
    sim_record_deinit(&record);
}

static void placement_applied_only(void **state)
{
    sim_record record;
    sim_run_result run = {.record = &record};
    char *text;

    (void)state;
    record_routes(&record);
    text = write_to_text(sim_out_placement_csv, &run);
    assert_string_equal(text, "time_s,tenant,component,instance\n"
                              "0.001000,t1,dev,i1\n"
                              "0.001000,t2,dev,i1\n"
                              "6.000000,t2,dep,i2\n");
    free(text);
    sim_record_deinit(&record);
}

static void actions_csv_exact(void **state)
{
    sim_record record;
    sim_run_result run = {.record = &record};
    char *text;

    (void)state;
    record_routes(&record);
    text = write_to_text(sim_out_actions_csv, &run);
    assert_string_equal(text, "time_s,action,instance,detail\n"
                              "0.001000,route_change,-,version=1\n"
                              "5.000000,route_change,-,version=2\n"
                              "6.000000,route_change,-,version=3\n"
                              "7.000000,scale_in,i2,request_id=9\n");
    free(text);
    sim_record_deinit(&record);
}

static void timeseries_counts_instances(void **state)
{
    sim_record record;
    sim_run_result run = {.record = &record};
    world_instance_sample rows[2] = {
        {"i1", "active", 455, 40, 0},
        {"i2", "removed", 0, 0, 0},
    };
    world_sample sample = {SIM_S(2), 80, 2, 1500.0, 9000.0, 12000.0, 1, 0,
                           2, rows};
    char *text;

    (void)state;
    sim_record_init(&record, SIM_S(2));
    assert_int_equal(sim_record_sample(&record, &sample), 0);
    text = write_to_text(sim_out_timeseries_csv, &run);
    assert_string_equal(text,
                        "time_s,instances,requests_per_s,errors_per_s,"
                        "latency_p50_ms,latency_p95_ms,latency_p99_ms,"
                        "routing_changes,pending_provider_requests\n"
                        "2.000000,1,40.000,1.000,1.500,9.000,12.000,1,0\n");
    free(text);
    text = write_to_text(sim_out_instances_csv, &run);
    assert_string_equal(text,
                        "time_s,instance,state,cpu_percent,requests_per_s\n"
                        "2.000000,i1,active,45.5,20.000\n"
                        "2.000000,i2,removed,0.0,0.000\n");
    free(text);
    sim_record_deinit(&record);
}

static void escaping_is_correct(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    (void)state;
    sim_out_json_string(out, "a\"b\\c\nd\x01");
    fputc('|', out);
    sim_out_xml_text(out, "<a & \"b\">");
    fputc('|', out);
    sim_out_csv_field(out, "say \"hi\", then");
    fclose(out);
    assert_string_equal(text, "\"a\\\"b\\\\c\\nd\\u0001\"|"
                              "&lt;a &amp; &quot;b&quot;&gt;|"
                              "\"say \"\"hi\"\", then\"");
    free(text);
}

/* Actors whose names differ only in '-', '_' and '.' keep apart. */
static void mermaid_ids_unique(void **state)
{
    sim_record record;
    sim_run_result run = {.record = &record};
    char *text;

    (void)state;
    sim_record_init(&record, SIM_S(1));
    record_add(&record, 1, "dfm/i-1", "lb", "dfm_ready", 0, "instance=i-1",
               SIM_MSG_DELIVERED);
    record_add(&record, 2, "dfm/i_1", "lb", "dfm_ready", 0, "instance=i_1",
               SIM_MSG_DELIVERED);
    record_add(&record, 3, "dfm/i.1", "lb", "dfm_ready", 0, "instance=i.1",
               SIM_MSG_DELIVERED);
    text = write_to_text(sim_out_sequence_mmd, &run);
    assert_non_null(strstr(text, "participant dfm_si_d1 as dfm/i-1\n"));
    assert_non_null(strstr(text, "participant dfm_si__1 as dfm/i_1\n"));
    assert_non_null(strstr(text, "participant dfm_si_p1 as dfm/i.1\n"));
    assert_non_null(strstr(text, "dfm_si__1->>lb: "));
    free(text);
    sim_record_deinit(&record);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trace_csv_exact),
        cmocka_unit_test(placement_applied_only),
        cmocka_unit_test(actions_csv_exact),
        cmocka_unit_test(timeseries_counts_instances),
        cmocka_unit_test(escaping_is_correct),
        cmocka_unit_test(mermaid_ids_unique),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
