/* forward.c -- a forwarder: output files read back from its cursor, their
 * lines sent as RELP "syslog" frames, the cursor moved over the answers;
 * or sent as octet-counted syslog messages over TCP, the cursor moved over
 * what the peer's TCP acknowledged.
 *
 * Why a RELP client of our own rather than librelp's: librelp's client
 * (relpCltSendSyslog) takes a message into its own window and tells the
 * caller nothing when the server acknowledges it; a message is "sent" once
 * it is in that window, and what is in it when the connection or the
 * process dies is lost to the caller (rsyslog#2610).  Our cursor may move
 * only over acknowledged lines, so we need each "rsp" as it comes: the
 * protocol is small (relp.c), and libevent's bufferevents carry it on the
 * loop like everything else, without librelp's threads.
 *
 * The files.  `files' holds the output files from the cursor's (files[0])
 * to the one being read (the last), each open.  A read (a pool job) takes
 * the next chunk of the last file: of the current output up to what is
 * written whole, of a rotated one to its end, after which the next file
 * is looked for in the output's directory (a job too: rotated names sort
 * by time, the output itself comes last).  Lines go out as frames while
 * the window has room; each frame remembers the file and the offset its
 * line ends at, which becomes the cursor when it is acknowledged.  With
 * nothing in flight, everything before the read position is acknowledged:
 * the cursor jumps there, into the last file, and the files before it are
 * closed (and may be gzipped and removed).
 *
 * Syslog over TCP (RFC 6587) has no answers: a line counts as
 * acknowledged once the peer's TCP acknowledged its last byte.  The bytes
 * handed to the bufferevent are counted; those still in its buffer and
 * those the kernel holds unacknowledged (SIOCOUTQ) are taken off; the
 * frames that end at or before what is left are acknowledged.  That is
 * looked at when the bufferevent's buffer drains and, while frames are in
 * flight, every FORWARD_ACK_POLL ms.  A fixed ring of FORWARD_TCP_WINDOW
 * frames and FORWARD_TCP_BUFFERED bytes in the bufferevent bound memory as
 * `window' does for RELP.
 *
 * A connection that fails, in any way, is dropped whole: frames in flight
 * are forgotten, the read position goes back to the cursor, and after a
 * pause (reconnect_min, doubling up to reconnect_max) a new connection
 * sends everything from the cursor on. */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/sockios.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "format.h"
#include "forward.h"
#include "log.h"
#include "path.h"
#include "pool.h"
#include "relp.h"
#include "rfc5424.h"
#include "rotate.h"
#include "state.h"
#include "xmalloc.h"

/* The most one read takes from an output file. */
#define FORWARD_CHUNK (256 * 1024)

/* How long a connection may take to be made, or to be opened. */
#define FORWARD_CONNECT_TIMEOUT 10

/* Syslog over TCP: the most frames in flight, the most bytes waiting in
 * the bufferevent, and how often the kernel is asked what the peer
 * acknowledged while frames are in flight (ms). */
#define FORWARD_TCP_WINDOW 4096
#define FORWARD_TCP_BUFFERED (256 * 1024)
#define FORWARD_ACK_POLL 20

enum forward_conn {
	FW_DOWN,       /* waiting for the next try */
	FW_RESOLVING,  /* the target's address is looked up */
	FW_CONNECTING, /* TCP */
	FW_OPENING,    /* RELP: "open" sent, its answer awaited */
	FW_OPEN,       /* frames flow */
};

/* An output file the forwarder holds open. */
struct forward_file {
	int fd;
	uint64_t dev;
	uint64_t ino;
};

/* A frame sent and not yet acknowledged. */
struct forward_frame {
	uint32_t txnr; /* RELP */
	uint64_t dev;
	uint64_t ino;
	uint64_t end;  /* the offset its line ends at */
	uint64_t sent; /* syslog-tcp: the connection's bytes up to its end */
};

struct forward {
	struct event_base *base;
	struct forward_cbs cbs;
	char *name;
	char *host;
	char *port;
	enum forward_protocol protocol;
	enum forward_format format;
	unsigned window; /* the ring of frames: RELP's window, else fixed */
	uint64_t reconnect_min;
	uint64_t reconnect_max;
	char hostname[256]; /* ours, for rfc5424 */

	enum forward_conn conn;
	struct bufferevent *bev;
	struct event *retry_ev;
	uint64_t backoff; /* ms before the next try */
	int down;         /* said so: say when it is back */
	uint64_t conn_gen;
	uint32_t txnr; /* of the last frame sent */
	struct buf scratch;
	struct buf msg;       /* one line's message */
	struct event *ack_ev; /* syslog-tcp: the next look at the acks */
	uint64_t tcp_sent;    /* syslog-tcp: bytes of this connection */

	struct forward_file *files; /* the cursor's first, the read's last */
	size_t nfiles;
	int located;       /* files[0] is open */
	uint64_t want_dev; /* the cursor's file, till it is */
	uint64_t want_ino;
	uint64_t rendered_dev; /* the cursor's file in the checkpoint last */
	uint64_t rendered_ino; /* rendered, */
	uint64_t saved_dev;    /* and in the one on disk */
	uint64_t saved_ino;
	uint64_t cur_off;   /* the cursor: acknowledged up to here */
	uint64_t rd_pos;    /* the next read of the last file starts here */
	uint64_t frame_pos; /* the next frame's line starts here */
	struct buf rbuf;    /* bytes read and not framed: [rhead, len) */
	size_t rhead;
	int rd_final; /* the last file is no longer written to */
	int rd_eof;   /* ... and was read to its end */
	uint64_t rd_gen;
	int reading; /* a read or a look for a file is in the pool */
	unsigned jobs;

	struct forward_frame *frames; /* a ring of `window' */
	size_t fhead;
	size_t nframes;

	int paused; /* no job is submitted (forward_pause()) */
	int stopping;
	int freeing;
};

static void forward_pump(struct forward *f);
static void forward_connect(struct forward *f);
static void forward_destroy(struct forward *f);
static void forward_fail(struct forward *f, const char *why);
static void forward_dial(struct forward *f, struct sockaddr *sa, int salen);
static void forward_up(struct forward *f);

/* A look for an output file, by identity or as the one after it. */
struct forward_locate {
	struct pool_job job;
	struct forward *f;
	uint64_t gen;
	char *out_path;
	uint64_t dev, ino;
	int next; /* the file after (dev, ino), not (dev, ino) itself */
	int fd;   /* the result, or -1 */
	uint64_t found_dev, found_ino;
};

/* A read of one chunk of an output file. */
struct forward_read {
	struct pool_job job;
	struct forward *f;
	uint64_t gen;
	int fd; /* a dup, the job's own */
	uint64_t off;
	size_t len;
	struct buf data;
	int err;
};

/* A look-up of the target's address. */
struct forward_resolve {
	struct pool_job job;
	struct forward *f;
	uint64_t gen;
	char *host, *port;
	struct sockaddr_storage sa;
	socklen_t salen;
	int err; /* getaddrinfo()'s */
};

/* Opens `path' if it is (dev, ino) (any file if `dev' and `ino' are 0),
 * filling *dev and *ino; -1 if not. */
static int
forward_open_file(const char *path, uint64_t *dev, uint64_t *ino, int any)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (!any &&
	     ((uint64_t)st.st_dev != *dev || (uint64_t)st.st_ino != *ino))) {
		close(fd);
		return -1;
	}
	*dev = (uint64_t)st.st_dev;
	*ino = (uint64_t)st.st_ino;
	return fd;
}

static int
forward_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The plain rotated files of the output, by name (which is by time),
 * and the output itself last: full paths. */
static char **
forward_list(const char *out_path, size_t *n)
{
	char *dir = path_dir(out_path), **v = NULL;
	const char *base = path_base(out_path);
	struct dirent *de;
	size_t stem;
	DIR *dp;

	*n = 0;
	if ((dp = opendir(dir)) != NULL) {
		while ((de = readdir(dp)) != NULL) {
			if (rotate_match(base, de->d_name, &stem) !=
			    ROTATE_PLAIN)
				continue;
			v = xreallocarray(v, *n + 1, sizeof *v);
			v[(*n)++] = xasprintf("%s/%s", dir, de->d_name);
		}
		closedir(dp);
	}
	if (*n > 0)
		qsort(v, *n, sizeof *v, forward_strcmp);
	v = xreallocarray(v, *n + 1, sizeof *v);
	v[(*n)++] = xstrdup(out_path);
	free(dir);
	return v;
}

/* Worker: finds the file (or the one after it) among the output's. */
static void
forward_locate_run(struct pool_job *job)
{
	struct forward_locate *j = (struct forward_locate *)job;
	size_t n, i, at;
	char **v = forward_list(j->out_path, &n);
	struct stat st;

	j->fd = -1;
	for (i = 0; i < n; i++)
		if (stat(v[i], &st) == 0 && (uint64_t)st.st_dev == j->dev &&
		    (uint64_t)st.st_ino == j->ino)
			break;
	if (!j->next && i < n) {
		j->found_dev = j->dev;
		j->found_ino = j->ino;
		j->fd =
		    forward_open_file(v[i], &j->found_dev, &j->found_ino, 0);
	} else if (j->next) {
		/* Not found (renamed away by a reopen): the current output
		 * is all there is after it. */
		at = i < n - 1 ? i + 1 : n - 1;
		j->fd =
		    forward_open_file(v[at], &j->found_dev, &j->found_ino, 1);
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Worker: reads the chunk. */
static void
forward_read_run(struct pool_job *job)
{
	struct forward_read *j = (struct forward_read *)job;
	ssize_t n;

	buf_reserve(&j->data, j->len);
	do
		n = pread(j->fd, j->data.data, j->len, (off_t)j->off);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		j->err = errno;
	else
		j->data.len = (size_t)n;
	close(j->fd);
}

/* Worker: looks the target up. */
static void
forward_resolve_run(struct pool_job *job)
{
	struct forward_resolve *j = (struct forward_resolve *)job;
	struct addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	j->err = getaddrinfo(j->host, j->port, &hints, &res);
	if (j->err == 0) {
		memcpy(&j->sa, res->ai_addr, res->ai_addrlen);
		j->salen = res->ai_addrlen;
		freeaddrinfo(res);
	}
}

/* A job of ours is back: true if the forwarder is to be freed now (the
 * caller returns at once), else false. */
static int
forward_job_back(struct forward *f)
{
	f->jobs--;
	f->cbs.job_done(f->cbs.arg);
	if (f->freeing) {
		if (f->jobs == 0)
			forward_destroy(f);
		return 1;
	}
	return 0;
}

/* Hands a job to the pool. */
static void
forward_submit(struct forward *f, struct pool_job *job)
{
	f->jobs++;
	f->cbs.submit(f->cbs.arg, job);
}

/* Closes every file after the first `keep'. */
static void
forward_files_trim(struct forward *f, size_t keep)
{
	while (f->nfiles > keep)
		close(f->files[--f->nfiles].fd);
}

/* Appends an open file: the one read from now on. */
static void
forward_files_add(struct forward *f, int fd, uint64_t dev, uint64_t ino)
{
	f->files = xreallocarray(f->files, f->nfiles + 1, sizeof *f->files);
	f->files[f->nfiles].fd = fd;
	f->files[f->nfiles].dev = dev;
	f->files[f->nfiles].ino = ino;
	f->nfiles++;
	f->rd_pos = f->frame_pos = 0;
	f->rd_final = f->rd_eof = 0;
	f->rbuf.len = f->rhead = 0;
}

/* The cursor moved into files[k] at `off': the files before it are done
 * with. */
static void
forward_cursor_to(struct forward *f, size_t k, uint64_t off)
{
	for (size_t i = 0; i < k; i++)
		close(f->files[i].fd);
	if (k > 0) {
		memmove(f->files, f->files + k,
		        (f->nfiles - k) * sizeof *f->files);
		f->nfiles -= k;
	}
	if (f->cur_off != off || k > 0) {
		f->cur_off = off;
		f->cbs.moved(f->cbs.arg);
	}
}

/* Forgets everything past the cursor: frames in flight, the bytes read;
 * the next read starts at the cursor. */
static void
forward_rewind(struct forward *f)
{
	forward_files_trim(f, f->located ? 1 : 0);
	f->rd_pos = f->frame_pos = f->cur_off;
	f->rbuf.len = f->rhead = 0;
	f->rd_final = f->rd_eof = 0;
	f->rd_gen++;
	f->nframes = f->fhead = 0;
}

/* The look for a file is back. */
static void
forward_locate_done(struct pool_job *job)
{
	struct forward_locate *j = (struct forward_locate *)job;
	struct forward *f = j->f;
	int fd = j->fd, next = j->next, stale = j->gen != f->rd_gen;
	uint64_t dev = j->found_dev, ino = j->found_ino;

	free(j->out_path);
	free(j);
	f->reading = 0;
	if (forward_job_back(f)) {
		if (fd != -1)
			close(fd);
		return; /* `f' may be gone */
	}
	if (stale) {
		if (fd != -1)
			close(fd);
		forward_pump(f);
		return;
	}
	if (!next) {
		if (fd == -1) {
			struct forward_out o;
			f->cbs.output(f->cbs.arg, &o);
			log_warnx("forward %s: the output file of its cursor "
			          "(device %" PRIu64 ", inode %" PRIu64
			          ") is gone: going on from the start of %s; "
			          "lines between may not have been sent",
			          f->name, f->want_dev, f->want_ino, o.path);
			f->want_dev = o.dev;
			f->want_ino = o.ino;
			f->cur_off = 0;
			f->cbs.moved(f->cbs.arg);
			forward_pump(f);
			return;
		}
		forward_files_add(f, fd, dev, ino);
		f->located = 1;
		forward_rewind(f);
		/* Where the cursor is is known now: the rotated files it
		 * does not need may be looked after. */
		f->cbs.moved(f->cbs.arg);
	} else if (fd == -1) {
		log_warnx("forward %s: cannot open the output file after the "
		          "one it read; trying again",
		          f->name);
		f->rd_eof = 0; /* the read at the end tries again */
	} else
		forward_files_add(f, fd, dev, ino);
	if (f->nframes == 0 && f->rhead == f->rbuf.len)
		forward_cursor_to(f, f->nfiles - 1, f->frame_pos);
	forward_pump(f);
}

/* A read is back: its bytes join those not framed yet. */
static void
forward_read_done(struct pool_job *job)
{
	struct forward_read *j = (struct forward_read *)job;
	struct forward *f = j->f;
	int stale = j->gen != f->rd_gen;

	f->reading = 0;
	if (forward_job_back(f)) {
		buf_free(&j->data);
		free(j);
		return; /* `f' may be gone */
	}
	if (stale) {
		buf_free(&j->data);
		free(j);
		forward_pump(f);
		return;
	}
	if (j->err != 0)
		log_warnx("forward %s: cannot read the output: %s", f->name,
		          strerror(j->err));
	else if (j->data.len == 0 && f->rd_final)
		f->rd_eof = 1;
	else {
		if (f->rhead > 0) {
			memmove(f->rbuf.data, f->rbuf.data + f->rhead,
			        f->rbuf.len - f->rhead);
			f->rbuf.len -= f->rhead;
			f->rhead = 0;
		}
		buf_add(&f->rbuf, j->data.data, j->data.len);
		f->rd_pos += j->data.len;
	}
	buf_free(&j->data);
	free(j);
	forward_pump(f);
}

/* The address is known (or not): connect. */
static void
forward_resolve_done(struct pool_job *job)
{
	struct forward_resolve *j = (struct forward_resolve *)job;
	struct forward *f = j->f;
	int stale = j->gen != f->conn_gen;

	if (forward_job_back(f) || stale || f->conn != FW_RESOLVING ||
	    f->stopping) {
		free(j->host);
		free(j->port);
		free(j);
		return;
	}
	if (j->err != 0) {
		char why[300];
		snprintf(why, sizeof why, "cannot resolve: %s",
		         gai_strerror(j->err));
		free(j->host);
		free(j->port);
		free(j);
		forward_fail(f, why);
		return;
	}
	forward_dial(f, (struct sockaddr *)&j->sa, (int)j->salen);
	free(j->host);
	free(j->port);
	free(j);
}

/* Drops the connection, if any, without a word to the server. */
static void
forward_hang_up(struct forward *f)
{
	if (f->bev != NULL)
		bufferevent_free(f->bev);
	f->bev = NULL;
	evtimer_del(f->ack_ev);
	f->conn_gen++;
	f->conn = FW_DOWN;
}

/* The connection failed: said once till it is back; everything in flight
 * is sent again on the next one, after the pause. */
static void
forward_fail(struct forward *f, const char *why)
{
	if (!f->down)
		log_warnx("forward %s: %s:%s: %s; the lines wait in the output "
		          "and are sent from the last acknowledged one when it "
		          "is back",
		          f->name, f->host, f->port, why);
	else
		log_debug("forward %s: %s:%s: %s", f->name, f->host, f->port,
		          why);
	f->down = 1;
	forward_hang_up(f);
	forward_rewind(f);
	if (f->stopping || f->freeing)
		return;
	clock_timer(f->retry_ev, f->backoff);
	f->backoff = f->backoff * 2 > f->reconnect_max ? f->reconnect_max
	                                               : f->backoff * 2;
}

/* Sends one frame of ours. */
static void
forward_send(struct forward *f, const char *command, const void *data,
             size_t len)
{
	f->txnr = relp_txnr_next(f->txnr);
	f->scratch.len = 0;
	relp_frame_add(&f->scratch, f->txnr, command, data, len);
	bufferevent_write(f->bev, f->scratch.data, f->scratch.len);
}

/* Sends the line [p, p + len): its message in the configured format,
 * framed as the protocol says. */
static void
forward_send_line(struct forward *f, const char *p, size_t len)
{
	struct rfc5424_line l;
	struct forward_out o;
	struct timespec ts;
	char now[FORMAT_TIME_LEN + 1];

	if (f->format == FORWARD_RFC5424) {
		f->cbs.output(f->cbs.arg, &o);
		clock_gettime(CLOCK_REALTIME, &ts);
		format_time(now, &ts);
		rfc5424_line_split(o.format, p, len, &l);
		f->msg.len = 0;
		rfc5424_message_add(&f->msg, &l, now, f->hostname);
		p = f->msg.data;
		len = f->msg.len;
	}
	if (f->protocol == FORWARD_RELP) {
		forward_send(f, "syslog", p, len);
		return;
	}
	f->scratch.len = 0;
	rfc5424_frame_add(&f->scratch, p, len);
	bufferevent_write(f->bev, f->scratch.data, f->scratch.len);
	f->tcp_sent += f->scratch.len;
}

/* True if another frame may be sent now: the ring has room and, for
 * syslog-tcp, the bufferevent holds less than FORWARD_TCP_BUFFERED. */
static int
forward_room(const struct forward *f)
{
	if (f->nframes >= f->window)
		return 0;
	return f->protocol == FORWARD_RELP ||
	       evbuffer_get_length(bufferevent_get_output(f->bev)) <
	           FORWARD_TCP_BUFFERED;
}

/* Frames the whole lines waiting, as far as the window allows. */
static void
forward_frame_lines(struct forward *f)
{
	struct forward_file *last = &f->files[f->nfiles - 1];
	struct forward_frame *fr;
	const char *p, *nl;
	size_t len, used;

	while (f->rhead < f->rbuf.len && forward_room(f)) {
		p = f->rbuf.data + f->rhead;
		len = f->rbuf.len - f->rhead;
		nl = memchr(p, '\n', len);
		if (nl != NULL)
			used = (size_t)(nl - p) + 1;
		else if (f->rd_eof)
			used = len; /* a final line without its newline */
		else
			break;
		forward_send_line(f, p, nl != NULL ? used - 1 : used);
		fr = &f->frames[(f->fhead + f->nframes++) % f->window];
		fr->txnr = f->txnr;
		fr->dev = last->dev;
		fr->ino = last->ino;
		fr->end = f->frame_pos + used;
		fr->sent = f->tcp_sent;
		f->frame_pos += used;
		f->rhead += used;
	}
	if (f->rhead == f->rbuf.len)
		f->rbuf.len = f->rhead = 0;
	if (f->protocol != FORWARD_RELP && f->nframes > 0 &&
	    !evtimer_pending(f->ack_ev, NULL))
		clock_timer(f->ack_ev, FORWARD_ACK_POLL);
}

/* Starts what comes next for the last file: a read, or the look for the
 * file after it. */
static void
forward_read_more(struct forward *f)
{
	struct forward_file *last = &f->files[f->nfiles - 1];
	struct forward_out o;
	uint64_t limit = UINT64_MAX;
	struct forward_read *r;
	struct forward_locate *l;

	f->cbs.output(f->cbs.arg, &o);
	if (last->dev != o.dev || last->ino != o.ino)
		f->rd_final = 1;
	if (f->rd_eof) {
		if (f->rhead < f->rbuf.len)
			return; /* the window is full */
		l = xcalloc(1, sizeof *l);
		l->job.run = forward_locate_run;
		l->job.done = forward_locate_done;
		l->f = f;
		l->gen = f->rd_gen;
		l->out_path = xstrdup(o.path);
		l->dev = last->dev;
		l->ino = last->ino;
		l->next = 1;
		f->reading = 1;
		forward_submit(f, &l->job);
		return;
	}
	if (!f->rd_final)
		limit = o.committed;
	if (f->rd_pos >= limit)
		return; /* forward_kick() calls again */
	r = xcalloc(1, sizeof *r);
	r->job.run = forward_read_run;
	r->job.done = forward_read_done;
	r->f = f;
	r->gen = f->rd_gen;
	r->fd = fcntl(last->fd, F_DUPFD_CLOEXEC, 0);
	if (r->fd == -1) {
		log_warn("forward %s: cannot read the output", f->name);
		free(r);
		return;
	}
	r->off = f->rd_pos;
	r->len = limit - f->rd_pos < FORWARD_CHUNK ? (size_t)(limit - f->rd_pos)
	                                           : FORWARD_CHUNK;
	f->reading = 1;
	forward_submit(f, &r->job);
}

/* Looks for the cursor's file. */
static void
forward_locate_cursor(struct forward *f)
{
	struct forward_locate *l = xcalloc(1, sizeof *l);
	struct forward_out o;

	f->cbs.output(f->cbs.arg, &o);
	l->job.run = forward_locate_run;
	l->job.done = forward_locate_done;
	l->f = f;
	l->gen = f->rd_gen;
	l->out_path = xstrdup(o.path);
	l->dev = f->want_dev;
	l->ino = f->want_ino;
	f->reading = 1;
	forward_submit(f, &l->job);
}

/* Does what can be done now: find the cursor's file, frame lines, read
 * more. */
static void
forward_pump(struct forward *f)
{
	if (f->stopping || f->freeing || f->reading || f->paused)
		return;
	if (!f->located) {
		forward_locate_cursor(f);
		return;
	}
	if (f->conn != FW_OPEN)
		return;
	forward_frame_lines(f);
	if (!forward_room(f))
		return;
	if (f->rhead == f->rbuf.len)
		forward_read_more(f);
	else if (!f->rd_eof && memchr(f->rbuf.data + f->rhead, '\n',
	                              f->rbuf.len - f->rhead) == NULL)
		forward_read_more(f); /* a line longer than one read */
}

/* The first frame in flight is acknowledged: the cursor moves past its
 * line (and, with nothing left in flight, to the read position). */
static void
forward_acked(struct forward *f)
{
	struct forward_frame *first = &f->frames[f->fhead];
	size_t k;

	for (k = 0; k < f->nfiles; k++)
		if (f->files[k].dev == first->dev &&
		    f->files[k].ino == first->ino)
			break;
	if (k == f->nfiles)
		k = 0; /* cannot be: a frame's file is open till acked */
	f->fhead = (f->fhead + 1) % f->window;
	f->nframes--;
	forward_cursor_to(f, k, first->end);
	/* Nothing in flight: all before the read position is acked. */
	if (f->nframes == 0 && f->rhead == f->rbuf.len)
		forward_cursor_to(f, f->nfiles - 1, f->frame_pos);
}

/* A "rsp" to a syslog frame: the first in flight is acknowledged. */
static void
forward_ack(struct forward *f, const struct relp_frame *fr)
{
	struct forward_frame *first = &f->frames[f->fhead];
	char text[128], why[256];
	int code = relp_rsp_code(fr);

	if (f->nframes == 0 || fr->txnr != first->txnr) {
		snprintf(why, sizeof why,
		         "an answer to transaction %u, expected %u",
		         (unsigned)fr->txnr,
		         f->nframes == 0 ? 0 : (unsigned)first->txnr);
		forward_fail(f, why);
		return;
	}
	if (code != 200) {
		relp_rsp_text(fr, text, sizeof text);
		snprintf(why, sizeof why, "answered %d %s", code, text);
		forward_fail(f, why);
		return;
	}
	forward_acked(f);
}

/* Syslog over TCP: the frames whose every byte the peer's TCP
 * acknowledged are acknowledged; while some are not, another look is
 * taken in FORWARD_ACK_POLL ms. */
static void
forward_tcp_acks(struct forward *f)
{
	uint64_t written, acked;
	char why[256];
	int unacked;

	if (f->conn != FW_OPEN || f->nframes == 0)
		return;
	if (ioctl(bufferevent_getfd(f->bev), SIOCOUTQ, &unacked) == -1) {
		snprintf(why, sizeof why, "SIOCOUTQ: %s", strerror(errno));
		forward_fail(f, why);
		return;
	}
	written =
	    f->tcp_sent - evbuffer_get_length(bufferevent_get_output(f->bev));
	acked = unacked < 0 || (uint64_t)unacked > written
	            ? 0
	            : written - (uint64_t)unacked;
	while (f->nframes > 0 && f->frames[f->fhead].sent <= acked)
		forward_acked(f);
	if (f->nframes > 0 && !evtimer_pending(f->ack_ev, NULL))
		clock_timer(f->ack_ev, FORWARD_ACK_POLL);
}

/* The answer to "open". */
static void
forward_opened(struct forward *f, const struct relp_frame *fr)
{
	char text[128], why[256];

	if (!relp_open_ok(fr)) {
		relp_rsp_text(fr, text, sizeof text);
		snprintf(why, sizeof why,
		         "refused the session (answered %d %s, or without "
		         "the syslog command)",
		         relp_rsp_code(fr), text);
		forward_fail(f, why);
		return;
	}
	forward_up(f);
}

/* The connection is open, frames may flow: said if it was down. */
static void
forward_up(struct forward *f)
{
	f->conn = FW_OPEN;
	f->backoff = f->reconnect_min;
	f->tcp_sent = 0;
	bufferevent_set_timeouts(f->bev, NULL, NULL);
	if (f->down)
		log_notice("forward %s: %s:%s is back: sending from offset "
		           "%" PRIu64 " of the output file of its cursor",
		           f->name, f->host, f->port, f->cur_off);
	else
		log_info("forward %s: connected to %s:%s", f->name, f->host,
		         f->port);
	f->down = 0;
}

/* Bytes from the server: its frames, in order. */
static void
forward_read_cb(struct bufferevent *bev, void *arg)
{
	struct forward *f = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct relp_frame fr;
	const char *why;
	char msg[256];
	size_t used, n;
	int r;

	if (f->protocol != FORWARD_RELP) {
		/* A syslog receiver says nothing; what it says is dropped. */
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	while ((n = evbuffer_get_length(in)) > 0) {
		const char *p = (const char *)evbuffer_pullup(in, -1);
		r = relp_parse(p, n, &fr, &used, &why);
		if (r == 0)
			return;
		if (r == -1) {
			snprintf(msg, sizeof msg, "not RELP: %s", why);
			forward_fail(f, msg);
			return;
		}
		if (fr.txnr == 0 && strcmp(fr.command, "serverclose") == 0) {
			forward_fail(f, "the server closed the session");
			return;
		}
		if (strcmp(fr.command, "rsp") != 0) {
			snprintf(msg, sizeof msg, "unexpected command \"%s\"",
			         fr.command);
			forward_fail(f, msg);
			return;
		}
		if (f->conn == FW_OPENING && fr.txnr == 1)
			forward_opened(f, &fr);
		else if (f->conn == FW_OPEN)
			forward_ack(f, &fr);
		else
			forward_fail(f, "an answer to nothing sent");
		if (f->bev != bev)
			return; /* failed: the buffer is gone */
		evbuffer_drain(in, used);
	}
	forward_pump(f);
}

/* Syslog over TCP: the bufferevent's buffer is empty: what the peer
 * acknowledged is looked at, and more is sent. */
static void
forward_write_cb(struct bufferevent *bev, void *arg)
{
	struct forward *f = arg;

	forward_tcp_acks(f);
	if (f->bev == bev)
		forward_pump(f);
}

/* Syslog over TCP: the time to look at the acks again. */
static void
forward_ack_cb(evutil_socket_t fd, short what, void *arg)
{
	struct forward *f = arg;

	(void)fd;
	(void)what;
	forward_tcp_acks(f);
	if (f->conn == FW_OPEN)
		forward_pump(f);
}

/* Connected, or the connection is over. */
static void
forward_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct forward *f = arg;
	char why[256];

	(void)bev;
	if ((what & BEV_EVENT_CONNECTED) && f->protocol != FORWARD_RELP) {
		forward_up(f);
		forward_pump(f);
		return;
	}
	if (what & BEV_EVENT_CONNECTED) {
		f->conn = FW_OPENING;
		f->txnr = 0;
		forward_send(f, "open", RELP_OFFERS, strlen(RELP_OFFERS));
		return;
	}
	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof why, "the connection was closed");
	else if (what & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof why, "no answer within %ds",
		         FORWARD_CONNECT_TIMEOUT);
	else
		snprintf(why, sizeof why, "%s",
		         evutil_socket_error_to_string(
		             evutil_socket_geterror(bufferevent_getfd(bev))));
	forward_fail(f, why);
}

/* Opens a TCP connection to the address found. */
static void
forward_dial(struct forward *f, struct sockaddr *sa, int salen)
{
	struct timeval tv = {FORWARD_CONNECT_TIMEOUT, 0};

	f->bev = bufferevent_socket_new(f->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (f->bev == NULL) {
		forward_fail(f, "cannot make a socket");
		return;
	}
	bufferevent_setcb(f->bev, forward_read_cb,
	                  f->protocol == FORWARD_RELP ? NULL : forward_write_cb,
	                  forward_event_cb, f);
	bufferevent_set_timeouts(f->bev, &tv, &tv);
	bufferevent_enable(f->bev, EV_READ | EV_WRITE);
	f->conn = FW_CONNECTING;
	if (bufferevent_socket_connect(f->bev, sa, salen) == -1) {
		/* The bufferevent may be gone by now: it called back. */
		if (f->conn == FW_CONNECTING)
			forward_fail(f, strerror(errno));
	}
}

/* Starts a connection: the address is looked up in the pool. */
static void
forward_connect(struct forward *f)
{
	struct forward_resolve *j;

	if (f->stopping || f->freeing || f->conn != FW_DOWN)
		return;
	if (f->paused) {
		clock_timer(f->retry_ev, f->reconnect_min);
		return;
	}
	j = xcalloc(1, sizeof *j);
	j->job.run = forward_resolve_run;
	j->job.done = forward_resolve_done;
	j->f = f;
	j->gen = f->conn_gen;
	j->host = xstrdup(f->host);
	j->port = xstrdup(f->port);
	f->conn = FW_RESOLVING;
	forward_submit(f, &j->job);
}

/* The pause after a failure is over. */
static void
forward_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	forward_connect(arg);
}

/* Copies the settings of a section. */
static void
forward_configure(struct forward *f, const struct config_forward *fc)
{
	unsigned ring;

	free(f->host);
	free(f->port);
	f->host = xstrdup(fc->host);
	f->port = xstrdup(fc->port);
	f->protocol = fc->protocol;
	f->format = fc->format;
	f->reconnect_min = fc->reconnect_min;
	f->reconnect_max = fc->reconnect_max;
	f->backoff = fc->reconnect_min;
	ring = fc->protocol == FORWARD_RELP ? fc->window : FORWARD_TCP_WINDOW;
	if (ring != f->window || f->frames == NULL) {
		f->window = ring;
		free(f->frames);
		f->frames = xcalloc(f->window, sizeof *f->frames);
		f->nframes = f->fhead = 0;
	}
}

struct forward *
forward_create(struct event_base *base, const struct config_forward *fc,
               const struct state *loaded, const struct forward_cbs *cbs)
{
	struct forward *f = xcalloc(1, sizeof *f);
	const struct state_forward *sf = state_find_forward(loaded, fc->name);
	struct forward_out o;

	f->base = base;
	f->cbs = *cbs;
	f->name = xstrdup(fc->name);
	forward_configure(f, fc);
	if (gethostname(f->hostname, sizeof f->hostname - 1) == -1 ||
	    f->hostname[0] == '\0')
		strcpy(f->hostname, "-");
	f->retry_ev = evtimer_new(base, forward_retry_cb, f);
	f->ack_ev = evtimer_new(base, forward_ack_cb, f);
	if (f->retry_ev == NULL || f->ack_ev == NULL)
		fatalx("cannot create a timer");
	if (sf != NULL) {
		f->want_dev = sf->dev;
		f->want_ino = sf->ino;
		f->cur_off = sf->offset;
	} else {
		/* New: from the start of the current output. */
		cbs->output(cbs->arg, &o);
		f->want_dev = o.dev;
		f->want_ino = o.ino;
		f->cur_off = 0;
	}
	f->rendered_dev = f->saved_dev = f->want_dev;
	f->rendered_ino = f->saved_ino = f->want_ino;
	forward_pump(f);
	forward_connect(f);
	return f;
}

void
forward_set_config(struct forward *f, const struct config_forward *fc)
{
	log_info("forward %s: now to %s:%s; sending again from the last "
	         "acknowledged line",
	         f->name, fc->host, fc->port);
	forward_hang_up(f);
	forward_rewind(f);
	evtimer_del(f->retry_ev);
	forward_configure(f, fc);
	f->down = 0;
	forward_connect(f);
}

void
forward_kick(struct forward *f)
{
	if (f->conn == FW_OPEN && !f->reading)
		forward_pump(f);
}

void
forward_render(struct forward *f, struct state *st)
{
	f->rendered_dev = f->located ? f->files[0].dev : f->want_dev;
	f->rendered_ino = f->located ? f->files[0].ino : f->want_ino;
	state_add_forward(st, f->name, f->rendered_dev, f->rendered_ino,
	                  f->cur_off);
}

void
forward_saved(struct forward *f)
{
	f->saved_dev = f->rendered_dev;
	f->saved_ino = f->rendered_ino;
}

int
forward_holds_rotated(const struct forward *f)
{
	struct forward_out o;

	if (!f->located)
		return 1;
	f->cbs.output(f->cbs.arg, &o);
	return f->files[0].dev != o.dev || f->files[0].ino != o.ino ||
	       f->saved_dev != o.dev || f->saved_ino != o.ino;
}

uint64_t
forward_behind(const struct forward *f)
{
	struct forward_out o;
	struct stat st;

	f->cbs.output(f->cbs.arg, &o);
	if (!f->located)
		return o.committed;
	if (f->files[0].dev == o.dev && f->files[0].ino == o.ino)
		return o.committed > f->cur_off ? o.committed - f->cur_off : 0;
	if (fstat(f->files[0].fd, &st) == 0 &&
	    (uint64_t)st.st_size > f->cur_off)
		return o.committed + ((uint64_t)st.st_size - f->cur_off);
	return o.committed;
}

const char *
forward_name(const struct forward *f)
{
	return f->name;
}

void
forward_pause(struct forward *f, int on)
{
	f->paused = on;
	if (!on)
		forward_pump(f);
}

void
forward_stop(struct forward *f)
{
	f->stopping = 1;
	evtimer_del(f->retry_ev);
}

/* Frees what `f' holds, and `f'. */
static void
forward_destroy(struct forward *f)
{
	forward_files_trim(f, 0);
	free(f->files);
	free(f->frames);
	buf_free(&f->rbuf);
	buf_free(&f->scratch);
	buf_free(&f->msg);
	event_free(f->retry_ev);
	event_free(f->ack_ev);
	free(f->name);
	free(f->host);
	free(f->port);
	free(f);
}

void
forward_free(struct forward *f)
{
	char close_frame[64];
	int n;

	if (f == NULL)
		return;
	/* A polite "close" when nothing waits to be sent before it; the
	 * server's answer is not waited for. */
	if (f->conn == FW_OPEN && f->protocol == FORWARD_RELP &&
	    evbuffer_get_length(bufferevent_get_output(f->bev)) == 0) {
		n = snprintf(close_frame, sizeof close_frame, "%u close 0\n",
		             (unsigned)relp_txnr_next(f->txnr));
		(void)!send(bufferevent_getfd(f->bev), close_frame, (size_t)n,
		            MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	forward_hang_up(f);
	evtimer_del(f->retry_ev);
	f->freeing = 1;
	if (f->jobs == 0)
		forward_destroy(f);
}
