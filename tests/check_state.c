/* check_state.c -- unit tests for state.c: the checkpoint file's text form
 * (round trip of awkward paths, detection of every kind of damage with a
 * message naming the line) and its reading and atomic writing. */
#include "autoconf.h"

#include "state.h"
#include "xmalloc.h"

#include "tmcheck.h"
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Paths that the percent-encoding must carry unchanged. */
static const char *const awkward_paths[] = {
    "/var/log/plain.log",
    "/var/log/with space/a b.log",
    "/var/log/100%/50%25 done%",
    "/var/log/new\nline\n",
    "/var/log/t\tab\r\v\f",
    "/var/log/\xc3\xa9t\xc3\xa9/\xe6\x97\xa5\xe5\xbf\x97.log",
    "/var/log/raw\x01\x7f\x80\xfe\xff bytes",
    "relative/~tilde!/\"quotes\"'#",
    " leading and trailing ",
    "%",
};
#define NAWKWARD (sizeof awkward_paths / sizeof awkward_paths[0])

/* A state with every field away from its default. */
static void
make_state(struct state *st, const char *out_path, size_t nfiles)
{
	memset(st, 0, sizeof *st);
	st->out_path = strdup(out_path);
	ck_assert_ptr_nonnull(st->out_path);
	st->out_dev = 2049;
	st->out_ino = UINT64_MAX;
	st->out_len = 123456789012345ULL;
	for (size_t i = 0; i < nfiles; i++)
		state_add(
		    st, awkward_paths[i % NAWKWARD], 64768 + i,
		    (i == 0 ? UINT64_MAX : 1000 + i * 7),
		    (i == 1 ? 0 : (uint64_t)i * 1000003),
		    (uint32_t)(i == 2 ? 0 : (i * 131) % (STATE_FP_MAX + 1)),
		    0x0123456789abcdefULL ^
		        (uint64_t)i * 0x9e3779b97f4a7c15ULL);
}

/* Asserts two states hold the same things. */
static void
ck_state_eq(const struct state *a, const struct state *b)
{
	ck_assert_ptr_nonnull(a->out_path);
	ck_assert_ptr_nonnull(b->out_path);
	ck_assert_str_eq(a->out_path, b->out_path);
	ck_assert_uint_eq(a->out_dev, b->out_dev);
	ck_assert_uint_eq(a->out_ino, b->out_ino);
	ck_assert_uint_eq(a->out_len, b->out_len);
	ck_assert_uint_eq(a->nfiles, b->nfiles);
	for (size_t i = 0; i < a->nfiles; i++) {
		const struct state_file *x = &a->files[i], *y = &b->files[i];
		if (strcmp(x->path, y->path) != 0)
			ck_abort_msg("file %zu: path differs", i);
		ck_assert_uint_eq(x->dev, y->dev);
		ck_assert_uint_eq(x->ino, y->ino);
		ck_assert_uint_eq(x->offset, y->offset);
		ck_assert_uint_eq(x->fp_len, y->fp_len);
		ck_assert_uint_eq(x->fp_hash, y->fp_hash);
		ck_assert_uint_eq(x->seen_at, y->seen_at);
		ck_assert_int_eq(x->kind, y->kind);
	}
}

/* Entries of each kind come back as the kind they were, and state_find()
 * never returns a "copy" (it stands for contents no longer at its inode). */
START_TEST(test_kinds)
{
	struct state st = {0}, back = {0};
	struct buf b = {0};
	char *cause = NULL;

	st.out_path = xstrdup("/o");
	state_add(&st, "/a", 1, 7, 10, 4, 0x1234)->kind = STATE_COPY;
	state_add(&st, "/a", 1, 7, 20, 4, 0x5678)->kind = STATE_OPEN;
	state_add(&st, "/a", 1, 8, 30, 4, 0x9abc)->kind = STATE_DONE;
	state_format(&st, &b);
	ck_assert_ptr_nonnull(strstr(b.data, "\ncopy 1 7 10 "));
	ck_assert_ptr_nonnull(strstr(b.data, "\nfile 1 7 20 "));
	ck_assert_ptr_nonnull(strstr(b.data, "\ndone 1 8 30 "));
	ck_assert_int_eq(state_parse(b.data, b.len, &back, &cause), 0);
	ck_state_eq(&st, &back);
	ck_assert_uint_eq(state_find(&back, 1, 7)->offset, 20);
	ck_assert_uint_eq(state_find(&back, 1, 8)->offset, 30);
	ck_assert_uint_eq(back.files[0].seen_at, 0);
	st.files[1].kind = STATE_COPY;
	ck_assert_ptr_null(state_find(&st, 1, 7));
	state_clear(&st);
	state_clear(&back);
	buf_free(&b);
}
END_TEST

/* When its contents were first seen goes with a "file", a "copy" and a
 * "done" entry (after the path), and comes back; a line without it, as written
 * before it was added, has 0. */
START_TEST(test_seen_at)
{
	static const char old[] = "copy 1 7 10 4 0000000000001234 /a%20b\n";
	struct state st = {0}, back = {0};
	struct buf b = {0};
	char *cause = NULL;

	st.out_path = xstrdup("/o");
	state_add(&st, "/a b", 1, 7, 0, 4, 0x1234)->kind = STATE_COPY;
	st.files[0].seen_at = 1795645089728556199u;
	state_add(&st, "/a b", 1, 7, 20, 4, 0x5678)->seen_at = 42;
	state_add(&st, "/a b", 1, 8, 30, 4, 0x9abc)->kind = STATE_DONE;
	st.files[2].seen_at = 41;
	state_format(&st, &b);
	ck_assert_ptr_nonnull(strstr(b.data,
	                             "\ncopy 1 7 0 4 0000000000001234 /a%20b "
	                             "1795645089728556199\n"));
	ck_assert_ptr_nonnull(strstr(b.data, " /a%20b 42\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "\ndone 1 8 30 4 "
	                                     "0000000000009abc /a%20b 41\n"));
	ck_assert_int_eq(state_parse(b.data, b.len, &back, &cause), 0);
	ck_state_eq(&st, &back);
	ck_assert_str_eq(back.files[0].path, "/a b");
	ck_assert_uint_eq(back.files[0].seen_at, 1795645089728556199u);
	ck_assert_uint_eq(back.files[1].seen_at, 42);
	ck_assert_uint_eq(back.files[2].seen_at, 41);
	state_clear(&back);
	buf_free(&b);

	/* The same entry as an older tailmux wrote it. */
	state_clear(&st);
	st.out_path = xstrdup("/o");
	state_add(&st, "/a b", 1, 7, 10, 4, 0x1234)->kind = STATE_COPY;
	state_format(&st, &b);
	ck_assert_ptr_nonnull(strstr(b.data, old));
	ck_assert_int_eq(state_parse(b.data, b.len, &back, &cause), 0);
	ck_assert_uint_eq(back.files[0].seen_at, 0);
	ck_assert_str_eq(back.files[0].path, "/a b");
	state_clear(&st);
	state_clear(&back);
	buf_free(&b);
}
END_TEST

/* The number of the line holding byte `i' of `text' (from 1). */
static int
line_of(const char *text, size_t i)
{
	int n = 1;

	for (size_t k = 0; k < i; k++)
		if (text[k] == '\n')
			n++;
	return n;
}

static int
count_lines(const char *text, size_t len)
{
	int n = 0;

	for (size_t k = 0; k < len; k++)
		if (text[k] == '\n')
			n++;
	return n;
}

/* Parses damaged text, which must fail with "line N: ..." and an N among
 * those allowed ([lo, hi]); returns N.  `what' says what the damage is. */
static int
ck_parse_fails(const char *text, size_t len, int lo, int hi, const char *what)
{
	struct state st;
	char *cause = NULL, *copy;
	int line = -1, used = 0;

	/* A copy exactly as long as the text, so that ASan sees any read past
	 * its end. */
	copy = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	memset(&st, 0xa5, sizeof st);
	if (state_parse(copy, len, &st, &cause) != -1)
		ck_abort_msg("%s: accepted as a valid state", what);
	free(copy);
	if (cause == NULL)
		ck_abort_msg("%s: rejected without a message", what);
	if (sscanf(cause, "line %d: %n", &line, &used) != 1 || used == 0 ||
	    cause[used] == '\0')
		ck_abort_msg("%s: the message does not name the line: \"%s\"",
		             what, cause);
	if (line < lo || line > hi)
		ck_abort_msg("%s: the message names line %d, expected %d..%d: "
		             "\"%s\"",
		             what, line, lo, hi, cause);
	/* The state is left empty. */
	ck_assert_ptr_null(st.out_path);
	ck_assert_ptr_null(st.files);
	ck_assert_uint_eq(st.nfiles, 0);
	free(cause);
	return line;
}

/* Like ck_parse_fails, and the message also says `why'. */
static void
ck_parse_fails_why(const char *text, size_t len, int line, const char *why,
                   const char *what)
{
	struct state st;
	char *cause = NULL;

	ck_parse_fails(text, len, line, line, what);
	ck_assert_int_eq(state_parse(text, len, &st, &cause), -1);
	if (strstr(cause, why) == NULL)
		ck_abort_msg("%s: the message \"%s\" does not say \"%s\"", what,
		             cause, why);
	free(cause);
}

/* A valid rendered state of 4 files. */
static void
valid_text(struct buf *b)
{
	struct state st;

	make_state(&st, "/var/log/tailmux/merged out.log", 4);
	memset(b, 0, sizeof *b);
	state_format(&st, b);
	state_clear(&st);
}

/* Recomputes the end line of a text whose body was edited, keeping count. */
static void
reseal(struct buf *b, size_t count)
{
	char *end = NULL;
	char line[128];
	int n;

	for (size_t k = b->len - 1; k > 0; k--)
		if (b->data[k - 1] == '\n' &&
		    strncmp(b->data + k, "end ", 4) == 0) {
			end = b->data + k;
			break;
		}
	ck_assert_ptr_nonnull(end);
	b->len = (size_t)(end - b->data);
	n = snprintf(line, sizeof line, "end %zu %016llx\n", count,
	             (unsigned long long)state_hash(b->data, b->len));
	buf_add(b, line, (size_t)n);
}

START_TEST(test_round_trip)
{
	struct state st, back;
	struct buf b = {0};
	char *cause = NULL;

	for (size_t n = 0; n <= NAWKWARD + 2; n++) {
		make_state(&st, awkward_paths[n % NAWKWARD], n);
		b.len = 0;
		state_format(&st, &b);
		/* One line per entry, printable ASCII only: the paths'
		 * newlines and other bytes are encoded. */
		ck_assert_int_eq(count_lines(b.data, b.len), (int)n + 3);
		for (size_t k = 0; k < b.len; k++)
			if (b.data[k] != '\n' &&
			    (b.data[k] < ' ' || b.data[k] > '~'))
				ck_abort_msg("%zu files: byte %zu is 0x%02x, "
				             "not printable ASCII",
				             n, k, (unsigned char)b.data[k]);
		ck_assert_int_eq(b.data[b.len - 1], '\n');
		if (state_parse(b.data, b.len, &back, &cause) != 0)
			ck_abort_msg("%zu files: the rendered state does not "
			             "parse: %s",
			             n, cause);
		ck_state_eq(&st, &back);
		/* Formatting it again gives the same bytes. */
		{
			struct buf again = {0};
			state_format(&back, &again);
			ck_assert_uint_eq(again.len, b.len);
			ck_assert_int_eq(memcmp(again.data, b.data, b.len), 0);
			buf_free(&again);
		}
		state_clear(&back);
		state_clear(&st);
	}
	buf_free(&b);
}
END_TEST

/* Forwarders' cursors come back as they were, after the files, and the
 * end line still counts the files alone; a checkpoint without them (as
 * written before there were forwarders) loads with none. */
START_TEST(test_forward_lines)
{
	static const char old[] = "tailmux-state 1\n"
	                          "output 1 2 3 /o\n";
	struct state st, back;
	struct buf b = {0};
	char *cause = NULL;

	make_state(&st, "/o", 2);
	state_add_forward(&st, "central", 2049, 77, 4096);
	state_add_forward(&st, "odd name%", 1, UINT64_MAX, 0);
	state_format(&st, &b);
	ck_assert_ptr_nonnull(strstr(b.data, "\nforward 2049 77 4096 central\n"
	                                     "forward 1 18446744073709551615 0 "
	                                     "odd%20name%25\nend 2 "));
	ck_assert_int_eq(state_parse(b.data, b.len, &back, &cause), 0);
	ck_state_eq(&st, &back);
	ck_assert_uint_eq(back.nforwards, 2);
	ck_assert_str_eq(back.forwards[1].name, "odd name%");
	ck_assert_uint_eq(back.forwards[1].ino, UINT64_MAX);
	ck_assert_ptr_eq(state_find_forward(&back, "central"),
	                 &back.forwards[0]);
	ck_assert_uint_eq(state_find_forward(&back, "central")->offset, 4096);
	ck_assert_ptr_null(state_find_forward(&back, "other"));
	state_clear(&back);
	state_clear(&st);
	buf_free(&b);

	memset(&b, 0, sizeof b);
	buf_add(&b, old, strlen(old));
	buf_add(&b, "end 0 0\n", 8);
	reseal(&b, 0);
	ck_assert_int_eq(state_parse(b.data, b.len, &back, &cause), 0);
	ck_assert_uint_eq(back.nforwards, 0);
	state_clear(&back);
	/* Forward lines come after every file line, as written. */
	b.len = 0;
	buf_add(&b, old, strlen(old));
	buf_add(&b, "forward 1 2 3 a\n", 16);
	buf_add(&b, "file 1 2 3 4 0123456789abcdef /x\n", 33);
	buf_add(&b, "end 0 0\n", 8);
	reseal(&b, 1);
	ck_parse_fails_why(b.data, b.len, 4, "file line after a forward line",
	                   "a file line after a forwarder");
	/* The same name twice is damage. */
	b.len = 0;
	buf_add(&b, old, strlen(old));
	buf_add(&b, "forward 1 2 3 a\nforward 1 2 4 a\n", 32);
	buf_add(&b, "end 0 0\n", 8);
	reseal(&b, 0);
	ck_parse_fails_why(b.data, b.len, 4, "second forward line",
	                   "a forwarder twice");
	buf_free(&b);
}
END_TEST

START_TEST(test_find_add)
{
	struct state st;

	make_state(&st, "/o", 3);
	ck_assert_ptr_eq(state_find(&st, 64768, UINT64_MAX), &st.files[0]);
	ck_assert_ptr_eq(state_find(&st, 64770, 1014), &st.files[2]);
	ck_assert_ptr_null(state_find(&st, 64768, 1014)); /* other device */
	ck_assert_ptr_null(state_find(&st, 1, 2));
	state_clear(&st);
	ck_assert_uint_eq(st.nfiles, 0);
	ck_assert_ptr_null(st.out_path);
}
END_TEST

START_TEST(test_bad_magic)
{
	static const char *const magics[] = {
	    "tailmux-state 2",
	    "tailmux-state",
	    "tailmux-state 1 ",
	    "Tailmux-state 1",
	    "",
	    "output 1 2 3 /o",
	};
	struct buf b, t;
	char *nl;

	valid_text(&b);
	nl = memchr(b.data, '\n', b.len);
	ck_assert_ptr_nonnull(nl);
	for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
		memset(&t, 0, sizeof t);
		buf_add(&t, magics[i], strlen(magics[i]));
		buf_add(&t, nl, b.len - (size_t)(nl - b.data));
		ck_parse_fails_why(t.data, t.len, 1, "not a tailmux state file",
		                   magics[i]);
		buf_free(&t);
	}
	buf_free(&b);
}
END_TEST

/* Every prefix of a valid file, from empty to one byte short, is cut. */
START_TEST(test_truncated_every_prefix)
{
	struct buf b;
	char what[64];
	int m;

	valid_text(&b);
	for (size_t k = 0; k < b.len; k++) {
		snprintf(what, sizeof what, "cut to %zu of %zu bytes", k,
		         b.len);
		m = count_lines(b.data, k); /* whole lines kept */
		/* The line named is the cut one, or the last whole one;
		 * line 1 for an empty file. */
		ck_parse_fails(b.data, k, m > 0 ? m : 1, m + 1, what);
	}
	buf_free(&b);
}
END_TEST

/* Every bit of every byte flipped, one at a time. */
START_TEST(test_flipped_byte)
{
	struct buf b;
	char what[96];
	int nlines;

	valid_text(&b);
	nlines = count_lines(b.data, b.len);
	for (size_t i = 0; i < b.len; i++)
		for (int bit = 0; bit < 8; bit++) {
			unsigned char was = (unsigned char)b.data[i];
			b.data[i] = (char)(was ^ (1u << bit));
			snprintf(what, sizeof what,
			         "byte %zu (line %d) 0x%02x flipped to 0x%02x",
			         i, line_of(b.data, i), was,
			         (unsigned char)b.data[i]);
			/* Found on its own line, or by the checksum on the
			 * end line. */
			ck_parse_fails(b.data, b.len, line_of(b.data, i),
			               nlines, what);
			b.data[i] = (char)was;
		}
	buf_free(&b);
}
END_TEST

/* A NUL byte in place of any byte, or inserted anywhere. */
START_TEST(test_nul_byte)
{
	struct buf b, t;
	char what[64];
	int nlines;

	valid_text(&b);
	nlines = count_lines(b.data, b.len);
	for (size_t i = 0; i < b.len; i++) {
		char was = b.data[i];
		b.data[i] = '\0';
		snprintf(what, sizeof what, "NUL in place of byte %zu", i);
		ck_parse_fails(b.data, b.len, line_of(b.data, i), nlines, what);
		b.data[i] = was;

		memset(&t, 0, sizeof t);
		buf_add(&t, b.data, i);
		buf_add_byte(&t, '\0');
		buf_add(&t, b.data + i, b.len - i);
		snprintf(what, sizeof what, "NUL inserted before byte %zu", i);
		ck_parse_fails(t.data, t.len, line_of(b.data, i), nlines, what);
		buf_free(&t);
	}
	/* On its own, a NUL inside a line is named as such. */
	memset(&t, 0, sizeof t);
	buf_add(&t, b.data, b.len);
	t.data[3] = '\0';
	ck_parse_fails_why(t.data, t.len, 1, "NUL byte", "NUL in line 1");
	buf_free(&t);
	buf_free(&b);
}
END_TEST

START_TEST(test_wrong_count)
{
	struct buf b;
	struct state st;
	char *cause = NULL;
	int nlines;

	valid_text(&b);
	nlines = count_lines(b.data, b.len);
	/* The sealed text parses with its own count... */
	reseal(&b, 4);
	ck_assert_int_eq(state_parse(b.data, b.len, &st, &cause), 0);
	ck_assert_uint_eq(st.nfiles, 4);
	state_clear(&st);
	/* ...and with any other, the checksum being right, it does not. */
	for (size_t c = 0; c <= 9; c++) {
		if (c == 4)
			continue;
		reseal(&b, c);
		ck_parse_fails_why(b.data, b.len, nlines,
		                   "file count does not match", "wrong count");
	}
	reseal(&b, 4);
	/* A file line taken out, the checksum made right again: the count
	 * no longer matches. */
	{
		char *l3 = b.data, *l4;
		for (int k = 0; k < 3; k++)
			l3 = (char *)memchr(l3, '\n',
			                    b.len - (size_t)(l3 - b.data)) +
			     1;
		l4 =
		    (char *)memchr(l3, '\n', b.len - (size_t)(l3 - b.data)) + 1;
		memmove(l3, l4, b.len - (size_t)(l4 - b.data));
		b.len -= (size_t)(l4 - l3);
		reseal(&b, 4);
		ck_parse_fails_why(b.data, b.len, nlines - 1,
		                   "file count does not match",
		                   "a file line missing");
	}
	buf_free(&b);
}
END_TEST

START_TEST(test_bad_checksum)
{
	struct buf b;
	char *h;
	int nlines;

	valid_text(&b);
	nlines = count_lines(b.data, b.len);
	h = b.data + b.len - 17; /* the hash's 16 digits and the newline */
	ck_assert_int_eq(h[-1], ' ');
	for (int k = 0; k < 16; k++) {
		char was = h[k];
		h[k] = was == '0' ? '1' : '0';
		ck_parse_fails_why(b.data, b.len, nlines,
		                   "checksum does not match", "hash digit");
		h[k] = was;
	}
	/* A body byte changed and the (old) checksum kept. */
	b.data[30] = b.data[30] == '1' ? '2' : '1';
	ck_parse_fails(b.data, b.len, 2, nlines, "body changed");
	buf_free(&b);
}
END_TEST

START_TEST(test_garbage_after_end)
{
	static const char *const tails[] = {"x",
	                                    "\n",
	                                    " ",
	                                    "\0",
	                                    "end 4 0000000000000000\n",
	                                    "tailmux-state 1\n"};
	struct buf b, t;
	int nlines;

	valid_text(&b);
	nlines = count_lines(b.data, b.len);
	for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
		memset(&t, 0, sizeof t);
		buf_add(&t, b.data, b.len);
		buf_add(&t, tails[i], i == 3 ? 1 : strlen(tails[i]));
		ck_parse_fails_why(t.data, t.len, nlines,
		                   "bytes after the end line", tails[i]);
		buf_free(&t);
	}
	/* Bytes after the hash on the end line itself. */
	{
		static const char *const junk[] = {"0", "x", " x", " ", "\r"};
		char what[80];
		for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
			memset(&t, 0, sizeof t);
			buf_add(&t, b.data, b.len - 1);
			buf_add(&t, junk[i], strlen(junk[i]));
			buf_add_byte(&t, '\n');
			snprintf(what, sizeof what,
			         "\"%s\" after the hash on the end line",
			         i == 4 ? "\\r" : junk[i]);
			ck_parse_fails(t.data, t.len, nlines, nlines, what);
			buf_free(&t);
		}
	}
	/* Two valid states back to back are not one. */
	memset(&t, 0, sizeof t);
	buf_add(&t, b.data, b.len);
	buf_add(&t, b.data, b.len);
	ck_parse_fails_why(t.data, t.len, nlines, "bytes after the end line",
	                   "two states");
	buf_free(&t);
	buf_free(&b);
}
END_TEST

/* Lines that are wrong in themselves, the checksum made right. */
START_TEST(test_malformed_lines)
{
	static const struct {
		const char *line;
		const char *why;
	} bad[] = {
	    {"output 1 2 /no-length", "malformed output line"},
	    {"output 1 2 3 ", "malformed output line"},
	    {"output 1 2 3 /bad%zzescape", "malformed output line"},
	    {"output 1 2 3 /nul%00escape", "malformed output line"},
	    {"output 1 2 3 /cut%4", "malformed output line"},
	    {"output 1 2 3 /o", "second output line"},
	    {"file 1 2 3 4 /no-hash", "malformed file line"},
	    {"file 1 2 3 1025 0123456789abcdef /fp-too-long",
	     "malformed file line"},
	    {"file 1 2 3 4 0123456789abcdef ", "malformed file line"},
	    {"filer 1 2 3 4 0123456789abcdef /x", "unknown line"},
	    {"copy 1 2 3 4 0123456789abcdef /x 12a", "malformed file line"},
	    {"copy 1 2 3 4 0123456789abcdef /x -1", "malformed file line"},
	    {"copy 1 2 3 4 0123456789abcdef /x ", "malformed file line"},
	    {"", "unknown line"},
	    {"# a comment", "unknown line"},
	    /* An escape is "%" and exactly two upper-case hex digits, of a
	     * byte the writer escapes; other bytes are not escaped. */
	    {"output 1 2 3 /a%4g", "malformed output line"},
	    {"output 1 2 3 /a%-1", "malformed output line"},
	    {"output 1 2 3 /a%+1", "malformed output line"},
	    {"output 1 2 3 /a% 41", "malformed output line"},
	    {"output 1 2 3 /a%\t41", "malformed output line"},
	    {"output 1 2 3 /a%0x41", "malformed output line"},
	    {"output 1 2 3 /a%", "malformed output line"},
	    {"output 1 2 3 /a%e9", "malformed output line"},
	    {"output 1 2 3 /a%41", "malformed output line"},
	    {"output 1 2 3 /a\001b", "malformed output line"},
	    {"output 1 2 3 /caf\xc3\xa9", "malformed output line"},
	    {"output 1 2 3 /a\tb", "malformed output line"},
	    /* Numbers are digits only: no blank, sign or leading zero, and
	     * fields are one space apart. */
	    {"output  1 2 3 /o", "malformed output line"},
	    {"output 1  2 3 /o", "malformed output line"},
	    {"output 1\t2 3 /o", "malformed output line"},
	    {"output -1 2 3 /o", "malformed output line"},
	    {"output +1 2 3 /o", "malformed output line"},
	    {"output 01 2 3 /o", "malformed output line"},
	    {"output 1 2 3 /o x", "malformed output line"},
	    {"output 18446744073709551616 2 3 /o", "malformed output line"},
	    {"output 99999999999999999999 2 3 /o", "malformed output line"},
	    {"file -1 2 3 4 0123456789abcdef /x", "malformed file line"},
	    {"file 1 -2 3 4 0123456789abcdef /x", "malformed file line"},
	    {"file 1 2 +3 4 0123456789abcdef /x", "malformed file line"},
	    {"file 1 2 3 -4 0123456789abcdef /x", "malformed file line"},
	    {"file 1 2 3 4294967297 0123456789abcdef /x",
	     "malformed file line"},
	    {"file 1 2 3 4 0123456789ABCDEF /x", "malformed file line"},
	    {"file 1 2 3 4 123456789abcdef /x", "malformed file line"},
	    {"file 1 2 3 4 -123456789abcdef /x", "malformed file line"},
	    {"file 1 2 3 4 0x23456789abcdef /x", "malformed file line"},
	    {"file 1 2 3 4 0123456789abcdef0 /x", "malformed file line"},
	    {"file  1 2 3 4 0123456789abcdef /x", "malformed file line"},
	    {"file 1 2 3 4 0123456789abcdef /x 0", "malformed file line"},
	    {"file 1 2 3 4 0123456789abcdef /x 012", "malformed file line"},
	    {"file 1 2 3 4 0123456789abcdef /x +12", "malformed file line"},
	    {"file 1 2 3 4 0123456789abcdef /x 12 13", "malformed file line"},
	    {"done 1 2 3 4 0123456789abcdef /x 0", "malformed file line"},
	    {"forward 1 2 3", "malformed forward line"},
	    {"forward 1 2 3 ", "malformed forward line"},
	    {"forward 1 2 -3 a", "malformed forward line"},
	    {"forward 1 2 3 a b", "malformed forward line"},
	    {"forward 1 2 03 a", "malformed forward line"},
	    {"forward 1 2 3 a%zz", "malformed forward line"},
	    {"forwards 1 2 3 a", "unknown line"},
	};
	struct buf b, t;
	char *l2, *l3;
	int replace;

	valid_text(&b);
	l2 = (char *)memchr(b.data, '\n', b.len) + 1; /* the output line */
	l3 = (char *)memchr(l2, '\n', b.len - (size_t)(l2 - b.data)) + 1;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		/* A bad output line replaces line 2; any other goes in as
		 * line 3, after the good output line. */
		replace = strstr(bad[i].why, "output line") != NULL &&
		          strncmp(bad[i].why, "second", 6) != 0;
		memset(&t, 0, sizeof t);
		buf_add(&t, b.data, (size_t)((replace ? l2 : l3) - b.data));
		buf_add(&t, bad[i].line, strlen(bad[i].line));
		buf_add_byte(&t, '\n');
		buf_add(&t, l3, b.len - (size_t)(l3 - b.data));
		reseal(&t, 4);
		ck_parse_fails_why(t.data, t.len, replace ? 2 : 3, bad[i].why,
		                   bad[i].line);
		buf_free(&t);
	}
	/* The output line comes first, as written: lines 2 and 3 swapped. */
	{
		char *l4 =
		    (char *)memchr(l3, '\n', b.len - (size_t)(l3 - b.data)) + 1;
		memset(&t, 0, sizeof t);
		buf_add(&t, b.data, (size_t)(l2 - b.data));
		buf_add(&t, l3, (size_t)(l4 - l3));
		buf_add(&t, l2, (size_t)(l3 - l2));
		buf_add(&t, l4, b.len - (size_t)(l4 - b.data));
		reseal(&t, 4);
		ck_parse_fails_why(t.data, t.len, 2,
		                   "file line before the output line",
		                   "a file line first");
		buf_free(&t);
	}
	/* No output line at all. */
	{
		const char *text = "tailmux-state 1\n";
		memset(&t, 0, sizeof t);
		buf_add(&t, text, strlen(text));
		buf_add(&t, "end 0 0\n", 8);
		reseal(&t, 0);
		ck_parse_fails_why(t.data, t.len, 2, "no output line",
		                   "no output line");
		buf_free(&t);
	}
	buf_free(&b);
}
END_TEST

/* The end line as state_format() writes it, or the state is damaged:
 * each variant below is rejected, with the right count and hash. */
START_TEST(test_end_line_strict)
{
	static const char *const fmts[] = {
	    "end  %zu %016llx\n",  "end %zu  %016llx\n", "end +%zu %016llx\n",
	    "end 0%zu %016llx\n",  "end %zu %016llX\n",  "end %zu %017llx\n",
	    "end %zu 0x%014llx\n", "end %zu %016llx \n", "end\t%zu %016llx\n",
	    "end %zu\t%016llx\n",
	};
	struct buf b, t;
	char line[128];
	char *end;
	int nlines, n;

	valid_text(&b);
	nlines = count_lines(b.data, b.len);
	end = b.data + b.len - 1;
	while (end[-1] != '\n')
		end--;
	for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		memset(&t, 0, sizeof t);
		buf_add(&t, b.data, (size_t)(end - b.data));
		n = snprintf(line, sizeof line, fmts[i], (size_t)4,
		             (unsigned long long)state_hash(t.data, t.len));
		buf_add(&t, line, (size_t)n);
		ck_parse_fails(t.data, t.len, nlines, nlines, line);
		buf_free(&t);
	}
	buf_free(&b);
}
END_TEST

/* ------------------------------------------------------------ files */

static char dir[64];

static void
dir_setup(void)
{
	strcpy(dir, "/tmp/check_state.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
dir_teardown(void)
{
	char cmd[128];

	chmod(dir, 0700);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static char *
in_dir(const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);

	ck_assert_ptr_nonnull(p);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

static void
put_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

/* The whole of a file, in a NUL-terminated malloc'd block. */
static char *
get_file(const char *path, size_t *len)
{
	struct stat sb;
	char *data;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	data = malloc((size_t)sb.st_size + 1);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(read(fd, data, (size_t)sb.st_size), sb.st_size);
	data[sb.st_size] = '\0';
	close(fd);
	*len = (size_t)sb.st_size;
	return data;
}

static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

START_TEST(test_read_missing)
{
	struct state st;
	char *cause = NULL, *path = in_dir("none");

	memset(&st, 0xa5, sizeof st);
	ck_assert_int_eq(state_read(path, &st, &cause), 1);
	ck_assert_ptr_null(cause);
	ck_assert_ptr_null(st.out_path);
	ck_assert_uint_eq(st.nfiles, 0);
	free(path);
}
END_TEST

START_TEST(test_read_good_and_damaged)
{
	struct state st, back;
	struct buf b = {0};
	char *cause = NULL, *path = in_dir("state");

	make_state(&st, "/o u t", 5);
	state_format(&st, &b);
	put_file(path, b.data, b.len);
	ck_assert_int_eq(state_read(path, &back, &cause), 0);
	ck_state_eq(&st, &back);
	state_clear(&back);

	/* An empty file is a damaged one, not a missing one. */
	put_file(path, "", 0);
	ck_assert_int_eq(state_read(path, &back, &cause), -2);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strncmp(cause, "line ", 5) == 0, "cause: %s", cause);
	free(cause);
	cause = NULL;

	/* Cut in the middle. */
	put_file(path, b.data, b.len / 2);
	ck_assert_int_eq(state_read(path, &back, &cause), -2);
	ck_assert_msg(strncmp(cause, "line ", 5) == 0, "cause: %s", cause);
	free(cause);
	cause = NULL;
	ck_assert_ptr_null(back.out_path);

	state_clear(&st);
	buf_free(&b);
	free(path);
}
END_TEST

START_TEST(test_read_unreadable)
{
	struct state st;
	char *cause = NULL, *path;
	int fd;

	/* A directory. */
	path = in_dir("adir");
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(state_read(path, &st, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, strerror(EISDIR)) != NULL, "cause: %s",
	              cause);
	ck_assert_ptr_null(st.out_path);
	free(cause);
	cause = NULL;
	free(path);

	/* Under a regular file: ENOTDIR, not "missing". */
	path = in_dir("afile");
	put_file(path, "x", 1);
	free(path);
	path = in_dir("afile/state");
	ck_assert_int_eq(state_read(path, &st, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, strerror(ENOTDIR)) != NULL, "cause: %s",
	              cause);
	free(cause);
	cause = NULL;
	free(path);

	/* A file without read permission (when permissions apply to us). */
	path = in_dir("noread");
	put_file(path, "tailmux-state 1\n", 16);
	ck_assert_int_eq(chmod(path, 0), 0);
	fd = open(path, O_RDONLY);
	if (fd != -1) {
		close(fd);
		fprintf(stderr,
		        "check_state: skipping the unreadable-file "
		        "check: permissions do not apply to uid %d\n",
		        (int)geteuid());
	} else {
		ck_assert_int_eq(state_read(path, &st, &cause), -1);
		ck_assert_ptr_nonnull(cause);
		ck_assert_msg(strstr(cause, strerror(EACCES)) != NULL,
		              "cause: %s", cause);
		free(cause);
	}
	free(path);
}
END_TEST

START_TEST(test_write_atomic)
{
	struct buf b1 = {0}, b2 = {0};
	struct state st;
	struct stat s1, s2;
	char *path = in_dir("state"), *tmp = in_dir("state.tmp");
	char *cause = NULL, *got;
	size_t len;
	int old;

	make_state(&st, "/first", 3);
	state_format(&st, &b1);
	state_clear(&st);
	make_state(&st, "/second output", 7);
	state_format(&st, &b2);
	state_clear(&st);

	ck_assert_int_eq(state_write(path, b1.data, b1.len, &cause), 0);
	ck_assert_ptr_null(cause);
	ck_assert_msg(!exists(tmp), "%s is left behind", tmp);
	got = get_file(path, &len);
	ck_assert_uint_eq(len, b1.len);
	ck_assert_int_eq(memcmp(got, b1.data, len), 0);
	free(got);
	ck_assert_int_eq(stat(path, &s1), 0);

	/* Replaced by a rename, not rewritten in place: a reader that has
	 * the old file open still sees the whole old contents. */
	old = open(path, O_RDONLY);
	ck_assert_int_ne(old, -1);
	ck_assert_int_eq(state_write(path, b2.data, b2.len, &cause), 0);
	ck_assert_msg(!exists(tmp), "%s is left behind", tmp);
	ck_assert_int_eq(stat(path, &s2), 0);
	ck_assert_msg(s1.st_ino != s2.st_ino,
	              "the state file was rewritten in place");
	got = get_file(path, &len);
	ck_assert_uint_eq(len, b2.len);
	ck_assert_int_eq(memcmp(got, b2.data, len), 0);
	free(got);
	{
		char *oldbuf = malloc(b1.len + 1);
		ck_assert_ptr_nonnull(oldbuf);
		ck_assert_int_eq(pread(old, oldbuf, b1.len + 1, 0),
		                 (ssize_t)b1.len);
		ck_assert_int_eq(memcmp(oldbuf, b1.data, b1.len), 0);
		free(oldbuf);
	}
	close(old);

	/* What is written reads back. */
	ck_assert_int_eq(state_read(path, &st, &cause), 0);
	ck_assert_str_eq(st.out_path, "/second output");
	ck_assert_uint_eq(st.nfiles, 7);
	state_clear(&st);

	/* A stale temporary file from a crash is no obstacle. */
	put_file(tmp, "junk", 4);
	ck_assert_int_eq(state_write(path, b1.data, b1.len, &cause), 0);
	ck_assert_msg(!exists(tmp), "%s is left behind", tmp);
	got = get_file(path, &len);
	ck_assert_uint_eq(len, b1.len);
	ck_assert_int_eq(memcmp(got, b1.data, len), 0);
	free(got);

	buf_free(&b1);
	buf_free(&b2);
	free(path);
	free(tmp);
}
END_TEST

/* Asserts a failed state_write: -1, errno, a message naming the path and
 * the error, and nothing left behind. */
static void
ck_write_fails(const char *path, int want_errno, const char *tmp)
{
	char *cause = NULL;
	int r;

	errno = 0;
	r = state_write(path, "data\n", 5, &cause);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, want_errno);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, path) != NULL,
	              "the message does not name %s: %s", path, cause);
	ck_assert_msg(strstr(cause, strerror(want_errno)) != NULL,
	              "the message does not say \"%s\": %s",
	              strerror(want_errno), cause);
	if (tmp != NULL)
		ck_assert_msg(!exists(tmp), "%s is left behind", tmp);
	free(cause);
}

START_TEST(test_write_fails)
{
	char *sub = in_dir("ro"), *path, *tmp, *file;
	struct stat sb;
	int fd;

	/* Under a regular file: ENOTDIR, whoever we are. */
	file = in_dir("regular");
	put_file(file, "x", 1);
	path = in_dir("regular/state");
	ck_write_fails(path, ENOTDIR, NULL);
	ck_assert_int_eq(stat(file, &sb), 0);
	ck_assert_uint_eq((uint64_t)sb.st_size, 1); /* untouched */
	free(path);
	free(file);

	/* In a directory that does not exist. */
	path = in_dir("nodir/state");
	ck_write_fails(path, ENOENT, NULL);
	free(path);

	/* Over a directory: the rename fails, the temporary file goes. */
	path = in_dir("isdir");
	tmp = in_dir("isdir.tmp");
	ck_assert_int_eq(mkdir(path, 0755), 0);
	{
		char *cause = NULL;
		ck_assert_int_eq(state_write(path, "data\n", 5, &cause), -1);
		ck_assert_ptr_nonnull(cause);
		ck_assert_msg(strstr(cause, path) != NULL, "cause: %s", cause);
		ck_assert_msg(!exists(tmp), "%s is left behind", tmp);
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert(S_ISDIR(sb.st_mode));
		free(cause);
	}
	free(path);
	free(tmp);

	/* In a directory without write permission, when that applies. */
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(chmod(sub, 0555), 0);
	path = in_dir("ro/state");
	tmp = in_dir("ro/state.tmp");
	fd = open(tmp, O_WRONLY | O_CREAT, 0600);
	if (fd != -1) {
		close(fd);
		unlink(tmp);
		fprintf(stderr,
		        "check_state: skipping the read-only directory "
		        "check: permissions do not apply to uid %d\n",
		        (int)geteuid());
	} else {
		ck_write_fails(path, EACCES, tmp);
		ck_assert_msg(!exists(path), "%s was created", path);
	}
	chmod(sub, 0700);
	free(path);
	free(tmp);
	free(sub);
}
END_TEST

static Suite *
state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc;

	tc = tcase_create("text");
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_kinds);
	tcase_add_test(tc, test_seen_at);
	tcase_add_test(tc, test_find_add);
	tcase_add_test(tc, test_forward_lines);
	tcase_add_test(tc, test_bad_magic);
	tcase_add_test(tc, test_truncated_every_prefix);
	tcase_add_test(tc, test_flipped_byte);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_wrong_count);
	tcase_add_test(tc, test_bad_checksum);
	tcase_add_test(tc, test_garbage_after_end);
	tcase_add_test(tc, test_malformed_lines);
	tcase_add_test(tc, test_end_line_strict);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_read_missing);
	tcase_add_test(tc, test_read_good_and_damaged);
	tcase_add_test(tc, test_read_unreadable);
	tcase_add_test(tc, test_write_atomic);
	tcase_add_test(tc, test_write_fails);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tmcheck_run(state_suite());
}
