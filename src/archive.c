/* archive.c -- the output's rotated files: gzip, crash clean-up, retention. */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <zlib.h>

#include "archive.h"
#include "rotate.h"
#include "xmalloc.h"

#define ARCHIVE_CHUNK (256 * 1024)

/* One rotated file found in the directory: its stem (NAME.STAMP.NNN) and
 * which forms of it exist. */
struct archive_entry {
	char *stem;
	int plain, gz, tmp;
	struct timespec mtime; /* of the newest form */
};

static void archive_say(struct archive_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds a message to the result. */
static void
archive_say(struct archive_result *res, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	res->msgs = xreallocarray(res->msgs, res->nmsgs + 1, sizeof *res->msgs);
	res->msgs[res->nmsgs++] = msg;
}

/* Syncs a directory, so that a rename or unlink in it is on disk. */
static void
archive_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd != -1) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Writes all of buf to fd; -1 with errno on failure. */
static int
archive_write_all(int fd, const unsigned char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Deflates everything readable from sfd into dfd in gzip format.  Returns
 * 0, or -1 with errno (EIO for a zlib failure). */
static int
archive_deflate(const struct archive_req *req, int sfd, int dfd, uint64_t *in,
                uint64_t *out)
{
	unsigned char *ibuf = xmalloc(ARCHIVE_CHUNK);
	unsigned char *obuf = xmalloc(ARCHIVE_CHUNK);
	z_stream zs;
	ssize_t n;
	int flush = Z_NO_FLUSH, r = -1, zr;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, req->level, Z_DEFLATED, 15 + 16, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(ibuf);
		free(obuf);
		errno = ENOMEM;
		return -1;
	}
	do {
		if (req->cancel != NULL && atomic_load(req->cancel)) {
			errno = ECANCELED;
			goto out;
		}
		n = read(sfd, ibuf, ARCHIVE_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto out;
		*in += (uint64_t)n;
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		zs.next_in = ibuf;
		zs.avail_in = (uInt)n;
		do {
			zs.next_out = obuf;
			zs.avail_out = ARCHIVE_CHUNK;
			zr = deflate(&zs, flush);
			if (zr == Z_STREAM_ERROR) {
				errno = EIO;
				goto out;
			}
			if (archive_write_all(
			        dfd, obuf, ARCHIVE_CHUNK - zs.avail_out) == -1)
				goto out;
			*out += ARCHIVE_CHUNK - zs.avail_out;
		} while (zs.avail_out == 0);
	} while (flush != Z_FINISH);
	r = 0;
out:
	deflateEnd(&zs);
	free(ibuf);
	free(obuf);
	return r;
}

/* Compresses `path' to path.gz through path.gz.tmp, then removes path.
 * Returns 0, or -1 after saying why (path is left as it was). */
static int
archive_gzip(const struct archive_req *req, const char *path,
             struct archive_result *res)
{
	char *tmp = xasprintf("%s.gz.tmp", path);
	char *gz = xasprintf("%s.gz", path);
	struct timespec times[2];
	uint64_t in = 0, out = 0;
	int sfd, dfd = -1, r = -1;
	struct stat st;

	sfd = open(path, O_RDONLY | O_CLOEXEC);
	if (sfd == -1) {
		if (errno != ENOENT) /* gone: nothing to do */
			archive_say(res, "cannot open %s to compress it: %s",
			            path, strerror(errno));
		goto done;
	}
	if (fstat(sfd, &st) == -1) {
		archive_say(res, "cannot stat %s: %s", path, strerror(errno));
		goto done;
	}
	dfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	           st.st_mode & 0666);
	if (dfd == -1) {
		archive_say(res, "cannot create %s: %s", tmp, strerror(errno));
		goto done;
	}
	(void)posix_fadvise(sfd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (archive_deflate(req, sfd, dfd, &in, &out) == -1 ||
	    fsync(dfd) == -1) {
		if (errno != ECANCELED)
			archive_say(res, "cannot compress %s into %s: %s", path,
			            tmp, strerror(errno));
		unlink(tmp);
		goto done;
	}
	/* The .gz keeps the time of the last line, for max_age. */
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	(void)futimens(dfd, times);
	if (rename(tmp, gz) == -1) {
		archive_say(res, "cannot rename %s to %s: %s", tmp, gz,
		            strerror(errno));
		unlink(tmp);
		goto done;
	}
	archive_sync_dir(req->dir);
	if (unlink(path) == -1 && errno != ENOENT)
		archive_say(res, "cannot remove %s after compressing it: %s",
		            path, strerror(errno));
	archive_sync_dir(req->dir);
	res->compressed++;
	res->bytes_in += in;
	res->bytes_out += out;
	r = 0;
done:
	if (sfd != -1)
		close(sfd);
	if (dfd != -1)
		close(dfd);
	free(tmp);
	free(gz);
	return r;
}

void
archive_lower_priority(void)
{
	/* On Linux both name one thread by its id. */
	pid_t tid = (pid_t)syscall(SYS_gettid);

	(void)setpriority(PRIO_PROCESS, (id_t)tid, 19);
	/* ioprio_set(IOPRIO_WHO_PROCESS, tid, IOPRIO_CLASS_BE, level 7) */
	(void)syscall(SYS_ioprio_set, 1, tid, (2 << 13) | 7);
}

/* Removes dir/stem+suffix; says so if it cannot. */
static void
archive_unlink(const struct archive_req *req, const char *stem,
               const char *suffix, struct archive_result *res)
{
	char *path = xasprintf("%s/%s%s", req->dir, stem, suffix);

	if (unlink(path) == -1 && errno != ENOENT)
		archive_say(res, "cannot remove %s: %s", path, strerror(errno));
	free(path);
}

/* Lists base's rotated files in dir, grouped by stem. */
static struct archive_entry *
archive_list(const struct archive_req *req, size_t *n,
             struct archive_result *res)
{
	struct archive_entry *v = NULL, *e;
	enum rotate_kind kind;
	struct dirent *de;
	struct stat st;
	size_t stem_len, i;
	DIR *dp;

	*n = 0;
	dp = opendir(req->dir);
	if (dp == NULL) {
		archive_say(res, "cannot list %s: %s", req->dir,
		            strerror(errno));
		return NULL;
	}
	while ((de = readdir(dp)) != NULL) {
		kind = rotate_match(req->base, de->d_name, &stem_len);
		if (kind == ROTATE_NOT_OURS ||
		    fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		        -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		for (i = 0; i < *n; i++)
			if (strlen(v[i].stem) == stem_len &&
			    strncmp(v[i].stem, de->d_name, stem_len) == 0)
				break;
		if (i == *n) {
			v = xreallocarray(v, *n + 1, sizeof *v);
			e = &v[(*n)++];
			memset(e, 0, sizeof *e);
			e->stem = xmalloc(stem_len + 1);
			memcpy(e->stem, de->d_name, stem_len);
			e->stem[stem_len] = '\0';
		}
		e = &v[i];
		if (kind == ROTATE_PLAIN)
			e->plain = 1;
		else if (kind == ROTATE_GZ)
			e->gz = 1;
		else
			e->tmp = 1;
		if (kind != ROTATE_GZ_TMP &&
		    (st.st_mtim.tv_sec > e->mtime.tv_sec ||
		     (st.st_mtim.tv_sec == e->mtime.tv_sec &&
		      st.st_mtim.tv_nsec > e->mtime.tv_nsec)))
			e->mtime = st.st_mtim;
	}
	closedir(dp);
	return v;
}

/* Oldest first: by the time of the last line, then by name. */
static int
archive_cmp(const void *a, const void *b)
{
	const struct archive_entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->stem, y->stem);
}

/* True if `stem' is one of the files the request names for gzip. */
static int
archive_named(const struct archive_req *req, const char *stem)
{
	const char *slash;

	for (size_t i = 0; i < req->ncompress; i++) {
		slash = strrchr(req->compress[i], '/');
		if (strcmp(slash != NULL ? slash + 1 : req->compress[i],
		           stem) == 0)
			return 1;
	}
	return 0;
}

void
archive_run(const struct archive_req *req, struct archive_result *res)
{
	struct archive_entry *v;
	size_t n, live = 0;
	char *path;

	memset(res, 0, sizeof *res);
	v = archive_list(req, &n, res);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = &v[i];
		if (e->tmp) /* a gzip cut short */
			archive_unlink(req, e->stem, ".gz.tmp", res);
		if (e->plain && e->gz) {
			/* The .gz was renamed into place whole; only the
			 * removal of the original did not happen. */
			archive_unlink(req, e->stem, "", res);
			e->plain = 0;
		}
		if (e->plain && req->level > 0 &&
		    (req->compress_all || archive_named(req, e->stem))) {
			path = xasprintf("%s/%s", req->dir, e->stem);
			if (archive_gzip(req, path, res) == 0) {
				e->plain = 0;
				e->gz = 1;
			}
			free(path);
		}
	}
	if (n > 0)
		qsort(v, n, sizeof *v, archive_cmp);
	for (size_t i = 0; i < n; i++)
		if (v[i].plain || v[i].gz)
			live++;
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = &v[i];
		uint64_t age_ms;
		int old;

		if (!e->plain && !e->gz)
			continue;
		age_ms = req->now > e->mtime.tv_sec
		             ? (uint64_t)(req->now - e->mtime.tv_sec) * 1000
		             : 0;
		old = req->max_age != 0 && age_ms > req->max_age;
		if ((req->keep != 0 && live > req->keep) || old) {
			if (e->plain)
				archive_unlink(req, e->stem, "", res);
			if (e->gz)
				archive_unlink(req, e->stem, ".gz", res);
			res->removed++;
			live--;
		}
	}
	if (res->removed > 0)
		archive_sync_dir(req->dir);
	for (size_t i = 0; i < n; i++)
		free(v[i].stem);
	free(v);
}

void
archive_req_clear(struct archive_req *req)
{
	for (size_t i = 0; i < req->ncompress; i++)
		free(req->compress[i]);
	free(req->compress);
	free(req->dir);
	free(req->base);
	memset(req, 0, sizeof *req);
}

void
archive_result_clear(struct archive_result *res)
{
	for (size_t i = 0; i < res->nmsgs; i++)
		free(res->msgs[i]);
	free(res->msgs);
	memset(res, 0, sizeof *res);
}
