/* tmcheck.h -- what the main() of every Check suite does. */
#ifndef TAILMUX_TMCHECK_H
#define TAILMUX_TMCHECK_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* The size of a buffer for tmcheck_mkdtemp(). */
#define TMCHECK_DIR_MAX 64

/* Runs every test of `s' (CK_RUN_CASE and the like from the environment)
 * and returns the exit status: 0 if all passed, else 1. */
static inline int
tmcheck_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

/* Makes a new directory /tmp/NAME.XXXXXX for a test; its path goes to
 * `dir' (TMCHECK_DIR_MAX bytes). */
static inline void
tmcheck_mkdtemp(char *dir, const char *name)
{
	ck_assert_int_lt(snprintf(dir, TMCHECK_DIR_MAX, "/tmp/%s.XXXXXX", name),
	                 TMCHECK_DIR_MAX);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes a directory tmcheck_mkdtemp() made, and all it holds. */
static inline void
tmcheck_rmtree(const char *dir)
{
	char cmd[TMCHECK_DIR_MAX + 16];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

#endif
