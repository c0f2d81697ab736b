/* inotify_enospc.c -- an LD_PRELOAD shim for test_watchlimit.py: the
 * kernel's inotify watch limit (fs.inotify.max_user_watches), reached.
 * inotify_add_watch() fails with ENOSPC for anything but a directory, as
 * it would once the directories took the last watches; with
 * TMSHIM_ENOSPC=all in the environment, for directories too.  A test
 * cannot lower the sysctl itself without harming the machine. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>

int
inotify_add_watch(int fd, const char *path, uint32_t mask)
{
	static int (*next)(int, const char *, uint32_t);
	struct stat st;

	const char *all = getenv("TMSHIM_ENOSPC");

	if (stat(path, &st) == 0 &&
	    (!S_ISDIR(st.st_mode) || (all != NULL && all[0] == 'a'))) {
		errno = ENOSPC;
		return -1;
	}
	if (next == NULL)
		next = (int (*)(int, const char *, uint32_t))dlsym(
		    RTLD_NEXT, "inotify_add_watch");
	return next(fd, path, mask);
}
