/*
 * mime_fields: reading a part's MIME header fields (RFC 2045 5-8, RFC
 * 2183, RFC 3282, RFC 2557, RFC 1864) into its mime_part.  Lenient where
 * mail in the wild needs it: unquoted parameter values holding tspecials
 * (`boundary=----=_Part_1`) or blanks (`name=my file.pdf`), comments
 * anywhere, folds anywhere; strict where a guess would mislead: a
 * Content-Type whose type or subtype is not a token is no Content-Type.
 *
 * Trust: the header fields are a stranger's: read within the part's header
 * range only, at most MIME_PARAMS_MAX parameters a field.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "charset.h"
#include "header_scan.h"
#include "mime_decode.h"
#include "mime_int.h"
#include "utf8.h"

static const struct mime_str str_text = { "text", 4 };
static const struct mime_str str_plain = { "plain", 5 };
static const struct mime_str str_message = { "message", 7 };
static const struct mime_str str_rfc822 = { "rfc822", 6 };

void
mime_fields_default(struct mime_part *p, int digest_child)
{
	p->type = digest_child ? str_message : str_text;
	p->subtype = digest_child ? str_rfc822 : str_plain;
	p->params = NULL;
	p->flags |= MIME_F_DEFAULT_TYPE;
}

static int
is_tspecial(int c)
{
	return c != 0 && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* RFC 2045 token character. */
static int
is_token(int c)
{
	return c > 0x20 && c < 0x7f && !is_tspecial(c);
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips blanks, line ends and comments (nested; unbalanced: to the end). */
static size_t
cfws_skip(const char *s, size_t n, size_t i)
{
	size_t	depth;

	while (i < n) {
		if (is_space((unsigned char)s[i])) {
			i++;
			continue;
		}
		if (s[i] != '(')
			break;
		for (depth = 0; i < n; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '(')
				depth++;
			else if (s[i] == ')' && --depth == 0) {
				i++;
				break;
			}
		}
	}
	return i;
}

static size_t
token_end(const char *s, size_t n, size_t i)
{
	while (i < n && is_token((unsigned char)s[i]))
		i++;
	return i;
}

/*
 * s[0..n) without its line ends (RFC 5322 unfolding), trimmed of blanks:
 * a pointer into the input when nothing had to be removed, else a copy.
 */
static int
text_value(struct mime_tree *t, const char *s, size_t n, struct mime_str *v)
{
	size_t	i, k;
	char	*d;

	while (n > 0 && is_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	if (memchr(s, '\n', n) == NULL && memchr(s, '\r', n) == NULL) {
		v->p = s;
		v->len = n;
		return 0;
	}
	if ((d = mime_arena_alloc(t->arena, n)) == NULL)
		return -1;
	for (i = k = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			d[k++] = s[i];
	v->p = d;
	v->len = k;
	return 0;
}

/* The contents of a quoted string (s[i] == '"'): unescaped, unfolded. */
static int
quoted_value(struct mime_tree *t, const char *s, size_t n, size_t *ip,
    struct mime_str *v)
{
	size_t	i = *ip + 1, start = i, k;
	int	copy = 0;
	char	*d;

	for (; i < n && s[i] != '"'; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			copy = 1;
		} else if (s[i] == '\r' || s[i] == '\n')
			copy = 1;
	}
	*ip = i < n ? i + 1 : n;	/* unbalanced: to the end */
	if (!copy) {
		v->p = s + start;
		v->len = i - start;
		return 0;
	}
	if ((d = mime_arena_alloc(t->arena, i - start)) == NULL)
		return -1;
	for (k = 0; start < i; start++) {
		if (s[start] == '\\' && start + 1 < i)
			d[k++] = s[++start];
		else if (s[start] != '\r' && s[start] != '\n')
			d[k++] = s[start];
	}
	v->p = d;
	v->len = k;
	return 0;
}

/* Past the next ';' outside quotes and comments, or n. */
static size_t
next_semicolon(const char *s, size_t n, size_t i)
{
	while (i < n) {
		if (s[i] == ';')
			return i + 1;
		if (s[i] == '"') {
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
		} else if (s[i] == '(')
			i = cfws_skip(s, n, i);
		else
			i++;
	}
	return n;
}

/*
 * An unquoted value: to the next ';', less a comment that follows
 * blanks (`us-ascii (Plain text)`, but `report(1).pdf` keeps its
 * parenthesis), trimmed and unfolded.
 */
static int
bare_value(struct mime_tree *t, const char *s, size_t n, size_t *ip,
    struct mime_str *v)
{
	size_t	i = *ip, start = i, end;

	while (i < n && s[i] != ';')
		i++;
	*ip = i;
	for (end = start; end < i; end++)
		if (s[end] == '(' && end > start &&
		    is_space((unsigned char)s[end - 1]))
			break;
	return text_value(t, s + start, end - start, v);
}

struct raw_param {
	struct mime_str	 name;		/* attribute as written, no '*' part */
	struct mime_str	 value;
	int		 section;	/* -1: none */
	int		 extended;	/* ends in '*' */
	int		 used;
};

/* Splits `name`, `name*`, `name*3`, `name*3*` into r. */
static void
raw_name(const char *s, size_t len, struct raw_param *r)
{
	const char	*star;
	size_t		 i, k;
	int		 sec = 0;

	r->section = -1;
	r->extended = 0;
	r->name.p = s;
	r->name.len = len;
	if ((star = memchr(s, '*', len)) == NULL || star == s)
		return;
	k = (size_t)(star - s);
	i = k + 1;
	if (i == len) {			/* name* */
		r->name.len = k;
		r->extended = 1;
		return;
	}
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (i - k > 4)
			return;		/* not a section number we take */
		sec = sec * 10 + (s[i] - '0');
	}
	if (i == k + 1)
		return;
	if (i + 1 == len && s[i] == '*')
		r->extended = 1;
	else if (i != len)
		return;
	r->name.len = k;
	r->section = sec;
}

static int
attr_eq(struct mime_str a, struct mime_str b)
{
	return a.len == b.len && strncasecmp(a.p, b.p, a.len) == 0;
}

/* RFC 2231 attribute-char: what an extended value may hold unencoded. */
static int
is_attr_char(int c)
{
	return is_token(c) && c != '*' && c != '\'' && c != '%';
}

/* The UTF-8 form of an extended value charset'language'text. */
static int
extended_utf8(struct mime_tree *t, struct mime_str v, struct mime_str *u)
{
	const char	*q1, *q2, *text;
	struct buf	 raw, dec;
	size_t		 tlen;
	int		 r = -1;

	q1 = memchr(v.p, '\'', v.len);
	q2 = q1 == NULL ? NULL :
	    memchr(q1 + 1, '\'', v.len - (size_t)(q1 + 1 - v.p));
	text = q2 != NULL ? q2 + 1 : v.p;
	tlen = v.len - (size_t)(text - v.p);
	buf_init(&raw, v.len + 1);
	buf_init(&dec, 4 * v.len + 16);
	if (mime_unescape_hex(text, tlen, '%', 0, &raw) == -1)
		goto out;
	if (q2 == NULL || q1 == v.p ||
	    charset_to_utf8(v.p, (size_t)(q1 - v.p), raw.data == NULL ? "" :
	    raw.data, raw.len, &dec) != 0) {
		/* No or unknown charset: the bytes as they are. */
		buf_reset(&dec);
		if (utf8_sanitize(raw.data == NULL ? "" : raw.data, raw.len,
		    UTF8_FALLBACK_CP1252, &dec) == -1)
			goto out;
	}
	u->len = dec.len;
	if ((u->p = mime_arena_dup(t->arena, dec.data == NULL ? "" : dec.data,
	    dec.len)) != NULL)
		r = 0;
out:
	buf_free(&raw);
	buf_free(&dec);
	return r;
}

/* Joins the sections of r[first]'s attribute, in section order. */
static int
param_join(struct mime_tree *t, struct raw_param *r, size_t nr, size_t first,
    struct mime_param *p)
{
	struct buf	 b;
	size_t		 i, k;
	int		 want, any_ext = 0, found;
	const char	*hex = "0123456789ABCDEF";
	int		 ret = -1;
	unsigned char	 c;

	for (i = first; i < nr; i++)
		if (attr_eq(r[i].name, r[first].name) && r[i].section >= 0)
			any_ext |= r[i].extended;
	buf_init(&b, 64 * 1024 * 1024);
	/* Section 0 not extended in an extended value: no charset. */
	for (want = 0, found = 1; found; want++) {
		found = 0;
		for (i = first; i < nr; i++) {
			if (r[i].used || r[i].section != want ||
			    !attr_eq(r[i].name, r[first].name))
				continue;
			r[i].used = found = 1;
			if (want == 0 && any_ext && !r[i].extended &&
			    buf_append(&b, "''", 2) == -1)
				goto out;
			if (r[i].extended || !any_ext) {
				if (buf_append(&b, r[i].value.p,
				    r[i].value.len) == -1)
					goto out;
				break;
			}
			for (k = 0; k < r[i].value.len; k++) {
				c = (unsigned char)r[i].value.p[k];
				if (is_attr_char(c)) {
					if (buf_putc(&b, c) == -1)
						goto out;
				} else if (buf_putc(&b, '%') == -1 ||
				    buf_putc(&b, hex[c >> 4]) == -1 ||
				    buf_putc(&b, hex[c & 15]) == -1)
					goto out;
			}
			break;
		}
		if (!found && want == 0)
			found = 1;	/* sections may start at 1 */
		if (want > MIME_PARAMS_MAX)
			break;
	}
	/* Sections out of order or repeated: appended as they come. */
	for (i = first; i < nr; i++) {
		if (r[i].used || r[i].section < 0 ||
		    !attr_eq(r[i].name, r[first].name))
			continue;
		r[i].used = 1;
		if (buf_append(&b, r[i].value.p, r[i].value.len) == -1)
			goto out;
	}
	p->attr = r[first].name;
	p->value.len = b.len;
	if ((p->value.p = mime_arena_dup(t->arena, b.data == NULL ? "" :
	    b.data, b.len)) == NULL)
		goto out;
	if (any_ext) {
		char *nm = mime_arena_alloc(t->arena, p->attr.len + 1);
		if (nm == NULL)
			goto out;
		memcpy(nm, p->attr.p, p->attr.len);
		nm[p->attr.len] = '*';
		p->name.p = nm;
		p->name.len = p->attr.len + 1;
		if (extended_utf8(t, p->value, &p->utf8) == -1)
			goto out;
	} else {
		p->name = p->attr;
		p->utf8 = p->value;
	}
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

int
mime_params_parse(struct mime_tree *t, const char *s, size_t n,
    const struct mime_param **out)
{
	struct raw_param	 r[MIME_PARAMS_MAX];
	struct mime_param	*p, **tail = (struct mime_param **)out;
	size_t			 nr = 0, i = 0, a, ae;

	*out = NULL;
	while ((i = next_semicolon(s, n, i)) < n) {
		i = cfws_skip(s, n, i);
		a = i;
		while (i < n && (is_token((unsigned char)s[i])))
			i++;
		ae = i;
		i = cfws_skip(s, n, i);
		if (ae == a || i >= n || s[i] != '=')
			continue;	/* not a parameter: to the next ';' */
		if (nr == MIME_PARAMS_MAX) {
			t->limits |= MIME_LIMIT_PARAMS;
			break;
		}
		memset(&r[nr], 0, sizeof(r[nr]));
		raw_name(s + a, ae - a, &r[nr]);
		i = cfws_skip(s, n, i + 1);
		if (i < n && s[i] == '"') {
			if (quoted_value(t, s, n, &i, &r[nr].value) == -1)
				return -1;
		} else if (bare_value(t, s, n, &i, &r[nr].value) == -1)
			return -1;
		nr++;
	}
	for (i = 0; i < nr; i++) {
		if (r[i].used)
			continue;
		if ((p = mime_arena_alloc(t->arena, sizeof(*p))) == NULL)
			return -1;
		if (r[i].section >= 0) {
			if (param_join(t, r, nr, i, p) == -1)
				return -1;
		} else {
			r[i].used = 1;
			p->attr = r[i].name;
			p->value = r[i].value;
			if (r[i].extended) {
				p->name.p = r[i].name.p;
				p->name.len = r[i].name.len + 1;
				if (extended_utf8(t, p->value, &p->utf8) == -1)
					return -1;
			} else {
				p->name = p->attr;
				p->utf8 = p->value;
			}
		}
		*tail = p;
		tail = (struct mime_param **)&p->next;
	}
	return 0;
}

/* Content-Type: type "/" subtype *(";" parameter). */
static int
content_type(struct mime_tree *t, struct mime_part *p, const char *s,
    size_t n, int digest_child)
{
	size_t	i, t0, t1, s0, s1;

	i = t0 = cfws_skip(s, n, 0);
	i = t1 = token_end(s, n, i);
	i = cfws_skip(s, n, i);
	if (t1 == t0 || i >= n || s[i] != '/') {
		mime_fields_default(p, digest_child);
		return 0;
	}
	i = s0 = cfws_skip(s, n, i + 1);
	i = s1 = token_end(s, n, i);
	if (s1 == s0) {
		mime_fields_default(p, digest_child);
		return 0;
	}
	p->flags &= ~MIME_F_DEFAULT_TYPE;
	p->type.p = s + t0;
	p->type.len = t1 - t0;
	p->subtype.p = s + s0;
	p->subtype.len = s1 - s0;
	return mime_params_parse(t, s + i, n - i, &p->params);
}

static void
transfer_encoding(struct mime_part *p, const char *s, size_t n)
{
	static const struct {
		const char	*name;
		enum mime_cte	 cte;
	} known[] = {
		{ "7bit", MIME_CTE_7BIT }, { "8bit", MIME_CTE_8BIT },
		{ "binary", MIME_CTE_BINARY },
		{ "quoted-printable", MIME_CTE_QP },
		{ "base64", MIME_CTE_BASE64 },
	};
	size_t	i, e, k;

	i = cfws_skip(s, n, 0);
	e = token_end(s, n, i);
	if (e == i)
		return;		/* empty: as if absent */
	p->cte_name.p = s + i;
	p->cte_name.len = e - i;
	p->cte = MIME_CTE_UNKNOWN;
	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (mime_str_eq(p->cte_name, known[k].name))
			p->cte = known[k].cte;
}

static int
disposition(struct mime_tree *t, struct mime_part *p, const char *s, size_t n)
{
	size_t	i, e;

	i = cfws_skip(s, n, 0);
	e = token_end(s, n, i);
	if (e == i)
		return 0;
	p->disposition.p = s + i;
	p->disposition.len = e - i;
	return mime_params_parse(t, s + e, n - e, &p->disposition_params);
}

static int
language(struct mime_tree *t, struct mime_part *p, const char *s, size_t n)
{
	struct mime_lang	*l, **tail = (struct mime_lang **)&p->language;
	size_t			 i = 0, e, count = 0;

	for (;;) {
		i = cfws_skip(s, n, i);
		if (i < n && s[i] == ',') {
			i++;
			continue;
		}
		e = token_end(s, n, i);
		if (e == i)
			break;
		if (++count > MIME_PARAMS_MAX) {
			t->limits |= MIME_LIMIT_PARAMS;
			break;
		}
		if ((l = mime_arena_alloc(t->arena, sizeof(*l))) == NULL)
			return -1;
		l->tag.p = s + i;
		l->tag.len = e - i;
		*tail = l;
		tail = (struct mime_lang **)&l->next;
		i = e;
	}
	return 0;
}

enum {
	F_TYPE, F_CTE, F_ID, F_DESC, F_DISP, F_LANG, F_LOC, F_MD5, F_COUNT,
	F_VERSION = F_COUNT
};

static int
field_which(const struct header_field *f)
{
	static const char *const names[F_COUNT] = {
		"type", "transfer-encoding", "id", "description",
		"disposition", "language", "location", "md5",
	};
	size_t	k, l;

	if (f->namelen == 12 && strncasecmp(f->name, "mime-version", 12) == 0)
		return F_VERSION;
	if (f->namelen < 9 || strncasecmp(f->name, "content-", 8) != 0)
		return -1;
	for (k = 0; k < F_COUNT; k++) {
		l = strlen(names[k]);
		if (f->namelen == 8 + l &&
		    strncasecmp(f->name + 8, names[k], l) == 0)
			return (int)k;
	}
	return -1;
}

static int
field_read(struct mime_tree *t, struct mime_part *p, int k,
    const struct header_field *f, int digest_child)
{
	switch (k) {
	case F_TYPE:
		return content_type(t, p, f->value, f->valuelen, digest_child);
	case F_CTE:
		transfer_encoding(p, f->value, f->valuelen);
		return 0;
	case F_ID:
		return text_value(t, f->value, f->valuelen, &p->id);
	case F_DESC:
		return text_value(t, f->value, f->valuelen, &p->description);
	case F_DISP:
		return disposition(t, p, f->value, f->valuelen);
	case F_LANG:
		return language(t, p, f->value, f->valuelen);
	case F_LOC:
		return text_value(t, f->value, f->valuelen, &p->location);
	case F_MD5:
		return text_value(t, f->value, f->valuelen, &p->md5);
	}
	return 0;
}

int
mime_fields_read(struct mime_tree *t, struct mime_part *p, int digest_child)
{
	struct header_scan	 hs;
	struct header_field	 f, first[F_COUNT];
	const char		*h = t->msg + p->hdr_off;
	unsigned		 seen = 0;
	int			 k, r = 0, message;

	/* A message's header, not a body part's: MIME only if it says so. */
	message = p->parent == NULL || (p->parent->flags & MIME_F_MESSAGE);
	mime_fields_default(p, digest_child);
	header_scan_init(&hs, h, p->hdr_len);
	while (header_scan_next(&hs, &f)) {
		if ((size_t)(f.value + f.valuelen - h) > MIME_HEADER_MAX) {
			p->flags |= MIME_F_HEADER_LIMIT;
			t->limits |= MIME_LIMIT_HEADER;
			break;
		}
		if ((k = field_which(&f)) < 0 || (seen & (1u << k)))
			continue;
		seen |= 1u << k;
		if (k < F_COUNT)
			first[k] = f;
	}
	if (message && (seen & (1u << F_TYPE | 1u << F_VERSION)) == 0)
		return 0;
	for (k = 0; r == 0 && k < F_COUNT; k++)
		if (seen & (1u << k))
			r = field_read(t, p, k, &first[k], digest_child);
	return r;
}

const struct mime_param *
mime_param_find(const struct mime_param *p, const char *attr)
{
	for (; p != NULL; p = p->next)
		if (mime_str_eq(p->attr, attr))
			return p;
	return NULL;
}

int
mime_str_eq(struct mime_str s, const char *want)
{
	size_t	len = strlen(want);

	return s.p != NULL && s.len == len && strncasecmp(s.p, want, len) == 0;
}

int
mime_part_is(const struct mime_part *p, const char *type, const char *subtype)
{
	return mime_str_eq(p->type, type) &&
	    (subtype == NULL || mime_str_eq(p->subtype, subtype));
}

struct mime_str
mime_part_charset(const struct mime_part *p)
{
	static const struct mime_str	ascii = { "us-ascii", 8 };
	const struct mime_param		*cs;

	if ((cs = mime_param_find(p->params, "charset")) != NULL &&
	    cs->utf8.len > 0)
		return cs->utf8;
	return ascii;
}
