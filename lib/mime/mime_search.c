/*
 * mime_search: SEARCH text matching (see mime_search.h).  Each field or
 * part is decoded into scratch a, converted to UTF-8 into b, mapped by
 * casemap into a again, and searched with memmem: one text at a time.
 *
 * Trust: the message and the search string are strangers'; each text is
 * bounded by the search's maximum.
 */
#include <errno.h>
#include <string.h>

#include "casemap.h"
#include "charset.h"
#include "header_scan.h"
#include "mime_decode.h"
#include "mime_search.h"
#include "rfc2047.h"
#include "utf8.h"

int
mime_search_init(struct mime_search *s, const char *str, size_t n,
    size_t max)
{
	buf_init(&s->needle, 4 * n + 16);
	buf_init(&s->a, max);
	buf_init(&s->b, max);
	s->max = max;
	if (!utf8_valid(str, n) || memchr(str, '\0', n) != NULL) {
		errno = EILSEQ;
		return -1;
	}
	if (casemap_utf8(str, n, &s->needle) == -1)
		return -1;
	return 0;
}

void
mime_search_free(struct mime_search *s)
{
	buf_free(&s->needle);
	buf_free(&s->a);
	buf_free(&s->b);
}

/* Does the mapped form of the UTF-8 text in t contain the needle? */
static int
text_match(struct mime_search *s, const struct buf *t, struct buf *scratch)
{
	if (s->needle.len == 0)
		return 1;
	buf_reset(scratch);
	if (casemap_utf8(t->data == NULL ? "" : t->data, t->len, scratch) == -1)
		return -1;
	return scratch->len >= s->needle.len &&
	    memmem(scratch->data, scratch->len, s->needle.data,
	    s->needle.len) != NULL;
}

static int
field_match(struct mime_search *s, const struct header_field *f, int name)
{
	const char	*v = f->value;
	size_t		 n = f->valuelen;

	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	buf_reset(&s->b);
	/* TEXT: "Subject: x" is text too, so the name is searched with it. */
	if (name && (buf_append(&s->b, f->name, f->namelen) == -1 ||
	    buf_append(&s->b, ": ", 2) == -1))
		return -1;
	if (rfc2047_decode(v, n, &s->b) == -1)
		return -1;
	return text_match(s, &s->b, &s->a);
}

int
mime_search_value(struct mime_search *s, const char *value, size_t n)
{
	struct header_field	f = { "", 0, value, n };

	return field_match(s, &f, 0);
}

int
mime_search_header(struct mime_search *s, const char *hdr, size_t len,
    const char *field)
{
	struct header_scan	hs;
	struct header_field	f;
	int			r;

	header_scan_init(&hs, hdr, len);
	while (header_scan_next(&hs, &f)) {
		if (field != NULL && !header_name_is(&f, field))
			continue;
		if ((r = field_match(s, &f, field == NULL)) != 0)
			return r;
	}
	return 0;
}

/* Is p a part whose body is text to search? */
static int
part_is_text(const struct mime_part *p)
{
	return (p->flags & (MIME_F_MULTIPART | MIME_F_MESSAGE)) == 0 &&
	    mime_part_is(p, "text", NULL);
}

static int
part_match(struct mime_search *s, const struct mime_tree *t,
    const struct mime_part *p)
{
	struct mime_str	cs = mime_part_charset(p);
	int		r;

	buf_reset(&s->a);
	r = mime_part_decode(t, p, 0, &s->a);
	if (r == MIME_DECODE_ECTE) {
		/* An unknown encoding: search the bytes as they are. */
		buf_reset(&s->a);
		r = buf_append(&s->a, t->msg + p->body_off, p->body_len);
	}
	if (r != 0)
		return -1;
	buf_reset(&s->b);
	r = charset_to_utf8(cs.p, cs.len, s->a.data == NULL ? "" : s->a.data,
	    s->a.len, &s->b);
	if (r == 1) {
		/* Unknown charset: the bytes, made valid UTF-8. */
		buf_reset(&s->b);
		r = utf8_sanitize(s->a.data == NULL ? "" : s->a.data, s->a.len,
		    UTF8_FALLBACK_CP1252, &s->b);
	}
	if (r != 0)
		return -1;
	return text_match(s, &s->b, &s->a);
}

/*
 * Walks the tree in order (no recursion: parent links), searching the
 * text parts' bodies and, with headers, every header section.
 */
static int
tree_search(struct mime_search *s, const struct mime_tree *t, int headers)
{
	const struct mime_part	*p = t->root;
	int			 r;

	while (p != NULL) {
		if (headers && (r = mime_search_header(s, t->msg + p->hdr_off,
		    p->hdr_len, NULL)) != 0)
			return r;
		if (part_is_text(p) && (r = part_match(s, t, p)) != 0)
			return r;
		if (p->child != NULL) {
			p = p->child;
			continue;
		}
		while (p != NULL && p->next == NULL)
			p = p->parent;
		if (p != NULL)
			p = p->next;
	}
	return 0;
}

int
mime_search_body(struct mime_search *s, const struct mime_tree *t)
{
	return tree_search(s, t, 0);
}

int
mime_search_text(struct mime_search *s, const struct mime_tree *t)
{
	return tree_search(s, t, 1);
}
