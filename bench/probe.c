/*
 * probe.c -- the live benchmark's clock: when each line reaches the output.
 *
 *   probe [-m inotify|poll] [-p POLL_US] [-f NFILES] [-n LINES] [-i FIRST_ID]
 *         [-w WIDTH] [-o OFFSET] [-u UNTIL_NS] FILE
 *
 * Follows FILE (the output of the tool measured, or the file the writers
 * append to for the floor) from OFFSET and reads what is appended to it,
 * woken by inotify (IN_MODIFY on the file; the default) or every POLL_US
 * microseconds (default 1000) on absolute CLOCK_MONOTONIC ticks.  The
 * monotonic time taken right after the read(2) that returned a line is its
 * arrival; its latency is arrival - the send time the line carries (see
 * writer.c for the line format).  Lines whose sequence is -1 are warm-up
 * lines and are skipped.  FILE may not exist yet; it is followed by name:
 * when the path comes to name another file (a rotation), the old file is
 * read to its end and the new one from its start.
 *
 * Lines are expected from NFILES writers (ids FIRST_ID..) of LINES lines
 * each.  A line that is not exactly as written (WIDTH bytes, the format of
 * writer.c) is "torn"; one whose id or sequence is out of range is
 * "stray"; one seen twice is a duplicate; an expected line never seen by
 * the end is lost.  The probe ends when every expected line is in, at
 * UNTIL_NS (CLOCK_MONOTONIC) or on SIGTERM/SIGINT, and prints one JSON
 * object on stdout: the counts, p50/p90/p99/p99.9/max latency in ns, the
 * arrival of the last line, and its own wake-ups, reads and CPU.  Before
 * waiting for lines it prints "ready" on a line of its own.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_BUFSIZE	(4u << 20)
#define PROBE_UNSEEN	INT64_MIN

enum probe_mode { PROBE_INOTIFY, PROBE_POLL };

struct probe {
	const char	*path;
	enum probe_mode	 mode;
	uint64_t	 poll_ns;
	uint64_t	 until;
	int		 nfiles;
	uint64_t	 per;		/* lines per writer */
	int		 first;
	size_t		 width;

	int		 fd;
	ino_t		 ino;
	dev_t		 dev;
	off_t		 offset;	/* where reading starts in the first file */
	int		 ifd;		/* inotify */
	int		 wd_file;
	int		 wd_dir;

	char		*buf;
	size_t		 have;		/* bytes of a partial line in buf */

	int64_t		*lat;		/* per expected line, ns */
	uint64_t	 expected;
	uint64_t	 received;
	uint64_t	 dup;
	uint64_t	 torn;
	uint64_t	 stray;
	uint64_t	 warmup;
	uint64_t	 wakeups;
	uint64_t	 reads;
	uint64_t	 switches;
	uint64_t	 bytes;
	uint64_t	 first_arrival;
	uint64_t	 last_arrival;
};

static volatile sig_atomic_t probe_stop;

static void
probe_signal(int sig)
{
	(void)sig;
	probe_stop = 1;
}

static uint64_t
probe_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
fatal(const char *what)
{
	fprintf(stderr, "probe: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Parses an unsigned decimal at *p up to a space; -1 if there is none. */
static int64_t
probe_number(const char **p, const char *end)
{
	const char *s = *p;
	int64_t v = 0;

	if (s == end || *s < '0' || *s > '9')
		return -1;
	while (s < end && *s >= '0' && *s <= '9') {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	if (s == end || *s != ' ')
		return -1;
	*p = s + 1;
	return v;
}

/* One line, without its newline, that arrived at `now'. */
static void
probe_line(struct probe *pr, const char *s, size_t len, uint64_t now)
{
	const char *p = s, *end = s + len;
	int64_t id, seq, ts;
	uint64_t k;
	int warm = 0;

	if (len + 1 != pr->width || len < 2 || p[0] != 'L' || p[1] != ' ') {
		pr->torn++;
		return;
	}
	p += 2;
	if ((id = probe_number(&p, end)) < 0) {
		pr->torn++;
		return;
	}
	if (end - p > 3 && p[0] == '-' && p[1] == '1' && p[2] == ' ') {
		warm = 1;
		p += 3;
	} else if ((seq = probe_number(&p, end)) < 0) {
		pr->torn++;
		return;
	}
	if ((ts = probe_number(&p, end)) < 0) {
		pr->torn++;
		return;
	}
	for (; p < end; p++) {
		if (*p != 'x') {
			pr->torn++;
			return;
		}
	}
	if (warm) {
		pr->warmup++;
		return;
	}
	if (id < pr->first || id >= pr->first + pr->nfiles ||
	    (uint64_t)seq >= pr->per) {
		pr->stray++;
		return;
	}
	k = (uint64_t)(id - pr->first) * pr->per + (uint64_t)seq;
	if (pr->lat[k] != PROBE_UNSEEN) {
		pr->dup++;
		return;
	}
	pr->lat[k] = (int64_t)now - ts;
	pr->received++;
	if (pr->first_arrival == 0)
		pr->first_arrival = now;
	pr->last_arrival = now;
}

/* Reads the open file to its end; stamps the whole lines it returned. */
static void
probe_drain(struct probe *pr)
{
	ssize_t n;
	uint64_t now;
	char *s, *nl, *end;

	for (;;) {
		n = read(pr->fd, pr->buf + pr->have, PROBE_BUFSIZE - pr->have);
		now = probe_now();
		pr->reads++;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatal(pr->path);
		if (n == 0)
			return;
		pr->bytes += (uint64_t)n;
		s = pr->buf;
		end = pr->buf + pr->have + n;
		while ((nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
			probe_line(pr, s, (size_t)(nl - s), now);
			s = nl + 1;
		}
		pr->have = (size_t)(end - s);
		if (pr->have == PROBE_BUFSIZE) {
			pr->torn++;	/* a "line" of 4 MiB: drop it */
			pr->have = 0;
		} else if (pr->have != 0 && s != pr->buf)
			memmove(pr->buf, s, pr->have);
		/* A short read of a regular file ended at its end. */
		if ((size_t)n < PROBE_BUFSIZE - (size_t)(end - pr->buf - n))
			return;
	}
}

/* Opens the path if it is not open; 0 if it does not exist yet. */
static int
probe_open(struct probe *pr)
{
	struct stat st;

	if (pr->fd != -1)
		return 1;
	pr->fd = open(pr->path, O_RDONLY | O_CLOEXEC);
	if (pr->fd == -1) {
		if (errno == ENOENT)
			return 0;
		fatal(pr->path);
	}
	if (fstat(pr->fd, &st) == -1)
		fatal(pr->path);
	pr->ino = st.st_ino;
	pr->dev = st.st_dev;
	if (pr->offset != 0 && lseek(pr->fd, pr->offset, SEEK_SET) == -1)
		fatal(pr->path);
	pr->offset = 0;
	if (pr->ifd != -1) {
		if (pr->wd_file != -1)
			inotify_rm_watch(pr->ifd, pr->wd_file);
		pr->wd_file = inotify_add_watch(pr->ifd, pr->path, IN_MODIFY);
		if (pr->wd_file == -1)
			fatal(pr->path);
	}
	return 1;
}

/* Reads what is new, following the path to a new file if it moved. */
static void
probe_read(struct probe *pr, int check_name)
{
	struct stat st;

	if (!probe_open(pr))
		return;
	probe_drain(pr);
	while (check_name && stat(pr->path, &st) == 0 &&
	    (st.st_ino != pr->ino || st.st_dev != pr->dev)) {
		probe_drain(pr);
		close(pr->fd);
		pr->fd = -1;
		pr->have = 0;	/* a partial last line of the old file is lost */
		pr->switches++;
		if (!probe_open(pr))
			return;
		probe_drain(pr);
	}
}

static void
probe_watch(struct probe *pr)
{
	char *copy, *dir;

	pr->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (pr->ifd == -1)
		fatal("inotify_init1");
	if ((copy = strdup(pr->path)) == NULL)
		fatal("strdup");
	dir = dirname(copy);
	/* Not IN_MODIFY: writes to the tool's inputs beside it would wake us. */
	pr->wd_dir = inotify_add_watch(pr->ifd, dir, IN_CREATE | IN_MOVED_TO);
	if (pr->wd_dir == -1)
		fatal(dir);
	free(copy);
}

/* Waits for an inotify event; 1 if one came, and if the directory's. */
static int
probe_wait_inotify(struct probe *pr, int *dir_event)
{
	char ev[64 * (sizeof(struct inotify_event) + NAME_MAX + 1)];
	struct pollfd pfd = { .fd = pr->ifd, .events = POLLIN };
	const struct inotify_event *ie;
	ssize_t n;
	char *p;
	int r;

	*dir_event = 0;
	r = poll(&pfd, 1, 100);	/* wake now and then to see the deadline */
	if (r <= 0)
		return 0;
	while ((n = read(pr->ifd, ev, sizeof ev)) > 0) {
		for (p = ev; p < ev + n; p += sizeof *ie + ie->len) {
			ie = (const struct inotify_event *)p;
			if (ie->wd == pr->wd_dir)
				*dir_event = 1;
		}
	}
	return 1;
}

static void
probe_loop(struct probe *pr)
{
	struct timespec ts;
	uint64_t tick = 0, now;
	int dir_event;

	if (pr->mode == PROBE_POLL) {
		/* Ticks on time, not up to 50 us late (the default slack). */
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
		tick = probe_now();
	}
	while (!probe_stop && pr->received < pr->expected) {
		if (pr->mode == PROBE_INOTIFY) {
			if (!probe_wait_inotify(pr, &dir_event)) {
				if (probe_now() >= pr->until)
					break;
				probe_read(pr, 1);
				continue;
			}
			pr->wakeups++;
			probe_read(pr, dir_event || pr->fd == -1);
		} else {
			tick += pr->poll_ns;
			now = probe_now();
			if (tick < now)	/* late: the next tick from now */
				tick = now + pr->poll_ns - (now - tick) %
				    pr->poll_ns;
			ts.tv_sec = (time_t)(tick / 1000000000u);
			ts.tv_nsec = (long)(tick % 1000000000u);
			if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
			    NULL) == EINTR)
				continue;
			pr->wakeups++;
			probe_read(pr, 1);
		}
		if (probe_now() >= pr->until)
			break;
	}
}

static int
probe_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile (per mille) of n sorted values. */
static int64_t
probe_pct(const int64_t *v, uint64_t n, unsigned int pm)
{
	uint64_t k;

	if (n == 0)
		return -1;
	k = (n * pm + 999) / 1000;
	return v[k == 0 ? 0 : k - 1];
}

static void
probe_report(struct probe *pr)
{
	struct rusage ru;
	int64_t *v;
	uint64_t i, n = 0;

	v = malloc((pr->received ? pr->received : 1) * sizeof *v);
	if (v == NULL)
		fatal("malloc");
	for (i = 0; i < pr->expected; i++) {
		if (pr->lat[i] != PROBE_UNSEEN)
			v[n++] = pr->lat[i];
	}
	qsort(v, n, sizeof *v, probe_cmp);
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"mode\": \"%s\", \"expected\": %" PRIu64
	    ", \"received\": %" PRIu64 ", \"lost\": %" PRIu64
	    ", \"dup\": %" PRIu64 ", \"torn\": %" PRIu64
	    ", \"stray\": %" PRIu64 ", \"warmup\": %" PRIu64,
	    pr->mode == PROBE_POLL ? "poll" : "inotify", pr->expected,
	    pr->received, pr->expected - pr->received, pr->dup, pr->torn,
	    pr->stray, pr->warmup);
	printf(", \"p50_ns\": %" PRId64 ", \"p90_ns\": %" PRId64
	    ", \"p99_ns\": %" PRId64 ", \"p999_ns\": %" PRId64
	    ", \"max_ns\": %" PRId64 ", \"min_ns\": %" PRId64,
	    probe_pct(v, n, 500), probe_pct(v, n, 900), probe_pct(v, n, 990),
	    probe_pct(v, n, 999), n ? v[n - 1] : -1, n ? v[0] : -1);
	printf(", \"first_arrival_ns\": %" PRIu64 ", \"last_arrival_ns\": %"
	    PRIu64 ", \"bytes\": %" PRIu64 ", \"switches\": %" PRIu64
	    ", \"wakeups\": %" PRIu64 ", \"reads\": %" PRIu64
	    ", \"cpu_s\": %.6f, \"nvcsw\": %ld, \"nivcsw\": %ld}\n",
	    pr->first_arrival, pr->last_arrival, pr->bytes, pr->switches,
	    pr->wakeups, pr->reads,
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	    ru.ru_nvcsw, ru.ru_nivcsw);
	free(v);
}

static void
usage(void)
{
	fprintf(stderr, "usage: probe [-m inotify|poll] [-p poll_us] "
	    "[-f nfiles] [-n lines] [-i first_id] [-w width] [-o offset] "
	    "[-u until_ns] file\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct probe pr;
	struct sigaction sa;
	uint64_t i;
	int ch;

	memset(&pr, 0, sizeof pr);
	pr.mode = PROBE_INOTIFY;
	pr.poll_ns = 1000000;
	pr.nfiles = 1;
	pr.per = 1;
	pr.first = 1;
	pr.width = 100;
	pr.until = UINT64_MAX;
	pr.fd = pr.ifd = pr.wd_file = pr.wd_dir = -1;
	while ((ch = getopt(argc, argv, "m:p:f:n:i:w:o:u:")) != -1) {
		switch (ch) {
		case 'm':
			if (strcmp(optarg, "poll") == 0)
				pr.mode = PROBE_POLL;
			else if (strcmp(optarg, "inotify") == 0)
				pr.mode = PROBE_INOTIFY;
			else
				usage();
			break;
		case 'p':
			pr.poll_ns = strtoull(optarg, NULL, 10) * 1000;
			break;
		case 'f':
			pr.nfiles = atoi(optarg);
			break;
		case 'n':
			pr.per = strtoull(optarg, NULL, 10);
			break;
		case 'i':
			pr.first = atoi(optarg);
			break;
		case 'w':
			pr.width = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'o':
			pr.offset = (off_t)strtoll(optarg, NULL, 10);
			break;
		case 'u':
			pr.until = strtoull(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1 || pr.nfiles < 1 || pr.poll_ns == 0 ||
	    pr.width < 8)
		usage();
	pr.path = argv[optind];
	pr.expected = (uint64_t)pr.nfiles * pr.per;
	if ((pr.lat = malloc((pr.expected ? pr.expected : 1) *
	    sizeof *pr.lat)) == NULL || (pr.buf = malloc(PROBE_BUFSIZE)) == NULL)
		fatal("malloc");
	for (i = 0; i < pr.expected; i++)
		pr.lat[i] = PROBE_UNSEEN;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = probe_signal;	/* no SA_RESTART: waits end */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (pr.mode == PROBE_INOTIFY)
		probe_watch(&pr);
	probe_read(&pr, 0);
	printf("ready\n");
	fflush(stdout);
	probe_loop(&pr);
	if (pr.fd != -1)
		probe_read(&pr, 1);	/* the last word, after a signal */
	probe_report(&pr);
	free(pr.buf);
	free(pr.lat);
	return 0;
}
