/* format.h -- raw, tagged and json rendering of one line. */
#ifndef TAILMUX_FORMAT_H
#define TAILMUX_FORMAT_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "config.h"

#define FORMAT_TIME_LEN 27 /* 2026-11-24T15:38:40.123456Z */

/* What every line of one read needs: the format, the input's tag and path
 * (already escaped for json), and the time of the read. */
struct format_ctx {
	enum format format;
	const char *tag;
	size_t tag_len;
	struct buf path_json; /* path as a json string body */
	char time[FORMAT_TIME_LEN + 1];
};

/* Prepares a context; the tag and path must outlive it. */
void format_ctx_init(struct format_ctx *ctx, enum format format,
                     const char *tag, const char *path,
                     const struct timespec *now);

/* Frees what format_ctx_init() allocated. */
void format_ctx_free(struct format_ctx *ctx);

/* Writes the RFC 3339 UTC time with microseconds and a NUL. */
void format_time(char out[FORMAT_TIME_LEN + 1], const struct timespec *ts);

/* Appends one rendered line and its newline.  `line' excludes the newline;
 * raw and tagged copy its bytes as they are, json escapes them. */
void format_line(struct buf *out, const struct format_ctx *ctx,
                 const char *line, size_t len);

/* Appends the body of a JSON string for bytes s[0..len): quotes,
 * backslashes and control characters escaped; bytes that are not valid
 * UTF-8 written as \u00XX with the byte's value. */
void format_json_escape(struct buf *out, const char *s, size_t len);

#endif
