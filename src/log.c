/* log.c -- tailmux's own messages, one line each, on stderr.
 *
 * The settings below are written once at start-up (and by a reload, on the
 * loop thread) before they are read elsewhere; worker threads never log,
 * they return errors to the loop, so the rate limit's table is the loop
 * thread's alone.
 *
 * The rate limit: a message whose format string was logged log_rate_burst
 * times already in the current window of log_rate_interval ms is counted
 * instead of written.  The first message after the window (of any format)
 * writes one line with that count and the last one suppressed.  Formats
 * are told apart by address: each call site has its own. */
#include "autoconf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define LOG_LINE_MAX 2048
#define LOG_RATE_SLOTS 32

/* The messages of one format string in the current window. */
struct log_rate {
	const char *fmt; /* NULL: a free entry */
	enum log_level level;
	uint64_t start; /* ms, CLOCK_MONOTONIC: the window began */
	unsigned count; /* written in the window */
	uint64_t suppressed;
	char last[512]; /* the last one suppressed, perhaps cut */
};

static enum log_level log_max = LOG_LEVEL_INFO;
static int log_journal;
static unsigned log_rate_burst = LOG_RATE_BURST;
static uint64_t log_rate_interval = LOG_RATE_INTERVAL_MS;
static struct log_rate log_rates[LOG_RATE_SLOTS];

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

/* Writes `body' as one line at `level', with its prefix, in one write(2). */
static void
log_emit(enum log_level level, const char *body)
{
	static const char *const words[] = {
	    [LOG_LEVEL_ERR] = "error: ",   [LOG_LEVEL_WARNING] = "warning: ",
	    [LOG_LEVEL_NOTICE] = "",       [LOG_LEVEL_INFO] = "",
	    [LOG_LEVEL_DEBUG] = "debug: ",
	};
	char line[LOG_LINE_MAX + 32];
	int r;

	if (log_journal)
		r = snprintf(line, sizeof line, "<%d>%s\n", (int)level, body);
	else
		r = snprintf(line, sizeof line, "tailmux: %s%s\n", words[level],
		             body);
	if (r < 0)
		return;
	if ((size_t)r >= sizeof line) {
		r = (int)sizeof line - 1;
		line[r - 1] = '\n';
	}
	(void)!write(STDERR_FILENO, line, (size_t)r);
}

/* Formats a message and, with `with_errno', ": strerror(saved)" into
 * body[size], cut to fit. */
static void
log_format(char *body, size_t size, int with_errno, int saved, const char *fmt,
           va_list ap)
{
	size_t n;
	int r;

	r = vsnprintf(body, size, fmt, ap);
	n = r < 0 ? 0 : (size_t)r;
	if (n > size - 1)
		n = size - 1;
	if (with_errno)
		snprintf(body + n, size - n, ": %s", strerror(saved));
}

/* Says how many messages like r's were suppressed, and forgets them. */
static void
log_rate_report(struct log_rate *r)
{
	char body[LOG_LINE_MAX];

	if (r->suppressed == 0)
		return;
	snprintf(body, sizeof body,
	         "%" PRIu64 " similar messages suppressed (more than %u in "
	         "%" PRIu64 " ms); the last: %s",
	         r->suppressed, log_rate_burst, log_rate_interval, r->last);
	log_emit(r->level, body);
	r->suppressed = 0;
}

/* The rate limit's entry for `fmt' as of `now': its window restarted if
 * it is over, or a new entry (in place of the oldest) if there is none.
 * First reports every window that is over with messages suppressed, so
 * that a later line of any kind says so. */
static struct log_rate *
log_rate_get(const char *fmt, enum log_level level, uint64_t now)
{
	struct log_rate *r, *found = NULL, *oldest = &log_rates[0];

	for (size_t i = 0; i < LOG_RATE_SLOTS; i++) {
		r = &log_rates[i];
		if (r->fmt != NULL && now - r->start >= log_rate_interval) {
			log_rate_report(r);
			r->start = now;
			r->count = 0;
		}
		if (r->fmt == fmt && r->level == level)
			found = r;
		if (r->fmt == NULL ||
		    (oldest->fmt != NULL && r->start < oldest->start))
			oldest = r;
	}
	if (found != NULL)
		return found;
	log_rate_report(oldest);
	oldest->fmt = fmt;
	oldest->level = level;
	oldest->start = now;
	oldest->count = 0;
	return oldest;
}

/* Formats one message and writes it with a single write(2), unless its
 * format has been logged log_rate_burst times within log_rate_interval
 * already: then it is counted, and reported later.  Debug messages and
 * the messages of fatal() are never suppressed. */
static void
log_vwrite(enum log_level level, int with_errno, int limited, const char *fmt,
           va_list ap)
{
	char body[LOG_LINE_MAX];
	struct log_rate *r = NULL;
	int saved = errno;

	if (level > log_max)
		return;
	if (limited && level != LOG_LEVEL_DEBUG && log_rate_burst > 0) {
		r = log_rate_get(fmt, level, clock_ms());
		if (r->count >= log_rate_burst) {
			log_format(r->last, sizeof r->last, with_errno, saved,
			           fmt, ap);
			r->suppressed++;
			errno = saved;
			return;
		}
		r->count++;
	}
	log_format(body, sizeof body, with_errno, saved, fmt, ap);
	log_emit(level, body);
	errno = saved;
}

void
log_set_rate_limit(unsigned burst, uint64_t interval_ms)
{
	log_flush();
	log_rate_burst = burst;
	log_rate_interval = interval_ms;
}

void
log_flush(void)
{
	int saved = errno;

	for (size_t i = 0; i < LOG_RATE_SLOTS; i++)
		log_rate_report(&log_rates[i]);
	memset(log_rates, 0, sizeof log_rates);
	errno = saved;
}

#define LOG_FN(name, level, with_errno)                                        \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vwrite(level, with_errno, 1, fmt, ap);                     \
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
	log_vwrite(LOG_LEVEL_ERR, 1, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERR, 0, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
