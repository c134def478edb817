/*
 * header_scan: iterating over the fields of a header section held in
 * memory, unfolding and comparing their values.  See header_scan.h for
 * the rules (what ends the section, folding, lines that are skipped).
 *
 * Trust: the header section is a stranger's: only scanned and compared,
 * never written back.
 */
#include <stddef.h>
#include <string.h>

#include "header_scan.h"

struct line {
	size_t	start;		/* offset of the first byte */
	size_t	len;		/* content, without LF or CRLF */
	size_t	next;		/* offset of the next line */
};

static void
line_at(const char *p, size_t n, size_t pos, struct line *l)
{
	const char	*lf;

	l->start = pos;
	lf = memchr(p + pos, '\n', n - pos);
	if (lf == NULL) {
		l->len = n - pos;
		l->next = n;
		return;
	}
	l->len = (size_t)(lf - (p + pos));
	l->next = l->len + pos + 1;
	if (l->len > 0 && p[pos + l->len - 1] == '\r')
		l->len--;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
ascii_lower(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	return c;
}

void
header_scan_init(struct header_scan *hs, const void *p, size_t n)
{
	hs->p = p;
	hs->n = n;
	hs->pos = 0;
	hs->ended = 0;
}

/* Length of the field name at the start of the line, or 0 if none. */
static size_t
field_name(const char *s, size_t len, size_t *colon)
{
	size_t	i, namelen;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 33 || c > 126 || c == ':')
			break;
	}
	namelen = i;
	while (i < len && is_blank(s[i]))
		i++;
	if (namelen == 0 || i >= len || s[i] != ':')
		return 0;
	*colon = i;
	return namelen;
}

int
header_scan_next(struct header_scan *hs, struct header_field *f)
{
	struct line	 l, c;
	size_t		 colon, namelen, end;
	const char	*s;

	while (!hs->ended && hs->pos < hs->n) {
		line_at(hs->p, hs->n, hs->pos, &l);
		hs->pos = l.next;
		if (l.len == 0) {
			hs->ended = 1;
			break;
		}
		s = hs->p + l.start;
		if (is_blank(s[0]))
			continue;	/* continuation without a field */
		if ((namelen = field_name(s, l.len, &colon)) == 0)
			continue;	/* not a field line */
		end = l.start + l.len;
		while (hs->pos < hs->n) {
			line_at(hs->p, hs->n, hs->pos, &c);
			if (c.len == 0 || !is_blank(hs->p[c.start]))
				break;
			end = c.start + c.len;
			hs->pos = c.next;
		}
		f->name = s;
		f->namelen = namelen;
		f->value = s + colon + 1;
		f->valuelen = end - (l.start + colon + 1);
		return 1;
	}
	return 0;
}

int
header_section_end(const void *vp, size_t n, size_t *body)
{
	const char	*p = vp;
	struct line	 l;
	size_t		 pos = 0;

	while (pos < n) {
		line_at(p, n, pos, &l);
		if (l.next == n && p[n - 1] != '\n')
			return 0;	/* last line not yet whole */
		if (l.len == 0) {
			*body = l.next;
			return 1;
		}
		pos = l.next;
	}
	return 0;
}

int
header_name_is(const struct header_field *f, const char *name)
{
	size_t	i, len = strlen(name);

	if (f->namelen != len)
		return 0;
	for (i = 0; i < len; i++)
		if (ascii_lower((unsigned char)f->name[i]) !=
		    ascii_lower((unsigned char)name[i]))
			return 0;
	return 1;
}

/* 1 if v[i] belongs to the line ending of a fold (LF, or CR before LF). */
static int
is_fold_byte(const char *v, size_t len, size_t i)
{
	return v[i] == '\n' || (v[i] == '\r' && i + 1 < len && v[i + 1] == '\n');
}

static int
is_trim_byte(const char *v, size_t len, size_t i)
{
	return is_blank(v[i]) || is_fold_byte(v, len, i);
}

/* The bounds [*s, *e) of the value once trimmed. */
static void
value_bounds(const struct header_field *f, size_t *s, size_t *e)
{
	size_t	a = 0, b = f->valuelen;

	while (a < b && is_trim_byte(f->value, f->valuelen, a))
		a++;
	while (b > a && is_trim_byte(f->value, f->valuelen, b - 1))
		b--;
	*s = a;
	*e = b;
}

long
header_value_unfold(const struct header_field *f, char *out, size_t outsz)
{
	size_t	i, s, e, o = 0;

	if (outsz == 0)
		return -1;
	value_bounds(f, &s, &e);
	for (i = s; i < e; i++) {
		if (is_fold_byte(f->value, f->valuelen, i))
			continue;
		if (o + 1 >= outsz) {
			out[0] = '\0';
			return -1;
		}
		out[o++] = f->value[i];
	}
	out[o] = '\0';
	return (long)o;
}

int
header_value_equal(const struct header_field *f, const char *want)
{
	size_t	i, s, e, w = 0;

	value_bounds(f, &s, &e);
	for (i = s; i < e; i++) {
		if (is_fold_byte(f->value, f->valuelen, i))
			continue;
		if (want[w] == '\0' ||
		    ascii_lower((unsigned char)f->value[i]) !=
		    ascii_lower((unsigned char)want[w]))
			return 0;
		w++;
	}
	return want[w] == '\0';
}

size_t
header_count_value(const void *p, size_t n, const char *name,
    const char *want)
{
	struct header_scan	hs;
	struct header_field	f;
	size_t			count = 0;

	header_scan_init(&hs, p, n);
	while (header_scan_next(&hs, &f))
		if (header_name_is(&f, name) && header_value_equal(&f, want))
			count++;
	return count;
}
