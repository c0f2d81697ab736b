/* follow.h -- one configured path, followed by name through rotations.
 * The file now at the path is its current watch; files rotated away from
 * it are read to their end by watches of their own. */
#ifndef TAILMUX_FOLLOW_H
#define TAILMUX_FOLLOW_H

#include "config.h"

struct notify_reg;
struct watch;

struct follow {
	char *path;
	char *dir;        /* the directory holding path */
	const char *base; /* path's last component, inside path */
	const struct config_input *input;

	struct watch *cur; /* the file at the path, NULL while there is none */
	struct notify_reg *dir_reg;
	uint64_t dir_dev; /* the directory dir_reg watches */
	uint64_t dir_ino;
	unsigned hold;          /* older files of this path to read to their end
	                           before cur is read */
	unsigned seen : 1;      /* known before: a file here now is new, read
	                           from its start whatever `start' says */
	unsigned polled : 1;    /* inotify cannot watch the directory */
	unsigned dir_lost : 1;  /* the directory watched was removed or moved:
	                           watch its path again */
	unsigned from_glob : 1; /* found by a glob: dropped once its file is
	                           gone and read to its end */
	unsigned gone : 1;      /* dropped; freed on the next reap */
	unsigned dir_writes : 1; /* dir_reg tells of the writes to the file at
	                            the path (a glob's: see tail.c) */
	unsigned nwatches;       /* open files of this path, current or not */
	int reported;            /* errno already logged for the path, or 0 */
};

/* A follow of `path' for `input', with no file yet. */
struct follow *follow_create(const char *path,
                             const struct config_input *input);

/* Frees it; its watches and registrations must be gone. */
void follow_free(struct follow *f);

#endif
