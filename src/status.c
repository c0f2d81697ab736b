/* status.c -- STATUS= lines and the watchdog (see status.h). */
#include "autoconf.h"

#include <inttypes.h>
#include <stdlib.h>
#include <sys/time.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "service.h"
#include "status.h"
#include "xmalloc.h"

struct status {
	struct status_cbs cbs;
	struct event *status_ev;   /* the next STATUS= line, NULL: none */
	struct event *watchdog_ev; /* WATCHDOG=1, NULL: none asked for */
	uint64_t at;               /* ms: when the last line was sent */
	uint64_t written;          /* output bytes written then */
	int idle;                  /* it said 0 bytes/s, */
	uint64_t behind;           /* this many bytes behind, */
	size_t nopen;              /* and this many files */
	uint64_t lost;             /* and this many files lost */
	uint64_t fwd_behind;       /* and the forwarders this far behind */
};

/* Sends a STATUS= line: the files open, the output bytes written per
 * second since the last line (lines are not counted: raw reads never look
 * at each one), and how far the output is behind the inputs.  Sends one
 * more after a change, so that an idle daemon shows 0 bytes/s, and then
 * has no timer; a timer that finds nothing new sends nothing (fd -1:
 * sends in any case). */
static void
status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct status *s = arg;
	struct status_sample m = {0};
	uint64_t now = clock_ms(), bytes, rate = 0;

	(void)what;
	s->cbs.sample(s->cbs.arg, &m);
	bytes = m.written - s->written;
	if (now > s->at && s->at != 0)
		rate = bytes * 1000 / (now - s->at);
	/* Idle, as the last line said: nothing to tell. */
	if (!m.stopping && fd != -1 && rate == 0 && s->idle &&
	    m.behind == s->behind && m.nopen == s->nopen && m.pending == 0 &&
	    m.lost == s->lost && m.fwd_behind == s->fwd_behind)
		return;
	s->idle = rate == 0;
	s->behind = m.behind;
	s->nopen = m.nopen;
	s->lost = m.lost;
	s->fwd_behind = m.fwd_behind;
	if (m.stopping)
		service_status("stopping: %zu bytes to write to %s", m.pending,
		               m.output);
	else if (m.lost > 0)
		service_status("following %zu file%s into %s; %" PRIu64
		               " bytes/s written; %" PRIu64
		               " bytes behind; %" PRIu64
		               " rotated file%s lost (see the log)%s",
		               m.nopen, m.nopen == 1 ? "" : "s", m.output, rate,
		               m.behind, m.lost, m.lost == 1 ? "" : "s", m.fwd);
	else
		service_status("following %zu file%s into %s; %" PRIu64
		               " bytes/s written; %" PRIu64 " bytes behind%s",
		               m.nopen, m.nopen == 1 ? "" : "s", m.output, rate,
		               m.behind, m.fwd);
	s->at = now;
	s->written = m.written;
	if (bytes > 0 || m.pending > 0 || m.fwd_behind > 0)
		status_kick(s);
}

static void
status_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	service_watchdog();
}

struct status *
status_create(struct event_base *base, int once, const struct status_cbs *cbs)
{
	struct status *s = xcalloc(1, sizeof *s);
	uint64_t usec = service_watchdog_usec();
	struct timeval tv;

	s->cbs = *cbs;
	if (!once && service_active()) {
		s->status_ev = evtimer_new(base, status_cb, s);
		if (s->status_ev == NULL) {
			log_errx("cannot create the status timer");
			goto fail;
		}
	}
	if (usec > 0) {
		s->watchdog_ev =
		    event_new(base, -1, EV_PERSIST, status_watchdog_cb, s);
		tv.tv_sec = (time_t)(usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
		if (s->watchdog_ev == NULL ||
		    event_add(s->watchdog_ev, &tv) == -1) {
			log_errx("cannot start the watchdog timer");
			goto fail;
		}
	}
	return s;
fail:
	status_free(s);
	return NULL;
}

void
status_kick(struct status *s)
{
	struct timeval tv = {STATUS_INTERVAL, 0};

	if (s != NULL && s->status_ev != NULL &&
	    !evtimer_pending(s->status_ev, NULL))
		evtimer_add(s->status_ev, &tv);
}

void
status_now(struct status *s)
{
	if (s->status_ev != NULL)
		status_cb(-1, 0, s);
}

void
status_reset(struct status *s)
{
	s->idle = 0;
}

void
status_free(struct status *s)
{
	if (s == NULL)
		return;
	if (s->status_ev != NULL)
		event_free(s->status_ev);
	if (s->watchdog_ev != NULL)
		event_free(s->watchdog_ev);
	free(s);
}
