/* tmgzip.h -- what the suites that read gzip files share: making log-like
 * text, gzip members of it, and files of those bytes. */
#ifndef TAILMUX_TMGZIP_H
#define TAILMUX_TMGZIP_H

#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "buf.h"

/* Line lengths tmgzip_text() can draw. */
enum tmgzip_lines {
	TMGZIP_SHORT,  /* 0 to 80 bytes, like most logs */
	TMGZIP_MIXED,  /* mostly short, some around and past `max' */
	TMGZIP_BINARY, /* any byte but newline, CRs and NULs included */
	TMGZIP_LONG,   /* a few lines several times `max' long */
	TMGZIP_NLINES = 4,
};

/* Appends about `n' bytes of lines drawn as `kind' says to out, each
 * ending in a newline; `max' is the max_line the reader will use. */
static inline void
tmgzip_text(struct buf *out, size_t n, enum tmgzip_lines kind, size_t max,
            unsigned *seed)
{
	size_t end = out->len + n, l;
	int r;

	while (out->len < end) {
		r = rand_r(seed);
		switch (kind) {
		case TMGZIP_SHORT:
			l = (size_t)r % 81;
			break;
		case TMGZIP_MIXED:
			l = r % 20 == 0   ? max - 2 + (size_t)(r >> 8) % 5
			    : r % 50 == 1 ? (size_t)(r >> 8) % (3 * max)
			                  : (size_t)(r >> 8) % 120;
			break;
		case TMGZIP_BINARY:
			l = (size_t)r % 200;
			break;
		default:
			l = r % 4 == 0 ? (size_t)(r >> 8) % (5 * max) : 10;
			break;
		}
		buf_reserve(out, l + 1);
		for (size_t i = 0; i < l; i++) {
			char c = kind == TMGZIP_BINARY
			             ? (char)(rand_r(seed) & 0xff)
			             : (char)(' ' + rand_r(seed) % 95);
			out->data[out->len++] = c == '\n' ? '\r' : c;
		}
		out->data[out->len++] = '\n';
	}
}

/* Appends one gzip member holding data[0..len) to out, at zlib `level'
 * (0: stored blocks), with a header name `name' (NULL: none). */
static inline void
tmgzip_member(struct buf *out, const void *data, size_t len, int level,
              const char *name)
{
	z_stream zs;
	gz_header head;
	int ret;

	memset(&zs, 0, sizeof zs);
	ck_assert_int_eq(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8,
	                              Z_DEFAULT_STRATEGY),
	                 Z_OK);
	if (name != NULL) {
		memset(&head, 0, sizeof head);
		head.name = (Bytef *)name;
		head.os = 3;
		ck_assert_int_eq(deflateSetHeader(&zs, &head), Z_OK);
	}
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	do {
		buf_reserve(out, 65536);
		zs.next_out = (Bytef *)out->data + out->len;
		zs.avail_out = 65536;
		ret = deflate(&zs, Z_FINISH);
		ck_assert(ret == Z_OK || ret == Z_STREAM_END);
		out->len += 65536 - zs.avail_out;
	} while (ret != Z_STREAM_END);
	deflateEnd(&zs);
}

/* Writes data[0..len) to `path' (appending when `append'). */
static inline void
tmgzip_put(const char *path, const void *data, size_t len, int append)
{
	int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC),
	              0600);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

#endif
