/* tmcheck.h -- what the main() of every Check suite does. */
#ifndef TAILMUX_TMCHECK_H
#define TAILMUX_TMCHECK_H

#include <check.h>

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

#endif
