/* service.h -- telling the service manager how tailmux is doing.
 *
 * Each call sends one sd_notify(3) message to the socket systemd names in
 * NOTIFY_SOCKET.  Built without libsystemd, or run without NOTIFY_SOCKET,
 * every call does nothing.  Loop thread only. */
#ifndef TAILMUX_SERVICE_H
#define TAILMUX_SERVICE_H

#include <stdint.h>

#include "log.h"

/* True if tailmux was built with libsystemd. */
int service_supported(void);

/* True if notifications go somewhere: built with libsystemd and
 * NOTIFY_SOCKET is set. */
int service_active(void);

/* READY=1: start-up (or a reload) is done; the inputs are open. */
void service_ready(void);

/* RELOADING=1 with MONOTONIC_USEC: a reload begins; follow it with
 * service_ready(). */
void service_reloading(void);

/* STOPPING=1: a stop begins. */
void service_stopping(void);

/* STATUS=...: one line of free text for "systemctl status". */
void service_status(const char *fmt, ...) LOG_PRINTF(1, 2);

/* The watchdog interval in microseconds that the service manager asked
 * for (WatchdogSec=, for this process), or 0 when there is none. */
uint64_t service_watchdog_usec(void);

/* WATCHDOG=1: the loop is alive. */
void service_watchdog(void);

#endif
