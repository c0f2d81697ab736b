/* output.c -- the merged output file and the one writer that appends to it. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "output.h"
#include "path.h"
#include "xmalloc.h"

/* Write at once when this much is waiting, rather than when idle. */
#define OUTPUT_FLUSH_AT (1024 * 1024)
#define OUTPUT_IOV 64
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
	struct event
	    *flush_ev; /* lowest priority: runs when the loop is idle */
	struct event *retry_ev;
	int retry_ms;
	int failing; /* errno of the failure being retried, 0 if none */
	struct output_chunk *head, **tail;
	size_t pending;
	uint64_t written;
	uint64_t length;    /* of the file, as far as we wrote it */
	uint64_t committed; /* length after the last chunk written whole */
	uint64_t dev, ino;
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
	event_priority_set(out->flush_ev, 2); /* below the default, 1 */
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

	if (out->pending > 0) {
		*cause = xasprintf("%zu bytes for %s are not written yet",
		                   out->pending, out->path);
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
	struct output_chunk *c;
	size_t before = out->pending;
	ssize_t n;
	int i;

	while (out->head != NULL) {
		for (i = 0, c = out->head; c != NULL && i < OUTPUT_IOV;
		     c = c->next, i++) {
			iov[i].iov_base = c->data.data + c->done;
			iov[i].iov_len = c->data.len - c->done;
		}
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
	if (out->failing) {
		log_notice("writing %s again", out->path);
		out->failing = 0;
		out->retry_ms = 0;
		evtimer_del(out->retry_ev);
	}
	if (before > 0)
		out->cbs.written(out->cbs.arg);
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
