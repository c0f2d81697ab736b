/* check_config.c -- unit tests for config.c: a good file, every error and
 * its message, which input covers a path, the diff of two configurations,
 * durations and sizes. */
#include "autoconf.h"

#include "config.h"

#include "tmcheck.h"
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* The temporary directory of one test, its real name, and the files made
 * in it (removed by the teardown). */
static char tmp_dir[64];
static char *real_dir;
static char *made[64];
static size_t nmade;

/* Makes the temporary directory. */
static void
dir_setup(void)
{
	strcpy(tmp_dir, "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
	real_dir = realpath(tmp_dir, NULL);
	ck_assert_ptr_nonnull(real_dir);
	nmade = 0;
}

/* Removes every file made and the directory. */
static void
dir_teardown(void)
{
	while (nmade > 0) {
		unlink(made[--nmade]);
		rmdir(made[nmade]);
		free(made[nmade]);
	}
	rmdir(tmp_dir);
	free(real_dir);
}

/* Remembers a path for the teardown. */
static char *
made_add(char *path)
{
	ck_assert_uint_lt(nmade, sizeof made / sizeof made[0]);
	made[nmade++] = path;
	return path;
}

/* printf into a new string. */
static char *__attribute__((format(printf, 1, 2))) str(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&s, fmt, ap), 0);
	va_end(ap);
	return s;
}

/* Writes `len' bytes into a new file in the temporary directory; returns
 * its path. */
static char *
write_file(const char *text, size_t len)
{
	char *path = made_add(str("%s/cfg.XXXXXX", tmp_dir));
	int fd = mkstemp(path);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* The errors of the last load. */
static struct config_errors errs;

/* Loads the `len' bytes of text as a configuration file; returns the
 * configuration and sets *pathp to the file's name. */
static struct config *
load_len(const char *text, size_t len, char **pathp)
{
	char *path = write_file(text, len);

	config_errors_clear(&errs);
	if (pathp != NULL)
		*pathp = path;
	return config_load(path, &errs);
}

/* Loads text as a configuration file, as load_len() does. */
static struct config *
load(const char *text, char **pathp)
{
	return load_len(text, strlen(text), pathp);
}

/* The errors joined, for the log of a failing test. */
static const char *
errs_joined(void)
{
	static char all[2048];
	size_t off = 0;

	all[0] = '\0';
	for (size_t i = 0; i < errs.n && off < sizeof all - 1; i++)
		off += (size_t)snprintf(all + off, sizeof all - off, "\n  %s",
		                        errs.msgs[i]);
	return all;
}

/* Asserts the load failed with exactly one message, which is exactly
 * "FILE:LINE: [SECTION] KEY: " (or "FILE:LINE: [SECTION]: " without a
 * key, or "FILE:LINE: " without a section) followed by text holding
 * `why'. */
static void
expect_error_len(const char *text, size_t len, int line, const char *section,
                 const char *key, const char *why)
{
	char *path, *prefix;
	struct config *cfg = load_len(text, len, &path);

	/* Only the start of the text: Check cuts long messages short. */
	ck_assert_msg(cfg == NULL, "loaded a bad file:\n%.300s", text);
	ck_assert_msg(errs.n == 1, "%zu errors, want 1:%.2000s\nfor:\n%.300s",
	              errs.n, errs_joined(), text);
	if (section == NULL)
		prefix = str("%s:%d: ", path, line);
	else if (key == NULL)
		prefix = str("%s:%d: [%s]: ", path, line, section);
	else
		prefix = str("%s:%d: [%s] %s: ", path, line, section, key);
	ck_assert_msg(strncmp(errs.msgs[0], prefix, strlen(prefix)) == 0,
	              "message \"%.300s\" does not start with \"%s\"",
	              errs.msgs[0], prefix);
	ck_assert_msg(strstr(errs.msgs[0] + strlen(prefix), why) != NULL,
	              "message \"%.300s\" does not say \"%s\"", errs.msgs[0],
	              why);
	free(prefix);
	config_errors_clear(&errs);
}

/* expect_error_len() for a text without NUL bytes. */
static void
expect_error(const char *text, int line, const char *section, const char *key,
             const char *why)
{
	expect_error_len(text, strlen(text), line, section, key, why);
}

/* A valid input section, for files that test something else. */
#define INPUT "[input:a]\npath = /var/log/a.log\n"

START_TEST(test_good)
{
	static const char text[] = "; a full configuration\n"
	                           "# comments of both kinds\n"
	                           "[tailmux]\n"
	                           "workers = 3\n"
	                           "state_file = state/tailmux.state\n"
	                           "poll_interval = 250ms\n"
	                           "max_line = 64K\n"
	                           "log_level = debug\n"
	                           "stop_timeout = 2500ms\n"
	                           "\n"
	                           "[output]\n"
	                           "path = /var/log/merged.log\n"
	                           "format = json\n"
	                           "\n"
	                           "[input:web]\n"
	                           "path = /var/log/nginx/access.log\n"
	                           "path = logs/error.log\n"
	                           "tag = nginx\n"
	                           "start = end\n"
	                           "\n"
	                           "[input:sys.log-2_x]\n"
	                           "path = /var/log/syslog\n";
	char *path, *want;
	struct config *cfg = load(text, &path);
	struct config_input *in;

	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_str_eq(cfg->file, path);
	ck_assert_uint_eq(cfg->workers, 3);
	want = str("%s/state/tailmux.state", real_dir);
	ck_assert_str_eq(cfg->state_file, want);
	free(want);
	ck_assert_uint_eq(cfg->poll_interval, 250);
	ck_assert_uint_eq(cfg->max_line, 65536);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_DEBUG);
	ck_assert_uint_eq(cfg->stop_timeout, 2500);
	ck_assert_str_eq(cfg->output_path, "/var/log/merged.log");
	ck_assert_int_eq(cfg->format, FORMAT_JSON);
	ck_assert_uint_eq(cfg->ninputs, 2);

	in = &cfg->inputs[0];
	ck_assert_str_eq(in->name, "web");
	ck_assert_str_eq(in->tag, "nginx");
	ck_assert_int_eq(in->start, START_END);
	ck_assert_int_eq(in->line, 15);
	ck_assert_uint_eq(in->npaths, 2);
	ck_assert_str_eq(in->paths[0], "/var/log/nginx/access.log");
	want = str("%s/logs/error.log", real_dir);
	ck_assert_str_eq(in->paths[1], want);
	free(want);
	ck_assert_int_eq(in->path_lines[0], 16);
	ck_assert_int_eq(in->path_lines[1], 17);

	in = &cfg->inputs[1];
	ck_assert_str_eq(in->name, "sys.log-2_x");
	ck_assert_str_eq(in->tag, "sys.log-2_x"); /* the name by default */
	ck_assert_int_eq(in->start, START_HEAD);  /* head by default */
	ck_assert_int_eq(in->line, 21);
	ck_assert_uint_eq(in->npaths, 1);
	ck_assert_str_eq(in->paths[0], "/var/log/syslog");
	config_free(cfg);
	config_free(NULL);
}
END_TEST

START_TEST(test_defaults)
{
	const struct config_key *k;
	struct config *cfg = load(INPUT, NULL);
	const char *state_def = NULL, *out_def = NULL;

	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	for (k = config_keys(); k->name != NULL; k++) {
		if (k->section == CONFIG_SECTION_TAILMUX &&
		    strcmp(k->name, "state_file") == 0)
			state_def = k->def;
		if (k->section == CONFIG_SECTION_OUTPUT &&
		    strcmp(k->name, "path") == 0)
			out_def = k->def;
	}
	ck_assert_ptr_nonnull(state_def);
	ck_assert_ptr_nonnull(out_def);
	ck_assert_str_eq(cfg->state_file, state_def);
	ck_assert_str_eq(cfg->output_path, out_def);
	ck_assert_uint_ge(cfg->workers, 1);
	ck_assert_uint_le(cfg->workers, 256);
	ck_assert_uint_eq(cfg->poll_interval, 1000);
	ck_assert_uint_eq(cfg->max_line, 1024 * 1024);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_INFO);
	ck_assert_int_eq(cfg->format, FORMAT_RAW);
	ck_assert_uint_eq(cfg->ninputs, 1);
	ck_assert_str_eq(cfg->inputs[0].tag, "a");
	ck_assert_int_eq(cfg->inputs[0].start, START_HEAD);
	ck_assert_uint_eq(cfg->checkpoint_interval, 1000);
	ck_assert_uint_eq(cfg->stop_timeout, 10000);
	ck_assert_uint_eq(cfg->inputs[0].rotate_wait, 5000);
	ck_assert_uint_eq(cfg->inputs[0].max_files, 1024);
	ck_assert_uint_eq(cfg->max_pending, 16 * 1024 * 1024);
	ck_assert_uint_eq(cfg->inputs[0].rescan_interval, 10000);
	ck_assert_uint_eq(cfg->inputs[0].nexcludes, 0);
	config_free(cfg);
}
END_TEST

/* rotated_dir and rotated: kept as given; wildcards in the one and '/'
 * in the other are errors naming the line. */
START_TEST(test_rotated_keys)
{
	struct config *cfg;

	cfg = load("[input:a]\npath = /srv/a.log\nrotated_dir = old\n"
	           "rotated = a.log.old-*\n",
	           NULL);
	ck_assert_msg(cfg != NULL, "%s", errs_joined());
	ck_assert_str_eq(cfg->inputs[0].rotated_dir, "old");
	ck_assert_str_eq(cfg->inputs[0].rotated_glob, "a.log.old-*");
	config_free(cfg);
	cfg = load("[input:a]\npath = /srv/a.log\n", NULL);
	ck_assert_msg(cfg != NULL, "%s", errs_joined());
	ck_assert_ptr_null(cfg->inputs[0].rotated_dir);
	ck_assert_ptr_null(cfg->inputs[0].rotated_glob);
	config_free(cfg);
	expect_error("[input:a]\npath = /srv/a.log\nrotated_dir = old/*\n", 3,
	             "input:a", "rotated_dir", "without wildcards");
	expect_error("[input:a]\npath = /srv/a.log\nrotated = old/a.*\n", 3,
	             "input:a", "rotated", "without '/'");
}
END_TEST

/* dateformat: logrotate's specifiers only, at least one, no '/'. */
START_TEST(test_dateformat_key)
{
	static const char *const bad[] = {"-%Y%m%d%q", "-%Y/%m", "-static",
	                                  "-%%", "-%Y%"};
	struct config *cfg;
	char text[128];

	cfg = load("[input:a]\npath = /srv/a.log\ndateformat = .%Y-%m-%d_%%\n",
	           NULL);
	ck_assert_msg(cfg != NULL, "%s", errs_joined());
	ck_assert_str_eq(cfg->inputs[0].dateformat, ".%Y-%m-%d_%%");
	config_free(cfg);
	cfg = load("[input:a]\npath = /srv/a.log\n", NULL);
	ck_assert_msg(cfg != NULL, "%s", errs_joined());
	ck_assert_ptr_null(cfg->inputs[0].dateformat);
	config_free(cfg);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text,
		         "[input:a]\npath = /srv/a.log\ndateformat = %s\n",
		         bad[i]);
		expect_error(text, 3, "input:a", "dateformat",
		             "logrotate dateformat");
	}
}
END_TEST

/* Every key in the table, and the names of the formats. */
START_TEST(test_keys)
{
	static const char *const want[] = {"workers",
	                                   "state_file",
	                                   "poll_interval",
	                                   "max_line",
	                                   "log_level",
	                                   "checkpoint_interval",
	                                   "include",
	                                   "stop_timeout",
	                                   "path",
	                                   "format",
	                                   "max_pending",
	                                   "rotate_size",
	                                   "rotate_interval",
	                                   "rotate_utc",
	                                   "keep",
	                                   "max_age",
	                                   "compress",
	                                   "compress_level",
	                                   "fsync",
	                                   "fsync_interval",
	                                   "path",
	                                   "tag",
	                                   "start",
	                                   "rotate_wait",
	                                   "exclude",
	                                   "max_files",
	                                   "rescan_interval",
	                                   "rotated_dir",
	                                   "rotated",
	                                   "dateformat",
	                                   "protocol",
	                                   "target",
	                                   "format",
	                                   "window",
	                                   "reconnect_min",
	                                   "reconnect_max"};
	const struct config_key *k = config_keys();
	size_t n = 0;

	for (; k[n].name != NULL; n++) {
		ck_assert_uint_lt(n, sizeof want / sizeof want[0]);
		ck_assert_str_eq(k[n].name, want[n]);
	}
	ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
	ck_assert_str_eq(config_format_name(FORMAT_RAW), "raw");
	ck_assert_str_eq(config_format_name(FORMAT_TAGGED), "tagged");
	ck_assert_str_eq(config_format_name(FORMAT_JSON), "json");
}
END_TEST

/* Bounds that are just allowed. */
START_TEST(test_edges_accepted)
{
	struct config *cfg;

	cfg =
	    load("[tailmux]\nworkers = 1\npoll_interval = 10ms\n"
	         "max_line = 16\nlog_level = err\nstop_timeout = 100ms\n" INPUT,
	         NULL);
	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->workers, 1);
	ck_assert_uint_eq(cfg->poll_interval, 10);
	ck_assert_uint_eq(cfg->stop_timeout, 100);
	ck_assert_uint_eq(cfg->max_line, 16);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_ERR);
	config_free(cfg);

	cfg = load("[tailmux]\nworkers = 256\npoll_interval = 1h\n"
	           "max_line = 1G\nlog_level = warning\nstop_timeout = 1h\n"
	           "[output]\nformat = tagged\n" INPUT "start = head\n",
	           NULL);
	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->workers, 256);
	ck_assert_uint_eq(cfg->poll_interval, 3600000);
	ck_assert_uint_eq(cfg->stop_timeout, 3600000);
	ck_assert_uint_eq(cfg->max_line, 1 << 30);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_WARNING);
	ck_assert_int_eq(cfg->format, FORMAT_TAGGED);
	config_free(cfg);

	cfg = load("[tailmux]\npoll_interval = 5\nlog_level = notice\n"
	           "[output]\nformat = raw\n" INPUT,
	           NULL);
	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->poll_interval, 5000);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_NOTICE);
	config_free(cfg);
}
END_TEST

/* A relative configuration file name: paths still come out absolute. */
START_TEST(test_relative_file)
{
	char *path, *want;
	const char *base;
	struct config *cfg;
	int cwd = open(".", O_RDONLY | O_DIRECTORY);

	ck_assert_int_ne(cwd, -1);
	path = write_file(INPUT "path = rel.log\n",
	                  strlen(INPUT "path = rel.log\n"));
	base = strrchr(path, '/') + 1;
	ck_assert_int_eq(chdir(tmp_dir), 0);
	config_errors_clear(&errs);
	cfg = config_load(base, &errs);
	ck_assert_int_eq(fchdir(cwd), 0);
	close(cwd);
	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	want = str("%s/rel.log", real_dir);
	ck_assert_str_eq(cfg->inputs[0].paths[1], want);
	free(want);
	config_free(cfg);
}
END_TEST

START_TEST(test_inline_comments)
{
	struct config *cfg = load("[tailmux] ; the daemon\n"
	                          "workers = 7 ; seven\n"
	                          "log_level = debug ; chatty\n"
	                          "[output]\n"
	                          "format = tagged ; with tags\n"
	                          "[input:a]\n"
	                          "path = /var/log/a.log ; the file\n"
	                          "tag = t ; short\n",
	                          NULL);

	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->workers, 7);
	ck_assert_int_eq(cfg->format, FORMAT_TAGGED);
	ck_assert_str_eq(cfg->inputs[0].paths[0], "/var/log/a.log");
	ck_assert_str_eq(cfg->inputs[0].tag, "t");
	config_free(cfg);
}
END_TEST

/* A UTF-8 byte order mark, which inih skips, is no error either. */
START_TEST(test_bom)
{
	struct config *cfg =
	    load("\xef\xbb\xbf[tailmux]\nworkers = 2\n" INPUT, NULL);

	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->workers, 2);
	config_free(cfg);
}
END_TEST

START_TEST(test_crlf_file)
{
	struct config *cfg = load("[tailmux]\r\nworkers = 2\r\n"
	                          "[input:a]\r\npath = /var/log/a.log\r\n",
	                          NULL);

	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->workers, 2);
	ck_assert_str_eq(cfg->inputs[0].paths[0], "/var/log/a.log");
	config_free(cfg);
}
END_TEST

/* A value of about 5000 bytes comes through whole. */
START_TEST(test_long_value)
{
	size_t n = 5000;
	char *name = malloc(n + 1), *text;
	struct config *cfg;

	ck_assert_ptr_nonnull(name);
	name[0] = '/';
	for (size_t i = 1; i < n; i++)
		name[i] = i % 100 == 0 ? '/' : (char)('a' + i % 26);
	name[n] = '\0';
	text = str("[tailmux]\nworkers = 2\n[input:a]\npath = %s\n"
	           "tag = after\n[input:b]\npath = /b.log\n",
	           name);
	cfg = load(text, NULL);
	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->inputs[0].npaths, 1);
	ck_assert_uint_eq(strlen(cfg->inputs[0].paths[0]), n);
	ck_assert_str_eq(cfg->inputs[0].paths[0], name);
	ck_assert_int_eq(cfg->inputs[0].path_lines[0], 4);
	ck_assert_str_eq(cfg->inputs[0].tag, "after");
	ck_assert_int_eq(cfg->inputs[1].line, 6);
	config_free(cfg);
	free(text);
	free(name);
}
END_TEST

/* A line of `len' bytes before its newline: "path = /xxx...". */
static char *
long_line_file(size_t len)
{
	char *line = malloc(len + 1), *text;

	ck_assert_ptr_nonnull(line);
	memcpy(line, "path = /", 8);
	for (size_t i = 8; i < len; i++)
		line[i] = (char)('a' + i % 26);
	line[len] = '\0';
	text = str("[input:a]\n%s\n[input:b]\npath = /b.log\n", line);
	free(line);
	return text;
}

/* The longest line allowed (65533 bytes) is taken whole. */
START_TEST(test_line_max)
{
	char *text = long_line_file(65533);
	struct config *cfg = load(text, NULL);

	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(strlen(cfg->inputs[0].paths[0]), 65533 - 7);
	ck_assert_mem_eq(cfg->inputs[0].paths[0], text + 10 + 7, 65533 - 7);
	ck_assert_int_eq(cfg->inputs[1].line, 3);
	config_free(cfg);
	free(text);
}
END_TEST

/* Longer lines are an error naming the line, never a cut value. */
START_TEST(test_line_too_long)
{
	static const size_t lens[] = {65534, 65535, 65536,
	                              65537, 70000, 200000};
	char *text = long_line_file(lens[_i]);

	expect_error(text, 2, NULL, NULL, "line is longer than 65533 bytes");
	free(text);
}
END_TEST

START_TEST(test_missing_file)
{
	char *path = str("%s/does-not-exist.ini", tmp_dir), *want;
	struct config *cfg;

	config_errors_clear(&errs);
	cfg = config_load(path, &errs);
	ck_assert_ptr_null(cfg);
	ck_assert_uint_eq(errs.n, 1);
	want = str("%s: cannot open: ", path);
	ck_assert_msg(strncmp(errs.msgs[0], want, strlen(want)) == 0,
	              "message \"%s\"", errs.msgs[0]);
	ck_assert_ptr_nonnull(strstr(errs.msgs[0], strerror(ENOENT)));
	config_errors_clear(&errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_null(errs.msgs);
	free(want);
	free(path);
}
END_TEST

START_TEST(test_no_input)
{
	char *path, *want;
	struct config *cfg = load("[tailmux]\nworkers = 2\n", &path);

	ck_assert_ptr_null(cfg);
	ck_assert_uint_eq(errs.n, 1);
	want = str("%s: no [input:NAME] section", path);
	ck_assert_msg(strncmp(errs.msgs[0], want, strlen(want)) == 0,
	              "message \"%s\"", errs.msgs[0]);
	free(want);
}
END_TEST

START_TEST(test_err_unknown_section)
{
	/* Its keys are not reported again. */
	expect_error(INPUT "[bogus]\nfoo = 1\nworkers = 2\n", 3, "bogus", NULL,
	             "unknown section");
	expect_error("[Tailmux]\n" INPUT, 1, "Tailmux", NULL,
	             "unknown section");
	expect_error(INPUT "[]\n", 3, "", NULL, "unknown section");
}
END_TEST

START_TEST(test_err_unknown_key)
{
	expect_error("[tailmux]\nworkerz = 2\n" INPUT, 2, "tailmux", "workerz",
	             "unknown key");
	/* A key of another section. */
	expect_error("[tailmux]\nformat = raw\n" INPUT, 2, "tailmux", "format",
	             "unknown key");
	expect_error("[output]\nworkers = 2\n" INPUT, 2, "output", "workers",
	             "unknown key");
	expect_error(INPUT "state_file = /x\n", 3, "input:a", "state_file",
	             "unknown key");
}
END_TEST

START_TEST(test_err_workers)
{
	static const char *const bad[] = {
	    "0", "257", "abc", "-1", "4x", "1.5", "99999999999999999999"};
	char *text;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		text = str("[tailmux]\n\nworkers = %s\n" INPUT, bad[i]);
		expect_error(text, 3, "tailmux", "workers",
		             "expected a whole number from 1 to 256");
		ck_assert_ptr_nonnull(strstr(text, bad[i]));
		free(text);
	}
	expect_error("[tailmux]\nworkers =\n" INPUT, 2, "tailmux", "workers",
	             "value is empty");
}
END_TEST

START_TEST(test_err_poll_interval)
{
	expect_error("[tailmux]\npoll_interval = 5x\n" INPUT, 2, "tailmux",
	             "poll_interval", "unknown duration unit");
	expect_error("[tailmux]\npoll_interval = 5ms\n" INPUT, 2, "tailmux",
	             "poll_interval", "must be from 10ms to 1h");
	expect_error("[tailmux]\npoll_interval = 9ms\n" INPUT, 2, "tailmux",
	             "poll_interval", "must be from 10ms to 1h");
	expect_error("[tailmux]\npoll_interval = 0\n" INPUT, 2, "tailmux",
	             "poll_interval", "must be from 10ms to 1h");
	expect_error("[tailmux]\npoll_interval = 61m\n" INPUT, 2, "tailmux",
	             "poll_interval", "must be from 10ms to 1h");
	expect_error("[tailmux]\npoll_interval = 3600001ms\n" INPUT, 2,
	             "tailmux", "poll_interval", "must be from 10ms to 1h");
	expect_error("[tailmux]\npoll_interval = fast\n" INPUT, 2, "tailmux",
	             "poll_interval", "expected a duration");
}
END_TEST

START_TEST(test_err_stop_timeout)
{
	expect_error("[tailmux]\nstop_timeout = 99ms\n" INPUT, 2, "tailmux",
	             "stop_timeout", "must be from 100ms to 1h");
	expect_error("[tailmux]\nstop_timeout = 0\n" INPUT, 2, "tailmux",
	             "stop_timeout", "must be from 100ms to 1h");
	expect_error("[tailmux]\nstop_timeout = 3601s\n" INPUT, 2, "tailmux",
	             "stop_timeout", "must be from 100ms to 1h");
	expect_error("[tailmux]\nstop_timeout = soon\n" INPUT, 2, "tailmux",
	             "stop_timeout", "expected a duration");
}
END_TEST

START_TEST(test_err_max_pending)
{
	expect_error("[output]\nmax_pending = 63K\n" INPUT, 2, "output",
	             "max_pending", "must be from 64K to 4G");
	expect_error("[output]\nmax_pending = 5G\n" INPUT, 2, "output",
	             "max_pending", "must be from 64K to 4G");
	expect_error("[output]\nmax_pending = lots\n" INPUT, 2, "output",
	             "max_pending", "expected a size");
}
END_TEST

/* The rotation, retention, compression and fsync keys: defaults, every
 * spelling, and the bounds. */
START_TEST(test_output_rotation)
{
	struct config *cfg;

	cfg = load(INPUT, NULL);
	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->rotate_size, 0);
	ck_assert_int_eq(cfg->rotate_period, ROTATE_DAILY);
	ck_assert_int_eq(cfg->rotate_utc, 0);
	ck_assert_uint_eq(cfg->keep, 7);
	ck_assert_uint_eq(cfg->max_age, 0);
	ck_assert_int_eq(cfg->compress, COMPRESS_NONE);
	ck_assert_int_eq(cfg->compress_level, 6);
	ck_assert_int_eq(cfg->fsync, FSYNC_INTERVAL);
	ck_assert_uint_eq(cfg->fsync_interval, 1000);
	config_free(cfg);

	cfg = load("[output]\nrotate_size = 4K\nrotate_interval = hourly\n"
	           "rotate_utc = yes\nkeep = 0\nmax_age = 30d\n"
	           "compress = gzip\ncompress_level = 9\nfsync = always\n"
	           "fsync_interval = 10ms\n" INPUT,
	           NULL);
	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->rotate_size, 4096);
	ck_assert_int_eq(cfg->rotate_period, ROTATE_HOURLY);
	ck_assert_int_eq(cfg->rotate_utc, 1);
	ck_assert_uint_eq(cfg->keep, 0);
	ck_assert_uint_eq(cfg->max_age, 30ULL * 86400000);
	ck_assert_int_eq(cfg->compress, COMPRESS_GZIP);
	ck_assert_int_eq(cfg->compress_level, 9);
	ck_assert_int_eq(cfg->fsync, FSYNC_ALWAYS);
	ck_assert_uint_eq(cfg->fsync_interval, 10);
	config_free(cfg);

	cfg = load("[output]\nrotate_size = 1T\nrotate_interval = 15m\n"
	           "rotate_utc = off\nfsync = never\n" INPUT,
	           NULL);
	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->rotate_size, 1ULL << 40);
	ck_assert_int_eq(cfg->rotate_period, ROTATE_EVERY);
	ck_assert_uint_eq(cfg->rotate_every, 900000);
	ck_assert_int_eq(cfg->fsync, FSYNC_NEVER);
	config_free(cfg);

	cfg = load("[output]\nrotate_interval = none\nrotate_size = 0\n"
	           "fsync = rotate\n" INPUT,
	           NULL);
	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_int_eq(cfg->rotate_period, ROTATE_NONE);
	ck_assert_int_eq(cfg->fsync, FSYNC_ROTATE);
	ck_assert_str_eq(config_fsync_name(FSYNC_ROTATE), "rotate");
	config_free(cfg);
}
END_TEST

START_TEST(test_err_output_rotation)
{
	expect_error("[output]\nrotate_size = 4095\n" INPUT, 2, "output",
	             "rotate_size", "must be 0 (off) or from 4K to 1T");
	expect_error("[output]\nrotate_size = 2T\n" INPUT, 2, "output",
	             "rotate_size", "must be 0 (off) or from 4K to 1T");
	expect_error("[output]\nrotate_interval = weekly\n" INPUT, 2, "output",
	             "rotate_interval",
	             "expected none, hourly, daily or a duration: \"weekly\"");
	expect_error("[output]\nrotate_interval = 1500ms\n" INPUT, 2, "output",
	             "rotate_interval",
	             "a duration must be whole seconds from 1s to 1d");
	expect_error("[output]\nrotate_interval = 2d\n" INPUT, 2, "output",
	             "rotate_interval",
	             "a duration must be whole seconds from 1s to 1d");
	expect_error("[output]\nrotate_interval = 7s\n" INPUT, 2, "output",
	             "rotate_interval", "a duration must divide a day");
	expect_error("[output]\nrotate_utc = maybe\n" INPUT, 2, "output",
	             "rotate_utc", "expected yes or no");
	expect_error("[output]\nkeep = -1\n" INPUT, 2, "output", "keep",
	             "expected a whole number from 0 (no limit) to 100000");
	expect_error("[output]\nmax_age = forever\n" INPUT, 2, "output",
	             "max_age", "");
	expect_error("[output]\ncompress = xz\n" INPUT, 2, "output", "compress",
	             "expected none or gzip");
	expect_error("[output]\ncompress_level = 0\n" INPUT, 2, "output",
	             "compress_level", "from 1 (fastest) to 9 (smallest)");
	expect_error("[output]\nfsync = sometimes\n" INPUT, 2, "output",
	             "fsync", "expected never, rotate, interval or always");
	expect_error("[output]\nfsync_interval = 5ms\n" INPUT, 2, "output",
	             "fsync_interval", "must be from 10ms to 1h");
}
END_TEST

START_TEST(test_err_max_line)
{
	expect_error("[tailmux]\nmax_line = 15\n" INPUT, 2, "tailmux",
	             "max_line", "must be from 16 bytes to 1G");
	expect_error("[tailmux]\nmax_line = 0\n" INPUT, 2, "tailmux",
	             "max_line", "must be from 16 bytes to 1G");
	expect_error("[tailmux]\nmax_line = 2G\n" INPUT, 2, "tailmux",
	             "max_line", "must be from 16 bytes to 1G");
	expect_error("[tailmux]\nmax_line = 1073741825\n" INPUT, 2, "tailmux",
	             "max_line", "must be from 16 bytes to 1G");
	expect_error("[tailmux]\nmax_line = lots\n" INPUT, 2, "tailmux",
	             "max_line", "expected a size");
	expect_error("[tailmux]\nmax_line = 64Q\n" INPUT, 2, "tailmux",
	             "max_line", "unknown size unit");
	expect_error("[tailmux]\nmax_line = 64KBytes\n" INPUT, 2, "tailmux",
	             "max_line", "unknown size unit");
}
END_TEST

START_TEST(test_err_enums)
{
	expect_error("[output]\nformat = xml\n" INPUT, 2, "output", "format",
	             "expected raw, tagged or json: \"xml\"");
	expect_error("[output]\nformat = JSON\n" INPUT, 2, "output", "format",
	             "expected raw, tagged or json");
	expect_error(INPUT "start = middle\n", 3, "input:a", "start",
	             "expected head or end: \"middle\"");
	expect_error("[tailmux]\nlog_level = loud\n" INPUT, 2, "tailmux",
	             "log_level",
	             "expected err, warning, notice, info or debug");
	expect_error("[output]\nformat =\n" INPUT, 2, "output", "format",
	             "value is empty");
}
END_TEST

START_TEST(test_err_tag)
{
	char *text, long_tag[300];

	expect_error(INPUT "tag = a b\n", 3, "input:a", "tag",
	             "may not hold spaces");
	expect_error(INPUT "tag = a\tb\n", 3, "input:a", "tag",
	             "may not hold spaces");
	/* The file's own check comes first. */
	expect_error(INPUT "tag = a\x01z\n", 3, NULL, NULL,
	             "control character 0x01");
	memset(long_tag, 'x', 257);
	long_tag[257] = '\0';
	text = str(INPUT "tag = %s\n", long_tag);
	expect_error(text, 3, "input:a", "tag", "longer than 256");
	free(text);
	long_tag[256] = '\0';
	text = str(INPUT "tag = %s\n", long_tag);
	config_free(load(text, NULL));
	ck_assert_msg(errs.n == 0, "a 256-byte tag:%s", errs_joined());
	free(text);
}
END_TEST

START_TEST(test_err_duplicate_key)
{
	expect_error("[tailmux]\nworkers = 2\n\nworkers = 3\n" INPUT, 4,
	             "tailmux", "workers", "given twice (first at line 2)");
	expect_error("[output]\nformat = raw\nformat = raw\n" INPUT, 3,
	             "output", "format", "given twice (first at line 2)");
	expect_error(INPUT "tag = x\ntag = y\n", 4, "input:a", "tag",
	             "given twice (first at line 3)");
}
END_TEST

START_TEST(test_err_duplicate_section)
{
	expect_error(
	    "[tailmux]\nworkers = 2\n[tailmux]\nlog_level = info\n" INPUT, 3,
	    "tailmux", NULL, "section given twice (first at line 1)");
	expect_error(INPUT "[input:b]\npath = /b\n[input:a]\npath = /c\n", 5,
	             "input:a", NULL, "section given twice (first at line 1)");
}
END_TEST

START_TEST(test_err_input_names)
{
	expect_error(INPUT "[input:]\npath = /x\n", 3, "input:", NULL,
	             "an input needs a name");
	expect_error(INPUT "[input:a/b]\npath = /x\n", 3, "input:a/b", NULL,
	             "only letters, digits");
	expect_error(INPUT "[input:a b]\npath = /x\n", 3, "input:a b", NULL,
	             "only letters, digits");
	expect_error(INPUT "[input:é]\npath = /x\n", 3, "input:é", NULL,
	             "only letters, digits");
}
END_TEST

START_TEST(test_err_input_without_path)
{
	expect_error(INPUT "\n[input:b]\ntag = b\n", 4, "input:b", "path",
	             "missing");
}
END_TEST

/* An empty path is reported where it is, and the input still has none. */
START_TEST(test_err_input_empty_path)
{
	char *path, *want[2];
	struct config *cfg = load(INPUT "[input:b]\npath =\n", &path);

	ck_assert_ptr_null(cfg);
	ck_assert_msg(errs.n == 2, "%zu errors:%s", errs.n, errs_joined());
	want[0] = str("%s:4: [input:b] path: value is empty", path);
	want[1] = str("%s:3: [input:b] path: missing", path);
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(strncmp(errs.msgs[i], want[i], strlen(want[i])) ==
		                  0,
		              "message %d \"%s\", want \"%s...\"", i,
		              errs.msgs[i], want[i]);
		free(want[i]);
	}
}
END_TEST

START_TEST(test_err_output_is_input)
{
	char *text, *real, *lnk;

	expect_error("[output]\npath = /var/log/x.log\n"
	             "[input:a]\npath = /var/log/x.log\n",
	             4, "input:a", "path",
	             "/var/log/x.log is also the [output] path");
	/* Relative and absolute spellings of one file. */
	text = str("[output]\npath = %s/out.log\n[input:a]\npath = /y.log\n"
	           "path = out.log\n",
	           real_dir);
	expect_error(text, 5, "input:a", "path", "is also the [output] path");
	free(text);
	/* Two names of one existing file. */
	real = made_add(str("%s/real.log", tmp_dir));
	lnk = made_add(str("%s/link.log", tmp_dir));
	close(open(real, O_CREAT | O_WRONLY, 0644));
	ck_assert_int_eq(link(real, lnk), 0);
	text = str("[output]\npath = real.log\n[input:a]\npath = link.log\n");
	expect_error(text, 4, "input:a", "path", "is also the [output] path");
	free(text);
	/* The state file is no input either. */
	expect_error("[tailmux]\nstate_file = /s\n[input:a]\npath = /s\n", 4,
	             "input:a", "path", "is also [tailmux] state_file");
}
END_TEST

START_TEST(test_err_path_twice)
{
	expect_error("[input:a]\npath = /x.log\n\n[input:b]\npath = /y.log\n"
	             "path = /x.log\n",
	             6, "input:b", "path",
	             "/x.log is already tailed by [input:a] (line 2)");
	expect_error("[input:a]\npath = /x.log\npath = /x.log\n", 3, "input:a",
	             "path", "/x.log is already tailed by [input:a] (line 2)");
}
END_TEST

START_TEST(test_err_before_section)
{
	expect_error("workers = 2\n" INPUT, 1, NULL, NULL,
	             "\"workers\" appears before any [section]");
	expect_error("; comment\n\nfoo = bar\n" INPUT, 3, NULL, NULL,
	             "\"foo\" appears before any [section]");
}
END_TEST

START_TEST(test_err_syntax)
{
	expect_error(INPUT "just some words\n", 3, NULL, NULL,
	             "expected \"key = value\"");
	expect_error("[tailmux]\nworkers\n" INPUT, 2, NULL, NULL,
	             "expected \"key = value\"");
}
END_TEST

START_TEST(test_err_unterminated_section)
{
	expect_error(INPUT "[output\n", 3, NULL, NULL,
	             "section header lacks its closing ']'");
	/* Its keys belong to no section: not reported against the last. */
	expect_error("[tailmux]\nworkers = 2\n[output\nformat = json\n" INPUT,
	             3, NULL, NULL, "section header lacks its closing ']'");
}
END_TEST

/* A NUL byte or a control character is an error naming its line and
 * column; it neither joins the next line to its own nor shifts the line
 * numbers after it. */
START_TEST(test_err_bad_bytes)
{
	static const char nul[] = "[input:a]\n"
	                          "path = /var/log/a.log\n"
	                          "tag = x\0\n"
	                          "[input:b]\n"
	                          "path = /var/log/b.log\n";
	static const char nul_then[] = "[input:a]\n"
	                               "path = /a\n"
	                               "tag = x\0\n"
	                               "[input:b]\n"
	                               "bogus = 1\n"
	                               "path = /b\n";
	static const char nul_first[] = "\0\n" INPUT;
	char *path, *want;
	struct config *cfg;

	expect_error_len(nul, sizeof nul - 1, 3, NULL, NULL,
	                 "line holds a NUL byte at column 8; a configuration "
	                 "file is text");
	expect_error_len(nul_first, sizeof nul_first - 1, 1, NULL, NULL,
	                 "NUL byte at column 1");

	cfg = load_len(nul_then, sizeof nul_then - 1, &path);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(errs.n == 2, "%zu errors:%s", errs.n, errs_joined());
	want = str("%s:3: line holds a NUL byte at column 8", path);
	ck_assert_msg(strncmp(errs.msgs[0], want, strlen(want)) == 0,
	              "message \"%s\", want \"%s...\"", errs.msgs[0], want);
	free(want);
	want = str("%s:5: [input:b] bogus: unknown key", path);
	ck_assert_str_eq(errs.msgs[1], want);
	free(want);
	config_errors_clear(&errs);

	expect_error(INPUT "tag = x\033[0m\n", 3, NULL, NULL,
	             "line holds control character 0x1b at column 8; a "
	             "configuration file is text");
	expect_error(INPUT "tag = a\rb\n", 3, NULL, NULL,
	             "control character 0x0d at column 8");
	expect_error(INPUT "tag = a\fb\n", 3, NULL, NULL,
	             "control character 0x0c at column 8");
	expect_error(INPUT "\vtag = ab\n", 3, NULL, NULL,
	             "control character 0x0b at column 1");
	/* Once per line, at its first bad byte. */
	expect_error(INPUT "tag = \001\002\003\n", 3, NULL, NULL,
	             "control character 0x01 at column 7");
	/* In a comment too: the file is not text. */
	expect_error("; a\x7f\n" INPUT, 1, NULL, NULL,
	             "control character 0x7f at column 4");
	/* A header that cannot be read: its keys are not blamed on the
	 * section above it. */
	expect_error(
	    "[tailmux]\nworkers = 2\n[out\001put]\nformat = json\n" INPUT, 3,
	    NULL, NULL, "control character 0x01 at column 5");
}
END_TEST

/* UTF-8 text, tabs and CRLF line ends are text. */
START_TEST(test_text_accepted)
{
	struct config *cfg = load("; caf\xc3\xa9, \xe6\x97\xa5\xe6\x9c\xac, "
	                          "\xf0\x9f\x93\x9c\r\n"
	                          "[input:a]\r\n"
	                          "\tpath\t=\t/var/log/caf\xc3\xa9.log\t\r\n"
	                          "path = /var/log/\xe6\x97\xa5.log",
	                          NULL);

	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->inputs[0].npaths, 2);
	ck_assert_str_eq(cfg->inputs[0].paths[0], "/var/log/caf\xc3\xa9.log");
	ck_assert_str_eq(cfg->inputs[0].paths[1], "/var/log/\xe6\x97\xa5.log");
	config_free(cfg);
}
END_TEST

/* Three independent errors: three messages, in order. */
START_TEST(test_all_errors)
{
	char *path, *want[3];
	struct config *cfg = load("[tailmux]\n"
	                          "workers = 0\n"
	                          "bogus = 1\n"
	                          "[output]\n"
	                          "format = xml\n" INPUT,
	                          &path);

	ck_assert_ptr_null(cfg);
	ck_assert_msg(errs.n == 3, "%zu errors:%s", errs.n, errs_joined());
	want[0] = str("%s:2: [tailmux] workers: ", path);
	want[1] = str("%s:3: [tailmux] bogus: unknown key", path);
	want[2] = str("%s:5: [output] format: ", path);
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(strncmp(errs.msgs[i], want[i], strlen(want[i])) ==
		                  0,
		              "message %d \"%s\", want \"%s...\"", i,
		              errs.msgs[i], want[i]);
		free(want[i]);
	}

	/* Errors of every kind at once. */
	cfg = load("x = 1\n"
	           "[tailmux]\n"
	           "workers = abc\n"
	           "no equals sign\n"
	           "[nope]\n"
	           "[input:a]\n"
	           "path = /a\n"
	           "start = sideways\n"
	           "[input:b]\n"
	           "[input:a]\n"
	           "[unterminated\n",
	           &path);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(errs.n == 8, "%zu errors:%s", errs.n, errs_joined());
}
END_TEST

START_TEST(test_errors_append)
{
	struct config_errors e = {0};
	char *p1 = write_file("[bad]\n", 6), *p2 = write_file("x\n", 2);

	ck_assert_ptr_null(config_load(p1, &e));
	ck_assert_uint_eq(e.n, 2); /* the section, and no input */
	ck_assert_ptr_null(config_load(p2, &e));
	ck_assert_uint_eq(e.n, 4);
	ck_assert_ptr_nonnull(strstr(e.msgs[0], p1));
	ck_assert_ptr_nonnull(strstr(e.msgs[2], p2));
	config_errors_clear(&e);
	ck_assert_uint_eq(e.n, 0);
	config_errors_clear(&e);
}
END_TEST

/* Asserts config_parse_duration(s) gives `want' milliseconds. */
static void
ck_duration(const char *s, uint64_t want)
{
	uint64_t ms = 12345;
	const char *why = NULL;

	ck_assert_msg(config_parse_duration(s, &ms, &why) == 0, "\"%s\": %s", s,
	              why);
	ck_assert_msg(ms == want, "\"%s\": %llu, want %llu", s,
	              (unsigned long long)ms, (unsigned long long)want);
}

/* Asserts config_parse_duration(s) fails with a reason. */
static void
ck_duration_bad(const char *s)
{
	uint64_t ms = 12345;
	const char *why = NULL;

	ck_assert_msg(config_parse_duration(s, &ms, &why) == -1,
	              "\"%s\" was accepted as %llu", s, (unsigned long long)ms);
	ck_assert_ptr_nonnull(why);
	ck_assert_uint_gt(strlen(why), 0);
	ck_assert_uint_eq(ms, 12345);
}

START_TEST(test_duration)
{
	ck_duration("250ms", 250);
	ck_duration("1s", 1000);
	ck_duration("5m", 300000);
	ck_duration("1h", 3600000);
	ck_duration("1d", 86400000);
	ck_duration("7", 7000);
	ck_duration("0", 0);
	ck_duration("0ms", 0);
	ck_duration("18446744073709551615ms", UINT64_MAX);
	ck_duration("213503982334d", 213503982334ULL * 86400000);

	ck_duration_bad("");
	ck_duration_bad(" ");
	ck_duration_bad("-1");
	ck_duration_bad("-1s");
	ck_duration_bad("+1s");
	ck_duration_bad("s");
	ck_duration_bad("ms");
	ck_duration_bad("1x");
	ck_duration_bad("1sx");
	ck_duration_bad("1msec");
	ck_duration_bad("1S");
	ck_duration_bad("1.5s");
	ck_duration_bad("1 s");
	ck_duration_bad("0x10");
	ck_duration_bad("99999999999999999999");
	ck_duration_bad("18446744073709551616ms");
	ck_duration_bad("18446744073709551615s");
	ck_duration_bad("213503982335d");
}
END_TEST

/* Asserts config_parse_size(s) gives `want' bytes. */
static void
ck_size(const char *s, uint64_t want)
{
	uint64_t b = 12345;
	const char *why = NULL;

	ck_assert_msg(config_parse_size(s, &b, &why) == 0, "\"%s\": %s", s,
	              why);
	ck_assert_msg(b == want, "\"%s\": %llu, want %llu", s,
	              (unsigned long long)b, (unsigned long long)want);
}

/* Asserts config_parse_size(s) fails with a reason. */
static void
ck_size_bad(const char *s)
{
	uint64_t b = 12345;
	const char *why = NULL;

	ck_assert_msg(config_parse_size(s, &b, &why) == -1,
	              "\"%s\" was accepted as %llu", s, (unsigned long long)b);
	ck_assert_ptr_nonnull(why);
	ck_assert_uint_gt(strlen(why), 0);
	ck_assert_uint_eq(b, 12345);
}

START_TEST(test_size)
{
	ck_size("4096", 4096);
	ck_size("0", 0);
	ck_size("64K", 65536);
	ck_size("64KB", 65536);
	ck_size("64KiB", 65536);
	ck_size("1M", 1048576);
	ck_size("1MB", 1048576);
	ck_size("1MiB", 1048576);
	ck_size("2G", 2ULL << 30);
	ck_size("1T", 1ULL << 40);
	ck_size("3TiB", 3ULL << 40);
	ck_size("16777215T", 16777215ULL << 40);
	ck_size("18446744073709551615", UINT64_MAX);

	ck_size_bad("");
	ck_size_bad(" ");
	ck_size_bad("-1");
	ck_size_bad("-1K");
	ck_size_bad("K");
	ck_size_bad("1x");
	ck_size_bad("1MBx");
	ck_size_bad("1KiBB");
	ck_size_bad("1Ki");
	ck_size_bad("1P");
	ck_size_bad("1 K");
	ck_size_bad("1.5M");
	ck_size_bad("1B");
	ck_size_bad("99999999999999999999");
	ck_size_bad("18446744073709551616");
	ck_size_bad("20000000T");
	ck_size_bad("16777216T");
	ck_size_bad("17179869184G");
}
END_TEST

/* Writes `text' into tmp_dir/`rel' (its directory must exist); returns the
 * file's real path, as an included file is named in messages. */
static char *
put(const char *rel, const char *text)
{
	char *path = made_add(str("%s/%s", tmp_dir, rel));
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return str("%s/%s", real_dir, rel);
}

/* Makes the directory tmp_dir/`rel'. */
static void
put_dir(const char *rel)
{
	char *path = made_add(str("%s/%s", tmp_dir, rel));

	ck_assert_int_eq(mkdir(path, 0755), 0);
}

/* Asserts error `i' of the last load starts with "FILE:LINE: " and holds
 * `why'. */
static void
expect_msg(size_t i, const char *file, int line, const char *why)
{
	char *prefix = str("%s:%d: ", file, line);

	ck_assert_msg(i < errs.n, "no error %zu:%s", i, errs_joined());
	ck_assert_msg(strncmp(errs.msgs[i], prefix, strlen(prefix)) == 0,
	              "message \"%.300s\" does not start with \"%s\"",
	              errs.msgs[i], prefix);
	ck_assert_msg(strstr(errs.msgs[i], why) != NULL,
	              "message \"%.300s\" does not say \"%s\"", errs.msgs[i],
	              why);
	free(prefix);
}

/* Included files are read after the main one, each pattern's matches in
 * byte order; directories, hidden files and the main file are skipped;
 * relative paths are taken from the included file's directory. */
START_TEST(test_include_order)
{
	char *main, *a, *b, *extra, *want;
	struct config *cfg;

	put_dir("conf.d");
	put_dir("conf.d/sub.ini");
	put_dir("more");
	b = put("conf.d/b.ini", "[input:b]\npath = b.log\n");
	a = put("conf.d/a.ini", "; app a\n\n[input:a]\npath = /a.log\n"
	                        "[input:a2]\npath = /a2.log\n");
	free(put("conf.d/.hidden.ini", "[bad\n"));
	free(put("conf.d/c.ini.disabled", "[bad\n"));
	extra = put("more/extra.ini", "[input:e]\npath = ../e.log\n");
	main = put("main.ini", "[tailmux]\ninclude = conf.d/*.ini\n"
	                       "include = more/extra.ini\ninclude = *.ini\n"
	                       "[input:m]\npath = /m.log\n");
	config_errors_clear(&errs);
	cfg = config_load(main, &errs);
	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->ninputs, 5);
	ck_assert_str_eq(cfg->inputs[0].name, "m");
	ck_assert_str_eq(cfg->inputs[0].file, main);
	ck_assert_str_eq(cfg->inputs[1].name, "a");
	ck_assert_str_eq(cfg->inputs[1].file, a);
	ck_assert_int_eq(cfg->inputs[1].line, 3);
	ck_assert_str_eq(cfg->inputs[2].name, "a2");
	ck_assert_str_eq(cfg->inputs[3].name, "b");
	ck_assert_str_eq(cfg->inputs[3].file, b);
	want = str("%s/conf.d/b.log", real_dir);
	ck_assert_str_eq(cfg->inputs[3].paths[0], want);
	free(want);
	ck_assert_str_eq(cfg->inputs[4].name, "e");
	want = str("%s/more/../e.log", real_dir);
	ck_assert_str_eq(cfg->inputs[4].paths[0], want);
	free(want);
	ck_assert_uint_eq(cfg->nincludes, 3);
	want = str("%s/conf.d/*.ini", real_dir);
	ck_assert_str_eq(cfg->includes[0], want);
	free(want);
	ck_assert_int_eq(cfg->include_lines[1], 3);
	ck_assert_uint_eq(cfg->nincluded, 3); /* main.ini itself is not */
	ck_assert_str_eq(cfg->included[0], a);
	ck_assert_str_eq(cfg->included[1], b);
	ck_assert_str_eq(cfg->included[2], extra);
	config_free(cfg);
	free(a);
	free(b);
	free(extra);
	free(main);
}
END_TEST

/* A pattern that matches nothing, in a directory that is empty or missing,
 * is no error. */
START_TEST(test_include_none)
{
	char *main;
	struct config *cfg;

	put_dir("conf.d");
	main = put("main.ini", "[tailmux]\ninclude = conf.d/*.ini\n"
	                       "include = nowhere/*.ini\n"
	                       "include = /nonexistent-dir/x.ini\n" INPUT);
	config_errors_clear(&errs);
	cfg = config_load(main, &errs);
	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->ninputs, 1);
	ck_assert_uint_eq(cfg->nincluded, 0);
	config_free(cfg);
	free(main);
}
END_TEST

/* Errors in an included file name that file and its line. */
START_TEST(test_include_errors)
{
	char *main, *bad, *worse;

	put_dir("conf.d");
	bad = put("conf.d/bad.ini", "[input:x]\npath = /x.log\n"
	                            "start = sideways\nbogus = 1\n");
	worse = put("conf.d/worse.ini", "\n\n[input:y\npath = /y.log\n"
	                                "[input:z]\njunk\n");
	main = put("main.ini", "[tailmux]\ninclude = conf.d/*.ini\n" INPUT);
	config_errors_clear(&errs);
	ck_assert_ptr_null(config_load(main, &errs));
	ck_assert_msg(errs.n == 5, "%zu errors:%s", errs.n, errs_joined());
	expect_msg(0, bad, 3, "[input:x] start: expected head or end");
	expect_msg(1, bad, 4, "[input:x] bogus: unknown key");
	expect_msg(2, worse, 3, "section header lacks its closing ']'");
	expect_msg(3, worse, 6, "expected \"key = value\"");
	expect_msg(4, worse, 5, "[input:z] path: missing");
	free(bad);
	free(worse);
	free(main);
}
END_TEST

/* An included file holds [input:NAME] sections only: no [tailmux] (so no
 * nested include) and no [output]. */
START_TEST(test_include_sections)
{
	char *main, *inc, *msg;

	put_dir("conf.d");
	inc = put("conf.d/x.ini", "[tailmux]\ninclude = *.ini\nworkers = 2\n"
	                          "[output]\nformat = json\n"
	                          "[input:x]\npath = /x.log\n");
	main = put("main.ini", "[tailmux]\nworkers = 1\n\n"
	                       "include = conf.d/*.ini\n" INPUT);
	config_errors_clear(&errs);
	ck_assert_ptr_null(config_load(main, &errs));
	ck_assert_msg(errs.n == 2, "%zu errors:%s", errs.n, errs_joined());
	msg = str("[tailmux]: an included file may hold only [input:NAME] "
	          "sections: [tailmux] (with include) and [output] belong in "
	          "%s, which includes this file (line 4)",
	          main);
	expect_msg(0, inc, 1, msg);
	free(msg);
	expect_msg(1, inc, 4, "[output]: an included file may hold only");
	free(inc);
	free(main);
}
END_TEST

/* One input name in two files, or one path in two files: an error naming
 * both files and lines. */
START_TEST(test_include_duplicates)
{
	char *main, *one, *two, *msg;

	put_dir("conf.d");
	one = put("conf.d/1.ini", "[input:x]\npath = /x.log\n\n"
	                          "[input:a]\npath = /other.log\n");
	two = put("conf.d/2.ini", "[input:y]\npath = /y.log\n"
	                          "[input:x]\npath = /x2.log\n"
	                          "[input:z]\npath = /a.log\n");
	main = put("main.ini", "[tailmux]\ninclude = conf.d/*.ini\n"
	                       "[input:a]\npath = /a.log\n");
	config_errors_clear(&errs);
	ck_assert_ptr_null(config_load(main, &errs));
	ck_assert_msg(errs.n == 3, "%zu errors:%s", errs.n, errs_joined());
	msg = str("[input:a]: input given twice: also at %s:3", main);
	expect_msg(0, one, 4, msg);
	free(msg);
	msg = str("[input:x]: input given twice: also at %s:1", one);
	expect_msg(1, two, 3, msg);
	free(msg);
	msg = str("[input:z] path: /a.log is already tailed by [input:a] "
	          "(%s:4)",
	          main);
	expect_msg(2, two, 6, msg);
	free(msg);
	free(one);
	free(two);
	free(main);
}
END_TEST

/* Inputs may all come from included files; none anywhere is an error. */
START_TEST(test_include_only_inputs)
{
	char *main, *msg;
	struct config *cfg;

	put_dir("conf.d");
	free(put("conf.d/empty.ini", "; nothing yet\n"));
	main = put("main.ini", "[tailmux]\ninclude = conf.d/*.ini\n");
	config_errors_clear(&errs);
	ck_assert_ptr_null(config_load(main, &errs));
	ck_assert_msg(errs.n == 1, "%zu errors:%s", errs.n, errs_joined());
	msg = str("%s: no [input:NAME] section, in it or in the 1 files it "
	          "includes",
	          main);
	ck_assert_msg(strncmp(errs.msgs[0], msg, strlen(msg)) == 0, "%s",
	              errs.msgs[0]);
	free(msg);
	free(put("conf.d/web.ini", "[input:web]\npath = /w.log\n"));
	config_errors_clear(&errs);
	cfg = config_load(main, &errs);
	ck_assert_msg(cfg != NULL, "errors:%s", errs_joined());
	ck_assert_uint_eq(cfg->ninputs, 1);
	ck_assert_str_eq(cfg->inputs[0].name, "web");
	config_free(cfg);
	free(main);
}
END_TEST

/* A directory the pattern needs that cannot be read is an error. */
START_TEST(test_include_unreadable)
{
	char *main, *dir;

	if (geteuid() == 0)
		return; /* root reads it anyway */
	put_dir("conf.d");
	dir = str("%s/conf.d", tmp_dir);
	ck_assert_int_eq(chmod(dir, 0), 0);
	main = put("main.ini", "[tailmux]\ninclude = conf.d/*.ini\n" INPUT);
	config_errors_clear(&errs);
	ck_assert_ptr_null(config_load(main, &errs));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_msg(errs.n == 1, "%zu errors:%s", errs.n, errs_joined());
	expect_msg(0, main, 2, "[tailmux] include: cannot read");
	free(dir);
	free(main);
}
END_TEST

/* Loads text that must be a good configuration. */
static struct config *
load_ok(const char *text)
{
	struct config *cfg = load(text, NULL);

	ck_assert_msg(cfg != NULL, "errors:%s\nfor:\n%.300s", errs_joined(),
	              text);
	return cfg;
}

/* Asserts config_input_for(path, name) gives the input called `want' (NULL:
 * none) and says it came from a glob or not. */
static void
expect_input(const struct config *cfg, const char *path, const char *name,
             const char *want, int want_glob)
{
	const struct config_input *in;
	int from_glob = -1;

	in = config_input_for(cfg, path, name, &from_glob);
	if (want == NULL)
		ck_assert_msg(in == NULL, "%s (name %s): got [input:%s]", path,
		              name != NULL ? name : "NULL", in->name);
	else {
		ck_assert_msg(in != NULL, "%s (name %s): no input, want %s",
		              path, name != NULL ? name : "NULL", want);
		ck_assert_msg(strcmp(in->name, want) == 0,
		              "%s (name %s): [input:%s], want %s", path,
		              name != NULL ? name : "NULL", in->name, want);
	}
	ck_assert_msg(from_glob == want_glob, "%s (name %s): from_glob %d",
	              path, name != NULL ? name : "NULL", from_glob);
	ck_assert_int_eq(config_covers(cfg, path), want != NULL);
}

/* A path named literally by one input wins over a glob of another, listed
 * earlier, and over the name asked for; other matches come from the glob. */
START_TEST(test_input_literal)
{
	struct config *cfg = load_ok("[input:glob]\npath = /srv/app/*.log\n"
	                             "[input:lit]\npath = /srv/app/main.log\n"
	                             "path = /srv/app/x.gz\nexclude = *.gz\n");

	expect_input(cfg, "/srv/app/main.log", NULL, "lit", 0);
	expect_input(cfg, "/srv/app/main.log", "glob", "lit", 0);
	expect_input(cfg, "/srv/app/other.log", NULL, "glob", 1);
	expect_input(cfg, "/srv/app/other.log", "lit", "glob", 1);
	/* Excludes only filter glob matches. */
	expect_input(cfg, "/srv/app/x.gz", NULL, "lit", 0);
	ck_assert_int_eq(config_excluded(&cfg->inputs[1], "/srv/app/x.gz"), 1);
	/* Literal paths are compared whole. */
	expect_input(cfg, "/srv/app/x.gz.1", NULL, NULL, 1);
	expect_input(cfg, "/srv/app/main.log.1", NULL, NULL, 1);
	config_free(cfg);
}
END_TEST

/* Exclude patterns without '/' are matched against the file name only;
 * those with one against the whole path, where '*' stops at '/'.  A
 * relative one is taken from the configuration file's directory. */
START_TEST(test_excluded)
{
	struct config *cfg = load_ok("[input:a]\npath = /srv/app/*.log\n"
	                             "path = /srv/app/old/*.log\n"
	                             "exclude = *app*\nexclude = debug-*\n"
	                             "exclude = /srv/app/old/*\n"
	                             "exclude = rel/*.log\n"
	                             "[input:b]\npath = /srv/app/debug-*\n");
	const struct config_input *a = &cfg->inputs[0];
	char *rel = str("%s/rel/x.log", real_dir);
	char *rel_deep = str("%s/rel/d/x.log", real_dir);

	/* "*app*" would match the whole path, not the file name. */
	ck_assert_int_eq(config_excluded(a, "/srv/app/x.log"), 0);
	ck_assert_int_eq(config_excluded(a, "/srv/app/myapp.log"), 1);
	ck_assert_int_eq(config_excluded(a, "/srv/app/debug-1.log"), 1);
	ck_assert_int_eq(config_excluded(a, "/srv/app/1-debug-1.log"), 0);
	/* A pattern with a slash would match no file name alone. */
	ck_assert_int_eq(config_excluded(a, "/srv/app/old/x.log"), 1);
	ck_assert_int_eq(config_excluded(a, "/srv/app/old/d/x.log"), 0);
	ck_assert_int_eq(config_excluded(a, "/srv/app/older/x.log"), 0);
	ck_assert_int_eq(config_excluded(a, rel), 1);
	ck_assert_int_eq(config_excluded(a, rel_deep), 0);
	ck_assert_int_eq(config_excluded(&cfg->inputs[1], "/srv/app/old/x"),
	                 0); /* no excludes at all */
	expect_input(cfg, "/srv/app/x.log", NULL, "a", 1);
	expect_input(cfg, "/srv/app/myapp.log", NULL, NULL, 1);
	expect_input(cfg, "/srv/app/old/x.log", NULL, NULL, 1);
	/* Excluded from a, so b takes it even when a is asked for. */
	expect_input(cfg, "/srv/app/debug-1.log", NULL, "b", 1);
	expect_input(cfg, "/srv/app/debug-1.log", "a", "b", 1);
	free(rel);
	free(rel_deep);
	config_free(cfg);
}
END_TEST

/* A glob's wildcards match no '/' and no '.' starting a file name; a
 * pattern that spells the '.' out does. */
START_TEST(test_input_period)
{
	struct config *cfg = load_ok("[input:a]\npath = /srv/a/*\n"
	                             "path = /srv/a/sub/?x\n"
	                             "path = /srv/a/dot/[.]x\n"
	                             "[input:h]\npath = /srv/h/.*\n");

	expect_input(cfg, "/srv/a/visible", NULL, "a", 1);
	expect_input(cfg, "/srv/a/.hidden", NULL, NULL, 1);
	expect_input(cfg, "/srv/a/x/y", NULL, NULL, 1);
	expect_input(cfg, "/srv/a/sub/yx", NULL, "a", 1);
	expect_input(cfg, "/srv/a/sub/.x", NULL, NULL, 1);
	expect_input(cfg, "/srv/a/dot/.x", NULL, NULL, 1);
	expect_input(cfg, "/srv/h/.hidden", NULL, "h", 1);
	expect_input(cfg, "/srv/h/visible", NULL, NULL, 1);
	config_free(cfg);
}
END_TEST

/* Among several inputs whose globs match, the one called `name' is
 * preferred when it matches; else the first. */
START_TEST(test_input_name)
{
	struct config *cfg =
	    load_ok("[input:a]\npath = /srv/m/*.log\n"
	            "[input:b]\npath = /srv/m/x*.log\nexclude = xy*\n"
	            "[input:c]\npath = /srv/m/none\npath = /srv/m/*x.log\n"
	            "[input:d]\npath = /srv/other/*.log\n");

	expect_input(cfg, "/srv/m/xx.log", NULL, "a", 1);
	expect_input(cfg, "/srv/m/xx.log", "a", "a", 1);
	expect_input(cfg, "/srv/m/xx.log", "b", "b", 1);
	expect_input(cfg, "/srv/m/xx.log", "c", "c", 1);
	expect_input(cfg, "/srv/m/xx.log", "d", "a", 1);    /* no match */
	expect_input(cfg, "/srv/m/xx.log", "nope", "a", 1); /* no input */
	expect_input(cfg, "/srv/m/yy.log", "b", "a", 1);
	expect_input(cfg, "/srv/m/xyx.log", "b", "a", 1); /* b excludes it */
	expect_input(cfg, "/srv/m/xyx.log", "c", "c", 1);
	expect_input(cfg, "/srv/m/xx.loG", "b", NULL, 1); /* case matters */
	config_free(cfg);
	/* Without a, b is first among those matching. */
	cfg = load_ok("[input:b]\npath = /srv/m/x*.log\n"
	              "[input:c]\npath = /srv/m/*x.log\n");
	expect_input(cfg, "/srv/m/xx.log", NULL, "b", 1);
	expect_input(cfg, "/srv/m/xx.log", "c", "c", 1);
	expect_input(cfg, "/srv/m/xa.log", "c", "b", 1);
	config_free(cfg);
}
END_TEST

/* A path no input names or matches is covered by none. */
START_TEST(test_input_none)
{
	struct config *cfg = load_ok("[input:a]\npath = /srv/a.log\n"
	                             "[input:g]\npath = /srv/g/*.log\n");

	expect_input(cfg, "/srv/a.log", NULL, "a", 0);
	expect_input(cfg, "/srv/b.log", NULL, NULL, 1);
	expect_input(cfg, "/srv/a.log.1", NULL, NULL, 1);
	expect_input(cfg, "/srv/g/x.txt", "g", NULL, 1);
	expect_input(cfg, "/srv/g", NULL, NULL, 1);
	expect_input(cfg, "", NULL, NULL, 1);
	config_free(cfg);
}
END_TEST

/* config_input_named() finds inputs by exact name. */
START_TEST(test_input_named)
{
	struct config *cfg = load_ok("[input:a]\npath = /srv/a.log\n"
	                             "[input:ab]\npath = /srv/b.log\n");

	ck_assert_ptr_eq(config_input_named(cfg, "a"), &cfg->inputs[0]);
	ck_assert_ptr_eq(config_input_named(cfg, "ab"), &cfg->inputs[1]);
	ck_assert_ptr_null(config_input_named(cfg, "b"));
	ck_assert_ptr_null(config_input_named(cfg, "A"));
	ck_assert_ptr_null(config_input_named(cfg, ""));
	config_free(cfg);
}
END_TEST

/* The input every variant of test_input_same changes one thing of. */
#define SAME_BASE                                                              \
	"[input:a]\npath = /srv/a.log\npath = /srv/b/*.log\n"                  \
	"exclude = *.gz\nexclude = /srv/b/old/*\n"

/* Each compared field, changed alone, makes an input changed; spelling a
 * default out, or moving the section, does not. */
START_TEST(test_input_same)
{
	static const struct {
		const char *text;
		int same;
	} cases[] = {
	    {SAME_BASE, 1},
	    {"; moved down\n\n" SAME_BASE, 1},
	    {"[tailmux]\nworkers = 7\n" SAME_BASE, 1},
	    {SAME_BASE "tag = a\nstart = head\nrotate_wait = 5000ms\n"
	               "max_files = 1024\nrescan_interval = 10s\n",
	     1},
	    {SAME_BASE "tag = b\n", 0},
	    {SAME_BASE "start = end\n", 0},
	    {SAME_BASE "rotate_wait = 6s\n", 0},
	    {SAME_BASE "max_files = 1023\n", 0},
	    {SAME_BASE "rescan_interval = 9s\n", 0},
	    {SAME_BASE "rotated_dir = old\n", 0},
	    {SAME_BASE "rotated = a.log.old-*\n", 0},
	    /* Paths: reordered, one more, one less, one other. */
	    {"[input:a]\npath = /srv/b/*.log\npath = /srv/a.log\n"
	     "exclude = *.gz\nexclude = /srv/b/old/*\n",
	     0},
	    {SAME_BASE "path = /srv/c.log\n", 0},
	    {"[input:a]\npath = /srv/a.log\n"
	     "exclude = *.gz\nexclude = /srv/b/old/*\n",
	     0},
	    {"[input:a]\npath = /srv/a.log\npath = /srv/b/*.txt\n"
	     "exclude = *.gz\nexclude = /srv/b/old/*\n",
	     0},
	    /* Excludes: the same four ways. */
	    {"[input:a]\npath = /srv/a.log\npath = /srv/b/*.log\n"
	     "exclude = /srv/b/old/*\nexclude = *.gz\n",
	     0},
	    {SAME_BASE "exclude = *.bz2\n", 0},
	    {"[input:a]\npath = /srv/a.log\npath = /srv/b/*.log\n"
	     "exclude = *.gz\n",
	     0},
	    {"[input:a]\npath = /srv/a.log\npath = /srv/b/*.log\n"
	     "exclude = *.xz\nexclude = /srv/b/old/*\n",
	     0},
	};
	struct config *base = load_ok(SAME_BASE), *cfg;
	struct config_diff n;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cfg = load_ok(cases[i].text);
		ck_assert_msg(
		    config_input_same(&base->inputs[0], &cfg->inputs[0]) ==
		        cases[i].same,
		    "case %zu: same is not %d", i, cases[i].same);
		ck_assert_msg(
		    config_input_same(&cfg->inputs[0], &base->inputs[0]) ==
		        cases[i].same,
		    "case %zu: same (swapped) is not %d", i, cases[i].same);
		config_diff(base, cfg, NULL, NULL, &n);
		ck_assert_uint_eq(n.changed, !cases[i].same);
		ck_assert_uint_eq(n.unchanged, cases[i].same);
		ck_assert_uint_eq(n.added, 0);
		ck_assert_uint_eq(n.removed, 0);
		config_free(cfg);
	}
	/* A new name is another input. */
	cfg = load_ok("[input:b]\npath = /srv/a.log\npath = /srv/b/*.log\n"
	              "exclude = *.gz\nexclude = /srv/b/old/*\ntag = a\n");
	ck_assert_int_eq(config_input_same(&base->inputs[0], &cfg->inputs[0]),
	                 0);
	config_diff(base, cfg, NULL, NULL, &n);
	ck_assert_uint_eq(n.added, 1);
	ck_assert_uint_eq(n.removed, 1);
	ck_assert_uint_eq(n.changed + n.unchanged, 0);
	config_free(cfg);
	config_free(base);
}
END_TEST

/* What a config_diff() callback was told. */
struct diff_seen {
	size_t n;
	enum config_change what[8];
	const struct config_input *in[8];
};

/* Records one call. */
static void
diff_record(void *arg, enum config_change what, const struct config_input *in)
{
	struct diff_seen *seen = arg;

	ck_assert_uint_lt(seen->n, 8);
	seen->what[seen->n] = what;
	seen->in[seen->n++] = in;
}

/* A diff tells each input of the new configuration in its order, then the
 * removed ones of the old in theirs, and counts them. */
START_TEST(test_diff)
{
	struct config *old = load_ok("[input:gone1]\npath = /srv/g1.log\n"
	                             "[input:same]\npath = /srv/s.log\n"
	                             "[input:chg]\npath = /srv/c.log\n"
	                             "[input:gone2]\npath = /srv/g2.log\n");
	struct config *cfg = load_ok("[input:new]\npath = /srv/n.log\n"
	                             "[input:chg]\npath = /srv/c.log\n"
	                             "start = end\n"
	                             "[input:same]\npath = /srv/s.log\n");
	struct diff_seen seen = {0};
	struct config_diff n;

	memset(&n, 0x5a, sizeof n); /* filled, not added to */
	config_diff(old, cfg, diff_record, &seen, &n);
	ck_assert_uint_eq(n.added, 1);
	ck_assert_uint_eq(n.removed, 2);
	ck_assert_uint_eq(n.changed, 1);
	ck_assert_uint_eq(n.unchanged, 1);
	ck_assert_uint_eq(seen.n, 5);
	ck_assert_int_eq(seen.what[0], CONFIG_ADDED);
	ck_assert_ptr_eq(seen.in[0], &cfg->inputs[0]);
	ck_assert_int_eq(seen.what[1], CONFIG_CHANGED);
	ck_assert_ptr_eq(seen.in[1], &cfg->inputs[1]);
	ck_assert_int_eq(seen.what[2], CONFIG_UNCHANGED);
	ck_assert_ptr_eq(seen.in[2], &cfg->inputs[2]);
	ck_assert_int_eq(seen.what[3], CONFIG_REMOVED);
	ck_assert_ptr_eq(seen.in[3], &old->inputs[0]);
	ck_assert_int_eq(seen.what[4], CONFIG_REMOVED);
	ck_assert_ptr_eq(seen.in[4], &old->inputs[3]);

	/* The other way round, and with no callback. */
	config_diff(cfg, old, NULL, NULL, &n);
	ck_assert_uint_eq(n.added, 2);
	ck_assert_uint_eq(n.removed, 1);
	ck_assert_uint_eq(n.changed, 1);
	ck_assert_uint_eq(n.unchanged, 1);

	/* Against itself, nothing changed. */
	memset(&seen, 0, sizeof seen);
	config_diff(old, old, diff_record, &seen, &n);
	ck_assert_uint_eq(n.unchanged, 4);
	ck_assert_uint_eq(n.added + n.removed + n.changed, 0);
	ck_assert_uint_eq(seen.n, 4);
	for (size_t i = 0; i < seen.n; i++) {
		ck_assert_int_eq(seen.what[i], CONFIG_UNCHANGED);
		ck_assert_ptr_eq(seen.in[i], &old->inputs[i]);
	}
	config_free(old);
	config_free(cfg);
}
END_TEST

/* The suite: loads of good and bad files, the inputs a path belongs to
 * and what a reload changes, then the value parsers. */
/* [forward:NAME]: every key, its defaults, and a target's forms. */
START_TEST(test_forward_good)
{
	struct config *cfg =
	    load_ok(INPUT "[forward:central]\nprotocol = relp\n"
	                  "target = relay.example.org:2514\n"
	                  "[forward:six]\nprotocol = relp\n"
	                  "target = [::1]:20514\nformat = rfc5424\n"
	                  "window = 1\nreconnect_min = 1s\n"
	                  "reconnect_max = 2m\n"
	                  "[forward:tcp]\nprotocol = syslog-tcp\n"
	                  "target = h:514\n"
	                  "[forward:tcpraw]\nformat = raw\n"
	                  "protocol = syslog-tcp\ntarget = h:514\n");
	const struct config_forward *fw;

	ck_assert_uint_eq(cfg->nforwards, 4);
	fw = config_forward_named(cfg, "central");
	ck_assert_ptr_eq(fw, &cfg->forwards[0]);
	ck_assert_int_eq(fw->protocol, FORWARD_RELP);
	ck_assert_str_eq(fw->host, "relay.example.org");
	ck_assert_str_eq(fw->port, "2514");
	ck_assert_int_eq(fw->format, FORWARD_RAW);
	ck_assert_uint_eq(fw->window, 128);
	ck_assert_uint_eq(fw->reconnect_min, 100);
	ck_assert_uint_eq(fw->reconnect_max, 30000);
	ck_assert_int_eq(fw->line, 3);
	fw = config_forward_named(cfg, "six");
	ck_assert_str_eq(fw->host, "::1");
	ck_assert_str_eq(fw->port, "20514");
	ck_assert_int_eq(fw->format, FORWARD_RFC5424);
	ck_assert_uint_eq(fw->window, 1);
	ck_assert_uint_eq(fw->reconnect_min, 1000);
	ck_assert_uint_eq(fw->reconnect_max, 120000);
	ck_assert(!config_forward_same(&cfg->forwards[0], &cfg->forwards[1]));
	ck_assert(config_forward_same(fw, fw));
	/* syslog-tcp: rfc5424 unless raw is asked for. */
	fw = config_forward_named(cfg, "tcp");
	ck_assert_int_eq(fw->protocol, FORWARD_SYSLOG_TCP);
	ck_assert_str_eq(config_forward_protocol_name(fw->protocol),
	                 "syslog-tcp");
	ck_assert_int_eq(fw->format, FORWARD_RFC5424);
	fw = config_forward_named(cfg, "tcpraw");
	ck_assert_int_eq(fw->protocol, FORWARD_SYSLOG_TCP);
	ck_assert_int_eq(fw->format, FORWARD_RAW);
	ck_assert_ptr_null(config_forward_named(cfg, "nope"));
	config_free(cfg);
}
END_TEST

/* [forward:NAME] errors name the section and the key. */
START_TEST(test_forward_errors)
{
	expect_error(INPUT "[forward:r]\nprotocol = syslog-tls\n"
	                   "target = h:1\n",
	             4, "forward:r", "protocol", "not supported yet");
	expect_error(INPUT "[forward:r]\nprotocol = smtp\ntarget = h:1\n", 4,
	             "forward:r", "protocol", "expected relp or syslog-tcp");
	/* window is RELP's, wherever the protocol is given. */
	expect_error(INPUT "[forward:r]\nwindow = 8\nprotocol = syslog-tcp\n"
	                   "target = h:1\n",
	             4, "forward:r", "window", "only for protocol = relp");
	expect_error(INPUT "[forward:r]\nprotocol = relp\n", 3, "forward:r",
	             "target", "missing");
	expect_error(INPUT "[forward:r]\ntarget = host\n", 4, "forward:r",
	             "target", "HOST:PORT");
	expect_error(INPUT "[forward:r]\ntarget = :514\n", 4, "forward:r",
	             "target", "host is empty");
	expect_error(INPUT "[forward:r]\ntarget = h:0\n", 4, "forward:r",
	             "target", "port");
	expect_error(INPUT "[forward:r]\ntarget = h:65536\n", 4, "forward:r",
	             "target", "port");
	expect_error(INPUT "[forward:r]\ntarget = ::1:514\n", 4, "forward:r",
	             "target", "[ADDR]:PORT");
	expect_error(INPUT "[forward:r]\ntarget = h:1\nformat = json\n", 5,
	             "forward:r", "format", "raw or rfc5424");
	expect_error(INPUT "[forward:r]\ntarget = h:1\nwindow = 0\n", 5,
	             "forward:r", "window", "from 1");
	expect_error(INPUT "[forward:r]\ntarget = h:1\nreconnect_min = 1ms\n",
	             5, "forward:r", "reconnect_min", "from 10ms");
	expect_error(INPUT "[forward:r]\ntarget = h:1\nreconnect_min = 1m\n"
	                   "reconnect_max = 1s\n",
	             3, "forward:r", "reconnect_min", "more than");
	expect_error(INPUT "[forward:r]\ntarget = h:1\npath = /x\n", 5,
	             "forward:r", "path", "unknown key");
	expect_error(INPUT "[forward:]\n", 3, "forward:", NULL, "a name");
	expect_error(INPUT "[forward:a b]\n", 3, "forward:a b", NULL,
	             "letters");
	expect_error(INPUT "[forward:r]\ntarget = h:1\n[forward:r]\n", 5,
	             "forward:r", NULL, "twice");
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_rotated_keys);
	tcase_add_test(tc, test_dateformat_key);
	tcase_add_test(tc, test_edges_accepted);
	tcase_add_test(tc, test_relative_file);
	tcase_add_test(tc, test_inline_comments);
	tcase_add_test(tc, test_crlf_file);
	tcase_add_test(tc, test_bom);
	tcase_add_test(tc, test_long_value);
	tcase_add_test(tc, test_line_max);
	tcase_add_loop_test(tc, test_line_too_long, 0, 6);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_no_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_err_unknown_section);
	tcase_add_test(tc, test_err_unknown_key);
	tcase_add_test(tc, test_forward_good);
	tcase_add_test(tc, test_forward_errors);
	tcase_add_test(tc, test_err_workers);
	tcase_add_test(tc, test_err_poll_interval);
	tcase_add_test(tc, test_err_max_line);
	tcase_add_test(tc, test_output_rotation);
	tcase_add_test(tc, test_err_output_rotation);
	tcase_add_test(tc, test_err_max_pending);
	tcase_add_test(tc, test_err_stop_timeout);
	tcase_add_test(tc, test_err_enums);
	tcase_add_test(tc, test_err_tag);
	tcase_add_test(tc, test_err_duplicate_key);
	tcase_add_test(tc, test_err_duplicate_section);
	tcase_add_test(tc, test_err_input_names);
	tcase_add_test(tc, test_err_input_without_path);
	tcase_add_test(tc, test_err_input_empty_path);
	tcase_add_test(tc, test_err_output_is_input);
	tcase_add_test(tc, test_err_path_twice);
	tcase_add_test(tc, test_err_before_section);
	tcase_add_test(tc, test_err_syntax);
	tcase_add_test(tc, test_err_unterminated_section);
	tcase_add_test(tc, test_all_errors);
	tcase_add_test(tc, test_err_bad_bytes);
	tcase_add_test(tc, test_text_accepted);
	tcase_add_test(tc, test_errors_append);
	suite_add_tcase(s, tc);

	tc = tcase_create("include");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_include_order);
	tcase_add_test(tc, test_include_none);
	tcase_add_test(tc, test_include_errors);
	tcase_add_test(tc, test_include_sections);
	tcase_add_test(tc, test_include_duplicates);
	tcase_add_test(tc, test_include_only_inputs);
	tcase_add_test(tc, test_include_unreadable);
	suite_add_tcase(s, tc);

	tc = tcase_create("inputs");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_input_literal);
	tcase_add_test(tc, test_excluded);
	tcase_add_test(tc, test_input_period);
	tcase_add_test(tc, test_input_name);
	tcase_add_test(tc, test_input_none);
	tcase_add_test(tc, test_input_named);
	tcase_add_test(tc, test_input_same);
	tcase_add_test(tc, test_diff);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_size);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tmcheck_run(config_suite());
}
