/* relp.c -- RELP frames: building the client's, parsing the server's. */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "relp.h"

uint32_t
relp_txnr_next(uint32_t txnr)
{
	return txnr >= RELP_TXNR_MAX ? 1 : txnr + 1;
}

void
relp_frame_add(struct buf *out, uint32_t txnr, const char *command,
               const void *data, size_t len)
{
	char head[64];
	int n;

	n = snprintf(head, sizeof head, "%u %s %zu", (unsigned)txnr, command,
	             len);
	buf_add(out, head, (size_t)n);
	if (len > 0) {
		buf_add_byte(out, ' ');
		buf_add(out, data, len);
	}
	buf_add_byte(out, '\n');
}

/* Parses a NUMBER (1 to 9 digits) ending at a space (or, if `lf_ok', at a
 * LF) within [*p, end).  Returns 1 and moves *p past it and its delimiter,
 * 0 when more bytes are needed, -1 when it is no number. */
static int
relp_number(const char **p, const char *end, int lf_ok, uint32_t *out)
{
	const char *s = *p;
	uint32_t v = 0;
	int digits = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (++digits > 9)
			return -1;
		v = v * 10 + (uint32_t)(*s - '0');
	}
	if (s == end)
		return 0;
	if (digits == 0 || (*s != ' ' && !(lf_ok && *s == '\n')))
		return -1;
	*out = v;
	*p = *s == ' ' ? s + 1 : s;
	return 1;
}

int
relp_parse(const char *p, size_t n, struct relp_frame *f, size_t *used,
           const char **why)
{
	const char *s = p, *end = p + n, *cmd;
	uint32_t datalen;
	size_t clen;
	int r;

	if ((r = relp_number(&s, end, 0, &f->txnr)) != 1) {
		*why = "no transaction number";
		return r;
	}
	for (cmd = s; s < end && *s != ' ' && *s != '\n'; s++) {
		if (s - cmd >= 32 ||
		    !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) {
			*why = "a command is 1 to 32 letters";
			return -1;
		}
	}
	if (s == end)
		return 0;
	clen = (size_t)(s - cmd);
	if (clen == 0 || *s != ' ') {
		*why = "a command is 1 to 32 letters";
		return -1;
	}
	memcpy(f->command, cmd, clen);
	f->command[clen] = '\0';
	s++;
	if ((r = relp_number(&s, end, 1, &datalen)) != 1) {
		*why = "no data length";
		return r;
	}
	if (datalen > RELP_MAX_DATA) {
		*why = "data longer than we take";
		return -1;
	}
	if (datalen == 0) {
		/* relp_number() left s at the LF, or past a space */
		if (s[-1] == ' ' || *s != '\n') {
			*why = "a frame without data ends at its length";
			return -1;
		}
		f->data = s;
		f->len = 0;
		*used = (size_t)(s + 1 - p);
		return 1;
	}
	if (s[-1] != ' ') {
		*why = "data announced but absent";
		return -1;
	}
	if ((size_t)(end - s) < (size_t)datalen + 1)
		return 0;
	if (s[datalen] != '\n') {
		*why = "the frame does not end with a LF";
		return -1;
	}
	f->data = s;
	f->len = datalen;
	*used = (size_t)(s + datalen + 1 - p);
	return 1;
}

int
relp_rsp_code(const struct relp_frame *f)
{
	const char *d = f->data;

	if (f->len < 3 || d[0] < '0' || d[0] > '9' || d[1] < '0' ||
	    d[1] > '9' || d[2] < '0' || d[2] > '9')
		return -1;
	if (f->len > 3 && d[3] != ' ' && d[3] != '\n')
		return -1;
	return (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
}

void
relp_rsp_text(const struct relp_frame *f, char *text, size_t size)
{
	size_t i = 4, k = 0;

	if (size == 0)
		return;
	for (; i < f->len && f->data[i] != '\n' && k + 1 < size; i++)
		text[k++] =
		    f->data[i] >= ' ' && f->data[i] < 0x7f ? f->data[i] : '?';
	text[k] = '\0';
}

/* True if the offer line [s, e) is "name=..." with `value' among its
 * comma-separated values (any value if `value' is NULL). */
static int
relp_offer_is(const char *s, const char *e, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen;
	const char *v, *c;

	if ((size_t)(e - s) < nlen || memcmp(s, name, nlen) != 0)
		return 0;
	s += nlen;
	if (s == e || *s != '=')
		return s == e && value == NULL;
	if (value == NULL)
		return 1;
	vlen = strlen(value);
	for (v = s + 1; v <= e; v = c + 1) {
		c = memchr(v, ',', (size_t)(e - v));
		if (c == NULL)
			c = e;
		if ((size_t)(c - v) == vlen && memcmp(v, value, vlen) == 0)
			return 1;
	}
	return 0;
}

int
relp_open_ok(const struct relp_frame *f)
{
	const char *s, *e, *end = f->data + f->len;
	int version = 0, syslog = 0;

	if (strcmp(f->command, "rsp") != 0 || relp_rsp_code(f) != 200)
		return 0;
	s = memchr(f->data, '\n', f->len);
	while (s != NULL && s < end) {
		s++;
		e = memchr(s, '\n', (size_t)(end - s));
		if (e == NULL)
			e = end;
		version |= relp_offer_is(s, e, "relp_version", NULL);
		syslog |= relp_offer_is(s, e, "commands", "syslog");
		s = e;
	}
	return version && syslog;
}
