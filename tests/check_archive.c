/* check_archive.c -- gzip of rotated outputs, clean-up after a crash, and
 * retention by count and age, on real files in a temporary directory. */
#include "autoconf.h"

#include "archive.h"
#include "xmalloc.h"

#include "tmcheck.h"
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

static char dir[TMCHECK_DIR_MAX];

static void
setup(void)
{
	tmcheck_mkdtemp(dir, "check_archive");
}

static void
teardown(void)
{
	tmcheck_rmtree(dir);
}

/* Writes dir/name with `text' and sets its mtime to `age' seconds ago. */
static void
put(const char *name, const char *text, time_t age)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct timespec t[2];
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	t[0].tv_sec = t[1].tv_sec = time(NULL) - age;
	t[0].tv_nsec = t[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, t, 0), 0);
	free(path);
}

static int
exists(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	int r = access(path, F_OK) == 0;

	free(path);
	return r;
}

/* The decompressed contents of dir/name. */
static char *
gunzip(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *data = NULL;
	size_t len = 0;
	char buf[4096];
	gzFile gz = gzopen(path, "rb");
	int n;

	ck_assert_ptr_nonnull(gz);
	while ((n = gzread(gz, buf, sizeof buf)) > 0) {
		data = xrealloc(data, len + (size_t)n + 1);
		memcpy(data + len, buf, (size_t)n);
		len += (size_t)n;
	}
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(gzclose(gz), Z_OK);
	free(path);
	if (data == NULL)
		data = xstrdup("");
	data[len] = '\0';
	return data;
}

static void
req_init(struct archive_req *req, int level, unsigned keep)
{
	memset(req, 0, sizeof *req);
	req->dir = xstrdup(dir);
	req->base = xstrdup("out.log");
	req->level = level;
	req->keep = keep;
	req->now = time(NULL);
}

/* The named files are gzipped to exactly their contents, keep their time,
 * and the originals go; others are left plain. */
START_TEST(test_gzip)
{
	struct archive_req req;
	struct archive_result res;
	char big[100000], *text;
	struct stat st;
	char *path;

	for (size_t i = 0; i < sizeof big - 1; i++)
		big[i] = (char)('a' + i % 23 + (i % 77 == 0 ? 1 : 0));
	big[sizeof big - 1] = '\0';
	put("out.log.20261125-100000.000", big, 100);
	put("out.log.20261125-110000.000", "second\n", 50);
	req_init(&req, 6, 0);
	req.compress = xcalloc(1, sizeof *req.compress);
	req.compress[0] = xasprintf("%s/out.log.20261125-100000.000", dir);
	req.ncompress = 1;
	archive_run(&req, &res);
	ck_assert_uint_eq(res.nmsgs, 0);
	ck_assert_uint_eq(res.compressed, 1);
	ck_assert_uint_eq(res.bytes_in, sizeof big - 1);
	ck_assert(!exists("out.log.20261125-100000.000"));
	ck_assert(!exists("out.log.20261125-100000.000.gz.tmp"));
	text = gunzip("out.log.20261125-100000.000.gz");
	ck_assert_str_eq(text, big);
	free(text);
	path = xasprintf("%s/out.log.20261125-100000.000.gz", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_le(st.st_mtime, time(NULL) - 99);
	free(path);
	ck_assert(exists("out.log.20261125-110000.000"));
	archive_req_clear(&req);
	archive_result_clear(&res);

	/* At start, every plain one is compressed. */
	req_init(&req, 1, 0);
	req.compress_all = 1;
	archive_run(&req, &res);
	ck_assert_uint_eq(res.compressed, 1);
	text = gunzip("out.log.20261125-110000.000.gz");
	ck_assert_str_eq(text, "second\n");
	free(text);
	archive_req_clear(&req);
	archive_result_clear(&res);
}
END_TEST

/* What a crash leaves: a .gz.tmp is removed and its file compressed
 * again; a plain file beside its whole .gz is removed. */
START_TEST(test_crash_leftovers)
{
	struct archive_req req;
	struct archive_result res;
	char *text;

	put("out.log.20261125-100000.000", "one\n", 30);
	put("out.log.20261125-100000.000.gz.tmp", "\x1f\x8b half", 30);
	put("out.log.20261125-110000.000", "two\n", 20);
	put("out.log.20261125-110000.000.gz", "", 20);
	req_init(&req, 6, 0);
	req.compress_all = 1;
	archive_run(&req, &res);
	ck_assert_uint_eq(res.nmsgs, 0);
	ck_assert(!exists("out.log.20261125-100000.000.gz.tmp"));
	ck_assert(!exists("out.log.20261125-100000.000"));
	text = gunzip("out.log.20261125-100000.000.gz");
	ck_assert_str_eq(text, "one\n");
	free(text);
	ck_assert(!exists("out.log.20261125-110000.000"));
	ck_assert(exists("out.log.20261125-110000.000.gz"));
	archive_req_clear(&req);
	archive_result_clear(&res);

	/* Without gzip, a .gz.tmp still goes, plain files stay. */
	put("out.log.20261125-120000.000", "three\n", 10);
	put("out.log.20261125-120000.000.gz.tmp", "x", 10);
	req_init(&req, 0, 0);
	req.compress_all = 1;
	archive_run(&req, &res);
	ck_assert(!exists("out.log.20261125-120000.000.gz.tmp"));
	ck_assert(exists("out.log.20261125-120000.000"));
	archive_req_clear(&req);
	archive_result_clear(&res);
}
END_TEST

/* keep: the newest `keep' rotated files stay, plain or gzipped alike, and
 * nothing that is not one of ours is touched. */
START_TEST(test_keep)
{
	static const char *const others[] = {
	    "out.log",
	    "out.log.1",
	    "out.log.1.gz",
	    "out.log.20261125-100000.000.bak",
	    "other.log.20261125-100000.000",
	    "notes.txt",
	};
	struct archive_req req;
	struct archive_result res;

	put("out.log.20261125-100000.000.gz", "", 500);
	put("out.log.20261125-110000.000", "b\n", 400);
	put("out.log.20261125-120000.000.gz", "", 300);
	put("out.log.20261125-120000.001", "d\n", 200);
	put("out.log.20261125-130000.000", "e\n", 100);
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		put(others[i], "mine\n", 1000);
	req_init(&req, 0, 2);
	archive_run(&req, &res);
	ck_assert_uint_eq(res.nmsgs, 0);
	ck_assert_uint_eq(res.removed, 3);
	ck_assert(!exists("out.log.20261125-100000.000.gz"));
	ck_assert(!exists("out.log.20261125-110000.000"));
	ck_assert(!exists("out.log.20261125-120000.000.gz"));
	ck_assert(exists("out.log.20261125-120000.001"));
	ck_assert(exists("out.log.20261125-130000.000"));
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		ck_assert_msg(exists(others[i]), "%s was removed", others[i]);
	archive_req_clear(&req);
	archive_result_clear(&res);
}
END_TEST

/* max_age: rotated files whose last line is older go; keep = 0 keeps the
 * rest however many. */
START_TEST(test_max_age)
{
	struct archive_req req;
	struct archive_result res;

	put("out.log.20261125-100000.000.gz", "", 7200);
	put("out.log.20261125-110000.000", "b\n", 3000);
	put("out.log.20261125-120000.000", "c\n", 60);
	put("out.log.old", "mine\n", 99999);
	req_init(&req, 0, 0);
	req.max_age = 3600 * 1000;
	archive_run(&req, &res);
	ck_assert_uint_eq(res.removed, 1);
	ck_assert(!exists("out.log.20261125-100000.000.gz"));
	ck_assert(exists("out.log.20261125-110000.000"));
	ck_assert(exists("out.log.20261125-120000.000"));
	ck_assert(exists("out.log.old"));
	archive_req_clear(&req);
	archive_result_clear(&res);
}
END_TEST

/* A directory that cannot be listed is reported, naming it. */
START_TEST(test_missing_dir)
{
	struct archive_req req;
	struct archive_result res;

	req_init(&req, 6, 2);
	free(req.dir);
	req.dir = xasprintf("%s/nowhere", dir);
	archive_run(&req, &res);
	ck_assert_uint_eq(res.nmsgs, 1);
	ck_assert_ptr_nonnull(strstr(res.msgs[0], "nowhere"));
	archive_req_clear(&req);
	archive_result_clear(&res);
}
END_TEST

/* What archive_lower_priority() left on the thread that called it. */
struct prio {
	long nice_before, nice, ioprio;
};

static void *
prio_thread(void *arg)
{
	struct prio *p = arg;
	pid_t tid = (pid_t)syscall(SYS_gettid);

	p->nice_before = getpriority(PRIO_PROCESS, (id_t)tid);
	archive_lower_priority();
	p->nice = getpriority(PRIO_PROCESS, (id_t)tid);
	p->ioprio = syscall(SYS_ioprio_get, 1, tid); /* IOPRIO_WHO_PROCESS */
	return NULL;
}

/* The calling thread, and only it, goes to nice 19 and the lowest
 * best-effort I/O priority (class 2, level 7): low, but never starved
 * outright as the idle classes can be. */
START_TEST(test_lower_priority)
{
	struct prio p;
	pthread_t t;
	pid_t me = (pid_t)syscall(SYS_gettid);
	long nice_me = getpriority(PRIO_PROCESS, (id_t)me);

	ck_assert_int_eq(pthread_create(&t, NULL, prio_thread, &p), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(p.nice_before, nice_me);
	ck_assert_int_eq(p.nice, 19);
	ck_assert_int_eq(p.ioprio, (2 << 13) | 7);
	ck_assert_int_eq(getpriority(PRIO_PROCESS, (id_t)me), nice_me);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("archive");
	TCase *tc = tcase_create("archive");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gzip);
	tcase_add_test(tc, test_crash_leftovers);
	tcase_add_test(tc, test_keep);
	tcase_add_test(tc, test_max_age);
	tcase_add_test(tc, test_missing_dir);
	tcase_add_test(tc, test_lower_priority);
	suite_add_tcase(s, tc);
	return tmcheck_run(s);
}
