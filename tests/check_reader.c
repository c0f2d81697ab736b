/* check_reader.c -- unit tests for reader.c: cutting lines out of chunks,
 * and reading a real file in jobs. */
#include "autoconf.h"

#include "reader.h"

#include "format.h"

#include "tmcheck.h"
#include "tmgzip.h"
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The lines reader_split() gave, each with its length. */
struct pieces {
	char **data;
	size_t *len;
	size_t n;
	size_t cap;
};

/* reader_split()'s callback: keeps a copy of each line. */
static void
pieces_add(void *arg, const char *line, size_t len)
{
	struct pieces *p = arg;

	if (p->n == p->cap) {
		p->cap = p->cap == 0 ? 64 : p->cap * 2;
		p->data = realloc(p->data, p->cap * sizeof *p->data);
		p->len = realloc(p->len, p->cap * sizeof *p->len);
		if (p->data == NULL || p->len == NULL)
			ck_abort_msg("out of memory");
	}
	/* Plain tests, not ck_assert: each of those costs a write to the
	 * runner, and this runs for every line. */
	p->data[p->n] = malloc(len + 1);
	if (p->data[p->n] == NULL)
		ck_abort_msg("out of memory");
	if (len > 0)
		memcpy(p->data[p->n], line, len);
	p->data[p->n][len] = '\0';
	p->len[p->n++] = len;
}

/* Frees every piece. */
static void
pieces_free(struct pieces *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->data[i]);
	free(p->data);
	free(p->len);
	memset(p, 0, sizeof *p);
}

/* Asserts piece i is exactly s[0..len). */
static void
ck_piece(const struct pieces *p, size_t i, const char *s, size_t len)
{
	if (i >= p->n)
		ck_abort_msg("piece %zu missing (only %zu)", i, p->n);
	if (p->len[i] != len)
		ck_abort_msg("piece %zu: length %zu, want %zu", i, p->len[i],
		             len);
	if (len > 0 && memcmp(p->data[i], s, len) != 0)
		ck_abort_msg("piece %zu: other bytes than expected", i);
}

/* Splits a string literal; returns the bytes consumed. */
static size_t
split(const char *s, size_t len, size_t max_line, int final, struct pieces *p,
      struct reader_stats *st)
{
	return reader_split(s, len, max_line, final, pieces_add, p, st);
}

#define S(lit) lit, sizeof(lit) - 1

START_TEST(test_split_empty)
{
	struct pieces p = {0};
	struct reader_stats st = {0};

	ck_assert_uint_eq(split("", 0, 16, 0, &p, &st), 0);
	ck_assert_uint_eq(split("", 0, 16, 1, &p, &st), 0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_uint_eq(st.lines + st.splits + st.newline_added, 0);
}
END_TEST

START_TEST(test_split_lines)
{
	struct pieces p = {0};
	struct reader_stats st = {0};

	ck_assert_uint_eq(split(S("\n\none\n\ntwo\r\n\r\n"), 16, 0, &p, &st),
	                  14);
	ck_assert_uint_eq(p.n, 6);
	ck_piece(&p, 0, S(""));
	ck_piece(&p, 1, S(""));
	ck_piece(&p, 2, S("one"));
	ck_piece(&p, 3, S(""));
	ck_piece(&p, 4, S("two\r"));
	ck_piece(&p, 5, S("\r"));
	ck_assert_uint_eq(st.lines, 6);
	ck_assert_uint_eq(st.splits, 0);
	ck_assert_uint_eq(st.newline_added, 0);
	pieces_free(&p);
}
END_TEST

START_TEST(test_split_nul)
{
	struct pieces p = {0};
	struct reader_stats st = {0};

	ck_assert_uint_eq(split(S("a\0b\n\0\n\0\0\0x\n"), 16, 0, &p, &st), 11);
	ck_assert_uint_eq(p.n, 3);
	ck_piece(&p, 0, S("a\0b"));
	ck_piece(&p, 1, S("\0"));
	ck_piece(&p, 2, S("\0\0\0x"));
	pieces_free(&p);
}
END_TEST

START_TEST(test_split_partial)
{
	struct pieces p = {0};
	struct reader_stats st = {0};

	/* Not final: the partial line waits. */
	ck_assert_uint_eq(split(S("abc\ndef"), 16, 0, &p, &st), 4);
	ck_assert_uint_eq(p.n, 1);
	ck_piece(&p, 0, S("abc"));
	ck_assert_uint_eq(st.lines, 1);
	ck_assert_uint_eq(st.newline_added, 0);
	pieces_free(&p);

	/* Final: it comes out and is counted. */
	memset(&st, 0, sizeof st);
	ck_assert_uint_eq(split(S("abc\ndef"), 16, 1, &p, &st), 7);
	ck_assert_uint_eq(p.n, 2);
	ck_piece(&p, 0, S("abc"));
	ck_piece(&p, 1, S("def"));
	ck_assert_uint_eq(st.lines, 2);
	ck_assert_uint_eq(st.newline_added, 1);
	pieces_free(&p);

	/* Final with nothing partial adds nothing. */
	memset(&st, 0, sizeof st);
	ck_assert_uint_eq(split(S("abc\n"), 16, 1, &p, &st), 4);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_uint_eq(st.newline_added, 0);
	pieces_free(&p);

	/* A partial line exactly max_line long may still be whole: wait. */
	memset(&st, 0, sizeof st);
	ck_assert_uint_eq(split(S("x\n12345678"), 8, 0, &p, &st), 2);
	ck_assert_uint_eq(p.n, 1);
	pieces_free(&p);

	/* Stats add up across calls rather than restart. */
	st.lines = 10;
	st.newline_added = 5;
	ck_assert_uint_eq(split(S("a\nb"), 8, 1, &p, &st), 3);
	ck_assert_uint_eq(st.lines, 12);
	ck_assert_uint_eq(st.newline_added, 6);
	pieces_free(&p);
}
END_TEST

START_TEST(test_split_max_line)
{
	struct pieces p = {0};
	struct reader_stats st = {0};

	/* Exactly max_line: whole. */
	ck_assert_uint_eq(split(S("12345678\nab\n"), 8, 0, &p, &st), 12);
	ck_assert_uint_eq(p.n, 2);
	ck_piece(&p, 0, S("12345678"));
	ck_piece(&p, 1, S("ab"));
	ck_assert_uint_eq(st.splits, 0);
	ck_assert_uint_eq(st.lines, 2);
	pieces_free(&p);

	/* max_line + 1: a max_line piece and a one-byte piece. */
	memset(&st, 0, sizeof st);
	ck_assert_uint_eq(split(S("123456789\n"), 8, 0, &p, &st), 10);
	ck_assert_uint_eq(p.n, 2);
	ck_piece(&p, 0, S("12345678"));
	ck_piece(&p, 1, S("9"));
	ck_assert_uint_eq(st.splits, 1);
	ck_assert_uint_eq(st.lines, 2);
	pieces_free(&p);

	/* Twice max_line: two whole pieces, no empty third one. */
	memset(&st, 0, sizeof st);
	ck_assert_uint_eq(split(S("abcdefghABCDEFGH\n"), 8, 0, &p, &st), 17);
	ck_assert_uint_eq(p.n, 2);
	ck_piece(&p, 0, S("abcdefgh"));
	ck_piece(&p, 1, S("ABCDEFGH"));
	ck_assert_uint_eq(st.splits, 1);
	pieces_free(&p);

	/* Over max_line with no newline yet: the known pieces come out, the
	 * rest waits. */
	memset(&st, 0, sizeof st);
	ck_assert_uint_eq(split(S("123456789"), 8, 0, &p, &st), 8);
	ck_assert_uint_eq(p.n, 1);
	ck_piece(&p, 0, S("12345678"));
	ck_assert_uint_eq(st.splits, 1);
	pieces_free(&p);

	/* max_line of 1. */
	memset(&st, 0, sizeof st);
	ck_assert_uint_eq(split(S("abc\n\nd"), 1, 1, &p, &st), 6);
	ck_assert_uint_eq(p.n, 5);
	ck_piece(&p, 0, S("a"));
	ck_piece(&p, 1, S("b"));
	ck_piece(&p, 2, S("c"));
	ck_piece(&p, 3, S(""));
	ck_piece(&p, 4, S("d"));
	ck_assert_uint_eq(st.splits, 2);
	ck_assert_uint_eq(st.newline_added, 1);
	pieces_free(&p);
}
END_TEST

START_TEST(test_split_huge)
{
	size_t max = 1000, n = 10 * max + 123;
	char *data = malloc(n + 1);
	struct pieces p = {0};
	struct reader_stats st = {0};

	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + i % 23);
	data[n] = '\n';
	ck_assert_uint_eq(split(data, n + 1, max, 0, &p, &st), n + 1);
	ck_assert_uint_eq(p.n, 11);
	for (size_t i = 0; i < 10; i++)
		ck_piece(&p, i, data + i * max, max);
	ck_piece(&p, 10, data + 10 * max, 123);
	ck_assert_uint_eq(st.splits, 10);
	ck_assert_uint_eq(st.lines, 11);
	pieces_free(&p);
	free(data);
}
END_TEST

/* Appends to `want' the pieces max_line cuts one line into. */
static void
expect_line(struct pieces *want, const char *line, size_t len, size_t max)
{
	while (len > max) {
		pieces_add(want, line, max);
		line += max;
		len -= max;
	}
	pieces_add(want, line, len);
}

/* Random lines, fed in random prefixes with the unconsumed tail carried
 * over, come out as the same pieces as when split whole. */
START_TEST(test_split_chunk_boundaries)
{
	static const size_t maxes[] = {1, 2, 3, 7, 16, 100};
	unsigned seed = 4242u + (unsigned)_i;
	size_t max = maxes[_i % 6];
	size_t cap = 200000, len = 0, nlines = 0;
	char *data = malloc(cap), *pend = malloc(cap);
	struct pieces want = {0}, got = {0};
	struct reader_stats st = {0}, want_st = {0};
	int last_partial = rand_r(&seed) & 1;

	ck_assert(data != NULL && pend != NULL);
	while (len < cap - 4 * max - 10) {
		int r = rand_r(&seed);
		size_t l = r % 10 == 0  ? (size_t)rand_r(&seed) % (4 * max + 1)
		           : r % 3 == 0 ? max + (size_t)(r >> 8) % 3 - 1
		                        : (size_t)(r >> 8) % (max + 1);
		const char *line = data + len;

		for (size_t i = 0; i < l; i++) {
			char c = (char)(rand_r(&seed) & 0xff);
			data[len++] = c == '\n' ? '\r' : c;
		}
		expect_line(&want, line, l, max);
		want_st.lines += (l + max - 1) / max + (l == 0);
		want_st.splits += l > max ? (l - 1) / max : 0;
		data[len++] = '\n';
		nlines++;
	}
	if (last_partial) {
		len--; /* the last line loses its newline */
		want_st.newline_added = 1;
		if (want.len[want.n - 1] == 0) {
			/* An empty partial line is nothing at all. */
			free(want.data[--want.n]);
			want_st.lines--;
			want_st.newline_added = 0;
		}
	}

	/* Feed it in random slices. */
	size_t fed = 0, plen = 0, used;
	while (fed < len) {
		size_t take = 1 + (size_t)rand_r(&seed) % (3 * max + 50);
		if (take > len - fed)
			take = len - fed;
		memcpy(pend + plen, data + fed, take);
		plen += take;
		fed += take;
		used = reader_split(pend, plen, max, 0, pieces_add, &got, &st);
		/* What is left can only be a partial line, at most max. */
		if (used > plen || plen - used > max ||
		    memchr(pend + used, '\n', plen - used) != NULL)
			ck_abort_msg("consumed %zu of %zu, max_line %zu", used,
			             plen, max);
		memmove(pend, pend + used, plen - used);
		plen -= used;
	}
	used = reader_split(pend, plen, max, 1, pieces_add, &got, &st);
	ck_assert_uint_eq(used, plen);

	ck_assert_uint_eq(got.n, want.n);
	for (size_t i = 0; i < want.n; i++)
		ck_piece(&got, i, want.data[i], want.len[i]);
	ck_assert_uint_eq(st.lines, want_st.lines);
	ck_assert_uint_eq(st.splits, want_st.splits);
	ck_assert_uint_eq(st.newline_added, want_st.newline_added);
	ck_assert_uint_gt(nlines, 10);
	pieces_free(&want);
	pieces_free(&got);
	free(data);
	free(pend);
}
END_TEST

/* A temporary file for reader_run(), removed by the teardown. */
static char tmp_path[64];

/* Creates an empty temporary file. */
static void
file_setup(void)
{
	int fd;

	strcpy(tmp_path, "/tmp/check_reader.XXXXXX");
	fd = mkstemp(tmp_path);
	ck_assert_int_ne(fd, -1);
	close(fd);
}

/* Removes the temporary file. */
static void
file_teardown(void)
{
	unlink(tmp_path);
}

/* Writes data into the temporary file and opens it for reading. */
static int
file_with(const char *data, size_t len)
{
	int fd = open(tmp_path, O_WRONLY | O_TRUNC);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	fd = open(tmp_path, O_RDONLY);
	ck_assert_int_ne(fd, -1);
	return fd;
}

/* A request with the defaults the daemon would use. */
static struct reader_req
req_for(int fd, uint64_t offset, enum format f)
{
	struct reader_req req;

	memset(&req, 0, sizeof req);
	req.fd = fd;
	req.offset = offset;
	req.chunk = READER_CHUNK;
	req.max_line = 1 << 20;
	req.format = f;
	req.tag = "t";
	req.path = tmp_path;
	return req;
}

/* Asserts a buffer holds exactly s[0..len). */
static void
ck_buf_eq(const struct buf *b, const char *s, size_t len)
{
	ck_assert_msg(b->len == len, "output length %zu, want %zu", b->len,
	              len);
	if (len > 0)
		ck_assert_mem_eq(b->data, s, len);
}

START_TEST(test_run_small)
{
	static const char text[] = "one\ntwo\r\n\nthree\npartial";
	int fd = file_with(text, sizeof text - 1);
	struct reader_req req = req_for(fd, 0, FORMAT_RAW);
	struct reader_result res;

	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_buf_eq(&res.out, S("one\ntwo\r\n\nthree\n"));
	ck_assert_uint_eq(res.next_offset, 16);
	ck_assert_int_ne(res.eof, 0);
	ck_assert_int_eq(res.st.st_size, (off_t)(sizeof text - 1));
	ck_assert_uint_eq(res.stats.newline_added, 0);
	buf_free(&res.out);

	/* From a later line start. */
	req.offset = 4;
	reader_run(&req, &res);
	ck_buf_eq(&res.out, S("two\r\n\nthree\n"));
	ck_assert_uint_eq(res.next_offset, 16);
	buf_free(&res.out);

	/* Only the partial line left: nothing, unless final. */
	req.offset = 16;
	reader_run(&req, &res);
	ck_assert_uint_eq(res.out.len, 0);
	ck_assert_uint_eq(res.next_offset, 16);
	ck_assert_int_ne(res.eof, 0);
	buf_free(&res.out);

	req.final = 1;
	reader_run(&req, &res);
	ck_buf_eq(&res.out, S("partial\n"));
	ck_assert_uint_eq(res.next_offset, sizeof text - 1);
	ck_assert_uint_eq(res.stats.newline_added, 1);
	ck_assert_uint_eq(res.stats.lines, 1);
	buf_free(&res.out);

	/* Final from the start: everything, with the added newline. */
	req.offset = 0;
	reader_run(&req, &res);
	ck_buf_eq(&res.out, S("one\ntwo\r\n\nthree\npartial\n"));
	ck_assert_uint_eq(res.next_offset, sizeof text - 1);
	ck_assert_uint_eq(res.stats.newline_added, 1);
	ck_assert_uint_eq(res.stats.lines, 5);
	buf_free(&res.out);

	/* At the end: nothing, eof. */
	req.offset = sizeof text - 1;
	reader_run(&req, &res);
	ck_assert_uint_eq(res.out.len, 0);
	ck_assert_uint_eq(res.next_offset, sizeof text - 1);
	ck_assert_int_ne(res.eof, 0);
	buf_free(&res.out);
	close(fd);
}
END_TEST

/* `final' only counts once the read reaches the end of the file. */
START_TEST(test_run_final_not_eof)
{
	static const char text[] = "abc\ndefghijkl\nmn";
	int fd = file_with(text, sizeof text - 1);
	struct reader_req req = req_for(fd, 0, _i ? FORMAT_TAGGED : FORMAT_RAW);
	struct reader_result res;
	size_t pre = _i ? FORMAT_TIME_LEN + 3 : 0;

	/* Eight bytes: "abc\ndefg", and "defg" is no line yet. */
	req.chunk = 8;
	req.final = 1;
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_assert_int_eq(res.eof, 0);
	ck_assert_uint_eq(res.next_offset, 4);
	ck_assert_uint_eq(res.stats.newline_added, 0);
	ck_assert_uint_eq(res.out.len, pre + 4);
	ck_assert_mem_eq(res.out.data + pre, "abc\n", 4);
	buf_free(&res.out);

	/* The rest reaches the end: the last line comes with a newline. */
	req.offset = 4;
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_assert_int_ne(res.eof, 0);
	ck_assert_uint_eq(res.next_offset, sizeof text - 1);
	ck_assert_uint_eq(res.stats.newline_added, 1);
	ck_assert_uint_eq(res.out.len, 2 * pre + 13);
	ck_assert_mem_eq(res.out.data + pre, "defghijkl\n", 10);
	ck_assert_mem_eq(res.out.data + 2 * pre + 10, "mn\n", 3);
	buf_free(&res.out);
	close(fd);
}
END_TEST

START_TEST(test_run_empty)
{
	int fd = file_with("", 0);
	struct reader_req req = req_for(fd, 0, FORMAT_RAW);
	struct reader_result res;

	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_assert_uint_eq(res.out.len, 0);
	ck_assert_uint_eq(res.next_offset, 0);
	ck_assert_int_ne(res.eof, 0);
	buf_free(&res.out);

	req.final = 1;
	req.format = FORMAT_JSON;
	reader_run(&req, &res);
	ck_assert_uint_eq(res.out.len, 0);
	ck_assert_uint_eq(res.stats.lines, 0);
	buf_free(&res.out);
	close(fd);
}
END_TEST

START_TEST(test_run_tagged)
{
	static const char text[] = "one\n\nthree\npart";
	int fd = file_with(text, sizeof text - 1);
	struct reader_req req = req_for(fd, 0, FORMAT_TAGGED);
	struct reader_result res;
	const char *p, *nl;
	const char *want[] = {"one", "", "three"};

	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_assert_uint_eq(res.next_offset, 11);
	ck_assert_uint_eq(res.stats.lines, 3);
	/* Each line: a time, the tag, the line. */
	p = res.out.data;
	for (size_t i = 0; i < 3; i++) {
		nl = memchr(p, '\n', res.out.len - (size_t)(p - res.out.data));
		ck_assert_ptr_nonnull(nl);
		ck_assert_uint_eq((size_t)(nl - p),
		                  FORMAT_TIME_LEN + 3 + strlen(want[i]));
		ck_assert_int_eq(p[FORMAT_TIME_LEN - 1], 'Z');
		ck_assert_mem_eq(p + FORMAT_TIME_LEN, " t ", 3);
		ck_assert_mem_eq(p + FORMAT_TIME_LEN + 3, want[i],
		                 strlen(want[i]));
		p = nl + 1;
	}
	ck_assert_ptr_eq(p, res.out.data + res.out.len);
	buf_free(&res.out);
	close(fd);
}
END_TEST

/* Reads the whole file in jobs as the daemon would, from offset 0 until a
 * job brings nothing new at the end of the file; returns the runs taken. */
static int
run_all(struct reader_req req, struct buf *all, struct reader_stats *st)
{
	struct reader_result res;
	int runs = 0;

	req.offset = 0;
	for (;;) {
		reader_run(&req, &res);
		runs++;
		ck_assert_int_eq(res.err, 0);
		ck_assert_uint_ge(res.next_offset, req.offset);
		if (res.out.len > 0)
			buf_add(all, res.out.data, res.out.len);
		st->lines += res.stats.lines;
		st->splits += res.stats.splits;
		st->newline_added += res.stats.newline_added;
		buf_free(&res.out);
		if (res.eof && res.next_offset == req.offset)
			break;
		ck_assert_int_lt(runs, 10000);
		req.offset = res.next_offset;
	}
	return runs;
}

START_TEST(test_run_large_file)
{
	size_t n = 3 * READER_CHUNK + 777, len = 0;
	char *data = malloc(n);
	unsigned seed = 99;
	struct buf all = {0};
	struct reader_stats st = {0};
	int fd, runs;

	ck_assert_ptr_nonnull(data);
	while (len < n) {
		size_t l = (size_t)rand_r(&seed) % 300;
		for (size_t i = 0; i < l && len < n - 1; i++)
			data[len++] = (char)('!' + rand_r(&seed) % 90);
		data[len++] = '\n';
	}
	fd = file_with(data, n);
	runs = run_all(req_for(fd, 0, FORMAT_RAW), &all, &st);
	ck_assert_int_ge(runs, 4);
	ck_buf_eq(&all, data, n);
	buf_free(&all);

	/* Through the split path too: the same with a small max_line that
	 * no line reaches, and tiny chunks. */
	struct reader_req req = req_for(fd, 0, FORMAT_RAW);
	req.chunk = 1000;
	req.max_line = 300;
	memset(&st, 0, sizeof st);
	runs = run_all(req, &all, &st);
	ck_assert_int_ge(runs, (int)(n / 1000));
	ck_buf_eq(&all, data, n);
	ck_assert_uint_eq(st.splits, 0);
	buf_free(&all);
	close(fd);
	free(data);
}
END_TEST

/* A file of exactly READER_CHUNK bytes, and one byte more. */
START_TEST(test_run_chunk_edge)
{
	size_t n = READER_CHUNK + (size_t)_i;
	char *data = malloc(n);
	struct buf all = {0};
	struct reader_stats st = {0};
	int fd;

	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < n; i++)
		data[i] = i % 64 == 63 ? '\n' : 'x';
	data[n - 1] = '\n';
	fd = file_with(data, n);
	run_all(req_for(fd, 0, FORMAT_RAW), &all, &st);
	ck_buf_eq(&all, data, n);
	buf_free(&all);
	close(fd);
	free(data);
}
END_TEST

START_TEST(test_run_long_line)
{
	size_t l = 2 * READER_CHUNK + 12345, n = 6 + l + 1 + 5;
	char *data = malloc(n);
	struct reader_req req;
	struct reader_result res;
	int fd;

	ck_assert_ptr_nonnull(data);
	memcpy(data, "short\n", 6);
	for (size_t i = 0; i < l; i++)
		data[6 + i] = (char)('a' + i % 26);
	data[6 + l] = '\n';
	memcpy(data + 6 + l + 1, "tail\n", 5);
	fd = file_with(data, n);
	req = req_for(fd, 0, FORMAT_RAW);

	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_buf_eq(&res.out, S("short\n"));
	ck_assert_uint_eq(res.next_offset, 6);
	buf_free(&res.out);

	/* The long line, whole, in one result. */
	req.offset = 6;
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_assert_uint_ge(res.out.len, l + 1);
	ck_assert_mem_eq(res.out.data, data + 6, l + 1);
	ck_assert_uint_eq(res.stats.splits, 0);
	ck_assert_uint_eq(res.next_offset, 6 + res.out.len);
	buf_free(&res.out);

	/* The same as json: one record holding the whole line. */
	req.format = FORMAT_JSON;
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_assert_uint_eq(res.stats.splits, 0);
	ck_assert_uint_ge(res.stats.lines, 1);
	ck_assert_ptr_nonnull(memmem(res.out.data, res.out.len, data + 6, l));
	ck_assert_int_eq(res.out.data[res.out.len - 1], '\n');
	{
		const char *first_nl = memchr(res.out.data, '\n', res.out.len);
		ck_assert_ptr_nonnull(first_nl);
		ck_assert_uint_gt((size_t)(first_nl - res.out.data), l);
	}
	buf_free(&res.out);
	close(fd);
	free(data);
}
END_TEST

START_TEST(test_run_pieces)
{
	/* max_line 20: a 70-byte line comes back as 20, 20, 20 and 10. */
	char data[70 + 1 + 3 + 20 + 1];
	size_t n = sizeof data;
	struct reader_req req;
	struct reader_result res;
	struct buf all = {0}, want = {0};
	struct reader_stats st = {0};
	int fd;

	for (size_t i = 0; i < 70; i++)
		data[i] = (char)('A' + i % 26);
	data[70] = '\n';
	memcpy(data + 71, "ok\n", 3);
	memset(data + 74, 'z', 20);
	data[94] = '\n';
	for (size_t i = 0; i < 70; i += 20) {
		buf_add(&want, data + i, i + 20 > 70 ? 70 - i : 20);
		buf_add_byte(&want, '\n');
	}
	buf_add(&want, "ok\n", 3);
	buf_add(&want, data + 74, 21);

	fd = file_with(data, n);
	req = req_for(fd, 0, FORMAT_RAW);
	req.max_line = 20;
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_buf_eq(&res.out, want.data, want.len);
	ck_assert_uint_eq(res.next_offset, n);
	ck_assert_uint_eq(res.stats.splits, 3);
	ck_assert_uint_eq(res.stats.lines, 6);
	buf_free(&res.out);

	/* Chunks smaller than max_line give the same pieces over runs. */
	req.chunk = 7;
	run_all(req, &all, &st);
	ck_buf_eq(&all, want.data, want.len);
	ck_assert_uint_eq(st.splits, 3);
	buf_free(&all);
	buf_free(&want);
	close(fd);
}
END_TEST

START_TEST(test_run_bad_fd)
{
	int fds[2];
	struct reader_req req;
	struct reader_result res;

	req = req_for(-1, 0, FORMAT_RAW);
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, EBADF);
	ck_assert_uint_eq(res.out.len, 0);
	ck_assert_uint_eq(res.next_offset, 0);
	buf_free(&res.out);

	/* A closed descriptor, at an offset. */
	ck_assert_int_eq(pipe(fds), 0);
	close(fds[0]);
	close(fds[1]);
	req = req_for(fds[0], 123, FORMAT_JSON);
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, EBADF);
	ck_assert_uint_eq(res.out.len, 0);
	ck_assert_uint_eq(res.next_offset, 123);
	buf_free(&res.out);

	/* A descriptor that cannot pread. */
	ck_assert_int_eq(pipe(fds), 0);
	req = req_for(fds[0], 0, FORMAT_RAW);
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, ESPIPE);
	ck_assert_uint_eq(res.out.len, 0);
	buf_free(&res.out);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* The gzip twin of the temporary file, removed by the teardown. */
static char gz_path[80];

/* Creates the temporary file and names its twin. */
static void
gz_setup(void)
{
	file_setup();
	snprintf(gz_path, sizeof gz_path, "%s.gz", tmp_path);
}

/* Removes both. */
static void
gz_teardown(void)
{
	file_teardown();
	unlink(gz_path);
}

/* Writes data to the gzip twin and opens it for reading. */
static int
gz_with(const void *data, size_t len)
{
	int fd;

	tmgzip_put(gz_path, data, len, 0);
	fd = open(gz_path, O_RDONLY);
	ck_assert_int_ne(fd, -1);
	return fd;
}

/* Appends to b the output of a read with the time of each tagged line
 * left out: two reads of the same lines differ only there. */
static void
out_timeless(struct buf *b, const struct buf *out, enum format f)
{
	const char *p = out->data, *end = out->data + out->len, *nl;

	if (f != FORMAT_TAGGED) {
		buf_add(b, out->data, out->len);
		return;
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		ck_assert_ptr_nonnull(nl);
		ck_assert_uint_ge((size_t)(nl - p), FORMAT_TIME_LEN);
		buf_add(b, p + FORMAT_TIME_LEN,
		        (size_t)(nl + 1 - p) - FORMAT_TIME_LEN);
		p = nl + 1;
	}
}

/* Asserts two reads of the same lines gave the same result. */
static void
ck_same_result(const struct reader_result *a, const struct reader_result *b,
               enum format f, size_t job)
{
	struct buf x = {0}, y = {0};

	ck_assert_msg(a->err == b->err && a->eof == b->eof &&
	                  a->next_offset == b->next_offset,
	              "job %zu: err %d/%d eof %d/%d next_offset %ju/%ju", job,
	              a->err, b->err, a->eof, b->eof, (uintmax_t)a->next_offset,
	              (uintmax_t)b->next_offset);
	ck_assert_msg(a->stats.lines == b->stats.lines &&
	                  a->stats.splits == b->stats.splits &&
	                  a->stats.newline_added == b->stats.newline_added,
	              "job %zu: other stats", job);
	ck_assert_msg(a->fp_len == b->fp_len && a->fp_hash == b->fp_hash &&
	                  a->fp_changed == b->fp_changed,
	              "job %zu: fingerprint %u/%u changed %d/%d", job,
	              a->fp_len, b->fp_len, a->fp_changed, b->fp_changed);
	out_timeless(&x, &a->out, f);
	out_timeless(&y, &b->out, f);
	ck_assert_msg(x.len == y.len &&
	                  (x.len == 0 || memcmp(x.data, y.data, x.len) == 0),
	              "job %zu: output of %zu and %zu bytes differs", job,
	              x.len, y.len);
	buf_free(&x);
	buf_free(&y);
}

/* A gzipped file read in jobs gives what the same file read plain gives,
 * job by job: the same lines, max_line pieces, offsets, ends, stats and
 * fingerprints.  Over line lengths from short to past max_line, a last
 * line with and without its newline, raw and tagged, one member and many,
 * jobs of random sizes, some `final'. */
START_TEST(test_gz_as_plain)
{
	enum tmgzip_lines kind = (enum tmgzip_lines)(_i % TMGZIP_NLINES);
	enum format f = (_i / TMGZIP_NLINES) % 2 ? FORMAT_TAGGED : FORMAT_RAW;
	int members = _i / (2 * TMGZIP_NLINES) % 2, last_nl = _i % 3 != 0;
	unsigned seed = 1000u + (unsigned)_i;
	struct buf text = {0}, gz = {0}, all = {0};
	struct reader_req req, zreq;
	struct reader_result res, zres;
	struct gunzip_stats st;
	size_t max = 300, at = 0, cut, job;
	int fd, zfd;

	tmgzip_text(&text, 200000, kind, max, &seed);
	if (!last_nl)
		text.len--;
	while (at < text.len || gz.len == 0) {
		cut = members ? (size_t)rand_r(&seed) % 30000 : text.len;
		if (cut > text.len - at)
			cut = text.len - at;
		tmgzip_member(&gz, text.data + at, cut, 6, NULL);
		at += cut;
	}
	fd = file_with(text.data, text.len);
	zfd = gz_with(gz.data, gz.len);
	req = req_for(fd, 0, f);
	req.max_line = max;
	zreq = req;
	zreq.fd = zfd;
	zreq.gz = gunzip_create();
	for (job = 0;; job++) {
		ck_assert_uint_lt(job, 100000);
		switch (rand_r(&seed) % 4) {
		case 0:
			req.chunk = 1 + (size_t)rand_r(&seed) % 50;
			break;
		case 1:
			req.chunk = 1 + (size_t)rand_r(&seed) % (2 * max);
			break;
		case 2:
			req.chunk = 1 + (size_t)rand_r(&seed) % 20000;
			break;
		default:
			req.chunk = READER_CHUNK;
		}
		req.final = rand_r(&seed) % 3 == 0;
		zreq.chunk = req.chunk;
		zreq.final = req.final;
		reader_run(&req, &res);
		reader_run(&zreq, &zres);
		ck_assert_int_eq(res.err, 0);
		ck_assert_int_eq(zres.partial, 0);
		ck_same_result(&res, &zres, f, job);
		out_timeless(&all, &res.out, f);
		if (res.fp_len > req.fp_len) {
			req.fp_len = zreq.fp_len = res.fp_len;
			req.fp_hash = zreq.fp_hash = res.fp_hash;
		}
		buf_free(&res.out);
		buf_free(&zres.out);
		if (res.eof && res.next_offset == req.offset &&
		    (req.final || last_nl))
			break;
		req.offset = zreq.offset = res.next_offset;
	}
	ck_assert_uint_eq(req.offset, text.len);
	ck_assert_uint_eq(req.fp_len, STATE_FP_MAX);
	ck_assert_uint_eq(req.fp_hash, state_hash(text.data, STATE_FP_MAX));
	/* The plain read gave every byte (the rendering is checked against
	 * it above), and the gzip one never went back to its start. */
	if (f == FORMAT_RAW && kind != TMGZIP_LONG && kind != TMGZIP_MIXED) {
		ck_assert_uint_eq(all.len, text.len + !last_nl);
		ck_assert_mem_eq(all.data, text.data, text.len);
	}
	gunzip_stats(zreq.gz, &st);
	ck_assert_uint_eq(st.restarts, 0);
	ck_assert_uint_eq(st.skipped, 0);
	ck_assert_uint_eq(st.out_bytes, text.len);
	gunzip_free(zreq.gz);
	buf_free(&text);
	buf_free(&gz);
	buf_free(&all);
	close(fd);
	close(zfd);
}
END_TEST

/* A read on the loop thread (nowait): the lines the file holds past the
 * offset, in one read, ending at the end of the file wherever it is; a
 * worker's read where the file holds more than nowait bytes past the
 * offset, or fewer than the offset. */
START_TEST(test_run_nowait)
{
	static char scratch[8192], text[3 * 4096];
	struct reader_req req;
	struct reader_result res;
	int fd;

	for (size_t i = 0; i < sizeof text; i++)
		text[i] = i % 64 == 63 ? '\n' : 'x';
	/* Ends off a page boundary, on one, and at the offset. */
	for (size_t size = 4000; size <= 4096; size += 96) {
		fd = file_with(text, size);
		req = req_for(fd, 640, FORMAT_RAW);
		req.nowait = sizeof scratch;
		req.scratch = scratch;
		reader_run(&req, &res);
		ck_assert_int_eq(res.err, 0);
		ck_assert_int_ne(res.eof, 0);
		ck_assert_int_eq(res.st.st_size, (off_t)size);
		ck_buf_eq(&res.out, text + 640, size / 64 * 64 - 640);
		ck_assert_uint_eq(res.next_offset, size / 64 * 64);
		buf_free(&res.out);
		req.offset = size;
		reader_run(&req, &res);
		ck_assert_int_eq(res.err, 0);
		ck_assert_int_ne(res.eof, 0);
		ck_assert_uint_eq(res.out.len, 0);
		ck_assert_uint_eq(res.next_offset, size);
		buf_free(&res.out);
		/* Shorter than the offset: truncated. */
		req.offset = size + 64;
		reader_run(&req, &res);
		ck_assert_int_eq(res.err, EAGAIN);
		buf_free(&res.out);
		close(fd);
	}
	/* More than nowait bytes past the offset. */
	fd = file_with(text, sizeof text);
	req = req_for(fd, 64, FORMAT_RAW);
	req.nowait = sizeof scratch;
	req.scratch = scratch;
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, EAGAIN);
	ck_assert_uint_eq(res.out.len, 0);
	buf_free(&res.out);
	req.offset = sizeof text - sizeof scratch + 64;
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_assert_uint_eq(res.next_offset, sizeof text);
	buf_free(&res.out);
	close(fd);
}
END_TEST

/* A read on the loop thread (nowait) that meets a page not in the page
 * cache reads nothing, for a worker to read it all: it is not taken for
 * the end of the file. */
START_TEST(test_run_nowait_uncached)
{
	/* Pages are dropped whole folios at a time: the file's first 2 MiB
	 * may be one, its tail past them is in small ones. */
	enum { PAGE = 4096, BIG = 2 << 20, SIZE = BIG + 8 * PAGE };
	static char scratch[64 * 1024];
	char *text = malloc(SIZE);
	struct reader_req req;
	struct reader_result res;
	unsigned char vec[SIZE / PAGE];
	void *map;
	int fd;

	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < SIZE; i++)
		text[i] = i % 64 == 63 ? '\n' : 'x';
	fd = file_with(text, SIZE);
	free(text);
	ck_assert_int_eq(fdatasync(fd), 0);
	ck_assert_int_eq(
	    posix_fadvise(fd, BIG, SIZE - BIG, POSIX_FADV_DONTNEED), 0);
	map = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(mincore(map, SIZE, vec), 0);
	munmap(map, SIZE);
	if ((vec[BIG / PAGE - 1] & 1) == 0 || (vec[BIG / PAGE] & 1) != 0) {
		/* A file system that keeps its pages (tmpfs), or dropped
		 * the one before too: nothing to tell here. */
		close(fd);
		return;
	}
	req = req_for(fd, BIG - PAGE, FORMAT_RAW);
	req.nowait = sizeof scratch;
	req.scratch = scratch;
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, EAGAIN);
	ck_assert_uint_eq(res.out.len, 0);
	ck_assert_uint_eq(res.next_offset, BIG - PAGE);
	buf_free(&res.out);

	/* A worker's read takes it all. */
	req.nowait = 0;
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_assert_uint_eq(res.out.len, SIZE - (BIG - PAGE));
	ck_assert_int_ne(res.eof, 0);
	buf_free(&res.out);
	close(fd);
}
END_TEST

/* A file's head is told from its quick hash when it has one for the
 * fingerprint asked about, and from FNV-1a when not; a quick hash that
 * does not match is never taken for a truncation by itself. */
START_TEST(test_run_quick_head)
{
	char text[2 * STATE_FP_MAX], other[2 * STATE_FP_MAX];
	struct reader_req req;
	struct reader_result res;
	struct state_quick quick;
	int fd;

	for (size_t i = 0; i < sizeof text; i++) {
		text[i] = i % 50 == 49 ? '\n' : (char)('a' + i % 26);
		other[i] = i % 50 == 49 ? '\n' : (char)('A' + i % 26);
	}
	fd = file_with(text, sizeof text);
	req = req_for(fd, 0, FORMAT_RAW);
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_assert_uint_eq(res.fp_len, STATE_FP_MAX);
	ck_assert_uint_eq(res.quick.fp_len, res.fp_len);
	ck_assert_uint_eq(res.quick.fp_hash, res.fp_hash);
	quick = res.quick;
	buf_free(&res.out);

	/* The head as it was: unchanged, by the quick hash. */
	req.fp_len = res.fp_len;
	req.fp_hash = res.fp_hash;
	req.quick = quick;
	req.offset = 500;
	reader_run(&req, &res);
	ck_assert_int_eq(res.fp_changed, 0);
	ck_assert_uint_eq(res.fp_len, req.fp_len);
	ck_assert_uint_eq(res.fp_hash, req.fp_hash);
	ck_assert_uint_eq(res.quick.hash, quick.hash);
	buf_free(&res.out);

	/* A quick hash that is wrong for the bytes: FNV-1a decides, and the
	 * file is the same. */
	req.quick.hash = quick.hash + 1;
	reader_run(&req, &res);
	ck_assert_int_eq(res.fp_changed, 0);
	ck_assert_uint_eq(res.quick.hash, quick.hash);
	buf_free(&res.out);

	/* Truncated and refilled past the offset with other lines. */
	close(fd);
	fd = file_with(other, sizeof other);
	req.fd = fd;
	req.quick = quick;
	reader_run(&req, &res);
	ck_assert_int_ne(res.fp_changed, 0);
	ck_assert_uint_eq(res.fp_hash, state_hash(other, STATE_FP_MAX));
	ck_assert_uint_ne(res.quick.hash, quick.hash);
	buf_free(&res.out);

	/* A quick hash kept for another fingerprint is not used: here one of
	 * the new head, asked about the old fingerprint. */
	quick = res.quick;
	req.quick = quick;
	reader_run(&req, &res);
	ck_assert_int_ne(res.fp_changed, 0);
	buf_free(&res.out);
	close(fd);
}
END_TEST

/* From a checkpointed offset, with a new decompressor (as at start-up):
 * the lines from there. */
START_TEST(test_gz_from_offset)
{
	static const char text[] = "one\ntwo\nthree\nfour\n";
	struct buf gz = {0};
	struct reader_req req;
	struct reader_result res;
	int fd;

	tmgzip_member(&gz, S(text), 9, NULL);
	fd = gz_with(gz.data, gz.len);
	req = req_for(fd, 8, FORMAT_RAW);
	req.gz = gunzip_create();
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_buf_eq(&res.out, S("three\nfour\n"));
	ck_assert_uint_eq(res.next_offset, sizeof text - 1);
	ck_assert_int_ne(res.eof, 0);
	ck_assert_int_eq(res.partial, 0);
	ck_assert_int_eq(res.fp_changed, 0);
	ck_assert_uint_eq(res.fp_len, sizeof text - 1);
	ck_assert_uint_eq(res.fp_hash, state_hash(S(text)));
	ck_assert_int_eq(res.st.st_size, (off_t)gz.len);
	buf_free(&res.out);
	gunzip_free(req.gz);

	/* Past the end of the stream (a checkpoint of some other file):
	 * nothing, at its end. */
	req.offset = 1000;
	req.gz = gunzip_create();
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, 0);
	ck_assert_uint_eq(res.out.len, 0);
	ck_assert_uint_eq(res.next_offset, 1000);
	ck_assert_int_ne(res.eof, 0);
	buf_free(&res.out);
	gunzip_free(req.gz);
	buf_free(&gz);
	close(fd);
}
END_TEST

/* A gzip still being written: the whole lines so far, eof 0 and no error,
 * `partial' set; nothing new until it grows; then the rest, to eof. */
START_TEST(test_gz_partial)
{
	struct buf text = {0}, gz = {0}, all = {0};
	struct reader_req req;
	struct reader_result res;
	struct gunzip_stats st;
	unsigned seed = 77;
	size_t cut;
	int fd;

	tmgzip_text(&text, 400000, TMGZIP_SHORT, 100, &seed);
	tmgzip_member(&gz, text.data, text.len, 6, NULL);
	cut = _i == 0 ? gz.len / 2 : _i == 1 ? 5 : gz.len - 4;
	fd = gz_with(gz.data, cut);
	req = req_for(fd, 0, FORMAT_RAW);
	req.gz = gunzip_create();
	req.final = 1; /* the last line waits even so: it is not the end */
	for (;;) {
		reader_run(&req, &res);
		ck_assert_int_eq(res.err, 0);
		ck_assert_int_eq(res.eof, 0);
		buf_add(&all, res.out.data, res.out.len);
		buf_free(&res.out);
		if (res.partial && res.next_offset == req.offset)
			break;
		req.offset = res.next_offset;
	}
	ck_assert_uint_le(all.len, text.len);
	if (all.len > 0)
		ck_assert_mem_eq(all.data, text.data, all.len);
	if (_i == 0)
		ck_assert_uint_gt(all.len, text.len / 4);
	if (_i == 1)
		ck_assert_uint_eq(all.len, 0);
	if (_i == 2)
		ck_assert_uint_eq(all.len, text.len);
	ck_assert_uint_eq(req.offset, all.len);

	tmgzip_put(gz_path, gz.data + cut, gz.len - cut, 1);
	for (;;) {
		reader_run(&req, &res);
		ck_assert_int_eq(res.err, 0);
		ck_assert_int_eq(res.partial, 0);
		buf_add(&all, res.out.data, res.out.len);
		buf_free(&res.out);
		if (res.eof && res.next_offset == req.offset)
			break;
		req.offset = res.next_offset;
	}
	ck_buf_eq(&all, text.data, text.len);
	gunzip_stats(req.gz, &st);
	ck_assert_uint_eq(st.restarts, 0);
	gunzip_free(req.gz);
	buf_free(&text);
	buf_free(&gz);
	buf_free(&all);
	close(fd);
}
END_TEST

/* Damaged data: the whole lines before it, then EBADMSG, and
 * gunzip_error() says what and where; never eof. */
START_TEST(test_gz_damaged)
{
	struct buf text = {0}, gz = {0}, all = {0};
	struct reader_req req;
	struct reader_result res;
	unsigned seed = 78;
	int fd, jobs = 0;

	tmgzip_text(&text, 400000, TMGZIP_SHORT, 100, &seed);
	if (_i == 0) {
		tmgzip_member(&gz, text.data, text.len, 6, NULL);
		for (size_t i = gz.len * 3 / 4; i < gz.len * 3 / 4 + 16; i++)
			gz.data[i] = (char)(gz.data[i] ^ 0x33);
	} else
		buf_add(&gz, text.data, text.len); /* not gzip at all */
	fd = gz_with(gz.data, gz.len);
	req = req_for(fd, 0, FORMAT_RAW);
	req.gz = gunzip_create();
	for (;; jobs++) {
		ck_assert_int_lt(jobs, 1000);
		reader_run(&req, &res);
		ck_assert_int_eq(res.eof, 0);
		buf_add(&all, res.out.data, res.out.len);
		buf_free(&res.out);
		if (res.err != 0)
			break;
		req.offset = res.next_offset;
	}
	ck_assert_int_eq(res.err, EBADMSG);
	ck_assert_uint_eq(res.next_offset, req.offset);
	ck_assert_ptr_nonnull(
	    strstr(gunzip_error(req.gz),
	           _i == 0 ? "damaged gzip data found at compressed byte "
	                   : "not gzip data"));
	if (_i == 0) {
		/* Lines from before the damage came out, as they were (as
		 * far as zlib could tell), up to the last line not whole
		 * where it was found, even from the job that found it. */
		const char *at =
		    strstr(gunzip_error(req.gz), "decompressed byte ");
		uintmax_t found;

		ck_assert_ptr_nonnull(at);
		ck_assert_int_eq(sscanf(at, "decompressed byte %ju", &found),
		                 1);
		ck_assert_uint_gt(all.len, text.len / 2);
		ck_assert_uint_le(all.len, found);
		ck_assert_uint_ge(all.len + 81, found);
		ck_assert_mem_eq(all.data, text.data, text.len / 2);
		ck_assert_int_gt(jobs, 1);
	} else
		ck_assert_uint_eq(all.len, 0);
	/* It stays. */
	reader_run(&req, &res);
	ck_assert_int_eq(res.err, EBADMSG);
	ck_assert_uint_eq(res.out.len, 0);
	buf_free(&res.out);
	gunzip_free(req.gz);
	buf_free(&text);
	buf_free(&gz);
	buf_free(&all);
	close(fd);
}
END_TEST

/* The fingerprint of a gzip file is its stream's: equal to the plain
 * file's, unchanged against its own, changed against another's. */
START_TEST(test_gz_fingerprint)
{
	struct buf text = {0}, gz = {0};
	struct reader_req req, zreq;
	struct reader_result res, zres;
	unsigned seed = 79;
	int fd, zfd;

	tmgzip_text(&text, _i ? 500 : 5000, TMGZIP_SHORT, 100, &seed);
	tmgzip_member(&gz, text.data, text.len, 6, NULL);
	fd = file_with(text.data, text.len);
	zfd = gz_with(gz.data, gz.len);
	req = req_for(fd, 100, FORMAT_RAW);
	zreq = req_for(zfd, 100, FORMAT_RAW);
	zreq.gz = gunzip_create();
	reader_run(&req, &res);
	reader_run(&zreq, &zres);
	ck_assert_uint_eq(zres.fp_len, _i ? text.len : STATE_FP_MAX);
	ck_assert_uint_eq(zres.fp_len, res.fp_len);
	ck_assert_uint_eq(zres.fp_hash, res.fp_hash);
	ck_assert_uint_eq(zres.fp_hash, state_hash(text.data, zres.fp_len));
	ck_assert_int_eq(zres.fp_changed, 0);
	buf_free(&res.out);
	buf_free(&zres.out);

	/* Against its own (or a shorter prefix of it): unchanged. */
	zreq.fp_len = (uint32_t)(zres.fp_len / 2);
	zreq.fp_hash = state_hash(text.data, zreq.fp_len);
	reader_run(&zreq, &zres);
	ck_assert_int_eq(zres.fp_changed, 0);
	buf_free(&zres.out);

	/* Another file's: changed. */
	text.data[3] ^= 1;
	zreq.fp_hash = state_hash(text.data, zreq.fp_len);
	reader_run(&zreq, &zres);
	ck_assert_int_ne(zres.fp_changed, 0);
	buf_free(&zres.out);

	/* One longer than its stream: changed. */
	zreq.fp_len = (uint32_t)text.len + 1;
	reader_run(&zreq, &zres);
	ck_assert_int_ne(zres.fp_changed, 0);
	buf_free(&zres.out);
	gunzip_free(zreq.gz);
	buf_free(&text);
	buf_free(&gz);
	close(fd);
	close(zfd);
}
END_TEST

/* The suite: the pure splitter, then reads of real files. */
static Suite *
reader_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *tc;

	tc = tcase_create("split");
	tcase_add_test(tc, test_split_empty);
	tcase_add_test(tc, test_split_lines);
	tcase_add_test(tc, test_split_nul);
	tcase_add_test(tc, test_split_partial);
	tcase_add_test(tc, test_split_max_line);
	tcase_add_test(tc, test_split_huge);
	tcase_add_loop_test(tc, test_split_chunk_boundaries, 0, 24);
	suite_add_tcase(s, tc);

	tc = tcase_create("run");
	tcase_add_checked_fixture(tc, file_setup, file_teardown);
	tcase_add_test(tc, test_run_small);
	tcase_add_loop_test(tc, test_run_final_not_eof, 0, 2);
	tcase_add_test(tc, test_run_empty);
	tcase_add_test(tc, test_run_tagged);
	tcase_add_test(tc, test_run_large_file);
	tcase_add_loop_test(tc, test_run_chunk_edge, 0, 2);
	tcase_add_test(tc, test_run_long_line);
	tcase_add_test(tc, test_run_pieces);
	tcase_add_test(tc, test_run_bad_fd);
	tcase_add_test(tc, test_run_quick_head);
	tcase_add_test(tc, test_run_nowait);
	tcase_add_test(tc, test_run_nowait_uncached);
	suite_add_tcase(s, tc);

	tc = tcase_create("gzip");
	tcase_add_checked_fixture(tc, gz_setup, gz_teardown);
	tcase_add_loop_test(tc, test_gz_as_plain, 0, 4 * TMGZIP_NLINES);
	tcase_add_test(tc, test_gz_from_offset);
	tcase_add_loop_test(tc, test_gz_partial, 0, 3);
	tcase_add_loop_test(tc, test_gz_damaged, 0, 2);
	tcase_add_loop_test(tc, test_gz_fingerprint, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tmcheck_run(reader_suite());
}
