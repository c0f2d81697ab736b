/* service.c -- sd_notify(3) messages to the service manager.
 *
 * A failed send is logged (the log's rate limit keeps a dead socket from
 * flooding it) and otherwise ignored: systemd then misses the message and
 * acts on its own timeouts. */
#include "autoconf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "service.h"

#ifdef HAVE_LIBSYSTEMD
/* Sends `msg', logging a failure. */
static void
service_send(const char *msg)
{
	int r = sd_notify(0, msg);

	if (r < 0)
		log_warnx("cannot notify the service manager at %s: %s",
		          getenv("NOTIFY_SOCKET"), strerror(-r));
}
#endif

int
service_supported(void)
{
#ifdef HAVE_LIBSYSTEMD
	return 1;
#else
	return 0;
#endif
}

int
service_active(void)
{
	return service_supported() && getenv("NOTIFY_SOCKET") != NULL;
}

void
service_ready(void)
{
#ifdef HAVE_LIBSYSTEMD
	service_send("READY=1");
#endif
}

void
service_reloading(void)
{
#ifdef HAVE_LIBSYSTEMD
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	         (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	service_send(msg);
#endif
}

void
service_stopping(void)
{
#ifdef HAVE_LIBSYSTEMD
	service_send("STOPPING=1");
#endif
}

void
service_status(const char *fmt, ...)
{
#ifdef HAVE_LIBSYSTEMD
	char msg[512];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof msg, "STATUS=");
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	va_end(ap);
	service_send(msg);
#else
	(void)fmt;
#endif
}

uint64_t
service_watchdog_usec(void)
{
#ifdef HAVE_LIBSYSTEMD
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
#else
	return 0;
#endif
}

void
service_watchdog(void)
{
#ifdef HAVE_LIBSYSTEMD
	service_send("WATCHDOG=1");
#endif
}
