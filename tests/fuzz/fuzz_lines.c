/* fuzz_lines.c -- libFuzzer harness for the line splitter (reader.c) and
 * the line formats (format.c).
 *
 * The first three bytes choose max_line (1 to 4096), whether the data is
 * at the end of its file, and the format; the rest is what a read found.
 * Checks that reader_split() hands out every byte it consumes once, in
 * order, in pieces of at most max_line cut only at newlines, at max_line
 * or (when final) at the end, and leaves only a partial line behind; that
 * raw output is exactly the pieces and their newlines; and that json
 * output is UTF-8 without control characters whose "line" field, unescaped
 * (\u00XX as the byte XX), gives back each piece. */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "format.h"
#include "reader.h"

struct fuzz_lines {
	const char *data; /* the chunk split */
	size_t len;
	int final;
	size_t pos; /* where the last piece ended */
	size_t max_line;
	size_t pieces;
	struct format_ctx ctx;
	struct buf out; /* every piece rendered */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unescapes a JSON string body s[0..len) as format_json_escape() writes
 * it, \u00XX standing for the byte XX, into out; -1 if it is not one. */
static int
fuzz_json_unescape(const char *s, size_t len, struct buf *out)
{
	static const char from[] = "\"\\nrtbf", to[] = "\"\\\n\r\t\b\f";
	const char *e;
	unsigned v;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || (unsigned char)s[i] < 0x20)
			return -1;
		if (s[i] != '\\') {
			buf_add_byte(out, s[i]);
			continue;
		}
		if (++i == len)
			return -1;
		if (s[i] == 'u') {
			if (len - i < 5 || s[i + 1] != '0' || s[i + 2] != '0')
				return -1;
			v = 0;
			for (int k = 3; k < 5; k++) {
				char c = s[i + (size_t)k];
				v <<= 4;
				if (c >= '0' && c <= '9')
					v |= (unsigned)(c - '0');
				else if (c >= 'a' && c <= 'f')
					v |= (unsigned)(c - 'a' + 10);
				else
					return -1;
			}
			buf_add_byte(out, (char)v);
			i += 4;
			continue;
		}
		if ((e = memchr(from, s[i], sizeof from - 1)) == NULL)
			return -1;
		buf_add_byte(out, to[e - from]);
	}
	return 0;
}

/* True if s[0..len) is valid UTF-8 (no overlong form, surrogate or code
 * point past U+10FFFF). */
static int
fuzz_utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n;
	uint32_t cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			n = 2, cp = s[i] & 0x1f, min = 0x80;
		else if ((s[i] & 0xf0) == 0xe0)
			n = 3, cp = s[i] & 0x0f, min = 0x800;
		else if ((s[i] & 0xf8) == 0xf0)
			n = 4, cp = s[i] & 0x07, min = 0x10000;
		else
			return 0;
		if (len - i < n)
			return 0;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n;
	}
	return 1;
}

/* Checks one rendered json line against the piece it renders. */
static void
fuzz_check_json(const struct fuzz_lines *f, const char *r, size_t rlen,
                const char *line, size_t len)
{
	static const char tail[] = "\"}\n";
	const char *field;
	struct buf back = {0};

	if (!fuzz_utf8_valid((const unsigned char *)r, rlen) || rlen < 3 ||
	    memcmp(r + rlen - 3, tail, 3) != 0 ||
	    memchr(r, '\n', rlen - 1) != NULL)
		abort();
	field = memmem(r, rlen, "\",\"line\":\"", 10);
	if (field == NULL)
		abort();
	field += 10;
	if (fuzz_json_unescape(field, (size_t)(r + rlen - 3 - field), &back) ==
	    -1)
		abort();
	/* The line field leaves out the CR of a CRLF. */
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (back.len != len || (len > 0 && memcmp(back.data, line, len) != 0))
		abort();
	buf_free(&back);
	(void)f;
}

static void
fuzz_line(void *arg, const char *line, size_t len)
{
	struct fuzz_lines *f = arg;
	size_t before = f->out.len;

	size_t start = (size_t)(line - f->data), end = start + len;

	/* Each piece starts where the last ended, or past its newline. */
	if (start != f->pos &&
	    !(f->pieces > 0 && start == f->pos + 1 && f->data[f->pos] == '\n'))
		abort();
	if (len > f->max_line || end > f->len ||
	    memchr(line, '\n', len) != NULL)
		abort();
	/* It ends at a newline, at max_line or, when final, at the end. */
	if (!(end < f->len && f->data[end] == '\n') && len != f->max_line &&
	    !(f->final && end == f->len))
		abort();
	f->pieces++;
	f->pos = end;
	format_line(&f->out, &f->ctx, line, len);
	if (f->ctx.format == FORMAT_RAW &&
	    (f->out.len - before != len + 1 ||
	     memcmp(f->out.data + before, line, len) != 0 ||
	     f->out.data[f->out.len - 1] != '\n'))
		abort();
	if (f->ctx.format == FORMAT_JSON)
		fuzz_check_json(f, f->out.data + before, f->out.len - before,
		                line, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum format formats[] = {FORMAT_RAW, FORMAT_TAGGED,
	                                      FORMAT_JSON};
	struct timespec now = {1764633600, 123456789};
	struct reader_stats st = {0};
	struct fuzz_lines f;
	struct buf esc = {0}, back = {0};
	size_t used, len;
	int final;

	if (size < 3)
		return 0;
	memset(&f, 0, sizeof f);
	f.max_line = 1 + (((size_t)data[0] << 8 | data[1]) % 4096);
	final = data[2] & 1;
	format_ctx_init(&f.ctx, formats[(data[2] >> 1) % 3], "fuzz",
	                "/var/log/fuzz \"\x01\xff.log", &now);
	f.data = (const char *)data + 3;
	f.len = len = size - 3;
	f.final = final;

	used = reader_split(f.data, len, f.max_line, final, fuzz_line, &f, &st);
	if (used > len || st.lines != f.pieces || st.splits > st.lines ||
	    st.newline_added > 1)
		abort();
	/* The pieces and the newlines between them cover what was used. */
	if (f.pos != used && !(f.pos + 1 == used && f.data[f.pos] == '\n'))
		abort();
	if (final && used != len)
		abort();
	if (!final && (memchr(f.data + used, '\n', len - used) != NULL ||
	               len - used > f.max_line))
		abort();

	/* The escape alone, over the whole input. */
	format_json_escape(&esc, f.data, len);
	if (!fuzz_utf8_valid((const unsigned char *)esc.data, esc.len) ||
	    fuzz_json_unescape(esc.data, esc.len, &back) == -1 ||
	    back.len != len || (len > 0 && memcmp(back.data, f.data, len) != 0))
		abort();
	buf_free(&esc);
	buf_free(&back);
	buf_free(&f.out);
	format_ctx_free(&f.ctx);
	return 0;
}
