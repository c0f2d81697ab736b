/* clock.h -- the monotonic clock in milliseconds, as timers and rate
 * limits count, and timers armed in it. */
#ifndef TAILMUX_CLOCK_H
#define TAILMUX_CLOCK_H

#include <stdint.h>

struct event;

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t clock_ms(void);

/* Arms the one-shot timer `ev' to fire in `ms' milliseconds. */
void clock_timer(struct event *ev, uint64_t ms);

#endif
