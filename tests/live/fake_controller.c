/* Recording stand-in for the controller; see fake_controller.h. */
#include "fake_controller.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char journal[65536];
static size_t journal_len;
static size_t last_stats_rows;

static void fake_record(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    int n = vsnprintf(journal + journal_len, sizeof(journal) - journal_len,
                      format, args);
    va_end(args);
    if (n > 0 && journal_len + (size_t)n + 1 < sizeof(journal)) {
        journal_len += (size_t)n;
        journal[journal_len++] = '\n';
        journal[journal_len] = '\0';
    }
}

const char *fake_journal(void)
{
    return journal;
}

void fake_journal_clear(void)
{
    journal_len = 0;
    journal[0] = '\0';
}

size_t fake_journal_count(const char *text)
{
    size_t count = 0;
    const char *line = journal;

    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char copy[1024];
        snprintf(copy, sizeof(copy), "%.*s", (int)len, line);
        count += strstr(copy, text) != NULL;
        line += len + (end ? 1 : 0);
    }
    return count;
}

size_t fake_last_stats_rows(void)
{
    return last_stats_rows;
}

void lb_on_timer(lb_controller *controller)
{
    (void)controller;
    fake_record("timer");
}

void lb_on_stats_reply(lb_controller *controller, const lb_stats *stats)
{
    (void)controller;
    last_stats_rows = stats->row_count;
    fake_record("stats_reply request_id=%llu rows=%zu",
                (unsigned long long)stats->request_id, stats->row_count);
    for (size_t i = 0; i < stats->row_count; i++) {
        fake_record("stats_row tenant=%s instance=%s component=%u "
                    "requests=%llu errors=%llu", stats->rows[i].tenant,
                    stats->rows[i].instance, stats->rows[i].component,
                    (unsigned long long)stats->rows[i].requests,
                    (unsigned long long)stats->rows[i].errors);
    }
}

void lb_on_routes_applied(lb_controller *controller, uint64_t version)
{
    (void)controller;
    fake_record("routes_applied version=%llu", (unsigned long long)version);
}

void lb_on_routes_rejected(lb_controller *controller, uint64_t version,
                           const char *reason)
{
    (void)controller;
    fake_record("routes_rejected version=%llu reason=%s",
                (unsigned long long)version, reason);
}

void lb_on_instance_dropping(lb_controller *controller, const char *instance,
                             uint64_t errors, lb_time_t window_us)
{
    (void)controller;
    fake_record("instance_dropping instance=%s errors=%llu window_us=%lld",
                instance, (unsigned long long)errors, (long long)window_us);
}

void lb_on_tenant_created(lb_controller *controller, const char *tenant,
                          const char *instance)
{
    (void)controller;
    fake_record("tenant_created tenant=%s instance=%s", tenant, instance);
}

void lb_on_tenant_removed(lb_controller *controller, const char *tenant)
{
    (void)controller;
    fake_record("tenant_removed tenant=%s", tenant);
}

void lb_on_instance_created(lb_controller *controller, lb_request_id id,
                            const char *instance, const char *address)
{
    (void)controller;
    fake_record("instance_created request_id=%llu instance=%s address=%s",
                (unsigned long long)id, instance, address);
}

void lb_on_instance_create_failed(lb_controller *controller, lb_request_id id,
                                  const char *reason)
{
    (void)controller;
    fake_record("instance_create_failed request_id=%llu reason=%s",
                (unsigned long long)id, reason);
}

void lb_on_instance_removed(lb_controller *controller, lb_request_id id,
                            const char *instance)
{
    (void)controller;
    fake_record("instance_removed request_id=%llu instance=%s",
                (unsigned long long)id, instance);
}

void lb_on_instance_remove_failed(lb_controller *controller, lb_request_id id,
                                  const char *reason)
{
    (void)controller;
    fake_record("instance_remove_failed request_id=%llu reason=%s",
                (unsigned long long)id, reason);
}

void lb_on_instance_restarted(lb_controller *controller, lb_request_id id,
                              const char *instance)
{
    (void)controller;
    fake_record("instance_restarted request_id=%llu instance=%s",
                (unsigned long long)id, instance);
}

void lb_on_instance_restart_failed(lb_controller *controller, lb_request_id id,
                                   const char *reason)
{
    (void)controller;
    fake_record("instance_restart_failed request_id=%llu reason=%s",
                (unsigned long long)id, reason);
}

void lb_on_instance_list(lb_controller *controller, lb_request_id id,
                         size_t instance_count,
                         const lb_instance_info *instances)
{
    (void)controller;
    fake_record("instance_list request_id=%llu count=%zu",
                (unsigned long long)id, instance_count);
    for (size_t i = 0; i < instance_count; i++) {
        fake_record("instance_listed instance=%s address=%s", instances[i].id,
                    instances[i].address);
    }
}

void lb_on_dfm_ready(lb_controller *controller, const char *instance)
{
    (void)controller;
    fake_record("dfm_ready instance=%s", instance);
}

void lb_on_overload(lb_controller *controller, const lb_load_report *report)
{
    (void)controller;
    fake_record("overload instance=%s cpu_permille=%u window_us=%lld "
                "processes=%zu", report->instance, report->cpu_permille,
                (long long)report->window_us, report->process_count);
}

void lb_on_low_load(lb_controller *controller, const lb_load_report *report)
{
    (void)controller;
    fake_record("low_load instance=%s cpu_permille=%u", report->instance,
                report->cpu_permille);
}

void lb_on_component_down(lb_controller *controller, const char *instance,
                          uint32_t component)
{
    (void)controller;
    fake_record("component_down instance=%s component=%u", instance,
                component);
}

void lb_on_component_up(lb_controller *controller, const char *instance,
                        uint32_t component)
{
    (void)controller;
    fake_record("component_up instance=%s component=%u", instance, component);
}

void lb_on_components_started(lb_controller *controller, lb_request_id id,
                              const char *instance)
{
    (void)controller;
    fake_record("components_started request_id=%llu instance=%s",
                (unsigned long long)id, instance);
}

void lb_on_components_start_failed(lb_controller *controller, lb_request_id id,
                                   const char *instance, const char *reason)
{
    (void)controller;
    fake_record("components_start_failed request_id=%llu instance=%s "
                "reason=%s", (unsigned long long)id, instance, reason);
}

void lb_on_components_stopped(lb_controller *controller, lb_request_id id,
                              const char *instance, uint64_t requests_killed)
{
    (void)controller;
    fake_record("components_stopped request_id=%llu instance=%s killed=%llu",
                (unsigned long long)id, instance,
                (unsigned long long)requests_killed);
}
