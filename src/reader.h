/* reader.h -- the read job: pread a chunk and cut it into whole lines.
 *
 * Everything here is pure with respect to tailmux's state: it runs on a
 * worker thread (or, for a read that never waits, on the loop thread),
 * reads only the request and writes only the result, and
 * for a gzipped file advances the struct gunzip the request lends it. */
#ifndef TAILMUX_READER_H
#define TAILMUX_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "buf.h"
#include "config.h"
#include "gunzip.h"
#include "state.h"

/* Bytes one job asks for; a line longer than this makes the job read on,
 * up to max_line. */
#define READER_CHUNK (256 * 1024)

/* Bytes asked for beyond the file's size, so that a short read marks its
 * end even when it grew a little after fstat(). */
#define READER_SLACK 4096

struct reader_stats {
	uint64_t lines;         /* lines rendered */
	uint64_t splits;        /* pieces cut from lines over max_line */
	uint64_t newline_added; /* final lines that lacked their newline */
};

/* What one read needs.  The strings belong to the caller for the call. */
struct reader_req {
	int fd;
	uint64_t offset; /* where a line starts */
	size_t chunk;
	size_t max_line;
	int final;       /* at end of file, emit a last partial line too */
	uint32_t fp_len; /* the file's known fingerprint (0: none yet) */
	uint64_t fp_hash;
	struct state_quick quick; /* a faster check of it, if it has one */
	enum format format;
	const char *tag;
	const char *path;
	struct gunzip *gz; /* NULL: fd is the file itself.  Else fd is a gzip
	                      file, offset and the fingerprint are in its
	                      decompressed stream, and gz (the caller's, lent
	                      for the call) decompresses it */
	size_t nowait;     /* 0: a worker's read, which may wait for the disk.
	                      Else a read on the loop thread that never does:
	                      of a plain file holding at most this many bytes
	                      past the offset, all of them in the page cache
	                      (preadv2's RWF_NOWAIT); any other fails with
	                      EAGAIN, and nothing of it was read */
	char *scratch;     /* with nowait: the caller's buffer of nowait
	                      bytes, read into first */
};

/* What one read found. */
struct reader_result {
	struct buf out;       /* rendered lines, for the output as they are */
	uint64_t next_offset; /* where the next read starts */
	int eof;              /* the read reached the end of the file; for
	                         gz, of the complete stream */
	int partial;          /* gz only: the file ends inside the stream (it
	                         is still being written): nothing more can be
	                         read until it grows (eof is 0) */
	int err;              /* errno of a failed read, or 0; for gz,
	                         EBADMSG when the data is damaged, and
	                         gunzip_error(req->gz) says how */
	struct stat st;       /* fstat() of the file before the read (for gz,
	                         of the compressed file); with nowait only
	                         st_size, the file's size as the read found
	                         it */
	int fp_changed;       /* after the read, the file's leading bytes no
	                         longer match req's fingerprint: it was
	                         truncated (and perhaps refilled) */
	uint32_t fp_len;      /* the fingerprint after the read */
	uint64_t fp_hash;
	struct state_quick quick; /* for it (plain files) */
	struct reader_stats stats;
};

typedef void (*reader_line_fn)(void *arg, const char *line, size_t len);

/* Calls fn for each line of data[0..len) without its newline: each complete
 * line, each max_line piece of a line known to be longer, and, when
 * `final', the trailing partial line.  Returns the bytes consumed; an
 * unconsumed tail is a partial line shorter than max_line. */
size_t reader_split(const char *data, size_t len, size_t max_line, int final,
                    reader_line_fn fn, void *arg, struct reader_stats *st);

/* Reads from req->offset and renders the whole lines found into res.
 * res->out is empty when there was nothing whole to read.  Also takes the
 * file's fingerprint (see state.h), so that a file truncated and refilled
 * between two reads is noticed.  With req->gz the bytes are the
 * decompressed stream's, cut and rendered the same way, and the
 * fingerprint is that of its first bytes. */
void reader_run(const struct reader_req *req, struct reader_result *res);

/* Nonzero if err, from a read with req->nowait, says only that the read
 * would have waited (or that the file system cannot say it would not):
 * a worker should do it. */
int reader_would_wait(int err);

/* The fingerprint of a file's leading bytes: the first STATE_FP_MAX of
 * them, or all there are.  Returns its length and hash. */
uint32_t reader_fingerprint(const char *head, size_t len, uint64_t *hash);

#endif
