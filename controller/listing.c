/* Provider listings: which running instances are not the controller's, and
 * the cleanup of instances that a lost create or removal left running.
 *
 * The listing at start names the foreign instances (the control instance,
 * for example), which are never removed. After a create or a removal is
 * given up, later listings remove running instances that are neither known
 * nor foreign, at most one per such request. Listings that get no reply,
 * or that cannot settle the question yet, are repeated after a backoff, a
 * bounded number of rounds. */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool lb_listed(size_t count, const lb_instance_info *list,
                      const char *id)
{
    for (size_t i = 0; i < count; i++) {
        if (list[i].id != NULL && strcmp(list[i].id, id) == 0) {
            return true;
        }
    }
    return false;
}

bool lb_foreign(const lb_controller *c, const char *id)
{
    for (size_t i = 0; i < c->foreign_count; i++) {
        if (strcmp(c->foreign_ids[i], id) == 0) {
            return true;
        }
    }
    return false;
}

static bool lb_listing_pending(const lb_controller *c)
{
    for (size_t i = 0; i < c->request_cap; i++) {
        if (c->requests[i].used && c->requests[i].kind == LB_REQUEST_LIST) {
            return true;
        }
    }
    return false;
}

/* Sends the next listing after a backoff that grows with the rounds, or
 * gives up after retries_max + 1 rounds. */
static void lb_listing_again(lb_controller *c, const char *reason)
{
    c->listing_rounds++;
    if (c->listing_rounds > c->policy.retries_max + 1) {
        lb_log(c, LB_LOG_ERROR, "listing_given_up",
               "rounds=%u orphans_possible=%u foreign_known=%d reason=%s",
               c->listing_rounds - 1, c->orphans_possible, c->foreign_known,
               reason);
        c->listing_rounds = 0;
        return;
    }

    lb_time_t at_us = c->now_us + lb_backoff_us(c, c->listing_rounds);
    lb_request_id id = lb_request_schedule(c, LB_REQUEST_LIST, at_us);
    if (!c->foreign_known) {
        c->foreign_list_id = id;
    }
    lb_log(c, LB_LOG_INFO, "listing_again",
           "id=%llu round=%u at_us=%lld reason=%s", (unsigned long long)id,
           c->listing_rounds, (long long)at_us, reason);
}

void lb_listing_start(lb_controller *c)
{
    c->foreign_list_id = lb_request_send(c, LB_REQUEST_LIST, LB_NONE,
                                         false)->id;
}

void lb_listing_request(lb_controller *c)
{
    if (!lb_listing_pending(c)) {
        c->listing_rounds = 0;
        lb_request_id id = lb_request_send(c, LB_REQUEST_LIST, LB_NONE,
                                           false)->id;
        if (!c->foreign_known) {
            c->foreign_list_id = id;
        }
    }
}

void lb_listing_given_up(lb_controller *c)
{
    if (!c->foreign_known || c->orphans_possible > 0) {
        lb_listing_again(c, "listing_given_up");
    }
}

/* Stores the instances of the first usable listing that the controller does
 * not manage. */
static void lb_foreign_store(lb_controller *c, size_t count,
                             const lb_instance_info *instances)
{
    c->foreign_ids = calloc(count ? count : 1, sizeof *c->foreign_ids);
    assert(c->foreign_ids != NULL && "foreign instance allocation failed");

    for (size_t i = 0; i < count; i++) {
        const char *id = instances[i].id;
        if (!lb_id_printable(id) || lb_instance_find(c, id) != LB_NONE) {
            continue;
        }
        snprintf(c->foreign_ids[c->foreign_count],
                 sizeof c->foreign_ids[0], "%s", id);
        c->foreign_count++;
        lb_log(c, LB_LOG_INFO, "instance_foreign", "instance=%s", id);
    }
    c->foreign_known = true;
    c->listing_rounds = 0;
}

/* Returns whether a listing taken now could hold an instance of the
 * controller's own that it cannot name yet. */
static bool lb_listing_uncertain(const lb_controller *c)
{
    if (c->orphans_possible > 0) {
        return true;
    }
    for (size_t i = 0; i < c->instance_cap; i++) {
        if (c->instances[i].state == LB_INSTANCE_PROVISIONING) {
            return true;
        }
    }
    return false;
}

static void lb_listing_foreign(lb_controller *c, size_t count,
                               const lb_instance_info *instances)
{
    if (lb_listing_uncertain(c) &&
        c->listing_rounds <= c->policy.retries_max) {
        lb_listing_again(c, "create_unsettled");
        return;
    }
    if (lb_listing_uncertain(c)) {
        /* NOTE: an instance of a lost create counts as foreign from here
         * on, unless its DFM reports ready. */
        lb_log(c, LB_LOG_WARN, "listing_uncertain",
               "orphans_possible=%u reason=create_unsettled_every_round",
               c->orphans_possible);
    }
    lb_foreign_store(c, count, instances);
}

/* Removes listed instances that are neither known nor foreign, at most one
 * per create or removal given up: those are the controller's own. */
static void lb_reconcile(lb_controller *c, size_t count,
                         const lb_instance_info *instances)
{
    for (size_t i = 0; i < count; i++) {
        const char *listed = instances[i].id;
        if (!lb_id_printable(listed) ||
            lb_instance_find(c, listed) != LB_NONE ||
            lb_foreign(c, listed)) {
            continue;
        }
        if (c->orphans_possible > 0) {
            c->orphans_possible--;
            lb_instance_remove_unknown(c, listed, "unknown_after_give_up");
        } else {
            lb_log(c, LB_LOG_WARN, "instance_unknown",
                   "instance=%s reason=no_request_given_up", listed);
        }
    }
    for (size_t i = 0; i < c->instance_cap; i++) {
        const lb_instance *known = &c->instances[i];
        if (known->id[0] != '\0' && known->state != LB_INSTANCE_FREE &&
            !lb_listed(count, instances, known->id)) {
            lb_log(c, LB_LOG_WARN, "instance_missing", "instance=%s state=%s",
                   known->id, lb_instance_state_name(known->state));
        }
    }

    if (c->orphans_possible == 0) {
        c->listing_rounds = 0;
    } else {
        /* The provider may list the instance only once it is up. */
        lb_listing_again(c, "orphan_not_listed");
    }
}

void lb_on_instance_list(lb_controller *controller, lb_request_id id,
                         size_t instance_count,
                         const lb_instance_info *instances)
{
    lb_controller *c = controller;

    lb_input_begin(c);
    if (lb_request_take(c, LB_REQUEST_LIST, id, "instance_list") != NULL) {
        if (!c->foreign_known) {
            lb_listing_foreign(c, instance_count, instances);
            lb_instances_keep_min(c);
        } else {
            lb_reconcile(c, instance_count, instances);
        }
    }
    lb_input_end(c);
}
