/*
 * utf8: UTF-8 decoding with every invalid form refused (overlong forms,
 * surrogates, values past U+10FFFF, truncated sequences), encoding, and
 * the windows-1252 table that stands in for bytes that are not UTF-8.
 *
 * Trust: any bytes; decoding never reads past the length given.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"

size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t	c = s[0], min;
	size_t		len, i;

	*cp = c;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

size_t
utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int
utf8_valid(const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 i = 0, l;

	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((l = utf8_decode(u + i, n - i, &cp)) == 0)
			return 0;
		i += l;
	}
	return 1;
}

/* windows-1252 0x80-0x9f; the five holes keep their C1 code points. */
static const uint16_t cp1252_high[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

uint32_t
utf8_cp1252(unsigned char c)
{
	if (c >= 0x80 && c < 0xa0)
		return cp1252_high[c - 0x80];
	return c;
}

int
utf8_sanitize(const char *s, size_t n, int fallback, struct buf *out)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, run = 0, l;
	uint32_t		 cp;
	char			 enc[4];

	/* Valid runs are appended whole; only the bad bytes one by one. */
	while (i < n) {
		if (u[i] >= 0x80)
			l = utf8_decode(u + i, n - i, &cp);
		else
			l = u[i] == 0 ? 0 : 1;
		if (l > 0) {
			i += l;
			continue;
		}
		if (buf_append(out, s + run, i - run) == -1)
			return -1;
		cp = u[i] == 0 || fallback == UTF8_FALLBACK_FFFD ?
		    UTF8_REPLACEMENT : utf8_cp1252(u[i]);
		if (buf_append(out, enc, utf8_encode(cp, enc)) == -1)
			return -1;
		run = ++i;
	}
	return buf_append(out, s + run, n - run);
}
