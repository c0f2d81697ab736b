/* rfc5424.h -- syslog messages as bytes: a line of the output rendered as
 * an RFC 5424 message, and RFC 6587's octet-counted framing of a message
 * on a TCP stream.  Pure: no I/O, no clock, no state but what the caller
 * hands in. */
#ifndef TAILMUX_RFC5424_H
#define TAILMUX_RFC5424_H

#include <stddef.h>

#include "buf.h"
#include "config.h"

/* The SD-ID of the element naming a line's source.  32473 is the
 * enterprise number RFC 5612 sets aside for examples: tailmux has none of
 * its own. */
#define RFC5424_SD_ID "tailmux@32473"

/* The longest APP-NAME. */
#define RFC5424_APP_NAME_MAX 48

/* The fields of one output line, as its format gives them: pointers into
 * the line. */
struct rfc5424_line {
	const char *time; /* FORMAT_TIME_LEN bytes of RFC 3339, or NULL */
	const char *tag;  /* the input's tag, or NULL */
	size_t tag_len;
	const char *path; /* the file it was read from, or NULL */
	size_t path_len;
	const char *msg; /* the line as read */
	size_t msg_len;
	int escaped; /* tag, path and msg are JSON string bodies */
};

/* Splits the output line [line, line + len) (without its newline), written
 * in the output format `fmt', into its fields.  A line that is not as
 * `fmt' writes one (the format was changed by a reload) is all message. */
void rfc5424_line_split(enum format fmt, const char *line, size_t len,
                        struct rfc5424_line *l);

/* Appends the RFC 5424 message of `l': PRI 14 (user.info), version 1, the
 * line's time (else `now', FORMAT_TIME_LEN bytes), `hostname', the tag as
 * APP-NAME (else "tailmux"; bytes outside printable US-ASCII become '_',
 * at most RFC5424_APP_NAME_MAX of them), no PROCID or MSGID, an element
 * RFC5424_SD_ID with the path as "path" if the line gives one (else no
 * structured data), and the line as MSG. */
void rfc5424_message_add(struct buf *out, const struct rfc5424_line *l,
                         const char *now, const char *hostname);

/* Appends the `len' bytes of `msg' framed by octet counting (RFC 6587
 * 3.4.1): "MSG-LEN SP MSG", with no trailer. */
void rfc5424_frame_add(struct buf *out, const void *msg, size_t len);

#endif
