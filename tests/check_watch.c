/* check_watch.c -- unit tests for watch.c: finding the copy of a truncated
 * file in its directory by fingerprint, size and age. */
#include "autoconf.h"

#include "watch.h"

#include "xmalloc.h"

#include "tmcheck.h"
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[TMCHECK_DIR_MAX];

static void
setup(void)
{
	tmcheck_mkdtemp(dir, "check_watch");
}

static void
teardown(void)
{
	tmcheck_rmtree(dir);
}

/* Writes `text' to dir/name (created anew). */
static void
put(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
	free(path);
}

/* The query for files whose first bytes are `head'. */
static struct watch_find
query(const char *head)
{
	struct watch_find q;
	char *path = xasprintf("%s/probe", dir);
	int fd;

	memset(&q, 0, sizeof q);
	put("probe", head);
	fd = open(path, O_RDONLY);
	ck_assert_int_ne(fd, -1);
	watch_fingerprint(fd, &q.fp_len, &q.fp_hash);
	close(fd);
	ck_assert_int_eq(unlink(path), 0);
	free(path);
	return q;
}

/* The name watch_find() gives (less the directory), or NULL. */
static char *
find(const struct watch_find *q)
{
	struct stat st;
	char *name = NULL, *base;
	int fd = watch_find(dir, q, &st, &name);

	if (fd == -1)
		return NULL;
	close(fd);
	base = xstrdup(name + strlen(dir) + 1);
	free(name);
	return base;
}

/* Waits, with a deadline, until watch_now() has moved past `t'. */
static void
clock_past(uint64_t t)
{
	struct timespec pause = {0, 1000000};

	for (int i = 0; i < 5000 && watch_now() <= t; i++)
		nanosleep(&pause, NULL);
	ck_assert_uint_gt(watch_now(), t);
}

/* Waits until a file created now is stamped after `t' (files' times may
 * come off a clock coarser than watch_now()'s). */
static void
stamps_past(uint64_t t)
{
	struct timespec pause = {0, 1000000};
	char *path = xasprintf("%s/tick", dir);
	uint64_t s = 0;
	struct stat st;
	int fd;

	for (int i = 0; i < 5000 && s <= t; i++) {
		unlink(path);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		ck_assert_int_ne(fd, -1);
		ck_assert_int_eq(fstat(fd, &st), 0);
		close(fd);
		s = (uint64_t)st.st_ctim.tv_sec * 1000000000u +
		    (uint64_t)st.st_ctim.tv_nsec;
		if (s <= t)
			nanosleep(&pause, NULL);
	}
	unlink(path);
	free(path);
	ck_assert_uint_gt(s, t);
}

/* A file starting with the same bytes is found; one with other bytes, or
 * shorter than min_size, is not. */
START_TEST(test_find_fingerprint)
{
	struct watch_find q = query("app 1\n");
	char *name;

	put("other.1", "app 2\napp 3\n");
	ck_assert_ptr_null(find(&q));
	put("copy.1", "app 1\napp 2\n");
	name = find(&q);
	ck_assert_str_eq(name, "copy.1");
	free(name);
	q.min_size = 100;
	ck_assert_ptr_null(find(&q));
}
END_TEST

/* The birth time statx gives for dir/name, or 0 where the filesystem
 * keeps none. */
static uint64_t
birth_of(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct statx sx;
	uint64_t t = 0;

	if (statx(AT_FDCWD, path, 0, STATX_BTIME, &sx) == 0 &&
	    (sx.stx_mask & STATX_BTIME))
		t = (uint64_t)sx.stx_btime.tv_sec * 1000000000u +
		    sx.stx_btime.tv_nsec;
	free(path);
	return t;
}

/* The time stamps of dir/name, ctime and birth, the later of the two. */
static uint64_t
stamp_of(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	uint64_t c, b = birth_of(name);

	ck_assert_int_eq(stat(path, &st), 0);
	free(path);
	c = (uint64_t)st.st_ctim.tv_sec * 1000000000u +
	    (uint64_t)st.st_ctim.tv_nsec;
	return c > b ? c : b;
}

/* With min_birth, a file created before it is passed over, even with the
 * same first bytes, and even when renamed and written since (where the
 * filesystem keeps birth times); of two created after it, the first. */
START_TEST(test_find_newer)
{
	struct watch_find q = query("app 1\n");
	char *a, *b, *name;
	FILE *fp;

	put("old.1", "app 1\nolder contents\n");
	/* A time stamp may be finer than the coarse clock, and ahead of
	 * it. */
	clock_past(stamp_of("old.1"));
	q.min_birth = watch_now();
	ck_assert_ptr_null(find(&q));
	if (birth_of("old.1") != 0) {
		a = xasprintf("%s/old.1", dir);
		b = xasprintf("%s/old.2", dir);
		ck_assert_int_eq(rename(a, b), 0);
		ck_assert_ptr_nonnull(fp = fopen(b, "a"));
		ck_assert_int_eq(fputs("written since\n", fp) >= 0, 1);
		ck_assert_int_eq(fclose(fp), 0);
		ck_assert_ptr_null(find(&q));
		free(a);
		free(b);
	}
	stamps_past(q.min_birth);
	put("copy.1", "app 1\napp 2\n");
	clock_past(stamp_of("copy.1"));
	put("copy.0", "app 1\napp 2\napp 3\n");
	name = find(&q);
	ck_assert_str_eq(name, "copy.1");
	free(name);
	q.min_birth = 0;
	ck_assert_ptr_nonnull(name = find(&q)); /* any of them, now */
	free(name);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("watch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_find_fingerprint);
	tcase_add_test(tc, test_find_newer);
	suite_add_tcase(s, tc);
	return tmcheck_run(s);
}
