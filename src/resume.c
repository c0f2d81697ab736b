/* resume.c -- what start-up reads of a path before its current file: see
 * resume.h. */
#include "autoconf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "follow.h"
#include "gunzip.h"
#include "lineage.h"
#include "log.h"
#include "reader.h"
#include "resume.h"
#include "state.h"
#include "watch.h"
#include "xmalloc.h"

/* What resume_keep() wants listed of a path's directory. */
struct resume_keep {
	const char *base;
	const struct lineage_rules *rules;
	const struct lineage_gen *gens;
	size_t ngens;
};

/* Lists the path's own name, the rotated names of it (compressed or not),
 * and any file on an inode the checkpoint names. */
static int
resume_keep(void *arg, const char *name, uint64_t ino)
{
	const struct resume_keep *k = arg;

	if (strcmp(name, k->base) == 0 ||
	    lineage_name(k->base, name, k->rules) != LINEAGE_NAME_NONE)
		return 1;
	for (size_t i = 0; i < k->ngens; i++)
		if (k->gens[i].ino == ino)
			return 1;
	return 0;
}

/* The generations of f's path the checkpoint knows: the files it was
 * reading (and the old contents of a truncated one), and those it read to
 * their end.  Returns how many are in *out; sets *moved when one not done
 * is not the file at the path now (`cur_fd', -1: none), which means the
 * path moved on while tailmux was down. */
static size_t
resume_gens(const struct state *loaded, const struct state *closed,
            const struct follow *f, int cur_fd, const struct stat *cur,
            struct lineage_gen **out, int *moved)
{
	const struct state_file *e;
	struct lineage_gen *g, *gens = NULL;
	size_t n = 0;

	*moved = 0;
	for (int pass = 0; pass < 2; pass++) {
		const struct state *st = pass == 0 ? loaded : closed;
		for (size_t i = 0; i < st->nfiles; i++) {
			e = &st->files[i];
			if (e->ino == 0 || strcmp(e->path, f->path) != 0 ||
			    (pass == 0 && e->kind == STATE_DONE))
				continue;
			gens = xreallocarray(gens, n + 1, sizeof *gens);
			g = &gens[n++];
			memset(g, 0, sizeof *g);
			g->dev = e->dev;
			g->ino = e->ino;
			g->fp_len = e->fp_len;
			g->fp_hash = e->fp_hash;
			g->birth = e->seen_at;
			g->offset = e->offset;
			g->done = pass == 1;
			if (g->done)
				continue;
			if (cur_fd == -1 || e->kind == STATE_COPY ||
			    e->dev != (uint64_t)cur->st_dev ||
			    e->ino != (uint64_t)cur->st_ino ||
			    !watch_fp_matches(cur_fd, e->fp_len, e->fp_hash))
				*moved = 1;
		}
	}
	*out = gens;
	return n;
}

/* The directory f's rotated files go to (its input's rotated_dir, made
 * absolute against the path's directory), or NULL: beside the path. */
static char *
resume_olddir(const struct follow *f)
{
	const char *d = f->input->rotated_dir;

	if (d == NULL)
		return NULL;
	return d[0] == '/' ? xstrdup(d) : xasprintf("%s/%s", f->dir, d);
}

/* Lists what `keep' wants of f's directory, then of `olddir' (if not
 * NULL) after them; *nbeside says how many come from the first.  Returns
 * the count, or -1 after logging why. */
static ssize_t
resume_list(const struct follow *f, const char *olddir,
            struct resume_keep *keep, struct watch_listed **out,
            size_t *nbeside)
{
	struct watch_listed *l, *o = NULL;
	ssize_t n, no = 0;

	n = watch_list(f->dir, resume_keep, keep, &l);
	if (n == -1) {
		log_warn("%s: cannot list %s to find the files it held while "
		         "tailmux was down",
		         f->path, f->dir);
		return -1;
	}
	*nbeside = (size_t)n;
	if (olddir != NULL &&
	    (no = watch_list(olddir, resume_keep, keep, &o)) == -1) {
		log_warn("%s: cannot list its rotated_dir %s", f->path, olddir);
		no = 0;
	}
	if (no > 0) {
		l = xreallocarray(l, (size_t)(n + no) + 1, sizeof *l);
		memcpy(l + n, o, (size_t)no * sizeof *o);
	}
	free(o); /* its names and descriptors are l's now */
	*out = l;
	return n + no;
}

/* True if the directory of f's path may have had files created or renamed
 * in it since the checkpoint was saved (its mtime is not older by a second
 * at least): a copytruncate leaves the path on its inode, and when the
 * checkpoint's fingerprint of it is short, only its copies can tell. */
static int
resume_dir_changed(const struct state *loaded, const struct follow *f)
{
	struct stat st;
	uint64_t mtime;

	if (loaded->saved_at == 0 || stat(f->dir, &st) == -1)
		return 1;
	mtime = (uint64_t)st.st_mtim.tv_sec * 1000000000u +
	        (uint64_t)st.st_mtim.tv_nsec;
	return mtime + 1000000000u >= loaded->saved_at;
}

/* How many times resume_plan() lists a directory while the file at the
 * path changes under it, before it takes the last listing as it is. */
#define RESUME_LIST_TRIES 5

/* How long a start-up plan waits, at most, for a gzip being written, and
 * how often it looks again meanwhile (ms). */
#define RESUME_WAIT_MS 10000u
#define RESUME_WAIT_STEP_MS 100u

/* The file at the path as one look at it saw it. */
struct resume_look {
	struct stat st;
	unsigned char head[STATE_FP_MAX];
	uint32_t head_len;
};

/* Looks at the file open on cur_fd (-1: none; `cur' is what its open
 * saw). */
static void
resume_look(int cur_fd, const struct stat *cur, struct resume_look *lk)
{
	ssize_t n;

	lk->head_len = 0;
	if (cur_fd == -1)
		return;
	if (fstat(cur_fd, &lk->st) == -1)
		lk->st = *cur;
	n = pread(cur_fd, lk->head, sizeof lk->head, 0);
	lk->head_len = n > 0 ? (uint32_t)n : 0;
}

/* 1 if two looks at the file at the path saw the same contents, the later
 * perhaps with more bytes. */
static int
resume_look_same(const struct resume_look *a, const struct resume_look *b)
{
	return b->st.st_size >= a->st.st_size && b->head_len >= a->head_len &&
	       memcmp(a->head, b->head, a->head_len) == 0;
}

/* The listing l[0..nl) (nbeside of them in the path's directory, the rest
 * in its olddir) as the lineage core takes it; the file open on cur_fd
 * (-1: none) as `after' saw it. */
static struct lineage_file *
resume_files(const struct follow *f, const struct lineage_rules *rules,
             struct watch_listed *l, ssize_t nl, size_t nbeside, int cur_fd,
             const struct stat *cur, const struct resume_look *after)
{
	struct lineage_file *files;
	char *cause = NULL;
	ssize_t n;

	files = xcalloc((size_t)nl + 1, sizeof *files);
	for (ssize_t i = 0; i < nl; i++) {
		files[i].name = l[i].name;
		files[i].in_olddir = (size_t)i >= nbeside;
		files[i].dev = (uint64_t)l[i].st.st_dev;
		files[i].ino = (uint64_t)l[i].st.st_ino;
		files[i].birth = l[i].birth;
		files[i].mtime =
		    (uint64_t)l[i].st.st_mtim.tv_sec * 1000000000u +
		    (uint64_t)l[i].st.st_mtim.tv_nsec;
		files[i].size = (uint64_t)l[i].st.st_size;
		/* The file at the path is the one open on cur_fd, under
		 * whatever name it has now: rotated away between the open and
		 * this listing, it is still the one read as the current file
		 * (the loop sees it moved on later), not a generation of its
		 * own, and the file at the path now is left for that. */
		if (cur_fd != -1)
			files[i].is_path = l[i].st.st_dev == cur->st_dev &&
			                   l[i].st.st_ino == cur->st_ino;
		else
			files[i].is_path = !files[i].in_olddir &&
			                   strcmp(l[i].name, f->base) == 0;
		files[i].gz =
		    !files[i].is_path &&
		    lineage_name(f->base, l[i].name, rules) >= LINEAGE_NAME_GZ;
		if (files[i].gz) {
			/* Known by the start of what it holds. */
			files[i].size = LINEAGE_SIZE_UNKNOWN;
			n = gunzip_head(l[i].fd, l[i].head, sizeof l[i].head,
			                &cause);
			l[i].head_len = n > 0 ? (uint32_t)n : 0;
			free(cause);
			cause = NULL;
		}
		if (files[i].is_path && cur_fd != -1) {
			/* As it was after the listing (see above). */
			l[i].st = after->st;
			files[i].size = (uint64_t)after->st.st_size;
			memcpy(l[i].head, after->head, after->head_len);
			l[i].head_len = after->head_len;
		}
		files[i].head = l[i].head;
		files[i].head_len = l[i].head_len;
	}
	return files;
}

/* The index of the first read of plan p that waits (a gzip still being
 * written), or -1. */
static ssize_t
resume_waits(const struct lineage_plan *p)
{
	for (size_t i = 0; i < p->nreads; i++)
		if (p->reads[i].wait)
			return (ssize_t)i;
	return -1;
}

/* Sleeps for `ms' milliseconds (at start-up: nothing else is to be done). */
static void
resume_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void
resume_plan(const struct follow *f, const struct state *loaded,
            const struct state *closed, int cur_fd, const struct stat *cur,
            enum resume_when when, struct resume_plan *out)
{
	struct lineage_file *files = NULL;
	struct lineage_plan plan;
	struct lineage_gen *gens;
	struct watch_listed *l = NULL;
	const struct lineage_read *r;
	struct lineage_rules rules;
	struct resume_keep keep;
	struct resume_read *rr;
	struct watch_listed *e;
	char *olddir;
	size_t nbeside, ngens, ndone;
	uint64_t began, newest = 0;
	struct resume_look before, after;
	ssize_t nl, w;
	int moved;

	memset(out, 0, sizeof *out);
	ngens = resume_gens(loaded, closed, f, cur_fd, cur, &gens, &moved);
	ndone = 0;
	for (size_t i = 0; i < ngens; i++)
		ndone += gens[i].done;
	/* Nothing can have been missed by a path that never moved on (a
	 * file new to the loop, say), nor at start-up by one whose directory
	 * did not change since the checkpoint. */
	if (ngens == 0 || (!moved && when == RESUME_RUNTIME && ndone == 0) ||
	    (!moved && when == RESUME_STARTUP &&
	     !resume_dir_changed(loaded, f))) {
		free(gens);
		return;
	}
	rules.rotated_glob = f->input->rotated_glob;
	rules.dateformat = f->input->dateformat;
	keep.base = f->base;
	keep.rules = &rules;
	keep.gens = gens;
	keep.ngens = ngens;
	/* The file at the path is looked at before its directory is listed
	 * and again after: a rotation under way meanwhile (a copytruncate's
	 * copy seen half written, or whole while the path was seen before its
	 * truncation) would show the path and its copies as no one moment
	 * had them, and the listing is taken again.  Seen the same way twice
	 * (it may have grown), the path was not truncated while it was
	 * listed: a copy of its contents made by then holds no more than it
	 * does after. */
	olddir = resume_olddir(f);
	/* At start-up a gzip still being written is waited for (a while),
	 * and the plan made again once it is complete: read half, its lines
	 * and those of the files after it would be lost or out of order. */
	for (unsigned waited = 0;; waited += RESUME_WAIT_STEP_MS) {
		for (int try = 1;; try++) {
			resume_look(cur_fd, cur, &before);
			nl = resume_list(f, olddir, &keep, &l, &nbeside);
			if (nl == -1)
				break;
			resume_look(cur_fd, cur, &after);
			if (try == RESUME_LIST_TRIES ||
			    resume_look_same(&before, &after))
				break;
			watch_list_free(l, (size_t)nl);
		}
		if (nl == -1) {
			free(olddir);
			free(gens);
			return;
		}
		files = resume_files(f, &rules, l, nl, nbeside, cur_fd, cur,
		                     &after);
		lineage_plan(f->base, &rules, gens, ngens, files, (size_t)nl,
		             &plan);
		w = resume_waits(&plan);
		if (when != RESUME_STARTUP || w == -1 ||
		    waited >= RESUME_WAIT_MS)
			break;
		if (waited == 0)
			log_info("%s: %s is a gzip still being written; "
			         "waiting for it (up to %u s) before reading "
			         "it and the files after it",
			         f->path, files[plan.reads[w].file].name,
			         RESUME_WAIT_MS / 1000);
		lineage_plan_clear(&plan);
		free(files);
		watch_list_free(l, (size_t)nl);
		resume_sleep_ms(RESUME_WAIT_STEP_MS);
	}
	if (plan.current != -1 && cur_fd != -1 &&
	    l[plan.current].st.st_dev == cur->st_dev &&
	    l[plan.current].st.st_ino == cur->st_ino) {
		out->cur.listed = 1;
		out->cur.known = plan.current_gen != -1;
		out->cur.fp_len = reader_fingerprint(
		    (const char *)l[plan.current].head,
		    l[plan.current].head_len, &out->cur.fp_hash);
	}
	out->reads = xcalloc(plan.nreads + 1, sizeof *out->reads);
	for (size_t i = 0; i < plan.nreads; i++) {
		r = &plan.reads[i];
		e = &l[r->file];
		rr = &out->reads[out->nreads++];
		rr->fd = e->fd;
		e->fd = -1; /* the plan's now */
		rr->st = e->st;
		rr->where = xasprintf(
		    "%s/%s", files[r->file].in_olddir ? olddir : f->dir,
		    e->name);
		rr->offset = r->offset;
		rr->known = r->gen != -1;
		rr->gz = files[r->file].gz;
		rr->wait = r->wait;
		/* The longest fingerprint known: the listing's, when the
		 * checkpoint had fewer bytes (the file was empty, or nearly,
		 * when it was saved); the plan matched them, and the start-up
		 * checkpoint then names the file by them, so that its copies
		 * can be told after another restart. */
		if (r->gen != -1) {
			rr->fp_len = gens[r->gen].fp_len;
			rr->fp_hash = gens[r->gen].fp_hash;
		}
		if (e->head_len > rr->fp_len)
			rr->fp_len = reader_fingerprint(
			    (const char *)e->head, e->head_len, &rr->fp_hash);
		/* When its contents began, kept across restarts: the next
		 * plan orders the generations by it.  As this plan ordered
		 * them, strictly: a gzip's birth is when it was compressed,
		 * and ties would be left to the names. */
		began = r->when != 0 ? r->when : e->birth;
		if (began <= newest)
			began = newest + 1;
		rr->began = newest = began;
	}
	if (when == RESUME_STARTUP) {
		out->nlost = plan.nlost;
		out->done = xcalloc(plan.nfinished + 1, sizeof *out->done);
	}
	for (size_t i = 0; i < plan.nfinished && when == RESUME_STARTUP; i++) {
		const struct lineage_gen *g = &gens[plan.finished[i].gen];
		const struct watch_listed *fl = &l[plan.finished[i].file];
		struct resume_done *dn = &out->done[out->ndone++];

		dn->dev = (uint64_t)fl->st.st_dev;
		dn->ino = (uint64_t)fl->st.st_ino;
		dn->offset = (uint64_t)fl->st.st_size < g->offset
		                 ? (uint64_t)fl->st.st_size
		                 : g->offset;
		dn->fp_len = g->fp_len;
		dn->fp_hash = g->fp_hash;
		dn->seen_at = g->birth;
	}
	for (size_t i = 0; i < plan.nlost && when == RESUME_STARTUP; i++) {
		const struct lineage_gen *g = &gens[plan.lost[i].gen];
		log_warnx(
		    "%s: the file it named at the last checkpoint (inode "
		    "%" PRIu64 ", offset %" PRIu64 ") is gone (deleted, or "
		    "moved out of %s%s%s); lines it got after that checkpoint "
		    "cannot be read",
		    f->path, g->ino, g->offset, f->dir,
		    olddir != NULL ? " and " : "",
		    olddir != NULL ? olddir : "");
	}
	lineage_plan_clear(&plan);
	free(olddir);
	free(files);
	watch_list_free(l, (size_t)nl);
	free(gens);
}

void
resume_plan_clear(struct resume_plan *p)
{
	for (size_t i = 0; i < p->nreads; i++) {
		if (p->reads[i].fd != -1)
			close(p->reads[i].fd);
		free(p->reads[i].where);
	}
	free(p->reads);
	free(p->done);
	memset(p, 0, sizeof *p);
}
