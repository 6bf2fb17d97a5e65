/* A recording stand-in for the controller's lb_on_* functions, so the live
 * adapters can be tested without the controller. Each call appends one
 * line ("routes_applied version=3") to a journal the tests read. */
#ifndef TEST_FAKE_CONTROLLER_H
#define TEST_FAKE_CONTROLLER_H

#include <stddef.h>

#include "controller.h"

/* All lines recorded since the last clear, each ending in '\n'. */
const char *fake_journal(void);
void fake_journal_clear(void);

/* Number of recorded lines that contain text. */
size_t fake_journal_count(const char *text);

/* Rows of the last stats reply. */
size_t fake_last_stats_rows(void);

#endif
