/* fuzz_state.c -- libFuzzer harness for the checkpoint parser.
 *
 * The input is parsed as a checkpoint as it is; then its body (all before
 * its last "end " line) is sealed with a right end line (the count of
 * file, done and copy lines and the hash), so that damage the hash would
 * catch first still reaches the line parser.  A parse either fails with a
 * "line N: why" and an empty state, or succeeds, and then state_format()
 * must give back exactly the text parsed: the parser accepts only what the
 * writer writes. */
#include "autoconf.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses text[0..len); on success, checks that it formats back to the same
 * bytes.  Aborts when a promise is broken. */
static void
fuzz_parse(const char *text, size_t len)
{
	struct state st;
	struct buf again = {0};
	char *cause = NULL;
	int line;

	if (state_parse(text, len, &st, &cause) == -1) {
		if (cause == NULL || sscanf(cause, "line %d: ", &line) != 1 ||
		    line < 1 || st.nfiles != 0 || st.files != NULL ||
		    st.nforwards != 0 || st.forwards != NULL ||
		    st.out_path != NULL)
			abort();
		free(cause);
		return;
	}
	state_format(&st, &again);
	if (again.len != len || memcmp(again.data, text, len) != 0)
		abort();
	buf_free(&again);
	state_clear(&st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct buf sealed = {0};
	size_t body = 0, count = 0;
	char end[64];
	int n;

	fuzz_parse(text, size);

	/* The body: up to the start of the last "end " line. */
	for (size_t i = 0; i < size; i++)
		if ((i == 0 || text[i - 1] == '\n') && size - i >= 4 &&
		    memcmp(text + i, "end ", 4) == 0)
			body = i;
	if (body == 0)
		body = size;
	buf_add(&sealed, text, body);
	if (body > 0 && text[body - 1] != '\n')
		buf_add_byte(&sealed, '\n');
	for (size_t i = 0; i < sealed.len; i++)
		if ((i == 0 || sealed.data[i - 1] == '\n') &&
		    sealed.len - i >= 5 &&
		    (memcmp(sealed.data + i, "file ", 5) == 0 ||
		     memcmp(sealed.data + i, "done ", 5) == 0 ||
		     memcmp(sealed.data + i, "copy ", 5) == 0))
			count++;
	n = snprintf(end, sizeof end, "end %zu %016" PRIx64 "\n", count,
	             state_hash(sealed.data, sealed.len));
	buf_add(&sealed, end, (size_t)n);
	fuzz_parse(sealed.data, sealed.len);
	buf_free(&sealed);
	return 0;
}
