/* listing_hook.c -- an LD_PRELOAD shim for the tests: runs a shell command
 * once, right after the program has listed a given directory for the first
 * time (at its first closedir() of a stream opendir() made on it), or right
 * before it does (in that opendir()), so that a test can change the
 * directory and its files at the one moment a real system gives no hold
 * on: between a listing and what the program does around it.
 *
 *   TMHOOK_DIR  the directory, as the program names it to opendir()
 *   TMHOOK_CMD  the command, run with system(3)
 *   TMHOOK_AT   "opendir" to run it before the listing; else after */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

static DIR *hook_dp;
static int hook_done;

DIR *
opendir(const char *name)
{
	static DIR *(*real)(const char *);
	const char *dir = getenv("TMHOOK_DIR");
	const char *cmd = getenv("TMHOOK_CMD");
	const char *at;
	DIR *dp;

	if (real == NULL)
		real = (DIR * (*)(const char *)) dlsym(RTLD_NEXT, "opendir");
	at = getenv("TMHOOK_AT");
	if (!hook_done && dir != NULL && cmd != NULL && at != NULL &&
	    strcmp(at, "opendir") == 0 && strcmp(name, dir) == 0) {
		hook_done = 1;
		if (system(cmd) != 0)
			abort();
	}
	dp = real(name);
	if (dp != NULL && !hook_done && hook_dp == NULL && dir != NULL &&
	    strcmp(name, dir) == 0)
		hook_dp = dp;
	return dp;
}

int
closedir(DIR *dp)
{
	static int (*real)(DIR *);
	const char *cmd = getenv("TMHOOK_CMD");
	int r;

	if (real == NULL)
		real = (int (*)(DIR *))dlsym(RTLD_NEXT, "closedir");
	r = real(dp);
	if (dp == hook_dp && !hook_done) {
		hook_done = 1;
		hook_dp = NULL;
		if (cmd != NULL && system(cmd) != 0)
			abort();
	}
	return r;
}
