/* output.c -- the merged output file and the one writer that appends to it. */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "output.h"
#include "path.h"
#include "rotate.h"
#include "xmalloc.h"

/* Write at once when this much is waiting, rather than when idle. */
#define OUTPUT_FLUSH_AT (1024 * 1024)
#define OUTPUT_IOV 64
/* Room a waiting chunk may keep past its bytes before it is shrunk. */
#define OUTPUT_SLACK 256
#define OUTPUT_RETRY_MIN_MS 100
#define OUTPUT_RETRY_MAX_MS 30000

struct output_chunk {
	struct output_chunk *next;
	struct buf data;
	size_t done; /* bytes of data already written */
	struct output_mark mark;
};

struct output {
	char *path;
	int fd;
	/* Activated by an append, it runs after the callbacks already due
	 * in this pass of the loop (a tick's reads, the jobs the workers
	 * finished) and in the same pass: one write for all their lines,
	 * with no turn of the loop of its own. */
	struct event *flush_ev;
	struct event *retry_ev;
	int retry_ms;
	int failing; /* errno of the failure being retried, 0 if none */
	struct output_chunk *head, **tail;
	size_t pending;
	uint64_t written;
	uint64_t length;    /* of the file, as far as we wrote it */
	uint64_t committed; /* length after the last chunk written whole */
	uint64_t dev, ino;
	uint64_t limit;  /* see output_set_limit(); 0: none */
	time_t rot_when; /* the time and counter of the last rotated name */
	unsigned rot_counter;
	int held;
	struct output_cbs cbs;
};

static void
output_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	output_flush(arg);
}

/* Opens `path' for appending (creating it and its directory); returns the
 * descriptor with *st, or -1 with a message in *cause. */
static int
output_open_file(const char *path, struct stat *st, char **cause)
{
	int fd;

	if (path_mkdirs(path) == -1) {
		*cause = xasprintf("cannot create the directory of %s: %s",
		                   path, strerror(errno));
		return -1;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1) {
		*cause = xasprintf("cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Makes the output write to the file open on fd from now on. */
static void
output_use(struct output *out, int fd, const struct stat *st)
{
	out->fd = fd;
	out->dev = (uint64_t)st->st_dev;
	out->ino = (uint64_t)st->st_ino;
	out->length = out->committed = (uint64_t)st->st_size;
}

struct output *
output_open(struct event_base *base, const char *path,
            const struct output_cbs *cbs, char **cause)
{
	struct output *out;
	struct stat st;
	int fd;

	fd = output_open_file(path, &st, cause);
	if (fd == -1)
		return NULL;
	out = xcalloc(1, sizeof *out);
	out->path = xstrdup(path);
	out->tail = &out->head;
	out->cbs = *cbs;
	output_use(out, fd, &st);
	out->flush_ev = event_new(base, -1, 0, output_flush_cb, out);
	out->retry_ev = evtimer_new(base, output_flush_cb, out);
	if (out->flush_ev == NULL || out->retry_ev == NULL)
		fatalx("cannot create the output's events");
	return out;
}

int
output_reopen(struct output *out, char **cause)
{
	return output_reopen_at(out, out->path, cause);
}

int
output_reopen_at(struct output *out, const char *path, char **cause)
{
	struct stat st;
	int fd;

	if (!output_at_boundary(out)) {
		*cause = xasprintf("%s ends in a half-written line", out->path);
		return -1;
	}
	fd = output_open_file(path, &st, cause);
	if (fd == -1)
		return -1;
	if (close(out->fd) == -1)
		log_warn("closing the old %s", out->path);
	if (path != out->path) {
		free(out->path);
		out->path = xstrdup(path);
	}
	output_use(out, fd, &st);
	return 0;
}

/* The first counter that keeps rotated names at `when' growing: past the
 * last one this output used and, at its first rotation, past any in the
 * directory (from an earlier run), so that no name is used twice even
 * after retention removed it.  Later rotations need not list the
 * directory again on the loop: this run's own names are the newest. */
static unsigned
output_first_counter(const struct output *out, const char *dir,
                     const char *base, time_t when, int utc)
{
	char *first = rotate_name(base, when, utc, 0);
	size_t prefix = strlen(first) - 3, stem_len;
	unsigned n = 0, c;
	struct dirent *de;
	DIR *dp;

	if (out->rot_when == when)
		n = out->rot_counter + 1;
	dp = out->rot_when == 0 ? opendir(dir) : NULL;
	while (dp != NULL && (de = readdir(dp)) != NULL) {
		if (rotate_match(base, de->d_name, &stem_len) !=
		        ROTATE_NOT_OURS &&
		    strncmp(de->d_name, first, prefix) == 0) {
			c = (unsigned)atoi(de->d_name + prefix);
			if (c + 1 > n)
				n = c + 1;
		}
	}
	if (dp != NULL)
		closedir(dp);
	free(first);
	return n;
}

/* Renames the file to base's first free rotated name at `when'.  Returns
 * the new path, or NULL with errno. */
static char *
output_rename_rotated(struct output *out, time_t when, int utc)
{
	char *dir = path_dir(out->path), *name, *path;
	const char *base = path_base(out->path);
	int err = EEXIST;

	for (unsigned n = output_first_counter(out, dir, base, when, utc);
	     n <= ROTATE_MAX_COUNTER; n++) {
		name = rotate_name(base, when, utc, n);
		path = xasprintf("%s/%s", dir, name);
		free(name);
		if (renameat2(AT_FDCWD, out->path, AT_FDCWD, path,
		              RENAME_NOREPLACE) == 0) {
			out->rot_when = when;
			out->rot_counter = n;
			free(dir);
			return path;
		}
		free(path);
		if (errno != EEXIST) {
			err = errno;
			break;
		}
	}
	free(dir);
	errno = err;
	return NULL;
}

int
output_rotate(struct output *out, time_t when, int utc, char **rotated,
              char **cause)
{
	struct stat st;
	char *to;
	int fd;

	if (!output_at_boundary(out)) {
		*cause = xasprintf("%s ends in a half-written line", out->path);
		return -1;
	}
	/* Only the file being written: one put there by someone else (an
	 * outside rotation not followed by SIGUSR1) is not ours to rename. */
	if (stat(out->path, &st) == -1 || (uint64_t)st.st_dev != out->dev ||
	    (uint64_t)st.st_ino != out->ino) {
		*cause = xasprintf("%s is no longer the file being written "
		                   "(renamed or replaced from outside)",
		                   out->path);
		errno = ESTALE;
		return -1;
	}
	to = output_rename_rotated(out, when, utc);
	if (to == NULL) {
		*cause = xasprintf("cannot rename %s to a rotated name: %s",
		                   out->path, strerror(errno));
		return -1;
	}
	fd = output_open_file(out->path, &st, cause);
	if (fd == -1) {
		/* Back where it was, so that it is still the output. */
		if (renameat2(AT_FDCWD, to, AT_FDCWD, out->path,
		              RENAME_NOREPLACE) == -1)
			log_warn("cannot rename %s back to %s", to, out->path);
		free(to);
		return -1;
	}
	if (close(out->fd) == -1)
		log_warn("closing %s", to);
	output_use(out, fd, &st);
	*rotated = to;
	return 0;
}

void
output_set_limit(struct output *out, uint64_t limit)
{
	out->limit = limit;
	if (limit == 0 || out->length < limit)
		event_active(out->flush_ev, 0, 0); /* a held buffer may fit */
}

void
output_hold(struct output *out, int hold)
{
	out->held = hold;
	if (!hold && out->head != NULL)
		event_active(out->flush_ev, 0, 0);
}

int
output_at_boundary(const struct output *out)
{
	return out->head == NULL || out->head->done == 0;
}

int
output_fd(const struct output *out)
{
	return out->fd;
}

/* How many buffers from the head may be written now: all but those the
 * hold or the size limit keep back, at most OUTPUT_IOV.  *full is set when
 * the limit stopped it. */
static int
output_writable(const struct output *out, struct iovec *iov, int *full)
{
	uint64_t len = out->length;
	struct output_chunk *c;
	int i;

	*full = 0;
	for (i = 0, c = out->head; c != NULL && i < OUTPUT_IOV;
	     c = c->next, i++) {
		if (c->done == 0) {
			if (out->held)
				break;
			if (out->limit != 0 && len > 0 &&
			    len + c->data.len > out->limit) {
				*full = 1;
				break;
			}
		}
		iov[i].iov_base = c->data.data + c->done;
		iov[i].iov_len = c->data.len - c->done;
		len += c->data.len - c->done;
	}
	return i;
}

const char *
output_path(const struct output *out)
{
	return out->path;
}

void
output_append(struct output *out, struct buf *b, const struct output_mark *mark)
{
	struct output_chunk *c;

	if (b->len == 0) {
		buf_free(b);
		return;
	}
	/* A few lines in a much bigger buffer (a line read into the 4 KiB
	 * a read starts with) are kept at their size: 100,000 files giving a
	 * line each at once would otherwise hold 400 MiB, waiting for one
	 * write, of the 7 MiB max_pending counts. */
	if (b->cap - b->len > b->len + OUTPUT_SLACK) {
		b->data = xrealloc(b->data, b->len);
		b->cap = b->len;
	}
	c = xmalloc(sizeof *c);
	c->next = NULL;
	c->data = *b;
	c->done = 0;
	c->mark = *mark;
	memset(b, 0, sizeof *b);
	*out->tail = c;
	out->tail = &c->next;
	out->pending += c->data.len;
	if (out->failing)
		return; /* the retry timer writes it */
	if (out->pending >= OUTPUT_FLUSH_AT)
		output_flush(out);
	else
		event_active(out->flush_ev, 0, 0);
}

/* Drops the chunks fully written and advances into a partly written one. */
static void
output_advance(struct output *out, size_t n)
{
	struct output_chunk *c;
	size_t left;

	out->pending -= n;
	out->written += n;
	out->length += n;
	while (n > 0) {
		c = out->head;
		left = c->data.len - c->done;
		if (n < left) {
			c->done += n;
			return;
		}
		n -= left;
		out->head = c->next;
		if (out->head == NULL)
			out->tail = &out->head;
		out->committed += c->data.len;
		out->cbs.committed(out->cbs.arg, &c->mark, out->committed);
		buf_free(&c->data);
		free(c);
	}
}

/* A write failed: say so once, keep the bytes and try again later. */
static void
output_fail(struct output *out, int err)
{
	struct timeval tv;

	if (out->failing != err)
		log_errx("cannot write %s: %s; holding %zu bytes and reading "
		         "no more input until it can be written",
		         out->path, strerror(err), out->pending);
	out->failing = err;
	out->retry_ms =
	    out->retry_ms == 0 ? OUTPUT_RETRY_MIN_MS : out->retry_ms * 2;
	if (out->retry_ms > OUTPUT_RETRY_MAX_MS)
		out->retry_ms = OUTPUT_RETRY_MAX_MS;
	tv.tv_sec = out->retry_ms / 1000;
	tv.tv_usec = (out->retry_ms % 1000) * 1000;
	evtimer_add(out->retry_ev, &tv);
}

int
output_flush(struct output *out)
{
	struct iovec iov[OUTPUT_IOV];
	size_t before = out->pending;
	int i, full = 0;
	ssize_t n;

	while (out->head != NULL) {
		i = output_writable(out, iov, &full);
		if (i == 0)
			break;
		n = writev(out->fd, iov, i);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			output_fail(out, n == 0 ? EIO : errno);
			errno = out->failing;
			return -1;
		}
		output_advance(out, (size_t)n);
	}
	if (out->failing && before > out->pending) {
		log_notice("writing %s again", out->path);
		out->failing = 0;
		out->retry_ms = 0;
		evtimer_del(out->retry_ev);
	}
	if (before > out->pending)
		out->cbs.written(out->cbs.arg);
	if (full)
		out->cbs.full(out->cbs.arg);
	return 0;
}

int64_t
output_truncate(struct output *out, uint64_t length)
{
	uint64_t cut;

	if (out->pending > 0 || length >= out->length) {
		if (out->pending > 0)
			errno = EBUSY;
		return out->pending > 0 ? -1 : 0;
	}
	if (ftruncate(out->fd, (off_t)length) == -1)
		return -1;
	cut = out->length - length;
	out->length = out->committed = length;
	return (int64_t)cut;
}

void
output_identity(const struct output *out, uint64_t *dev, uint64_t *ino)
{
	*dev = out->dev;
	*ino = out->ino;
}

uint64_t
output_committed(const struct output *out)
{
	return out->committed;
}

size_t
output_pending(const struct output *out)
{
	return out->pending;
}

uint64_t
output_written(const struct output *out)
{
	return out->written;
}

void
output_close(struct output *out)
{
	struct output_chunk *c, *next;

	if (out == NULL)
		return;
	for (c = out->head; c != NULL; c = next) {
		next = c->next;
		buf_free(&c->data);
		free(c);
	}
	event_free(out->flush_ev);
	event_free(out->retry_ev);
	if (close(out->fd) == -1)
		log_warn("closing %s", out->path);
	free(out->path);
	free(out);
}
