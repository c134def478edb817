/*
 * sendmail_header: the header section of a locally submitted message.
 * It is read whole (at most SM_HEADER_MAX octets, SM_HEADER_LINES lines)
 * so that sendmail can tell which fields are missing, take recipients
 * from To, Cc and Bcc (-t) and drop Bcc; the body is never held.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "sendmail.h"

void
header_init(struct sm_header *h)
{
	memset(h, 0, sizeof(*h));
	buf_init(&h->raw, SM_HEADER_MAX);
	/* a line is read with at most the room left in raw, plus one */
	buf_init(&h->first, SM_HEADER_MAX + 1);
}

void
header_free(struct sm_header *h)
{
	buf_free(&h->raw);
	buf_free(&h->first);
	free(h->field);
	h->field = NULL;
	h->nfield = 0;
}

/* Length of the field name if line starts a field (`name:`), else 0. */
static size_t
line_field_name(const char *s, size_t n)
{
	size_t i = 0, name;

	while (i < n && (unsigned char)s[i] > 0x20 &&
	    (unsigned char)s[i] < 0x7f && s[i] != ':')
		i++;
	if (i == 0)
		return 0;
	name = i;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i < n && s[i] == ':' ? name : 0;
}

static int
line_is_blank(const char *s, size_t n)
{
	return (n == 1 && s[0] == '\n') || (n == 2 && s[0] == '\r' &&
	    s[1] == '\n');
}

static int
field_add(struct sm_header *h, size_t off, size_t len, size_t namelen)
{
	struct sm_field *nf;

	/* at most one field per line, so SM_HEADER_LINES bounds this */
	nf = reallocarray(h->field, h->nfield + 1, sizeof(*nf));
	if (nf == NULL)
		return -1;
	h->field = nf;
	nf[h->nfield].off = off;
	nf[h->nfield].len = len;
	nf[h->nfield].namelen = namelen;
	h->nfield++;
	return 0;
}

int
header_read(struct sm_header *h, struct sm_input *in, int dot_rule,
    const char **why, int *code)
{
	struct buf *line = &h->first;
	const char *s;
	size_t n, start, namelen;
	int r, first = 1;

	for (;;) {
		buf_reset(line);
		start = h->raw.len;
		r = input_line(in, line, h->raw.max - h->raw.len + 1);
		if (r == -1) {
			*why = "cannot read the message";
			*code = EX_IOERR;
			return -1;
		}
		if (r == 0) {
			h->ended = 1;
			return 0;
		}
		s = line->data;
		n = line->len;
		if (dot_rule && input_is_dot(in, s, n)) {
			buf_reset(line);
			h->ended = 1;
			return 0;
		}
		if (first && n >= 5 && memcmp(s, "From ", 5) == 0) {
			/* mbox separator, as sendmail and Postfix drop it */
			first = 0;
			if (s[n - 1] != '\n') {
				/* skip the rest of an over-long one */
				do {
					buf_reset(line);
					r = input_line(in, line, SM_IOBUF);
				} while (r == 1 &&
				    line->data[line->len - 1] != '\n');
				if (r == -1) {
					*why = "cannot read the message";
					*code = EX_IOERR;
					return -1;
				}
			}
			continue;
		}
		if (first)
			h->crlf = n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n';
		first = 0;
		if (line_is_blank(s, n))
			return 0;	/* the separator, kept in first */
		namelen = line_field_name(s, n);
		if (namelen == 0 && !((s[0] == ' ' || s[0] == '\t') &&
		    h->nfield > 0))
			return 0;	/* a body line: the header is over */
		if (memchr(s, '\0', n) != NULL) {
			*why = "NUL byte in the header section";
			*code = EX_DATAERR;
			return -1;
		}
		if (++h->nlines > SM_HEADER_LINES || n > h->raw.max -
		    h->raw.len || (s[n - 1] != '\n' && !in->eof)) {
			*why = "header section too large (limits: 1 MB, 1000 lines)";
			*code = EX_DATAERR;
			return -1;
		}
		if (buf_append(&h->raw, s, n) == -1) {
			*why = "out of memory";
			*code = EX_OSERR;
			return -1;
		}
		if (namelen > 0) {
			if (field_add(h, start, n, namelen) == -1) {
				*why = "out of memory";
				*code = EX_OSERR;
				return -1;
			}
		} else
			h->field[h->nfield - 1].len += n;
	}
}

static int
field_is(const struct sm_header *h, const struct sm_field *f,
    const char *name)
{
	return strlen(name) == f->namelen &&
	    strncasecmp(h->raw.data + f->off, name, f->namelen) == 0;
}

int
header_has(const struct sm_header *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nfield; i++)
		if (field_is(h, &h->field[i], name))
			return 1;
	return 0;
}

int
header_recipients(const struct sm_header *h,
    int (*cb)(void *, const struct mailpath *), void *arg,
    const char **why, char *bad, size_t badsz)
{
	static const char *const names[] = { "To", "Cc", "Bcc" };
	const struct sm_field *f;
	const char *v, *colon;
	char *value;
	size_t i, j, k, n;
	int r;

	for (i = 0; i < h->nfield; i++) {
		f = &h->field[i];
		for (j = 0; j < 3; j++)
			if (field_is(h, f, names[j]))
				break;
		if (j == 3)
			continue;
		colon = memchr(h->raw.data + f->off, ':', f->len);
		v = colon + 1;
		n = f->len - (size_t)(v - (h->raw.data + f->off));
		if ((value = malloc(n + 1)) == NULL) {
			*why = "out of memory";
			return -1;
		}
		/* Unfold: inside a field every line ending is a fold. */
		for (k = 0; n > 0; v++, n--)
			if (*v != '\r' && *v != '\n')
				value[k++] = *v;
		value[k] = '\0';
		r = addrlist_parse(value, k, PATH_ALLOW_UTF8 |
		    PATH_ALLOW_NO_DOMAIN, cb, arg, why);
		free(value);
		if (r != 0) {
			(void)strlcpy(bad, names[j], badsz);
			return r;
		}
	}
	return 0;
}

int
header_compose(const struct sm_header *h, const char *const *extra,
    size_t nextra, struct buf *out)
{
	const char *eol = h->crlf ? "\r\n" : "\n";
	const struct sm_field *f;
	size_t i;

	for (i = 0; i < h->nfield; i++) {
		f = &h->field[i];
		/* Bcc recipients must not see each other, nor anyone them. */
		if (field_is(h, f, "Bcc"))
			continue;
		if (buf_append(out, h->raw.data + f->off, f->len) == -1)
			return -1;
		/* The input ended without a newline inside the header. */
		if (h->raw.data[f->off + f->len - 1] != '\n' &&
		    buf_append_str(out, eol) == -1)
			return -1;
	}
	for (i = 0; i < nextra; i++)
		if (buf_append_str(out, extra[i]) == -1 ||
		    buf_append_str(out, eol) == -1)
			return -1;
	if (h->ended)
		return 0;
	/* The body follows: the empty line read, or one we supply. */
	if (line_is_blank(h->first.data, h->first.len))
		return buf_append(out, h->first.data, h->first.len);
	if (buf_append_str(out, eol) == -1 ||
	    buf_append(out, h->first.data, h->first.len) == -1)
		return -1;
	return 0;
}
