/*
 * libFuzzer target for imapd's ENVELOPE (imap_envelope.c,
 * imap_address.c, imap_quote.c) and lib/mime's header decoding
 * (rfc2047.c, casemap.c): the input is a header section.  Checks that the
 * ENVELOPE is one well-formed IMAP list of ten items with and without
 * UTF8=ACCEPT, and that the decoded and case-mapped header text is valid
 * UTF-8 without NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "casemap.h"
#include "imap_envelope.h"
#include "imap_quote.h"
#include "imap_wellformed.h"
#include "mime.h"
#include "rfc2047.h"
#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char	*s = (const char *)data;
	struct buf	 out, text;
	unsigned	 flags;
	size_t		 hl = mime_header_len(s, n);

	if (hl > n)
		abort();
	for (flags = 0; flags <= IMAP_FMT_UTF8; flags += IMAP_FMT_UTF8) {
		buf_init(&out, 64 * n + 4096);
		if (imap_envelope_write(&out, s, hl, flags) == -1)
			abort();
		if (imap_wellformed(out.data, out.len, flags) != 10)
			abort();
		buf_free(&out);
	}
	buf_init(&text, 8 * n + 64);
	if (rfc2047_decode(s, n, &text) == -1)
		abort();
	if (!utf8_valid(text.data == NULL ? "" : text.data, text.len) ||
	    (text.len > 0 && memchr(text.data, '\0', text.len) != NULL))
		abort();
	buf_init(&out, 8 * text.len + 64);
	if (casemap_utf8(text.data == NULL ? "" : text.data, text.len, &out) ==
	    -1 || !utf8_valid(out.data == NULL ? "" : out.data, out.len))
		abort();
	buf_free(&out);
	buf_free(&text);
	return 0;
}
