/* reader.c -- the read job: pread a chunk and cut it into whole lines. */
#include "autoconf.h"

#include <errno.h>
#include <string.h>
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

/* Reads at `off' into the free space of `in'; returns the bytes read, or -1
 * with errno. */
static ssize_t
reader_pread(int fd, struct buf *in, size_t want, uint64_t off)
{
	ssize_t n;

	do
		n = pread(fd, in->data + in->len, want - in->len,
		          (off_t)(off + in->len));
	while (n == -1 && errno == EINTR);
	if (n > 0)
		in->len += (size_t)n;
	return n;
}

uint32_t
reader_fingerprint(const char *head, size_t len, uint64_t *hash)
{
	if (len > STATE_FP_MAX)
		len = STATE_FP_MAX;
	*hash = state_hash(head, len);
	return (uint32_t)len;
}

/* Hashes the file's leading bytes into res (see struct reader_result). */
static void
reader_head(const struct reader_req *req, struct reader_result *res)
{
	char head[STATE_FP_MAX];
	ssize_t n;

	do
		n = pread(req->fd, head, sizeof head, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		res->err = errno;
		return;
	}
	res->fp_len = reader_fingerprint(head, (size_t)n, &res->fp_hash);
	res->fp_changed =
	    req->fp_len > 0 && ((size_t)n < req->fp_len ||
	                        state_hash(head, req->fp_len) != req->fp_hash);
}

void
reader_run(const struct reader_req *req, struct reader_result *res)
{
	struct buf in = {0};
	size_t want = req->chunk, consumed = 0;
	struct reader_render render;
	struct format_ctx ctx;
	struct timespec now;
	const char *nl;
	ssize_t n;

	memset(res, 0, sizeof *res);
	res->next_offset = req->offset;
	/* Ask for what the file holds past the offset (and a little more, so
	 * that a short read tells the end): a live file has grown by a few
	 * lines, and a small buffer is cheap to allocate and fill. */
	if (fstat(req->fd, &res->st) == -1) {
		res->err = errno;
		return;
	}
	if ((uint64_t)res->st.st_size >= req->offset &&
	    (uint64_t)res->st.st_size - req->offset + READER_SLACK < want)
		want = (size_t)((uint64_t)res->st.st_size - req->offset) +
		       READER_SLACK;
	buf_reserve(&in, want + 1);
	for (;;) {
		n = reader_pread(req->fd, &in, want, req->offset);
		if (n == -1) {
			res->err = errno;
			break;
		}
		res->eof = in.len < want;
		nl = in.len ? memrchr(in.data, '\n', in.len) : NULL;
		/* Stop once there is something whole to hand back: a line, a
		 * max_line piece, or the end of the file. */
		if (nl != NULL || res->eof || in.len > req->max_line)
			break;
		want =
		    want * 2 > req->max_line + 1 ? req->max_line + 1 : want * 2;
		buf_reserve(&in, want + 1 - in.len);
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
