/* JUnit XML: one testsuite per scenario, one testcase per expectation (each
 * sequence step is one). No timestamps or durations, so that the file is
 * the same on every run. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "sim_out.h"

void sim_out_xml_text(FILE *out, const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0';
         c++) {
        switch (*c) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            /* Control characters other than tab and line breaks are not
             * allowed in XML 1.0. */
            if (*c < 0x20 && *c != '\t' && *c != '\n' && *c != '\r') {
                fputc(' ', out);
            } else {
                fputc(*c, out);
            }
        }
    }
}

void sim_out_junit_begin(FILE *out, size_t tests, size_t failures,
                         size_t errors)
{
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"lbsim\" tests=\"%zu\" failures=\"%zu\" "
            "errors=\"%zu\">\n",
            tests, failures, errors);
}

void sim_out_junit_end(FILE *out)
{
    fputs("</testsuites>\n", out);
}

void sim_out_junit_suite(FILE *out, const sim_run_result *run)
{
    const sim_check *check = run->check;
    const char *name = run->scenario->name;

    fputs("  <testsuite name=\"", out);
    sim_out_xml_text(out, name);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n",
            check->count, check->failed, check->skipped);
    fprintf(out,
            "    <properties>\n"
            "      <property name=\"seed\" value=\"%" PRIu64 "\"/>\n"
            "    </properties>\n",
            run->seed);
    for (size_t i = 0; i < check->count; i++) {
        const sim_verdict *verdict = &check->verdicts[i];

        fputs("    <testcase classname=\"lbsim.", out);
        sim_out_xml_text(out, name);
        fputs("\" name=\"", out);
        sim_out_xml_text(out, verdict->name);
        if (verdict->passed) {
            fputs("\"/>\n", out);
            continue;
        }
        if (verdict->skipped) {
            fputs("\">\n      <skipped message=\"", out);
            sim_out_xml_text(out, verdict->summary);
            fputs("\"/>\n    </testcase>\n", out);
            continue;
        }
        fputs("\">\n      <failure message=\"", out);
        sim_out_xml_text(out, verdict->summary);
        fprintf(out, "\">seed %" PRIu64 ": ", run->seed);
        sim_out_xml_text(out, verdict->summary);
        fputs("\n", out);
        sim_out_xml_text(out, verdict->detail);
        fputs("</failure>\n    </testcase>\n", out);
    }
    fputs("  </testsuite>\n", out);
}

void sim_out_junit_error(FILE *out, const char *file, const char *message)
{
    fputs("  <testsuite name=\"", out);
    sim_out_xml_text(out, file);
    fputs("\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
          "    <testcase classname=\"lbsim\" name=\"load\">\n"
          "      <error message=\"",
          out);
    sim_out_xml_text(out, message);
    fputs("\"/>\n    </testcase>\n  </testsuite>\n", out);
}

int sim_out_junit_xml(FILE *out, const sim_run_result *run)
{
    sim_out_junit_begin(out, run->check->count, run->check->failed, 0);
    sim_out_junit_suite(out, run);
    sim_out_junit_end(out);
    return ferror(out) ? -EIO : 0;
}
