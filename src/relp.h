/* relp.h -- RELP, the Reliable Event Logging Protocol, as bytes: the frames
 * a client sends and the parsing of what the server answers.  Pure: no I/O,
 * no state but what the caller hands in.
 *
 * A frame is "TXNR SP COMMAND SP DATALEN [SP DATA] LF" (relp.html, shipped
 * with librelp).  TXNR counts from 1 to 999999999 and then starts again at
 * 1; 0 is for hints (the server's "serverclose").  A "rsp" answers the
 * command of the same TXNR, in order, with "CODE [SP TEXT] [LF DATA]". */
#ifndef TAILMUX_RELP_H
#define TAILMUX_RELP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The highest transaction number; the one after it is 1. */
#define RELP_TXNR_MAX 999999999u

/* The longest DATA relp_parse() takes from a server. */
#define RELP_MAX_DATA (1024 * 1024)

/* The offers of our "open": version 0 (the one rsyslog speaks) and the
 * syslog command. */
#define RELP_OFFERS "relp_version=0\nrelp_software=tailmux\ncommands=syslog"

/* One frame as parsed: `data' points into the parsed bytes. */
struct relp_frame {
	uint32_t txnr;
	char command[33];
	const char *data;
	size_t len;
};

/* The transaction number after `txnr'. */
uint32_t relp_txnr_next(uint32_t txnr);

/* Appends the frame (txnr, command, the `len' bytes of data) to `out'. */
void relp_frame_add(struct buf *out, uint32_t txnr, const char *command,
                    const void *data, size_t len);

/* Parses the frame at the start of the `n' bytes at `p'.  Returns 1 and
 * fills *f and *used (the frame's bytes, trailer included); 0 when the
 * frame is not whole yet; -1 with a reason in *why when the bytes are no
 * RELP frame. */
int relp_parse(const char *p, size_t n, struct relp_frame *f, size_t *used,
               const char **why);

/* The code of a "rsp" frame's data (200: ok), or -1 if it has none. */
int relp_rsp_code(const struct relp_frame *f);

/* The human text of a "rsp" (after the code, up to the first LF) into
 * `text' (at most `size' - 1 bytes, NUL-terminated). */
void relp_rsp_text(const struct relp_frame *f, char *text, size_t size);

/* True if the answer to our "open" accepts it: code 200, a relp_version
 * offer, and a commands offer that names syslog. */
int relp_open_ok(const struct relp_frame *f);

#endif
