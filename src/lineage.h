/* lineage.h -- the files that have held a followed path, and which of them
 * are still to be read.
 *
 * A path's lineage is the ordered list of its generations: the files that
 * held it one after the other (a rotation renames one away, often
 * compresses it, and a new one takes the path).  The checkpoint knows some
 * of them; a listing of the path's directory (and of its olddir) shows what
 * is there now.  lineage_plan() puts the two together: the generations to
 * read before the path's current file, oldest first, each from where, and
 * the known ones that cannot be found any more.
 *
 * Pure: no I/O, no clock, no logging.  The caller lists the directories,
 * takes each file's identity, birth time and first bytes (decompressed for
 * a gzip), and acts on the plan.
 *
 * A rotated name of the path's base NAME (split as STEM EXT at its last
 * dot, "app.log" = "app" ".log"; a NAME without a dot has no EXT):
 * - numbered, as logrotate makes them: NAME.N, and STEM.N.EXT (logrotate's
 *   `extension'), N a decimal number without leading zeros (0 included,
 *   for logrotate's `start 0');
 * - dated, as logrotate's `dateext' makes them: NAME DATE and STEM DATE
 *   EXT, DATE written by the dateformat of the rules, or by one of
 *   "-%Y%m%d", "-%Y%m%d%H", "-%Y%m%d%H%M%S" and "-%s" (%s: ten digits);
 * - any name rotated_glob matches (fnmatch(3), no flags), on its own or
 *   once a ".gz" or ".gz.tmp" is taken off;
 * each of them also followed by ".gz" (a gzip) or ".gz.tmp" (a gzip being
 * written); and NAME DATE ".backup", the name logrotate's `create' gives a
 * file it finds at the path when it comes to create one.  NAME itself
 * never is. */
#ifndef TAILMUX_LINEAGE_H
#define TAILMUX_LINEAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A size the listing cannot tell (a gzip's, before it is decompressed). */
#define LINEAGE_SIZE_UNKNOWN UINT64_MAX

/* A generation of the path the checkpoint knows. */
struct lineage_gen {
	uint64_t dev;
	uint64_t ino;
	uint32_t fp_len; /* bytes hashed into fp_hash (state.h); 0: none */
	uint64_t fp_hash;
	uint64_t birth;  /* ns: when its contents began (statx birth time, else
	                    ctime; for contents a truncation started on an
	                    inode already known, when they were first seen);
	                    0 unknown */
	uint64_t offset; /* its bytes before this are in the output */
	int done;        /* read to its end and closed */
};

/* A file of the path's directory, or of its olddir, as listed. */
struct lineage_file {
	const char *name; /* relative to the directory it was listed in */
	int in_olddir;    /* listed in the olddir, not the path's directory */
	uint64_t dev;
	uint64_t ino;
	uint64_t birth;            /* ns: as lineage_gen's; 0 unknown */
	uint64_t mtime;            /* ns: its last write; for a gzip that
	                              logrotate or gzip(1) made, the
	                              uncompressed file's, which they keep
	                              (one later than its birth, a
	                              compressor's own, tells nothing); 0
	                              unknown */
	uint64_t size;             /* bytes (decompressed for a gzip), or
	                              LINEAGE_SIZE_UNKNOWN */
	const unsigned char *head; /* its first bytes (decompressed) */
	uint32_t head_len;         /* how many: up to STATE_FP_MAX */
	int gz;                    /* a gzip: read through zlib */
	int partial;               /* not complete yet: wait for it */
	int is_path;               /* the file at the path itself */
};

/* How the path's files are named, beyond the defaults above. */
struct lineage_rules {
	const char *rotated_glob; /* per-input `rotated = GLOB', or NULL */
	const char *dateformat;   /* logrotate's dateformat (%Y %m %d %H %M
	                             %S %V %s), recognised as well as the
	                             defaults, or NULL */
};

/* One file to read before the path's current one. */
struct lineage_read {
	size_t file;     /* its index in the listing */
	uint64_t offset; /* where to start (in the decompressed stream for a
	                    gzip) */
	ssize_t gen;     /* the known generation it is, or -1: one never seen,
	                    read whole */
	int wait;        /* not complete yet: neither it nor any read after it
	                    may start before it is; then plan again */
	uint64_t when;   /* ns: when its contents began, as far as the plan
	                    tells (what it was ordered by); 0 unknown */
};

/* A known generation, not done, that no listed file is. */
struct lineage_lost {
	size_t gen;
};

/* A known generation, not done, found with nothing past its offset: read
 * to its end, as far as there is anything to read. */
struct lineage_found {
	size_t gen;
	size_t file; /* its index in the listing */
};

/* What lineage_plan() decided. */
struct lineage_plan {
	struct lineage_read *reads; /* oldest first */
	size_t nreads;
	struct lineage_lost *lost; /* in the order of the generations */
	size_t nlost;
	struct lineage_found *finished; /* in the order of the generations */
	size_t nfinished;
	ssize_t current;     /* the file at the path (is_path), or -1: none */
	ssize_t current_gen; /* the known generation it is, or -1: new since
	                        the checkpoint (or no file) */
	uint64_t current_offset; /* where to read it from: the generation's
	                            offset, else 0 */
};

/* What lineage_name() found a file name to be of a path's base. */
enum lineage_name {
	LINEAGE_NAME_NONE = 0, /* not a rotated name of it */
	LINEAGE_NAME_PLAIN,    /* a rotated name */
	LINEAGE_NAME_GZ,       /* a rotated name with ".gz" */
	LINEAGE_NAME_GZ_TMP,   /* a rotated name with ".gz.tmp" */
};

/* What `name' is as a file of the path whose base name is `base', under
 * the rules `r' (NULL: the defaults only); see the top of this file. */
enum lineage_name lineage_name(const char *base, const char *name,
                               const struct lineage_rules *r);

/* Nonzero if `name' is a rotated name of `base' (compressed or not). */
int lineage_is_rotated_name(const char *base, const char *name,
                            const struct lineage_rules *r);

/* Decides what to read of the path whose base name is `base', given the
 * generations the checkpoint knows and the listing.  Fills *out (the caller
 * frees it with lineage_plan_clear()):
 * - a known generation is the listed file with its device and inode whose
 *   first fp_len bytes hash to its fingerprint (no fingerprint: any with
 *   its identity, unless it is done; a blank one, not done with nothing
 *   read and a fingerprint shorter than STATE_FP_MAX, is no plain file
 *   born more than a clock tick after it: that is a new file on its
 *   freed inode), else a file with a rotated name (its
 *   compressed copy, the copy copytruncate made) whose first fp_len bytes
 *   do, when the fingerprint tells enough: a full STATE_FP_MAX bytes, or
 *   bytes read from it, or a file born at or after it; one that holds
 *   fewer bytes than its offset is not it;
 * - the reads are each known generation not done and found, but the
 *   current file, that holds bytes past its offset, from its offset; and
 *   each file with a rotated name that is no known generation, born after
 *   the newest known one read from, done or with bytes read (none: a
 *   clock tick before the oldest known one), so also between two known
 *   ones when nothing was
 *   read of the newer (and not after the current file, unless it is a
 *   gzip or the current file is on a known inode; then, not one that may
 *   be a copy of what the current file holds, its truncation yet to
 *   come: the same first bytes as far as the shorter goes, and no more
 *   bytes), from 0; a gzip (born
 *   when it was compressed), or a file whose birth cannot be compared,
 *   must also be newer by its name than every known generation found
 *   under the same naming;
 * - they are ordered by birth time, the generation's where it is known; a
 *   gzip never seen (born when it was compressed) goes right after the
 *   file its name says is older, or if none, right before the one it says
 *   is newer; but never later than its last write (the gzip's mtime,
 *   when it is the uncompressed file's), and never before a ".backup"
 *   born before that last write (the writer made the ".backup" at the
 *   path after it last wrote the files before it, so one born earlier is
 *   older); ties go by the names (a NAME DATE ".backup" is older,
 *   being set aside before logrotate created the next file; a higher
 *   number is older, an earlier date is older), then the names themselves;
 * - a file not complete yet (partial, or ".gz.tmp") is a read that waits;
 *   a gzip whose uncompressed file is still listed beside it is that
 *   file's copy being written, and ignored;
 * - a known generation done is never read, wherever it is found;
 * - the finished are the known generations not done, found (not at the
 *   path) with no byte past their offset;
 * - the lost are the known generations not done that are nowhere, but a
 *   blank one when a gzip never seen, compressed since it was first seen,
 *   is read (it may be its copy: nothing else can tell). */
void lineage_plan(const char *base, const struct lineage_rules *r,
                  const struct lineage_gen *gens, size_t ngens,
                  const struct lineage_file *files, size_t nfiles,
                  struct lineage_plan *out);

/* Frees what a plan holds and leaves it empty. */
void lineage_plan_clear(struct lineage_plan *p);

#endif
