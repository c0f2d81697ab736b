/* fuzz_relp.c -- libFuzzer harness for the RELP frame parser.
 *
 * The input is a stream from a server, parsed frame by frame as the
 * forwarder does.  Each frame parsed must lie within the bytes given, hold
 * a command of 1 to 32 letters and at most RELP_MAX_DATA bytes of data, and
 * come back the same when built again with relp_frame_add() and parsed;
 * every prefix of a frame must ask for more bytes, never fail or succeed;
 * the rsp helpers must not read past the data. */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "relp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks one parsed frame `f' of `used' bytes at `p'. */
static void
fuzz_frame(const char *p, size_t used, const struct relp_frame *f)
{
	struct relp_frame g;
	struct buf b = {0};
	const char *why;
	char text[64];
	size_t clen = strlen(f->command), again;

	if (clen == 0 || clen > 32 || f->len > RELP_MAX_DATA || f->data < p ||
	    f->data + f->len > p + used)
		abort();
	for (size_t i = 0; i < clen; i++)
		if (!((f->command[i] >= 'a' && f->command[i] <= 'z') ||
		      (f->command[i] >= 'A' && f->command[i] <= 'Z')))
			abort();
	relp_frame_add(&b, f->txnr, f->command, f->data, f->len);
	if (relp_parse(b.data, b.len, &g, &again, &why) != 1 ||
	    again != b.len || g.txnr != f->txnr ||
	    strcmp(g.command, f->command) != 0 || g.len != f->len ||
	    memcmp(g.data, f->data, f->len) != 0)
		abort();
	for (size_t n = 0; n < used; n++)
		if (relp_parse(p, n, &g, &again, &why) != 0)
			abort();
	(void)relp_rsp_code(f);
	relp_rsp_text(f, text, sizeof text);
	if (strlen(text) >= sizeof text)
		abort();
	(void)relp_open_ok(f);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of its own, so that a read past it is caught. */
	char *p = malloc(size ? size : 1), *q;
	struct relp_frame f;
	const char *why;
	size_t used, left = size;
	int r;

	memcpy(p, data, size);
	q = p;
	while (left > 0) {
		why = NULL;
		r = relp_parse(q, left, &f, &used, &why);
		if (r == -1 && why == NULL)
			abort();
		if (r != 1)
			break;
		if (used == 0 || used > left)
			abort();
		fuzz_frame(q, used, &f);
		q += used;
		left -= used;
	}
	free(p);
	return 0;
}
