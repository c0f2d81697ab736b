/* globs.c -- the inputs' glob patterns: see globs.h. */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "follow.h"
#include "globs.h"
#include "hmap.h"
#include "log.h"
#include "notify.h"
#include "path.h"
#include "tail.h"
#include "xmalloc.h"

struct globs_pattern;

/* A directory a pattern's files may be in: its directory part, or one
 * that part matched (it has wildcards), watched for new names and listed
 * again only when it changed. */
struct globs_dir {
	struct globs_pattern *p;
	char *path;
	struct notify_reg *reg;
	/* The directory as its last listing found it: the next rescan skips
	 * it while it is unchanged (no name was added or removed). */
	int known;
	struct stat st;
};

/* One glob pattern of an input: a directory part (a path, or a pattern
 * itself) and a last component matched to the names in it. */
struct globs_pattern {
	const struct config_input *input;
	const char *pattern;
	char *dir_pat;        /* its directory part */
	const char *base_pat; /* its last component, inside pattern */
	int dir_wild;         /* dir_pat has wildcards */
	struct globs_dir **dirs;
	size_t ndirs;
	struct hmap *dirs_by_path;
};

struct globs {
	struct notify *notify;
	struct tail *tail;
	int once;
	struct globs_pattern *pats;
	size_t npats;
	struct event *rescan_ev;
};

/* A file matching pattern `p' was found: follow it unless it is excluded,
 * followed already, not a regular file, or over max_files.  Returns the
 * new follow, or NULL. */
static struct follow *
globs_found(struct globs *g, struct globs_pattern *p, const char *path)
{
	struct stat st;

	if (config_excluded(p->input, path) ||
	    tail_follow_get(g->tail, path) != NULL)
		return NULL;
	if (tail_is_own(g->tail, path))
		return NULL;
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return NULL;
	return tail_follow_add(g->tail, path, p->input, 1);
}

/* The path of `name' in directory `dir'. */
static char *
globs_join(const char *dir, const char *name)
{
	if (strcmp(dir, ".") == 0)
		return xstrdup(name);
	if (strcmp(dir, "/") == 0)
		return xasprintf("/%s", name);
	return xasprintf("%s/%s", dir, name);
}

/* inotify: a name appeared in directory `owner' of a pattern, or the
 * directory went (it is watched again when a rescan finds it). */
static void
globs_event(void *arg, void *owner, uint32_t mask, uint32_t cookie,
            const char *name)
{
	struct globs *g = arg;
	struct globs_dir *d = owner;
	struct follow *f;
	char *path;

	(void)cookie;
	if (mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
		notify_rm(g->notify, d->reg);
		d->reg = NULL;
		d->known = 0;
		return;
	}
	if (name == NULL || !(mask & (IN_CREATE | IN_MOVED_TO)) ||
	    fnmatch(d->p->base_pat, name, FNM_PERIOD) != 0)
		return;
	path = globs_join(d->path, name);
	if ((f = globs_found(g, d->p, path)) != NULL)
		tail_follow_open(g->tail, f, TAIL_APPEARED);
	free(path);
}

/* True if directory `d' is as it was when it was last listed: the
 * safety-net rescan would find nothing new in it. */
static int
globs_dir_same(const struct globs_dir *d)
{
	struct stat st;

	return d->known && stat(d->path, &st) == 0 &&
	       st.st_dev == d->st.st_dev && st.st_ino == d->st.st_ino &&
	       st.st_mtim.tv_sec == d->st.st_mtim.tv_sec &&
	       st.st_mtim.tv_nsec == d->st.st_mtim.tv_nsec &&
	       st.st_ctim.tv_sec == d->st.st_ctim.tv_sec &&
	       st.st_ctim.tv_nsec == d->st.st_ctim.tv_nsec;
}

/* Notes how directory `d' is, just before it is listed.  A time stamp
 * less than two seconds old is not trusted: a name added within the same
 * tick of the filesystem's clock would leave it as it is. */
static void
globs_dir_note(struct globs_dir *d)
{
	struct timespec now;

	d->known = 0;
	if (stat(d->path, &d->st) == -1 ||
	    clock_gettime(CLOCK_REALTIME, &now) == -1)
		return;
	d->known = now.tv_sec > d->st.st_mtim.tv_sec + 1 &&
	           now.tv_sec > d->st.st_ctim.tv_sec + 1;
}

/* Which matches globs_scan() follows, and who opens them. */
enum globs_scan_how {
	GLOBS_START_KNOWN, /* start-up: the paths the checkpoint names */
	GLOBS_START,       /* start-up: the others */
	GLOBS_LATER,       /* a rescan or a reload: all, opened at once */
};

/* The directory `path' of pattern p, made if new. */
static struct globs_dir *
globs_dir_get(struct globs_pattern *p, const char *path)
{
	uint64_t h = hmap_hash_str(path);
	struct globs_dir *d;
	void *pos = NULL;

	while ((d = hmap_next(p->dirs_by_path, h, &pos)) != NULL)
		if (strcmp(d->path, path) == 0)
			return d;
	d = xcalloc(1, sizeof *d);
	d->p = p;
	d->path = xstrdup(path);
	p->dirs = xreallocarray(p->dirs, p->ndirs + 1, sizeof *p->dirs);
	p->dirs[p->ndirs++] = d;
	hmap_put(p->dirs_by_path, h, d);
	return d;
}

/* Lists directory `d' and follows each name its pattern's last component
 * matches, as globs_scan() says; then watches it for new names. */
static void
globs_dir_scan(struct globs *g, struct globs_dir *d, enum globs_scan_how how,
               const struct config *prev)
{
	struct globs_pattern *p = d->p;
	struct follow *f;
	struct dirent *de;
	char *path;
	DIR *dp;

	globs_dir_note(d);
	if ((dp = opendir(d->path)) == NULL) {
		d->known = 0;
		if (errno != ENOENT && errno != ENOTDIR)
			log_warn("[input:%s] cannot list %s for %s",
			         p->input->name, d->path, p->pattern);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if (fnmatch(p->base_pat, de->d_name, FNM_PERIOD) != 0)
			continue;
		path = globs_join(d->path, de->d_name);
		if (how != GLOBS_START_KNOWN || tail_known(g->tail, path)) {
			f = globs_found(g, p, path);
			if (f != NULL && how == GLOBS_LATER)
				tail_follow_open(
				    g->tail, f,
				    prev == NULL || config_covers(prev, f->path)
				        ? TAIL_APPEARED
				        : TAIL_ADDED);
		}
		free(path);
	}
	closedir(dp);
	if (d->reg == NULL && !g->once)
		d->reg = notify_add(g->notify, d->path, NOTIFY_DIR_MASK,
		                    globs_event, g, d);
}

/* Expands pattern `p' and follows each new match `how' says; at start-up
 * the files are opened by tail_start(), later they are opened here: as new
 * files, or, at a reload, those `prev' (the configuration before) did not
 * cover as paths added by it.  Its directories are found again (those of
 * a directory part with wildcards: a look at the directories above), but
 * at a rescan only those that changed since they were last listed are
 * listed again: an idle rescan costs a stat per directory, not a look at
 * every file. */
static void
globs_scan(struct globs *g, struct globs_pattern *p, enum globs_scan_how how,
           const struct config *prev)
{
	struct globs_dir *d;
	glob_t gl;
	int r;

	if (!p->dir_wild) {
		d = globs_dir_get(p, p->dir_pat);
		if (how != GLOBS_LATER || !globs_dir_same(d))
			globs_dir_scan(g, d, how, prev);
		return;
	}
	r = glob(p->dir_pat, GLOB_NOSORT | GLOB_ONLYDIR, NULL, &gl);
	if (r != 0 && r != GLOB_NOMATCH) {
		log_warnx("[input:%s] cannot expand %s", p->input->name,
		          p->dir_pat);
		return;
	}
	for (size_t i = 0; r == 0 && i < gl.gl_pathc; i++) {
		d = globs_dir_get(p, gl.gl_pathv[i]);
		if (how != GLOBS_LATER || !globs_dir_same(d))
			globs_dir_scan(g, d, how, prev);
	}
	if (r == 0)
		globfree(&gl);
}

/* Looks for new matches every rescan_interval (the shortest of the
 * inputs'), and arms the timer for the next time; called with what 0, it
 * only arms it. */
static void
globs_rescan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct globs *g = arg;
	uint64_t ms = UINT64_MAX;

	(void)fd;
	if (what != 0)
		for (size_t i = 0; i < g->npats; i++)
			globs_scan(g, &g->pats[i], GLOBS_LATER, NULL);
	for (size_t i = 0; i < g->npats; i++)
		if (g->pats[i].input->rescan_interval < ms)
			ms = g->pats[i].input->rescan_interval;
	if (ms == UINT64_MAX || g->once)
		return;
	clock_timer(g->rescan_ev, ms);
}

/* Takes the glob patterns of every input of `cfg'. */
static void
globs_init(struct globs *g, const struct config *cfg)
{
	const struct config_input *in;
	struct globs_pattern *p;

	for (size_t i = 0; i < cfg->ninputs; i++) {
		in = &cfg->inputs[i];
		for (size_t k = 0; k < in->npaths; k++) {
			if (!config_is_glob(in->paths[k]))
				continue;
			g->pats = xreallocarray(g->pats, g->npats + 1,
			                        sizeof *g->pats);
			p = &g->pats[g->npats++];
			memset(p, 0, sizeof *p);
			p->input = in;
			p->pattern = in->paths[k];
			p->dir_pat = path_dir(p->pattern);
			p->base_pat = path_base(p->pattern);
			p->dir_wild = config_is_glob(p->dir_pat);
			p->dirs_by_path = hmap_create();
		}
	}
}

/* Ends the patterns' directory watches and forgets the patterns. */
static void
globs_clear(struct globs *g)
{
	struct globs_pattern *p;

	for (size_t i = 0; i < g->npats; i++) {
		p = &g->pats[i];
		for (size_t k = 0; k < p->ndirs; k++) {
			notify_rm(g->notify, p->dirs[k]->reg);
			free(p->dirs[k]->path);
			free(p->dirs[k]);
		}
		free(p->dirs);
		hmap_free(p->dirs_by_path);
		free(p->dir_pat);
	}
	free(g->pats);
	g->pats = NULL;
	g->npats = 0;
}

struct globs *
globs_create(struct event_base *base, const struct config *cfg,
             struct notify *notify, struct tail *tail, int once)
{
	struct globs *g = xcalloc(1, sizeof *g);

	g->notify = notify;
	g->tail = tail;
	g->once = once;
	g->rescan_ev = evtimer_new(base, globs_rescan_cb, g);
	if (g->rescan_ev == NULL) {
		log_errx("cannot create the rescan timer");
		free(g);
		return NULL;
	}
	globs_init(g, cfg);
	return g;
}

/* The matches the checkpoint names are followed first: the files an input
 * followed before a restart keep their places under max_files, whatever
 * order the directories list them in (newest first on a tmpfs). */
void
globs_start(struct globs *g)
{
	for (size_t i = 0; i < g->npats; i++)
		globs_scan(g, &g->pats[i], GLOBS_START_KNOWN, NULL);
	for (size_t i = 0; i < g->npats; i++)
		globs_scan(g, &g->pats[i], GLOBS_START, NULL);
	globs_rescan_cb(-1, 0, g); /* arms the timer */
}

void
globs_reload(struct globs *g, const struct config *cfg,
             const struct config *old)
{
	globs_clear(g);
	globs_init(g, cfg);
	for (size_t i = 0; i < g->npats; i++)
		globs_scan(g, &g->pats[i], GLOBS_LATER, old);
	evtimer_del(g->rescan_ev);
	globs_rescan_cb(-1, 0, g);
}

void
globs_free(struct globs *g)
{
	if (g == NULL)
		return;
	globs_clear(g);
	event_free(g->rescan_ev);
	free(g);
}
