/* rfc5424.c -- RFC 5424 messages of output lines, RFC 6587 frames. */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "format.h"
#include "rfc5424.h"

/* How a field's bytes go into the message. */
enum rfc5424_as {
	RFC5424_AS_MSG,      /* as they are */
	RFC5424_AS_APP_NAME, /* printable US-ASCII, else '_' */
	RFC5424_AS_PARAM,    /* '"', '\' and ']' escaped with '\' */
};

/* The value of the hex digit `c', or -1. */
static int
rfc5424_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The length of the JSON escape at s (n bytes), as format_json_escape()
 * writes them (\" \\ \n \r \t \b \f and \u00XX for one byte), its byte in
 * *c; 0 if it is none of them. */
static size_t
rfc5424_unescape(const char *s, size_t n, char *c)
{
	static const char from[] = "\"\\nrtbf/", to[] = "\"\\\n\r\t\b\f/";
	const char *k;
	int hi, lo;

	if (n < 2 || s[0] != '\\')
		return 0;
	if (s[1] == 'u') {
		if (n < 6 || s[2] != '0' || s[3] != '0' ||
		    (hi = rfc5424_hex(s[4])) == -1 ||
		    (lo = rfc5424_hex(s[5])) == -1)
			return 0;
		*c = (char)(hi * 16 + lo);
		return 6;
	}
	if (s[1] == '\0' || (k = strchr(from, s[1])) == NULL)
		return 0;
	*c = to[k - from];
	return 2;
}

/* Finds the end of a JSON string body starting at s, within [s, end):
 * the closing quote, or NULL if there is none or an escape is not one
 * format_json_escape() writes. */
static const char *
rfc5424_json_end(const char *s, const char *end)
{
	size_t k;
	char c;

	while (s < end && *s != '"') {
		if (*s == '\\') {
			if ((k = rfc5424_unescape(s, (size_t)(end - s), &c)) ==
			    0)
				return NULL;
			s += k;
		} else
			s++;
	}
	return s < end ? s : NULL;
}

/* True if the FORMAT_TIME_LEN bytes at s are a time as format_time()
 * writes one. */
static int
rfc5424_time_ok(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";

	for (size_t i = 0; i < FORMAT_TIME_LEN; i++) {
		if (pat[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != pat[i])
			return 0;
	}
	return 1;
}

/* Matches the literal `lit' at *s (within end) and moves past it. */
static int
rfc5424_lit(const char **s, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *s) < n || memcmp(*s, lit, n) != 0)
		return 0;
	*s += n;
	return 1;
}

/* Matches `lit' at *s, then a JSON string's escaped bytes up to its
 * closing quote, left in *val and *len; moves *s to that quote. */
static int
rfc5424_json_field(const char **s, const char *end, const char *lit,
                   const char **val, size_t *len)
{
	const char *e;

	if (!rfc5424_lit(s, end, lit) ||
	    (e = rfc5424_json_end(*s, end)) == NULL)
		return 0;
	*val = *s;
	*len = (size_t)(e - *s);
	*s = e;
	return 1;
}

/* Splits a json line: {"time":"T","tag":"G","path":"P","line":"L"}. */
static int
rfc5424_split_json(const char *line, size_t len, struct rfc5424_line *l)
{
	const char *s = line, *end = line + len;

	if (!rfc5424_lit(&s, end, "{\"time\":\"") ||
	    (size_t)(end - s) < FORMAT_TIME_LEN || !rfc5424_time_ok(s))
		return 0;
	l->time = s;
	s += FORMAT_TIME_LEN;
	if (!rfc5424_json_field(&s, end, "\",\"tag\":\"", &l->tag,
	                        &l->tag_len) ||
	    !rfc5424_json_field(&s, end, "\",\"path\":\"", &l->path,
	                        &l->path_len) ||
	    !rfc5424_json_field(&s, end, "\",\"line\":\"", &l->msg,
	                        &l->msg_len))
		return 0;
	if (!rfc5424_lit(&s, end, "\"}") || s != end)
		return 0;
	l->escaped = 1;
	return 1;
}

/* Splits a tagged line: "TIME TAG LINE". */
static int
rfc5424_split_tagged(const char *line, size_t len, struct rfc5424_line *l)
{
	const char *tag = line + FORMAT_TIME_LEN + 1, *sp;

	if (len < FORMAT_TIME_LEN + 3 || !rfc5424_time_ok(line) ||
	    line[FORMAT_TIME_LEN] != ' ')
		return 0;
	sp = memchr(tag, ' ', len - FORMAT_TIME_LEN - 1);
	if (sp == NULL || sp == tag)
		return 0;
	l->time = line;
	l->tag = tag;
	l->tag_len = (size_t)(sp - tag);
	l->msg = sp + 1;
	l->msg_len = len - (size_t)(sp + 1 - line);
	return 1;
}

void
rfc5424_line_split(enum format fmt, const char *line, size_t len,
                   struct rfc5424_line *l)
{
	int ok = 0;

	memset(l, 0, sizeof *l);
	if (fmt == FORMAT_JSON)
		ok = rfc5424_split_json(line, len, l);
	else if (fmt == FORMAT_TAGGED)
		ok = rfc5424_split_tagged(line, len, l);
	if (!ok) {
		memset(l, 0, sizeof *l);
		l->msg = line;
		l->msg_len = len;
	}
}

/* Appends the field [s, s + len) (a JSON string body if `escaped') as
 * `as' says; returns the bytes it appended. */
static size_t
rfc5424_add_field(struct buf *out, const char *s, size_t len, int escaped,
                  enum rfc5424_as as)
{
	size_t i = 0, k, n = 0;
	char c;

	if (!escaped && as == RFC5424_AS_MSG) {
		buf_add(out, s, len);
		return len;
	}
	while (i < len) {
		c = s[i];
		k = escaped ? rfc5424_unescape(s + i, len - i, &c) : 0;
		i += k > 0 ? k : 1;
		if (as == RFC5424_AS_APP_NAME) {
			if (n == RFC5424_APP_NAME_MAX)
				break;
			if ((unsigned char)c < 33 || (unsigned char)c > 126)
				c = '_';
		} else if (as == RFC5424_AS_PARAM &&
		           (c == '"' || c == '\\' || c == ']')) {
			buf_add_byte(out, '\\');
			n++;
		}
		buf_add_byte(out, c);
		n++;
	}
	return n;
}

void
rfc5424_message_add(struct buf *out, const struct rfc5424_line *l,
                    const char *now, const char *hostname)
{
	buf_add(out, "<14>1 ", 6);
	buf_add(out, l->time != NULL ? l->time : now, FORMAT_TIME_LEN);
	buf_add_byte(out, ' ');
	buf_add(out, hostname, strlen(hostname));
	buf_add_byte(out, ' ');
	if (l->tag == NULL ||
	    rfc5424_add_field(out, l->tag, l->tag_len, l->escaped,
	                      RFC5424_AS_APP_NAME) == 0)
		buf_add(out, "tailmux", 7);
	buf_add(out, " - - ", 5);
	if (l->path != NULL) {
		buf_add(out, "[" RFC5424_SD_ID " path=\"",
		        strlen("[" RFC5424_SD_ID " path=\""));
		rfc5424_add_field(out, l->path, l->path_len, l->escaped,
		                  RFC5424_AS_PARAM);
		buf_add(out, "\"] ", 3);
	} else
		buf_add(out, "- ", 2);
	rfc5424_add_field(out, l->msg, l->msg_len, l->escaped, RFC5424_AS_MSG);
}

void
rfc5424_frame_add(struct buf *out, const void *msg, size_t len)
{
	char head[32];
	int n = snprintf(head, sizeof head, "%zu ", len);

	buf_add(out, head, (size_t)n);
	buf_add(out, msg, len);
}
