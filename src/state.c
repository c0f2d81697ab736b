/* state.c -- the checkpoint file.
 *
 * The protocol.  A checkpoint names one output file (device, inode) and a
 * length L, and for each input file its identity (device, inode and a
 * fingerprint of its first KiB) and an offset O.  Invariant: the first L
 * bytes of that output hold exactly the lines of each input file before its
 * O, each file's in order; no more, no less.
 *
 * 1. Offsets follow the output, not the reads.  The loop thread keeps for
 *    each input file the offset of the lines it has *written*: a chunk of
 *    rendered lines carries the input offset it ends at, and that offset is
 *    taken only when write(2) has returned for the chunk's last byte.  L is
 *    the length of the output after that same chunk.  Lines read but not
 *    written are in no checkpoint.
 * 2. A save renders (L, every O) on the loop thread at one instant, between
 *    two writes, so they agree.  A worker then writes them to a temporary
 *    file beside the state file, fsyncs it, renames it over the state file
 *    and fsyncs the directory.  A crash before the rename leaves the old
 *    checkpoint, after it the new one; both satisfy the invariant, because
 *    the output only grows after the point each one describes.
 * 3. Restart.  The output named by the checkpoint is opened; if it is longer
 *    than L, the lines past L are ones whose offsets were never saved, so it
 *    is cut back to L and those lines are read again from the inputs: each
 *    appears once.  kill -9 keeps the page cache, so the output is never
 *    shorter than L then; after a power loss without fsync it may be, which
 *    is logged (the lines between cannot be recovered from the output).
 * 4. An input file is found again by identity: at its path if the device,
 *    inode and fingerprint still match, else among the files of its
 *    directory (where rotation renamed it); its rest is read before the file
 *    now at the path.  A file at the path with the same inode but another
 *    fingerprint is a new file that reused the inode: it is read from 0.
 * 5. The output changes files at a barrier (barrier.c): held at a line
 *    boundary, renamed (rotation) or reopened, and a checkpoint naming the
 *    new file at length 0 is rendered before anything is written to it.
 *    A crash before that save restarts on the old file, found by identity
 *    where the rotation renamed it, cut back to its L; the new file, which
 *    a rotation lets take lines meanwhile, is cut back to 0; the lines past
 *    L go to the new file.  A reopen after an outside rename first saves a
 *    checkpoint naming the old file at its final length, as it may be out
 *    of reach, and writes nothing to the new file before the second save.
 *
 * The file is text, checked by a trailing hash, so that a torn or damaged
 * file is detected and reported (and then treated as empty):
 *
 *	tailmux-state 1
 *	output DEV INO LEN PATH
 *	file DEV INO OFFSET FPLEN FPHASH PATH [SEEN]
 *	done DEV INO OFFSET FPLEN FPHASH PATH [SEEN]
 *	copy DEV INO OFFSET FPLEN FPHASH PATH [SEEN]
 *	forward DEV INO OFFSET NAME
 *	end COUNT HASH
 *
 * A "done" file was read to its end and closed after rotation; it is kept
 * so that the file, found again under another name (a glob matching the
 * rotated name), goes on from its end instead of being read twice.  A
 * "copy" is the old contents of a file truncated in place (copytruncate)
 * whose copy had not been found yet: at restart the copy is looked for as
 * at run time, and read from OFFSET.  Until the copy is found, the lines
 * of the old contents still waiting for the output commit to the copy
 * entry, not to the file (which starts over at 0), so that a kill -9
 * right after the truncation loses nothing.
 *
 * A "forward" line is the cursor of the forwarder [forward:NAME]: the
 * output file (rotated or current) it reads, and the offset in it up to
 * which the receiver acknowledged every line (forward.c).  It names only
 * output bytes the same checkpoint's output line covers, so a cut-back at
 * restart never leaves a cursor past the end.  COUNT counts the file
 * entries alone, so checkpoints written before forwarders load as they
 * were.
 *
 * SEEN, when there, is when the file's contents were first seen (ns since
 * the epoch): a copy of them, when one is looked for by a short
 * fingerprint alone, must have been created since; and a file of the
 * path's directory that the checkpoint does not name, born before the
 * newest of them that was read from, is no generation missed.  Files
 * written before it was added have none.
 *
 * PATH is percent-encoded (bytes below '!', '%' and above '~', each as "%"
 * and two upper-case hex digits), so it holds no space.  HASH is
 * state_hash() of every byte before the "end" line.  The parser takes the
 * lines only exactly as state_format() writes them: fields one space apart,
 * numbers in plain decimal, no other escapes; anything else is damage. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "path.h"
#include "state.h"
#include "xmalloc.h"

/* The entries a checkpoint has room for at first. */
#define STATE_MIN_ROOM 8

#define STATE_MAGIC "tailmux-state 1"

/* The first word of an entry's line, by enum state_kind. */
static const char *const state_kind_word[] = {"file", "done", "copy"};
#define STATE_MAX_SIZE (64 * 1024 * 1024)

uint64_t
state_hash_more(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t
state_hash(const void *data, size_t len)
{
	return state_hash_more(STATE_HASH_INIT, data, len);
}

struct state_file *
state_add(struct state *st, const char *path, uint64_t dev, uint64_t ino,
          uint64_t offset, uint32_t fp_len, uint64_t fp_hash)
{
	struct state_file *f;
	size_t n = st->nfiles;

	/* Room for STATE_MIN_ROOM, then doubled at each power of two: a
	 * checkpoint of many files is not copied once per file (what
	 * realloc does where it cannot grow in place). */
	if (n == 0 || (n >= STATE_MIN_ROOM && (n & (n - 1)) == 0))
		st->files =
		    xreallocarray(st->files, n == 0 ? STATE_MIN_ROOM : n * 2,
		                  sizeof *st->files);
	f = &st->files[st->nfiles++];
	f->path = xstrdup(path);
	f->dev = dev;
	f->ino = ino;
	f->offset = offset;
	f->fp_len = fp_len;
	f->fp_hash = fp_hash;
	f->seen_at = 0;
	f->kind = STATE_OPEN;
	return f;
}

struct state_file *
state_find(const struct state *st, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < st->nfiles; i++)
		if (st->files[i].dev == dev && st->files[i].ino == ino &&
		    st->files[i].kind != STATE_COPY)
			return &st->files[i];
	return NULL;
}

void
state_add_forward(struct state *st, const char *name, uint64_t dev,
                  uint64_t ino, uint64_t offset)
{
	struct state_forward *f;

	st->forwards = xreallocarray(st->forwards, st->nforwards + 1,
	                             sizeof *st->forwards);
	f = &st->forwards[st->nforwards++];
	f->name = xstrdup(name);
	f->dev = dev;
	f->ino = ino;
	f->offset = offset;
}

const struct state_forward *
state_find_forward(const struct state *st, const char *name)
{
	for (size_t i = 0; i < st->nforwards; i++)
		if (strcmp(st->forwards[i].name, name) == 0)
			return &st->forwards[i];
	return NULL;
}

void
state_clear(struct state *st)
{
	for (size_t i = 0; i < st->nfiles; i++)
		free(st->files[i].path);
	free(st->files);
	for (size_t i = 0; i < st->nforwards; i++)
		free(st->forwards[i].name);
	free(st->forwards);
	free(st->out_path);
	memset(st, 0, sizeof *st);
}

/* Appends `path' percent-encoded. */
static void
state_put_path(struct buf *out, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p <= ' ' || *p == '%' || *p > '~') {
			char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			buf_add(out, esc, 3);
		} else
			buf_add_byte(out, (char)*p);
	}
}

/* The value of a hex digit as state_put_path() writes it (upper case);
 * -1 for any other byte. */
static int
state_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes a path state_put_path() wrote, in place: "%" and exactly two
 * hex digits for each byte it escapes, and every other byte as it is.
 * -1 for anything else (an empty path, a short or signed escape, %00, a
 * byte that should have been escaped or one that should not). */
static int
state_get_path(char *s)
{
	char *w = s;
	int hi, lo;
	unsigned char c;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		c = (unsigned char)*s;
		if (c != '%') {
			if (c <= ' ' || c > '~')
				return -1;
			*w++ = *s;
			continue;
		}
		if ((hi = state_hex_digit(s[1])) == -1 ||
		    (lo = state_hex_digit(s[2])) == -1)
			return -1;
		c = (unsigned char)(hi << 4 | lo);
		if (c == 0 || (c > ' ' && c != '%' && c <= '~'))
			return -1;
		*w++ = (char)c;
		s += 2;
	}
	*w = '\0';
	return 0;
}

/* Splits `line' in place at its spaces into at most `max' fields; returns
 * how many, or -1 for an empty field (two spaces, or one at either end) or
 * more than `max'. */
static int
state_split(char *line, char **fields, int max)
{
	int n = 0;
	char *sp;

	for (;;) {
		if (n == max || *line == '\0' || *line == ' ')
			return -1;
		fields[n++] = line;
		if ((sp = strchr(line, ' ')) == NULL)
			return n;
		*sp = '\0';
		line = sp + 1;
	}
}

/* Parses a decimal number as state_format() writes it: digits only, no
 * leading zero but in "0", at most UINT64_MAX.  No sign, no blanks. */
static int
state_get_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned d;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Parses exactly 16 lower-case hex digits, as "%016" PRIx64 writes. */
static int
state_get_x64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 16; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			v = v << 4 | (uint64_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v = v << 4 | (uint64_t)(s[i] - 'a' + 10);
		else
			return -1;
	}
	if (s[i] != '\0')
		return -1;
	*out = v;
	return 0;
}

void
state_format(const struct state *st, struct buf *out)
{
	size_t start = out->len;
	char line[256];
	int n;

	buf_add(out, STATE_MAGIC "\n", sizeof STATE_MAGIC);
	n = snprintf(line, sizeof line,
	             "output %" PRIu64 " %" PRIu64 " %" PRIu64 " ", st->out_dev,
	             st->out_ino, st->out_len);
	buf_add(out, line, (size_t)n);
	state_put_path(out, st->out_path ? st->out_path : "-");
	buf_add_byte(out, '\n');
	for (size_t i = 0; i < st->nfiles; i++) {
		const struct state_file *f = &st->files[i];
		n = snprintf(line, sizeof line,
		             "%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu32
		             " %016" PRIx64 " ",
		             state_kind_word[f->kind], f->dev, f->ino,
		             f->offset, f->fp_len, f->fp_hash);
		buf_add(out, line, (size_t)n);
		state_put_path(out, f->path);
		if (f->seen_at != 0) {
			n = snprintf(line, sizeof line, " %" PRIu64,
			             f->seen_at);
			buf_add(out, line, (size_t)n);
		}
		buf_add_byte(out, '\n');
	}
	for (size_t i = 0; i < st->nforwards; i++) {
		const struct state_forward *f = &st->forwards[i];
		n = snprintf(line, sizeof line,
		             "forward %" PRIu64 " %" PRIu64 " %" PRIu64 " ",
		             f->dev, f->ino, f->offset);
		buf_add(out, line, (size_t)n);
		state_put_path(out, f->name);
		buf_add_byte(out, '\n');
	}
	n = snprintf(line, sizeof line, "end %zu %016" PRIx64 "\n", st->nfiles,
	             state_hash(out->data + start, out->len - start));
	buf_add(out, line, (size_t)n);
}

/* Parses an "output" line (NUL-terminated, without its newline) into st. */
static int
state_parse_output(char *line, struct state *st, const char **why)
{
	char *f[6];
	uint64_t dev, ino, len;

	if (st->out_path != NULL) {
		*why = "second output line";
		return -1;
	}
	if (state_split(line, f, 6) != 5 || state_get_u64(f[1], &dev) == -1 ||
	    state_get_u64(f[2], &ino) == -1 ||
	    state_get_u64(f[3], &len) == -1 || state_get_path(f[4]) == -1) {
		*why = "malformed output line";
		return -1;
	}
	st->out_dev = dev;
	st->out_ino = ino;
	st->out_len = len;
	st->out_path = xstrdup(f[4]);
	return 0;
}

/* Parses a "forward" line (NUL-terminated, without its newline) into
 * st. */
static int
state_parse_forward(char *line, struct state *st, const char **why)
{
	char *f[6];
	uint64_t dev, ino, offset;

	if (st->out_path == NULL) {
		*why = "forward line before the output line";
		return -1;
	}
	if (state_split(line, f, 6) != 5 || state_get_u64(f[1], &dev) == -1 ||
	    state_get_u64(f[2], &ino) == -1 ||
	    state_get_u64(f[3], &offset) == -1 || state_get_path(f[4]) == -1) {
		*why = "malformed forward line";
		return -1;
	}
	if (state_find_forward(st, f[4]) != NULL) {
		*why = "second forward line for the same name";
		return -1;
	}
	state_add_forward(st, f[4], dev, ino, offset);
	return 0;
}

/* Parses one line (NUL-terminated, without its newline) into st: exactly
 * as state_format() writes them, or -1. */
static int
state_parse_line(char *line, struct state *st, const char **why)
{
	uint64_t dev, ino, offset, fp_len, fp_hash, seen = 0;
	char *f[9];
	int n, kind;

	if (strncmp(line, "output ", 7) == 0)
		return state_parse_output(line, st, why);
	if (strncmp(line, "forward ", 8) == 0)
		return state_parse_forward(line, st, why);
	for (kind = 0; kind < 3; kind++)
		if (strncmp(line, state_kind_word[kind], 4) == 0 &&
		    line[4] == ' ')
			break;
	if (kind == 3) {
		*why = "unknown line";
		return -1;
	}
	if (st->out_path == NULL) {
		*why = "file line before the output line";
		return -1;
	}
	if (st->nforwards > 0) {
		*why = "file line after a forward line";
		return -1;
	}
	n = state_split(line, f, 8);
	if ((n != 7 && n != 8) || state_get_u64(f[1], &dev) == -1 ||
	    state_get_u64(f[2], &ino) == -1 ||
	    state_get_u64(f[3], &offset) == -1 ||
	    state_get_u64(f[4], &fp_len) == -1 || fp_len > STATE_FP_MAX ||
	    state_get_x64(f[5], &fp_hash) == -1 || state_get_path(f[6]) == -1 ||
	    /* SEEN: never 0 */
	    (n == 8 && (state_get_u64(f[7], &seen) == -1 || seen == 0))) {
		*why = "malformed file line";
		return -1;
	}
	state_add(st, f[6], dev, ino, offset, (uint32_t)fp_len, fp_hash)->kind =
	    (enum state_kind)kind;
	st->files[st->nfiles - 1].seen_at = seen;
	return 0;
}

int
state_parse(const char *text, size_t len, struct state *st, char **cause)
{
	const char *p = text, *end = text + len, *nl, *why = NULL;
	uint64_t count, hash;
	char *line;
	int lineno = 0, ended = 0;

	memset(st, 0, sizeof *st);
	while (p < end && !ended) {
		nl = memchr(p, '\n', (size_t)(end - p));
		lineno++;
		if (nl == NULL) {
			why = "last line is cut short";
			break;
		}
		line = xstrndup(p, (size_t)(nl - p));
		if (strlen(line) != (size_t)(nl - p))
			why = "NUL byte";
		else if (lineno == 1) {
			if (strcmp(line, STATE_MAGIC) != 0)
				why = "not a tailmux state file (version 1)";
		} else if (strncmp(line, "end ", 4) == 0) {
			char *f[4];
			if (state_split(line, f, 3) != 3 ||
			    state_get_u64(f[1], &count) == -1 ||
			    state_get_x64(f[2], &hash) == -1)
				why = "malformed end line";
			else if (count != st->nfiles)
				why = "file count does not match";
			else if (hash != state_hash(text, (size_t)(p - text)))
				why = "checksum does not match";
			else if (st->out_path == NULL)
				why = "no output line";
			ended = 1;
		} else
			state_parse_line(line, st, &why);
		free(line);
		if (why != NULL)
			break;
		p = nl + 1;
	}
	if (len == 0) {
		lineno = 1;
		why = "the file is empty";
	}
	if (why == NULL && !ended)
		why = "no end line: the file is cut short";
	if (why == NULL && p != end)
		why = "bytes after the end line";
	if (why != NULL) {
		*cause = xasprintf("line %d: %s", lineno, why);
		state_clear(st);
		return -1;
	}
	return 0;
}

int
state_read(const char *path, struct state *st, char **cause)
{
	struct buf b = {0};
	struct stat sb;
	uint64_t saved_at = 0;
	ssize_t n;
	int fd, r;

	memset(st, 0, sizeof *st);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 1;
		*cause = xasprintf("cannot open: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		buf_reserve(&b, 65536);
		n = read(fd, b.data + b.len, b.cap - b.len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b.len += (size_t)n;
		if (b.len > STATE_MAX_SIZE) {
			n = -1;
			errno = EFBIG;
			break;
		}
	}
	if (n == -1) {
		*cause = xasprintf("cannot read: %s", strerror(errno));
		close(fd);
		buf_free(&b);
		return -1;
	}
	if (fstat(fd, &sb) == 0)
		saved_at = (uint64_t)sb.st_mtim.tv_sec * 1000000000u +
		           (uint64_t)sb.st_mtim.tv_nsec;
	close(fd);
	r = state_parse(b.data ? b.data : "", b.len, st, cause);
	buf_free(&b);
	if (r == -1)
		return -2;
	st->saved_at = saved_at;
	return 0;
}

/* fsyncs the directory holding `path'. */
static int
state_sync_dir(const char *path)
{
	char *dir = path_dir(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = -1;

	if (fd != -1) {
		r = fsync(fd);
		close(fd);
	}
	free(dir);
	return r;
}

int
state_write(const char *path, const void *data, size_t len, char **cause)
{
	char *tmp = xasprintf("%s.tmp", path);
	const char *p = data, *what = "create";
	ssize_t n;
	int fd, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	what = "write";
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		p += n;
		len -= (size_t)n;
	}
	what = "fsync";
	if (fsync(fd) == -1)
		goto fail;
	what = "close";
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	what = "rename";
	if (rename(tmp, path) == -1)
		goto fail;
	what = "fsync the directory of";
	if (state_sync_dir(path) == -1)
		goto fail;
	free(tmp);
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	*cause = xasprintf("cannot %s %s: %s", what,
	                   strcmp(what, "rename") == 0 ? tmp : path,
	                   strerror(saved));
	free(tmp);
	errno = saved;
	return -1;
}
