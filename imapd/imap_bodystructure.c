/*
 * imap_bodystructure: BODY and BODYSTRUCTURE from a MIME tree (see
 * imap_bodystructure.h).  Recursive, as deep as the tree (at most
 * MIME_DEPTH_MAX).
 *
 * Trust: the tree describes a stranger's message; every string goes out
 * through imap_quote.
 */
#include <stddef.h>

#include "buf.h"
#include "imap_bodystructure.h"
#include "imap_envelope.h"
#include "imap_quote.h"
#include "mime.h"

struct bs {
	struct buf		*out;
	const struct mime_tree	*t;
	unsigned		 flags;
	int			 extended;
};

static int
str(struct bs *bs, struct mime_str s)
{
	return imap_quote_nstring(bs->out, s.p, s.len, bs->flags);
}

static int
lit(struct bs *bs, const char *s)
{
	return buf_append_str(bs->out, s);
}

/* ("name" "value" ...), with the charset default of a text part. */
static int
params(struct bs *bs, const struct mime_param *p, int text_default)
{
	int	first = 1;

	if (p == NULL && !text_default)
		return lit(bs, "NIL");
	if (lit(bs, "(") == -1)
		return -1;
	for (; p != NULL; p = p->next) {
		if ((!first && lit(bs, " ") == -1) || str(bs, p->name) == -1 ||
		    lit(bs, " ") == -1 || str(bs, p->value) == -1)
			return -1;
		first = 0;
	}
	if (text_default && ((!first && lit(bs, " ") == -1) ||
	    lit(bs, "\"charset\" \"us-ascii\"") == -1))
		return -1;
	return lit(bs, ")");
}

/* body-fld-dsp body-fld-lang body-fld-loc */
static int
extension_tail(struct bs *bs, const struct mime_part *p)
{
	const struct mime_lang	*l;

	if (lit(bs, " ") == -1)
		return -1;
	if (p->disposition.p == NULL) {
		if (lit(bs, "NIL") == -1)
			return -1;
	} else if (lit(bs, "(") == -1 || str(bs, p->disposition) == -1 ||
	    lit(bs, " ") == -1 || params(bs, p->disposition_params, 0) == -1 ||
	    lit(bs, ")") == -1)
		return -1;
	if (lit(bs, " ") == -1)
		return -1;
	if (p->language == NULL) {
		if (lit(bs, "NIL") == -1)
			return -1;
	} else {
		if (lit(bs, "(") == -1)
			return -1;
		for (l = p->language; l != NULL; l = l->next)
			if ((l != p->language && lit(bs, " ") == -1) ||
			    str(bs, l->tag) == -1)
				return -1;
		if (lit(bs, ")") == -1)
			return -1;
	}
	if (lit(bs, " ") == -1)
		return -1;
	return str(bs, p->location);
}

static int	part_write(struct bs *, const struct mime_part *);

static int
multipart_write(struct bs *bs, const struct mime_part *p)
{
	const struct mime_part	*c;

	if (lit(bs, "(") == -1)
		return -1;
	for (c = p->child; c != NULL; c = c->next)
		if (part_write(bs, c) == -1)
			return -1;
	if (lit(bs, " ") == -1 || str(bs, p->subtype) == -1)
		return -1;
	if (bs->extended && (lit(bs, " ") == -1 ||
	    params(bs, p->params, 0) == -1 || extension_tail(bs, p) == -1))
		return -1;
	return lit(bs, ")");
}

static int
single_write(struct bs *bs, const struct mime_part *p)
{
	static const struct mime_str	 application = { "application", 11 };
	static const struct mime_str	 octet = { "octet-stream", 12 };
	static const struct mime_str	 sevenbit = { "7bit", 4 };
	static const struct mime_str	 message = { "message", 7 };
	static const struct mime_str	 rfc822 = { "rfc822", 6 };
	static const struct mime_str	 global = { "global", 6 };
	struct mime_str			 type = p->type, subtype = p->subtype;
	const struct mime_part		*m;
	int				 text, whole_multipart;

	/* A multipart the depth limit left whole is an opaque blob. */
	whole_multipart = mime_part_is(p, "multipart", NULL);
	text = !whole_multipart && mime_part_is(p, "text", NULL);
	if (whole_multipart) {
		type = application;
		subtype = octet;
	} else if (p->flags & MIME_F_MESSAGE) {
		/* Lower case, as Dovecot writes them. */
		type = message;
		subtype = mime_str_eq(p->subtype, "global") ? global : rfc822;
	}
	if (lit(bs, "(") == -1 || str(bs, type) == -1 ||
	    lit(bs, " ") == -1 || str(bs, subtype) == -1 ||
	    lit(bs, " ") == -1 ||
	    params(bs, p->params, text &&
	    mime_param_find(p->params, "charset") == NULL) == -1 ||
	    lit(bs, " ") == -1 || str(bs, p->id) == -1 || lit(bs, " ") == -1 ||
	    str(bs, p->description) == -1 || lit(bs, " ") == -1 ||
	    str(bs, p->cte_name.p != NULL ? p->cte_name : sevenbit) == -1 ||
	    buf_printf(bs->out, " %zu", p->body_len) == -1)
		return -1;
	if ((p->flags & MIME_F_MESSAGE) && (m = p->child) != NULL) {
		if (lit(bs, " ") == -1 ||
		    imap_envelope_write(bs->out, bs->t->msg + m->hdr_off,
		    m->hdr_len, bs->flags) == -1 ||
		    lit(bs, " ") == -1 || part_write(bs, m) == -1 ||
		    buf_printf(bs->out, " %zu", p->body_lines) == -1)
			return -1;
	} else if (text && buf_printf(bs->out, " %zu", p->body_lines) == -1)
		return -1;
	if (bs->extended && (lit(bs, " ") == -1 || str(bs, p->md5) == -1 ||
	    extension_tail(bs, p) == -1))
		return -1;
	return lit(bs, ")");
}

static int
part_write(struct bs *bs, const struct mime_part *p)
{
	if (p->flags & MIME_F_MULTIPART)
		return multipart_write(bs, p);
	return single_write(bs, p);
}

int
imap_bodystructure_write(struct buf *out, const struct mime_tree *t,
    const struct mime_part *p, int extended, unsigned flags)
{
	struct bs	bs = { out, t, flags, extended };

	return part_write(&bs, p);
}
