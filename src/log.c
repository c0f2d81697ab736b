/* log.c -- tailmux's own messages, one line each, on stderr.
 *
 * The two settings below are written once at start-up (and by a reload, on
 * the loop thread) before they are read elsewhere; worker threads never log,
 * they return errors to the loop. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static enum log_level log_max = LOG_LEVEL_INFO;
static int log_journal;

/* True when stderr is the journal stream systemd named in JOURNAL_STREAM. */
static int
log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void
log_init(enum log_level level)
{
	log_max = level;
	log_journal = log_stderr_is_journal();
}

void
log_set_level(enum log_level level)
{
	log_max = level;
}

int
log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
	    {"err", LOG_LEVEL_ERR},         {"error", LOG_LEVEL_ERR},
	    {"warning", LOG_LEVEL_WARNING}, {"notice", LOG_LEVEL_NOTICE},
	    {"info", LOG_LEVEL_INFO},       {"debug", LOG_LEVEL_DEBUG},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i].name, name) == 0)
			return (int)names[i].level;
	return -1;
}

/* Formats one message and writes it with a single write(2). */
static void
log_vwrite(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	static const char *const words[] = {
	    [LOG_LEVEL_ERR] = "error: ",   [LOG_LEVEL_WARNING] = "warning: ",
	    [LOG_LEVEL_NOTICE] = "",       [LOG_LEVEL_INFO] = "",
	    [LOG_LEVEL_DEBUG] = "debug: ",
	};
	char line[2048];
	int saved = errno;
	size_t n;
	int r;

	if (level > log_max)
		return;
	if (log_journal)
		r = snprintf(line, sizeof line, "<%d>", (int)level);
	else
		r = snprintf(line, sizeof line, "tailmux: %s", words[level]);
	n = (size_t)r;
	r = vsnprintf(line + n, sizeof line - n, fmt, ap);
	n = r < 0 ? n : n + (size_t)r;
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	if (with_errno) {
		r = snprintf(line + n, sizeof line - n, ": %s",
		             strerror(saved));
		n = r < 0 ? n : n + (size_t)r;
		if (n > sizeof line - 2)
			n = sizeof line - 2;
	}
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
	errno = saved;
}

#define LOG_FN(name, level, with_errno)                                        \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vwrite(level, with_errno, fmt, ap);                        \
		va_end(ap);                                                    \
	}

LOG_FN(log_warn, LOG_LEVEL_WARNING, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARNING, 0)
LOG_FN(log_notice, LOG_LEVEL_NOTICE, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_FN(log_errx, LOG_LEVEL_ERR, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
