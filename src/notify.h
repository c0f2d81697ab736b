/* notify.h -- inotify wake-ups, delivered on the loop thread.
 *
 * Several owners may watch the same file or directory; each registration
 * gets its own callback, and the kernel watch goes when its last
 * registration does.  Loop thread only. */
#ifndef TAILMUX_NOTIFY_H
#define TAILMUX_NOTIFY_H

#include <stdint.h>

struct event_base;
struct notify;
struct notify_reg;

/* A registration's callback, with its `arg' and `owner'.  `name' is the
 * entry's name for a directory event, NULL otherwise; `cookie' ties an
 * IN_MOVED_FROM to its IN_MOVED_TO (0 for other events).  When the kernel's
 * queue overflowed, every registration gets IN_Q_OVERFLOW | IN_MODIFY |
 * IN_ATTRIB without a name: events were lost, look again. */
typedef void (*notify_fn)(void *arg, void *owner, uint32_t mask,
                          uint32_t cookie, const char *name);

/* What a tailed file and its directory are watched for. */
#define NOTIFY_FILE_MASK (IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)
#define NOTIFY_DIR_MASK                                                        \
	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |                 \
	 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/* Opens an inotify instance read by the loop.  NULL with errno on failure. */
struct notify *notify_create(struct event_base *base);

/* Watches `path' for `mask' on behalf of `owner': `fn' gets each event
 * of `mask' (and IN_IGNORED, IN_UNMOUNT, overflows) with `arg' and
 * `owner'.  Returns the registration, or NULL with errno
 * (ENOENT, EACCES, ENOSPC when out of watches, ...). */
struct notify_reg *notify_add(struct notify *n, const char *path, uint32_t mask,
                              notify_fn fn, void *arg, void *owner);

/* Watches the directory `dir' for `mask' on behalf of `owner', for its
 * entry `name' alone: `fn' gets the events that name it (and an
 * IN_MOVED_TO of it under its new name, by its cookie), and those of the
 * directory itself, at a cost that does not grow with the number of
 * entries watched in the directory.  Returns as notify_add(). */
struct notify_reg *notify_add_entry(struct notify *n, const char *dir,
                                    const char *name, uint32_t mask,
                                    notify_fn fn, void *arg, void *owner);

/* Ends a registration (NULL is fine).  From inside a notify_fn too: the
 * registration then gets no more events, and is freed once the events read
 * are all handed out. */
void notify_rm(struct notify *n, struct notify_reg *reg);

/* Closes the instance; every registration must be gone. */
void notify_free(struct notify *n);

#endif
