/* fds.h -- the descriptor budget.  At start the soft RLIMIT_NOFILE is
 * raised to the hard limit (as systemd asks of programs that need many
 * descriptors: the soft limit it gives a service, 1024, is for select());
 * FDS_RESERVE of them are kept for the output, the checkpoint and its
 * temporary file, gzip, directory listings, inotify and the event loop,
 * and the rest may hold input files open.  Past that, the inputs
 * inactive longest are closed (see tail.h).  Process-wide; the loop
 * thread calls it. */
#ifndef TAILMUX_FDS_H
#define TAILMUX_FDS_H

#include <stddef.h>

/* Descriptors kept back from the inputs. */
#define FDS_RESERVE 64

/* Raises the soft descriptor limit to the hard one (said at debug level,
 * or as a warning when it cannot be).  Returns the soft limit now. */
size_t fds_raise(void);

/* How many input files may be open at once: the soft limit less
 * FDS_RESERVE, and at least 8. */
size_t fds_budget(void);

/* True if `err' says the process or the system is out of descriptors
 * (EMFILE, ENFILE). */
int fds_exhausted(int err);

/* Says once, as a warning, that the descriptors ran out while `doing'
 * something (errno `err'); later times only at debug level, until
 * fds_recovered(). */
void fds_report(int err, const char *doing);

/* A descriptor could be had again after fds_report(): the next shortage
 * is said again (once). */
void fds_recovered(void);

#endif
