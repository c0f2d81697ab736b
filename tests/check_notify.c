/* check_notify.c -- inotify registrations on a real directory: those for
 * one entry get its events alone (and its rename under its new name),
 * whatever the number of entries watched; those for all get every entry's;
 * each gets only the events of its own mask. */
#include "autoconf.h"

#include "notify.h"

#include "tmcheck.h"
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <event2/event.h>

/* Entries watched one by one beside the two the tests write to. */
#define MANY 1000

/* What one registration got. */
struct got {
	unsigned n;        /* events */
	unsigned modify;   /* IN_MODIFY */
	unsigned from, to; /* IN_MOVED_FROM, IN_MOVED_TO */
	char last[64];     /* the last event's name, "" if none */
};

static void
record(void *arg, void *owner, uint32_t mask, uint32_t cookie, const char *name)
{
	struct got *g = owner;

	(void)arg;
	(void)cookie;
	g->n++;
	g->modify += (mask & IN_MODIFY) != 0;
	g->from += (mask & IN_MOVED_FROM) != 0;
	g->to += (mask & IN_MOVED_TO) != 0;
	snprintf(g->last, sizeof g->last, "%s", name != NULL ? name : "");
}

/* Appends a line to dir/name (creating it). */
static void
append(const char *dir, const char *name)
{
	char path[TMCHECK_DIR_MAX + 64];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, "x\n", 2), 2);
	close(fd);
}

/* Runs the loop until the events made so far are handed out (the notify
 * reads at once, or a tick later). */
static void
settle(struct event_base *base)
{
	struct timeval tv = {0, 50000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

START_TEST(test_entries)
{
	char dir[TMCHECK_DIR_MAX], from[TMCHECK_DIR_MAX + 8];
	char to[TMCHECK_DIR_MAX + 8], name[32];
	struct event_base *base = event_base_new();
	struct notify *n = notify_create(base);
	struct notify_reg *ra, *rb, *rall, *rmany[MANY];
	struct got a = {0}, b = {0}, all = {0}, many = {0};
	uint32_t mask = NOTIFY_DIR_MASK | IN_MODIFY;

	ck_assert_ptr_nonnull(n);
	tmcheck_mkdtemp(dir, "check_notify");
	append(dir, "a.log");
	append(dir, "b.log");
	ra = notify_add_entry(n, dir, "a.log", mask, record, NULL, &a);
	rb = notify_add_entry(n, dir, "b.log", mask, record, NULL, &b);
	for (int i = 0; i < MANY; i++) {
		snprintf(name, sizeof name, "m%04d.log", i);
		rmany[i] =
		    notify_add_entry(n, dir, name, mask, record, NULL, &many);
		ck_assert_ptr_nonnull(rmany[i]);
	}
	/* Every entry, but not written to: no IN_MODIFY in its mask. */
	rall = notify_add(n, dir, NOTIFY_DIR_MASK, record, NULL, &all);
	ck_assert_ptr_nonnull(ra);
	ck_assert_ptr_nonnull(rb);
	ck_assert_ptr_nonnull(rall);

	append(dir, "a.log");
	settle(base);
	ck_assert_uint_eq(a.modify, 1);
	ck_assert_str_eq(a.last, "a.log");
	ck_assert_uint_eq(b.n, 0);
	ck_assert_uint_eq(many.n, 0);
	ck_assert_uint_eq(all.n, 0);

	/* Renamed: its registration gets both halves, the second under the
	 * new name; so does the one for every entry. */
	snprintf(from, sizeof from, "%s/a.log", dir);
	snprintf(to, sizeof to, "%s/a.log.1", dir);
	ck_assert_int_eq(rename(from, to), 0);
	settle(base);
	ck_assert_uint_eq(a.from, 1);
	ck_assert_uint_eq(a.to, 1);
	ck_assert_str_eq(a.last, "a.log.1");
	ck_assert_uint_eq(all.from, 1);
	ck_assert_uint_eq(all.to, 1);
	ck_assert_uint_eq(b.n, 0);
	ck_assert_uint_eq(many.n, 0);

	/* Written under its new name: nobody's entry. */
	append(dir, "a.log.1");
	settle(base);
	ck_assert_uint_eq(a.modify, 1);
	/* A new file at the name: created, then written. */
	append(dir, "a.log");
	settle(base);
	ck_assert_uint_eq(a.modify, 2);
	ck_assert_uint_eq(all.n, 3); /* moved from, moved to, created */

	/* Ended: no more events, and the kernel watch lives on for the
	 * others. */
	notify_rm(n, ra);
	append(dir, "a.log");
	append(dir, "b.log");
	settle(base);
	ck_assert_uint_eq(a.modify, 2);
	ck_assert_uint_eq(b.modify, 1);

	notify_rm(n, rb);
	notify_rm(n, rall);
	for (int i = 0; i < MANY; i++)
		notify_rm(n, rmany[i]);
	notify_free(n);
	event_base_free(base);
	tmcheck_rmtree(dir);
}
END_TEST

/* A registration ended from inside a callback, while the events read are
 * being handed out: it gets no more of them. */
static struct notify *ending_n;
static struct notify_reg *ending_reg;

static void
end_self(void *arg, void *owner, uint32_t mask, uint32_t cookie,
         const char *name)
{
	record(arg, owner, mask, cookie, name);
	notify_rm(ending_n, ending_reg);
}

START_TEST(test_end_in_callback)
{
	char dir[TMCHECK_DIR_MAX];
	struct event_base *base = event_base_new();
	struct got g = {0};

	tmcheck_mkdtemp(dir, "check_notify");
	ending_n = notify_create(base);
	ending_reg =
	    notify_add_entry(ending_n, dir, "a.log",
	                     NOTIFY_DIR_MASK | IN_MODIFY, end_self, NULL, &g);
	ck_assert_ptr_nonnull(ending_reg);
	append(dir, "a.log"); /* created, then written: two events */
	append(dir, "a.log");
	settle(base);
	ck_assert_uint_eq(g.n, 1);
	notify_free(ending_n);
	event_base_free(base);
	tmcheck_rmtree(dir);
}
END_TEST

/* A write to a quiet file is handed out in the loop's first turn, with no
 * timer; a steady stream is read once a tick, and every write of it is
 * told, the last ones too, after which a write is again handed out at
 * once. */
START_TEST(test_ticks)
{
	char dir[TMCHECK_DIR_MAX];
	struct event_base *base = event_base_new();
	struct notify *n = notify_create(base);
	struct notify_reg *r;
	struct got g = {0};
	unsigned before;

	tmcheck_mkdtemp(dir, "check_notify");
	append(dir, "a.log");
	r = notify_add_entry(n, dir, "a.log", IN_MODIFY, record, NULL, &g);
	ck_assert_ptr_nonnull(r);
	append(dir, "a.log");
	ck_assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	ck_assert_uint_eq(g.modify, 1);

	/* A stream: a write per turn of the loop, faster than the tick. */
	for (int i = 0; i < 2000; i++) {
		append(dir, "a.log");
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	/* Its last write, made after every read so far, is told (the loop
	 * blocks until an event or the tick; check's timeout is the
	 * deadline). */
	before = g.modify;
	append(dir, "a.log");
	while (g.modify == before)
		ck_assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	ck_assert_uint_gt(g.modify, before);
	ck_assert_uint_le(g.modify, 2002);

	/* Quiet again: at once. */
	before = g.modify;
	append(dir, "a.log");
	ck_assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	ck_assert_uint_eq(g.modify, before + 1);
	notify_rm(n, r);
	notify_free(n);
	event_base_free(base);
	tmcheck_rmtree(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_entries);
	tcase_add_test(tc, test_end_in_callback);
	tcase_add_test(tc, test_ticks);
	suite_add_tcase(s, tc);
	return tmcheck_run(s);
}
