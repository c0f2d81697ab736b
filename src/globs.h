/* globs.h -- the glob patterns of the inputs, and the new files they
 * match.  A pattern whose directory part holds no wildcard has that
 * directory watched, so that a new match is followed at once; every
 * pattern is expanded again each rescan_interval (the shortest of the
 * inputs'), for the others and as a safety net.  Loop thread only. */
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
