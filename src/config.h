/* config.h -- the INI file, parsed into an immutable configuration. */
#ifndef TAILMUX_CONFIG_H
#define TAILMUX_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum format {
	FORMAT_RAW,
	FORMAT_TAGGED,
	FORMAT_JSON,
};

enum start {
	START_HEAD,
	START_END,
};

/* [output] rotate_interval: wall-clock boundaries to rotate at. */
enum rotate_period {
	ROTATE_NONE,
	ROTATE_HOURLY,
	ROTATE_DAILY,
	ROTATE_EVERY, /* every rotate_every ms, aligned to the clock */
};

enum compress {
	COMPRESS_NONE,
	COMPRESS_GZIP,
};

/* [output] fsync: when the output's data is forced to disk. */
enum fsync_policy {
	FSYNC_NEVER,
	FSYNC_ROTATE,
	FSYNC_INTERVAL,
	FSYNC_ALWAYS,
};

/* One [input:NAME] section. */
struct config_input {
	char *name;
	char *tag;
	char **paths; /* absolute, in the order given */
	int *path_lines;
	size_t npaths;
	enum start start;
	uint64_t rotate_wait; /* ms a rotated file stays open for late writes */
	char **excludes;      /* globs; without '/', matched to file names */
	size_t nexcludes;
	unsigned max_files;       /* files followed at once by its globs */
	uint64_t rescan_interval; /* ms between looks for new glob matches */
	char *rotated_dir;  /* where rotated files go (logrotate's olddir):
	                       absolute, or relative to each path's directory;
	                       NULL: beside the path */
	char *rotated_glob; /* more rotated names of a path's file (fnmatch on
	                       the name), or NULL */
	char *dateformat;   /* logrotate's dateformat of its dated rotated
	                       names, beyond the defaults, or NULL */
	char *file;         /* the file holding the section */
	int line;           /* of the section header */
};

/* [forward:NAME] protocol: how the merged stream goes to a relay. */
enum forward_protocol {
	FORWARD_RELP,       /* RELP, each frame acknowledged */
	FORWARD_SYSLOG_TCP, /* RFC 5424 over TCP, octet-counted (RFC 6587) */
};

/* [forward:NAME] format: what one frame's message is. */
enum forward_format {
	FORWARD_RAW,     /* the output's line as it is, without its newline */
	FORWARD_RFC5424, /* the line as the MSG of an RFC 5424 header */
};

/* One [forward:NAME] section: the merged output, sent on to a relay. */
struct config_forward {
	char *name;
	enum forward_protocol protocol;
	char *host; /* of target = HOST:PORT; NULL until given */
	char *port;
	enum forward_format format; /* default: raw for relp, else rfc5424 */
	int format_given;
	unsigned window;        /* relp: frames sent, not yet acknowledged */
	int window_line;        /* where window was given, or 0 */
	uint64_t reconnect_min; /* ms: the first pause after a failure */
	uint64_t reconnect_max; /* ms: the longest, doubling up to it */
	char *file;             /* the file holding the section */
	int line;               /* of the section header */
};

/* A whole configuration.  Never changed once config_load() returns it. */
struct config {
	char *file;
	unsigned workers;
	char *state_file;
	uint64_t poll_interval; /* milliseconds */
	uint64_t max_line;      /* bytes */
	int log_level;
	uint64_t checkpoint_interval; /* milliseconds */
	uint64_t stop_timeout;        /* ms a stop may take to write all */
	uint64_t rotate_wait_default;
	char *output_path;
	enum format format;
	uint64_t max_pending; /* output bytes waiting before reads pause */
	uint64_t rotate_size; /* bytes; 0: no rotation by size */
	enum rotate_period rotate_period;
	uint64_t rotate_every; /* ms, for ROTATE_EVERY */
	int rotate_utc;        /* boundaries and names in UTC, not local */
	unsigned keep;         /* rotated files kept; 0: no limit */
	uint64_t max_age;      /* ms a rotated file is kept; 0: no limit */
	enum compress compress;
	int compress_level;
	enum fsync_policy fsync;
	uint64_t fsync_interval; /* ms */
	struct config_input *inputs;
	size_t ninputs;
	struct config_forward *forwards;
	size_t nforwards;
	char **includes; /* [tailmux] include patterns, absolute */
	int *include_lines;
	size_t nincludes;
	char **included; /* the files they matched, in the order read */
	size_t nincluded;
};

/* The messages of a failed load, each "FILE:LINE: [section] key: why". */
struct config_errors {
	char **msgs;
	size_t n;
};

/* How a key is written in the file, for the parser and for the docs test. */
enum config_section {
	CONFIG_SECTION_TAILMUX,
	CONFIG_SECTION_OUTPUT,
	CONFIG_SECTION_INPUT,
	CONFIG_SECTION_FORWARD,
};

struct config_key {
	enum config_section section;
	const char *name;
	const char *def; /* NULL: no default, or computed */
};

/* Reads and validates `file', then the files its include patterns match
 * (each pattern's matches in byte order of their names; only [input:NAME]
 * sections there).  Returns a configuration, or NULL with every error found
 * appended to `errs' (which the caller frees). */
struct config *config_load(const char *file, struct config_errors *errs);

/* Frees a configuration; NULL is fine. */
void config_free(struct config *cfg);

/* Frees the messages and leaves an empty list. */
void config_errors_clear(struct config_errors *errs);

/* The keys the parser accepts, ending with a NULL name. */
const struct config_key *config_keys(void);

/* Parses a duration: a number and a unit (ms, s, m, h, d); a bare number
 * is seconds.  Returns 0 and milliseconds, or -1 and a reason. */
int config_parse_duration(const char *s, uint64_t *ms, const char **why);

/* Parses a size: a number and an optional K, M, G or T (powers of 1024,
 * "KiB" and "KB" spellings too).  Returns 0 and bytes, or -1 and a reason. */
int config_parse_size(const char *s, uint64_t *bytes, const char **why);

/* True if a path is a glob pattern (holds *, ? or [). */
int config_is_glob(const char *path);

/* True if `path' matches one of the input's exclude patterns: those with
 * a '/' are matched against the whole path, the others against the file
 * name. */
int config_excluded(const struct config_input *in, const char *path);

/* The input of `cfg' that covers `path': one that names it literally,
 * else one with a glob that matches it (wildcards match no '/' and no '.'
 * starting a file name) and no exclude pattern that does: the input called
 * `name' (if not NULL) before the others, else the first.  *from_glob says
 * which kind it was.  NULL if no input covers the path. */
const struct config_input *config_input_for(const struct config *cfg,
                                            const char *path, const char *name,
                                            int *from_glob);

/* True if some input of `cfg' covers `path', as config_input_for() says. */
int config_covers(const struct config *cfg, const char *path);

/* True if two inputs have the same name, tag, start, rotate_wait,
 * max_files, rescan_interval, and the same paths and excludes in the same
 * order. */
int config_input_same(const struct config_input *a,
                      const struct config_input *b);

/* The input of `cfg' called `name', or NULL. */
const struct config_input *config_input_named(const struct config *cfg,
                                              const char *name);

/* What config_diff() found an input to be. */
enum config_change {
	CONFIG_ADDED,
	CONFIG_REMOVED,
	CONFIG_CHANGED,
	CONFIG_UNCHANGED,
};

/* How many inputs each kind of change took. */
struct config_diff {
	size_t added;
	size_t removed;
	size_t changed;
	size_t unchanged;
};

/* Compares the inputs of `old' and `cfg' by name; calls fn (if not NULL)
 * once per input with what changed (for removed ones, `in' is old's
 * input), in cfg's order then old's; fills *n. */
void config_diff(const struct config *old, const struct config *cfg,
                 void (*fn)(void *arg, enum config_change what,
                            const struct config_input *in),
                 void *arg, struct config_diff *n);

/* True if two forwarders have the same name and settings. */
int config_forward_same(const struct config_forward *a,
                        const struct config_forward *b);

/* The forwarder of `cfg' called `name', or NULL. */
const struct config_forward *config_forward_named(const struct config *cfg,
                                                  const char *name);

/* Names for the enums, as the file spells them. */
const char *config_format_name(enum format f);
const char *config_fsync_name(enum fsync_policy f);
const char *config_forward_format_name(enum forward_format f);

/* The name of a forward protocol, as in the configuration. */
const char *config_forward_protocol_name(enum forward_protocol p);

#endif
