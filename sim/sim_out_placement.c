/* placement.csv: the routing tables that NGINX applied, one row per route,
 * at the time the table reached NGINX. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_out.h"
#include "sim_units.h"

/* Whether NGINX sent routes_applied for table version. The reply may have
 * been lost on the way back, but NGINX applied the table all the same. */
static bool sim_version_applied(const sim_record *record, size_t from,
                                const char *version)
{
    char value[32];

    for (size_t i = from; i < record->msg_count; i++) {
        const sim_msg *msg = &record->msgs[i];

        if (strcmp(msg->kind, "routes_applied") == 0 &&
            strcmp(msg->from, "nginx") == 0 &&
            sim_fields_get(msg->fields, "version", value, sizeof(value)) ==
                0 &&
            strcmp(value, version) == 0) {
            return true;
        }
    }
    return false;
}

/* Writes one row per "tenant/component:instance" entry of routes. */
static void sim_out_routes(FILE *out, const char *time_s, const char *routes)
{
    const char *cursor = routes;

    while (*cursor != '\0') {
        const char *end = strchr(cursor, ',');
        size_t len = end != NULL ? (size_t)(end - cursor) : strlen(cursor);
        const char *slash = memchr(cursor, '/', len);
        const char *colon = slash != NULL
                                ? memchr(slash, ':', len - (size_t)(slash - cursor))
                                : NULL;

        if (slash != NULL && colon != NULL) {
            fprintf(out, "%s,%.*s,%.*s,%.*s\n", time_s,
                    (int)(slash - cursor), cursor,
                    (int)(colon - slash - 1), slash + 1,
                    (int)(len - (size_t)(colon - cursor) - 1), colon + 1);
        }
        cursor += len;
        if (*cursor == ',') {
            cursor++;
        }
    }
}

int sim_out_placement_csv(FILE *out, const sim_run_result *run)
{
    const sim_record *record = run->record;
    uint64_t last_version = 0;
    int rc = 0;

    fputs("time_s,tenant,component,instance\n", out);
    for (size_t i = 0; rc == 0 && i < record->msg_count; i++) {
        const sim_msg *msg = &record->msgs[i];
        size_t len = strlen(msg->fields) + 1;
        char version[32];
        char time_s[40];
        char *routes;

        if (strcmp(msg->kind, "routes_apply") != 0 ||
            strcmp(msg->to, "nginx") != 0 || msg->fate != SIM_MSG_DELIVERED ||
            sim_fields_get(msg->fields, "version", version, sizeof(version)) !=
                0 ||
            strtoull(version, NULL, 10) <= last_version ||
            !sim_version_applied(record, i + 1, version)) {
            continue;
        }
        /* A retry repeats a version: only its first delivery counts. */
        last_version = strtoull(version, NULL, 10);
        routes = malloc(len);
        if (routes == NULL) {
            return -ENOMEM;
        }
        sim_format_seconds_fixed(time_s, sizeof(time_s), msg->at_us);
        if (sim_fields_get(msg->fields, "routes", routes, len) == 0) {
            sim_out_routes(out, time_s, routes);
        }
        free(routes);
    }
    return ferror(out) ? -EIO : rc;
}
