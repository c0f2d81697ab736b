/* watch.c -- one tailed file. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "watch.h"
#include "xmalloc.h"

struct watch *
watch_create(const char *path, const struct config_input *input)
{
	struct watch *w = xcalloc(1, sizeof *w);
	const char *slash;

	w->path = xstrdup(path);
	slash = strrchr(w->path, '/');
	if (slash == NULL) {
		w->dir = xstrdup(".");
		w->base = w->path;
	} else {
		w->dir = slash == w->path
			     ? xstrdup("/")
			     : xstrndup(w->path, (size_t)(slash - w->path));
		w->base = slash + 1;
	}
	w->input = input;
	w->fd = -1;
	return w;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	watch_close(w);
	free(w->path);
	free(w->dir);
	free(w);
}

enum watch_open_result
watch_open(struct watch *w, int at_end)
{
	struct stat st;
	int fd;

	fd = open(w->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1)
		return errno == ENOENT || errno == ENOTDIR ? WATCH_MISSING
							   : WATCH_FAILED;
	if (fstat(fd, &st) == -1) {
		int saved = errno;
		close(fd);
		errno = saved;
		return WATCH_FAILED;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return WATCH_FAILED;
	}
	watch_close(w);
	w->fd = fd;
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	w->offset = at_end ? (uint64_t)st.st_size : 0;
	return WATCH_OPENED;
}

void
watch_close(struct watch *w)
{
	if (w->fd != -1 && close(w->fd) == -1)
		log_warn("closing %s", w->path);
	w->fd = -1;
}

int
watch_replaced(const struct watch *w)
{
	struct stat st;

	if (stat(w->path, &st) == -1)
		return errno == ENOENT || errno == ENOTDIR ? 1 : -1;
	return w->fd == -1 || st.st_dev != w->dev || st.st_ino != w->ino;
}
