/* watch.h -- one tailed file: its path, the file open under it, the offset
 * of the next line to read, and the flags of its little state machine.
 * Watches belong to the loop thread. */
#ifndef TAILMUX_WATCH_H
#define TAILMUX_WATCH_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "config.h"

struct notify_reg;

/* What watch_open() found. */
enum watch_open_result {
	WATCH_OPENED,
	WATCH_MISSING, /* no file at the path yet */
	WATCH_FAILED,  /* errno says why (EACCES, not a regular file, ...) */
};

struct watch {
	uint32_t slot; /* index in the daemon's table */
	uint32_t gen;  /* bumped when the slot is reused */
	char *path;
	char *dir; /* the directory holding path */
	const char *base; /* path's last component, inside path */
	const struct config_input *input;

	int fd; /* -1 while missing */
	dev_t dev;
	ino_t ino;
	uint64_t offset; /* where the next unread line starts */

	struct notify_reg *file_reg;
	struct notify_reg *dir_reg;

	unsigned busy : 1;     /* a read job is in flight */
	unsigned dirty : 1;    /* woken while busy: read again */
	unsigned queued : 1;   /* in the ready queue */
	unsigned moved : 1;    /* the path may name another file now */
	unsigned done : 1;     /* --once: read to its end */
	unsigned polled : 1;   /* inotify cannot watch it: stat-polled */
	int reported;          /* errno already logged for it, or 0 */

	TAILQ_ENTRY(watch) ready_entry;
};

/* A watch on `path' for `input', with no file open yet. */
struct watch *watch_create(const char *path, const struct config_input *input);

/* Closes its file (if any) and frees it; registrations must be gone. */
void watch_free(struct watch *w);

/* Opens the file at the path.  `at_end' starts at its end instead of its
 * start.  Returns what happened; on WATCH_FAILED errno says why. */
enum watch_open_result watch_open(struct watch *w, int at_end);

/* Closes the file, keeping the watch. */
void watch_close(struct watch *w);

/* 1 if the path now names a file other than the one open (or none),
 * 0 if the same, -1 with errno if it cannot be told. */
int watch_replaced(const struct watch *w);

#endif
