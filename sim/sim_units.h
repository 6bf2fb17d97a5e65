/* Durations as scenario files write them, and times as outputs print them.
 *
 * A duration is a decimal number followed by a unit: "250ms", "90s",
 * "1.5m", "2h", "500us". Only "0" may go without a unit. A decimal point
 * has digits on both sides ("0.5s", not ".5s" or "5.s"). The value must
 * come out as a whole number of microseconds. */
#ifndef SIM_UNITS_H
#define SIM_UNITS_H

#include <stddef.h>

#include "sim_time.h"

/* Parses a duration into microseconds. Returns 0, -EINVAL when text is not a
 * duration, or -ERANGE when it is negative, finer than a microsecond or
 * beyond the range of sim_time_t. */
int sim_duration_parse(const char *text, sim_time_t *out_us);

/* Writes us as seconds with six decimals ("12.500000"), for CSV columns. */
void sim_format_seconds_fixed(char *buf, size_t buf_len, sim_time_t us);

/* Writes us as seconds without trailing zeros and with the unit ("12.5s",
 * "0.000250s"), for messages. */
void sim_format_seconds(char *buf, size_t buf_len, sim_time_t us);

#endif
