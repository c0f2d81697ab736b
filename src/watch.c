/* watch.c -- one open input file. */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "follow.h"
#include "gunzip.h"
#include "log.h"
#include "state.h"
#include "watch.h"
#include "xmalloc.h"

/* Opens `name' (relative to dfd) to read it.  Without updating its access
 * time where the kernel lets us (the file is ours, or we have CAP_FOWNER):
 * under relatime each read of a file written since its last read would
 * otherwise write its inode, a third of the cost of reading a line. */
static int
watch_openat(int dfd, const char *name)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, fd;

	fd = openat(dfd, name, flags | O_NOATIME);
	if (fd == -1 && errno == EPERM)
		fd = openat(dfd, name, flags);
	return fd;
}

enum watch_open_result
watch_open(const char *path, int *fdp, struct stat *st)
{
	int fd, saved;

	fd = watch_openat(AT_FDCWD, path);
	if (fd == -1)
		return errno == ENOENT || errno == ENOTDIR ? WATCH_MISSING
		                                           : WATCH_FAILED;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		saved = S_ISREG(st->st_mode) ? errno : EINVAL;
		close(fd);
		errno = saved;
		return WATCH_FAILED;
	}
	*fdp = fd;
	return WATCH_OPENED;
}

struct watch *
watch_create(struct follow *f, int fd, const struct stat *st, uint64_t offset)
{
	struct watch *w = xcalloc(1, sizeof *w);

	w->f = f;
	w->fd = fd;
	w->dev = (uint64_t)st->st_dev;
	w->ino = (uint64_t)st->st_ino;
	w->offset = w->committed = offset;
	/* Its contents began when it was made (it is a file of its own; a
	 * truncation that starts new ones on it says so itself): not when
	 * the loop got to it, which may be after newer files were made. */
	w->seen_at = watch_birth(fd, watch_now());
	return w;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->fd != -1 && close(w->fd) == -1)
		log_warn("closing %s", w->f->path);
	gunzip_free(w->gz);
	free(w);
}

int
watch_replaced(const struct watch *w, const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return errno == ENOENT || errno == ENOTDIR ? 1 : -1;
	return (uint64_t)st.st_dev != w->dev || (uint64_t)st.st_ino != w->ino;
}

int
watch_fp_matches(int fd, uint32_t fp_len, uint64_t fp_hash)
{
	char head[STATE_FP_MAX];
	ssize_t n;

	if (fp_len == 0)
		return 1;
	if (fp_len > sizeof head)
		return 0;
	do
		n = pread(fd, head, fp_len, 0);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)fp_len && state_hash(head, fp_len) == fp_hash;
}

void
watch_fingerprint(int fd, uint32_t *len, uint64_t *hash)
{
	char head[STATE_FP_MAX];
	ssize_t n;

	do
		n = pread(fd, head, sizeof head, 0);
	while (n == -1 && errno == EINTR);
	*len = n > 0 ? (uint32_t)n : 0;
	*hash = state_hash(head, *len);
}

uint64_t
watch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
watch_birth(int fd, uint64_t otherwise)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) == 0 &&
	    (sx.stx_mask & STATX_BTIME))
		return (uint64_t)sx.stx_btime.tv_sec * 1000000000u +
		       sx.stx_btime.tv_nsec;
	return otherwise;
}

int
watch_find(const char *dir, const struct watch_find *q, struct stat *st,
           char **name)
{
	struct dirent *de;
	struct stat cand;
	uint64_t birth = 0, best = UINT64_MAX;
	DIR *dp;
	int dfd, fd = -1, found = -1;

	*name = NULL;
	dp = opendir(dir);
	if (dp == NULL)
		return -1;
	dfd = dirfd(dp);
	while ((found == -1 || q->min_birth != 0) &&
	       (de = readdir(dp)) != NULL) {
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (q->ino != 0 && de->d_ino != q->ino)
			continue;
		if (de->d_ino == q->skip_ino)
			continue;
		fd = watch_openat(dfd, de->d_name);
		if (fd == -1)
			continue;
		if (fstat(fd, &cand) == -1 || !S_ISREG(cand.st_mode) ||
		    (q->ino != 0 && ((uint64_t)cand.st_dev != q->dev ||
		                     (uint64_t)cand.st_ino != q->ino)) ||
		    (uint64_t)cand.st_ino == q->skip_ino ||
		    (uint64_t)cand.st_size < q->min_size ||
		    (q->min_birth != 0 &&
		     ((birth = watch_birth(
		           fd, (uint64_t)cand.st_ctim.tv_sec * 1000000000u +
		                   (uint64_t)cand.st_ctim.tv_nsec)) <
		          q->min_birth ||
		      birth >= best)) ||
		    !watch_fp_matches(fd, q->fp_len, q->fp_hash)) {
			close(fd);
			continue;
		}
		if (found != -1)
			close(found);
		free(*name);
		found = fd;
		*st = cand;
		*name = xasprintf("%s/%s", dir, de->d_name);
		if (q->min_birth != 0)
			best = birth;
	}
	closedir(dp);
	return found;
}

/* How many times watch_list() lists a directory whose files were renamed,
 * created or removed while it was being listed, before it takes the last
 * listing as it is. */
#define WATCH_LIST_TRIES 5

/* One pass of watch_list(): opens what `keep' wants of the directory open
 * on dp, from its start. */
static size_t
watch_list_once(DIR *dp, int (*keep)(void *, const char *, uint64_t), void *arg,
                struct watch_listed **out)
{
	struct watch_listed *l = NULL, *e;
	struct dirent *de;
	size_t n = 0;
	ssize_t r;
	int fd;

	rewinddir(dp);
	while ((de = readdir(dp)) != NULL) {
		if ((de->d_type != DT_REG && de->d_type != DT_UNKNOWN) ||
		    !keep(arg, de->d_name, (uint64_t)de->d_ino))
			continue;
		fd = watch_openat(dirfd(dp), de->d_name);
		if (fd == -1)
			continue;
		l = xreallocarray(l, n + 1, sizeof *l);
		e = &l[n];
		memset(e, 0, sizeof *e);
		e->fd = fd;
		if (fstat(fd, &e->st) == -1 || !S_ISREG(e->st.st_mode)) {
			close(fd);
			continue;
		}
		e->name = xstrdup(de->d_name);
		e->birth = watch_birth(fd, (uint64_t)e->st.st_ctim.tv_sec *
		                                   1000000000u +
		                               (uint64_t)e->st.st_ctim.tv_nsec);
		r = pread(fd, e->head, sizeof e->head, 0);
		e->head_len = r > 0 ? (uint32_t)r : 0;
		n++;
	}
	*out = l;
	return n;
}

/* 1 if every name `keep' wants of the directory open on dp is, now, the
 * file the listing l[0..n) opened under it, and the listing has no other:
 * no file was renamed, created or removed while it was taken. */
static int
watch_list_still(DIR *dp, int (*keep)(void *, const char *, uint64_t),
                 void *arg, const struct watch_listed *l, size_t n)
{
	struct dirent *de;
	struct stat st;
	size_t seen = 0, i;

	rewinddir(dp);
	while ((de = readdir(dp)) != NULL) {
		if ((de->d_type != DT_REG && de->d_type != DT_UNKNOWN) ||
		    !keep(arg, de->d_name, (uint64_t)de->d_ino))
			continue;
		if (fstatat(dirfd(dp), de->d_name, &st, 0) == -1 ||
		    !S_ISREG(st.st_mode))
			return 0;
		for (i = 0; i < n; i++)
			if (strcmp(l[i].name, de->d_name) == 0)
				break;
		if (i == n || l[i].st.st_dev != st.st_dev ||
		    l[i].st.st_ino != st.st_ino)
			return 0;
		seen++;
	}
	return seen == n;
}

ssize_t
watch_list(const char *dir,
           int (*keep)(void *arg, const char *name, uint64_t ino), void *arg,
           struct watch_listed **out)
{
	struct watch_listed *l;
	size_t n;
	DIR *dp;

	*out = NULL;
	dp = opendir(dir);
	if (dp == NULL)
		return -1;
	for (int try = 1;; try++) {
		n = watch_list_once(dp, keep, arg, &l);
		if (try == WATCH_LIST_TRIES ||
		    watch_list_still(dp, keep, arg, l, n))
			break;
		watch_list_free(l, n);
	}
	closedir(dp);
	*out = l;
	return (ssize_t)n;
}

void
watch_list_free(struct watch_listed *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (l[i].fd != -1)
			close(l[i].fd);
		free(l[i].name);
	}
	free(l);
}
