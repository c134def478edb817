/*
 * imap_utf7: modified UTF-7 to UTF-8 and back (see imap_utf7.h).
 */
#include <stdint.h>
#include <string.h>

#include "imap_parse.h"
#include "imap_utf7.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64_value(unsigned char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return (int)(p - b64);
}

static int
put_utf8(unsigned long cp, char *out, size_t outlen, size_t *o)
{
	unsigned char	 b[4];
	size_t		 k, n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (outlen - *o <= n)
		return -1;
	for (k = 0; k < n; k++)
		out[(*o)++] = (char)b[k];
	return 0;
}

/* Decodes one shift s[0..n) (between '&' and '-'). */
static int
utf7_shift(const char *s, size_t n, char *out, size_t outlen, size_t *o)
{
	uint32_t	 bits = 0;
	unsigned	 nbits = 0;
	unsigned long	 unit, high = 0;
	size_t		 i;
	int		 v;

	for (i = 0; i < n; i++) {
		if ((v = b64_value((unsigned char)s[i])) == -1)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		unit = (bits >> nbits) & 0xffff;
		bits &= (1U << nbits) - 1;
		if (high != 0) {
			if (unit < 0xdc00 || unit > 0xdfff)
				return -1;
			if (put_utf8(0x10000 + ((high - 0xd800) << 10) +
			    (unit - 0xdc00), out, outlen, o) == -1)
				return -1;
			high = 0;
		} else if (unit >= 0xd800 && unit <= 0xdbff)
			high = unit;
		else if ((unit >= 0xdc00 && unit <= 0xdfff) || unit <= 0x7f)
			return -1;	/* lone low surrogate; ASCII: direct,
					   or a control no name may hold */
		else if (put_utf8(unit, out, outlen, o) == -1)
			return -1;
	}
	/* Whole units only, and the padding bits zero. */
	if (high != 0 || nbits >= 6 || bits != 0)
		return -1;
	return 0;
}

int
imap_utf7_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t		 i = 0, o = 0, end;
	unsigned char	 c;
	int		 after_shift = 0;

	if (outlen == 0)
		return -1;
	while (i < n) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e)
			return -1;
		if (c != '&') {
			if (outlen - o <= 1)
				return -1;
			out[o++] = (char)c;
			i++;
			after_shift = 0;
			continue;
		}
		for (end = i + 1; end < n && s[end] != '-'; end++)
			;
		if (end == n)
			return -1;	/* unterminated shift */
		if (end == i + 1) {
			if (outlen - o <= 1)
				return -1;
			out[o++] = '&';
			after_shift = 0;
		} else {
			if (after_shift)
				return -1;	/* "&AAA-&BBB-": one shift */
			if (utf7_shift(s + i + 1, end - i - 1, out, outlen,
			    &o) == -1)
				return -1;
			after_shift = 1;
		}
		i = end + 1;
	}
	out[o] = '\0';
	return 0;
}

/* The next code point of valid UTF-8 at s[*i]. */
static unsigned long
next_cp(const unsigned char *s, size_t *i)
{
	unsigned long	 cp;
	size_t		 k, need;

	if (s[*i] < 0x80)
		return s[(*i)++];
	need = s[*i] >= 0xf0 ? 3 : s[*i] >= 0xe0 ? 2 : 1;
	cp = s[*i] & (0x3f >> need);
	for (k = 1; k <= need; k++)
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	*i += need + 1;
	return cp;
}

static int
put_char(char c, char *out, size_t outlen, size_t *o)
{
	if (outlen - *o <= 1)
		return -1;
	out[(*o)++] = c;
	return 0;
}

int
imap_utf7_encode(const char *s, size_t n, char *out, size_t outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t		 i = 0, o = 0;
	unsigned long	 cp, units[2];
	uint32_t	 bits = 0;
	unsigned	 nbits = 0, k, nu;
	int		 shifted = 0;

	if (outlen == 0 || !imap_utf8_valid(s, n) || memchr(s, '\0', n))
		return -1;
	while (i < n) {
		cp = next_cp(u, &i);
		if (cp >= 0x20 && cp <= 0x7e) {
			if (shifted) {
				if (nbits > 0 && put_char(b64[(bits <<
				    (6 - nbits)) & 0x3f], out, outlen, &o) == -1)
					return -1;
				if (put_char('-', out, outlen, &o) == -1)
					return -1;
				shifted = 0;
				bits = nbits = 0;
			}
			if (put_char((char)cp, out, outlen, &o) == -1 ||
			    (cp == '&' && put_char('-', out, outlen, &o) == -1))
				return -1;
			continue;
		}
		if (!shifted) {
			if (put_char('&', out, outlen, &o) == -1)
				return -1;
			shifted = 1;
		}
		if (cp >= 0x10000) {
			units[0] = 0xd800 + ((cp - 0x10000) >> 10);
			units[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
			nu = 2;
		} else {
			units[0] = cp;
			nu = 1;
		}
		for (k = 0; k < nu; k++) {
			bits = (bits << 16) | (uint32_t)units[k];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				if (put_char(b64[(bits >> nbits) & 0x3f], out,
				    outlen, &o) == -1)
					return -1;
			}
			bits &= (1U << nbits) - 1;
		}
	}
	if (shifted) {
		if (nbits > 0 && put_char(b64[(bits << (6 - nbits)) & 0x3f],
		    out, outlen, &o) == -1)
			return -1;
		if (put_char('-', out, outlen, &o) == -1)
			return -1;
	}
	out[o] = '\0';
	return 0;
}
