/* status.h -- what the service manager hears while tailmux runs: a STATUS=
 * line within STATUS_INTERVAL seconds of a change (none while idle), and
 * WATCHDOG=1 at half the interval it asked for.  Loop thread only. */
#ifndef TAILMUX_STATUS_H
#define TAILMUX_STATUS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct status;

#define STATUS_INTERVAL 5 /* seconds between STATUS= lines */

/* What a STATUS= line says, as of now. */
struct status_sample {
	size_t nopen;        /* files open */
	uint64_t behind;     /* bytes they hold past what was written */
	uint64_t written;    /* output bytes written since the start */
	size_t pending;      /* output bytes waiting to be written */
	uint64_t lost;       /* files rotated or truncated away before their
	                        lines were read, since the start */
	int stopping;        /* a stop is under way */
	const char *output;  /* the output's configured path */
	uint64_t fwd_behind; /* output bytes not acknowledged, all
	                        forwarders together */
	char fwd[256];       /* "; forward NAME: N bytes behind" each, or "" */
};

/* Where the figures come from: the hub fills a sample on request. */
struct status_cbs {
	void (*sample)(void *arg, struct status_sample *s);
	void *arg;
};

/* Makes the timers: STATUS= only when a service manager listens (and not
 * with `once'), the watchdog only when it was asked for.  Returns NULL
 * after logging why. */
struct status *status_create(struct event_base *base, int once,
                             const struct status_cbs *cbs);

/* Something changed: a STATUS= line within STATUS_INTERVAL. */
void status_kick(struct status *s);

/* Sends a STATUS= line now, even an idle one (at start-up). */
void status_now(struct status *s);

/* Makes the next line be sent even if it repeats an idle one (after a
 * reload, which the line should reflect). */
void status_reset(struct status *s);

/* Stops the timers and frees `s' (NULL is fine). */
void status_free(struct status *s);

#endif
