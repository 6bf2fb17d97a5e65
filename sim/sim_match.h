/* Matching one recorded message against a pattern of a scenario file.
 *
 * Variables ("$new") bind on the first step that matches them and must be
 * equal in every later step; a match that fails binds nothing. */
#ifndef SIM_MATCH_H
#define SIM_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"
#include "scenario.h"
#include "sim_text.h"

#define SIM_VARIABLES_MAX 32
#define SIM_VARIABLE_LEN_MAX 127

typedef struct sim_bindings {
    size_t count;
    struct {
        char name[SIM_VARIABLE_LEN_MAX + 1];
        char value[SIM_VARIABLE_LEN_MAX + 1];
    } vars[SIM_VARIABLES_MAX];
} sim_bindings;

/* The value bound to variable name (without '$'), or NULL. */
const char *sim_bindings_get(const sim_bindings *bindings, const char *name);

/* Whether msg matches pattern under bindings. On a match, bindings gains the
 * variables the match bound. On a mismatch of a message of the pattern's
 * kind, why (when not NULL) gets the first reason, such as
 * "field tenants: expected t3,t4, got t3". */
bool sim_match_msg(const sim_msg_pattern *pattern, const sim_msg *msg,
                   sim_bindings *bindings, sim_text *why);

/* Writes the pattern as one line for reports:
 * "components_start from lb to dfm/$new with tenants=[t3]". */
void sim_pattern_describe(const sim_msg_pattern *pattern, sim_text *out);

/* Writes "12.5s from -> to kind #id fields [lost]" for reports. */
void sim_msg_describe(const sim_msg *msg, sim_text *out);

#endif
