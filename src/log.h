/* log.h -- tailmux's own messages. */
#ifndef TAILMUX_LOG_H
#define TAILMUX_LOG_H

#include <stdarg.h>

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

/* Parses "err", "warning", "notice", "info" or "debug"; -1 if unknown. */
int log_level_parse(const char *name);

/* Each writes one whole line with one write(2).  log_warn and fatal append
 * strerror(errno). */
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
