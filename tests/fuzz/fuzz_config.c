/* fuzz_config.c -- libFuzzer harness for the configuration loader.
 *
 * The input is a configuration file; the bytes after a first "\n---\n", if
 * any, are a drop-in file conf.d/a.ini beside it, read when the file
 * includes that directory's files.  Both are written into one temporary
 * directory made at start-up (under $TMPDIR, else /tmp) and nothing else is
 * written: the loader only reads.  Every load must end in a configuration or in
 * errors that each name the file ("FILE: " or "FILE:LINE: "), never both, and a
 * file holding a NUL byte or a control character must be rejected. */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[4096];
static char main_path[4200];
static char dropin_path[4200];

/* Writes `len' bytes to `path', replacing it; aborts on failure. */
static void
fuzz_put(const char *path, const uint8_t *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || fwrite(data, 1, len, fp) != len || fclose(fp) != 0)
		abort();
}

/* True if data[0..len) holds a byte a configuration cannot hold (a NUL,
 * or a control character but a tab, a newline or the CR of a CRLF). */
static int
fuzz_has_bad_byte(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];
		if ((c >= ' ' && c != 0x7f) || c == '\t' || c == '\n')
			continue;
		if (c == '\r' && (i + 1 == len || data[i + 1] == '\n'))
			continue;
		return 1;
	}
	return 0;
}

/* Removes the temporary directory and the files the harness put in it. */
static void
fuzz_cleanup(void)
{
	char sub[4200];

	unlink(dropin_path);
	unlink(main_path);
	snprintf(sub, sizeof sub, "%s/conf.d", dir);
	rmdir(sub);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof dir, "%s/tailmux-fuzz-config.XXXXXX",
	         tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		abort();
	}
	snprintf(main_path, sizeof main_path, "%s/tailmux.ini", dir);
	snprintf(dropin_path, sizeof dropin_path, "%s/conf.d", dir);
	if (mkdir(dropin_path, 0700) == -1)
		abort();
	snprintf(dropin_path, sizeof dropin_path, "%s/conf.d/a.ini", dir);
	atexit(fuzz_cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n---\n";
	struct config_errors errs = {0};
	struct config *cfg;
	const uint8_t *cut = NULL;
	size_t main_len = size;

	for (size_t i = 0; i + sizeof sep - 1 <= size; i++)
		if (memcmp(data + i, sep, sizeof sep - 1) == 0) {
			cut = data + i;
			break;
		}
	if (cut != NULL) {
		main_len = (size_t)(cut - data) + 1; /* its newline */
		fuzz_put(dropin_path, cut + sizeof sep - 1,
		         size - main_len - (sizeof sep - 2));
	} else
		unlink(dropin_path);
	fuzz_put(main_path, data, main_len);

	cfg = config_load(main_path, &errs);
	if ((cfg == NULL) == (errs.n == 0))
		abort(); /* errors and a configuration, or neither */
	if (cfg != NULL && fuzz_has_bad_byte(data, main_len))
		abort(); /* a control character was let through */
	for (size_t i = 0; i < errs.n; i++)
		if (strncmp(errs.msgs[i], dir, strlen(dir)) != 0 &&
		    strncmp(errs.msgs[i], "/", 1) != 0)
			abort(); /* an error that does not name its file */
	config_free(cfg);
	config_errors_clear(&errs);
	return 0;
}
