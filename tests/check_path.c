/* check_path.c -- the pieces of a file name, and making directories. */
#include "autoconf.h"

#include "path.h"

#include "tmcheck.h"
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* path_dir() and path_base() on absolute, relative, root and bare names. */
START_TEST(test_dir_base)
{
	static const struct {
		const char *path, *dir, *base;
	} cases[] = {
	    {"/var/log/a.log", "/var/log", "a.log"},
	    {"/a.log", "/", "a.log"},
	    {"a.log", ".", "a.log"},
	    {"logs/a.log", "logs", "a.log"},
	    {"/var/log/", "/var/log", ""},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *dir = path_dir(cases[i].path);
		ck_assert_str_eq(dir, cases[i].dir);
		ck_assert_str_eq(path_base(cases[i].path), cases[i].base);
		free(dir);
	}
}
END_TEST

/* path_mkdirs() makes every missing directory above the file, not the
 * file itself, and says why when it cannot. */
START_TEST(test_mkdirs)
{
	char tmpl[] = "/tmp/check_path.XXXXXX", buf[256];
	struct stat st;
	char *top = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(top);
	snprintf(buf, sizeof buf, "%s/a/b/c/file", top);
	ck_assert_int_eq(path_mkdirs(buf), 0);
	snprintf(buf, sizeof buf, "%s/a/b/c", top);
	ck_assert_int_eq(stat(buf, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	snprintf(buf, sizeof buf, "%s/a/b/c/file", top);
	ck_assert_int_eq(stat(buf, &st), -1);
	ck_assert_int_eq(path_mkdirs(buf), 0); /* all there already */

	/* A regular file in the way. */
	snprintf(buf, sizeof buf, "%s/a/b/c/file", top);
	fclose(fopen(buf, "w"));
	snprintf(buf, sizeof buf, "%s/a/b/c/file/d/state", top);
	ck_assert_int_eq(path_mkdirs(buf), -1);
	ck_assert_int_eq(errno, ENOTDIR);

	snprintf(buf, sizeof buf, "rm -rf '%s'", top);
	ck_assert_int_eq(system(buf), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("path");

	tcase_add_test(tc, test_dir_base);
	tcase_add_test(tc, test_mkdirs);
	suite_add_tcase(s, tc);
	return tmcheck_run(s);
}
