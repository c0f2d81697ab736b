/* check_log.c -- unit tests for log.c: prefixes, levels, errno, and the
 * rate limit of repeated messages.  Standard error is a temporary file for
 * each test, read back to see exactly what was written. */
#include "autoconf.h"

#include "tmcheck.h"
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

static char err_path[64];
static int saved_stderr = -1;

/* Points standard error at a new temporary file. */
static void
err_setup(void)
{
	int fd;

	/* What an earlier test left (with CK_FORK=no) goes to the real
	 * standard error. */
	log_set_rate_limit(LOG_RATE_BURST, LOG_RATE_INTERVAL_MS);
	strcpy(err_path, "/tmp/check_log.XXXXXX");
	fd = mkstemp(err_path);
	ck_assert_int_ne(fd, -1);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ne(dup2(fd, STDERR_FILENO), -1);
	close(fd);
	unsetenv("JOURNAL_STREAM");
	log_init(LOG_LEVEL_INFO);
}

/* Gives standard error back. */
static void
err_teardown(void)
{
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	unlink(err_path);
}

/* What was written to standard error so far (the caller frees it). */
static char *
err_text(void)
{
	FILE *fp = fopen(err_path, "r");
	char *text = calloc(1, 1 << 20);
	size_t n;

	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(text);
	n = fread(text, 1, (1 << 20) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	return text;
}

/* The number of times `needle' occurs in `hay'. */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* One call site, so one format string, for every call. */
static void
same_warning(int i)
{
	log_warnx("the same warning, number %d", i);
}

static void
other_warning(int i)
{
	log_warnx("another warning, number %d", i);
}

START_TEST(test_prefixes)
{
	char *text;

	log_set_level(LOG_LEVEL_DEBUG);
	log_errx("an error %d", 1);
	log_warnx("a warning");
	log_notice("a notice");
	log_info("some information");
	log_debug("a detail");
	text = err_text();
	ck_assert_str_eq(text, "tailmux: error: an error 1\n"
	                       "tailmux: warning: a warning\n"
	                       "tailmux: a notice\n"
	                       "tailmux: some information\n"
	                       "tailmux: debug: a detail\n");
	free(text);
}
END_TEST

/* With JOURNAL_STREAM naming standard error: syslog priorities. */
START_TEST(test_journal)
{
	struct stat st;
	char env[64];
	char *text;

	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_init(LOG_LEVEL_INFO);
	log_errx("an error");
	log_warnx("a warning");
	log_info("some information");
	log_debug("not written");
	text = err_text();
	ck_assert_str_eq(text,
	                 "<3>an error\n<4>a warning\n<6>some information\n");
	free(text);
}
END_TEST

START_TEST(test_level_and_errno)
{
	char *text;

	log_set_level(LOG_LEVEL_WARNING);
	log_info("not written");
	errno = ENOENT;
	log_warn("cannot open %s", "x.log");
	ck_assert_int_eq(errno, ENOENT);
	text = err_text();
	ck_assert_str_eq(text, "tailmux: warning: cannot open x.log: No such "
	                       "file or directory\n");
	free(text);
}
END_TEST

/* Past the burst, the same format is counted instead of written, and the
 * count is written by log_flush() with the last one. */
START_TEST(test_rate_burst)
{
	char *text;

	log_set_rate_limit(3, 60000);
	for (int i = 1; i <= 10; i++)
		same_warning(i);
	text = err_text();
	ck_assert_str_eq(text,
	                 "tailmux: warning: the same warning, number 1\n"
	                 "tailmux: warning: the same warning, number 2\n"
	                 "tailmux: warning: the same warning, number 3\n");
	free(text);
	log_flush();
	text = err_text();
	ck_assert_msg(strstr(text,
	                     "tailmux: warning: 7 similar messages "
	                     "suppressed (more than 3 in 60000 ms); the "
	                     "last: the same warning, number 10\n") != NULL,
	              "got:\n%s", text);
	ck_assert_int_eq(count(text, "\n"), 4);
	free(text);
	/* Said once: nothing is left to say. */
	log_flush();
	text = err_text();
	ck_assert_int_eq(count(text, "\n"), 4);
	free(text);
}
END_TEST

/* Each format string has its own count. */
START_TEST(test_rate_per_format)
{
	char *text;

	log_set_rate_limit(2, 60000);
	for (int i = 1; i <= 5; i++) {
		same_warning(i);
		other_warning(i);
	}
	log_info("a third message");
	text = err_text();
	ck_assert_int_eq(count(text, "the same warning"), 2);
	ck_assert_int_eq(count(text, "another warning"), 2);
	ck_assert_int_eq(count(text, "a third message"), 1);
	free(text);
	log_flush();
	text = err_text();
	ck_assert_int_eq(count(text, "3 similar messages suppressed"), 2);
	ck_assert_ptr_nonnull(strstr(text, "the last: the same warning, "
	                                   "number 5\n"));
	ck_assert_ptr_nonnull(strstr(text, "the last: another warning, "
	                                   "number 5\n"));
	free(text);
}
END_TEST

/* Once the window is over, the next message of any kind first says how
 * many were suppressed, and the format may be logged again. */
START_TEST(test_rate_window)
{
	uint64_t start;
	char *text, *sum, *again;

	log_set_rate_limit(2, 100);
	start = clock_ms();
	for (int i = 1; i <= 6; i++)
		same_warning(i);
	text = err_text();
	/* All six within the window, or the test proves nothing. */
	if (clock_ms() - start >= 100) {
		free(text);
		ck_abort_msg("six messages took 100 ms: too slow to test");
	}
	ck_assert_int_eq(count(text, "the same warning"), 2);
	free(text);
	while (clock_ms() - start < 150) /* until the window is over */
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	log_info("something else");
	text = err_text();
	sum = strstr(text, "tailmux: warning: 4 similar messages suppressed");
	ck_assert_msg(sum != NULL, "got:\n%s", text);
	ck_assert_ptr_nonnull(strstr(sum, "something else"));
	free(text);

	same_warning(7);
	same_warning(8);
	same_warning(9);
	text = err_text();
	again = strstr(text, "the same warning, number 7\n");
	ck_assert_msg(again != NULL, "got:\n%s", text);
	ck_assert_ptr_nonnull(strstr(again, "the same warning, number 8\n"));
	ck_assert_ptr_null(strstr(again, "number 9"));
	ck_assert_int_eq(count(text, "similar messages suppressed"), 1);
	free(text);
}
END_TEST

/* Debug messages and a limit of 0 are never suppressed. */
START_TEST(test_rate_exempt)
{
	char *text;

	log_set_level(LOG_LEVEL_DEBUG);
	log_set_rate_limit(1, 60000);
	for (int i = 0; i < 5; i++)
		log_debug("a detail %d", i);
	log_set_rate_limit(0, 60000);
	for (int i = 0; i < 5; i++)
		same_warning(i);
	log_flush();
	text = err_text();
	ck_assert_int_eq(count(text, "a detail"), 5);
	ck_assert_int_eq(count(text, "the same warning"), 5);
	ck_assert_int_eq(count(text, "suppressed"), 0);
	free(text);
}
END_TEST

/* More formats than the table has entries: each still gets its burst, and
 * an entry taken over says what it had suppressed first. */
START_TEST(test_rate_many_formats)
{
	static const char *const fmts[] = {
	    "f00 %d", "f01 %d", "f02 %d", "f03 %d", "f04 %d", "f05 %d",
	    "f06 %d", "f07 %d", "f08 %d", "f09 %d", "f10 %d", "f11 %d",
	    "f12 %d", "f13 %d", "f14 %d", "f15 %d", "f16 %d", "f17 %d",
	    "f18 %d", "f19 %d", "f20 %d", "f21 %d", "f22 %d", "f23 %d",
	    "f24 %d", "f25 %d", "f26 %d", "f27 %d", "f28 %d", "f29 %d",
	    "f30 %d", "f31 %d", "f32 %d", "f33 %d", "f34 %d", "f35 %d",
	    "f36 %d", "f37 %d", "f38 %d", "f39 %d"};
	size_t n = sizeof fmts / sizeof fmts[0];
	char *text;

	log_set_rate_limit(1, 60000);
	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < 3; i++)
			log_info(fmts[k], i);
	log_flush();
	text = err_text();
	/* One of each written, two of each counted and reported. */
	ck_assert_int_eq(count(text, " 0\n"), (int)n);
	ck_assert_int_eq(count(text, "2 similar messages suppressed"), (int)n);
	free(text);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, err_setup, err_teardown);
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_journal);
	tcase_add_test(tc, test_level_and_errno);
	tcase_add_test(tc, test_rate_burst);
	tcase_add_test(tc, test_rate_per_format);
	tcase_add_test(tc, test_rate_window);
	tcase_add_test(tc, test_rate_exempt);
	tcase_add_test(tc, test_rate_many_formats);
	suite_add_tcase(s, tc);
	return tmcheck_run(s);
}
