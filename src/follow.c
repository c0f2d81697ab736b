/* follow.c -- one configured path, followed by name through rotations. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "follow.h"
#include "path.h"
#include "xmalloc.h"

struct follow *
follow_create(const char *path, const struct config_input *input)
{
	struct follow *f = xcalloc(1, sizeof *f);

	f->path = xstrdup(path);
	f->dir = path_dir(f->path);
	f->base = path_base(f->path);
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
