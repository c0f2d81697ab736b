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

static char dir[] = "/tmp/check_watch.XXXXXX";

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	strcpy(dir, "/tmp/check_watch.XXXXXX");
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

/* With min_ctime, a file changed before it is passed over, even with the
 * same first bytes; one made after it is found. */
START_TEST(test_find_newer)
{
	struct watch_find q = query("app 1\n");
	char *path;
	struct stat st;
	char *name;

	put("old.1", "app 1\nolder contents\n");
	path = xasprintf("%s/old.1", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	free(path);
	/* A ctime may be finer than the coarse clock, and ahead of it. */
	clock_past((uint64_t)st.st_ctim.tv_sec * 1000000000u +
	           (uint64_t)st.st_ctim.tv_nsec);
	q.min_ctime = watch_now();
	ck_assert_ptr_null(find(&q));
	put("copy.1", "app 1\napp 2\n");
	name = find(&q);
	ck_assert_str_eq(name, "copy.1");
	free(name);
	q.min_ctime = 0;
	ck_assert_ptr_nonnull(name = find(&q)); /* either, now */
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
