/* follow.c -- one configured path, followed by name through rotations. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "follow.h"
#include "xmalloc.h"

struct follow *
follow_create(const char *path, const struct config_input *input)
{
	struct follow *f = xcalloc(1, sizeof *f);
	const char *slash;

	f->path = xstrdup(path);
	slash = strrchr(f->path, '/');
	if (slash == NULL) {
		f->dir = xstrdup(".");
		f->base = f->path;
	} else {
		f->dir = slash == f->path
		             ? xstrdup("/")
		             : xstrndup(f->path, (size_t)(slash - f->path));
		f->base = slash + 1;
	}
	f->input = input;
	return f;
}

void
follow_free(struct follow *f)
{
	if (f == NULL)
		return;
	free(f->path);
	free(f->dir);
	free(f);
}
