/* gunzip.c -- the decompressed bytes of one gzip file, read in pieces. */
#include "autoconf.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "buf.h"
#include "gunzip.h"
#include "xmalloc.h"

/* Compressed bytes one pread() asks for while reading a file. */
#define GUNZIP_IN (64 * 1024)

/* The same for gunzip_head(): a KiB of text is a few hundred bytes
 * compressed. */
#define GUNZIP_HEAD_IN 4096

/* The scratch space where the bytes before a wanted offset go. */
#define GUNZIP_SKIP (64 * 1024)

struct gunzip {
	z_stream zs;
	int ready;           /* zs holds an inflate state */
	int between;         /* a member ended and no next one has begun */
	int damage;          /* errno of damage found at out_off, or 0 */
	int fail;            /* errno of the last GUNZIP_ERROR */
	uint64_t in_off;     /* where the next pread() reads */
	uint64_t out_off;    /* decompressed bytes made since the start */
	uint64_t member;     /* the member being read, from 1 */
	uint64_t member_in;  /* where it starts in the file */
	uint64_t member_out; /* where it starts in the stream */
	size_t in_size;
	unsigned char *in;
	unsigned char *skip; /* GUNZIP_SKIP bytes, once needed */
	int marked;          /* gunzip_mark() was called: keep a copy */
	struct buf back;     /* the copy: the bytes from back_off to out_off,
	                        back_off at or after the mark */
	uint64_t back_off;
	struct gunzip_stats stats;
	char msg[256];
};

/* zlib's allocator: ours, which never fails. */
static voidpf
gunzip_zalloc(voidpf opaque, uInt items, uInt size)
{
	return xreallocarray(NULL, items, size);
}

/* zlib's deallocator. */
static void
gunzip_zfree(voidpf opaque, voidpf p)
{
	free(p);
}

/* A decompressor reading `in_size' compressed bytes at a time. */
static struct gunzip *
gunzip_new(size_t in_size)
{
	struct gunzip *g = xcalloc(1, sizeof *g);

	g->in_size = in_size;
	g->in = xmalloc(in_size);
	return g;
}

struct gunzip *
gunzip_create(void)
{
	return gunzip_new(GUNZIP_IN);
}

void
gunzip_free(struct gunzip *g)
{
	if (g == NULL)
		return;
	if (g->ready)
		inflateEnd(&g->zs);
	free(g->in);
	free(g->skip);
	buf_free(&g->back);
	free(g);
}

static enum gunzip_status gunzip_fail(struct gunzip *g, int err,
                                      const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records an error and its message; returns GUNZIP_ERROR. */
static enum gunzip_status
gunzip_fail(struct gunzip *g, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->msg, sizeof g->msg, fmt, ap);
	va_end(ap);
	g->fail = err;
	return GUNZIP_ERROR;
}

/* Goes back to the start of the file.  Returns 0, or -1 when zlib cannot
 * start (recorded as an error). */
static int
gunzip_restart(struct gunzip *g)
{
	int ret;

	if (g->ready)
		ret = inflateReset(&g->zs);
	else {
		memset(&g->zs, 0, sizeof g->zs);
		g->zs.zalloc = gunzip_zalloc;
		g->zs.zfree = gunzip_zfree;
		/* 16 + MAX_WBITS: gzip only, with its header and trailer. */
		ret = inflateInit2(&g->zs, 16 + MAX_WBITS);
		g->ready = ret == Z_OK;
	}
	if (ret != Z_OK) {
		gunzip_fail(g, EINVAL, "zlib cannot start inflating: %s",
		            zError(ret));
		return -1;
	}
	g->zs.next_in = g->in;
	g->zs.avail_in = 0;
	g->between = 0;
	g->damage = 0;
	g->in_off = g->out_off = 0;
	g->member = 1;
	g->member_in = g->member_out = 0;
	g->back.len = 0;
	g->back_off = 0;
	return 0;
}

/* Records what inflate() found wrong (`ret'), where; returns
 * GUNZIP_ERROR.  Every later read fails the same way. */
static enum gunzip_status
gunzip_damaged(struct gunzip *g, int ret)
{
	const char *why = g->zs.msg != NULL ? g->zs.msg : zError(ret);
	uint64_t at = g->in_off - g->zs.avail_in;
	int err = ret == Z_STREAM_ERROR ? EINVAL : EBADMSG;

	g->damage = err;
	if (ret == Z_DATA_ERROR && g->out_off == g->member_out &&
	    strcmp(why, "incorrect header check") == 0) {
		if (g->member == 1)
			return gunzip_fail(g, err, "not gzip data (%s)", why);
		return gunzip_fail(g, err,
		                   "data after gzip member %" PRIu64
		                   " (at compressed byte %" PRIu64
		                   ") is not gzip (%s)",
		                   g->member - 1, g->member_in, why);
	}
	return gunzip_fail(g, err,
	                   "damaged gzip data found at compressed byte %" PRIu64
	                   " (member %" PRIu64 ", decompressed byte %" PRIu64
	                   "): %s",
	                   at, g->member, g->out_off, why);
}

/* Decompresses up to `len' bytes at the stream position into out; *n is
 * how many.  GUNZIP_OK once all len are there. */
static enum gunzip_status
gunzip_inflate(struct gunzip *g, int fd, unsigned char *out, size_t len,
               size_t *n)
{
	enum gunzip_status st = GUNZIP_OK;
	size_t done = 0;
	uInt room, had_in;
	ssize_t r;
	int ret;

	while (done < len) {
		if (g->zs.avail_in == 0) {
			do
				r = pread(fd, g->in, g->in_size,
				          (off_t)g->in_off);
			while (r == -1 && errno == EINTR);
			if (r == -1) {
				st = gunzip_fail(
				    g, errno,
				    "cannot read at compressed byte %" PRIu64
				    ": %s",
				    g->in_off, strerror(errno));
				break;
			}
			if (r == 0) {
				/* Past a trailer: the end, until a member is
				 * appended.  Inside a member: the rest is not
				 * written yet. */
				st = g->between ? GUNZIP_END : GUNZIP_PARTIAL;
				break;
			}
			g->in_off += (uint64_t)r;
			g->stats.in_bytes += (uint64_t)r;
			g->zs.next_in = g->in;
			g->zs.avail_in = (uInt)r;
		}
		if (g->between) {
			/* Bytes after a trailer: concatenated gzip files
			 * make one stream. */
			if (inflateReset(&g->zs) != Z_OK) {
				st = gunzip_damaged(g, Z_STREAM_ERROR);
				break;
			}
			g->between = 0;
			g->member++;
			g->member_in = g->in_off - g->zs.avail_in;
			g->member_out = g->out_off;
		}
		room = len - done > UINT_MAX ? UINT_MAX : (uInt)(len - done);
		had_in = g->zs.avail_in;
		g->zs.next_out = out + done;
		g->zs.avail_out = room;
		ret = inflate(&g->zs, Z_NO_FLUSH);
		done += room - g->zs.avail_out;
		g->out_off += room - g->zs.avail_out;
		if (ret == Z_STREAM_END) {
			g->between = 1;
			g->stats.members++;
		} else if (ret == Z_BUF_ERROR && g->zs.avail_out == room &&
		           g->zs.avail_in == had_in) {
			/* No progress with input and room: cannot be. */
			st = gunzip_damaged(g, Z_STREAM_ERROR);
			break;
		} else if (ret != Z_OK && ret != Z_BUF_ERROR) {
			st = gunzip_damaged(g, ret);
			break;
		}
	}
	*n = done;
	g->stats.out_bytes += done;
	return st;
}

/* Throws away the bytes before `off' (ahead of the stream).  Returns
 * GUNZIP_OK once there. */
static enum gunzip_status
gunzip_skip(struct gunzip *g, int fd, uint64_t off)
{
	enum gunzip_status st = GUNZIP_OK;
	size_t k, want;

	while (g->out_off < off && st == GUNZIP_OK) {
		if (g->skip == NULL)
			g->skip = xmalloc(GUNZIP_SKIP);
		want = off - g->out_off < GUNZIP_SKIP
		           ? (size_t)(off - g->out_off)
		           : GUNZIP_SKIP;
		st = gunzip_inflate(g, fd, g->skip, want, &k);
		g->stats.skipped += k;
	}
	g->back.len = 0;
	g->back_off = g->out_off;
	return st;
}

/* Gives again the bytes from `off' (in the copy) that earlier calls gave,
 * as many as fit in len.  Returns how many. */
static size_t
gunzip_again(struct gunzip *g, uint64_t off, void *buf, size_t len)
{
	size_t from = (size_t)(off - g->back_off), k;

	k = len < g->back.len - from ? len : g->back.len - from;
	if (k > 0)
		memcpy(buf, g->back.data + from, k);
	return k;
}

void
gunzip_mark(struct gunzip *g, uint64_t off)
{
	size_t drop;

	g->marked = 1;
	if (off < g->back_off || off > g->out_off) {
		/* Not in the copy: it starts again where the stream is. */
		g->back.len = 0;
		g->back_off = g->out_off;
		return;
	}
	drop = (size_t)(off - g->back_off);
	if (drop > 0) {
		memmove(g->back.data, g->back.data + drop, g->back.len - drop);
		g->back.len -= drop;
	}
	g->back_off = off;
}

enum gunzip_status
gunzip_read(struct gunzip *g, int fd, uint64_t off, void *buf, size_t len,
            size_t *n)
{
	enum gunzip_status st = GUNZIP_OK;
	size_t done = 0, k;

	*n = 0;
	if (g->damage != 0) {
		/* Going back would only find it again, at the cost of all
		 * the bytes before it. */
		g->fail = g->damage; /* the message is still the damage's */
		errno = g->fail;
		return GUNZIP_ERROR;
	}
	if (!g->ready || off < g->back_off) {
		if (g->ready)
			g->stats.restarts++;
		if (gunzip_restart(g) == -1) {
			errno = g->fail;
			return GUNZIP_ERROR;
		}
	}
	if (off <= g->out_off)
		done = gunzip_again(g, off, buf, len);
	else
		st = gunzip_skip(g, fd, off);
	if (st == GUNZIP_OK && done < len) {
		st = gunzip_inflate(g, fd, (unsigned char *)buf + done,
		                    len - done, &k);
		if (g->marked)
			buf_add(&g->back, (char *)buf + done, k);
		else
			g->back_off = g->out_off;
		done += k;
	}
	*n = done;
	if (st == GUNZIP_ERROR)
		errno = g->fail;
	return st;
}

const char *
gunzip_error(const struct gunzip *g)
{
	return g->msg;
}

void
gunzip_stats(const struct gunzip *g, struct gunzip_stats *st)
{
	*st = g->stats;
}

ssize_t
gunzip_head(int fd, void *buf, size_t len, char **cause)
{
	struct gunzip *g = gunzip_new(GUNZIP_HEAD_IN);
	size_t n;
	int err;

	if (gunzip_read(g, fd, 0, buf, len, &n) == GUNZIP_ERROR) {
		err = errno;
		if (cause != NULL)
			*cause = xstrdup(g->msg);
		gunzip_free(g);
		errno = err;
		return -1;
	}
	gunzip_free(g);
	return (ssize_t)n;
}
