/*
 * smtp_reply: parser of SMTP server replies and EHLO keywords for the
 * remote delivery; the rules and limits are in smtp_reply.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp_reply.h"

void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Length of an enhanced code "d.ddd.ddd" at s, or 0 when there is none. */
static size_t
enhanced_len(const char *s, size_t n, int klass)
{
	size_t	i = 0, k, part;

	if (n < 5 || s[0] != klass || s[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (k = 0; k < 3 && i < n && is_digit((unsigned char)s[i]);
		    k++)
			i++;
		if (k == 0)
			return 0;
		if (part == 0) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && s[i] != ' ' && s[i] != '\t')
		return 0;
	return i;
}

void
smtp_reply_dsn(int code, const char *text, char *out, size_t size)
{
	size_t	n;

	n = enhanced_len(text, strlen(text), '0' + code / 100);
	if (code >= 200 && code <= 599 && n > 0 && n < size) {
		memcpy(out, text, n);
		out[n] = '\0';
		return;
	}
	(void)snprintf(out, size, "%d.0.0", code >= 200 && code <= 599 ?
	    code / 100 : 4);
}

static int
fail(struct smtp_reply *r, const char **why, const char *text)
{
	r->code = -1;
	*why = text;
	return -1;
}

int
smtp_reply_line(struct smtp_reply *r, const char *line, size_t n,
    const char **why)
{
	const char	*t;
	size_t		 i, tlen;
	int		 code;

	if (r->code == -1)
		return fail(r, why, "reply already malformed");
	if (r->done)
		return fail(r, why, "line after the end of a reply");
	if (n > SMTP_REPLY_LINE_MAX)
		return fail(r, why, "reply line too long");
	if (n == 0 || line[n - 1] != '\n')
		return fail(r, why, "reply line without LF");
	n--;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(r, why, "control byte in reply");
	}
	if (n < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '5' || !is_digit((unsigned char)line[2]))
		return fail(r, why, "reply line does not start with a code");
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (n > 3 && line[3] != ' ' && line[3] != '-')
		return fail(r, why, "no space or hyphen after the reply code");
	if (r->nlines > 0 && code != r->code)
		return fail(r, why, "reply lines with different codes");
	if (r->nlines >= SMTP_REPLY_LINES_MAX)
		return fail(r, why, "reply with too many lines");
	r->code = code;
	r->nlines++;
	t = n > 4 ? line + 4 : "";
	tlen = n > 4 ? n - 4 : 0;
	if (r->nlines == 1) {
		size_t el = enhanced_len(t, tlen, line[0]);

		if (el > 0 && el < sizeof(r->enhanced)) {
			memcpy(r->enhanced, t, el);
			r->enhanced[el] = '\0';
		}
	}
	/* keep the line's text when it fits whole, with its NUL */
	if (tlen + 1 <= SMTP_REPLY_TEXT_MAX - r->textlen &&
	    r->nkept + 1 == r->nlines) {
		memcpy(r->text + r->textlen, t, tlen);
		r->text[r->textlen + tlen] = '\0';
		r->textlen += tlen + 1;
		r->nkept++;
	}
	if (n > 3 && line[3] == '-')
		return 0;
	r->done = 1;
	return 1;
}

const char *
smtp_reply_text(const struct smtp_reply *r, size_t i)
{
	const char	*p = r->text;
	size_t		 k;

	if (i >= r->nkept)
		return NULL;
	for (k = 0; k < i; k++)
		p += strlen(p) + 1;
	return p;
}

/* Appends t to out[o..), printable ASCII only; the new length. */
static size_t
put_text(char *out, size_t o, size_t size, const char *t)
{
	for (; *t != '\0' && o + 1 < size; t++) {
		unsigned char c = (unsigned char)*t;

		out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	return o;
}

void
smtp_reply_oneline(const struct smtp_reply *r, char *out, size_t size)
{
	const char	*t;
	size_t		 o, i, el = strlen(r->enhanced);
	int		 m;

	if (size == 0)
		return;
	out[0] = '\0';
	if (r->code < 200)
		return;
	m = snprintf(out, size, "%d", r->code);
	if (m < 0 || (size_t)m >= size)
		return;
	o = (size_t)m;
	for (i = 0; i < r->nkept; i++) {
		t = smtp_reply_text(r, i);
		/* Postfix's form: a later line's repeated enhanced code goes */
		if (i > 0 && el > 0 && strncmp(t, r->enhanced, el) == 0 &&
		    (t[el] == ' ' || t[el] == '\0')) {
			t += el;
			while (*t == ' ')
				t++;
		}
		if (*t == '\0')
			continue;
		o = put_text(out, o, size, " ");
		o = put_text(out, o, size, t);
	}
	out[o] = '\0';
}

/* 1 when word (len n) is keyword, ASCII case-insensitively. */
static int
kw(const char *word, size_t n, const char *keyword)
{
	return strlen(keyword) == n && strncasecmp(word, keyword, n) == 0;
}

static void
ehlo_auth(const char *p, struct smtp_ext *e)
{
	size_t	n;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (kw(p, n, "PLAIN"))
			e->auth_plain = 1;
		else if (kw(p, n, "LOGIN"))
			e->auth_login = 1;
		p += n;
	}
}

static long long
ehlo_size(const char *p)
{
	long long	v = 0;
	int		digits = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	for (; is_digit((unsigned char)*p); p++, digits++) {
		if (v > (9223372036854775807LL - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	while (*p == ' ' || *p == '\t')
		p++;
	return digits > 0 && *p == '\0' ? v : -1;
}

void
smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ext *e)
{
	const char	*t;
	size_t		 i, n;

	memset(e, 0, sizeof(*e));
	e->size = -1;
	if (r->code != 250)
		return;
	for (i = 1; (t = smtp_reply_text(r, i)) != NULL; i++) {
		n = strcspn(t, " \t=");
		if (kw(t, n, "PIPELINING"))
			e->pipelining = 1;
		else if (kw(t, n, "8BITMIME"))
			e->eightbitmime = 1;
		else if (kw(t, n, "SMTPUTF8"))
			e->smtputf8 = 1;
		else if (kw(t, n, "STARTTLS"))
			e->starttls = 1;
		else if (kw(t, n, "DSN"))
			e->dsn = 1;
		else if (kw(t, n, "SIZE"))
			e->size = t[n] == '=' ? -1 : ehlo_size(t + n);
		else if (kw(t, n, "AUTH"))
			ehlo_auth(t + n + (t[n] != '\0'), e);
	}
}
