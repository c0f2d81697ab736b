/* globs.c -- the inputs' glob patterns: see globs.h. */
#include "autoconf.h"

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
#include "log.h"
#include "notify.h"
#include "path.h"
#include "tail.h"
#include "xmalloc.h"

/* One glob pattern of an input. */
struct globs_pattern {
	const struct config_input *input;
	const char *pattern;
	char *dir; /* the literal directory, or NULL */
	struct notify_reg *dir_reg;
	/* The directory as the last expansion found it: the next rescan is
	 * skipped while it is unchanged (no name was added or removed). */
	int dir_known;
	struct stat dir_st;
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

/* inotify: a name appeared in the literal directory of pattern `owner'. */
static void
globs_event(void *arg, void *owner, uint32_t mask, uint32_t cookie,
            const char *name)
{
	struct globs *g = arg;
	struct globs_pattern *p = owner;
	struct follow *f;
	char *path;

	(void)cookie;
	if (name == NULL || !(mask & (IN_CREATE | IN_MOVED_TO)))
		return;
	path = xasprintf("%s/%s", p->dir, name);
	if (fnmatch(p->pattern, path, FNM_PATHNAME | FNM_PERIOD) == 0 &&
	    (f = globs_found(g, p, path)) != NULL)
		tail_follow_open(g->tail, f, TAIL_APPEARED);
	free(path);
}

/* True if the literal directory of `p' is as it was when `p' was last
 * expanded: the safety-net rescan would find nothing new in it. */
static int
globs_dir_same(const struct globs_pattern *p)
{
	struct stat st;

	return p->dir != NULL && p->dir_known && stat(p->dir, &st) == 0 &&
	       st.st_dev == p->dir_st.st_dev && st.st_ino == p->dir_st.st_ino &&
	       st.st_mtim.tv_sec == p->dir_st.st_mtim.tv_sec &&
	       st.st_mtim.tv_nsec == p->dir_st.st_mtim.tv_nsec &&
	       st.st_ctim.tv_sec == p->dir_st.st_ctim.tv_sec &&
	       st.st_ctim.tv_nsec == p->dir_st.st_ctim.tv_nsec;
}

/* Notes how the literal directory of `p' is, just before it is expanded.
 * A time stamp less than two seconds old is not trusted: a name added
 * within the same tick of the filesystem's clock would leave it as it
 * is. */
static void
globs_dir_note(struct globs_pattern *p)
{
	struct timespec now;

	p->dir_known = 0;
	if (p->dir == NULL || stat(p->dir, &p->dir_st) == -1 ||
	    clock_gettime(CLOCK_REALTIME, &now) == -1)
		return;
	p->dir_known = now.tv_sec > p->dir_st.st_mtim.tv_sec + 1 &&
	               now.tv_sec > p->dir_st.st_ctim.tv_sec + 1;
}

/* Which matches globs_scan() follows, and who opens them. */
enum globs_scan_how {
	GLOBS_START_KNOWN, /* start-up: the paths the checkpoint names */
	GLOBS_START,       /* start-up: the others */
	GLOBS_LATER,       /* a rescan or a reload: all, opened at once */
};

/* Expands pattern `p' and follows each new match `how' says; at start-up
 * the files are opened by tail_start(), later they are opened here: as new
 * files, or, at a reload, those `prev' (the configuration before) did not
 * cover as paths added by it. */
static void
globs_scan(struct globs *g, struct globs_pattern *p, enum globs_scan_how how,
           const struct config *prev)
{
	struct follow *f;
	glob_t gl;
	int r;

	globs_dir_note(p);
	r = glob(p->pattern, GLOB_NOSORT, NULL, &gl);
	if (r != 0 && r != GLOB_NOMATCH) {
		p->dir_known = 0;
		log_warnx("[input:%s] cannot expand %s", p->input->name,
		          p->pattern);
		return;
	}
	for (size_t i = 0; r == 0 && i < gl.gl_pathc; i++) {
		if (how == GLOBS_START_KNOWN &&
		    !tail_known(g->tail, gl.gl_pathv[i]))
			continue;
		f = globs_found(g, p, gl.gl_pathv[i]);
		if (f != NULL && how == GLOBS_LATER)
			tail_follow_open(g->tail, f,
			                 prev == NULL ||
			                         config_covers(prev, f->path)
			                     ? TAIL_APPEARED
			                     : TAIL_ADDED);
	}
	if (r == 0)
		globfree(&gl);
	if (p->dir != NULL && p->dir_reg == NULL && !g->once)
		p->dir_reg = notify_add(g->notify, p->dir, NOTIFY_DIR_MASK,
		                        globs_event, g, p);
}

/* Looks for new matches every rescan_interval (the shortest of the
 * inputs'), and arms the timer for the next time; called with what 0, it
 * only arms it.  A pattern whose literal directory did not change since
 * its last expansion is not expanded again: an idle rescan costs a stat
 * per directory, not a look at every file. */
static void
globs_rescan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct globs *g = arg;
	uint64_t ms = UINT64_MAX;

	(void)fd;
	if (what != 0)
		for (size_t i = 0; i < g->npats; i++)
			if (!globs_dir_same(&g->pats[i]))
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
			/* Left to the rescan: a directory part with
			 * wildcards, or the root (names there would be
			 * joined as "//name"). */
			p->dir = path_dir(p->pattern);
			if (config_is_glob(p->dir) ||
			    strcmp(p->dir, "/") == 0 ||
			    strcmp(p->dir, ".") == 0) {
				free(p->dir);
				p->dir = NULL;
			}
		}
	}
}

/* Ends the patterns' directory watches and forgets the patterns. */
static void
globs_clear(struct globs *g)
{
	for (size_t i = 0; i < g->npats; i++) {
		notify_rm(g->notify, g->pats[i].dir_reg);
		free(g->pats[i].dir);
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
