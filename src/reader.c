/* reader.c -- the read job: pread a chunk and cut it into whole lines. */
#include "autoconf.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "reader.h"

size_t
reader_split(const char *data, size_t len, size_t max_line, int final,
             reader_line_fn fn, void *arg, struct reader_stats *st)
{
	size_t pos = 0, avail, n;
	const char *nl;

	while (pos < len) {
		avail = len - pos;
		n = avail < max_line + 1 ? avail : max_line + 1;
		nl = memchr(data + pos, '\n', n);
		if (nl != NULL) {
			n = (size_t)(nl - (data + pos));
			fn(arg, data + pos, n);
			st->lines++;
			pos += n + 1;
		} else if (avail > max_line) {
			fn(arg, data + pos, max_line);
			st->lines++;
			st->splits++;
			pos += max_line;
		} else if (final) {
			fn(arg, data + pos, avail);
			st->lines++;
			st->newline_added++;
			pos = len;
		} else
			break;
	}
	return pos;
}

struct reader_render {
	struct buf *out;
	struct format_ctx *ctx;
};

static void
reader_render_line(void *arg, const char *line, size_t len)
{
	struct reader_render *r = arg;

	format_line(r->out, r->ctx, line, len);
}

/* How a fill of the job's buffer ended. */
enum reader_end {
	READER_MORE, /* all asked for is there: there may be more */
	READER_EOF,  /* the end of the file (or of the complete stream) */
	READER_WAIT, /* gz: the end of what is written of the stream */
	READER_BAD,  /* gz: damaged data follows; the next read fails */
};

/* pread(2), or with `nowait' one that fails with EAGAIN rather than wait
 * for the disk (EOPNOTSUPP where the file system cannot tell). */
static ssize_t
reader_pread1(int fd, void *p, size_t len, uint64_t off, int nowait)
{
	struct iovec iov = {p, len};
	ssize_t n;

	do
		n = nowait ? preadv2(fd, &iov, 1, (off_t)off, RWF_NOWAIT)
		           : pread(fd, p, len, (off_t)off);
	while (n == -1 && errno == EINTR);
	return n;
}

int
reader_would_wait(int err)
{
	return err == EAGAIN || err == EOPNOTSUPP;
}

/* Reads at `off' into the free space of `in', up to `want' bytes in all;
 * returns 0 or an errno.  Worker thread. */
static int
reader_pread(int fd, struct buf *in, size_t want, uint64_t off,
             enum reader_end *end)
{
	ssize_t n;

	n = reader_pread1(fd, in->data + in->len, want - in->len, off + in->len,
	                  0);
	if (n == -1)
		return errno;
	in->len += (size_t)n;
	*end = in->len < want ? READER_EOF : READER_MORE;
	return 0;
}

/* The same from the decompressed stream of req->gz.  Worker thread. */
static int
reader_gunzip(const struct reader_req *req, struct buf *in, size_t want,
              enum reader_end *end)
{
	size_t n = 0;
	int err;

	*end = READER_MORE;
	if (in->len == 0)
		gunzip_mark(req->gz, req->offset); /* where the next job starts,
		                                      or after */
	switch (gunzip_read(req->gz, req->fd, req->offset + in->len,
	                    in->data + in->len, want - in->len, &n)) {
	case GUNZIP_ERROR:
		/* Whole lines before the damage still go out; the next
		 * read, from the first line not whole, reports it. */
		err = errno;
		in->len += n;
		if (in->len <= req->max_line &&
		    (in->len == 0 || memrchr(in->data, '\n', in->len) == NULL))
			return err;
		*end = READER_BAD;
		return 0;
	case GUNZIP_END:
		*end = READER_EOF;
		break;
	case GUNZIP_PARTIAL:
		*end = READER_WAIT;
		break;
	case GUNZIP_OK:
		break;
	}
	in->len += n;
	return 0;
}

/* Fills `in' up to `want' bytes from req->offset, from the file or its
 * decompressed stream: the only thing a gzipped file changes in a read.
 * Returns 0 or an errno.  Worker thread. */
static int
reader_fill(const struct reader_req *req, struct buf *in, size_t want,
            enum reader_end *end)
{
	if (req->gz != NULL)
		return reader_gunzip(req, in, want, end);
	return reader_pread(req->fd, in, want, req->offset, end);
}

uint32_t
reader_fingerprint(const char *head, size_t len, uint64_t *hash)
{
	if (len > STATE_FP_MAX)
		len = STATE_FP_MAX;
	*hash = state_hash(head, len);
	return (uint32_t)len;
}

/* A hash of `len' bytes eight at a time: for telling whether a file's head
 * is what it was, not for keeping (the checkpoint has FNV-1a). */
static uint64_t
reader_quick_hash(const char *p, size_t len)
{
	uint64_t h = len, v;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&v, p + i, 8);
		h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	v = 0;
	memcpy(&v, p + i, len - i);
	h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

/* Hashes the file's leading bytes (for gz, the stream's) into res (see
 * struct reader_result).  A head the size of a known fingerprint with a
 * quick hash is checked by that alone.  Worker thread (or loop thread,
 * `nowait'). */
static void
reader_head(const struct reader_req *req, struct reader_result *res)
{
	char head[STATE_FP_MAX];
	const struct state_quick *q = &req->quick;
	size_t len;
	uint64_t h;
	ssize_t n;

	if (req->gz != NULL)
		n = gunzip_head(req->fd, head, sizeof head, NULL);
	else
		n = reader_pread1(req->fd, head, sizeof head, 0,
		                  req->nowait != 0);
	if (n == -1) {
		res->err = errno;
		return;
	}
	if (req->gz == NULL && req->fp_len > 0 && (size_t)n == req->fp_len &&
	    q->fp_len == req->fp_len && q->fp_hash == req->fp_hash) {
		res->fp_changed = reader_quick_hash(head, (size_t)n) != q->hash;
		if (!res->fp_changed) {
			res->fp_len = req->fp_len;
			res->fp_hash = req->fp_hash;
			res->quick = *q;
			return;
		}
	}
	/* One pass: the hash of the known fingerprint's bytes, carried on
	 * over the rest of the head. */
	len = (size_t)n < req->fp_len ? (size_t)n : req->fp_len;
	h = state_hash_more(STATE_HASH_INIT, head, len);
	res->fp_changed =
	    req->fp_len > 0 && ((size_t)n < req->fp_len || h != req->fp_hash);
	res->fp_len = (uint32_t)n;
	res->fp_hash = state_hash_more(h, head + len, (size_t)n - len);
	if (req->gz == NULL) {
		res->quick.fp_len = res->fp_len;
		res->quick.fp_hash = res->fp_hash;
		res->quick.hash = reader_quick_hash(head, (size_t)n);
	}
}

/* Page cache granularity: a read with RWF_NOWAIT stops short only where a
 * page not in the cache starts, a multiple of every page size. */
#define READER_PAGE 4096

/* The read on the loop thread (req->nowait): one preadv2 with RWF_NOWAIT
 * of up to nowait bytes into req->scratch, copied into `in'.  No fstat
 * when the read ends off a page boundary: it then ended at the end of the
 * file.  Returns 0 (with res->st.st_size the file's size), EAGAIN where a
 * worker must read (more than nowait bytes, a page not in the cache, a
 * file shorter than the offset, a gzip), or another errno. */
static int
reader_fill_now(const struct reader_req *req, struct reader_result *res,
                struct buf *in)
{
	uint64_t end;
	ssize_t n;

	if (req->gz != NULL)
		return EAGAIN; /* its size says nothing about its stream's */
	n = reader_pread1(req->fd, req->scratch, req->nowait, req->offset, 1);
	if (n == -1)
		return errno;
	if ((size_t)n == req->nowait)
		return EAGAIN; /* more than the loop should take on */
	end = req->offset + (uint64_t)n;
	if (n == 0 || end % READER_PAGE == 0) {
		if (fstat(req->fd, &res->st) == -1)
			return errno;
		if ((uint64_t)res->st.st_size != end)
			return EAGAIN; /* shorter, or not all in the cache (or
			                  grown since: a worker reads it too) */
	}
	res->st.st_size = (off_t)end;
	buf_reserve(in, (size_t)n + 1);
	memcpy(in->data, req->scratch, (size_t)n);
	in->len = (size_t)n;
	return 0;
}

/* A worker's read: fills `in' from req->offset until it holds something
 * whole to hand back (a line, a max_line piece, or the end of the file or
 * of what there is of it), starting from what fstat says the file holds
 * past the offset (and a little more, so that a short read tells the
 * end): a live file has grown by a few lines, and a small buffer is cheap
 * to allocate and fill.  A gzip file's size says nothing about its
 * stream's.  Returns 0 or an errno; *end says how the last fill ended. */
static int
reader_fill_all(const struct reader_req *req, struct reader_result *res,
                struct buf *in, enum reader_end *end)
{
	size_t want = req->chunk;
	int err;

	if (fstat(req->fd, &res->st) == -1)
		return errno;
	if (req->gz == NULL && (uint64_t)res->st.st_size >= req->offset &&
	    (uint64_t)res->st.st_size - req->offset + READER_SLACK < want)
		want = (size_t)((uint64_t)res->st.st_size - req->offset) +
		       READER_SLACK;
	buf_reserve(in, want + 1);
	for (;;) {
		err = reader_fill(req, in, want, end);
		if (err != 0)
			return err;
		if (*end != READER_MORE || in->len > req->max_line ||
		    (in->len > 0 && memrchr(in->data, '\n', in->len) != NULL))
			return 0;
		want =
		    want * 2 > req->max_line + 1 ? req->max_line + 1 : want * 2;
		buf_reserve(in, want + 1 - in->len);
	}
}

void
reader_run(const struct reader_req *req, struct reader_result *res)
{
	struct buf in = {0};
	size_t consumed = 0;
	struct reader_render render;
	struct format_ctx ctx;
	struct timespec now;
	enum reader_end end = READER_EOF;
	const char *nl = NULL;

	memset(res, 0, sizeof *res);
	res->next_offset = req->offset;
	if (req->nowait != 0)
		res->err = reader_fill_now(req, res, &in);
	else
		res->err = reader_fill_all(req, res, &in, &end);
	if (res->err == 0) {
		res->eof = end == READER_EOF;
		res->partial = end == READER_WAIT;
		nl = in.len ? memrchr(in.data, '\n', in.len) : NULL;
	}
	if (res->err != 0) {
		buf_free(&in);
	} else if (req->format == FORMAT_RAW && in.len <= req->max_line &&
	           !(req->final && res->eof)) {
		/* No line here can be over max_line: for raw output the bytes
		 * up to the last newline are the output as they are. */
		consumed = nl ? (size_t)(nl - in.data) + 1 : 0;
		res->out = in;
		res->out.len = consumed;
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		format_ctx_init(&ctx, req->format, req->tag, req->path, &now);
		render.out = &res->out;
		render.ctx = &ctx;
		buf_reserve(&res->out, in.len + in.len / 4 + 256);
		consumed = reader_split(
		    in.data, in.len, req->max_line, req->final && res->eof,
		    reader_render_line, &render, &res->stats);
		format_ctx_free(&ctx);
		buf_free(&in);
	}
	res->next_offset = req->offset + consumed;
	if (res->err == 0)
		reader_head(req, res);
}
