/* check_format.c -- unit tests for format.c: time stamps, raw, tagged and
 * json lines, and the json escaping of every byte. */
#include "autoconf.h"

#include "format.h"

#include "tmcheck.h"
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-11-24T15:38:40Z */
#define T_SEC 1795534720
#define T_STR "2026-11-24T15:38:40.123456Z"

static const struct timespec t_now = {T_SEC, 123456789};

/* Length of the strict UTF-8 sequence at s (n bytes left), or 0.  Written
 * independently of format.c on purpose. */
static size_t
utf8_strict_len(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned char lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = s[0] == 0xed ? 0x9f : 0xbf;
		if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned char lo = s[0] == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = s[0] == 0xf4 ? 0x8f : 0xbf;
		if (n < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/* Value of one hex digit, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Strictly parses the JSON string starting at s[*pos] (the opening quote)
 * and decodes it the way tailmux means it: \u0000-\u00ff are bytes, raw
 * UTF-8 stays as it is.  Returns 0 and moves *pos past the closing quote,
 * or -1 on anything that is not valid JSON. */
static int
json_string(const char *s, size_t len, size_t *pos, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = *pos, n;
	int cp;

	if (i >= len || p[i] != '"')
		return -1;
	for (i++; i < len; i++) {
		if (p[i] == '"') {
			*pos = i + 1;
			return 0;
		}
		if (p[i] < 0x20)
			return -1;
		if (p[i] >= 0x80) {
			n = utf8_strict_len(p + i, len - i);
			if (n == 0)
				return -1;
			buf_add(out, p + i, n);
			i += n - 1;
			continue;
		}
		if (p[i] != '\\') {
			buf_add_byte(out, (char)p[i]);
			continue;
		}
		if (++i >= len)
			return -1;
		switch (p[i]) {
		case '"':
		case '\\':
		case '/':
			buf_add_byte(out, (char)p[i]);
			break;
		case 'b':
			buf_add_byte(out, '\b');
			break;
		case 'f':
			buf_add_byte(out, '\f');
			break;
		case 'n':
			buf_add_byte(out, '\n');
			break;
		case 'r':
			buf_add_byte(out, '\r');
			break;
		case 't':
			buf_add_byte(out, '\t');
			break;
		case 'u':
			if (len - i < 5)
				return -1;
			cp = 0;
			for (int k = 1; k <= 4; k++) {
				int h = hexval(s[i + k]);
				if (h < 0)
					return -1;
				cp = cp * 16 + h;
			}
			/* tailmux only ever writes \u00XX. */
			if (cp > 0xff)
				return -1;
			buf_add_byte(out, (char)cp);
			i += 4;
			break;
		default:
			return -1;
		}
	}
	return -1;
}

/* Parses one json output line: an object of string members and a newline,
 * nothing after.  Returns 0 with the decoded members named in `names' in
 * the order given, or -1 if the line is not what tailmux must write. */
static int
json_line(const char *s, size_t len, const char *const names[],
          struct buf vals[], size_t nnames)
{
	size_t pos = 0, k = 0;
	struct buf key = {0};
	int r = -1;

	if (len < 3 || s[pos++] != '{')
		return -1;
	for (;;) {
		key.len = 0;
		if (json_string(s, len, &pos, &key) == -1)
			goto out;
		if (k >= nnames || key.len != strlen(names[k]) ||
		    memcmp(key.data, names[k], key.len) != 0)
			goto out;
		if (pos >= len || s[pos++] != ':')
			goto out;
		if (json_string(s, len, &pos, &vals[k]) == -1)
			goto out;
		k++;
		if (pos < len && s[pos] == ',') {
			pos++;
			continue;
		}
		break;
	}
	if (k == nnames && pos + 2 == len && s[pos] == '}' &&
	    s[pos + 1] == '\n')
		r = 0;
out:
	buf_free(&key);
	return r;
}

/* The escape of one byte alone, as the spec table gives it. */
static void
expected_escape(unsigned char c, char out[8])
{
	switch (c) {
	case '"':
		strcpy(out, "\\\"");
		return;
	case '\\':
		strcpy(out, "\\\\");
		return;
	case '\n':
		strcpy(out, "\\n");
		return;
	case '\r':
		strcpy(out, "\\r");
		return;
	case '\t':
		strcpy(out, "\\t");
		return;
	case '\b':
		strcpy(out, "\\b");
		return;
	case '\f':
		strcpy(out, "\\f");
		return;
	}
	if (c < 0x20 || c >= 0x80)
		snprintf(out, 8, "\\u%04x", c);
	else {
		out[0] = (char)c;
		out[1] = '\0';
	}
}

/* format_json_escape() of s[0..len) as a NUL-terminated string. */
static char *
escape(const char *s, size_t len)
{
	struct buf b = {0};
	char *r;

	format_json_escape(&b, s, len);
	r = malloc(b.len + 1);
	ck_assert_ptr_nonnull(r);
	if (b.len > 0)
		memcpy(r, b.data, b.len);
	r[b.len] = '\0';
	buf_free(&b);
	return r;
}

/* Asserts that escaping `in' gives exactly `want'. */
#define ck_escape(in, want)                                                    \
	do {                                                                   \
		char *got_ = escape((in), sizeof(in) - 1);                     \
		ck_assert_str_eq(got_, (want));                                \
		free(got_);                                                    \
	} while (0)

/* Renders one line with a fresh context; returns the output. */
static struct buf
render(enum format f, const char *tag, const char *path, const char *line,
       size_t len)
{
	struct format_ctx ctx;
	struct buf out = {0};

	format_ctx_init(&ctx, f, tag, path, &t_now);
	format_line(&out, &ctx, line, len);
	format_ctx_free(&ctx);
	return out;
}

/* Asserts a buffer holds exactly the string `want'. */
static void
ck_buf_eq(const struct buf *b, const char *want, size_t wlen)
{
	ck_assert_uint_eq(b->len, wlen);
	ck_assert_mem_eq(b->data, want, wlen);
}

START_TEST(test_time)
{
	char out[FORMAT_TIME_LEN + 1];
	struct timespec ts = {T_SEC, 123456789};

	memset(out, 'x', sizeof out);
	format_time(out, &ts);
	ck_assert_str_eq(out, T_STR);
	ck_assert_uint_eq(strlen(out), FORMAT_TIME_LEN);

	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	format_time(out, &ts);
	ck_assert_str_eq(out, "1970-01-01T00:00:00.000000Z");

	ts.tv_sec = 951782399; /* the second before a leap day */
	ts.tv_nsec = 999999999;
	format_time(out, &ts);
	ck_assert_str_eq(out, "2000-02-28T23:59:59.999999Z");

	ts.tv_sec = 951782400 + 86400;
	ts.tv_nsec = 1000;
	format_time(out, &ts);
	ck_assert_str_eq(out, "2000-03-01T00:00:00.000001Z");
}
END_TEST

START_TEST(test_ctx)
{
	struct format_ctx ctx;

	format_ctx_init(&ctx, FORMAT_JSON, "web", "/var/log/\"a\"\\b.log",
	                &t_now);
	ck_assert_str_eq(ctx.time, T_STR);
	ck_assert_uint_eq(ctx.tag_len, 3);
	ck_buf_eq(&ctx.path_json, "/var/log/\\\"a\\\"\\\\b.log", 21);
	format_ctx_free(&ctx);
	ck_assert_ptr_null(ctx.path_json.data);

	format_ctx_init(&ctx, FORMAT_RAW, "t", "/p", &t_now);
	ck_assert_str_eq(ctx.time, T_STR);
	format_ctx_free(&ctx);
}
END_TEST

START_TEST(test_raw)
{
	struct buf b;

	b = render(FORMAT_RAW, "web", "/p", "hello world", 11);
	ck_buf_eq(&b, "hello world\n", 12);
	buf_free(&b);

	b = render(FORMAT_RAW, "web", "/p", "", 0);
	ck_buf_eq(&b, "\n", 1);
	buf_free(&b);

	/* Bytes pass as they are: NUL, CR, invalid UTF-8, quotes. */
	b = render(FORMAT_RAW, "web", "/p", "a\0b\"\\\xff\r", 7);
	ck_buf_eq(&b, "a\0b\"\\\xff\r\n", 8);
	buf_free(&b);
}
END_TEST

START_TEST(test_tagged)
{
	struct buf b;

	b = render(FORMAT_TAGGED, "web", "/p", "hello world", 11);
	ck_buf_eq(&b, T_STR " web hello world\n",
	          strlen(T_STR " web hello world\n"));
	buf_free(&b);

	b = render(FORMAT_TAGGED, "x", "/p", "", 0);
	ck_buf_eq(&b, T_STR " x \n", strlen(T_STR " x \n"));
	buf_free(&b);

	b = render(FORMAT_TAGGED, "web", "/p", "a\0\"\xff\r", 5);
	ck_buf_eq(&b, T_STR " web a\0\"\xff\r\n",
	          sizeof(T_STR " web a\0\"\xff\r\n") - 1);
	buf_free(&b);
}
END_TEST

START_TEST(test_json)
{
	static const char want[] =
	    "{\"time\":\"" T_STR "\",\"tag\":\"web\",\"path\":"
	    "\"/var/log/a \\\"b\\\".log\",\"line\":\"say "
	    "\\\"hi\\\"\\t\\\\\"}\n";
	struct buf b;

	b = render(FORMAT_JSON, "web", "/var/log/a \"b\".log", "say \"hi\"\t\\",
	           10);
	ck_buf_eq(&b, want, sizeof want - 1);
	buf_free(&b);

	b = render(FORMAT_JSON, "web", "/p", "", 0);
	ck_buf_eq(
	    &b,
	    "{\"time\":\"" T_STR
	    "\",\"tag\":\"web\",\"path\":\"/p\",\"line\":\"\"}\n",
	    strlen("{\"time\":\"" T_STR
	           "\",\"tag\":\"web\",\"path\":\"/p\",\"line\":\"\"}\n"));
	buf_free(&b);
}
END_TEST

START_TEST(test_json_several_lines)
{
	static const char want[] =
	    "{\"time\":\"" T_STR "\",\"tag\":\"t\",\"path\":\"/p\","
	    "\"line\":\"one\"}\n"
	    "{\"time\":\"" T_STR "\",\"tag\":\"t\",\"path\":\"/p\","
	    "\"line\":\"two\"}\n";
	struct format_ctx ctx;
	struct buf out = {0};

	format_ctx_init(&ctx, FORMAT_JSON, "t", "/p", &t_now);
	format_line(&out, &ctx, "one", 3);
	format_line(&out, &ctx, "two", 3);
	format_ctx_free(&ctx);
	ck_buf_eq(&out, want, sizeof want - 1);
	buf_free(&out);
}
END_TEST

START_TEST(test_crlf)
{
	static const char jwant[] = "{\"time\":\"" T_STR "\",\"tag\":\"t\","
	                            "\"path\":\"/p\",\"line\":\"abc\"}\n";
	static const char jwant2[] = "{\"time\":\"" T_STR "\",\"tag\":\"t\","
	                             "\"path\":\"/p\",\"line\":\"a\\rb\\r\"}\n";
	static const char jwant3[] = "{\"time\":\"" T_STR "\",\"tag\":\"t\","
	                             "\"path\":\"/p\",\"line\":\"\"}\n";
	struct buf b;

	b = render(FORMAT_JSON, "t", "/p", "abc\r", 4);
	ck_buf_eq(&b, jwant, sizeof jwant - 1);
	buf_free(&b);

	/* Only the one CR that ends the line goes. */
	b = render(FORMAT_JSON, "t", "/p", "a\rb\r\r", 5);
	ck_buf_eq(&b, jwant2, sizeof jwant2 - 1);
	buf_free(&b);

	b = render(FORMAT_JSON, "t", "/p", "\r", 1);
	ck_buf_eq(&b, jwant3, sizeof jwant3 - 1);
	buf_free(&b);

	b = render(FORMAT_RAW, "t", "/p", "abc\r", 4);
	ck_buf_eq(&b, "abc\r\n", 5);
	buf_free(&b);

	b = render(FORMAT_TAGGED, "t", "/p", "abc\r", 4);
	ck_buf_eq(&b, T_STR " t abc\r\n", strlen(T_STR " t abc\r\n"));
	buf_free(&b);
}
END_TEST

/* Every byte value as a one-byte line gives a valid json line whose line
 * member is exactly the table's escape. */
START_TEST(test_json_every_byte)
{
	static const char *const names[] = {"time", "tag", "path", "line"};
	const char *pre =
	    "{\"time\":\"" T_STR "\",\"tag\":\"t\",\"path\":\"/p\",\"line\":\"";
	char c = (char)_i, esc[8], want[128];
	struct buf b, vals[4];

	expected_escape((unsigned char)c, esc);
	if (c == '\r')
		esc[0] = '\0'; /* a line's ending CR is not part of it */
	snprintf(want, sizeof want, "%s%s\"}\n", pre, esc);

	b = render(FORMAT_JSON, "t", "/p", &c, 1);
	ck_buf_eq(&b, want, strlen(want));

	memset(vals, 0, sizeof vals);
	ck_assert_msg(json_line(b.data, b.len, names, vals, 4) == 0,
	              "byte 0x%02x: not valid json: %.*s", _i, (int)b.len,
	              b.data);
	ck_assert_uint_eq(vals[0].len, FORMAT_TIME_LEN);
	ck_assert_mem_eq(vals[0].data, T_STR, FORMAT_TIME_LEN);
	if (c == '\r')
		ck_assert_uint_eq(vals[3].len, 0);
	else {
		ck_assert_uint_eq(vals[3].len, 1);
		ck_assert_int_eq((unsigned char)vals[3].data[0], _i);
	}
	for (int k = 0; k < 4; k++)
		buf_free(&vals[k]);
	buf_free(&b);
}
END_TEST

/* The same table, byte by byte through format_json_escape(). */
START_TEST(test_escape_table)
{
	char esc[8], *got;

	for (int i = 0; i < 256; i++) {
		char c = (char)i;
		expected_escape((unsigned char)i, esc);
		got = escape(&c, 1);
		ck_assert_msg(strcmp(got, esc) == 0,
		              "byte 0x%02x: got \"%s\", want \"%s\"", i, got,
		              esc);
		free(got);
	}
	ck_escape("\x7f", "\x7f");
	ck_escape("\x1f", "\\u001f");
	ck_escape("\x00", "\\u0000");
	ck_escape("/", "/");
}
END_TEST

START_TEST(test_utf8_valid)
{
	/* 2, 3 and 4 bytes, and the edges of each. */
	ck_escape("caf\xc3\xa9", "caf\xc3\xa9");
	ck_escape("\xe2\x82\xac", "\xe2\x82\xac");
	ck_escape("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
	ck_escape("\xc2\x80", "\xc2\x80");
	ck_escape("\xdf\xbf", "\xdf\xbf");
	ck_escape("\xe0\xa0\x80", "\xe0\xa0\x80");
	ck_escape("\xed\x9f\xbf", "\xed\x9f\xbf");
	ck_escape("\xee\x80\x80", "\xee\x80\x80");
	ck_escape("\xef\xbf\xbf", "\xef\xbf\xbf");
	ck_escape("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");
	ck_escape("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
	ck_escape("a\xc3\xa9\"\xe2\x82\xac\n\xf0\x9f\x98\x80z",
	          "a\xc3\xa9\\\"\xe2\x82\xac\\n\xf0\x9f\x98\x80z");
}
END_TEST

START_TEST(test_utf8_invalid)
{
	/* Overlong forms. */
	ck_escape("\xc0\x80", "\\u00c0\\u0080");
	ck_escape("\xc1\xbf", "\\u00c1\\u00bf");
	ck_escape("\xe0\x80\x80", "\\u00e0\\u0080\\u0080");
	ck_escape("\xe0\x9f\xbf", "\\u00e0\\u009f\\u00bf");
	ck_escape("\xf0\x80\x80\x80", "\\u00f0\\u0080\\u0080\\u0080");
	ck_escape("\xf0\x8f\xbf\xbf", "\\u00f0\\u008f\\u00bf\\u00bf");
	/* Surrogates. */
	ck_escape("\xed\xa0\x80", "\\u00ed\\u00a0\\u0080");
	ck_escape("\xed\xbf\xbf", "\\u00ed\\u00bf\\u00bf");
	/* Past U+10FFFF, and lead bytes that can never start a character. */
	ck_escape("\xf4\x90\x80\x80", "\\u00f4\\u0090\\u0080\\u0080");
	ck_escape("\xf5\x80\x80\x80", "\\u00f5\\u0080\\u0080\\u0080");
	ck_escape("\xff\xfe", "\\u00ff\\u00fe");
	/* Lone continuation bytes. */
	ck_escape("\x80\xbf", "\\u0080\\u00bf");
	/* Truncated sequences, at the end and before another character. */
	ck_escape("\xc3", "\\u00c3");
	ck_escape("\xe2\x82", "\\u00e2\\u0082");
	ck_escape("\xf0\x9f\x98", "\\u00f0\\u009f\\u0098");
	ck_escape("\xe2\x82"
	          "A",
	          "\\u00e2\\u0082A");
	ck_escape("\xf0\x9f\x98\"", "\\u00f0\\u009f\\u0098\\\"");
	/* A truncated lead followed by a whole character keeps the latter. */
	ck_escape("\xe2\xc3\xa9", "\\u00e2\xc3\xa9");
	ck_escape("x\xffy\xc3\xa9z", "x\\u00ffy\xc3\xa9z");
}
END_TEST

/* Escaping then decoding (\u00XX back to a byte) gives back random input
 * exactly, and the result is always a valid json string. */
START_TEST(test_escape_roundtrip)
{
	static const char alphabet[] =
	    "ab\"\\\n\r\t\x01\x7f\x80\xbf\xc2\xc3"
	    "\xe0\xe2\xed\xef\xf0\xf4\xff\x82\xa0\x9f";
	unsigned seed = 12345;
	char in[64];
	struct buf esc = {0}, dec = {0};

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof in), pos = 0;

		for (size_t i = 0; i < len; i++) {
			int r = rand_r(&seed);
			in[i] = r & 1 ? (char)(r >> 8)
			              : alphabet[(r >> 8) %
			                         (int)(sizeof alphabet - 1)];
		}
		esc.len = dec.len = 0;
		buf_add_byte(&esc, '"');
		format_json_escape(&esc, in, len);
		buf_add_byte(&esc, '"');
		/* Plain tests: a ck_assert per iteration would be slow. */
		if (json_string(esc.data, esc.len, &pos, &dec) == -1 ||
		    pos != esc.len)
			ck_abort_msg("iteration %d: invalid json", iter);
		if (dec.len != len || (len > 0 && memcmp(dec.data, in, len)))
			ck_abort_msg("iteration %d: does not decode back",
			             iter);
	}
	buf_free(&esc);
	buf_free(&dec);
}
END_TEST

/* A long line grows the buffer from empty and stays whole. */
START_TEST(test_long_line)
{
	size_t n = 1 << 20;
	char *line = malloc(n);
	struct buf b;

	ck_assert_ptr_nonnull(line);
	for (size_t i = 0; i < n; i++)
		line[i] = (char)('a' + i % 26);
	b = render(FORMAT_RAW, "t", "/p", line, n);
	ck_assert_uint_eq(b.len, n + 1);
	ck_assert_mem_eq(b.data, line, n);
	ck_assert_int_eq(b.data[n], '\n');
	buf_free(&b);
	b = render(FORMAT_JSON, "t", "/p", line, n);
	ck_assert_uint_eq(b.len, strlen("{\"time\":\"" T_STR "\",\"tag\":\"t\","
	                                "\"path\":\"/p\",\"line\":\"\"}\n") +
	                             n);
	buf_free(&b);
	free(line);
}
END_TEST

/* The suite, one case per area. */
static Suite *
format_suite(void)
{
	Suite *s = suite_create("format");
	TCase *tc;

	tc = tcase_create("time");
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_ctx);
	suite_add_tcase(s, tc);

	tc = tcase_create("lines");
	tcase_add_test(tc, test_raw);
	tcase_add_test(tc, test_tagged);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_json_several_lines);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_long_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_loop_test(tc, test_json_every_byte, 0, 256);
	tcase_add_test(tc, test_escape_table);
	tcase_add_test(tc, test_utf8_valid);
	tcase_add_test(tc, test_utf8_invalid);
	tcase_add_test(tc, test_escape_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tmcheck_run(format_suite());
}
