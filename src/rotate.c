/* rotate.c -- when the output rotates and what its rotated files are called. */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "path.h"
#include "rotate.h"
#include "xmalloc.h"

/* "YYYYmmdd-HHMMSS.NNN" */
#define ROTATE_STAMP_LEN 19

/* The first multiple of `step' seconds after `now', counted on a clock that
 * is `offset' seconds ahead of UTC. */
static time_t
rotate_next_multiple(time_t now, long offset, long long step)
{
	long long local = (long long)now + offset;
	long long r = local % step;

	if (r < 0)
		r += step;
	return (time_t)(now - r + step);
}

time_t
rotate_boundary(time_t now, enum rotate_period period, uint64_t every_ms,
                int utc)
{
	struct tm tm;
	long offset = 0;
	time_t t;

	if (period == ROTATE_NONE)
		return 0;
	if (!utc) {
		if (localtime_r(&now, &tm) == NULL)
			return now + 1;
		offset = tm.tm_gmtoff;
	}
	switch (period) {
	case ROTATE_HOURLY:
		return rotate_next_multiple(now, offset, 3600);
	case ROTATE_EVERY:
		return rotate_next_multiple(
		    now, offset,
		    every_ms < 1000 ? 1 : (long long)(every_ms / 1000));
	case ROTATE_DAILY:
		if (utc)
			return rotate_next_multiple(now, 0, 86400);
		/* The next local midnight: the day may have 23 or 25 hours,
		 * and where midnight does not exist, mktime() gives the
		 * first time that does. */
		tm.tm_mday++;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		return t > now ? t : rotate_next_multiple(now, offset, 86400);
	case ROTATE_NONE:
		break;
	}
	return 0;
}

char *
rotate_name(const char *base, time_t when, int utc, unsigned counter)
{
	char stamp[32];
	struct tm tm;

	if ((utc ? gmtime_r(&when, &tm) : localtime_r(&when, &tm)) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm) != 15)
		snprintf(stamp, sizeof stamp, "00000000-000000");
	return xasprintf("%s.%s.%03u", base, stamp,
	                 counter > ROTATE_MAX_COUNTER ? ROTATE_MAX_COUNTER
	                                              : counter);
}

/* True if s[0..n) are all digits. */
static int
rotate_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

enum rotate_kind
rotate_match(const char *base, const char *name, size_t *stem_len)
{
	size_t blen = strlen(base);
	const char *s = name + blen + 1, *rest;

	if (strncmp(name, base, blen) != 0 || name[blen] != '.' ||
	    strlen(s) < ROTATE_STAMP_LEN)
		return ROTATE_NOT_OURS;
	if (!rotate_digits(s, 8) || s[8] != '-' || !rotate_digits(s + 9, 6) ||
	    s[15] != '.' || !rotate_digits(s + 16, 3))
		return ROTATE_NOT_OURS;
	rest = s + ROTATE_STAMP_LEN;
	*stem_len = (size_t)(rest - name);
	if (*rest == '\0')
		return ROTATE_PLAIN;
	if (strcmp(rest, ".gz") == 0)
		return ROTATE_GZ;
	if (strcmp(rest, ".gz.tmp") == 0)
		return ROTATE_GZ_TMP;
	return ROTATE_NOT_OURS;
}

int
rotate_is_own(const char *output, const char *state_file, const char *path)
{
	size_t dlen = strlen(output) - strlen(path_base(output)),
	       slen = strlen(state_file), stem;

	if (strcmp(path, output) == 0)
		return 1;
	if (strncmp(path, state_file, slen) == 0 &&
	    (path[slen] == '\0' || strcmp(path + slen, ".tmp") == 0 ||
	     strcmp(path + slen, ".bad") == 0))
		return 1;
	/* A rotated file sits in the output's directory, not below it. */
	return strncmp(path, output, dlen) == 0 &&
	       strchr(path + dlen, '/') == NULL &&
	       rotate_match(path_base(output), path + dlen, &stem) !=
	           ROTATE_NOT_OURS;
}
