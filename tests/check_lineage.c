/* check_lineage.c -- the rotated names of a path, and the plan of what to
 * read of it, on synthetic listings: every logrotate scheme (create
 * numbered, copytruncate, dateext, olddir, compress, delaycompress) and a
 * writer's own renames, with a crash before and after each rotation. */
#include "autoconf.h"

#include "lineage.h"
#include "state.h"

#include "tmcheck.h"
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Seconds, in the ns of birth times. */
#define T(s) ((uint64_t)(s)*1000000000u)

/* A size that is more than the fingerprint and any offset used here. */
#define BIG 5000

#define DEV 8

/* A path's checkpointed generations and its directory's listing. */
struct scene {
	struct lineage_gen gens[8];
	size_t ngens;
	struct lineage_file files[16];
	size_t nfiles;
	struct lineage_rules rules;
	char out[1024];
};

/* The first STATE_FP_MAX bytes of the contents named by a letter: lines
 * "X 0000", "X 0001" ... */
static const unsigned char *
body(char c)
{
	static unsigned char bodies[26][STATE_FP_MAX];
	static int made[26];
	unsigned char *b = bodies[c - 'A'];
	char line[8];

	if (!made[c - 'A']) {
		for (size_t i = 0; i < STATE_FP_MAX; i++) {
			snprintf(line, sizeof line, "%c %04zu\n", c, i / 7);
			b[i] = (unsigned char)line[i % 7];
		}
		made[c - 'A'] = 1;
	}
	return b;
}

/* Adds a generation with the contents `c' and a full fingerprint. */
static struct lineage_gen *
gen(struct scene *s, char c, uint64_t ino, uint64_t birth, uint64_t offset)
{
	struct lineage_gen *g = &s->gens[s->ngens++];

	memset(g, 0, sizeof *g);
	g->dev = DEV;
	g->ino = ino;
	g->fp_len = STATE_FP_MAX;
	g->fp_hash = state_hash(body(c), STATE_FP_MAX);
	g->birth = birth;
	g->offset = offset;
	return g;
}

/* Adds a generation read to its end (at offset). */
static struct lineage_gen *
done_gen(struct scene *s, char c, uint64_t ino, uint64_t birth, uint64_t offset)
{
	struct lineage_gen *g = gen(s, c, ino, birth, offset);

	g->done = 1;
	return g;
}

/* Lists a plain file of `size' bytes with the contents `c'. */
static struct lineage_file *
file(struct scene *s, const char *name, uint64_t ino, uint64_t birth, char c,
     uint64_t size)
{
	struct lineage_file *f = &s->files[s->nfiles++];

	memset(f, 0, sizeof *f);
	f->name = name;
	f->dev = DEV;
	f->ino = ino;
	f->birth = birth;
	f->size = size;
	f->head = body(c);
	f->head_len = size < STATE_FP_MAX ? (uint32_t)size : STATE_FP_MAX;
	return f;
}

/* Lists a gzip of the contents `c' (size unknown). */
static struct lineage_file *
gzfile(struct scene *s, const char *name, uint64_t ino, uint64_t birth, char c)
{
	struct lineage_file *f = file(s, name, ino, birth, c, BIG);

	f->size = LINEAGE_SIZE_UNKNOWN;
	f->gz = 1;
	return f;
}

/* Lists the file at the path, app.log. */
static struct lineage_file *
path(struct scene *s, uint64_t ino, uint64_t birth, char c)
{
	struct lineage_file *f = file(s, "app.log", ino, birth, c, BIG);

	f->is_path = 1;
	return f;
}

/* Appends "NAME@OFFSET/gN" (or "/new") to the scene's text. */
static void
put_read(struct scene *s, size_t *k, const struct lineage_file *f,
         uint64_t offset, ssize_t g)
{
	char gs[24];

	if (g >= 0)
		snprintf(gs, sizeof gs, "g%zd", g);
	else
		snprintf(gs, sizeof gs, "new");
	*k += (size_t)snprintf(s->out + *k, sizeof s->out - *k,
	                       "%s%s@%" PRIu64 "/%s",
	                       f->in_olddir ? "old/" : "", f->name, offset, gs);
}

/* The plan for app.log, as text: the reads oldest first, the current file
 * the lost generations and those found with nothing left to read, e.g.
 * "app.log.1@100/g0 | app.log@0/new | lost g1 | finished g2=app.log.3". */
static const char *
plan(struct scene *s)
{
	struct lineage_plan p;
	size_t k = 0;

	lineage_plan("app.log", &s->rules, s->gens, s->ngens, s->files,
	             s->nfiles, &p);
	if (p.nreads == 0)
		k += (size_t)snprintf(s->out, sizeof s->out, "-");
	for (size_t i = 0; i < p.nreads; i++) {
		if (i > 0)
			s->out[k++] = ' ';
		ck_assert_uint_lt(p.reads[i].file, s->nfiles);
		put_read(s, &k, &s->files[p.reads[i].file], p.reads[i].offset,
		         p.reads[i].gen);
		if (p.reads[i].wait)
			k += (size_t)snprintf(s->out + k, sizeof s->out - k,
			                      "/wait");
	}
	k += (size_t)snprintf(s->out + k, sizeof s->out - k, " | ");
	if (p.current == -1) {
		ck_assert_int_eq(p.current_gen, -1);
		k += (size_t)snprintf(s->out + k, sizeof s->out - k, "none");
	} else {
		ck_assert(s->files[p.current].is_path);
		put_read(s, &k, &s->files[p.current], p.current_offset,
		         p.current_gen);
	}
	for (size_t i = 0; i < p.nlost; i++)
		k += (size_t)snprintf(s->out + k, sizeof s->out - k, "%sg%zu",
		                      i == 0 ? " | lost " : ",", p.lost[i].gen);
	for (size_t i = 0; i < p.nfinished; i++)
		k += (size_t)snprintf(
		    s->out + k, sizeof s->out - k, "%sg%zu=%s",
		    i == 0 ? " | finished " : ",", p.finished[i].gen,
		    s->files[p.finished[i].file].name);
	ck_assert_uint_lt(k, sizeof s->out);
	lineage_plan_clear(&p);
	ck_assert_ptr_null(p.reads);
	ck_assert_uint_eq(p.nreads, 0);
	return s->out;
}

/* What lineage_name() makes of `name' as a file of app.log. */
static enum lineage_name
name_of(const char *name, const char *dateformat, const char *glob)
{
	struct lineage_rules r = {glob, dateformat};

	return lineage_name("app.log", name, &r);
}

/* logrotate's numbered names, with `extension', compressed or not. */
START_TEST(test_names_numbered)
{
	ck_assert_int_eq(name_of("app.log.1", NULL, NULL), LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log.2", NULL, NULL), LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log.10", NULL, NULL), LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log.0", NULL, NULL), LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log.1.gz", NULL, NULL), LINEAGE_NAME_GZ);
	ck_assert_int_eq(name_of("app.log.1.gz.tmp", NULL, NULL),
	                 LINEAGE_NAME_GZ_TMP);
	ck_assert_int_eq(name_of("app.1.log", NULL, NULL), LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.12.log.gz", NULL, NULL), LINEAGE_NAME_GZ);

	ck_assert_int_eq(name_of("app.log", NULL, NULL), LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log.gz", NULL, NULL), LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log.", NULL, NULL), LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log.01", NULL, NULL), LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log.x", NULL, NULL), LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log.1x", NULL, NULL), LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log1", NULL, NULL), LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log.1.bz2", NULL, NULL),
	                 LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.1.txt", NULL, NULL), LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("other.log.1", NULL, NULL), LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("xapp.log.1", NULL, NULL), LINEAGE_NAME_NONE);
	/* tailmux's own output scheme is not a rotated name of an input */
	ck_assert_int_eq(name_of("app.log.20261125-193712.000", NULL, NULL),
	                 LINEAGE_NAME_NONE);
	/* a base without a dot has numbered names, no STEM.N.EXT */
	ck_assert(lineage_is_rotated_name("messages", "messages.3", NULL));
	ck_assert(lineage_is_rotated_name("messages", "messages.3.gz", NULL));
	ck_assert(!lineage_is_rotated_name("messages", "messages", NULL));
	ck_assert(!lineage_is_rotated_name(".hidden", ".1.hidden", NULL));
}
END_TEST

/* The name logrotate's `create' sets a file found at the path aside
 * under; other ".backup" names are not the path's. */
START_TEST(test_names_backup)
{
	ck_assert_int_eq(name_of("app.log-2026120213.backup", NULL, NULL),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log.backup", NULL, NULL),
	                 LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log-x.backup", NULL, NULL),
	                 LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("other.log-2026120213.backup", NULL, NULL),
	                 LINEAGE_NAME_NONE);
}
END_TEST

/* dateext with the default dateformats, the date before `extension', and
 * a custom dateformat, recognised as well as the defaults. */
START_TEST(test_names_dateext)
{
	ck_assert_int_eq(name_of("app.log-20261202", NULL, NULL),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log-20261202.gz", NULL, NULL),
	                 LINEAGE_NAME_GZ);
	ck_assert_int_eq(name_of("app.log-2026120213", NULL, NULL),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log-20261202131415", NULL, NULL),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log-1764633600", NULL, NULL),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app-20261202.log", NULL, NULL),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app-20261202.log.gz", NULL, NULL),
	                 LINEAGE_NAME_GZ);

	ck_assert_int_eq(name_of("app.log-20261302", NULL, NULL),
	                 LINEAGE_NAME_NONE); /* month 13 */
	ck_assert_int_eq(name_of("app.log-20261200", NULL, NULL),
	                 LINEAGE_NAME_NONE); /* day 0 */
	ck_assert_int_eq(name_of("app.log-2026120", NULL, NULL),
	                 LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log-123", NULL, NULL), LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log-20261202x", NULL, NULL),
	                 LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app-20261202x.log", NULL, NULL),
	                 LINEAGE_NAME_NONE);
	/* a dot before a date is a number unless a dateformat says so */
	ck_assert_int_eq(name_of("app.log.20261202", NULL, NULL),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log-2026.12.02", NULL, NULL),
	                 LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app-20261202.txt", NULL, NULL),
	                 LINEAGE_NAME_NONE);

	ck_assert_int_eq(name_of("app.log.2026-12-02", ".%Y-%m-%d", NULL),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.2026-12-02.log.gz", ".%Y-%m-%d", NULL),
	                 LINEAGE_NAME_GZ);
	ck_assert_int_eq(name_of("app.log-20261202", ".%Y-%m-%d", NULL),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log_2026-W49", "_%Y-W%V", NULL),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log%20261202", "%%%Y%m%d", NULL),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log.2026-12-02", NULL, NULL),
	                 LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log.2026-13-02", ".%Y-%m-%d", NULL),
	                 LINEAGE_NAME_NONE);
	/* a specifier logrotate does not allow never matches */
	ck_assert_int_eq(name_of("app.log-336", "-%j", NULL),
	                 LINEAGE_NAME_NONE);
}
END_TEST

/* A per-input glob, on the name or on it without ".gz"; never the path's
 * own name. */
START_TEST(test_names_glob)
{
	ck_assert_int_eq(name_of("app.log.old", NULL, "app.log.old*"),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log.old.gz", NULL, "app.log.old*"),
	                 LINEAGE_NAME_GZ);
	ck_assert_int_eq(name_of("app.log.x.bak", NULL, "app.log.*.bak"),
	                 LINEAGE_NAME_PLAIN);
	ck_assert_int_eq(name_of("app.log.x.bak.gz", NULL, "app.log.*.bak"),
	                 LINEAGE_NAME_GZ);
	ck_assert_int_eq(name_of("app.log.x.bak.gz.tmp", NULL, "app.log.*.bak"),
	                 LINEAGE_NAME_GZ_TMP);
	ck_assert_int_eq(name_of("app.log", NULL, "app.log*"),
	                 LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log.old", NULL, NULL), LINEAGE_NAME_NONE);
	ck_assert_int_eq(name_of("app.log.old", NULL, "other*"),
	                 LINEAGE_NAME_NONE);
}
END_TEST

/* No rotation since the checkpoint: the path's file goes on. */
START_TEST(test_no_rotation)
{
	struct scene s = {0};

	done_gen(&s, 'Z', 9, T(50), 800);
	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 9, T(50), 'Z', 800);
	path(&s, 10, T(100), 'A');
	ck_assert_str_eq(plan(&s), "- | app.log@100/g1");
}
END_TEST

/* A checkpoint with no generation (the first start): nothing before the
 * current file, which is new. */
START_TEST(test_no_checkpoint)
{
	struct scene s = {0};

	file(&s, "app.log.2", 11, T(100), 'A', BIG);
	file(&s, "app.log.1", 12, T(200), 'B', BIG);
	path(&s, 13, T(300), 'C');
	ck_assert_str_eq(plan(&s), "- | app.log@0/new");
}
END_TEST

/* Not even the path is there: only what was rotated away is read. */
START_TEST(test_no_path)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 10, T(100), 'A', BIG);
	ck_assert_str_eq(plan(&s), "app.log.1@100/g0 | none");
}
END_TEST

/* create, numbered: killed with A current at 100, then 0 to 3 rotations
 * (none, compress, compress + delaycompress) before the restart.  A is read
 * on from 100 wherever it went, the generations after it whole, oldest
 * first; Z, done, never. */
START_TEST(test_create_crash_each_step)
{
	static const char *const plain[] = {"", "app.log.1", "app.log.2",
	                                    "app.log.3", "app.log.4"};
	static const char *const gzn[] = {"", "app.log.1.gz", "app.log.2.gz",
	                                  "app.log.3.gz", "app.log.4.gz"};
	enum { CREATE, COMPRESS, DELAYCOMPRESS } mode = _i / 4;
	int k = _i % 4; /* rotations while down */
	struct scene s = {0};
	char want[512];
	size_t w = 0;

	done_gen(&s, 'Z', 9, T(50), 800);
	gen(&s, 'A', 10, T(100), 100);
	/* generation j (Z = -1, A = 0, B = 1 ...) was born at 100 + 100j
	 * and is now at number k - j; the path holds generation k */
	for (int j = -1; j < k; j++) {
		int n = k - j;
		uint64_t born = T(100 + 100 * j);
		char c = j == -1 ? 'Z' : (char)('A' + j);
		uint64_t ino = (uint64_t)(10 + j);
		int gz = mode == COMPRESS || (mode == DELAYCOMPRESS && n >= 2);
		/* compressed just after the rotation that made it .1 or
		 * .2: logrotate compresses after it creates the new file */
		uint64_t zipped = T(
		    100 +
		    100 * (j + (n >= 2 && mode == DELAYCOMPRESS ? 2 : 1)) + 1);

		if (gz)
			gzfile(&s, gzn[n], (uint64_t)(100 + j), zipped, c);
		else
			file(&s, plain[n], ino, born, c, j == -1 ? 800 : BIG);
		if (j == 0)
			w += (size_t)snprintf(want + w, sizeof want - w,
			                      "%s@100/g1",
			                      gz ? gzn[n] : plain[n]);
		else if (j > 0)
			w += (size_t)snprintf(want + w, sizeof want - w,
			                      " %s@0/new",
			                      gz ? gzn[n] : plain[n]);
	}
	path(&s, (uint64_t)(10 + k), T(100 + 100 * k), (char)('A' + k));
	snprintf(want + w, sizeof want - w, "%s | app.log@%s",
	         k == 0 ? "-" : "", k == 0 ? "100/g1" : "0/new");
	ck_assert_str_eq(plan(&s), want);
}
END_TEST

/* create, killed after a checkpoint that saw the first rotation (A done, B
 * current at 50), then one more rotation: B is read on, A is not again. */
START_TEST(test_create_after_checkpointed_rotation)
{
	struct scene s = {0};

	done_gen(&s, 'A', 10, T(100), 900);
	gen(&s, 'B', 11, T(200), 50);
	file(&s, "app.log.2", 10, T(100), 'A', 900);
	file(&s, "app.log.1", 11, T(200), 'B', BIG);
	path(&s, 12, T(300), 'C');
	ck_assert_str_eq(plan(&s), "app.log.1@50/g1 | app.log@0/new");
}
END_TEST

/* The order is that of the generations, not of the listing; births break
 * no tie a number can. */
START_TEST(test_create_listing_order)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 13, T(400), 'D', BIG);
	path(&s, 14, T(500), 'E');
	file(&s, "app.log.3", 11, T(200), 'B', BIG);
	file(&s, "app.log.4", 10, T(100), 'A', BIG);
	file(&s, "app.log.2", 12, T(300), 'C', BIG);
	ck_assert_str_eq(plan(&s), "app.log.4@100/g0 app.log.3@0/new "
	                           "app.log.2@0/new app.log.1@0/new | "
	                           "app.log@0/new");
}
END_TEST

/* A generation read up to its end but not marked done: nothing to read,
 * not lost, and finished (to be remembered as read to its end). */
START_TEST(test_found_nothing_left)
{
	struct scene s = {0};
	struct lineage_gen *a = gen(&s, 'A', 10, T(100), 700);

	a->fp_len = 700; /* all it had */
	a->fp_hash = state_hash(body('A'), 700);
	file(&s, "app.log.1", 10, T(100), 'A', 700);
	path(&s, 11, T(200), 'B');
	ck_assert_str_eq(plan(&s), "- | app.log@0/new | finished g0=app.log.1");
}
END_TEST

/* copytruncate, once while down: the path keeps A's inode with new
 * contents (not A), A's contents are in the copy app.log.1 (a new inode,
 * found by fingerprint). */
START_TEST(test_copytruncate_once)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 20, T(200), 'A', BIG);
	path(&s, 10, T(1), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1@100/g0 | app.log@0/new");
}
END_TEST

/* copytruncate, with A's time (when tailmux noticed its contents) after
 * its copy was made, as under load: lines were read from A, so its
 * fingerprint tells, and the copy is A's all the same. */
START_TEST(test_copytruncate_noticed_late)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(300), 100);
	file(&s, "app.log.1", 20, T(200), 'A', BIG);
	path(&s, 10, T(1), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1@100/g0 | app.log@0/new");
}
END_TEST

/* copytruncate, three times while down: the copies of the contents after
 * A's are born after the path's inode, and still read. */
START_TEST(test_copytruncate_three)
{
	struct scene s = {0};

	done_gen(&s, 'Z', 10, T(50), 900);
	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.4", 19, T(99), 'Z', 900);
	file(&s, "app.log.3", 20, T(200), 'A', BIG);
	file(&s, "app.log.2", 21, T(300), 'B', BIG);
	file(&s, "app.log.1", 22, T(400), 'C', BIG);
	path(&s, 10, T(1), 'D');
	ck_assert_str_eq(plan(&s), "app.log.3@100/g1 app.log.2@0/new "
	                           "app.log.1@0/new | app.log@0/new");
}
END_TEST

/* copytruncate not run yet: A goes on at the path; the copy of Z, done,
 * is not read again. */
START_TEST(test_copytruncate_not_yet)
{
	struct scene s = {0};

	done_gen(&s, 'Z', 10, T(50), 900);
	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 19, T(99), 'Z', 900);
	path(&s, 10, T(1), 'A');
	ck_assert_str_eq(plan(&s), "- | app.log@100/g1");
}
END_TEST

/* copytruncate of a file still empty when it was seen: no fingerprint,
 * nothing read.  The core cannot tell whether the path holds A's contents
 * or newer ones (both are read from 0), nor that app.log.1 is A's copy
 * rather than a later generation: either way it is read whole, because it
 * was born after A was seen.  Nothing is lost and nothing read twice. */
START_TEST(test_copytruncate_empty)
{
	struct scene s = {0};
	struct lineage_gen *a = gen(&s, 'A', 10, T(100), 0);

	a->fp_len = 0;
	a->fp_hash = state_hash("", 0);
	file(&s, "app.log.1", 20, T(101), 'A', 300);
	path(&s, 10, T(1), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1@0/new | app.log@0/g0");
}
END_TEST

/* The same, but the copy's birth says it was made before A was seen: by
 * the core's lights it is older than every known generation, and not read
 * (with a coarse or skewed clock this is where lines could be lost). */
START_TEST(test_copytruncate_empty_copy_older)
{
	struct scene s = {0};
	struct lineage_gen *a = gen(&s, 'A', 10, T(100), 0);

	a->fp_len = 0;
	file(&s, "app.log.1", 20, T(99), 'A', 300);
	path(&s, 10, T(1), 'B');
	ck_assert_str_eq(plan(&s), "- | app.log@0/g0");
}
END_TEST

/* A short fingerprint (A had 40 bytes) and nothing read: the copy is A
 * only if it was born at or after A; with no birth times the core cannot
 * tell it from an unrelated file starting the same way, finds no A, and
 * reads no copy it cannot place. */
START_TEST(test_short_fingerprint)
{
	struct scene s = {0};
	struct lineage_gen *a = gen(&s, 'A', 10, T(100), 0);

	a->fp_len = 40;
	a->fp_hash = state_hash(body('A'), 40);
	file(&s, "app.log.1", 20, T(150), 'A', 300);
	path(&s, 10, T(1), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1@0/g0 | app.log@0/new");

	s.gens[0].birth = 0;
	s.files[0].birth = 0;
	ck_assert_str_eq(plan(&s), "- | app.log@0/new | lost g0");

	/* births known, but the file is older than A: not A */
	s.gens[0].birth = T(100);
	s.files[0].birth = T(90);
	ck_assert_str_eq(plan(&s), "- | app.log@0/new | lost g0");
}
END_TEST

/* A short fingerprint with lines read past it tells enough. */
START_TEST(test_short_fingerprint_read)
{
	struct scene s = {0};
	struct lineage_gen *a = gen(&s, 'A', 10, 0, 30);

	a->fp_len = 40;
	a->fp_hash = state_hash(body('A'), 40);
	file(&s, "app.log.1", 20, 0, 'A', 60);
	path(&s, 10, 0, 'B');
	ck_assert_str_eq(plan(&s), "app.log.1@30/g0 | app.log@0/new");

	/* a "copy" shorter than what was read is not A's */
	s.files[0].size = 20;
	s.files[0].head_len = 20;
	ck_assert_str_eq(plan(&s), "- | app.log@0/new | lost g0");
}
END_TEST

/* create + dateext, default format: A and two generations never seen. */
START_TEST(test_dateext)
{
	struct scene s = {0};

	done_gen(&s, 'Z', 9, T(50), 800);
	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log-20261130", 9, T(50), 'Z', 800);
	file(&s, "app.log-20261202", 12, T(300), 'C', BIG);
	file(&s, "app.log-20261201", 10, T(100), 'A', BIG);
	file(&s, "app.log-2026120123", 11, T(200), 'B', BIG);
	path(&s, 13, T(400), 'D');
	ck_assert_str_eq(plan(&s), "app.log-20261201@100/g1 "
	                           "app.log-2026120123@0/new "
	                           "app.log-20261202@0/new | app.log@0/new");
}
END_TEST

/* dateext with a custom dateformat: the files it names are generations
 * only when the rules say so. */
START_TEST(test_dateext_custom)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.2026-12-01", 10, T(100), 'A', BIG);
	file(&s, "app.log.2026-12-02", 11, T(200), 'B', BIG);
	path(&s, 12, T(300), 'C');
	ck_assert_str_eq(plan(&s), "app.log.2026-12-01@100/g0 | app.log@0/new");
	s.rules.dateformat = ".%Y-%m-%d";
	ck_assert_str_eq(plan(&s), "app.log.2026-12-01@100/g0 "
	                           "app.log.2026-12-02@0/new | app.log@0/new");
}
END_TEST

/* dateext with `extension .log': the date before the extension, then
 * compressed. */
START_TEST(test_dateext_extension)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	gzfile(&s, "app-20261201.log.gz", 30, T(201), 'A');
	gzfile(&s, "app-20261202.log.gz", 31, T(301), 'B');
	path(&s, 12, T(300), 'C');
	ck_assert_str_eq(plan(&s), "app-20261201.log.gz@100/g0 "
	                           "app-20261202.log.gz@0/new | app.log@0/new");
}
END_TEST

/* dateext + olddir: the generations are in the other directory; a file
 * there with the path's own name is not one. */
START_TEST(test_dateext_olddir)
{
	struct scene s = {0};

	done_gen(&s, 'Z', 9, T(50), 800);
	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log-20261130", 9, T(50), 'Z', 800)->in_olddir = 1;
	file(&s, "app.log-20261201", 10, T(100), 'A', BIG)->in_olddir = 1;
	file(&s, "app.log-20261202", 11, T(200), 'B', BIG)->in_olddir = 1;
	file(&s, "app.log", 40, T(250), 'X', BIG)->in_olddir = 1;
	path(&s, 12, T(300), 'C');
	ck_assert_str_eq(plan(&s),
	                 "old/app.log-20261201@100/g1 "
	                 "old/app.log-20261202@0/new | app.log@0/new");
}
END_TEST

/* create + olddir, the writer first at the path: logrotate set its file
 * aside as a ".backup" and created the next one in the same tick of the
 * filesystem's clock; the ".backup" is the older of the two. */
START_TEST(test_backup_same_tick)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.3", 10, T(100), 'A', BIG)->in_olddir = 1;
	file(&s, "app.log.2", 11, T(200), 'B', BIG)->in_olddir = 1;
	file(&s, "app.log-2026120217.backup", 12, T(300), 'C', BIG);
	file(&s, "app.log.1", 13, T(300), 'D', BIG)->in_olddir = 1;
	path(&s, 14, T(400), 'E');
	ck_assert_str_eq(plan(&s), "old/app.log.3@100/g0 old/app.log.2@0/new "
	                           "app.log-2026120217.backup@0/new "
	                           "old/app.log.1@0/new | app.log@0/new");
}
END_TEST

/* compress + delaycompress, three rotations: A went .1 -> .2.gz (a new
 * inode) -> .3.gz; B was compressed after C was born, so its gzip's birth
 * is later than C's: its place comes from its name. */
START_TEST(test_delaycompress_order)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	gzfile(&s, "app.log.3.gz", 30, T(301), 'A');
	gzfile(&s, "app.log.2.gz", 31, T(401), 'B');
	file(&s, "app.log.1", 12, T(300), 'C', BIG);
	path(&s, 13, T(400), 'D');
	ck_assert_str_eq(plan(&s), "app.log.3.gz@100/g0 app.log.2.gz@0/new "
	                           "app.log.1@0/new | app.log@0/new");
}
END_TEST

/* compress, the writer back at the path before logrotate created the next
 * file (set aside as a ".backup"), then one more rotation: C, which began
 * after the ".backup", was compressed as app.log.1.gz without being seen.
 * Its gzip keeps C's mtime, later than the ".backup"'s birth: C is read
 * after it, not right after A, whose name is next to its own. */
START_TEST(test_compress_backup_order)
{
	struct scene s = {0};
	struct scene t;

	gen(&s, 'A', 10, T(100), 100);
	gzfile(&s, "app.log.2.gz", 30, T(204), 'A')->mtime = T(199);
	file(&s, "app.log-2026120313.backup", 12, T(202), 'B', BIG);
	gzfile(&s, "app.log.1.gz", 31, T(302), 'C')->mtime = T(299);
	path(&s, 14, T(301), 'D');
	ck_assert_str_eq(plan(&s), "app.log.2.gz@100/g0 "
	                           "app.log-2026120313.backup@0/new "
	                           "app.log.1.gz@0/new | app.log@0/new");
	/* One more generation never seen, W, before the ".backup": its last
	 * write came before the ".backup" was born. */
	memset(&t, 0, sizeof t);
	gen(&t, 'A', 10, T(100), 100);
	gzfile(&t, "app.log.3.gz", 30, T(152), 'A')->mtime = T(149);
	gzfile(&t, "app.log.2.gz", 31, T(204), 'W')->mtime = T(199);
	file(&t, "app.log-2026120313.backup", 12, T(202), 'B', BIG);
	gzfile(&t, "app.log.1.gz", 32, T(302), 'C')->mtime = T(299);
	path(&t, 14, T(301), 'D');
	ck_assert_str_eq(plan(&t), "app.log.3.gz@100/g0 app.log.2.gz@0/new "
	                           "app.log-2026120313.backup@0/new "
	                           "app.log.1.gz@0/new | app.log@0/new");
}
END_TEST

/* compress + delaycompress: W, never seen, was compressed after C took the
 * path, and the only generation known, A, is done: W's name places it
 * right before C.  A ".backup" the writer made between the two goes after
 * W all the same, W's last write having come before it. */
START_TEST(test_delaycompress_backup_order)
{
	struct scene s = {0};

	done_gen(&s, 'A', 10, T(100), 100);
	gzfile(&s, "app.log.3.gz", 30, T(204), 'A')->mtime = T(150);
	gzfile(&s, "app.log.2.gz", 31, T(302), 'W')->mtime = T(199);
	file(&s, "app.log-2026120313.backup", 12, T(202), 'B', BIG);
	file(&s, "app.log.1", 13, T(203), 'C', BIG);
	path(&s, 14, T(301), 'D');
	ck_assert_str_eq(plan(&s), "app.log.2.gz@0/new "
	                           "app.log-2026120313.backup@0/new "
	                           "app.log.1@0/new | app.log@0/new");
	/* A compressor that did not keep the mtime (later than the gzip's
	 * birth) tells nothing: W goes by its name alone. */
	s.files[1].mtime = T(303);
	ck_assert_str_eq(plan(&s), "app.log-2026120313.backup@0/new "
	                           "app.log.2.gz@0/new "
	                           "app.log.1@0/new | app.log@0/new");
}
END_TEST

/* An old generation compressed after A was born, whose done entry the
 * checkpoint no longer holds: its number says it is older than A, so it
 * is not read again. */
START_TEST(test_done_pruned_older_by_name)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	gzfile(&s, "app.log.3.gz", 29, T(201), 'Z');
	gzfile(&s, "app.log.2.gz", 30, T(301), 'A');
	file(&s, "app.log.1", 11, T(200), 'B', BIG);
	path(&s, 12, T(300), 'C');
	ck_assert_str_eq(plan(&s), "app.log.2.gz@100/g0 app.log.1@0/new | "
	                           "app.log@0/new");
}
END_TEST

/* No birth times at all: the numbers alone place the files around A. */
START_TEST(test_births_unknown)
{
	struct scene s = {0};

	gen(&s, 'A', 10, 0, 100);
	file(&s, "app.log.3", 9, 0, 'Z', BIG);
	file(&s, "app.log.2", 10, 0, 'A', BIG);
	file(&s, "app.log.1", 11, 0, 'B', BIG);
	path(&s, 12, 0, 'C');
	ck_assert_str_eq(plan(&s), "app.log.2@100/g0 app.log.1@0/new | "
	                           "app.log@0/new");
	/* A gone too: nothing can place app.log.1 */
	s.files[1].ino = 50;
	s.files[1].head = body('Y');
	ck_assert_str_eq(plan(&s), "- | app.log@0/new | lost g0");
}
END_TEST

/* compress, right away: A's gzip is born after the new file at the path;
 * it is still read (a gzip's birth is when it was compressed). */
START_TEST(test_compress_once)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	gzfile(&s, "app.log.1.gz", 30, T(201), 'A');
	path(&s, 11, T(200), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1.gz@100/g0 | app.log@0/new");
}
END_TEST

/* compress, caught while logrotate is gzipping: app.log.1 is still there
 * beside its gzip, which is ignored; A is read from the plain file. */
START_TEST(test_compress_in_progress)
{
	struct scene s = {0};
	struct scene t = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 10, T(100), 'A', BIG);
	gzfile(&s, "app.log.1.gz", 30, T(201), 'A')->partial = 1;
	path(&s, 11, T(200), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1@100/g0 | app.log@0/new");

	/* the same for B, never seen: read once, from the plain file, though
	 * its gzip looks complete already */
	gen(&t, 'A', 10, T(100), 100);
	file(&t, "app.log.2", 10, T(100), 'A', BIG);
	file(&t, "app.log.1", 11, T(200), 'B', BIG);
	gzfile(&t, "app.log.1.gz", 31, T(301), 'B');
	path(&t, 12, T(300), 'C');
	ck_assert_str_eq(plan(&t), "app.log.2@100/g0 app.log.1@0/new | "
	                           "app.log@0/new");
}
END_TEST

/* A gzip being written under a temporary name, in the middle: it is a
 * read that waits, and so do those after it. */
START_TEST(test_gz_tmp_waits)
{
	struct scene s = {0};
	struct lineage_plan p;

	gen(&s, 'A', 10, T(100), 100);
	gzfile(&s, "app.log.3.gz", 30, T(201), 'A');
	gzfile(&s, "app.log.2.gz.tmp", 31, T(301), 'B');
	file(&s, "app.log.1", 12, T(300), 'C', BIG);
	path(&s, 13, T(400), 'D');
	ck_assert_str_eq(plan(&s), "app.log.3.gz@100/g0 "
	                           "app.log.2.gz.tmp@0/new/wait "
	                           "app.log.1@0/new | app.log@0/new");
	lineage_plan("app.log", NULL, s.gens, s.ngens, s.files, s.nfiles, &p);
	ck_assert_uint_eq(p.nreads, 3);
	ck_assert_int_eq(p.reads[1].wait, 1);
	ck_assert_int_eq(p.reads[2].wait, 0);
	lineage_plan_clear(&p);

	/* a temporary beside its finished gzip is ignored */
	gzfile(&s, "app.log.2.gz", 32, T(302), 'B');
	ck_assert_str_eq(plan(&s), "app.log.3.gz@100/g0 app.log.2.gz@0/new "
	                           "app.log.1@0/new | app.log@0/new");
}
END_TEST

/* A gzip of A still being written, its plain file already gone (another
 * compressor): found by its head, read once it is complete. */
START_TEST(test_partial_known)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	gzfile(&s, "app.log.1.gz", 30, T(201), 'A')->partial = 1;
	path(&s, 11, T(200), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1.gz@100/g0/wait | app.log@0/new");
}
END_TEST

/* rotate 0, maxage, a gzip removed: a generation not done and nowhere is
 * lost; one done and nowhere is not. */
START_TEST(test_lost)
{
	struct scene s = {0};

	done_gen(&s, 'Y', 8, T(20), 500);
	gen(&s, 'Z', 9, T(50), 300);
	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 11, T(200), 'B', BIG);
	path(&s, 12, T(300), 'C');
	ck_assert_str_eq(plan(&s), "app.log.1@0/new | app.log@0/new | lost "
	                           "g1,g2");
}
END_TEST

/* Nothing read twice: a done generation is not read under a rotated name,
 * compressed, in the olddir, or under a glob's name. */
START_TEST(test_done_never_again)
{
	struct scene s = {0};

	done_gen(&s, 'X', 7, T(20), 900);
	done_gen(&s, 'Y', 8, T(30), 900);
	done_gen(&s, 'Z', 9, T(40), 900);
	done_gen(&s, 'W', 6, T(10), 900);
	gen(&s, 'A', 10, T(100), 100);
	s.rules.rotated_glob = "app.log.old-*";
	file(&s, "app.log.old-1", 6, T(10), 'W', 900);
	gzfile(&s, "app.log.3.gz", 37, T(150), 'X');
	file(&s, "app.log.2", 8, T(30), 'Y', 900);
	gzfile(&s, "app.log-20261201.gz", 39, T(160), 'Z')->in_olddir = 1;
	file(&s, "app.log.1", 10, T(100), 'A', BIG);
	path(&s, 11, T(200), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1@100/g4 | app.log@0/new");
}
END_TEST

/* Inode reuse: a new file on A's inode, with other contents, is not A
 * (A is lost), and is read whole as a generation never seen. */
START_TEST(test_inode_reuse)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 10, T(200), 'B', BIG);
	path(&s, 11, T(300), 'C');
	ck_assert_str_eq(plan(&s), "app.log.1@0/new | app.log@0/new | lost g0");
}
END_TEST

/* Inode reuse at the path, and a done generation whose file was empty: a
 * file now on its inode is new, not that generation. */
START_TEST(test_inode_reuse_path)
{
	struct scene s = {0};
	struct lineage_gen *z;

	z = done_gen(&s, 'Z', 9, T(50), 0);
	z->fp_len = 0;
	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 9, T(150), 'B', BIG);
	path(&s, 10, T(200), 'C');
	ck_assert_str_eq(plan(&s), "app.log.1@0/new | app.log@0/new | lost g1");
}
END_TEST

/* A writer's own renames under a glob's names; a known generation renamed
 * to a name that is no rotated one is still found by its inode, but files
 * with such names are never taken for generations never seen. */
START_TEST(test_writer_renames)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	s.rules.rotated_glob = "app.log.20[0-9][0-9]*";
	file(&s, "app.log.bak", 10, T(100), 'A', BIG);
	file(&s, "app.log.2026-12-02T10:00", 11, T(200), 'B', BIG);
	file(&s, "notes.txt", 20, T(210), 'X', BIG);
	file(&s, "app.log.tmp", 21, T(220), 'Y', BIG);
	file(&s, "app.log.2026-12-02T11:00", 12, T(300), 'C', BIG);
	path(&s, 13, T(400), 'D');
	ck_assert_str_eq(plan(&s), "app.log.bak@100/g0 "
	                           "app.log.2026-12-02T10:00@0/new "
	                           "app.log.2026-12-02T11:00@0/new | "
	                           "app.log@0/new");
}
END_TEST

/* A writer numbering upwards (a higher number is newer): births, which
 * are known, decide over the numbers. */
START_TEST(test_writer_counts_up)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.7", 10, T(100), 'A', BIG);
	file(&s, "app.log.9", 12, T(300), 'C', BIG);
	file(&s, "app.log.8", 11, T(200), 'B', BIG);
	path(&s, 13, T(400), 'D');
	ck_assert_str_eq(plan(&s), "app.log.7@100/g0 app.log.8@0/new "
	                           "app.log.9@0/new | app.log@0/new");
}
END_TEST

/* A file that held the path between two known generations, found only
 * after the newer one was checkpointed (created and renamed away before the
 * loop saw it at the path), is read before the newer one when nothing of
 * that was read yet; once bytes of the newer one were, it is not (it was
 * read before, or is lost). */
START_TEST(test_gap_before_unread)
{
	struct scene s = {0};

	done_gen(&s, 'A', 10, T(100), BIG);
	gen(&s, 'C', 12, T(300), 0);
	file(&s, "app.log.36", 10, T(100), 'A', BIG);
	file(&s, "app.log.37", 11, T(200), 'B', BIG);
	file(&s, "app.log.38", 12, T(300), 'C', BIG);
	path(&s, 13, T(400), 'D');
	ck_assert_str_eq(plan(&s), "app.log.37@0/new app.log.38@0/g1 | "
	                           "app.log@0/new");

	s.gens[1].offset = 100;
	ck_assert_str_eq(plan(&s), "app.log.38@100/g1 | app.log@0/new");
}
END_TEST

/* A generation read to its end bounds the files never seen by its birth:
 * one born before it is not read again. */
START_TEST(test_done_birth_bounds)
{
	struct scene s = {0};

	done_gen(&s, 'B', 11, T(200), BIG);
	gen(&s, 'C', 12, T(300), 0);
	file(&s, "app.log.2", 10, T(100), 'A', BIG);
	file(&s, "app.log.1", 11, T(200), 'B', BIG);
	path(&s, 12, T(300), 'C');
	ck_assert_str_eq(plan(&s), "- | app.log@0/g1");
}
END_TEST

/* When nothing was read from any known generation, files born after the
 * oldest of them are generations never seen; older ones were there
 * before tailmux knew the path. */
START_TEST(test_nothing_read_yet)
{
	struct scene s = {0};

	gen(&s, 'B', 11, T(200), 0);
	file(&s, "app.log.3", 10, T(100), 'A', BIG);
	file(&s, "app.log.2", 11, T(200), 'B', BIG);
	file(&s, "app.log.1", 12, T(300), 'C', BIG);
	path(&s, 13, T(400), 'D');
	ck_assert_str_eq(plan(&s), "app.log.2@0/g0 app.log.1@0/new | "
	                           "app.log@0/new");
}
END_TEST

/* A plain file with a rotated name born after a new current file (copied
 * in, or made while listing) is not a generation before it; nor is an
 * empty one, nor a second name of the current file. */
START_TEST(test_not_generations)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 10, T(100), 'A', BIG);
	file(&s, "app.log.5", 20, T(500), 'X', BIG);
	file(&s, "app.log.0", 21, T(150), 'Y', 0);
	file(&s, "app.log-20261203", 11, T(200), 'B', BIG);
	path(&s, 11, T(200), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1@100/g0 | app.log@0/new");
}
END_TEST

/* logrotate's `copy': the path is untouched and a copy of A is made; it is
 * A's, not a generation never seen. */
START_TEST(test_copy_of_current)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 20, T(200), 'A', BIG);
	path(&s, 10, T(100), 'A');
	ck_assert_str_eq(plan(&s), "- | app.log@100/g0");
}
END_TEST

/* Lines written between copytruncate's copy and its truncation were read
 * at the path: A's copy holds fewer bytes than were read from A.  It is
 * A's all the same, with nothing left to read; not contents never seen. */
START_TEST(test_copytruncate_copy_shorter)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 2000);
	file(&s, "app.log.1", 20, T(200), 'A', 1900);
	path(&s, 10, T(1), 'B');
	ck_assert_str_eq(plan(&s), "- | app.log@0/new | finished g0=app.log.1");
}
END_TEST

/* Two copytruncates before the loop looked, and a third under way: A's
 * rest is in app.log.1, B held the path only in between (its copy is all
 * there is of it, read whole), and app.log.3, being copied from what the
 * path holds now (C, no longer than it), is no generation of its own. */
START_TEST(test_copytruncate_caught_between)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 20, T(200), 'A', BIG);
	file(&s, "app.log.2", 21, T(300), 'B', BIG);
	file(&s, "app.log.3", 22, T(400), 'C', 50);
	file(&s, "app.log", 10, T(1), 'C', 700)->is_path = 1;
	ck_assert_str_eq(plan(&s), "app.log.1@100/g0 app.log.2@0/new | "
	                           "app.log@0/new");
}
END_TEST

/* A file that begins as the path's contents do but holds more than they
 * do is no copy of them: contents of their own that began the same way. */
START_TEST(test_copytruncate_same_start_longer)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.1", 20, T(200), 'A', BIG);
	file(&s, "app.log.2", 21, T(300), 'C', BIG);
	file(&s, "app.log", 10, T(1), 'C', 700)->is_path = 1;
	ck_assert_str_eq(plan(&s), "app.log.1@100/g0 app.log.2@0/new | "
	                           "app.log@0/new");
}
END_TEST

/* A copy made in the very tick A was first seen is of contents before A
 * (the copy copytruncate made just before the truncation that began A,
 * their done entry pruned): of a generation read from, only files born
 * after it are generations never seen. */
START_TEST(test_same_tick)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	file(&s, "app.log.2", 19, T(100), 'Z', BIG);
	file(&s, "app.log.1", 20, T(200), 'A', BIG);
	path(&s, 10, T(1), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1@100/g0 | app.log@0/new");
}
END_TEST

/* Nothing read yet of the only generation known (empty when the
 * checkpoint was saved): a copy stamped a little before it was first seen
 * may have been made after (file times come off a coarser clock); it is
 * read.  One stamped well before is older. */
START_TEST(test_blank_same_tick)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 0)->fp_len = 0;
	file(&s, "app.log.2", 19, T(99), 'Z', BIG);
	file(&s, "app.log.1", 20, T(100) - 1000000, 'A', BIG);
	path(&s, 10, T(1), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1@0/new | app.log@0/g0");
}
END_TEST

/* Two copies of A (a gzip being written in the olddir, the plain copy in
 * the path's directory): the complete one is read, once. */
START_TEST(test_two_copies)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	gzfile(&s, "app.log.1.gz", 30, T(150), 'A')->in_olddir = 1;
	s.files[0].partial = 1;
	file(&s, "app.log.1", 20, T(200), 'A', BIG);
	path(&s, 10, T(1), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1@100/g0 | app.log@0/new");
	/* both complete: the plain one */
	s.files[0].partial = 0;
	ck_assert_str_eq(plan(&s), "app.log.1@100/g0 | app.log@0/new");
	/* both gzips: the first born */
	s.files[1].gz = 1;
	s.files[1].size = LINEAGE_SIZE_UNKNOWN;
	ck_assert_str_eq(plan(&s), "old/app.log.1.gz@100/g0 | app.log@0/new");
}
END_TEST

/* Two generations that start with the same KiB (a banner) cannot be told
 * apart by their copies: the copies go to them in the order of births. */
START_TEST(test_same_head)
{
	struct scene s = {0};

	gen(&s, 'A', 10, T(100), 100);
	gen(&s, 'A', 11, T(200), 50);
	gzfile(&s, "app.log.1.gz", 31, T(301), 'A');
	gzfile(&s, "app.log.2.gz", 30, T(201), 'A');
	path(&s, 12, T(300), 'C');
	ck_assert_str_eq(plan(&s), "app.log.2.gz@100/g0 app.log.1.gz@50/g1 | "
	                           "app.log@0/new");
}
END_TEST

/* A done generation found again at the path (renamed back) goes on from
 * its offset. */
START_TEST(test_done_at_path)
{
	struct scene s = {0};

	done_gen(&s, 'A', 10, T(100), 700);
	path(&s, 10, T(100), 'A');
	ck_assert_str_eq(plan(&s), "- | app.log@700/g0");
}
END_TEST

/* A generation the checkpoint saw empty (no fingerprint, nothing read): a
 * kill -9 before the next checkpoint, then, while down, a rotation with
 * delaycompress and a second one, which gzipped it (a new inode, born when
 * compressed).  Its gzip is read whole as a file never seen, before the
 * generation its number says is newer, though that was born before the
 * gzip; and the generation is not lost. */
START_TEST(test_blank_gzipped)
{
	struct scene s = {0};
	struct lineage_gen *a = gen(&s, 'A', 10, T(100), 0);

	a->fp_len = 0;
	a->fp_hash = state_hash("", 0);
	gzfile(&s, "app.log.2.gz", 30, T(201), 'A');
	file(&s, "app.log.1", 11, T(150), 'B', BIG);
	path(&s, 12, T(200), 'C');
	ck_assert_str_eq(plan(&s), "app.log.2.gz@0/new app.log.1@0/new | "
	                           "app.log@0/new");
}
END_TEST

/* The same, with a NAME-DATE.backup born between the blank generation and
 * app.log.1 (logrotate's create set aside a file the writer had made at
 * the path): the gzip, whose own birth is when it was compressed, began
 * when the blank generation did, and comes before the backup. */
START_TEST(test_blank_gzipped_backup)
{
	struct scene s = {0};
	struct lineage_gen *a = gen(&s, 'A', 10, T(100), 0);

	a->fp_len = 0;
	a->fp_hash = state_hash("", 0);
	file(&s, "app.log-2026120309.backup", 13, T(120), 'D', BIG);
	gzfile(&s, "app.log.2.gz", 30, T(201), 'A');
	file(&s, "app.log.1", 11, T(150), 'B', BIG);
	path(&s, 12, T(200), 'C');
	ck_assert_str_eq(plan(&s), "app.log.2.gz@0/new "
	                           "app.log-2026120309.backup@0/new "
	                           "app.log.1@0/new | app.log@0/new");
}
END_TEST

/* The same, and its inode, freed once it was gzipped, taken by the file
 * the next rotation created (now app.log.1, or at the path): that file,
 * born after the generation was seen, is not it.  All are read whole,
 * oldest first. */
START_TEST(test_blank_inode_reuse)
{
	struct scene s = {0};
	struct lineage_gen *a = gen(&s, 'A', 10, T(100), 0);
	struct scene t = {0};

	a->fp_len = 0;
	a->fp_hash = state_hash("", 0);
	gzfile(&s, "app.log.3.gz", 30, T(200), 'A');
	gzfile(&s, "app.log.2.gz", 31, T(301), 'B');
	file(&s, "app.log.1", 10, T(201), 'C', BIG);
	path(&s, 13, T(302), 'D');
	ck_assert_str_eq(plan(&s), "app.log.3.gz@0/new app.log.2.gz@0/new "
	                           "app.log.1@0/new | app.log@0/new");

	/* at the path */
	t.gens[t.ngens++] = *a;
	gzfile(&t, "app.log.2.gz", 30, T(200), 'A');
	file(&t, "app.log.1", 11, T(150), 'B', BIG);
	path(&t, 10, T(201), 'C');
	ck_assert_str_eq(plan(&t), "app.log.2.gz@0/new app.log.1@0/new | "
	                           "app.log@0/new");
}
END_TEST

/* A generation seen empty is still found on its inode when the file's
 * birth is later than when it was seen by less than a clock tick (seen_at
 * is read off a coarse clock); and, with a short fingerprint, by it. */
START_TEST(test_blank_same_file)
{
	struct scene s = {0};
	struct lineage_gen *a = gen(&s, 'A', 10, T(100), 0);

	a->fp_len = 0;
	a->fp_hash = state_hash("", 0);
	file(&s, "app.log.1", 10, T(100) + 2000000, 'A', BIG);
	path(&s, 11, T(200), 'B');
	ck_assert_str_eq(plan(&s), "app.log.1@0/g0 | app.log@0/new");

	a->fp_len = 40;
	a->fp_hash = state_hash(body('A'), 40);
	s.files[0].birth = T(100);
	ck_assert_str_eq(plan(&s), "app.log.1@0/g0 | app.log@0/new");
}
END_TEST

/* Nothing read twice around a generation seen empty and gzipped: a done
 * generation found compressed, and an older gzip (its done entry pruned),
 * are not read; only what its name says is newer than the done one is. */
START_TEST(test_blank_done_never_again)
{
	struct scene s = {0};
	struct lineage_gen *a;

	done_gen(&s, 'Z', 9, T(50), 800);
	a = gen(&s, 'A', 10, T(100), 0);
	a->fp_len = 0;
	a->fp_hash = state_hash("", 0);
	gzfile(&s, "app.log.4.gz", 28, T(120), 'Y');
	gzfile(&s, "app.log.3.gz", 29, T(150), 'Z');
	gzfile(&s, "app.log.2.gz", 30, T(201), 'A');
	file(&s, "app.log.1", 10, T(160), 'B', BIG);
	path(&s, 12, T(200), 'C');
	ck_assert_str_eq(plan(&s), "app.log.2.gz@0/new app.log.1@0/new | "
	                           "app.log@0/new");
}
END_TEST

/* A generation seen empty, and a newer one known (found compressed): a
 * gzip older by name than the newer one may be the first or one from
 * before it (never read, or read and forgotten); the plan cannot tell, so
 * it reads neither and says the first is lost.  (tailmux records a
 * generation's fingerprint as soon as it reads it, so that a checkpoint
 * that knows a newer one has the older one's too.) */
START_TEST(test_blank_older_than_known)
{
	struct scene s = {0};
	struct lineage_gen *a = gen(&s, 'A', 10, T(100), 0);

	a->fp_len = 0;
	a->fp_hash = state_hash("", 0);
	gen(&s, 'B', 11, T(150), 0);
	gzfile(&s, "app.log.3.gz", 30, T(201), 'A');
	gzfile(&s, "app.log.2.gz", 31, T(301), 'B');
	file(&s, "app.log.1", 10, T(210), 'C', BIG);
	path(&s, 13, T(300), 'D');
	ck_assert_str_eq(plan(&s), "app.log.2.gz@0/g1 app.log.1@0/new | "
	                           "app.log@0/new | lost g0");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("lineage");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_names_numbered);
	tcase_add_test(tc, test_names_dateext);
	tcase_add_test(tc, test_names_backup);
	tcase_add_test(tc, test_names_glob);
	tcase_add_test(tc, test_no_rotation);
	tcase_add_test(tc, test_no_checkpoint);
	tcase_add_test(tc, test_no_path);
	tcase_add_loop_test(tc, test_create_crash_each_step, 0, 12);
	tcase_add_test(tc, test_create_after_checkpointed_rotation);
	tcase_add_test(tc, test_create_listing_order);
	tcase_add_test(tc, test_found_nothing_left);
	tcase_add_test(tc, test_copytruncate_once);
	tcase_add_test(tc, test_copytruncate_noticed_late);
	tcase_add_test(tc, test_copytruncate_three);
	tcase_add_test(tc, test_copytruncate_not_yet);
	tcase_add_test(tc, test_copytruncate_empty);
	tcase_add_test(tc, test_copytruncate_empty_copy_older);
	tcase_add_test(tc, test_copytruncate_caught_between);
	tcase_add_test(tc, test_copytruncate_copy_shorter);
	tcase_add_test(tc, test_copytruncate_same_start_longer);
	tcase_add_test(tc, test_short_fingerprint);
	tcase_add_test(tc, test_short_fingerprint_read);
	tcase_add_test(tc, test_dateext);
	tcase_add_test(tc, test_dateext_custom);
	tcase_add_test(tc, test_dateext_extension);
	tcase_add_test(tc, test_dateext_olddir);
	tcase_add_test(tc, test_backup_same_tick);
	tcase_add_test(tc, test_delaycompress_order);
	tcase_add_test(tc, test_done_pruned_older_by_name);
	tcase_add_test(tc, test_births_unknown);
	tcase_add_test(tc, test_compress_once);
	tcase_add_test(tc, test_compress_in_progress);
	tcase_add_test(tc, test_gz_tmp_waits);
	tcase_add_test(tc, test_partial_known);
	tcase_add_test(tc, test_lost);
	tcase_add_test(tc, test_done_never_again);
	tcase_add_test(tc, test_inode_reuse);
	tcase_add_test(tc, test_inode_reuse_path);
	tcase_add_test(tc, test_writer_renames);
	tcase_add_test(tc, test_writer_counts_up);
	tcase_add_test(tc, test_gap_before_unread);
	tcase_add_test(tc, test_done_birth_bounds);
	tcase_add_test(tc, test_nothing_read_yet);
	tcase_add_test(tc, test_not_generations);
	tcase_add_test(tc, test_copy_of_current);
	tcase_add_test(tc, test_same_tick);
	tcase_add_test(tc, test_blank_same_tick);
	tcase_add_test(tc, test_two_copies);
	tcase_add_test(tc, test_same_head);
	tcase_add_test(tc, test_done_at_path);
	tcase_add_test(tc, test_blank_gzipped);
	tcase_add_test(tc, test_blank_gzipped_backup);
	tcase_add_test(tc, test_blank_inode_reuse);
	tcase_add_test(tc, test_blank_same_file);
	tcase_add_test(tc, test_blank_done_never_again);
	tcase_add_test(tc, test_blank_older_than_known);
	tcase_add_test(tc, test_compress_backup_order);
	tcase_add_test(tc, test_delaycompress_backup_order);
	suite_add_tcase(s, tc);
	return tmcheck_run(s);
}
