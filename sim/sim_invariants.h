/* The invariants that lbsim checks on the message trace itself, after a
 * run: the world checks the others while it runs.
 *
 * single_scale_out: no two scale-outs (instance_create with different
 * request ids) follow the same overload notification.
 * requests_answered: every request the LB sends gets a delivered reply from
 * its receiver, or the controller logs that it timed out or gave it up, or
 * the run ends before the request's timeout. */
#ifndef SIM_INVARIANTS_H
#define SIM_INVARIANTS_H

#include "policy.h"
#include "sim_record.h"

/* Adds a violation to record for each breach. end_us is the end of the run;
 * policy gives the request timeouts. Returns 0 or -ENOMEM. */
int sim_invariants_check_trace(sim_record *record, const lb_policy *policy,
                               sim_time_t end_us);

#endif
