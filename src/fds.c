/* fds.c -- the descriptor budget: see fds.h. */
#include "autoconf.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/resource.h>

#include "fds.h"
#include "log.h"

/* The most a process may have where the hard limit is infinite, as
 * fs.nr_open allows by default. */
#define FDS_NR_OPEN 1048576

static size_t fds_limit; /* the soft limit, once read */
static int fds_said;     /* the shortage was said */

size_t
fds_raise(void)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("cannot read the descriptor limit");
		fds_limit = 1024;
		return fds_limit;
	}
	want = rl.rlim_max == RLIM_INFINITY ? FDS_NR_OPEN : rl.rlim_max;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		struct rlimit up = {want, rl.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
			log_debug("descriptor limit raised from %ju to %ju",
			          (uintmax_t)rl.rlim_cur, (uintmax_t)want);
			rl.rlim_cur = want;
		} else
			log_warn("cannot raise the descriptor limit from %ju "
			         "to %ju",
			         (uintmax_t)rl.rlim_cur, (uintmax_t)want);
	}
	fds_limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > FDS_NR_OPEN
	                ? FDS_NR_OPEN
	                : (size_t)rl.rlim_cur;
	return fds_limit;
}

size_t
fds_budget(void)
{
	struct rlimit rl;

	if (fds_limit == 0) {
		fds_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		                    rl.rlim_cur != RLIM_INFINITY &&
		                    rl.rlim_cur < FDS_NR_OPEN
		                ? (size_t)rl.rlim_cur
		                : FDS_NR_OPEN;
	}
	return fds_limit > FDS_RESERVE + 8 ? fds_limit - FDS_RESERVE : 8;
}

int
fds_exhausted(int err)
{
	return err == EMFILE || err == ENFILE;
}

void
fds_report(int err, const char *doing)
{
	if (fds_said) {
		log_debug("out of descriptors %s: %s", doing, strerror(err));
		return;
	}
	fds_said = 1;
	log_warnx("out of descriptors %s: %s (the limit is %zu, of which "
	          "%d are kept for the output and the checkpoint); said "
	          "once",
	          doing, strerror(err), fds_limit, FDS_RESERVE);
}

void
fds_recovered(void)
{
	fds_said = 0;
}
