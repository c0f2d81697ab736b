/* rotate.h -- when the output rotates and what its rotated files are called.
 *
 * Pure arithmetic on times and names, with no state: the loop asks when the
 * next wall-clock boundary is and what to rename the output to; the workers
 * ask which files in the output's directory are rotated copies of it.
 *
 * The scheme: the output "DIR/NAME" rotated at local (or UTC) time
 * 2026-11-25 19:37:12 becomes "DIR/NAME.20261125-193712.000"; a second
 * rotation within the same second takes ".001", and so on to ".999".  Once
 * compressed it is "NAME.20261125-193712.000.gz", written first as
 * "NAME.20261125-193712.000.gz.tmp".  The names sort by time. */
#ifndef TAILMUX_ROTATE_H
#define TAILMUX_ROTATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"

/* What a rotated name adds to the output's: ".YYYYmmdd-HHMMSS.NNN". */
#define ROTATE_SUFFIX_LEN 20

/* The highest counter a rotated name may carry. */
#define ROTATE_MAX_COUNTER 999

/* What rotate_match() found a name to be. */
enum rotate_kind {
	ROTATE_NOT_OURS, /* anything else: never touched */
	ROTATE_PLAIN,    /* NAME.STAMP.NNN */
	ROTATE_GZ,       /* NAME.STAMP.NNN.gz */
	ROTATE_GZ_TMP,   /* NAME.STAMP.NNN.gz.tmp, a gzip cut short */
};

/* The first wall-clock boundary of `period' strictly after `now': the next
 * full hour, the next midnight, or the next multiple of `every_ms' since the
 * epoch (ROTATE_EVERY), in UTC or in the local time zone (which may change
 * its offset for daylight saving in between).  ROTATE_NONE gives 0. */
time_t rotate_boundary(time_t now, enum rotate_period period, uint64_t every_ms,
                       int utc);

/* The rotated name of `base' (a file name, no directory) at `when' with
 * `counter'; the caller frees it. */
char *rotate_name(const char *base, time_t when, int utc, unsigned counter);

/* Says whether `name' is one of base's rotated files, and which kind.  On
 * a match, *stem_len is the length of the name up to the counter's end
 * (NAME.STAMP.NNN), which is the same for a file and its .gz. */
enum rotate_kind rotate_match(const char *base, const char *name,
                              size_t *stem_len);

/* True if `path' is a file tailmux writes, as named by the configuration:
 * the output `output', one of its rotated files in the same directory
 * (plain, .gz or .gz.tmp, as rotate_match() says), or the checkpoint
 * `state_file', its .tmp or its .bad.  The output's current name, when it
 * differs, is for the caller to compare. */
int rotate_is_own(const char *output, const char *state_file, const char *path);

#endif
