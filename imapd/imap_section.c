/*
 * imap_section: section text parsing and lookup (see imap_section.h).
 *
 * Trust: the section text is the client's, the message a stranger's; see
 * imap_section.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "header_scan.h"
#include "imap_section.h"
#include "mime.h"
#include "mime_decode.h"

static const char crlf[] = "\r\n";

/* Matches keyword kw (case-insensitive) at s[*i]; advances past it. */
static int
keyword(const char *s, size_t n, size_t *i, const char *kw)
{
	size_t	len = strlen(kw);

	if (n - *i < len || strncasecmp(s + *i, kw, len) != 0)
		return 0;
	*i += len;
	return 1;
}

static int
fail(const char **why, const char *msg)
{
	*why = msg;
	return -1;
}

/* ASTRING-CHAR of an atom (RFC 3501 9, without ']' and '(' ')'). */
static int
is_atom_char(int c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

/* One header-fld-name: atom, quoted string or literal {n}CRLF. */
static int
field_name(const char *s, size_t n, size_t *i, struct imap_section *sec,
    const char **why)
{
	size_t	start = *i, len = 0, k;
	char	*end;

	if (sec->nfields == IMAP_SECTION_FIELDS_MAX)
		return fail(why, "too many header field names");
	if (*i < n && s[*i] == '"') {
		/* Field names hold no '"' or '\': no escapes to undo. */
		for (k = ++start; k < n && s[k] != '"'; k++)
			if (s[k] == '\\' || s[k] == '\r' || s[k] == '\n')
				return fail(why, "bad quoted field name");
		if (k >= n)
			return fail(why, "unterminated quoted field name");
		len = k - start;
		*i = k + 1;
	} else if (*i < n && s[*i] == '{') {
		unsigned long v = strtoul(s + *i + 1, &end, 10);
		k = (size_t)(end - s);
		if (end == s + *i + 1 || v > IMAP_SECTION_NAME_MAX)
			return fail(why, "bad literal field name");
		if (k < n && s[k] == '+')	/* LITERAL+ */
			k++;
		if (n - k < 3 + v || s[k] != '}' || s[k + 1] != '\r' ||
		    s[k + 2] != '\n')
			return fail(why, "bad literal field name");
		start = k + 3;
		len = v;
		*i = start + len;
	} else {
		while (*i < n && is_atom_char((unsigned char)s[*i]))
			(*i)++;
		len = *i - start;
	}
	if (len == 0 || len > IMAP_SECTION_NAME_MAX)
		return fail(why, "bad header field name");
	/* A field name is printable ASCII without ':' (RFC 5322 3.6.8). */
	for (k = start; k < start + len; k++)
		if ((unsigned char)s[k] <= 0x20 || (unsigned char)s[k] >= 0x7f ||
		    s[k] == ':')
			return fail(why, "bad header field name");
	sec->field[sec->nfields].p = s + start;
	sec->field[sec->nfields].len = len;
	sec->nfields++;
	return 0;
}

static int
field_list(const char *s, size_t n, size_t *i, struct imap_section *sec,
    const char **why)
{
	if (*i >= n || s[*i] != ' ' || *i + 1 >= n || s[*i + 1] != '(')
		return fail(why, "header field list expected");
	*i += 2;
	for (;;) {
		if (field_name(s, n, i, sec, why) == -1)
			return -1;
		if (*i < n && s[*i] == ')') {
			(*i)++;
			return 0;
		}
		if (*i >= n || s[*i] != ' ')
			return fail(why, "bad header field list");
		(*i)++;
	}
}

int
imap_section_parse(const char *s, size_t n, unsigned flags,
    struct imap_section *sec, const char **why)
{
	size_t		i = 0;
	uint64_t	v;

	memset(sec, 0, sizeof(*sec));
	sec->kind = IMAP_SECTION_ALL;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (s[i] == '0')
			return fail(why, "part numbers start at 1");
		for (v = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if ((v = v * 10 + (uint64_t)(s[i] - '0')) > UINT32_MAX)
				return fail(why, "part number too large");
		if (sec->nparts == IMAP_SECTION_PARTS_MAX)
			return fail(why, "too many part numbers");
		sec->part[sec->nparts++] = (uint32_t)v;
		if (i == n)
			return 0;
		if (s[i] != '.')
			return fail(why, "bad section");
		i++;
		if (i == n)
			return fail(why, "bad section");
	}
	if (i == n)
		return 0;	/* BODY[] */
	if (flags & IMAP_SECTION_BINARY)
		return fail(why, "BINARY takes part numbers only");
	if (keyword(s, n, &i, "HEADER.FIELDS.NOT")) {
		sec->kind = IMAP_SECTION_FIELDS_NOT;
		if (field_list(s, n, &i, sec, why) == -1)
			return -1;
	} else if (keyword(s, n, &i, "HEADER.FIELDS")) {
		sec->kind = IMAP_SECTION_FIELDS;
		if (field_list(s, n, &i, sec, why) == -1)
			return -1;
	} else if (keyword(s, n, &i, "HEADER"))
		sec->kind = IMAP_SECTION_HEADER;
	else if (keyword(s, n, &i, "TEXT"))
		sec->kind = IMAP_SECTION_TEXT;
	else if (keyword(s, n, &i, "MIME")) {
		if (sec->nparts == 0)
			return fail(why, "MIME needs a part number");
		sec->kind = IMAP_SECTION_MIME;
	} else
		return fail(why, "bad section");
	if (i != n)
		return fail(why, "bad section");
	return 0;
}

/* The nth (1-based) child of p, or NULL. */
static const struct mime_part *
child_nth(const struct mime_part *p, uint32_t nth)
{
	const struct mime_part	*c;

	if (nth > p->nchildren)
		return NULL;
	for (c = p->child; c != NULL && --nth > 0; c = c->next)
		;
	return c;
}

/* The part the numbers name, or NULL. */
static const struct mime_part *
part_find(const struct mime_tree *t, const struct imap_section *sec)
{
	const struct mime_part	*p = t->root, *m;
	size_t			 i;

	for (i = 0; i < sec->nparts; i++) {
		if (i == 0)
			m = p;			/* the message itself */
		else if (p->flags & MIME_F_MESSAGE)
			m = p->child;		/* the encapsulated message */
		else if (p->flags & MIME_F_MULTIPART) {
			if ((p = child_nth(p, sec->part[i])) == NULL)
				return NULL;
			continue;
		} else
			return NULL;		/* a leaf has no subparts */
		if (m->flags & MIME_F_MULTIPART)
			p = child_nth(m, sec->part[i]);
		else
			p = sec->part[i] == 1 ? m : NULL;
		if (p == NULL)
			return NULL;
	}
	return p;
}

static int
seg_add(struct imap_section_result *res, const char *p, size_t len)
{
	struct imap_seg	*s;
	size_t		 ncap;

	if (len == 0)
		return 0;
	/* Fields next to each other in the message make one segment. */
	if (res->nseg > 0 && p != crlf) {
		s = &res->seg[res->nseg - 1];
		if (s->p != crlf && s->p + s->len == p) {
			s->len += len;
			res->size += len;
			return 0;
		}
	}
	if (res->nseg == res->cap) {
		ncap = res->cap == 0 ? 4 : res->cap * 2;
		if ((s = reallocarray(res->seg, ncap, sizeof(*s))) == NULL)
			return -1;
		res->seg = s;
		res->cap = ncap;
	}
	res->seg[res->nseg].p = p;
	res->seg[res->nseg].len = len;
	res->nseg++;
	res->size += len;
	return 0;
}

static int
field_listed(const struct imap_section *sec, const struct header_field *f)
{
	size_t	k;

	for (k = 0; k < sec->nfields; k++)
		if (sec->field[k].len == f->namelen &&
		    strncasecmp(sec->field[k].p, f->name, f->namelen) == 0)
			return 1;
	return 0;
}

/* HEADER.FIELDS[.NOT]: whole field lines, then CRLF. */
static int
fields_add(const char *hdr, size_t len, const struct imap_section *sec,
    struct imap_section_result *res)
{
	struct header_scan	 hs;
	struct header_field	 f;
	const char		*end, *stop = hdr + len;
	int			 want = sec->kind == IMAP_SECTION_FIELDS;

	header_scan_init(&hs, hdr, len);
	while (header_scan_next(&hs, &f)) {
		if (field_listed(sec, &f) != want)
			continue;
		end = f.value + f.valuelen;
		if (end < stop && *end == '\r')
			end++;
		if (end < stop && *end == '\n')
			end++;
		if (seg_add(res, f.name, (size_t)(end - f.name)) == -1)
			return -1;
	}
	return seg_add(res, crlf, 2);
}

int
imap_section_is_top(const struct imap_section *sec)
{
	return sec->nparts == 0;
}

int
imap_section_find_top(const char *msg, size_t len,
    const struct imap_section *sec, struct imap_section_result *res)
{
	size_t	hl;
	int	r;

	memset(res, 0, sizeof(*res));
	if (sec->nparts != 0)
		return 0;
	hl = sec->kind == IMAP_SECTION_ALL ? len : mime_header_len(msg, len);
	switch (sec->kind) {
	case IMAP_SECTION_ALL:
	case IMAP_SECTION_HEADER:
		r = seg_add(res, msg, hl);
		break;
	case IMAP_SECTION_TEXT:
		r = seg_add(res, msg + hl, len - hl);
		break;
	case IMAP_SECTION_FIELDS:
	case IMAP_SECTION_FIELDS_NOT:
		r = fields_add(msg, hl, sec, res);
		break;
	default:
		return 0;
	}
	return r == -1 ? -1 : 1;
}

int
imap_section_find(const struct mime_tree *t, const struct imap_section *sec,
    struct imap_section_result *res)
{
	const struct mime_part	*p, *m;

	memset(res, 0, sizeof(*res));
	if ((p = part_find(t, sec)) == NULL)
		return 0;
	res->part = p;
	if (sec->kind == IMAP_SECTION_ALL) {
		if (sec->nparts == 0)
			return seg_add(res, t->msg, t->len) == -1 ? -1 : 1;
		return seg_add(res, t->msg + p->body_off, p->body_len) == -1 ?
		    -1 : 1;
	}
	if (sec->kind == IMAP_SECTION_MIME)
		return seg_add(res, t->msg + p->hdr_off, p->hdr_len) == -1 ?
		    -1 : 1;
	/* HEADER, TEXT, HEADER.FIELDS: of the message, or of part p's. */
	if (sec->nparts == 0)
		m = p;
	else if ((p->flags & MIME_F_MESSAGE) && p->child != NULL)
		m = p->child;
	else {
		res->part = NULL;
		return 0;
	}
	res->part = m;
	switch (sec->kind) {
	case IMAP_SECTION_HEADER:
		return seg_add(res, t->msg + m->hdr_off, m->hdr_len) == -1 ?
		    -1 : 1;
	case IMAP_SECTION_TEXT:
		return seg_add(res, t->msg + m->body_off, m->body_len) == -1 ?
		    -1 : 1;
	default:
		return fields_add(t->msg + m->hdr_off, m->hdr_len, sec, res) ==
		    -1 ? -1 : 1;
	}
}

void
imap_section_result_free(struct imap_section_result *res)
{
	free(res->seg);
	memset(res, 0, sizeof(*res));
}

int
imap_section_copy(const struct imap_section_result *res, size_t off,
    size_t count, struct buf *out)
{
	size_t	i, take;

	for (i = 0; i < res->nseg && count > 0; i++) {
		if (off >= res->seg[i].len) {
			off -= res->seg[i].len;
			continue;
		}
		take = res->seg[i].len - off;
		if (take > count)
			take = count;
		if (buf_append(out, res->seg[i].p + off, take) == -1)
			return -1;
		count -= take;
		off = 0;
	}
	return 0;
}

int
imap_section_binary(const struct mime_tree *t, const struct imap_section *sec,
    struct buf *out, int *has_nul)
{
	const struct mime_part	*p;
	size_t			 start = out->len;
	int			 r;

	*has_nul = 0;
	if (sec->kind != IMAP_SECTION_ALL)
		return 0;
	if (sec->nparts == 0) {
		if (buf_append(out, t->msg, t->len) == -1)
			return -1;
	} else {
		if ((p = part_find(t, sec)) == NULL)
			return 0;
		r = mime_part_decode(t, p, MIME_DECODE_STRICT, out);
		if (r == MIME_DECODE_ECTE || r == MIME_DECODE_EDATA) {
			out->len = start;
			if (out->data != NULL)
				out->data[start] = '\0';
			return IMAP_BINARY_UNKNOWN_CTE;
		}
		if (r != 0)
			return -1;
	}
	*has_nul = out->len > start &&
	    memchr(out->data + start, '\0', out->len - start) != NULL;
	return 1;
}
