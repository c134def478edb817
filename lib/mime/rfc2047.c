/*
 * rfc2047: decoding header values (see rfc2047.h).  One pass: raw text
 * is copied (made valid UTF-8); an encoded word's bytes are collected
 * with those of the words in the same charset right after it, and
 * converted when the run ends.
 *
 * Trust: the value is a stranger's; the output buffer bounds the work.
 */
#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "charset.h"
#include "mime_decode.h"
#include "rfc2047.h"
#include "utf8.h"

struct word {
	const char	*charset;	/* without a *language suffix */
	size_t		 cslen;
	int		 enc;		/* 'B' or 'Q' */
	const char	*text;
	size_t		 tlen;
	size_t		 len;		/* of the whole =?...?= */
};

struct run {
	const char	*charset;	/* of the words collected, or NULL */
	size_t		 cslen;
	struct buf	 bytes;		/* their decoded bytes */
};

/* Parses an encoded word at s[0..n) (s[0] == '='); 1 if it is one. */
static int
word_parse(const char *s, size_t n, struct word *w)
{
	const char	*q1, *q2, *end, *star;
	size_t		 i;

	if (n < 8 || s[1] != '?')
		return 0;
	if ((q1 = memchr(s + 2, '?', n - 2)) == NULL || q1 == s + 2 ||
	    (size_t)(q1 - s) + 3 >= n || q1[2] != '?')
		return 0;
	for (i = 2; s + i < q1; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	w->enc = q1[1] & ~0x20;
	if (w->enc != 'B' && w->enc != 'Q')
		return 0;
	q2 = q1 + 2;
	for (end = q2 + 1; end + 1 < s + n; end++) {
		if (end[0] == '?' && end[1] == '=')
			break;
		if ((unsigned char)*end <= ' ' || (unsigned char)*end >= 0x7f)
			return 0;
	}
	if (end + 1 >= s + n)
		return 0;
	w->charset = s + 2;
	w->cslen = (size_t)(q1 - (s + 2));
	if ((star = memchr(w->charset, '*', w->cslen)) != NULL)
		w->cslen = (size_t)(star - w->charset);
	w->text = q2 + 1;
	w->tlen = (size_t)(end - w->text);
	w->len = (size_t)(end + 2 - s);
	return w->cslen > 0;
}

/* The bytes of an encoded word's text. */
static int
word_bytes(const struct word *w, struct buf *out)
{
	struct mime_b64	b;

	if (w->enc == 'B') {
		mime_b64_init(&b, 0);
		if (mime_b64_decode(&b, w->text, w->tlen, out) != 0 ||
		    mime_b64_end(&b, out) != 0)
			return -1;
		return 0;
	}
	return mime_unescape_hex(w->text, w->tlen, '=', 1, out);
}

static int
run_flush(struct run *r, struct buf *out)
{
	int	rc = 0;

	if (r->charset == NULL)
		return 0;
	if (r->bytes.len > 0)
		rc = charset_to_utf8(r->charset, r->cslen, r->bytes.data,
		    r->bytes.len, out);
	r->charset = NULL;
	buf_reset(&r->bytes);
	return rc == -1 ? -1 : 0;
}

/* Raw text: unfolded, made valid UTF-8. */
static int
raw_append(const char *s, size_t n, struct buf *out)
{
	size_t	i, start = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '\r' && s[i] != '\n')
			continue;
		if (utf8_sanitize(s + start, i - start, UTF8_FALLBACK_CP1252,
		    out) == -1)
			return -1;
		start = i + 1;
	}
	return 0;
}

static int
is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
rfc2047_decode(const char *in, size_t n, struct buf *out)
{
	struct run	 r;
	struct word	 w;
	size_t		 i = 0, text = 0, blanks;
	int		 after_word = 0, ret = -1;

	r.charset = NULL;
	buf_init(&r.bytes, n);
	while (i < n) {
		if (in[i] != '=' || !word_parse(in + i, n - i, &w)) {
			i++;
			continue;
		}
		/* Text before the word; mere blanks after a word are dropped. */
		for (blanks = text; blanks < i &&
		    is_fws((unsigned char)in[blanks]); blanks++)
			;
		if (!(after_word && blanks == i)) {
			if (run_flush(&r, out) == -1 ||
			    raw_append(in + text, i - text, out) == -1)
				goto out;
		}
		if (r.charset != NULL && (r.cslen != w.cslen ||
		    strncasecmp(r.charset, w.charset, w.cslen) != 0) &&
		    run_flush(&r, out) == -1)
			goto out;
		if (!charset_known(w.charset, w.cslen)) {
			/* Unknown charset: the word as written. */
			if (run_flush(&r, out) == -1 ||
			    raw_append(in + i, w.len, out) == -1)
				goto out;
		} else {
			r.charset = w.charset;
			r.cslen = w.cslen;
			if (word_bytes(&w, &r.bytes) == -1)
				goto out;
		}
		i += w.len;
		text = i;
		after_word = 1;
	}
	if (run_flush(&r, out) == -1 || raw_append(in + text, n - text, out) ==
	    -1)
		goto out;
	ret = 0;
out:
	buf_free(&r.bytes);
	return ret;
}
