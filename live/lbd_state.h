/* lbd's state at start-up, rebuilt from what survives a restart: the
 * routing table in nginx's routes file (its "# lbsim-..." lines) and the
 * provider's list of instances. Without a table in the routes file, the
 * config's [instances] are used. */
#ifndef LBD_STATE_H
#define LBD_STATE_H

#include <stddef.h>

#include "controller.h"
#include "lbd_config.h"

typedef struct lbd_state {
    lb_instance_init *instances; /* strings owned here */
    size_t instance_count;
    char **tenant_lists[256];    /* tenants per instance, owned */
} lbd_state;

/* Builds the state. listed is the provider's list, or NULL when it could
 * not be had (then every instance of the table or config is kept).
 * Returns 0 or a negative errno value with a message in err. */
int lbd_state_build(lbd_state *state, const lbd_config *config,
                    const lb_instance_info *listed, size_t listed_count,
                    char *err, size_t err_len);
void lbd_state_free(lbd_state *state);

#endif
