/* check_gunzip.c -- unit tests for gunzip.c: reading real gzip files
 * (single and concatenated members, empty, still being written, damaged)
 * at offsets of their decompressed stream, in pieces. */
#include "autoconf.h"

#include "gunzip.h"

#include "tmcheck.h"
#include "tmgzip.h"
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "state.h"

/* The gzip file of a test, removed by the teardown. */
static char gz_path[64];

/* Creates an empty temporary file. */
static void
gz_setup(void)
{
	int fd;

	strcpy(gz_path, "/tmp/check_gunzip.XXXXXX");
	fd = mkstemp(gz_path);
	ck_assert_int_ne(fd, -1);
	close(fd);
}

/* Removes it. */
static void
gz_teardown(void)
{
	unlink(gz_path);
}

/* Writes `len' bytes to the file and opens it for reading. */
static int
gz_file(const void *data, size_t len)
{
	int fd;

	tmgzip_put(gz_path, data, len, 0);
	fd = open(gz_path, O_RDONLY);
	ck_assert_int_ne(fd, -1);
	return fd;
}

/* What reading on from an offset in pieces gave. */
struct got {
	struct buf bytes;
	enum gunzip_status last;
	int err;
	size_t calls;
};

/* Reads from `off' in pieces of `chunk' until a status other than
 * GUNZIP_OK, each piece where the last ended; appends to got. */
static void
read_on(struct gunzip *g, int fd, uint64_t off, size_t chunk, struct got *got)
{
	size_t n;

	for (;;) {
		buf_reserve(&got->bytes, chunk);
		got->last = gunzip_read(
		    g, fd, off, got->bytes.data + got->bytes.len, chunk, &n);
		got->err = got->last == GUNZIP_ERROR ? errno : 0;
		got->calls++;
		if (n > chunk)
			ck_abort_msg("gave %zu bytes, asked %zu", n, chunk);
		if (got->last == GUNZIP_OK && n != chunk)
			ck_abort_msg("OK with %zu bytes of %zu", n, chunk);
		got->bytes.len += n;
		off += n;
		if (got->last != GUNZIP_OK)
			return;
		ck_assert_uint_lt(got->calls, 10000000);
	}
}

/* Asserts the bytes read are exactly s[0..len). */
static void
ck_bytes(const struct got *got, const char *s, size_t len)
{
	ck_assert_msg(got->bytes.len == len, "read %zu bytes, want %zu",
	              got->bytes.len, len);
	if (len > 0 && memcmp(got->bytes.data, s, len) != 0) {
		size_t i = 0;

		while (got->bytes.data[i] == s[i])
			i++;
		ck_abort_msg("bytes differ from byte %zu on", i);
	}
}

/* Some lines, one gzip member of them. */
struct sample {
	struct buf text;
	struct buf gz;
};

/* About `n' bytes of short lines, gzipped in one member. */
static void
sample_make(struct sample *s, size_t n, unsigned seed)
{
	memset(s, 0, sizeof *s);
	tmgzip_text(&s->text, n, TMGZIP_SHORT, 100, &seed);
	tmgzip_member(&s->gz, s->text.data, s->text.len, 6, NULL);
}

/* Frees it. */
static void
sample_free(struct sample *s)
{
	buf_free(&s->text);
	buf_free(&s->gz);
}

/* The whole stream, from 0, in pieces of many sizes: exactly the bytes
 * gzipped, once, without going back or throwing any away. */
START_TEST(test_read_all)
{
	static const size_t chunks[] = {1, 3, 100, 4096, 65543, 1 << 20};
	size_t chunk = chunks[_i];
	struct sample s;
	struct gunzip *g = gunzip_create();
	struct got got = {0};
	struct gunzip_stats st;
	int fd;

	sample_make(&s, _i == 0 ? 50000 : 300000, 1);
	fd = gz_file(s.gz.data, s.gz.len);
	read_on(g, fd, 0, chunk, &got);
	ck_assert_int_eq(got.last, GUNZIP_END);
	ck_bytes(&got, s.text.data, s.text.len);
	gunzip_stats(g, &st);
	ck_assert_uint_eq(st.restarts, 0);
	ck_assert_uint_eq(st.skipped, 0);
	ck_assert_uint_eq(st.members, 1);
	ck_assert_uint_eq(st.in_bytes, s.gz.len);
	ck_assert_uint_eq(st.out_bytes, s.text.len);
	ck_assert_str_eq(gunzip_error(g), "");

	/* At the end it stays at the end. */
	size_t n = 1;
	char c;
	ck_assert_int_eq(gunzip_read(g, fd, s.text.len, &c, 1, &n), GUNZIP_END);
	ck_assert_uint_eq(n, 0);
	buf_free(&got.bytes);
	gunzip_free(g);
	close(fd);
	sample_free(&s);
}
END_TEST

/* From an offset K of the decompressed stream, with a fresh object (as at
 * start-up from a checkpoint): the bytes from K on. */
START_TEST(test_read_from)
{
	struct sample s;
	struct gunzip *g;
	struct got got = {0};
	struct gunzip_stats st;
	size_t k[8], want;
	const char *nl;
	int fd;

	sample_make(&s, 200000, 2);
	nl = memchr(s.text.data + 100000, '\n', 1000);
	ck_assert_ptr_nonnull(nl);
	k[0] = 0;
	k[1] = (size_t)(nl - s.text.data) - 1; /* inside a line */
	k[2] = (size_t)(nl - s.text.data) + 1; /* a line's start */
	k[3] = s.text.len - 1;
	k[4] = s.text.len; /* the end */
	k[5] = s.text.len + 1;
	k[6] = s.text.len + 1000000; /* past it */
	k[7] = 70000;                /* past one skip buffer */
	fd = gz_file(s.gz.data, s.gz.len);
	g = gunzip_create();
	read_on(g, fd, k[_i], 8191, &got);
	ck_assert_int_eq(got.last, GUNZIP_END);
	want = k[_i] < s.text.len ? s.text.len - k[_i] : 0;
	ck_bytes(&got, s.text.data + s.text.len - want, want);
	gunzip_stats(g, &st);
	ck_assert_uint_eq(st.skipped, k[_i] < s.text.len ? k[_i] : s.text.len);
	ck_assert_uint_eq(st.restarts, 0);
	buf_free(&got.bytes);
	gunzip_free(g);
	close(fd);
	sample_free(&s);
}
END_TEST

/* One object jumping about: ahead skips, behind starts again unless
 * behind is in the copy kept since a mark. */
START_TEST(test_read_seek)
{
	struct sample s;
	struct gunzip *g = gunzip_create();
	struct gunzip_stats st;
	uint64_t made;
	char buf[1000];
	size_t n;
	int fd;

	sample_make(&s, 300000, 3);
	fd = gz_file(s.gz.data, s.gz.len);

	ck_assert_int_eq(gunzip_read(g, fd, 10, buf, sizeof buf, &n),
	                 GUNZIP_OK);
	ck_assert_mem_eq(buf, s.text.data + 10, sizeof buf);
	/* Ahead: skips 5000 - 1010 bytes. */
	ck_assert_int_eq(gunzip_read(g, fd, 5000, buf, sizeof buf, &n),
	                 GUNZIP_OK);
	ck_assert_mem_eq(buf, s.text.data + 5000, sizeof buf);
	gunzip_stats(g, &st);
	ck_assert_uint_eq(st.skipped, 10 + 5000 - 1010);
	ck_assert_uint_eq(st.restarts, 0);
	/* Behind: from the start again. */
	ck_assert_int_eq(gunzip_read(g, fd, 3000, buf, sizeof buf, &n),
	                 GUNZIP_OK);
	ck_assert_mem_eq(buf, s.text.data + 3000, sizeof buf);
	gunzip_stats(g, &st);
	ck_assert_uint_eq(st.restarts, 1);
	ck_assert_uint_eq(st.skipped, 10 + 5000 - 1010 + 3000);
	/* The fd's own position is nobody's business. */
	ck_assert_int_eq(lseek(fd, 17, SEEK_SET), 17);
	gunzip_mark(g, 4000);
	ck_assert_int_eq(gunzip_read(g, fd, 4000, buf, sizeof buf, &n),
	                 GUNZIP_OK);
	ck_assert_mem_eq(buf, s.text.data + 4000, sizeof buf);
	/* Behind, at or after the mark (where a read job's next one
	 * starts): from the copy, not from the start; zlib makes only the
	 * bytes past it. */
	gunzip_stats(g, &st);
	made = st.out_bytes;
	ck_assert_int_eq(gunzip_read(g, fd, 4500, buf, 100, &n), GUNZIP_OK);
	ck_assert_mem_eq(buf, s.text.data + 4500, 100);
	ck_assert_int_eq(gunzip_read(g, fd, 4700, buf, sizeof buf, &n),
	                 GUNZIP_OK);
	ck_assert_mem_eq(buf, s.text.data + 4700, sizeof buf);
	ck_assert_int_eq(gunzip_read(g, fd, 4000, buf, sizeof buf, &n),
	                 GUNZIP_OK);
	ck_assert_mem_eq(buf, s.text.data + 4000, sizeof buf);
	gunzip_mark(g, 5699);
	ck_assert_int_eq(gunzip_read(g, fd, 5699, buf, sizeof buf, &n),
	                 GUNZIP_OK);
	ck_assert_mem_eq(buf, s.text.data + 5699, sizeof buf);
	gunzip_stats(g, &st);
	ck_assert_uint_eq(st.restarts, 1);
	ck_assert_uint_eq(st.out_bytes, made + 700 + 999);
	/* Before the mark: from the start. */
	ck_assert_int_eq(gunzip_read(g, fd, 5698, buf, sizeof buf, &n),
	                 GUNZIP_OK);
	ck_assert_mem_eq(buf, s.text.data + 5698, sizeof buf);
	gunzip_stats(g, &st);
	ck_assert_uint_eq(st.restarts, 2);
	/* A mark outside the copy keeps what comes next. */
	gunzip_mark(g, 100);
	ck_assert_int_eq(gunzip_read(g, fd, 6698, buf, 10, &n), GUNZIP_OK);
	ck_assert_int_eq(gunzip_read(g, fd, 6698, buf, 10, &n), GUNZIP_OK);
	ck_assert_mem_eq(buf, s.text.data + 6698, 10);
	gunzip_stats(g, &st);
	ck_assert_uint_eq(st.restarts, 2);
	gunzip_free(g);
	close(fd);
	sample_free(&s);
}
END_TEST

/* Concatenated members (gzip -c a >> f) are one stream: read across their
 * boundaries in pieces that span them, and from offsets in any of them. */
START_TEST(test_read_members)
{
	static const size_t chunks[] = {1, 333, 1000, 5000, 100000};
	unsigned seed = 40u + (unsigned)_i;
	struct buf text = {0}, gz = {0};
	size_t bounds[32], nb = 0, cut, start;
	struct gunzip *g = gunzip_create();
	struct got got = {0};
	struct gunzip_stats st;
	int fd;

	tmgzip_text(&text, 60000, TMGZIP_SHORT, 100, &seed);
	/* Members of 0, 1, ~777 and random sizes, stored and compressed. */
	start = 0;
	while (start < text.len) {
		switch (nb % 5) {
		case 0:
			cut = 0;
			break;
		case 1:
			cut = 1;
			break;
		case 2:
			cut = 777;
			break;
		default:
			cut = (size_t)rand_r(&seed) % 20000;
		}
		if (cut > text.len - start)
			cut = text.len - start;
		tmgzip_member(&gz, text.data + start, cut, (int)(nb % 3) * 4,
		              nb % 4 == 3 ? "name.log" : NULL);
		start += cut;
		bounds[nb++] = start;
		ck_assert_uint_lt(nb, 32);
	}
	fd = gz_file(gz.data, gz.len);
	read_on(g, fd, 0, chunks[_i], &got);
	ck_assert_int_eq(got.last, GUNZIP_END);
	ck_bytes(&got, text.data, text.len);
	gunzip_stats(g, &st);
	ck_assert_uint_eq(st.members, nb);
	ck_assert_uint_eq(st.restarts, 0);
	ck_assert_uint_eq(st.in_bytes, gz.len);
	gunzip_free(g);

	/* From each member's start, and from just inside it. */
	for (size_t i = 0; i < nb; i++) {
		for (size_t d = 0; d < 2; d++) {
			size_t k = bounds[i] + d;

			g = gunzip_create();
			got.bytes.len = 0;
			read_on(g, fd, k, chunks[_i], &got);
			ck_assert_int_eq(got.last, GUNZIP_END);
			if (k > text.len)
				k = text.len;
			ck_bytes(&got, text.data + k, text.len - k);
			gunzip_free(g);
		}
	}
	buf_free(&got.bytes);
	buf_free(&text);
	buf_free(&gz);
	close(fd);
}
END_TEST

/* An empty gzip (logrotate compressing an empty log) is a complete empty
 * stream; an empty file is a gzip not yet written. */
START_TEST(test_read_empty)
{
	struct gunzip *g = gunzip_create();
	char buf[16];
	size_t n = 1;
	gzFile z;
	int fd;

	z = gzopen(gz_path, "wb");
	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq(gzclose(z), Z_OK);
	fd = open(gz_path, O_RDONLY);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(gunzip_read(g, fd, 0, buf, sizeof buf, &n),
	                 GUNZIP_END);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(gunzip_head(fd, buf, sizeof buf, NULL), 0);
	close(fd);
	gunzip_free(g);

	g = gunzip_create();
	fd = gz_file("", 0);
	n = 1;
	ck_assert_int_eq(gunzip_read(g, fd, 0, buf, sizeof buf, &n),
	                 GUNZIP_PARTIAL);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(gunzip_head(fd, buf, sizeof buf, NULL), 0);
	close(fd);
	gunzip_free(g);
}
END_TEST

/* A file written by zlib's own gzwrite(), in several writes and flushes:
 * the way other tools write it. */
START_TEST(test_read_gzwrite)
{
	struct buf text = {0};
	struct gunzip *g = gunzip_create();
	struct got got = {0};
	unsigned seed = 5;
	size_t at = 0, l;
	gzFile z;
	int fd;

	tmgzip_text(&text, 500000, TMGZIP_BINARY, 100, &seed);
	z = gzopen(gz_path, "wb9");
	ck_assert_ptr_nonnull(z);
	while (at < text.len) {
		l = 1 + (size_t)rand_r(&seed) % 50000;
		if (l > text.len - at)
			l = text.len - at;
		ck_assert_int_eq(gzwrite(z, text.data + at, (unsigned)l),
		                 (int)l);
		if (rand_r(&seed) % 3 == 0)
			ck_assert_int_eq(gzflush(z, Z_SYNC_FLUSH), Z_OK);
		at += l;
	}
	ck_assert_int_eq(gzclose(z), Z_OK);
	fd = open(gz_path, O_RDONLY);
	ck_assert_int_ne(fd, -1);
	read_on(g, fd, 0, 65536, &got);
	ck_assert_int_eq(got.last, GUNZIP_END);
	ck_bytes(&got, text.data, text.len);
	buf_free(&got.bytes);
	buf_free(&text);
	gunzip_free(g);
	close(fd);
}
END_TEST

/* A gzip still being written, cut at points in its header, its data, its
 * trailer and between members: PARTIAL with the bytes made so far (a
 * prefix of the text), no error; once the rest is appended, the same
 * object goes on to the end without going back. */
START_TEST(test_read_partial)
{
	struct sample s;
	struct buf gz = {0};
	struct gunzip *g = gunzip_create();
	struct got got = {0};
	struct gunzip_stats st;
	size_t cuts[9], cut, first;
	int fd;

	sample_make(&s, 100000, 7);
	/* Two members: the text in one, then again in a second one. */
	buf_add(&gz, s.gz.data, s.gz.len);
	first = gz.len;
	buf_add(&gz, s.gz.data, s.gz.len);
	cuts[0] = 1;
	cuts[1] = 5;  /* inside the header */
	cuts[2] = 11; /* the first deflate byte */
	cuts[3] = first / 2;
	cuts[4] = first - 8; /* all data, no trailer */
	cuts[5] = first - 1;
	cuts[6] = first; /* between members */
	cuts[7] = first + 3;
	cuts[8] = gz.len - 4;
	cut = cuts[_i];

	fd = gz_file(gz.data, cut);
	read_on(g, fd, 0, 4096, &got);
	if (cut == first) {
		/* A complete stream, as far as anyone can tell. */
		ck_assert_int_eq(got.last, GUNZIP_END);
		ck_bytes(&got, s.text.data, s.text.len);
	} else {
		ck_assert_int_eq(got.last, GUNZIP_PARTIAL);
		ck_assert_int_eq(got.err, 0);
		ck_assert_uint_le(got.bytes.len, 2 * s.text.len);
		if (got.bytes.len <= s.text.len)
			ck_bytes(&got, s.text.data, got.bytes.len);
		else
			ck_assert_mem_eq(got.bytes.data + s.text.len,
			                 s.text.data,
			                 got.bytes.len - s.text.len);
	}
	if (cut == first - 8 || cut == first - 1)
		ck_assert_uint_eq(got.bytes.len, s.text.len);
	if (cut == first / 2)
		ck_assert_uint_gt(got.bytes.len, s.text.len / 4);
	/* Asking again before it grew: still PARTIAL, nothing new. */
	if (got.last == GUNZIP_PARTIAL) {
		size_t had = got.bytes.len;

		read_on(g, fd, had, 4096, &got);
		ck_assert_int_eq(got.last, GUNZIP_PARTIAL);
		ck_assert_uint_eq(got.bytes.len, had);
	}

	tmgzip_put(gz_path, gz.data + cut, gz.len - cut, 1);
	read_on(g, fd, got.bytes.len, 4096, &got);
	ck_assert_int_eq(got.last, GUNZIP_END);
	ck_assert_uint_eq(got.bytes.len, 2 * s.text.len);
	ck_assert_mem_eq(got.bytes.data, s.text.data, s.text.len);
	ck_assert_mem_eq(got.bytes.data + s.text.len, s.text.data, s.text.len);
	gunzip_stats(g, &st);
	ck_assert_uint_eq(st.restarts, 0);
	ck_assert_uint_eq(st.members, 2);
	ck_assert_uint_eq(st.in_bytes, gz.len);
	buf_free(&got.bytes);
	buf_free(&gz);
	gunzip_free(g);
	close(fd);
	sample_free(&s);
}
END_TEST

/* Damage: an error, EBADMSG, with a message saying what and where; the
 * bytes before it may come first; it stays. */
START_TEST(test_read_damaged)
{
	struct sample s;
	struct buf gz = {0};
	struct gunzip *g = gunzip_create();
	struct got got = {0};
	char want[200], buf[64];
	size_t n;
	int fd;

	sample_make(&s, 100000, 9);
	buf_add(&gz, s.gz.data, s.gz.len);
	switch (_i) {
	case 0: /* the deflate data */
		for (size_t i = gz.len / 2; i < gz.len / 2 + 16; i++)
			gz.data[i] = (char)(gz.data[i] ^ 0x55);
		strcpy(want, "damaged gzip data found at compressed byte ");
		break;
	case 1: /* the CRC */
		gz.data[gz.len - 8] ^= 1;
		snprintf(want, sizeof want,
		         "(member 1, decompressed byte %zu): incorrect data "
		         "check",
		         s.text.len);
		break;
	case 2: /* the length */
		gz.data[gz.len - 4] ^= 1;
		snprintf(want, sizeof want,
		         "(member 1, decompressed byte %zu): incorrect length "
		         "check",
		         s.text.len);
		break;
	case 3: /* not gzip at all */
		buf_free(&gz);
		buf_add(&gz, s.text.data, 5000);
		strcpy(want, "not gzip data (incorrect header check)");
		break;
	case 4: /* something else after a member */
		buf_add(&gz, "hello\n", 6);
		snprintf(want, sizeof want,
		         "data after gzip member 1 (at compressed byte %zu) is "
		         "not gzip (incorrect header check)",
		         s.gz.len);
		break;
	default: /* a member with a bad header method after a good one */
		buf_add(&gz, s.gz.data, 20);
		gz.data[s.gz.len + 2] = 7;
		snprintf(
		    want, sizeof want,
		    "damaged gzip data found at compressed byte %zu (member 2, "
		    "decompressed byte %zu): unknown compression method",
		    s.gz.len + 4, s.text.len);
		break;
	}
	fd = gz_file(gz.data, gz.len);
	read_on(g, fd, 0, 1000, &got);
	ck_assert_int_eq(got.last, GUNZIP_ERROR);
	ck_assert_int_eq(got.err, EBADMSG);
	ck_assert_msg(strstr(gunzip_error(g), want) != NULL,
	              "message \"%s\" lacks \"%s\"", gunzip_error(g), want);
	if (_i == 1 || _i == 2 || _i == 4 || _i == 5)
		ck_bytes(&got, s.text.data, s.text.len); /* all came first */
	else if (_i == 3)
		ck_assert_uint_eq(got.bytes.len, 0);
	if (_i == 0) {
		/* What was before the damage came out right. */
		ck_assert_uint_gt(got.bytes.len, 1000);
		ck_assert_mem_eq(got.bytes.data, s.text.data, 1000);
	}

	/* Once found, it stays: here, ahead and behind. */
	errno = 0;
	ck_assert_int_eq(gunzip_read(g, fd, got.bytes.len, buf, 10, &n),
	                 GUNZIP_ERROR);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_uint_eq(n, 0);
	errno = 0;
	ck_assert_int_eq(gunzip_read(g, fd, 0, buf, 10, &n), GUNZIP_ERROR);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_ptr_nonnull(strstr(gunzip_error(g), want));
	buf_free(&got.bytes);
	buf_free(&gz);
	gunzip_free(g);
	close(fd);
	sample_free(&s);
}
END_TEST

/* A descriptor that cannot be read: pread()'s errno, and a message. */
START_TEST(test_read_bad_fd)
{
	struct gunzip *g = gunzip_create();
	char buf[16];
	size_t n = 1;
	int fds[2];

	errno = 0;
	ck_assert_int_eq(gunzip_read(g, -1, 0, buf, sizeof buf, &n),
	                 GUNZIP_ERROR);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_nonnull(strstr(gunzip_error(g), "cannot read"));
	/* Not damage: a readable file works with the same object. */
	ck_assert_int_eq(pipe(fds), 0);
	errno = 0;
	ck_assert_int_eq(gunzip_read(g, fds[0], 0, buf, sizeof buf, &n),
	                 GUNZIP_ERROR);
	ck_assert_int_eq(errno, ESPIPE);
	close(fds[0]);
	close(fds[1]);
	{
		struct buf gz = {0};
		int fd;

		tmgzip_member(&gz, "abc\n", 4, 6, NULL);
		fd = gz_file(gz.data, gz.len);
		ck_assert_int_eq(gunzip_read(g, fd, 0, buf, sizeof buf, &n),
		                 GUNZIP_END);
		ck_assert_uint_eq(n, 4);
		ck_assert_mem_eq(buf, "abc\n", 4);
		close(fd);
		buf_free(&gz);
	}
	gunzip_free(g);
}
END_TEST

/* gunzip_head(): the first bytes of the stream, whatever its members and
 * header; fewer when there are fewer; an error for damage. */
START_TEST(test_head)
{
	struct sample s;
	struct buf gz = {0}, text = {0};
	char head[STATE_FP_MAX], name[10000];
	char *cause = NULL;
	int fd;

	sample_make(&s, 100000, 11);
	fd = gz_file(s.gz.data, s.gz.len);
	ck_assert_int_eq(gunzip_head(fd, head, sizeof head, NULL),
	                 STATE_FP_MAX);
	ck_assert_mem_eq(head, s.text.data, STATE_FP_MAX);
	close(fd);

	/* Members of 10, 0 and the rest, and a header name longer than
	 * what gunzip_head() reads at once. */
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	tmgzip_member(&gz, s.text.data, 10, 6, name);
	tmgzip_member(&gz, s.text.data, 0, 6, NULL);
	tmgzip_member(&gz, s.text.data + 10, 5000, 0, name);
	fd = gz_file(gz.data, gz.len);
	ck_assert_int_eq(gunzip_head(fd, head, sizeof head, NULL),
	                 STATE_FP_MAX);
	ck_assert_mem_eq(head, s.text.data, STATE_FP_MAX);
	close(fd);

	/* Shorter than a fingerprint; and cut short while written. */
	buf_free(&gz);
	tmgzip_member(&gz, "short\n", 6, 6, NULL);
	fd = gz_file(gz.data, gz.len);
	ck_assert_int_eq(gunzip_head(fd, head, sizeof head, NULL), 6);
	ck_assert_mem_eq(head, "short\n", 6);
	close(fd);
	fd = gz_file(s.gz.data, 30);
	{
		ssize_t k = gunzip_head(fd, head, sizeof head, NULL);

		ck_assert_int_ge(k, 0);
		ck_assert_int_lt(k, STATE_FP_MAX);
		ck_assert_mem_eq(head, s.text.data, (size_t)k);
	}
	close(fd);

	/* Damaged, with the message. */
	buf_add(&text, s.text.data, 3000);
	fd = gz_file(text.data, text.len);
	errno = 0;
	ck_assert_int_eq(gunzip_head(fd, head, sizeof head, &cause), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_ptr_nonnull(cause);
	ck_assert_str_eq(cause, "not gzip data (incorrect header check)");
	free(cause);
	close(fd);
	buf_free(&gz);
	buf_free(&text);
	sample_free(&s);
}
END_TEST

/* 16 MiB of lines read in 256 KiB jobs at the offsets the reader would
 * give, each marking its start as the reader does: each compressed byte
 * read once, no restart, nothing thrown away.  (Time is linear in the
 * file, not quadratic.) */
START_TEST(test_linear)
{
	struct buf text = {0}, gz = {0}, out = {0};
	struct gunzip *g = gunzip_create();
	struct gunzip_stats st;
	unsigned seed = 13;
	uint64_t off = 0;
	enum gunzip_status r;
	size_t n, jobs = 0;
	const char *nl;
	int fd;

	tmgzip_text(&text, 16 << 20, TMGZIP_SHORT, 100, &seed);
	tmgzip_member(&gz, text.data, text.len, 6, NULL);
	fd = gz_file(gz.data, gz.len);
	buf_reserve(&out, 256 * 1024);
	do {
		gunzip_mark(g, off);
		r = gunzip_read(g, fd, off, out.data, 256 * 1024, &n);
		ck_assert_int_ne(r, GUNZIP_ERROR);
		ck_assert_mem_eq(out.data, text.data + off, n);
		/* The next job starts after the last newline. */
		nl = n > 0 ? memrchr(out.data, '\n', n) : NULL;
		if (nl != NULL)
			off += (uint64_t)(nl - out.data) + 1;
		jobs++;
	} while (r == GUNZIP_OK);
	ck_assert_int_eq(r, GUNZIP_END);
	ck_assert_uint_eq(off, text.len);
	ck_assert_uint_gt(jobs, 64);
	gunzip_stats(g, &st);
	ck_assert_uint_eq(st.restarts, 0);
	ck_assert_uint_eq(st.in_bytes, gz.len);
	/* Each job starts again at the partial line the last one ended
	 * with: those bytes come from the copy; zlib made each byte once. */
	ck_assert_uint_eq(st.out_bytes, text.len);
	ck_assert_uint_eq(st.skipped, 0);
	buf_free(&text);
	buf_free(&gz);
	buf_free(&out);
	gunzip_free(g);
	close(fd);
}
END_TEST

/* The suite. */
static Suite *
gunzip_suite(void)
{
	Suite *s = suite_create("gunzip");
	TCase *tc;

	tc = tcase_create("read");
	tcase_add_checked_fixture(tc, gz_setup, gz_teardown);
	tcase_add_loop_test(tc, test_read_all, 0, 6);
	tcase_add_loop_test(tc, test_read_from, 0, 8);
	tcase_add_test(tc, test_read_seek);
	tcase_add_loop_test(tc, test_read_members, 0, 5);
	tcase_add_test(tc, test_read_empty);
	tcase_add_test(tc, test_read_gzwrite);
	tcase_add_loop_test(tc, test_read_partial, 0, 9);
	tcase_add_loop_test(tc, test_read_damaged, 0, 6);
	tcase_add_test(tc, test_read_bad_fd);
	tcase_add_test(tc, test_head);
	tcase_add_test(tc, test_linear);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tmcheck_run(gunzip_suite());
}
