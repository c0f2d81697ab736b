/*
 * writer.c -- the live benchmark's load: lines appended at a steady rate.
 *
 *   writer [-r RATE] [-s SECONDS] [-w WIDTH] [-t START_NS] [-i FIRST_ID]
 *          FILE...
 *
 * One thread per FILE appends to it (O_APPEND) RATE / nfiles lines a
 * second for SECONDS, one write(2) per line.  Line k of a thread is due
 * at START_NS + k * interval (CLOCK_MONOTONIC; the threads are staggered
 * by interval / nfiles so that the lines are spread evenly in time; when
 * the interval is 1 ms or more, plus a pseudo-random offset under 1 ms,
 * so that the lines do not keep one phase against a probe polling every
 * 1 ms); the
 * thread sleeps until then with clock_nanosleep(TIMER_ABSTIME), with a
 * timer slack of 1 ns, and, if it woke late, writes the lines that are
 * due one after the other.  Each line is WIDTH bytes with its newline:
 *
 *   L <id> <seq> <send time, CLOCK_MONOTONIC ns> xxx...x\n
 *
 * where the send time is read just before the write(2) and <id> is
 * FIRST_ID (default 1) plus the file's index.  The same FILE may be given
 * more than once (the floor: every thread appends to the probed file).
 * At the end one line per thread goes to stdout:
 *
 *   writer <id> sent <n> late_p50_us <x> late_p99_us <x> late_max_us <x>
 *
 * how late the writes were against their due times.  Exit status 1 if a
 * write failed or was short.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WRITER_MAX_WIDTH 4096

struct writer {
	pthread_t	 thread;
	const char	*path;
	int		 id;
	uint64_t	 start;		/* due time of line 0, ns */
	uint64_t	 interval;	/* ns between two lines */
	uint64_t	 lines;		/* to write */
	size_t		 width;
	uint64_t	 sent;
	uint32_t	*late;		/* per line, in us */
	int		 failed;
};

static uint64_t
writer_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
writer_sleep_until(uint64_t t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(t / 1000000000u);
	ts.tv_nsec = (long)(t % 1000000000u);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
}

/* Formats line `seq' sent at `now' into `buf' (w->width bytes). */
static void
writer_format(struct writer *w, char *buf, uint64_t seq, uint64_t now)
{
	int n;

	n = snprintf(buf, w->width, "L %d %" PRIu64 " %" PRIu64 " ", w->id,
	    seq, now);
	if (n < 0 || (size_t)n > w->width - 2)
		n = (int)w->width - 2;	/* checked in main: cannot happen */
	memset(buf + n, 'x', w->width - 1 - (size_t)n);
	buf[w->width - 1] = '\n';
}

/*
 * An offset for line `seq' in [0, 1 ms), spread evenly and the same from run
 * to run, when lines are 1 ms or more apart; else 0.  Lines due on a whole
 * number of milliseconds from the start would otherwise keep one phase
 * against a probe polling every 1 ms, and every latency would be that
 * phase's.
 */
static uint64_t
writer_jitter(const struct writer *w, uint64_t seq)
{
	uint64_t x = seq * 0x9e3779b97f4a7c15ULL + w->start;

	if (w->interval < 1000000)
		return 0;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	return x % 1000000;
}

static void *
writer_run(void *arg)
{
	struct writer *w = arg;
	char buf[WRITER_MAX_WIDTH];
	uint64_t seq, due, now;
	ssize_t n;
	int fd;

	/* Wake at the due time, not up to 50 us later (the default slack). */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	fd = open(w->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd == -1) {
		fprintf(stderr, "writer: %s: %s\n", w->path, strerror(errno));
		w->failed = 1;
		return NULL;
	}
	for (seq = 0; seq < w->lines; seq++) {
		due = w->start + seq * w->interval + writer_jitter(w, seq);
		now = writer_now();
		if (now < due) {
			writer_sleep_until(due);
			now = writer_now();
		}
		writer_format(w, buf, seq, now);
		n = write(fd, buf, w->width);
		if (n != (ssize_t)w->width) {
			fprintf(stderr, "writer: %s: %s\n", w->path,
			    n == -1 ? strerror(errno) : "short write");
			w->failed = 1;
			break;
		}
		w->late[seq] = (uint32_t)((now - due) / 1000 > UINT32_MAX ?
		    UINT32_MAX : (now - due) / 1000);
		w->sent++;
	}
	close(fd);
	return NULL;
}

static int
writer_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static uint32_t
writer_pct(const uint32_t *v, uint64_t n, unsigned int p)
{
	uint64_t k;

	if (n == 0)
		return 0;
	k = (n * p + 99) / 100;		/* nearest rank */
	return v[k == 0 ? 0 : k - 1];
}

static void
usage(void)
{
	fprintf(stderr, "usage: writer [-r rate] [-s seconds] [-w width] "
	    "[-t start_ns] [-i first_id] file...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct writer *ws;
	double rate = 20000, seconds = 10;
	uint64_t start = 0, interval, per;
	size_t width = 100;
	int ch, i, nfiles, first = 1, status = 0;

	while ((ch = getopt(argc, argv, "r:s:w:t:i:")) != -1) {
		switch (ch) {
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 's':
			seconds = strtod(optarg, NULL);
			break;
		case 'w':
			width = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 't':
			start = strtoull(optarg, NULL, 10);
			break;
		case 'i':
			first = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	nfiles = argc;
	/* "L id seq ts " needs at most 2 + 11 + 21 + 21 bytes. */
	if (nfiles < 1 || rate <= 0 || seconds <= 0 || width < 64 ||
	    width > WRITER_MAX_WIDTH)
		usage();
	interval = (uint64_t)(1e9 * nfiles / rate);
	per = (uint64_t)(rate * seconds / nfiles);
	if (start == 0)
		start = writer_now() + 10000000;	/* 10 ms from now */

	ws = calloc((size_t)nfiles, sizeof *ws);
	if (ws == NULL)
		return 1;
	for (i = 0; i < nfiles; i++) {
		ws[i].path = argv[i];
		ws[i].id = first + i;
		ws[i].start = start + interval * (uint64_t)i / (uint64_t)nfiles;
		ws[i].interval = interval;
		ws[i].lines = per;
		ws[i].width = width;
		ws[i].late = calloc(per ? per : 1, sizeof *ws[i].late);
		if (ws[i].late == NULL)
			return 1;
		if (pthread_create(&ws[i].thread, NULL, writer_run, &ws[i])) {
			fprintf(stderr, "writer: cannot start a thread\n");
			return 1;
		}
	}
	for (i = 0; i < nfiles; i++) {
		struct writer *w = &ws[i];

		pthread_join(w->thread, NULL);
		if (w->failed)
			status = 1;
		qsort(w->late, w->sent, sizeof *w->late, writer_cmp);
		printf("writer %d sent %" PRIu64 " late_p50_us %" PRIu32
		    " late_p99_us %" PRIu32 " late_max_us %" PRIu32 "\n",
		    w->id, w->sent, writer_pct(w->late, w->sent, 50),
		    writer_pct(w->late, w->sent, 99),
		    w->sent ? w->late[w->sent - 1] : 0);
		free(w->late);
	}
	free(ws);
	return status;
}
