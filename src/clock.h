/* clock.h -- the monotonic clock in milliseconds, as timers and rate
 * limits count. */
#ifndef TAILMUX_CLOCK_H
#define TAILMUX_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t clock_ms(void);

#endif
