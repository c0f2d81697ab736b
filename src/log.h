/* log.h -- tailmux's own messages. */
#ifndef TAILMUX_LOG_H
#define TAILMUX_LOG_H

#include <stdarg.h>
#include <stdint.h>

/* The default rate limit: at most this many messages of one format string
 * in this many milliseconds. */
#define LOG_RATE_BURST 20
#define LOG_RATE_INTERVAL_MS 30000

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Sets up logging to stderr: journald priority prefixes when stderr is the
 * journal (JOURNAL_STREAM names it), "tailmux: " prefixes otherwise.
 * Messages above `level' are dropped.  Call before any thread starts. */
void log_init(enum log_level level);

/* Changes the level; loop thread only. */
void log_set_level(enum log_level level);

/* Sets the rate limit: at most `burst' messages of one format string per
 * `interval_ms' (0: no limit).  Reports what was suppressed until now. */
void log_set_rate_limit(unsigned burst, uint64_t interval_ms);

/* Writes the count of every message suppressed so far, with the last one
 * of each; call before exiting. */
void log_flush(void);

/* Parses "err", "warning", "notice", "info" or "debug"; -1 if unknown. */
int log_level_parse(const char *name);

/* Each writes one whole line with one write(2).  log_warn and fatal append
 * strerror(errno).  All but log_debug and fatal are rate limited (see
 * log_set_rate_limit()), and all keep errno. */
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_notice(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_errx(const char *fmt, ...) LOG_PRINTF(1, 2);

/* Logs and exits with status 1. */
_Noreturn void fatal(const char *fmt, ...) LOG_PRINTF(1, 2);
_Noreturn void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2);

#endif
