/* lineage.c -- which files that held a path are still to be read: rotated
 * names, matching known generations to listed files, and the plan. */
#include "autoconf.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "lineage.h"
#include "state.h"
#include "xmalloc.h"

/* The dateformats recognised whatever the rules say. */
static const char *const lineage_dateformats[] = {
    "-%Y%m%d",
    "-%Y%m%d%H",
    "-%Y%m%d%H%M%S",
    "-%s",
};
#define LINEAGE_NDATEFORMATS                                                   \
	(sizeof lineage_dateformats / sizeof lineage_dateformats[0])

/* How far apart a generation's time (seen_at: off the fine clock once its
 * contents were there; off the coarse one in a checkpoint of an older
 * tailmux) and a file's time stamps (off the coarse clock, or ahead of it
 * with multigrain time stamps) may be for the same moment: a clock tick
 * (10 ms at most), with room to spare. */
#define LINEAGE_CLOCK_SLACK 50000000u

/* How a rotated name tells its place among its path's generations. */
enum lineage_seq {
	LINEAGE_SEQ_NONE, /* it does not: a glob's name, or no rotated name */
	LINEAGE_SEQ_NUM,  /* numbered: a higher number is older */
	LINEAGE_SEQ_DATE, /* dated: an earlier stamp is older */
};

/* A file name taken apart. */
struct lineage_parsed {
	enum lineage_name kind;
	enum lineage_seq seq;
	int fmt;           /* LINEAGE_SEQ_DATE: the dateformat (0: the rules',
	                      1 + i: lineage_dateformats[i]) */
	uint64_t n;        /* LINEAGE_SEQ_NUM: the number */
	const char *stamp; /* LINEAGE_SEQ_DATE: the date, as written */
	size_t stamp_len;
	size_t plain_len; /* the name without ".gz" or ".gz.tmp" */
	int backup;       /* NAME DATE ".backup" */
};

/* What the plan knows of one listed file. */
struct lineage_info {
	struct lineage_parsed nm;
	int ignored;  /* another name of a file listed, or a gzip being
	                 written beside its file */
	ssize_t gen;  /* the known generation it is (or a copy of), or -1 */
	int identity; /* it is that generation by device and inode */
};

/* One read with what orders it. */
struct lineage_sorted {
	struct lineage_read read;
	uint64_t when; /* ns: its contents' birth, or the one it follows */
	int known;     /* when is known (not only inherited) */
	int seq_class; /* 0: none; 1: numbered; 2 + fmt: dated */
	int backup;    /* a NAME DATE ".backup" */
	uint64_t n;
	const char *stamp;
	size_t stamp_len;
	const char *name;
	int in_olddir;
};

/* 1 if s[0..len) is exactly `count' digits, between lo and hi. */
static int
lineage_digits(const char *s, size_t len, size_t count, uint64_t lo,
               uint64_t hi)
{
	uint64_t v = 0;

	if (len < count)
		return 0;
	for (size_t i = 0; i < count; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v >= lo && v <= hi;
}

/* 1 if s[0..len) is a date written by the logrotate dateformat `fmt'
 * (specifiers %Y %m %d %H %M %S %V %s and %%), 0 if not (or if `fmt' uses
 * another specifier).  %s stands for ten digits, the epoch seconds from
 * 2001 to 2286. */
static int
lineage_date_is(const char *fmt, const char *s, size_t len)
{
	size_t count;
	uint64_t lo, hi;

	while (*fmt != '\0') {
		if (*fmt != '%' || fmt[1] == '%') {
			if (len == 0 || *s != *fmt)
				return 0;
			fmt += *fmt == '%' ? 2 : 1;
			s++;
			len--;
			continue;
		}
		count = 2;
		lo = 0;
		hi = 99;
		switch (fmt[1]) {
		case 'Y':
			count = 4;
			hi = 9999;
			break;
		case 'm':
			lo = 1;
			hi = 12;
			break;
		case 'd':
			lo = 1;
			hi = 31;
			break;
		case 'H':
			hi = 23;
			break;
		case 'M':
			hi = 59;
			break;
		case 'S':
			hi = 60;
			break;
		case 'V':
			lo = 1;
			hi = 53;
			break;
		case 's':
			count = 10;
			lo = 1000000000;
			hi = 9999999999;
			break;
		default:
			return 0;
		}
		if (!lineage_digits(s, len, count, lo, hi))
			return 0;
		fmt += 2;
		s += count;
		len -= count;
	}
	return len == 0;
}

/* 1 if s[0..len) is ".N", N a decimal number without leading zeros; *n
 * takes it. */
static int
lineage_number_is(const char *s, size_t len, uint64_t *n)
{
	uint64_t v = 0;

	if (len < 2 || len > 19 || s[0] != '.' || (s[1] == '0' && len > 2))
		return 0;
	for (size_t i = 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*n = v;
	return 1;
}

/* 1 if s[0..len), what a rotated name adds to NAME or puts between STEM and
 * EXT, is a number or a date; fills p's seq fields. */
static int
lineage_mark_is(const char *s, size_t len, const struct lineage_rules *r,
                struct lineage_parsed *p)
{
	if (lineage_number_is(s, len, &p->n)) {
		p->seq = LINEAGE_SEQ_NUM;
		return 1;
	}
	for (size_t i = 0; i <= LINEAGE_NDATEFORMATS; i++) {
		const char *fmt = i == 0 ? (r != NULL ? r->dateformat : NULL)
		                         : lineage_dateformats[i - 1];

		if (fmt == NULL || !lineage_date_is(fmt, s, len))
			continue;
		p->seq = LINEAGE_SEQ_DATE;
		p->fmt = (int)i;
		p->stamp = s;
		p->stamp_len = len;
		return 1;
	}
	return 0;
}

/* 1 if `s' ends with `suffix'. */
static int
lineage_ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* Takes `name' apart as a file of the path whose base name is `base'. */
static void
lineage_parse(const char *base, const char *name, const struct lineage_rules *r,
              struct lineage_parsed *p)
{
	size_t blen = strlen(base), len = strlen(name), stem, elen;
	const char *dot = strrchr(base, '.');
	char *plain;
	int glob;

	memset(p, 0, sizeof *p);
	if (strcmp(base, name) == 0)
		return;
	p->kind = LINEAGE_NAME_PLAIN;
	if (lineage_ends_with(name, len, ".gz.tmp")) {
		p->kind = LINEAGE_NAME_GZ_TMP;
		len -= strlen(".gz.tmp");
	} else if (lineage_ends_with(name, len, ".gz")) {
		p->kind = LINEAGE_NAME_GZ;
		len -= strlen(".gz");
	} else if (lineage_ends_with(name, len, ".backup") &&
	           len > blen + strlen(".backup") &&
	           memcmp(name, base, blen) == 0 && name[blen] == '-') {
		/* logrotate's `create' found a file at the path already (the
		 * writer made it first) and set it aside as
		 * NAME-%Y%m%d%H.backup: a generation like any other. */
		len -= strlen(".backup");
		p->backup = 1;
	}
	p->plain_len = len;

	/* NAME.N, NAME DATE */
	if (len > blen && memcmp(name, base, blen) == 0 &&
	    lineage_mark_is(name + blen, len - blen, r, p))
		return;
	/* STEM.N.EXT, STEM DATE EXT */
	if (dot != NULL && dot != base) {
		stem = (size_t)(dot - base);
		elen = blen - stem;
		if (len > blen && memcmp(name, base, stem) == 0 &&
		    lineage_ends_with(name, len, dot) &&
		    lineage_mark_is(name + stem, len - stem - elen, r, p))
			return;
	}
	if (r != NULL && r->rotated_glob != NULL) {
		plain = xstrndup(name, len);
		glob = fnmatch(r->rotated_glob, name, 0) == 0 ||
		       (len > 0 && strcmp(plain, base) != 0 &&
		        fnmatch(r->rotated_glob, plain, 0) == 0);
		free(plain);
		if (glob)
			return;
	}
	p->kind = LINEAGE_NAME_NONE;
}

enum lineage_name
lineage_name(const char *base, const char *name, const struct lineage_rules *r)
{
	struct lineage_parsed p;

	lineage_parse(base, name, r, &p);
	return p.kind;
}

int
lineage_is_rotated_name(const char *base, const char *name,
                        const struct lineage_rules *r)
{
	return lineage_name(base, name, r) != LINEAGE_NAME_NONE;
}

/* 1 if the file is compressed: its birth is when it was. */
static int
lineage_file_gz(const struct lineage_file *f, const struct lineage_info *in)
{
	return f->gz || in->nm.kind == LINEAGE_NAME_GZ ||
	       in->nm.kind == LINEAGE_NAME_GZ_TMP;
}

/* 1 if the file is not complete yet. */
static int
lineage_file_partial(const struct lineage_file *f,
                     const struct lineage_info *in)
{
	return f->partial || in->nm.kind == LINEAGE_NAME_GZ_TMP;
}

/* 1 if the file's first bytes are those of generation g. */
static int
lineage_head_matches(const struct lineage_gen *g, const struct lineage_file *f)
{
	if (g->fp_len == 0)
		return 1;
	return f->head != NULL && f->head_len >= g->fp_len &&
	       state_hash(f->head, g->fp_len) == g->fp_hash;
}

/* 1 if the file's first bytes are those of generation g and it holds all
 * the bytes read from g (as far as its size tells). */
static int
lineage_fp_matches(const struct lineage_gen *g, const struct lineage_file *f)
{
	if (f->size != LINEAGE_SIZE_UNKNOWN && f->size < g->offset)
		return 0;
	return lineage_head_matches(g, f);
}

/* 1 if nothing of generation g is in the output and its fingerprint is
 * too short to tell its copies by: the checkpoint saw it empty, or nearly.
 * It is then no more than a file that held the path from its birth on. */
static int
lineage_gen_blank(const struct lineage_gen *g)
{
	return !g->done && g->offset == 0 && g->fp_len < STATE_FP_MAX;
}

/* 1 if generation g is the file by identity: its device, inode and
 * contents.  A fingerprint not taken matches any contents but a done
 * generation's (an empty file closed: what has that inode now is new).
 * A blank generation is not a plain file (not `gz') born after it was
 * first seen: that file is a new one on its inode, freed when the
 * generation was compressed and removed. */
static int
lineage_is_identity(const struct lineage_gen *g, const struct lineage_file *f,
                    int gz)
{
	if (g->dev != f->dev || g->ino != f->ino)
		return 0;
	if (g->fp_len == 0 && g->done)
		return 0;
	if (lineage_gen_blank(g) && !gz && g->birth != 0 && f->birth != 0 &&
	    f->birth > g->birth + LINEAGE_CLOCK_SLACK)
		return 0;
	return lineage_fp_matches(g, f);
}

/* 1 if the file, with a rotated name and another identity, holds g's
 * contents (a compressed copy, or copytruncate's): its fingerprint matches
 * and tells enough (a full one, or bytes were read past it), or, when it
 * does not, the file was born after g's contents began.  Only then does
 * the birth count: g's time is when tailmux noticed its contents, which
 * under load can come after the copy was made.  A copy may hold fewer
 * bytes than were read from g: lines written between copytruncate's copy
 * and its truncation were read at the path and are in no copy. */
static int
lineage_is_copy(const struct lineage_gen *g, const struct lineage_file *f)
{
	if (g->fp_len == 0 || !lineage_head_matches(g, f))
		return 0;
	if (g->fp_len >= STATE_FP_MAX || g->offset > 0)
		return 1;
	return g->birth != 0 && f->birth != 0 && f->birth >= g->birth;
}

/* Marks the files the plan must not take for files of their own: second
 * names of one file (the one at the path, else the first listed, stands
 * for it), and a gzip, or a gzip being written, whose file is still listed
 * beside it. */
static void
lineage_ignore(const struct lineage_file *files, size_t nfiles,
               struct lineage_info *info)
{
	const struct lineage_file *f, *o;
	const struct lineage_parsed *p;

	for (size_t i = 0; i < nfiles; i++) {
		f = &files[i];
		p = &info[i].nm;
		for (size_t j = 0; j < nfiles && !info[i].ignored; j++) {
			o = &files[j];
			if (j == i)
				continue;
			if (f->ino != 0 && o->dev == f->dev &&
			    o->ino == f->ino && !f->is_path &&
			    (o->is_path || j < i))
				info[i].ignored = 1;
			if (p->kind == LINEAGE_NAME_PLAIN ||
			    p->kind == LINEAGE_NAME_NONE || o->is_path ||
			    o->in_olddir != f->in_olddir)
				continue;
			/* NAME.1.gz beside NAME.1; NAME.1.gz.tmp beside
			 * NAME.1 or NAME.1.gz */
			if (strlen(o->name) == p->plain_len &&
			    memcmp(o->name, f->name, p->plain_len) == 0)
				info[i].ignored = 1;
			if (p->kind == LINEAGE_NAME_GZ_TMP &&
			    strlen(o->name) == p->plain_len + 3 &&
			    memcmp(o->name, f->name, p->plain_len + 3) == 0)
				info[i].ignored = 1;
		}
	}
}

/* Fills idx[0..n) with 0..n-1 ordered by key (stable). */
static void
lineage_order(size_t *idx, size_t n, const uint64_t *key)
{
	size_t k, j;

	for (size_t i = 0; i < n; i++) {
		k = i;
		for (j = i; j > 0 && key[idx[j - 1]] > key[k]; j--)
			idx[j] = idx[j - 1];
		idx[j] = k;
	}
}

/* Finds which known generation each listed file is: by identity first,
 * then as a copy (a file with a rotated name).  A file is one generation;
 * a generation may have several copies.  Copies that could be several
 * generations' (the same first bytes) go, in the order of their births, to
 * the first born of them that has no file yet, else to the first born. */
static void
lineage_match(const struct lineage_gen *gens, size_t ngens,
              const struct lineage_file *files, size_t nfiles,
              struct lineage_info *info)
{
	size_t *fi = xcalloc(nfiles + 1, sizeof *fi);
	size_t *gi = xcalloc(ngens + 1, sizeof *gi);
	uint64_t *key = xcalloc(nfiles + ngens + 1, sizeof *key);
	ssize_t first;
	size_t i, g;
	int taken;

	for (i = 0; i < nfiles; i++) {
		if (info[i].ignored)
			continue;
		for (g = 0; g < ngens; g++) {
			if (lineage_is_identity(
			        &gens[g], &files[i],
			        lineage_file_gz(&files[i], &info[i]))) {
				info[i].gen = (ssize_t)g;
				info[i].identity = 1;
				break;
			}
		}
	}
	for (i = 0; i < nfiles; i++)
		key[i] = files[i].birth;
	lineage_order(fi, nfiles, key);
	for (g = 0; g < ngens; g++)
		key[g] = gens[g].birth;
	lineage_order(gi, ngens, key);
	for (size_t fk = 0; fk < nfiles; fk++) {
		i = fi[fk];
		if (info[i].ignored || info[i].gen != -1 || files[i].is_path ||
		    info[i].nm.kind == LINEAGE_NAME_NONE)
			continue;
		first = -1;
		for (size_t gk = 0; gk < ngens; gk++) {
			g = gi[gk];
			if (!lineage_is_copy(&gens[g], &files[i]))
				continue;
			if (first == -1)
				first = (ssize_t)g;
			taken = 0;
			for (size_t j = 0; j < nfiles && !taken; j++)
				taken = j != i && info[j].gen == (ssize_t)g;
			if (!taken) {
				first = (ssize_t)g;
				break;
			}
		}
		info[i].gen = first;
	}
	free(key);
	free(gi);
	free(fi);
}

/* The file that stands for generation g: the one with its identity, else
 * the copy most complete (a complete one before one being written, plain
 * before compressed), then the first born, then the first listed; -1 if
 * none. */
static ssize_t
lineage_chosen(size_t g, const struct lineage_file *files, size_t nfiles,
               const struct lineage_info *info)
{
	ssize_t best = -1;
	const struct lineage_file *f, *b;
	int fp, bp, fz, bz;

	for (size_t i = 0; i < nfiles; i++) {
		if (info[i].ignored || info[i].gen != (ssize_t)g)
			continue;
		if (info[i].identity)
			return (ssize_t)i;
		if (best == -1) {
			best = (ssize_t)i;
			continue;
		}
		f = &files[i];
		b = &files[best];
		fp = lineage_file_partial(f, &info[i]);
		bp = lineage_file_partial(b, &info[best]);
		fz = lineage_file_gz(f, &info[i]);
		bz = lineage_file_gz(b, &info[best]);
		if (fp != bp   ? fp < bp
		    : fz != bz ? fz < bz
		               : f->birth < b->birth)
			best = (ssize_t)i;
	}
	return best;
}

/* The naming class of a parsed name: 0 none, 1 numbered, 2 + fmt dated. */
static int
lineage_seq_class(const struct lineage_parsed *p)
{
	if (p->seq == LINEAGE_SEQ_NUM)
		return 1;
	if (p->seq == LINEAGE_SEQ_DATE)
		return 2 + p->fmt;
	return 0;
}

/* Compares two names of one class by age: < 0 if `a' is older. */
static int
lineage_seq_cmp(const struct lineage_parsed *a, const struct lineage_parsed *b)
{
	int c;

	if (a->seq == LINEAGE_SEQ_NUM)
		return a->n > b->n ? -1 : a->n < b->n;
	if (a->seq == LINEAGE_SEQ_DATE) {
		c = memcmp(a->stamp, b->stamp,
		           a->stamp_len < b->stamp_len ? a->stamp_len
		                                       : b->stamp_len);
		if (c != 0)
			return c;
		return a->stamp_len < b->stamp_len   ? -1
		       : a->stamp_len > b->stamp_len ? 1
		                                     : 0;
	}
	return 0;
}

/* The birth before which a file no known generation names cannot be one
 * never seen: that of the newest generation read from (done, or with bytes
 * read); a file born before it held the path before that generation did,
 * and was read then or is lost.  A generation nothing was read from does
 * not bound: a file born between it and the one before was missed (found
 * while the checkpoint already named the later one).  When nothing was
 * read from any, a clock tick before the oldest's birth: what is older was
 * there before tailmux knew the path, but a file made just after it was
 * first seen (a copytruncate's copy of contents not read yet) may be
 * stamped up to a tick below its time, which is off a finer clock.  Of a
 * generation read from, a file stamped before it is older: a copy made
 * just before the truncation that began it, say.  0 when the births are
 * unknown. */
static uint64_t
lineage_newest_read(const struct lineage_gen *gens, size_t ngens)
{
	uint64_t newest = 0, oldest = 0;

	for (size_t g = 0; g < ngens; g++) {
		if (gens[g].birth == 0)
			continue;
		if (gens[g].done || gens[g].offset > 0) {
			if (gens[g].birth > newest)
				newest = gens[g].birth;
		} else if (oldest == 0 || gens[g].birth < oldest)
			oldest = gens[g].birth;
	}
	if (newest != 0)
		return newest;
	return oldest > LINEAGE_CLOCK_SLACK ? oldest - LINEAGE_CLOCK_SLACK
	                                    : oldest;
}

/* 1 if file f may be a copy of what the current file c holds, made before
 * the truncation that has yet to come (a copytruncate caught between its
 * copy and its truncation, or copying still): the same first bytes, as far
 * as the shorter of the two goes, and no more bytes than c. */
static int
lineage_copy_of_current(const struct lineage_file *f,
                        const struct lineage_file *c)
{
	uint32_t n = f->head_len < c->head_len ? f->head_len : c->head_len;

	if (n == 0 || f->head == NULL || c->head == NULL)
		return 0;
	if (f->size != LINEAGE_SIZE_UNKNOWN &&
	    c->size != LINEAGE_SIZE_UNKNOWN && f->size > c->size)
		return 0;
	return memcmp(f->head, c->head, n) == 0;
}

/* 1 if the file, no known generation, is one never seen: a rotated name,
 * something to read, born after `newest' (lineage_newest_read(); and, unless it
 * is a gzip, not after the current file when that is a new inode).  A gzip's
 * birth is when it was compressed, later than its contents': it must also
 * be newer by its name than every file of a known generation named the
 * same way, and so must a file whose birth cannot be compared.  One that
 * neither birth times nor names can place is not. */
static int
lineage_never_seen(size_t i, size_t ngens, const struct lineage_file *files,
                   size_t nfiles, const struct lineage_info *info, ssize_t cur,
                   uint64_t newest, int cur_known_inode)
{
	const struct lineage_file *f = &files[i];
	const struct lineage_info *in = &info[i];
	int placed = 0, cls = lineage_seq_class(&in->nm);

	if (in->ignored || in->gen != -1 || f->is_path ||
	    in->nm.kind == LINEAGE_NAME_NONE || ngens == 0)
		return 0;
	if (!lineage_file_partial(f, in) && f->size == 0)
		return 0;
	if (newest != 0 && f->birth != 0) {
		if (f->birth <= newest)
			return 0;
		placed = 1;
	}
	if (cur != -1 && !cur_known_inode && !lineage_file_gz(f, in) &&
	    f->birth != 0 && files[cur].birth != 0 &&
	    f->birth > files[cur].birth)
		return 0;
	if (cur != -1 && cur_known_inode &&
	    lineage_copy_of_current(f, &files[cur]))
		return 0;
	if (!lineage_file_gz(f, in) && f->birth != 0 && newest != 0)
		cls = 0; /* births tell, and a writer may number upwards */
	for (size_t j = 0; j < nfiles && cls != 0; j++) {
		if (info[j].ignored || info[j].gen == -1 ||
		    lineage_seq_class(&info[j].nm) != cls)
			continue;
		if (lineage_seq_cmp(&in->nm, &info[j].nm) <= 0)
			return 0;
		placed = 1;
	}
	return placed;
}

/* Compares two reads by what their names say of their age: numbered ones
 * (a higher number is older) before dated ones, each format apart (an
 * earlier date is older), before the rest; 0 when the names tell nothing. */
static int
lineage_name_age_cmp(const struct lineage_sorted *a,
                     const struct lineage_sorted *b)
{
	size_t n = a->stamp_len < b->stamp_len ? a->stamp_len : b->stamp_len;
	int c;

	if (a->seq_class != b->seq_class)
		return a->seq_class < b->seq_class ? -1 : 1;
	if (a->seq_class == 1 && a->n != b->n)
		return a->n > b->n ? -1 : 1;
	if (a->seq_class >= 2) {
		c = memcmp(a->stamp, b->stamp, n);
		if (c != 0)
			return c;
	}
	return 0;
}

/* Orders two reads: by birth, then a ".backup" first (logrotate set it
 * aside before it created the file that took the path next, often in the
 * same tick of the filesystem's clock), then by their names' age, then by
 * name. */
static int
lineage_sorted_cmp(const void *va, const void *vb)
{
	const struct lineage_sorted *a = va, *b = vb;
	int c;

	if (a->when != b->when)
		return a->when < b->when ? -1 : 1;
	if (a->backup != b->backup)
		return a->backup ? -1 : 1;
	c = lineage_name_age_cmp(a, b);
	if (c != 0)
		return c;
	if (a->in_olddir != b->in_olddir)
		return a->in_olddir ? -1 : 1;
	c = strcmp(a->name, b->name);
	if (c != 0)
		return c;
	return a->read.file < b->read.file ? -1 : a->read.file > b->read.file;
}

/* Orders reads by their names' age alone (then as listed). */
static int
lineage_by_name_cmp(const void *va, const void *vb)
{
	const struct lineage_sorted *a = va, *b = vb;
	int c = lineage_name_age_cmp(a, b);

	if (c != 0)
		return c;
	return a->read.file < b->read.file ? -1 : a->read.file > b->read.file;
}

/* 1 if reads a and b are named the same way (the names tell their ages). */
static int
lineage_same_class(const struct lineage_sorted *a,
                   const struct lineage_sorted *b)
{
	return a->seq_class != 0 && a->seq_class == b->seq_class;
}

/* Gives each read whose birth is unknown (a gzip never seen, born when it
 * was compressed) the birth of the read its name says is just older, so
 * that it sorts right after it; one that has none, the birth of the read
 * its name says is just newer, so that it sorts right before it (a tie the
 * names break); a run of them that has neither, the birth of its oldest's
 * file. */
static void
lineage_inherit(struct lineage_sorted *s, size_t n,
                const struct lineage_file *files)
{
	int *set = xcalloc(n + 1, sizeof *set);
	size_t i;

	qsort(s, n, sizeof *s, lineage_by_name_cmp);
	for (i = 0; i < n; i++) {
		set[i] = s[i].known || (i > 0 && set[i - 1] &&
		                        lineage_same_class(&s[i - 1], &s[i]));
		if (!s[i].known && set[i])
			s[i].when = s[i - 1].when;
	}
	for (i = n; i-- > 0;) {
		if (!set[i] && i + 1 < n && set[i + 1] &&
		    lineage_same_class(&s[i], &s[i + 1])) {
			s[i].when = s[i + 1].when;
			set[i] = 1;
		}
	}
	for (i = 0; i < n; i++) {
		if (set[i])
			continue;
		if (i > 0 && lineage_same_class(&s[i - 1], &s[i]))
			s[i].when = s[i - 1].when;
		else
			s[i].when = files[s[i].read.file].birth;
		set[i] = 1;
	}
	free(set);
}

/* Bounds the birth each gzip read inherited (lineage_inherit()) by what
 * its mtime tells, when it is its uncompressed file's (earlier than the
 * gzip's own birth): its contents began no later than they were last
 * written; and after the birth of every ".backup" born before that last
 * write, the writer having made the ".backup" at the path only once it
 * had stopped writing the files before it.  A tie with such a ".backup"
 * sorts the ".backup" first (lineage_sorted_cmp()). */
static void
lineage_bound_gz(struct lineage_sorted *s, size_t n,
                 const struct lineage_file *files,
                 const struct lineage_info *info)
{
	const struct lineage_file *f;
	uint64_t after;

	for (size_t i = 0; i < n; i++) {
		f = &files[s[i].read.file];
		if (s[i].known || !lineage_file_gz(f, &info[s[i].read.file]) ||
		    f->mtime == 0 || f->birth == 0 || f->mtime >= f->birth)
			continue;
		after = 0;
		for (size_t j = 0; j < n; j++) {
			if (s[j].backup && s[j].known && s[j].when < f->mtime &&
			    s[j].when > after)
				after = s[j].when;
		}
		if (s[i].when > f->mtime - 1)
			s[i].when = f->mtime - 1;
		if (s[i].when < after)
			s[i].when = after;
	}
}

/* The read, of a file never seen, that may be blank generation g gone
 * under another name: a gzip compressed since g was first seen (its
 * fingerprint cannot tell), the oldest by its name of those; -1 if none. */
static ssize_t
lineage_blank_read(const struct lineage_gen *g, const struct lineage_sorted *s,
                   size_t n, const struct lineage_file *files,
                   const struct lineage_info *info)
{
	const struct lineage_file *f;
	ssize_t best = -1;

	if (!lineage_gen_blank(g))
		return -1;
	for (size_t i = 0; i < n; i++) {
		f = &files[s[i].read.file];
		if (s[i].read.gen == -1 &&
		    lineage_file_gz(f, &info[s[i].read.file]) &&
		    (g->birth == 0 || f->birth == 0 || f->birth >= g->birth) &&
		    (best == -1 || lineage_name_age_cmp(&s[i], &s[best]) < 0))
			best = (ssize_t)i;
	}
	return best;
}

/* Adds a read of file i to s[*n]. */
static void
lineage_add_read(struct lineage_sorted *s, size_t *n, size_t i, ssize_t gen,
                 uint64_t offset, const struct lineage_gen *gens,
                 const struct lineage_file *files,
                 const struct lineage_info *info)
{
	struct lineage_sorted *e = &s[(*n)++];
	const struct lineage_file *f = &files[i];

	memset(e, 0, sizeof *e);
	e->read.file = i;
	e->read.offset = offset;
	e->read.gen = gen;
	e->read.wait = lineage_file_partial(f, &info[i]);
	if (gen != -1 && gens[gen].birth != 0)
		e->when = gens[gen].birth;
	else if (!lineage_file_gz(f, &info[i]))
		e->when = f->birth;
	e->known = e->when != 0;
	e->seq_class = lineage_seq_class(&info[i].nm);
	e->backup = info[i].nm.backup;
	e->n = info[i].nm.n;
	e->stamp = info[i].nm.stamp;
	e->stamp_len = info[i].nm.stamp_len;
	e->name = f->name;
	e->in_olddir = f->in_olddir;
}

void
lineage_plan(const char *base, const struct lineage_rules *r,
             const struct lineage_gen *gens, size_t ngens,
             const struct lineage_file *files, size_t nfiles,
             struct lineage_plan *out)
{
	struct lineage_info *info = xcalloc(nfiles + 1, sizeof *info);
	struct lineage_sorted *s = xcalloc(nfiles + 1, sizeof *s);
	const struct lineage_file *f;
	uint64_t newest = 0;
	ssize_t c;
	size_t n = 0, k;
	int cur_known_inode = 0;

	memset(out, 0, sizeof *out);
	out->current = out->current_gen = -1;
	out->lost = xcalloc(ngens + 1, sizeof *out->lost);
	out->finished = xcalloc(ngens + 1, sizeof *out->finished);
	for (size_t i = 0; i < nfiles; i++) {
		lineage_parse(base, files[i].name, r, &info[i].nm);
		info[i].gen = -1;
	}
	lineage_ignore(files, nfiles, info);
	lineage_match(gens, ngens, files, nfiles, info);

	for (size_t i = 0; i < nfiles && out->current == -1; i++)
		if (files[i].is_path && !info[i].ignored)
			out->current = (ssize_t)i;
	if (out->current != -1) {
		f = &files[out->current];
		out->current_gen = info[out->current].gen;
		if (out->current_gen != -1)
			out->current_offset = gens[out->current_gen].offset;
		for (size_t g = 0; g < ngens; g++)
			if (gens[g].dev == f->dev && gens[g].ino == f->ino)
				cur_known_inode = 1;
	}

	newest = lineage_newest_read(gens, ngens);
	for (size_t g = 0; g < ngens; g++) {
		c = lineage_chosen(g, files, nfiles, info);
		if (c == -1) {
			if (!gens[g].done)
				out->lost[out->nlost++].gen = g;
			continue;
		}
		f = &files[c];
		if (gens[g].done || c == out->current)
			continue;
		if (f->size != LINEAGE_SIZE_UNKNOWN &&
		    f->size <= gens[g].offset) {
			out->finished[out->nfinished].gen = g;
			out->finished[out->nfinished++].file = (size_t)c;
			continue;
		}
		lineage_add_read(s, &n, (size_t)c, (ssize_t)g, gens[g].offset,
		                 gens, files, info);
	}
	for (size_t i = 0; i < nfiles; i++)
		if (lineage_never_seen(i, ngens, files, nfiles, info,
		                       out->current, newest, cur_known_inode))
			lineage_add_read(s, &n, i, -1, 0, gens, files, info);
	/* A blank generation is not lost when its gzip may be read as a
	 * file never seen; that gzip's contents then began when the
	 * generation did, which orders it (its own birth is when it was
	 * compressed). */
	k = 0;
	for (size_t i = 0; i < out->nlost; i++) {
		const struct lineage_gen *g = &gens[out->lost[i].gen];
		ssize_t br = lineage_blank_read(g, s, n, files, info);

		if (br == -1) {
			out->lost[k++] = out->lost[i];
		} else if (!s[br].known && g->birth != 0) {
			s[br].when = g->birth;
			s[br].known = 1;
		}
	}
	out->nlost = k;

	lineage_inherit(s, n, files);
	lineage_bound_gz(s, n, files, info);
	qsort(s, n, sizeof *s, lineage_sorted_cmp);
	out->reads = xcalloc(n + 1, sizeof *out->reads);
	for (size_t i = 0; i < n; i++) {
		out->reads[i] = s[i].read;
		out->reads[i].when = s[i].when;
	}
	out->nreads = n;
	free(s);
	free(info);
}

void
lineage_plan_clear(struct lineage_plan *p)
{
	free(p->reads);
	free(p->lost);
	free(p->finished);
	memset(p, 0, sizeof *p);
	p->current = p->current_gen = -1;
}
