/* The world behind world.h: a model_sim with the controller at its LB end. */
#ifndef MODELS_WORLD_INTERNAL_H
#define MODELS_WORLD_INTERNAL_H

#include "controller.h"
#include "model_sim.h"
#include "world.h"

struct world {
    model_sim *sim;
    lb_controller *controller;
    lb_ports ports;
    lb_policy policy;
    bool ran;
};

/* The model_lb_sink functions that feed the controller. */
void world_deliver(void *ctx, model_sim *sim, const model_msg *msg);
void world_timer(void *ctx);

#endif
