/* check_rotate.c -- rotation boundaries (hourly, daily, every N seconds; UTC
 * and local, across daylight-saving changes) on a fixed clock, the rotated
 * names, and which files are tailmux's own. */
#include "autoconf.h"

#include "rotate.h"

#include "tmcheck.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Central Europe: CET, CEST from the last Sunday of March 02:00 to the
 * last Sunday of October 03:00.  POSIX rules need no tzdata. */
#define TZ_BERLIN "CET-1CEST,M3.5.0,M10.5.0/3"

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* The epoch time of a UTC date. */
static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

/* In UTC, hourly and daily are the next full hour and midnight; a time on
 * a boundary gives the next one. */
START_TEST(test_utc)
{
	time_t now = utc(2026, 11, 25, 19, 37, 12);

	set_tz(TZ_BERLIN); /* must not matter */
	ck_assert_int_eq(rotate_boundary(now, ROTATE_HOURLY, 0, 1),
	                 utc(2026, 11, 25, 20, 0, 0));
	ck_assert_int_eq(rotate_boundary(now, ROTATE_DAILY, 0, 1),
	                 utc(2026, 11, 26, 0, 0, 0));
	ck_assert_int_eq(
	    rotate_boundary(utc(2026, 11, 26, 0, 0, 0), ROTATE_DAILY, 0, 1),
	    utc(2026, 11, 27, 0, 0, 0));
	ck_assert_int_eq(
	    rotate_boundary(utc(2026, 12, 31, 23, 59, 59), ROTATE_DAILY, 0, 1),
	    utc(2027, 1, 1, 0, 0, 0));
	ck_assert_int_eq(rotate_boundary(now, ROTATE_NONE, 0, 1), 0);
}
END_TEST

/* Every N seconds counts from midnight: 15m boundaries are at :00, :15,
 * :30 and :45; 2s ones at even seconds. */
START_TEST(test_every)
{
	time_t now = utc(2026, 11, 25, 19, 37, 12);

	ck_assert_int_eq(rotate_boundary(now, ROTATE_EVERY, 900000, 1),
	                 utc(2026, 11, 25, 19, 45, 0));
	ck_assert_int_eq(rotate_boundary(now, ROTATE_EVERY, 2000, 1), now + 2);
	ck_assert_int_eq(rotate_boundary(now + 1, ROTATE_EVERY, 2000, 1),
	                 now + 2);
	set_tz(TZ_BERLIN); /* local: 20:37:12 CET */
	ck_assert_int_eq(rotate_boundary(now, ROTATE_EVERY, 900000, 0),
	                 utc(2026, 11, 25, 19, 45, 0));
}
END_TEST

/* Local time: midnight is the zone's, and the spring-forward day has 23
 * hours, the fall-back day 25. */
START_TEST(test_local_daily_dst)
{
	time_t t;

	set_tz(TZ_BERLIN);
	/* 2026-11-25 20:37:12 CET: next midnight is 23:00 UTC. */
	ck_assert_int_eq(
	    rotate_boundary(utc(2026, 11, 25, 19, 37, 12), ROTATE_DAILY, 0, 0),
	    utc(2026, 11, 25, 23, 0, 0));
	/* Spring forward on Sunday 2026-03-29. */
	t = rotate_boundary(utc(2026, 3, 28, 11, 0, 0), ROTATE_DAILY, 0, 0);
	ck_assert_int_eq(t, utc(2026, 3, 28, 23, 0, 0)); /* 00:00 CET */
	t = rotate_boundary(t, ROTATE_DAILY, 0, 0);
	ck_assert_int_eq(t, utc(2026, 3, 29, 22, 0, 0)); /* 00:00 CEST */
	/* Fall back on Sunday 2026-10-25. */
	t = rotate_boundary(utc(2026, 10, 24, 10, 0, 0), ROTATE_DAILY, 0, 0);
	ck_assert_int_eq(t, utc(2026, 10, 24, 22, 0, 0)); /* 00:00 CEST */
	t = rotate_boundary(t, ROTATE_DAILY, 0, 0);
	ck_assert_int_eq(t, utc(2026, 10, 25, 23, 0, 0)); /* 00:00 CET */
}
END_TEST

/* Hourly in local time across the fall-back hour: 02:00-03:00 happens
 * twice and each of its hours is rotated once. */
START_TEST(test_local_hourly_dst)
{
	time_t t;

	set_tz(TZ_BERLIN);
	t = rotate_boundary(utc(2026, 10, 25, 0, 30, 0), ROTATE_HOURLY, 0,
	                    0);                          /* 02:30 CEST */
	ck_assert_int_eq(t, utc(2026, 10, 25, 1, 0, 0)); /* 02:00 CET */
	t = rotate_boundary(t, ROTATE_HOURLY, 0, 0);
	ck_assert_int_eq(t, utc(2026, 10, 25, 2, 0, 0)); /* 03:00 CET */
	/* A zone half an hour off: local hours start at :30 UTC. */
	set_tz("IST-5:30");
	ck_assert_int_eq(
	    rotate_boundary(utc(2026, 1, 1, 0, 0, 0), ROTATE_HOURLY, 0, 0),
	    utc(2026, 1, 1, 0, 30, 0));
}
END_TEST

/* Where clocks jump from 00:00 to 01:00, the day starts at 01:00. */
START_TEST(test_local_no_midnight)
{
	time_t now = utc(2026, 9, 5, 15, 0, 0), t; /* 12:00 at UTC-3 */

	/* UTC-3, DST (UTC-2) from the first Sunday of September 00:00. */
	set_tz("<-03>3<-02>,M9.1.0/0,M4.1.0/0");
	t = rotate_boundary(now, ROTATE_DAILY, 0, 0);
	ck_assert_int_gt(t, now);
	ck_assert_int_eq(t, utc(2026, 9, 6, 3, 0, 0)); /* 01:00 at UTC-2 */
}
END_TEST

/* Names carry the time (UTC or local) and a three-digit counter. */
START_TEST(test_name)
{
	time_t when = utc(2026, 11, 25, 19, 37, 12);
	char *n;

	set_tz(TZ_BERLIN);
	n = rotate_name("merged.log", when, 1, 0);
	ck_assert_str_eq(n, "merged.log.20261125-193712.000");
	free(n);
	n = rotate_name("merged.log", when, 1, 12);
	ck_assert_str_eq(n, "merged.log.20261125-193712.012");
	free(n);
	n = rotate_name("merged.log", when, 0, 999);
	ck_assert_str_eq(n, "merged.log.20261125-203712.999");
	free(n);
}
END_TEST

/* Only the exact scheme matches; everything else is not ours. */
START_TEST(test_match)
{
	static const struct {
		const char *name;
		enum rotate_kind kind;
	} cases[] = {
	    {"merged.log.20261125-193712.000", ROTATE_PLAIN},
	    {"merged.log.20261125-193712.042.gz", ROTATE_GZ},
	    {"merged.log.20261125-193712.000.gz.tmp", ROTATE_GZ_TMP},
	    {"merged.log", ROTATE_NOT_OURS},
	    {"merged.log.1", ROTATE_NOT_OURS},
	    {"merged.log.1.gz", ROTATE_NOT_OURS},
	    {"merged.log.20261125-193712", ROTATE_NOT_OURS},
	    {"merged.log.20261125-193712.00", ROTATE_NOT_OURS},
	    {"merged.log.20261125-193712.0000", ROTATE_NOT_OURS},
	    {"merged.log.20261125-193712.000.bak", ROTATE_NOT_OURS},
	    {"merged.log.20261125-193712.000.gz.bak", ROTATE_NOT_OURS},
	    {"merged.log.2026112a-193712.000", ROTATE_NOT_OURS},
	    {"merged.log.20261125_193712.000", ROTATE_NOT_OURS},
	    {"merged.logx20261125-193712.000", ROTATE_NOT_OURS},
	    {"other.log.20261125-193712.000", ROTATE_NOT_OURS},
	    {"xmerged.log.20261125-193712.000", ROTATE_NOT_OURS},
	};
	size_t stem;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		stem = 0;
		ck_assert_msg(rotate_match("merged.log", cases[i].name,
		                           &stem) == cases[i].kind,
		              "%s", cases[i].name);
		if (cases[i].kind != ROTATE_NOT_OURS)
			ck_assert_uint_eq(stem, strlen("merged.log.20261125-"
			                               "193712.000"));
	}
}
END_TEST

/* The files tailmux writes are its own: the output, its rotated files
 * next to it, the checkpoint and its .tmp and .bad; nothing else is. */
START_TEST(test_is_own)
{
	static const char out[] = "/var/log/tailmux/merged.log";
	static const char st[] = "/var/lib/tailmux/state";
	static const struct {
		const char *path;
		int own;
	} cases[] = {
	    {"/var/log/tailmux/merged.log", 1},
	    {"/var/log/tailmux/merged.log.20261125-193712.000", 1},
	    {"/var/log/tailmux/merged.log.20261125-193712.999.gz", 1},
	    {"/var/log/tailmux/merged.log.20261125-193712.001.gz.tmp", 1},
	    {"/var/lib/tailmux/state", 1},
	    {"/var/lib/tailmux/state.tmp", 1},
	    {"/var/lib/tailmux/state.bad", 1},
	    /* Rotated names elsewhere: another directory, one below, one
	     * whose name starts like the output's, the state file's. */
	    {"/var/log/other/merged.log.20261125-193712.000", 0},
	    {"/var/log/tailmux/sub/merged.log.20261125-193712.000", 0},
	    {"/var/log/tailmuxx/merged.log.20261125-193712.000", 0},
	    {"/var/log/merged.log.20261125-193712.000", 0},
	    {"/var/lib/tailmux/merged.log.20261125-193712.000", 0},
	    {"/var/lib/tailmux/state.20261125-193712.000", 0},
	    /* Near misses of the output and its rotated names. */
	    {"/var/log/tailmux/merged.log.1", 0},
	    {"/var/log/tailmux/merged.log.tmp", 0},
	    {"/var/log/tailmux/merged.log.20261125-193712.000.bak", 0},
	    {"/var/log/tailmux/merged.lo", 0},
	    {"/var/log/tailmux/xmerged.log", 0},
	    {"/var/log/tailmux/merged.log/x", 0},
	    {"/var/log/tailmux/merged.log.20261125-193712.000/x", 0},
	    /* The state file's prefix with other suffixes. */
	    {"/var/lib/tailmux/state.old", 0},
	    {"/var/lib/tailmux/state.tmp.1", 0},
	    {"/var/lib/tailmux/state.bad.tmp", 0},
	    {"/var/lib/tailmux/statefile", 0},
	    {"/var/lib/tailmux/state.tm", 0},
	    {"/var/lib/tailmux/stat", 0},
	    {"/var/lib/tailmux/state/x", 0},
	    {"/var/log/tailmux/state", 0},
	    {"/var/log/tailmux/state.tmp", 0},
	    /* Unrelated files. */
	    {"/var/log/syslog", 0},
	    {"/var/log/tailmux/other.log", 0},
	    {"/var/log/tailmux/other.log.20261125-193712.000", 0},
	    {"/", 0},
	    {"", 0},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(rotate_is_own(out, st, cases[i].path) ==
		                  cases[i].own,
		              "%s: want %d", cases[i].path, cases[i].own);
	/* Swapping the two roles swaps the answers. */
	ck_assert_int_eq(rotate_is_own(st, out,
	                               "/var/lib/tailmux/state."
	                               "20261125-193712.000"),
	                 1);
	ck_assert_int_eq(rotate_is_own(st, out,
	                               "/var/log/tailmux/merged.log."
	                               "20261125-193712.000"),
	                 0);
	ck_assert_int_eq(
	    rotate_is_own(st, out, "/var/log/tailmux/merged.log.tmp"), 1);
	/* An output with no directory: its rotated files are beside it. */
	ck_assert_int_eq(
	    rotate_is_own("merged.log", st, "merged.log.20261125-193712.000"),
	    1);
	ck_assert_int_eq(
	    rotate_is_own("merged.log", st, "d/merged.log.20261125-193712.000"),
	    0);
	/* An output at the root. */
	ck_assert_int_eq(
	    rotate_is_own("/m.log", st, "/m.log.20261125-193712.000.gz"), 1);
	ck_assert_int_eq(
	    rotate_is_own("/m.log", st, "/d/m.log.20261125-193712.000.gz"), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rotate");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_utc);
	tcase_add_test(tc, test_every);
	tcase_add_test(tc, test_local_daily_dst);
	tcase_add_test(tc, test_local_hourly_dst);
	tcase_add_test(tc, test_local_no_midnight);
	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_is_own);
	suite_add_tcase(s, tc);
	return tmcheck_run(s);
}
