/* globs.h -- the glob patterns of the inputs, and the new files they
 * match.  Each directory a pattern's files may be in (its directory part,
 * or each directory that part matches when it has wildcards) is watched,
 * so that a new match is followed at once.  Each rescan_interval (the
 * shortest of the inputs') a pattern's directory part is expanded again,
 * for new directories, and a directory that changed since it was last
 * listed is listed again, as a safety net: an idle rescan costs a stat
 * per directory, never a look at every file.  Loop thread only. */
#ifndef TAILMUX_GLOBS_H
#define TAILMUX_GLOBS_H

struct config;
struct event_base;
struct globs;
struct notify;
struct tail;

/* Takes the patterns of `cfg'; matches are followed through `tail'
 * (`notify' is NULL with `once': no watch, no rescan).  Returns NULL after
 * logging why. */
struct globs *globs_create(struct event_base *base, const struct config *cfg,
                           struct notify *notify, struct tail *tail, int once);

/* At start-up: follows every match (tail_start() opens them), those the
 * checkpoint names first, and arms the rescan. */
void globs_start(struct globs *g);

/* Takes the patterns of a reloaded configuration `cfg' and follows their
 * new matches at once: as new files, or, for paths `old' did not cover, as
 * paths the reload added.  The rescan runs on with the new interval. */
void globs_reload(struct globs *g, const struct config *cfg,
                  const struct config *old);

/* Frees `g' (NULL is fine). */
void globs_free(struct globs *g);

#endif
