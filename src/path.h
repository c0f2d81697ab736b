/* path.h -- the pieces of a file name, and making its directories. */
#ifndef TAILMUX_PATH_H
#define TAILMUX_PATH_H

/* The directory holding `path', allocated: "." when it names none, "/"
 * for a file at the root. */
char *path_dir(const char *path);

/* The last component of `path', inside it. */
const char *path_base(const char *path);

/* Creates each missing directory above `path' (mode 0755).  Returns 0, or
 * -1 with errno. */
int path_mkdirs(const char *path);

#endif
