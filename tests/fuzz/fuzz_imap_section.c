/*
 * libFuzzer target for imapd/imap_section.c: the input is a section text
 * (up to the first NUL) and a message (the rest).  Checks that a parsed
 * section has its limits, that what it finds is segments inside the
 * message (or the CRLF that ends HEADER.FIELDS) adding up to the size,
 * that partial copies give exactly the clipped byte counts, and that a
 * section without part numbers gives the same bytes without a tree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap_section.h"
#include "mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char			*s = (const char *)data, *nul, *msg;
	struct imap_section		 sec;
	struct imap_section_result	 res;
	struct mime_tree		*t;
	struct buf			 out;
	const char			*why = NULL;
	size_t				 slen, mlen, i, total, off;
	int				 r;

	if ((nul = memchr(s, '\0', n)) == NULL)
		return 0;
	slen = (size_t)(nul - s);
	msg = nul + 1;
	mlen = n - slen - 1;
	if (imap_section_parse(s, slen, 0, &sec, &why) == -1) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (sec.nparts > IMAP_SECTION_PARTS_MAX ||
	    sec.nfields > IMAP_SECTION_FIELDS_MAX)
		abort();
	if ((t = mime_parse(msg, mlen)) == NULL)
		abort();
	if ((r = imap_section_find(t, &sec, &res)) == -1)
		abort();
	total = 0;
	for (i = 0; i < res.nseg; i++) {
		if (res.seg[i].len == 0)
			abort();
		if (!(res.seg[i].len == 2 &&
		    memcmp(res.seg[i].p, "\r\n", 2) == 0) &&
		    (res.seg[i].p < msg ||
		    res.seg[i].p + res.seg[i].len > msg + mlen))
			abort();
		total += res.seg[i].len;
	}
	if (total != res.size || (r == 0 && res.size != 0))
		abort();
	for (off = 0; off <= res.size + 1; off += 1 + res.size / 7) {
		buf_init(&out, res.size + 1);
		if (imap_section_copy(&res, off, 5, &out) == -1)
			abort();
		if (out.len != (off >= res.size ? 0 :
		    (res.size - off < 5 ? res.size - off : 5)))
			abort();
		buf_free(&out);
	}
	/* Without a tree, the same bytes. */
	if (imap_section_is_top(&sec)) {
		struct imap_section_result	top;
		struct buf			a, b;

		if (imap_section_find_top(msg, mlen, &sec, &top) != r ||
		    top.size != res.size)
			abort();
		buf_init(&a, res.size + 1);
		buf_init(&b, res.size + 1);
		if (imap_section_copy(&res, 0, SIZE_MAX, &a) == -1 ||
		    imap_section_copy(&top, 0, SIZE_MAX, &b) == -1 ||
		    a.len != b.len || (a.len > 0 &&
		    memcmp(a.data, b.data, a.len) != 0))
			abort();
		buf_free(&a);
		buf_free(&b);
		imap_section_result_free(&top);
	}
	imap_section_result_free(&res);
	mime_free(t);
	return 0;
}
