/* notify.c -- inotify wake-ups, delivered on the loop thread. */
#include "autoconf.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "hmap.h"
#include "log.h"
#include "notify.h"
#include "xmalloc.h"

/* The kernel watches are found by wd in a table that doubles when it holds
 * as many as it has buckets: an event costs the same whatever the count. */
#define NOTIFY_MIN_BUCKETS 256

struct notify_reg {
	struct notify_reg *next;  /* in its kernel watch's list */
	struct notify_reg **prev; /* what points at it there */
	struct notify_reg *dead;  /* ended while events were handed out */
	struct notify_wd *wd;
	char *name;    /* the one entry of the directory it is for, or NULL */
	uint32_t mask; /* the events it gets (and IN_IGNORED, overflows) */
	notify_fn fn;
	void *arg;
	void *owner;
};

/* How many renames of an entry a registration is for are remembered on a
 * kernel watch, until the IN_MOVED_TO of the same cookie comes. */
#define NOTIFY_MOVES 16

/* The most registrations one entry of a directory has (each owner has
 * one at most). */
#define NOTIFY_SAME_NAME 8

/* One kernel watch and the registrations sharing it: those for every
 * entry in a list, those for one entry in a list of their own and by the
 * entry's name, so that an event costs the same however many entries of
 * one directory are watched. */
struct notify_wd {
	struct notify_wd *next; /* in its hash bucket */
	int wd;
	int dead;                 /* the kernel dropped it (IN_IGNORED) */
	struct notify_reg *regs;  /* for every entry (or a file's own) */
	struct notify_reg *named; /* for one entry each */
	struct hmap *by_name;     /* the named ones, by name */
	struct {
		uint32_t cookie;
		struct notify_reg *reg;
	} moves[NOTIFY_MOVES]; /* renames of named entries, newest last */
	unsigned nmoves;
};

/* Events are read as soon as the descriptor wakes the loop, unless they
 * were read less than NOTIFY_TICK_US ago: a file written line by line
 * makes an event per line, and under such a stream the descriptor is left
 * aside and read once a tick instead, while each read finds some, so that
 * the loop wakes once a tick whatever the rate and takes all of that
 * tick's lines in one read per file.  The first read that finds none
 * gives the descriptor back to the loop.  A line written to a quiet file
 * waits for no timer, and costs one wake of the loop; one of a steady
 * stream waits a tick at most.  The tick is a timerfd of its own, armed
 * only while ticking: the loop's timers, all of a millisecond or more, are
 * libevent's plain ones, which cost no system call a turn (its precise
 * ones set a timerfd before every epoll_wait). */
#define NOTIFY_TICK_US 150

/* The most one event takes in a read. */
#define NOTIFY_EVENT_MAX (sizeof(struct inotify_event) + NAME_MAX + 1)

struct notify {
	int fd;
	struct event *ev;
	int tick_fd;             /* a timerfd: reads again at the tick's end */
	struct event *tick_ev;   /* its readability */
	int ticking;             /* ev is aside: tick_ev reads */
	struct timespec last;    /* when events were last read */
	int init_errno;          /* inotify could not start (fd -1): why */
	int handing;             /* events are being handed out */
	struct notify_reg *dead; /* registrations ended meanwhile */
	struct notify_wd **buckets;
	size_t nbuckets; /* a power of two */
	size_t nwds;
};

static struct notify_wd **
notify_slot(struct notify *n, int wd)
{
	struct notify_wd **p = &n->buckets[(unsigned)wd & (n->nbuckets - 1)];

	while (*p != NULL && (*p)->wd != wd)
		p = &(*p)->next;
	return p;
}

/* Doubles the buckets of the kernel watches. */
static void
notify_grow(struct notify *n)
{
	size_t nb = n->nbuckets * 2;
	struct notify_wd **b = xcalloc(nb, sizeof *b), *w, *next;

	for (size_t i = 0; i < n->nbuckets; i++)
		for (w = n->buckets[i]; w != NULL; w = next) {
			next = w->next;
			w->next = b[(unsigned)w->wd & (nb - 1)];
			b[(unsigned)w->wd & (nb - 1)] = w;
		}
	free(n->buckets);
	n->buckets = b;
	n->nbuckets = nb;
}

static int notify_drain(struct notify *n);

/* Microseconds from a to b. */
static long long
notify_us(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000000 +
	       (b->tv_nsec - a->tv_nsec) / 1000;
}

/* Arms the tick's timer for NOTIFY_TICK_US from now, or disarms it; either
 * way it is no longer readable (timerfd_settime() resets its count). */
static void
notify_tick_arm(struct notify *n, int on)
{
	struct itimerspec its;

	memset(&its, 0, sizeof its);
	if (on)
		its.it_value.tv_nsec = NOTIFY_TICK_US * 1000;
	if (timerfd_settime(n->tick_fd, 0, &its, NULL) == -1)
		fatal("cannot set the inotify tick's timer");
}

/* Reads the events (at `now'), and the next ones at the end of a tick if
 * some were read and the stream is steady (`steady'), or as soon as there
 * are some if not. */
static void
notify_read(struct notify *n, const struct timespec *now, int steady)
{
	int read;

	n->last = *now;
	read = notify_drain(n);
	if (read && steady && !n->ticking) {
		event_del(n->ev);
		n->ticking = 1;
	} else if (!read && n->ticking) {
		if (event_add(n->ev, NULL) == -1)
			fatalx("cannot add the inotify event");
		n->ticking = 0;
		notify_tick_arm(n, 0);
	}
	if (n->ticking)
		notify_tick_arm(n, 1);
}

static void
notify_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timespec now;

	(void)fd;
	(void)what;
	clock_gettime(CLOCK_MONOTONIC, &now);
	notify_read(arg, &now, 1);
}

/* The inotify descriptor is readable, and not aside. */
static void
notify_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify *n = arg;
	struct timespec now;
	long long since;

	(void)fd;
	(void)what;
	clock_gettime(CLOCK_MONOTONIC, &now);
	since = notify_us(&n->last, &now);
	notify_read(n, &now, since >= 0 && since < NOTIFY_TICK_US);
}

static int notify_hand_out(struct notify *n);
static void notify_unlink(struct notify *n, struct notify_reg *reg);

/* Hands each event read to the registrations of its watch; returns
 * whether there were any.  A callback may end registrations, its own or
 * others: they get no more events, and are freed once every event read is
 * handed out, so that the lists walked here stay whole. */
static int
notify_drain(struct notify *n)
{
	struct notify_reg *r;
	int read;

	n->handing = 1;
	read = notify_hand_out(n);
	n->handing = 0;
	while ((r = n->dead) != NULL) {
		n->dead = r->dead;
		notify_unlink(n, r);
	}
	if (n->nwds > n->nbuckets)
		notify_grow(n);
	return read;
}

/* Calls r for an event, if it is live and wants it. */
static void
notify_call(struct notify_reg *r, uint32_t mask, uint32_t cookie,
            const char *name)
{
	if (r->fn == NULL)
		return; /* ended by a callback */
	if ((mask & (r->mask | IN_IGNORED | IN_Q_OVERFLOW | IN_UNMOUNT)) == 0)
		return;
	r->fn(r->arg, r->owner, mask, cookie, name);
}

/* Calls every registration of the list. */
static void
notify_call_all(struct notify_reg *list, uint32_t mask, uint32_t cookie,
                const char *name)
{
	struct notify_reg *r, *next;

	for (r = list; r != NULL; r = next) {
		next = r->next;
		notify_call(r, mask, cookie, name);
	}
}

/* Events were lost: every registration of w is told to look again. */
static void
notify_overflow(struct notify_wd *w)
{
	uint32_t mask = IN_Q_OVERFLOW | IN_MODIFY | IN_ATTRIB;

	notify_call_all(w->regs, mask, 0, NULL);
	notify_call_all(w->named, mask, 0, NULL);
}

/* Remembers that the entry r is for was renamed with `cookie'. */
static void
notify_move_add(struct notify_wd *w, uint32_t cookie, struct notify_reg *r)
{
	if (cookie == 0)
		return;
	if (w->nmoves == NOTIFY_MOVES) {
		memmove(&w->moves[0], &w->moves[1],
		        (NOTIFY_MOVES - 1) * sizeof w->moves[0]);
		w->nmoves--;
	}
	w->moves[w->nmoves].cookie = cookie;
	w->moves[w->nmoves++].reg = r;
}

/* The registration whose entry was renamed with `cookie' (taken off the
 * list), or NULL. */
static struct notify_reg *
notify_move_take(struct notify_wd *w, uint32_t cookie)
{
	struct notify_reg *r;

	for (unsigned i = 0; i < w->nmoves && cookie != 0; i++) {
		if (w->moves[i].cookie != cookie)
			continue;
		r = w->moves[i].reg;
		memmove(&w->moves[i], &w->moves[i + 1],
		        (w->nmoves - i - 1) * sizeof w->moves[0]);
		w->nmoves--;
		return r;
	}
	return NULL;
}

/* Hands one event of kernel watch w out: to every registration for all
 * its entries, and to those for the entry it names (the one an
 * IN_MOVED_TO comes from too: its new name); one without a name (the
 * watched file or directory itself) to all. */
static void
notify_deliver(struct notify_wd *w, const struct inotify_event *ev)
{
	const char *name = ev->len ? ev->name : NULL;
	struct notify_reg *r, *from = NULL, *to[NOTIFY_SAME_NAME];
	void *pos = NULL;
	size_t n = 0;

	notify_call_all(w->regs, ev->mask, ev->cookie, name);
	if (name == NULL) {
		notify_call_all(w->named, ev->mask, ev->cookie, NULL);
		return;
	}
	if (ev->mask & IN_MOVED_TO)
		from = notify_move_take(w, ev->cookie);
	if (from != NULL && strcmp(from->name, name) != 0)
		notify_call(from, ev->mask, ev->cookie, name);
	if (w->by_name == NULL)
		return;
	/* Taken first: a callback may add registrations to the table. */
	while ((r = hmap_next(w->by_name, hmap_hash_str(name), &pos)) != NULL)
		if (strcmp(r->name, name) == 0 && n < NOTIFY_SAME_NAME)
			to[n++] = r;
	for (size_t i = 0; i < n; i++) {
		if ((ev->mask & IN_MOVED_FROM) && to[i]->fn != NULL)
			notify_move_add(w, ev->cookie, to[i]);
		notify_call(to[i], ev->mask, ev->cookie, name);
	}
}

/* Reads the events and calls the live registrations of each; returns
 * whether there were any. */
static int
notify_hand_out(struct notify *n)
{
	int fd = n->fd;
	char buf[16384]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	struct notify_wd *w;
	ssize_t len;
	int read_some = 0;

	for (;;) {
		len = read(fd, buf, sizeof buf);
		if (len == -1 && errno == EINTR)
			continue;
		if (len <= 0)
			return read_some;
		read_some = 1;
		for (char *p = buf; p < buf + len; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				log_warnx("inotify queue overflowed; checking "
				          "every file");
				for (size_t i = 0; i < n->nbuckets; i++)
					for (w = n->buckets[i]; w; w = w->next)
						notify_overflow(w);
				continue;
			}
			w = *notify_slot(n, ev->wd);
			if (w == NULL)
				continue;
			if (ev->mask & IN_IGNORED)
				w->dead = 1;
			notify_deliver(w, ev);
		}
		/* Room was left for another event: the kernel had no more
		 * (the descriptor wakes the loop again when it has). */
		if ((size_t)len <= sizeof buf - NOTIFY_EVENT_MAX)
			return read_some;
	}
}

struct notify *
notify_create(struct event_base *base)
{
	struct notify *n;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd == -1 && errno != EMFILE && errno != ENFILE && errno != ENOMEM)
		return NULL;
	n = xcalloc(1, sizeof *n);
	n->fd = fd;
	n->nbuckets = NOTIFY_MIN_BUCKETS;
	n->buckets = xcalloc(n->nbuckets, sizeof *n->buckets);
	if (fd == -1) {
		/* Out of inotify instances (fs.inotify.max_user_instances)
		 * or descriptors: every registration fails, and its owner
		 * polls instead. */
		n->init_errno = errno;
		log_warn("cannot start inotify; every file and directory is "
		         "checked every poll_interval instead (raise the "
		         "sysctl fs.inotify.max_user_instances)");
		return n;
	}
	n->tick_fd =
	    timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (n->tick_fd == -1)
		fatal("cannot create the inotify tick's timer");
	n->ev = event_new(base, fd, EV_READ | EV_PERSIST, notify_read_cb, n);
	n->tick_ev = event_new(base, n->tick_fd, EV_READ | EV_PERSIST,
	                       notify_tick_cb, n);
	if (n->ev == NULL || n->tick_ev == NULL ||
	    event_add(n->ev, NULL) == -1 || event_add(n->tick_ev, NULL) == -1)
		fatalx("cannot add the inotify event");
	return n;
}

/* Registers (fn, arg, owner) for `mask' on the kernel watch of `path',
 * for the entry `name' of it only, or for all (NULL). */
static struct notify_reg *
notify_register(struct notify *n, const char *path, const char *name,
                uint32_t mask, notify_fn fn, void *arg, void *owner)
{
	struct notify_wd **slot, *w;
	struct notify_reg *r, **list;
	int wd;

	if (n->fd == -1) {
		errno = n->init_errno;
		return NULL;
	}
	wd = inotify_add_watch(n->fd, path, mask | IN_MASK_ADD);
	if (wd == -1)
		return NULL;
	slot = notify_slot(n, wd);
	w = *slot;
	if (w == NULL) {
		w = xcalloc(1, sizeof *w);
		w->wd = wd;
		*slot = w;
		/* Not while the buckets are walked (an overflow). */
		if (++n->nwds > n->nbuckets && !n->handing)
			notify_grow(n);
	}
	r = xcalloc(1, sizeof *r);
	r->wd = w;
	r->mask = mask;
	r->fn = fn;
	r->arg = arg;
	r->owner = owner;
	list = &w->regs;
	if (name != NULL) {
		r->name = xstrdup(name);
		if (w->by_name == NULL)
			w->by_name = hmap_create();
		hmap_put(w->by_name, hmap_hash_str(name), r);
		list = &w->named;
	}
	r->next = *list;
	if (*list != NULL)
		(*list)->prev = &r->next;
	r->prev = list;
	*list = r;
	return r;
}

struct notify_reg *
notify_add(struct notify *n, const char *path, uint32_t mask, notify_fn fn,
           void *arg, void *owner)
{
	return notify_register(n, path, NULL, mask, fn, arg, owner);
}

struct notify_reg *
notify_add_entry(struct notify *n, const char *dir, const char *name,
                 uint32_t mask, notify_fn fn, void *arg, void *owner)
{
	return notify_register(n, dir, name, mask, fn, arg, owner);
}

void
notify_rm(struct notify *n, struct notify_reg *reg)
{
	if (reg == NULL)
		return;
	if (n->handing) {
		reg->fn = NULL;
		reg->dead = n->dead;
		n->dead = reg;
		return;
	}
	notify_unlink(n, reg);
}

/* Ends a registration now, and its kernel watch with its last one. */
static void
notify_unlink(struct notify *n, struct notify_reg *reg)
{
	struct notify_wd *w, **slot;
	unsigned k = 0;

	w = reg->wd;
	*reg->prev = reg->next;
	if (reg->next != NULL)
		reg->next->prev = reg->prev;
	if (reg->name != NULL)
		hmap_del(w->by_name, hmap_hash_str(reg->name), reg);
	for (unsigned i = 0; i < w->nmoves; i++)
		if (w->moves[i].reg != reg)
			w->moves[k++] = w->moves[i];
	w->nmoves = k;
	free(reg->name);
	free(reg);
	if (w->regs != NULL || w->named != NULL)
		return;
	if (!w->dead)
		inotify_rm_watch(n->fd, w->wd);
	slot = notify_slot(n, w->wd);
	*slot = w->next;
	n->nwds--;
	hmap_free(w->by_name);
	free(w);
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	free(n->buckets);
	if (n->fd == -1) {
		free(n);
		return;
	}
	event_free(n->ev);
	event_free(n->tick_ev);
	close(n->tick_fd);
	close(n->fd);
	free(n);
}
