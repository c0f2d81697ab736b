/* format.c -- raw, tagged and json rendering of one line. */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

void
format_time(char out[FORMAT_TIME_LEN + 1], const struct timespec *ts)
{
	struct tm tm;
	size_t n;

	gmtime_r(&ts->tv_sec, &tm);
	n = strftime(out, FORMAT_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, FORMAT_TIME_LEN + 1 - n, ".%06ldZ",
	         (long)(ts->tv_nsec / 1000));
}

void
format_ctx_init(struct format_ctx *ctx, enum format format, const char *tag,
                const char *path, const struct timespec *now)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->format = format;
	ctx->tag = tag;
	ctx->tag_len = strlen(tag);
	if (format == FORMAT_JSON)
		format_json_escape(&ctx->path_json, path, strlen(path));
	format_time(ctx->time, now);
}

void
format_ctx_free(struct format_ctx *ctx)
{
	buf_free(&ctx->path_json);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
format_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void
format_json_escape(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, n;

	buf_reserve(out, len + 16);
	while (i < len) {
		/* Copy the longest run that needs no escaping in one go. */
		run = i;
		while (run < len && p[run] >= 0x20 && p[run] < 0x80 &&
		       p[run] != '"' && p[run] != '\\')
			run++;
		if (run > i) {
			buf_add(out, p + i, run - i);
			i = run;
			continue;
		}
		switch (p[i]) {
		case '"':
			buf_add(out, "\\\"", 2);
			break;
		case '\\':
			buf_add(out, "\\\\", 2);
			break;
		case '\n':
			buf_add(out, "\\n", 2);
			break;
		case '\r':
			buf_add(out, "\\r", 2);
			break;
		case '\t':
			buf_add(out, "\\t", 2);
			break;
		case '\b':
			buf_add(out, "\\b", 2);
			break;
		case '\f':
			buf_add(out, "\\f", 2);
			break;
		default:
			n = p[i] < 0x20 ? 0 : format_utf8_len(p + i, len - i);
			if (n > 0) {
				buf_add(out, p + i, n);
				i += n;
				continue;
			}
			{
				char esc[6] = {
				    '\\',           'u',           '0', '0',
				    hex[p[i] >> 4], hex[p[i] & 15]};
				buf_add(out, esc, sizeof esc);
			}
		}
		i++;
	}
}

void
format_line(struct buf *out, const struct format_ctx *ctx, const char *line,
            size_t len)
{
	switch (ctx->format) {
	case FORMAT_RAW:
		buf_reserve(out, len + 1);
		break;
	case FORMAT_TAGGED:
		buf_reserve(out, FORMAT_TIME_LEN + ctx->tag_len + len + 3);
		buf_add(out, ctx->time, FORMAT_TIME_LEN);
		buf_add_byte(out, ' ');
		buf_add(out, ctx->tag, ctx->tag_len);
		buf_add_byte(out, ' ');
		break;
	case FORMAT_JSON:
		/* The line field leaves out a CR that ends a CRLF line. */
		if (len > 0 && line[len - 1] == '\r')
			len--;
		buf_add(out, "{\"time\":\"", 9);
		buf_add(out, ctx->time, FORMAT_TIME_LEN);
		buf_add(out, "\",\"tag\":\"", 9);
		format_json_escape(out, ctx->tag, ctx->tag_len);
		buf_add(out, "\",\"path\":\"", 10);
		buf_add(out, ctx->path_json.data, ctx->path_json.len);
		buf_add(out, "\",\"line\":\"", 10);
		format_json_escape(out, line, len);
		buf_add(out, "\"}\n", 3);
		return;
	}
	buf_add(out, line, len);
	buf_add_byte(out, '\n');
}
