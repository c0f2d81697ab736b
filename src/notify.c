/* notify.c -- inotify wake-ups, delivered on the loop thread. */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

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
	notify_fn fn;
	void *arg;
	void *owner;
};

/* One kernel watch and the registrations sharing it. */
struct notify_wd {
	struct notify_wd *next; /* in its hash bucket */
	int wd;
	int dead; /* the kernel dropped it (IN_IGNORED) */
	struct notify_reg *regs;
};

/* Events are read at once when they were last read at least this many
 * microseconds ago, and else at the end of that time: a file written line
 * by line at a high rate makes an event per line, and while they are left
 * unread the kernel merges them into one, so that one read takes several
 * lines.  A line written to a quiet file waits for no timer; one of a
 * steady stream waits half a millisecond at most (the loop's timers are
 * precise: see daemon.c). */
#define NOTIFY_TICK_US 500

struct notify {
	int fd;
	struct event *ev;
	struct event *tick_ev; /* re-enables ev at the end of the tick */
	struct timespec last;  /* when events were last read */
	int paused;
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

/* Microseconds from a to b. */
static long long
notify_us(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000000 +
	       (b->tv_nsec - a->tv_nsec) / 1000;
}

/* Stops reading events until the current tick is over. */
static int
notify_throttle(struct notify *n)
{
	struct timeval tv = {0, 0};
	struct timespec now;
	long long since;

	clock_gettime(CLOCK_MONOTONIC, &now);
	since = notify_us(&n->last, &now);
	if (since >= NOTIFY_TICK_US || since < 0) {
		n->last = now;
		return 0;
	}
	tv.tv_usec = (suseconds_t)(NOTIFY_TICK_US - since);
	event_del(n->ev);
	evtimer_add(n->tick_ev, &tv);
	n->paused = 1;
	return 1;
}

static void notify_drain(struct notify *n);

static void
notify_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify *n = arg;

	(void)fd;
	(void)what;
	n->paused = 0;
	if (event_add(n->ev, NULL) == -1)
		fatalx("cannot add the inotify event");
	clock_gettime(CLOCK_MONOTONIC, &n->last);
	notify_drain(n);
}

/* The inotify descriptor is readable: read it now, or at the end of the
 * tick if it was read less than a tick ago. */
static void
notify_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify *n = arg;

	(void)fd;
	(void)what;
	if (!n->paused && !notify_throttle(n))
		notify_drain(n);
}

static void notify_hand_out(struct notify *n);
static void notify_unlink(struct notify *n, struct notify_reg *reg);

/* Hands each event read to the registrations of its watch.  A callback
 * may end registrations, its own or others: they get no more events, and
 * are freed once every event read is handed out, so that the lists walked
 * here stay whole. */
static void
notify_drain(struct notify *n)
{
	struct notify_reg *r;

	n->handing = 1;
	notify_hand_out(n);
	n->handing = 0;
	while ((r = n->dead) != NULL) {
		n->dead = r->dead;
		notify_unlink(n, r);
	}
	if (n->nwds > n->nbuckets)
		notify_grow(n);
}

/* Reads the events and calls the live registrations of each. */
static void
notify_hand_out(struct notify *n)
{
	int fd = n->fd;
	char buf[16384]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	struct notify_wd *w;
	struct notify_reg *r, *next;
	ssize_t len;

	for (;;) {
		len = read(fd, buf, sizeof buf);
		if (len == -1 && errno == EINTR)
			continue;
		if (len <= 0)
			return;
		for (char *p = buf; p < buf + len; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				log_warnx("inotify queue overflowed; checking "
				          "every file");
				for (size_t i = 0; i < n->nbuckets; i++)
					for (w = n->buckets[i]; w; w = w->next)
						for (r = w->regs; r; r = next) {
							next = r->next;
							if (r->fn == NULL)
								continue;
							r->fn(r->arg, r->owner,
							      IN_Q_OVERFLOW |
							          IN_MODIFY |
							          IN_ATTRIB,
							      0, NULL);
						}
				continue;
			}
			w = *notify_slot(n, ev->wd);
			if (w == NULL)
				continue;
			if (ev->mask & IN_IGNORED)
				w->dead = 1;
			for (r = w->regs; r != NULL; r = next) {
				next = r->next;
				if (r->fn == NULL)
					continue; /* ended by a callback */
				r->fn(r->arg, r->owner, ev->mask, ev->cookie,
				      ev->len ? ev->name : NULL);
			}
		}
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
	n->ev = event_new(base, fd, EV_READ | EV_PERSIST, notify_read_cb, n);
	n->tick_ev = evtimer_new(base, notify_tick_cb, n);
	if (n->ev == NULL || n->tick_ev == NULL || event_add(n->ev, NULL) == -1)
		fatalx("cannot add the inotify event");
	return n;
}

struct notify_reg *
notify_add(struct notify *n, const char *path, uint32_t mask, notify_fn fn,
           void *arg, void *owner)
{
	struct notify_wd **slot, *w;
	struct notify_reg *r;
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
	r->fn = fn;
	r->arg = arg;
	r->owner = owner;
	r->next = w->regs;
	if (w->regs != NULL)
		w->regs->prev = &r->next;
	r->prev = &w->regs;
	w->regs = r;
	return r;
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

	w = reg->wd;
	*reg->prev = reg->next;
	if (reg->next != NULL)
		reg->next->prev = reg->prev;
	free(reg);
	if (w->regs != NULL)
		return;
	if (!w->dead)
		inotify_rm_watch(n->fd, w->wd);
	slot = notify_slot(n, w->wd);
	*slot = w->next;
	n->nwds--;
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
	close(n->fd);
	free(n);
}
