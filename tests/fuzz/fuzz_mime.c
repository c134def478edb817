/*
 * libFuzzer target for lib/mime (the parser, decoders, SEARCH matching)
 * and imapd's BODYSTRUCTURE writer: the input is a message.  Checks that
 * every part lies inside the input and inside its parent, depth and part
 * counts keep their limits, BODY and BODYSTRUCTURE are one well-formed
 * IMAP list with and without UTF8=ACCEPT, every part decodes (strictly
 * or not) into a bounded buffer without overrun, and a text search
 * answers 0 or 1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap_bodystructure.h"
#include "imap_quote.h"
#include "imap_wellformed.h"
#include "mime.h"
#include "mime_decode.h"
#include "mime_search.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t
walk(const struct mime_tree *t, const struct mime_part *p, unsigned depth)
{
	const struct mime_part	*c;
	size_t			 n = 1, kids = 0;

	/* below MIME_DEPTH_MAX levels only the stand-in of an unparsed body */
	if (depth > MIME_DEPTH_MAX || p->depth != depth ||
	    (depth == MIME_DEPTH_MAX && !(p->flags & MIME_F_SYNTHETIC)) ||
	    p->hdr_off > t->len || p->hdr_len > t->len - p->hdr_off ||
	    p->body_off > t->len || p->body_len > t->len - p->body_off ||
	    p->hdr_off + p->hdr_len > p->body_off)
		abort();
	if (p->type.p == NULL || p->subtype.p == NULL)
		abort();
	for (c = p->child; c != NULL; c = c->next) {
		if (c->parent != p || c->hdr_off < p->body_off ||
		    c->body_off + c->body_len > p->body_off + p->body_len)
			abort();
		n += walk(t, c, depth + 1);
		kids++;
	}
	if (kids != p->nchildren || ((p->flags & MIME_F_MULTIPART) &&
	    kids == 0) || ((p->flags & MIME_F_MESSAGE) && kids != 1))
		abort();
	return n;
}

static void
decode_all(const struct mime_tree *t, const struct mime_part *p)
{
	const struct mime_part	*c;
	struct buf		 out;
	int			 r;

	buf_init(&out, 4 * t->len + 64);
	r = mime_part_decode(t, p, MIME_DECODE_STRICT, &out);
	if (r != 0 && r != MIME_DECODE_EDATA && r != MIME_DECODE_ECTE)
		abort();
	buf_reset(&out);
	r = mime_part_decode(t, p, 0, &out);
	if (r != 0 && r != MIME_DECODE_ECTE)
		abort();
	if (r == 0 && out.len > p->body_len)
		abort();
	buf_free(&out);
	for (c = p->child; c != NULL; c = c->next)
		decode_all(t, c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct mime_tree	*t;
	struct mime_search	 ms;
	struct buf		 out;
	unsigned		 flags;
	int			 ext, r;

	if ((t = mime_parse((const char *)data, n)) == NULL)
		abort();
	if (walk(t, t->root, 0) != t->nparts || t->nparts > 2 * MIME_PARTS_MAX)
		abort();
	for (flags = 0; flags <= IMAP_FMT_UTF8; flags += IMAP_FMT_UTF8)
		for (ext = 0; ext <= 1; ext++) {
			buf_init(&out, 64 * n + 4096);
			if (imap_bodystructure_write(&out, t, t->root, ext,
			    flags) == -1)
				abort();
			if (imap_wellformed(out.data, out.len,
			    flags & IMAP_FMT_UTF8) < 0)
				abort();
			buf_free(&out);
		}
	decode_all(t, t->root);
	/* Decoding and case mapping may grow a text (U+FDFA: 18 code
	 * points); past the maximum the search says E2BIG, never a guess. */
	if (mime_search_init(&ms, "caf\xc3\xa9", 5, 16 * n + 64) == -1)
		abort();
	errno = 0;
	r = mime_search_text(&ms, t);
	if (r != 0 && r != 1 && !(r == -1 && errno == E2BIG))
		abort();
	mime_search_free(&ms);
	mime_free(t);
	return 0;
}
