/* config.c -- the INI file, parsed into an immutable configuration.
 *
 * inih does the tokenising.  Our own line reader sits under it so that every
 * message can name its line, so that section headers (even empty or repeated
 * ones) are seen, and so that lines inih would truncate or reject are reported
 * rather than half-used.  Every error is collected; a load with any error
 * returns no configuration at all. */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <dirent.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "log.h"
#include "path.h"
#include "xmalloc.h"

#ifndef TAILMUX_DEFAULT_STATE_FILE
#define TAILMUX_DEFAULT_STATE_FILE "/var/lib/tailmux/state"
#endif
#ifndef TAILMUX_DEFAULT_OUTPUT
#define TAILMUX_DEFAULT_OUTPUT "/var/log/tailmux/merged.log"
#endif

/* The longest line we let inih take whole (it needs 3 bytes more). */
#define CONFIG_MAX_LINE 65536

enum key_id {
	K_WORKERS,
	K_STATE_FILE,
	K_POLL_INTERVAL,
	K_MAX_LINE,
	K_LOG_LEVEL,
	K_CHECKPOINT_INTERVAL,
	K_INCLUDE,
	K_STOP_TIMEOUT,
	K_OUTPUT_PATH,
	K_FORMAT,
	K_MAX_PENDING,
	K_ROTATE_SIZE,
	K_ROTATE_INTERVAL,
	K_ROTATE_UTC,
	K_KEEP,
	K_MAX_AGE,
	K_COMPRESS,
	K_COMPRESS_LEVEL,
	K_FSYNC,
	K_FSYNC_INTERVAL,
	K_INPUT_PATH,
	K_TAG,
	K_START,
	K_ROTATE_WAIT,
	K_EXCLUDE,
	K_MAX_FILES,
	K_RESCAN_INTERVAL,
	K_ROTATED_DIR,
	K_ROTATED,
	K_DATEFORMAT,
	K_FWD_PROTOCOL,
	K_FWD_TARGET,
	K_FWD_FORMAT,
	K_FWD_WINDOW,
	K_FWD_RECONNECT_MIN,
	K_FWD_RECONNECT_MAX,
	K_COUNT
};

static const struct config_key config_key_table[K_COUNT + 1] = {
    [K_WORKERS] = {CONFIG_SECTION_TAILMUX, "workers", NULL},
    [K_STATE_FILE] = {CONFIG_SECTION_TAILMUX, "state_file",
                      TAILMUX_DEFAULT_STATE_FILE},
    [K_POLL_INTERVAL] = {CONFIG_SECTION_TAILMUX, "poll_interval", "1s"},
    [K_MAX_LINE] = {CONFIG_SECTION_TAILMUX, "max_line", "1M"},
    [K_LOG_LEVEL] = {CONFIG_SECTION_TAILMUX, "log_level", "info"},
    [K_CHECKPOINT_INTERVAL] = {CONFIG_SECTION_TAILMUX, "checkpoint_interval",
                               "1s"},
    [K_INCLUDE] = {CONFIG_SECTION_TAILMUX, "include", NULL},
    [K_STOP_TIMEOUT] = {CONFIG_SECTION_TAILMUX, "stop_timeout", "10s"},
    [K_OUTPUT_PATH] = {CONFIG_SECTION_OUTPUT, "path", TAILMUX_DEFAULT_OUTPUT},
    [K_FORMAT] = {CONFIG_SECTION_OUTPUT, "format", "raw"},
    [K_MAX_PENDING] = {CONFIG_SECTION_OUTPUT, "max_pending", "16M"},
    [K_ROTATE_SIZE] = {CONFIG_SECTION_OUTPUT, "rotate_size", "0"},
    [K_ROTATE_INTERVAL] = {CONFIG_SECTION_OUTPUT, "rotate_interval", "daily"},
    [K_ROTATE_UTC] = {CONFIG_SECTION_OUTPUT, "rotate_utc", "no"},
    [K_KEEP] = {CONFIG_SECTION_OUTPUT, "keep", "7"},
    [K_MAX_AGE] = {CONFIG_SECTION_OUTPUT, "max_age", "0"},
    [K_COMPRESS] = {CONFIG_SECTION_OUTPUT, "compress", "none"},
    [K_COMPRESS_LEVEL] = {CONFIG_SECTION_OUTPUT, "compress_level", "6"},
    [K_FSYNC] = {CONFIG_SECTION_OUTPUT, "fsync", "interval"},
    [K_FSYNC_INTERVAL] = {CONFIG_SECTION_OUTPUT, "fsync_interval", "1s"},
    [K_INPUT_PATH] = {CONFIG_SECTION_INPUT, "path", NULL},
    [K_TAG] = {CONFIG_SECTION_INPUT, "tag", NULL},
    [K_START] = {CONFIG_SECTION_INPUT, "start", "head"},
    [K_ROTATE_WAIT] = {CONFIG_SECTION_INPUT, "rotate_wait", "5s"},
    [K_EXCLUDE] = {CONFIG_SECTION_INPUT, "exclude", NULL},
    [K_MAX_FILES] = {CONFIG_SECTION_INPUT, "max_files", "1024"},
    [K_RESCAN_INTERVAL] = {CONFIG_SECTION_INPUT, "rescan_interval", "10s"},
    [K_ROTATED_DIR] = {CONFIG_SECTION_INPUT, "rotated_dir", NULL},
    [K_ROTATED] = {CONFIG_SECTION_INPUT, "rotated", NULL},
    [K_DATEFORMAT] = {CONFIG_SECTION_INPUT, "dateformat", NULL},
    [K_FWD_PROTOCOL] = {CONFIG_SECTION_FORWARD, "protocol", "relp"},
    [K_FWD_TARGET] = {CONFIG_SECTION_FORWARD, "target", NULL},
    [K_FWD_FORMAT] = {CONFIG_SECTION_FORWARD, "format", "raw"},
    [K_FWD_WINDOW] = {CONFIG_SECTION_FORWARD, "window", "128"},
    [K_FWD_RECONNECT_MIN] = {CONFIG_SECTION_FORWARD, "reconnect_min", "100ms"},
    [K_FWD_RECONNECT_MAX] = {CONFIG_SECTION_FORWARD, "reconnect_max", "30s"},
    [K_COUNT] = {CONFIG_SECTION_TAILMUX, NULL, NULL},
};

/* 1 if `v' is a dateformat as logrotate's: specifiers %Y %m %d %H %M %S
 * %V %s and %% only, at least one of the others, and no '/' (it is part of
 * a file name). */
static int
config_dateformat_ok(const char *v)
{
	int specs = 0;

	for (; *v != '\0'; v++) {
		if (*v == '/')
			return 0;
		if (*v != '%')
			continue;
		v++;
		if (*v == '\0' || strchr("YmdHMSVs%", *v) == NULL)
			return 0;
		specs += *v != '%';
	}
	return specs > 0;
}

/* A section header as our reader saw it. */
struct section {
	char *name;
	int line;
	int valid;
	enum config_section kind;
	size_t input; /* index into cfg->inputs, for CONFIG_SECTION_INPUT,
	                 or cfg->forwards, for CONFIG_SECTION_FORWARD */
	int key_line[K_COUNT]; /* where each key was first given */
};

struct parse {
	const char *file;
	char *basedir;
	const char *includer; /* for an included file: the file and line */
	int include_line;     /* of the pattern that matched it; else NULL */
	FILE *fp;
	int lineno;
	int line_done;   /* the previous chunk ended its line */
	int line_bad;    /* the current line holds a byte no text has */
	size_t line_len; /* bytes of the current line so far */
	char head[512];  /* its start, to recognise a section header */
	size_t head_len;
	struct section *secs;
	size_t nsecs;
	struct config *cfg;
	struct config_errors *errs;
};

const struct config_key *
config_keys(void)
{
	return config_key_table;
}

int
config_is_glob(const char *path)
{
	return strpbrk(path, "*?[") != NULL;
}

const char *
config_format_name(enum format f)
{
	switch (f) {
	case FORMAT_RAW:
		return "raw";
	case FORMAT_TAGGED:
		return "tagged";
	case FORMAT_JSON:
		return "json";
	}
	return "?";
}

const char *
config_forward_protocol_name(enum forward_protocol p)
{
	switch (p) {
	case FORWARD_RELP:
		return "relp";
	case FORWARD_SYSLOG_TCP:
		return "syslog-tcp";
	}
	return "?";
}

const char *
config_forward_format_name(enum forward_format f)
{
	switch (f) {
	case FORWARD_RAW:
		return "raw";
	case FORWARD_RFC5424:
		return "rfc5424";
	}
	return "?";
}

const char *
config_fsync_name(enum fsync_policy f)
{
	switch (f) {
	case FSYNC_NEVER:
		return "never";
	case FSYNC_ROTATE:
		return "rotate";
	case FSYNC_INTERVAL:
		return "interval";
	case FSYNC_ALWAYS:
		return "always";
	}
	return "?";
}

int
config_excluded(const struct config_input *in, const char *path)
{
	const char *base = path_base(path);

	for (size_t i = 0; i < in->nexcludes; i++) {
		const char *ex = in->excludes[i];
		if (strchr(ex, '/') != NULL
		        ? fnmatch(ex, path, FNM_PATHNAME) == 0
		        : fnmatch(ex, base, 0) == 0)
			return 1;
	}
	return 0;
}

const struct config_input *
config_input_for(const struct config *cfg, const char *path, const char *name,
                 int *from_glob)
{
	const struct config_input *in, *found = NULL;

	/* A path named literally wins over every glob. */
	for (size_t i = 0; i < cfg->ninputs; i++) {
		in = &cfg->inputs[i];
		for (size_t k = 0; k < in->npaths; k++) {
			if (!config_is_glob(in->paths[k]) &&
			    strcmp(in->paths[k], path) == 0) {
				*from_glob = 0;
				return in;
			}
		}
	}
	for (size_t i = 0; i < cfg->ninputs; i++) {
		in = &cfg->inputs[i];
		if (config_excluded(in, path))
			continue;
		for (size_t k = 0; k < in->npaths; k++) {
			if (!config_is_glob(in->paths[k]) ||
			    fnmatch(in->paths[k], path,
			            FNM_PATHNAME | FNM_PERIOD) != 0)
				continue;
			if (found == NULL ||
			    (name != NULL && strcmp(in->name, name) == 0))
				found = in;
		}
	}
	*from_glob = 1;
	return found;
}

int
config_covers(const struct config *cfg, const char *path)
{
	int from_glob;

	return config_input_for(cfg, path, NULL, &from_glob) != NULL;
}

/* True if two optional strings are both NULL or equal. */
static int
config_same_string(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

int
config_input_same(const struct config_input *a, const struct config_input *b)
{
	if (strcmp(a->name, b->name) != 0 || strcmp(a->tag, b->tag) != 0 ||
	    a->start != b->start || a->rotate_wait != b->rotate_wait ||
	    a->max_files != b->max_files ||
	    a->rescan_interval != b->rescan_interval ||
	    a->npaths != b->npaths || a->nexcludes != b->nexcludes ||
	    !config_same_string(a->rotated_dir, b->rotated_dir) ||
	    !config_same_string(a->rotated_glob, b->rotated_glob) ||
	    !config_same_string(a->dateformat, b->dateformat))
		return 0;
	for (size_t i = 0; i < a->npaths; i++)
		if (strcmp(a->paths[i], b->paths[i]) != 0)
			return 0;
	for (size_t i = 0; i < a->nexcludes; i++)
		if (strcmp(a->excludes[i], b->excludes[i]) != 0)
			return 0;
	return 1;
}

int
config_forward_same(const struct config_forward *a,
                    const struct config_forward *b)
{
	return strcmp(a->name, b->name) == 0 && a->protocol == b->protocol &&
	       config_same_string(a->host, b->host) &&
	       config_same_string(a->port, b->port) && a->format == b->format &&
	       a->window == b->window && a->reconnect_min == b->reconnect_min &&
	       a->reconnect_max == b->reconnect_max;
}

const struct config_forward *
config_forward_named(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nforwards; i++)
		if (strcmp(cfg->forwards[i].name, name) == 0)
			return &cfg->forwards[i];
	return NULL;
}

const struct config_input *
config_input_named(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ninputs; i++)
		if (strcmp(cfg->inputs[i].name, name) == 0)
			return &cfg->inputs[i];
	return NULL;
}

void
config_diff(const struct config *old, const struct config *cfg,
            void (*fn)(void *arg, enum config_change what,
                       const struct config_input *in),
            void *arg, struct config_diff *n)
{
	const struct config_input *in, *o;
	enum config_change what;

	memset(n, 0, sizeof *n);
	for (size_t i = 0; i < cfg->ninputs; i++) {
		in = &cfg->inputs[i];
		o = config_input_named(old, in->name);
		if (o == NULL) {
			what = CONFIG_ADDED;
			n->added++;
		} else if (!config_input_same(o, in)) {
			what = CONFIG_CHANGED;
			n->changed++;
		} else {
			what = CONFIG_UNCHANGED;
			n->unchanged++;
		}
		if (fn != NULL)
			fn(arg, what, in);
	}
	for (size_t i = 0; i < old->ninputs; i++) {
		in = &old->inputs[i];
		if (config_input_named(cfg, in->name) != NULL)
			continue;
		n->removed++;
		if (fn != NULL)
			fn(arg, CONFIG_REMOVED, in);
	}
}

void
config_errors_clear(struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msgs[i]);
	free(errs->msgs);
	errs->msgs = NULL;
	errs->n = 0;
}

static void LOG_PRINTF(2, 3)
    config_errors_add(struct config_errors *errs, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		fatalx("out of memory");
	va_end(ap);
	errs->msgs = xreallocarray(errs->msgs, errs->n + 1, sizeof *errs->msgs);
	errs->msgs[errs->n++] = msg;
}

/* Records "FILE:LINE: [section] key: why"; section and key may be NULL. */
static void
config_verror(struct config_errors *errs, const char *file, int line,
              const char *section, const char *key, const char *fmt, va_list ap)
{
	char *why;

	if (vasprintf(&why, fmt, ap) < 0)
		fatalx("out of memory");
	if (section == NULL)
		config_errors_add(errs, "%s:%d: %s", file, line, why);
	else if (key == NULL)
		config_errors_add(errs, "%s:%d: [%s]: %s", file, line, section,
		                  why);
	else
		config_errors_add(errs, "%s:%d: [%s] %s: %s", file, line,
		                  section, key, why);
	free(why);
}

/* Records "FILE:LINE: [section] key: why" for a line of `file'. */
static void LOG_PRINTF(6, 7)
    config_error_at(struct config_errors *errs, const char *file, int line,
                    const char *section, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verror(errs, file, line, section, key, fmt, ap);
	va_end(ap);
}

/* Records "FILE:LINE: [section] key: why" for the file being parsed. */
static void LOG_PRINTF(5, 6)
    parse_error(struct parse *p, int line, const char *section, const char *key,
                const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verror(p->errs, p->file, line, section, key, fmt, ap);
	va_end(ap);
}

int
config_parse_duration(const char *s, uint64_t *ms, const char **why)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {{"", 1000},   {"ms", 1},      {"s", 1000},
	             {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
	char *end;
	unsigned long long n;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s)) {
		*why = "expected a duration such as 250ms, 1s, 5m or 1h";
		return -1;
	}
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno == ERANGE) {
		*why = "duration is too large";
		return -1;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		if (n > UINT64_MAX / units[i].ms) {
			*why = "duration is too large";
			return -1;
		}
		*ms = n * units[i].ms;
		return 0;
	}
	*why = "unknown duration unit (use ms, s, m, h or d)";
	return -1;
}

int
config_parse_size(const char *s, uint64_t *bytes, const char **why)
{
	static const char units[] = "KMGT";
	char *end;
	unsigned long long n;
	uint64_t mult = 1;
	const char *u;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s)) {
		*why = "expected a size such as 4096, 64K, 1M or 2G";
		return -1;
	}
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno == ERANGE) {
		*why = "size is too large";
		return -1;
	}
	if (*end != '\0') {
		u = strchr(units, toupper((unsigned char)*end));
		if (u == NULL) {
			*why = "unknown size unit (use K, M, G or T)";
			return -1;
		}
		for (const char *k = units; k <= u; k++)
			mult *= 1024;
		end++;
		if (strcmp(end, "") != 0 && strcmp(end, "B") != 0 &&
		    strcmp(end, "iB") != 0) {
			*why = "unknown size unit (use K, M, G or T)";
			return -1;
		}
	}
	if (n > UINT64_MAX / mult) {
		*why = "size is too large";
		return -1;
	}
	*bytes = n * mult;
	return 0;
}

/* Makes `path' absolute against the configuration file's directory. */
static char *
parse_path(struct parse *p, const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	return xasprintf("%s/%s", p->basedir, path);
}

/* Classifies a section name; returns 0 or -1 with a reason. */
static int
section_classify(struct parse *p, struct section *sec, const char **why)
{
	const char *name;

	if (strcmp(sec->name, "tailmux") == 0) {
		sec->kind = CONFIG_SECTION_TAILMUX;
		return 0;
	}
	if (strcmp(sec->name, "output") == 0) {
		sec->kind = CONFIG_SECTION_OUTPUT;
		return 0;
	}
	if (strncmp(sec->name, "input:", 6) == 0) {
		sec->kind = CONFIG_SECTION_INPUT;
		name = sec->name + 6;
	} else if (strncmp(sec->name, "forward:", 8) == 0) {
		sec->kind = CONFIG_SECTION_FORWARD;
		name = sec->name + 8;
	} else {
		*why = "unknown section (expected [tailmux], [output], "
		       "[input:NAME] or [forward:NAME])";
		return -1;
	}
	if (*name == '\0') {
		*why = sec->kind == CONFIG_SECTION_INPUT
		           ? "an input needs a name after \"input:\""
		           : "a forwarder needs a name after \"forward:\"";
		return -1;
	}
	for (const char *c = name; *c != '\0'; c++) {
		if (!isalnum((unsigned char)*c) && strchr("-_.", *c) == NULL) {
			*why = sec->kind == CONFIG_SECTION_INPUT
			           ? "an input name may hold only letters, "
			             "digits, '-', '_' and '.'"
			           : "a forwarder name may hold only letters, "
			             "digits, '-', '_' and '.'";
			return -1;
		}
	}
	return 0;
}

/* A new [forward:NAME] section: its forwarder, with the defaults. */
static void
parse_forward_add(struct parse *p, struct section *sec)
{
	struct config *cfg = p->cfg;
	struct config_forward *fw;

	cfg->forwards = xreallocarray(cfg->forwards, cfg->nforwards + 1,
	                              sizeof *cfg->forwards);
	sec->input = cfg->nforwards++;
	fw = &cfg->forwards[sec->input];
	memset(fw, 0, sizeof *fw);
	fw->name = xstrdup(sec->name + 8);
	fw->file = xstrdup(p->file);
	fw->line = sec->line;
	fw->protocol = FORWARD_RELP;
	fw->format = FORWARD_RAW;
	fw->window = 128;
	fw->reconnect_min = 100;
	fw->reconnect_max = 30000;
}

/* A section header line was read: record it, check it, and for a new input
 * add it to the configuration. */
static void
parse_section(struct parse *p, const char *name, size_t len)
{
	struct config *cfg = p->cfg;
	struct section *sec;
	const char *why;

	p->secs = xreallocarray(p->secs, p->nsecs + 1, sizeof *p->secs);
	sec = &p->secs[p->nsecs++];
	memset(sec, 0, sizeof *sec);
	sec->name = xstrndup(name, len);
	sec->line = p->lineno;
	if (section_classify(p, sec, &why) == -1) {
		parse_error(p, sec->line, sec->name, NULL, "%s", why);
		return;
	}
	for (size_t i = 0; i + 1 < p->nsecs; i++) {
		if (strcmp(p->secs[i].name, sec->name) == 0) {
			parse_error(p, sec->line, sec->name, NULL,
			            "section given twice (first at line %d)",
			            p->secs[i].line);
			return;
		}
	}
	if (p->includer != NULL && sec->kind != CONFIG_SECTION_INPUT) {
		parse_error(p, sec->line, sec->name, NULL,
		            "an included file may hold only [input:NAME] "
		            "sections: [tailmux] (with include) and [output] "
		            "belong in %s, which includes this file (line %d)",
		            p->includer, p->include_line);
		return;
	}
	if (sec->kind == CONFIG_SECTION_INPUT) {
		for (size_t i = 0; i < cfg->ninputs; i++) {
			struct config_input *o = &cfg->inputs[i];
			if (strcmp(o->name, sec->name + 6) == 0) {
				parse_error(p, sec->line, sec->name, NULL,
				            "input given twice: also at %s:%d",
				            o->file, o->line);
				return;
			}
		}
	}
	sec->valid = 1;
	if (sec->kind == CONFIG_SECTION_FORWARD) {
		parse_forward_add(p, sec);
		return;
	}
	if (sec->kind != CONFIG_SECTION_INPUT)
		return;
	cfg->inputs =
	    xreallocarray(cfg->inputs, cfg->ninputs + 1, sizeof *cfg->inputs);
	sec->input = cfg->ninputs++;
	memset(&cfg->inputs[sec->input], 0, sizeof cfg->inputs[0]);
	cfg->inputs[sec->input].name = xstrdup(sec->name + 6);
	cfg->inputs[sec->input].file = xstrdup(p->file);
	cfg->inputs[sec->input].line = sec->line;
	cfg->inputs[sec->input].start = START_HEAD;
	cfg->inputs[sec->input].rotate_wait = cfg->rotate_wait_default;
	cfg->inputs[sec->input].max_files = 1024;
	cfg->inputs[sec->input].rescan_interval = 10000;
}

/* Starts a section that holds no valid keys, for a header that could not
 * be read: its keys belong to no section, and a name no header can have
 * makes the handler skip them rather than blame the previous section. */
static void
parse_section_void(struct parse *p)
{
	p->secs = xreallocarray(p->secs, p->nsecs + 1, sizeof *p->secs);
	memset(&p->secs[p->nsecs], 0, sizeof p->secs[0]);
	p->secs[p->nsecs].name = xstrdup("");
	p->secs[p->nsecs++].line = p->lineno;
}

/* Looks at one whole line before inih does, for what inih does not tell:
 * section headers and lines it would reject without naming why. */
static void
parse_look(struct parse *p)
{
	const char *s = p->head, *end = p->head + p->head_len, *close;

	/* inih skips a UTF-8 byte order mark at the start of the file. */
	if (p->lineno == 1 && p->head_len >= 3 &&
	    memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (s < end && isspace((unsigned char)*s))
		s++;
	if (p->line_bad) {
		/* Already reported; a header that cannot be read still ends
		 * the section above it. */
		if (s < end && *s == '[')
			parse_section_void(p);
		return;
	}
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	if (s == end || *s == ';' || *s == '#')
		return;
	if (p->line_len > CONFIG_MAX_LINE - 3) {
		parse_error(p, p->lineno, NULL, NULL,
		            "line is longer than %d bytes",
		            CONFIG_MAX_LINE - 3);
		return;
	}
	if (*s == '[') {
		close = memchr(s, ']', (size_t)(end - s));
		if (close == NULL) {
			parse_error(p, p->lineno, NULL, NULL,
			            "section header lacks its closing ']'");
			parse_section_void(p);
			return;
		}
		parse_section(p, s + 1, (size_t)(close - s - 1));
		return;
	}
	if (memchr(s, '=', (size_t)(end - s)) == NULL &&
	    memchr(s, ':', (size_t)(end - s)) == NULL)
		parse_error(
		    p, p->lineno, NULL, NULL,
		    "expected \"key = value\", a [section] or a comment");
}

/* Reads as fgets(3) does (up to num - 1 bytes, or a line), NUL bytes
 * included, and sets *lenp to the number of bytes read; NULL at the end of
 * the file or on an error. */
static char *
parse_gets(char *str, int num, FILE *fp, size_t *lenp)
{
	size_t n = 0;
	int c = 0; /* fgets(3) gives "" for num 1, not the end of the file */

	while (n + 1 < (size_t)num && (c = getc(fp)) != EOF) {
		str[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (num > 0)
		str[n] = '\0';
	*lenp = n;
	if (ferror(fp) || (n == 0 && c == EOF))
		return NULL;
	return str;
}

/* Reports the first byte of the line that a configuration file cannot
 * hold, a NUL or a control character other than a tab (or the "\r" of a
 * "\r\n"), and blanks each one in the `n' bytes of `str', so that inih
 * sees as many bytes as we do.  UTF-8 and other bytes above 0x7f pass. */
static void
parse_check_bytes(struct parse *p, char *str, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)str[i];

		if ((c >= ' ' && c != 0x7f) || c == '\t' || c == '\n' ||
		    (c == '\r' && (i + 1 == n || str[i + 1] == '\n')))
			continue;
		if (!p->line_bad) {
			size_t col = p->line_len + i + 1;
			if (c == '\0')
				parse_error(p, p->lineno, NULL, NULL,
				            "line holds a NUL byte at column "
				            "%zu; a configuration file is text",
				            col);
			else
				parse_error(p, p->lineno, NULL, NULL,
				            "line holds control character "
				            "0x%02x at column %zu; a "
				            "configuration file is text",
				            c, col);
			p->line_bad = 1;
		}
		str[i] = ' ';
	}
}

/* inih's line source: counts lines, rejects bytes no text holds and
 * watches each whole line. */
static char *
parse_reader(char *str, int num, void *arg)
{
	struct parse *p = arg;
	size_t n, room;

	if (parse_gets(str, num, p->fp, &n) == NULL) {
		if (!p->line_done && p->line_len > 0) {
			p->line_done = 1;
			parse_look(p);
		}
		return NULL;
	}
	if (p->line_done) {
		p->lineno++;
		p->line_len = 0;
		p->head_len = 0;
		p->line_done = 0;
		p->line_bad = 0;
	}
	parse_check_bytes(p, str, n);
	room = sizeof p->head - p->head_len;
	memcpy(p->head + p->head_len, str, n < room ? n : room);
	p->head_len += n < room ? n : room;
	p->line_len += n;
	if (n > 0 && str[n - 1] == '\n') {
		/* The limit is on the line, not on its "\n" or "\r\n". */
		p->line_len -= n > 1 && str[n - 2] == '\r' ? 2 : 1;
		p->line_done = 1;
		parse_look(p);
	} else if (feof(p->fp)) {
		p->line_done = 1;
		parse_look(p);
	}
#ifndef HAVE_INI_RUNTIME_SWITCHES
	else if ((int)n == num - 1) {
		/* inih cannot grow its buffer: it would see a cut line. */
		p->line_len = CONFIG_MAX_LINE;
		p->line_done = 1;
		parse_error(p, p->lineno, NULL, NULL,
		            "line is longer than %d bytes", num - 2);
	}
#endif
	return str;
}

static int
parse_uint(const char *s, unsigned long min, unsigned long max,
           unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parses a duration into *out if it is within [min, max] milliseconds;
 * else -1 with a reason (`range' when it is out of bounds). */
static int
parse_ms(const char *value, uint64_t min, uint64_t max, const char *range,
         uint64_t *out, const char **why)
{
	uint64_t ms;

	if (config_parse_duration(value, &ms, why) == -1)
		return -1;
	if (ms < min || ms > max) {
		*why = range;
		return -1;
	}
	*out = ms;
	return 0;
}

/* Parses yes/no (true/false, on/off, 1/0) into *out. */
static int
parse_bool(const char *value, int *out, const char **why)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	*why = "expected yes or no";
	return -1;
}

/* Parses rotate_interval: none, hourly, daily or a duration of whole
 * seconds (from 1s to 1d) that divides a day, its boundaries counted from
 * the clock's midnight. */
static int
parse_period(const char *value, struct config *cfg, const char **why)
{
	uint64_t ms;

	cfg->rotate_every = 0;
	if (strcmp(value, "none") == 0)
		cfg->rotate_period = ROTATE_NONE;
	else if (strcmp(value, "hourly") == 0)
		cfg->rotate_period = ROTATE_HOURLY;
	else if (strcmp(value, "daily") == 0)
		cfg->rotate_period = ROTATE_DAILY;
	else if (config_parse_duration(value, &ms, why) == -1) {
		*why = "expected none, hourly, daily or a duration";
		return -1;
	} else if (ms < 1000 || ms > 86400000 || ms % 1000 != 0) {
		*why = "a duration must be whole seconds from 1s to 1d";
		return -1;
	} else if (86400000 % ms != 0) {
		*why = "a duration must divide a day (such as 1m, 5m, 15m, "
		       "2h), so that boundaries fall at the same times daily";
		return -1;
	} else {
		cfg->rotate_period = ROTATE_EVERY;
		cfg->rotate_every = ms;
	}
	return 0;
}

/* Parses target = HOST:PORT (an IPv6 address in brackets) into fw. */
static int
parse_target(struct config_forward *fw, const char *value, const char **why)
{
	const char *colon, *host = value;
	size_t hlen;
	unsigned long port;

	if (*value == '[') {
		const char *close = strchr(value, ']');
		if (close == NULL || close[1] != ':') {
			*why = "expected HOST:PORT, an IPv6 address as "
			       "[ADDR]:PORT";
			return -1;
		}
		host = value + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(value, ':');
		if (colon == NULL ||
		    memchr(value, ':', (size_t)(colon - value))) {
			*why = "expected HOST:PORT, an IPv6 address as "
			       "[ADDR]:PORT";
			return -1;
		}
		hlen = (size_t)(colon - value);
	}
	if (hlen == 0) {
		*why = "the host is empty";
		return -1;
	}
	for (size_t i = 0; i < hlen; i++) {
		if (isspace((unsigned char)host[i])) {
			*why = "the host may not hold spaces";
			return -1;
		}
	}
	if (parse_uint(colon + 1, 1, 65535, &port) == -1) {
		*why = "the port must be a number from 1 to 65535";
		return -1;
	}
	free(fw->host);
	free(fw->port);
	fw->host = xstrndup(host, hlen);
	fw->port = xstrdup(colon + 1);
	return 0;
}

/* Applies one key of a [forward:NAME] section, given at line `lineno';
 * returns 0, or -1 with a reason in *why. */
static int
parse_forward_value(struct config_forward *fw, enum key_id k, const char *value,
                    int lineno, const char **why)
{
	unsigned long ul;

	if (*value == '\0') {
		*why = "value is empty";
		return -1;
	}
	switch (k) {
	case K_FWD_PROTOCOL:
		if (strcmp(value, "relp") == 0) {
			fw->protocol = FORWARD_RELP;
			return 0;
		}
		if (strcmp(value, "syslog-tcp") == 0) {
			fw->protocol = FORWARD_SYSLOG_TCP;
			return 0;
		}
		if (strcmp(value, "syslog-tls") == 0) {
			*why = "not supported yet (relp and syslog-tcp are)";
			return -1;
		}
		*why = "expected relp or syslog-tcp";
		return -1;
	case K_FWD_TARGET:
		if (parse_target(fw, value, why) == 0)
			return 0;
		/* Given, if badly: the check for a missing one stays quiet
		 * (the load fails on this error anyway). */
		if (fw->host == NULL)
			fw->host = xstrdup("");
		return -1;
	case K_FWD_FORMAT:
		fw->format_given = 1;
		if (strcmp(value, "raw") == 0)
			fw->format = FORWARD_RAW;
		else if (strcmp(value, "rfc5424") == 0)
			fw->format = FORWARD_RFC5424;
		else {
			*why = "expected raw or rfc5424";
			return -1;
		}
		return 0;
	case K_FWD_WINDOW:
		if (parse_uint(value, 1, 65536, &ul) == -1) {
			*why = "expected a whole number from 1 to 65536";
			return -1;
		}
		fw->window = (unsigned)ul;
		fw->window_line = lineno;
		return 0;
	case K_FWD_RECONNECT_MIN:
		return parse_ms(value, 10, 3600000, "must be from 10ms to 1h",
		                &fw->reconnect_min, why);
	case K_FWD_RECONNECT_MAX:
		return parse_ms(value, 10, 3600000, "must be from 10ms to 1h",
		                &fw->reconnect_max, why);
	default:
		break;
	}
	*why = "internal error: unhandled key";
	return -1;
}

/* Applies one key's value; returns 0, or -1 with a reason in *why. */
static int
parse_value(struct parse *p, struct section *sec, enum key_id k,
            const char *value, const char **why)
{
	struct config *cfg = p->cfg;
	struct config_input *in = NULL;
	unsigned long ul;
	uint64_t u64;
	int level;

	if (sec->kind == CONFIG_SECTION_INPUT)
		in = &cfg->inputs[sec->input];
	if (sec->kind == CONFIG_SECTION_FORWARD)
		return parse_forward_value(&cfg->forwards[sec->input], k, value,
		                           p->lineno, why);
	if (*value == '\0' && k != K_INPUT_PATH) {
		*why = "value is empty";
		return -1;
	}
	switch (k) {
	case K_WORKERS:
		if (parse_uint(value, 1, 256, &ul) == -1) {
			*why = "expected a whole number from 1 to 256";
			return -1;
		}
		cfg->workers = (unsigned)ul;
		return 0;
	case K_STATE_FILE:
		free(cfg->state_file);
		cfg->state_file = parse_path(p, value);
		return 0;
	case K_POLL_INTERVAL:
		return parse_ms(value, 10, 3600000, "must be from 10ms to 1h",
		                &cfg->poll_interval, why);
	case K_MAX_LINE:
		if (config_parse_size(value, &u64, why) == -1)
			return -1;
		if (u64 < 16 || u64 > (1ULL << 30)) {
			*why = "must be from 16 bytes to 1G";
			return -1;
		}
		cfg->max_line = u64;
		return 0;
	case K_LOG_LEVEL:
		level = log_level_parse(value);
		if (level == -1) {
			*why = "expected err, warning, notice, info or debug";
			return -1;
		}
		cfg->log_level = level;
		return 0;
	case K_CHECKPOINT_INTERVAL:
		return parse_ms(value, 10, 3600000, "must be from 10ms to 1h",
		                &cfg->checkpoint_interval, why);
	case K_STOP_TIMEOUT:
		return parse_ms(value, 100, 3600000, "must be from 100ms to 1h",
		                &cfg->stop_timeout, why);
	case K_ROTATE_WAIT:
		return parse_ms(value, 0, 86400000, "must be at most 1d",
		                &in->rotate_wait, why);
	case K_EXCLUDE:
		in->excludes = xreallocarray(in->excludes, in->nexcludes + 1,
		                             sizeof *in->excludes);
		/* A pattern with no '/' is matched against file names. */
		in->excludes[in->nexcludes++] = strchr(value, '/') == NULL
		                                    ? xstrdup(value)
		                                    : parse_path(p, value);
		return 0;
	case K_MAX_FILES:
		if (parse_uint(value, 1, 1000000, &ul) == -1) {
			*why = "expected a whole number from 1 to 1000000";
			return -1;
		}
		in->max_files = (unsigned)ul;
		return 0;
	case K_RESCAN_INTERVAL:
		return parse_ms(value, 100, 86400000,
		                "must be from 100ms to 1d",
		                &in->rescan_interval, why);
	case K_ROTATED_DIR:
		if (*value == '\0' || config_is_glob(value)) {
			*why = "expected a directory, without wildcards";
			return -1;
		}
		free(in->rotated_dir);
		in->rotated_dir = xstrdup(value);
		return 0;
	case K_ROTATED:
		if (*value == '\0' || strchr(value, '/') != NULL) {
			*why = "expected a glob of file names, without '/'";
			return -1;
		}
		free(in->rotated_glob);
		in->rotated_glob = xstrdup(value);
		return 0;
	case K_DATEFORMAT:
		if (!config_dateformat_ok(value)) {
			*why = "expected a logrotate dateformat: %Y %m %d %H "
			       "%M %S %V %s and %% among other characters, at "
			       "least one of them, without '/'";
			return -1;
		}
		free(in->dateformat);
		in->dateformat = xstrdup(value);
		return 0;
	case K_INCLUDE:
		cfg->includes = xreallocarray(cfg->includes, cfg->nincludes + 1,
		                              sizeof *cfg->includes);
		cfg->include_lines =
		    xreallocarray(cfg->include_lines, cfg->nincludes + 1,
		                  sizeof *cfg->include_lines);
		cfg->includes[cfg->nincludes] = parse_path(p, value);
		cfg->include_lines[cfg->nincludes++] = p->lineno;
		return 0;
	case K_OUTPUT_PATH:
		free(cfg->output_path);
		cfg->output_path = parse_path(p, value);
		return 0;
	case K_MAX_PENDING:
		if (config_parse_size(value, &u64, why) == -1)
			return -1;
		if (u64 < 64 * 1024 || u64 > (1ULL << 32)) {
			*why = "must be from 64K to 4G";
			return -1;
		}
		cfg->max_pending = u64;
		return 0;
	case K_ROTATE_SIZE:
		if (config_parse_size(value, &u64, why) == -1)
			return -1;
		if (u64 != 0 && (u64 < 4096 || u64 > (1ULL << 40))) {
			*why = "must be 0 (off) or from 4K to 1T";
			return -1;
		}
		cfg->rotate_size = u64;
		return 0;
	case K_ROTATE_INTERVAL:
		return parse_period(value, cfg, why);
	case K_ROTATE_UTC:
		return parse_bool(value, &cfg->rotate_utc, why);
	case K_KEEP:
		if (parse_uint(value, 0, 100000, &ul) == -1) {
			*why = "expected a whole number from 0 (no limit) to "
			       "100000";
			return -1;
		}
		cfg->keep = (unsigned)ul;
		return 0;
	case K_MAX_AGE:
		return parse_ms(value, 0, 100ULL * 365 * 86400000,
		                "must be at most 100 years (0: no limit)",
		                &cfg->max_age, why);
	case K_COMPRESS:
		if (strcmp(value, "none") == 0)
			cfg->compress = COMPRESS_NONE;
		else if (strcmp(value, "gzip") == 0)
			cfg->compress = COMPRESS_GZIP;
		else {
			*why = "expected none or gzip";
			return -1;
		}
		return 0;
	case K_COMPRESS_LEVEL:
		if (parse_uint(value, 1, 9, &ul) == -1) {
			*why = "expected a whole number from 1 (fastest) to 9 "
			       "(smallest)";
			return -1;
		}
		cfg->compress_level = (int)ul;
		return 0;
	case K_FSYNC:
		for (int f = FSYNC_NEVER; f <= FSYNC_ALWAYS; f++)
			if (strcmp(value, config_fsync_name(f)) == 0) {
				cfg->fsync = f;
				return 0;
			}
		*why = "expected never, rotate, interval or always";
		return -1;
	case K_FSYNC_INTERVAL:
		return parse_ms(value, 10, 3600000, "must be from 10ms to 1h",
		                &cfg->fsync_interval, why);
	case K_FORMAT:
		if (strcmp(value, "raw") == 0)
			cfg->format = FORMAT_RAW;
		else if (strcmp(value, "tagged") == 0)
			cfg->format = FORMAT_TAGGED;
		else if (strcmp(value, "json") == 0)
			cfg->format = FORMAT_JSON;
		else {
			*why = "expected raw, tagged or json";
			return -1;
		}
		return 0;
	case K_INPUT_PATH:
		if (*value == '\0') {
			*why = "value is empty";
			return -1;
		}
		in->paths =
		    xreallocarray(in->paths, in->npaths + 1, sizeof *in->paths);
		in->path_lines = xreallocarray(in->path_lines, in->npaths + 1,
		                               sizeof *in->path_lines);
		in->paths[in->npaths] = parse_path(p, value);
		in->path_lines[in->npaths++] = p->lineno;
		return 0;
	case K_TAG:
		if (strlen(value) > 256) {
			*why = "tag is longer than 256 bytes";
			return -1;
		}
		for (const char *c = value; *c != '\0'; c++) {
			if (isspace((unsigned char)*c) ||
			    iscntrl((unsigned char)*c)) {
				*why = "a tag may not hold spaces or control "
				       "characters";
				return -1;
			}
		}
		free(in->tag);
		in->tag = xstrdup(value);
		return 0;
	case K_START:
		if (strcmp(value, "head") == 0)
			in->start = START_HEAD;
		else if (strcmp(value, "end") == 0)
			in->start = START_END;
		else {
			*why = "expected head or end";
			return -1;
		}
		return 0;
	case K_FWD_PROTOCOL:
	case K_FWD_TARGET:
	case K_FWD_FORMAT:
	case K_FWD_WINDOW:
	case K_FWD_RECONNECT_MIN:
	case K_FWD_RECONNECT_MAX:
	case K_COUNT:
		break;
	}
	*why = "internal error: unhandled key";
	return -1;
}

/* inih's callback: one key = value in the current section. */
static int
parse_handler(void *arg, const char *section, const char *name,
              const char *value)
{
	struct parse *p = arg;
	struct section *sec;
	const char *why;
	enum key_id k;

	if (p->line_bad)
		return 1; /* the line's error already says it */
	if (p->nsecs == 0) {
		parse_error(p, p->lineno, NULL, NULL,
		            "\"%s\" appears before any [section]", name);
		return 1;
	}
	sec = &p->secs[p->nsecs - 1];
	if (!sec->valid)
		return 1; /* the header's error already says it */
	(void)section;
	for (k = 0; k < K_COUNT; k++)
		if (config_key_table[k].section == sec->kind &&
		    strcmp(config_key_table[k].name, name) == 0)
			break;
	if (k == K_COUNT) {
		parse_error(p, p->lineno, sec->name, name, "unknown key");
		return 1;
	}
	if (sec->key_line[k] != 0 && k != K_INPUT_PATH && k != K_EXCLUDE &&
	    k != K_INCLUDE) {
		parse_error(p, p->lineno, sec->name, name,
		            "given twice (first at line %d)", sec->key_line[k]);
		return 1;
	}
	if (sec->key_line[k] == 0)
		sec->key_line[k] = p->lineno;
	if (parse_value(p, sec, k, value, &why) == -1)
		parse_error(p, p->lineno, sec->name, name, "%s: \"%s\"", why,
		            value);
	return 1;
}

/* The checks that need every file: inputs without paths, a path used
 * twice, the output or the state file among the inputs. */
static void
config_validate(struct config *cfg, struct config_errors *errs)
{
	struct stat out_st, st;
	int have_out = stat(cfg->output_path, &out_st) == 0;

	if (cfg->ninputs == 0 && cfg->nincluded > 0)
		config_errors_add(
		    errs,
		    "%s: no [input:NAME] section, in it or in the "
		    "%zu files it includes: nothing to tail",
		    cfg->file, cfg->nincluded);
	else if (cfg->ninputs == 0)
		config_errors_add(
		    errs, "%s: no [input:NAME] section: nothing to tail",
		    cfg->file);
	for (size_t i = 0; i < cfg->ninputs; i++) {
		struct config_input *in = &cfg->inputs[i];
		char sec[300];

		snprintf(sec, sizeof sec, "input:%s", in->name);
		if (in->tag == NULL)
			in->tag = xstrdup(in->name);
		if (in->npaths == 0)
			config_error_at(errs, in->file, in->line, sec, "path",
			                "missing: give the file to tail");
		for (size_t j = 0; j < in->npaths; j++) {
			const char *path = in->paths[j];
			int line = in->path_lines[j];

			if (strcmp(path, cfg->output_path) == 0 ||
			    (config_is_glob(path) &&
			     fnmatch(path, cfg->output_path, FNM_PATHNAME) ==
			         0) ||
			    (have_out && stat(path, &st) == 0 &&
			     st.st_dev == out_st.st_dev &&
			     st.st_ino == out_st.st_ino))
				config_error_at(
				    errs, in->file, line, sec, "path",
				    "%s is also the [output] path: "
				    "tailmux would read its own output",
				    path);
			if (strcmp(path, cfg->state_file) == 0 ||
			    (config_is_glob(path) &&
			     fnmatch(path, cfg->state_file, FNM_PATHNAME) == 0))
				config_error_at(
				    errs, in->file, line, sec, "path",
				    "%s is also [tailmux] state_file", path);
			for (size_t a = 0; a <= i; a++) {
				struct config_input *o = &cfg->inputs[a];
				size_t lim = a == i ? j : o->npaths;
				for (size_t b = 0; b < lim; b++) {
					if (strcmp(o->paths[b], path) != 0)
						continue;
					if (strcmp(o->file, in->file) == 0)
						config_error_at(
						    errs, in->file, line, sec,
						    "path",
						    "%s is already tailed by "
						    "[input:%s] (line %d)",
						    path, o->name,
						    o->path_lines[b]);
					else
						config_error_at(
						    errs, in->file, line, sec,
						    "path",
						    "%s is already tailed by "
						    "[input:%s] (%s:%d)",
						    path, o->name, o->file,
						    o->path_lines[b]);
				}
			}
		}
	}
	for (size_t i = 0; i < cfg->nforwards; i++) {
		struct config_forward *fw = &cfg->forwards[i];
		char sec[300];

		snprintf(sec, sizeof sec, "forward:%s", fw->name);
		if (fw->host == NULL)
			config_error_at(errs, fw->file, fw->line, sec, "target",
			                "missing: give the relay as HOST:PORT");
		if (fw->protocol != FORWARD_RELP && fw->window_line != 0)
			config_error_at(
			    errs, fw->file, fw->window_line, sec, "window",
			    "only for protocol = relp: %s has no "
			    "acknowledgements to count frames by",
			    config_forward_protocol_name(fw->protocol));
		if (fw->protocol == FORWARD_SYSLOG_TCP && !fw->format_given)
			fw->format = FORWARD_RFC5424;
		if (fw->reconnect_min > fw->reconnect_max)
			config_error_at(
			    errs, fw->file, fw->line, sec, "reconnect_min",
			    "%" PRIu64 "ms is more than reconnect_max "
			    "(%" PRIu64 "ms)",
			    fw->reconnect_min, fw->reconnect_max);
	}
	if (strcmp(cfg->state_file, cfg->output_path) == 0)
		config_errors_add(errs,
		                  "%s: [tailmux] state_file and [output] path "
		                  "are both %s",
		                  cfg->file, cfg->output_path);
}
/* Fills in every default. */
static void
config_defaults(struct config *cfg)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	const char *why;

	cfg->workers = n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
	cfg->state_file = xstrdup(config_key_table[K_STATE_FILE].def);
	cfg->output_path = xstrdup(config_key_table[K_OUTPUT_PATH].def);
	if (config_parse_duration(config_key_table[K_POLL_INTERVAL].def,
	                          &cfg->poll_interval, &why) == -1 ||
	    config_parse_size(config_key_table[K_MAX_LINE].def, &cfg->max_line,
	                      &why) == -1 ||
	    config_parse_duration(config_key_table[K_CHECKPOINT_INTERVAL].def,
	                          &cfg->checkpoint_interval, &why) == -1 ||
	    config_parse_duration(config_key_table[K_STOP_TIMEOUT].def,
	                          &cfg->stop_timeout, &why) == -1 ||
	    config_parse_duration(config_key_table[K_ROTATE_WAIT].def,
	                          &cfg->rotate_wait_default, &why) == -1 ||
	    config_parse_size(config_key_table[K_MAX_PENDING].def,
	                      &cfg->max_pending, &why) == -1)
		fatalx("internal error: bad default: %s", why);
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->format = FORMAT_RAW;
	cfg->rotate_period = ROTATE_DAILY;
	cfg->keep = 7;
	cfg->compress_level = 6;
	cfg->fsync = FSYNC_INTERVAL;
	cfg->fsync_interval = 1000;
}

/* The directory holding `file', absolute. */
static char *
config_basedir(const char *file)
{
	char *real = realpath(file, NULL), *dir;

	if (real == NULL)
		return xstrdup(".");
	dir = path_dir(real);
	free(real);
	return dir;
}

/* Parses one file into `cfg'.  `includer' is NULL for the main file, or
 * the file whose include pattern (at `include_line') matched this one.
 * Returns -1 if the file cannot be opened, else 0 (errors or not). */
static int
config_parse_file(struct config *cfg, const char *file, const char *includer,
                  int include_line, struct config_errors *errs)
{
	struct parse p;
	size_t before = errs->n;
	int r;

	memset(&p, 0, sizeof p);
	p.file = file;
	p.includer = includer;
	p.include_line = include_line;
	p.errs = errs;
	p.cfg = cfg;
	p.line_done = 1;
	p.fp = fopen(file, "r");
	if (p.fp == NULL) {
		if (includer != NULL)
			config_errors_add(errs,
			                  "%s: cannot open: %s (included by "
			                  "%s:%d)",
			                  file, strerror(errno), includer,
			                  include_line);
		else
			config_errors_add(errs, "%s: cannot open: %s", file,
			                  strerror(errno));
		return -1;
	}
	p.basedir = config_basedir(file);

#ifdef HAVE_INI_RUNTIME_SWITCHES
	ini_use_stack = 0;
	ini_allow_realloc = 1;
	ini_max_line = CONFIG_MAX_LINE;
	ini_allow_multiline = 0;
#endif
	r = ini_parse_stream(parse_reader, &p, parse_handler, &p);
	if (ferror(p.fp))
		config_errors_add(errs, "%s: read error: %s", file,
		                  strerror(errno));
	fclose(p.fp);
	if (r == -2)
		fatalx("out of memory parsing %s", file);
	if (r != 0 && errs->n == before)
		config_errors_add(errs, "%s:%d: cannot parse this line", file,
		                  r);
	for (size_t i = 0; i < p.nsecs; i++)
		free(p.secs[i].name);
	free(p.secs);
	free(p.basedir);
	return 0;
}

static int
config_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the files include pattern `k' matches, in byte order of their
 * names: regular files only, each file once (the main one never). */
static void
config_include(struct config *cfg, size_t k, struct stat **seen, size_t *nseen,
               struct config_errors *errs)
{
	const char *pattern = cfg->includes[k];
	int line = cfg->include_lines[k];
	struct stat st;
	char *dir;
	glob_t gl;
	DIR *dp;
	int r;

	r = glob(pattern, GLOB_NOSORT, NULL, &gl);
	if (r == GLOB_NOSPACE)
		fatalx("out of memory expanding %s", pattern);
	if (r != 0) {
		/* Nothing matched: fine, unless the directory cannot be read
		 * (glob(3) does not tell). */
		dir = path_dir(pattern);
		if (!config_is_glob(dir)) {
			dp = opendir(dir);
			if (dp != NULL)
				closedir(dp);
			else if (errno != ENOENT)
				config_error_at(
				    errs, cfg->file, line, "tailmux", "include",
				    "cannot read %s: %s", dir, strerror(errno));
		}
		free(dir);
		if (r != GLOB_NOMATCH)
			globfree(&gl);
		return;
	}
	qsort(gl.gl_pathv, gl.gl_pathc, sizeof *gl.gl_pathv, config_strcmp);
	for (size_t i = 0; i < gl.gl_pathc; i++) {
		const char *file = gl.gl_pathv[i];
		size_t j;

		if (stat(file, &st) == -1 || S_ISDIR(st.st_mode))
			continue; /* gone since, or a directory */
		if (!S_ISREG(st.st_mode)) {
			config_error_at(errs, cfg->file, line, "tailmux",
			                "include", "%s is not a regular file",
			                file);
			continue;
		}
		for (j = 0; j < *nseen; j++)
			if ((*seen)[j].st_dev == st.st_dev &&
			    (*seen)[j].st_ino == st.st_ino)
				break;
		if (j < *nseen)
			continue;
		*seen = xreallocarray(*seen, *nseen + 1, sizeof **seen);
		(*seen)[(*nseen)++] = st;
		cfg->included = xreallocarray(cfg->included, cfg->nincluded + 1,
		                              sizeof *cfg->included);
		cfg->included[cfg->nincluded++] = xstrdup(file);
		config_parse_file(cfg, file, cfg->file, line, errs);
	}
	globfree(&gl);
}

struct config *
config_load(const char *file, struct config_errors *errs)
{
	struct config *cfg;
	struct stat *seen = NULL;
	size_t before = errs->n, nseen = 0;

	cfg = xcalloc(1, sizeof *cfg);
	cfg->file = xstrdup(file);
	config_defaults(cfg);
	if (config_parse_file(cfg, file, NULL, 0, errs) == -1) {
		config_free(cfg);
		return NULL;
	}
	/* The main file itself is never read again. */
	seen = xcalloc(1, sizeof *seen);
	if (stat(file, &seen[0]) == 0)
		nseen = 1;
	for (size_t k = 0; k < cfg->nincludes; k++)
		config_include(cfg, k, &seen, &nseen, errs);
	free(seen);
	config_validate(cfg, errs);
	if (errs->n != before) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->ninputs; i++) {
		struct config_input *in = &cfg->inputs[i];
		for (size_t j = 0; j < in->npaths; j++)
			free(in->paths[j]);
		free(in->paths);
		free(in->path_lines);
		for (size_t j = 0; j < in->nexcludes; j++)
			free(in->excludes[j]);
		free(in->excludes);
		free(in->rotated_dir);
		free(in->rotated_glob);
		free(in->dateformat);
		free(in->name);
		free(in->file);
		free(in->tag);
	}
	free(cfg->inputs);
	for (size_t i = 0; i < cfg->nforwards; i++) {
		struct config_forward *fw = &cfg->forwards[i];
		free(fw->name);
		free(fw->host);
		free(fw->port);
		free(fw->file);
	}
	free(cfg->forwards);
	for (size_t i = 0; i < cfg->nincludes; i++)
		free(cfg->includes[i]);
	free(cfg->includes);
	free(cfg->include_lines);
	for (size_t i = 0; i < cfg->nincluded; i++)
		free(cfg->included[i]);
	free(cfg->included);
	free(cfg->file);
	free(cfg->state_file);
	free(cfg->output_path);
	free(cfg);
}
