/* Virtual time of the simulator.
 *
 * Virtual time is a signed 64-bit count of microseconds since the start of a
 * run. It never mixes with wall-clock time: benchmarks that measure wall time
 * use their own types. */
#ifndef SIM_TIME_H
#define SIM_TIME_H

#include <stdint.h>

typedef int64_t sim_time_t;

#define SIM_TIME_MAX INT64_MAX
#define SIM_US_PER_MS INT64_C(1000)
#define SIM_US_PER_S INT64_C(1000000)

#define SIM_MS(ms) ((sim_time_t)(ms) * SIM_US_PER_MS)
#define SIM_S(s) ((sim_time_t)(s) * SIM_US_PER_S)

#endif
