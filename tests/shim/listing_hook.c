/* listing_hook.c -- an LD_PRELOAD shim for the tests: runs a shell command
 * once, right after the program has listed a given directory for the first
 * time (at its first closedir() of a stream opendir() made on it), or right
 * before it does (in that opendir()), so that a test can change the
 * directory and its files at the one moment a real system gives no hold
 * on: between a listing and what the program does around it.
 *
 *   TMHOOK_DIR  the directory, as the program names it to opendir()
 *   TMHOOK_CMD  the command, run with system(3)
 *   TMHOOK_AT   "opendir" to run it before the listing; "openat:NAME" to
 *               run it in the listing, right before the program opens
 *               the file NAME of it (openat(2) with that relative name);
 *               "rename:NAME" to run it before every rename(2) onto a
 *               path whose last part is NAME (not once: the command says
 *               by itself when it has work; it may kill the program);
 *               else after the listing */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

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

/* Runs the command before the first openat() of NAME, "openat:NAME". */
static void
hook_openat(const char *name)
{
	const char *cmd = getenv("TMHOOK_CMD");
	const char *at = getenv("TMHOOK_AT");

	if (hook_done || cmd == NULL || at == NULL ||
	    strncmp(at, "openat:", 7) != 0 || strcmp(at + 7, name) != 0)
		return;
	hook_done = 1;
	if (system(cmd) != 0)
		abort();
}

/* openat(2) through `real' (found as `sym'), after hook_openat(). */
static int
hook_open(int (**real)(int, const char *, int, ...), const char *sym, int dfd,
          const char *name, int flags, mode_t mode)
{
	if (*real == NULL)
		*real =
		    (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, sym);
	hook_openat(name);
	return (*real)(dfd, name, flags, mode);
}

/* The mode argument of an open that creates (else 0). */
#define HOOK_MODE(flags, mode)                                                 \
	do {                                                                   \
		va_list ap;                                                    \
		if ((flags) & (O_CREAT | O_TMPFILE)) {                         \
			va_start(ap, flags);                                   \
			(mode) = va_arg(ap, mode_t);                           \
			va_end(ap);                                            \
		}                                                              \
	} while (0)

int
openat(int dfd, const char *name, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	mode_t mode = 0;

	HOOK_MODE(flags, mode);
	return hook_open(&real, "openat", dfd, name, flags, mode);
}

int
openat64(int dfd, const char *name, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	mode_t mode = 0;

	HOOK_MODE(flags, mode);
	return hook_open(&real, "openat64", dfd, name, flags, mode);
}

/* Runs the command before each rename onto NAME, "rename:NAME". */
int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	const char *cmd = getenv("TMHOOK_CMD");
	const char *at = getenv("TMHOOK_AT");
	const char *base = strrchr(to, '/');

	if (real == NULL)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT,
		                                                  "rename");
	base = base == NULL ? to : base + 1;
	if (cmd != NULL && at != NULL && strncmp(at, "rename:", 7) == 0 &&
	    strcmp(at + 7, base) == 0 && system(cmd) != 0)
		abort();
	return real(from, to);
}
