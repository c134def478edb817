/*
 * sendmail_fields: the header fields sendmail adds to a message that
 * lacks them: Date (RFC 5322 section 3.3, local time, numeric zone),
 * Message-ID (time and 64 random bits, so unique without coordination)
 * and From (the sender, with the -F full name as display name, quoted or
 * RFC 2047-encoded as its characters need).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sendmail.h"

int
field_date(char *out, size_t n, time_t t)
{
	struct tm tm;

	/* The C locale (setlocale is never called): English names. */
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, n, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		return -1;
	return 0;
}

int
field_message_id(char *out, size_t n, const char *host, time_t t)
{
	unsigned long long rnd;
	struct tm tm;
	int r;

	rnd = ((unsigned long long)arc4random() << 32) | arc4random();
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	r = snprintf(out, n, "<%04d%02d%02d%02d%02d%02d.%016llx@%s>",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, rnd, host);
	return r < 0 || (size_t)r >= n ? -1 : 0;
}

/* Length of the UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

int
field_fullname_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i, k;

	if (n > SM_FULLNAME_MAX)
		return 0;
	for (i = 0; i < n; i += k) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		if ((k = utf8_len(p + i, n - i)) == 0)
			return 0;
	}
	return 1;
}

static int
char_is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
base64_append(struct buf *out, const unsigned char *p, size_t n)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned int v;
	size_t i;
	char q[4];

	for (i = 0; i < n; i += 3) {
		v = (unsigned int)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned int)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		if (buf_append(out, q, 4) == -1)
			return -1;
	}
	return 0;
}

/* RFC 2047 encoded-words of at most 45 octets each (72 characters). */
static int
phrase_encode(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, j, k;

	while (i < n) {
		for (j = i; j < n && j - i < 45; j += k) {
			k = utf8_len(p + j, n - j);
			if (k == 0 || j + k - i > 45)
				break;
		}
		if (j == i)
			return -1;
		if ((i > 0 && buf_putc(out, ' ') == -1) ||
		    buf_append_str(out, "=?UTF-8?B?") == -1 ||
		    base64_append(out, p + i, j - i) == -1 ||
		    buf_append_str(out, "?=") == -1)
			return -1;
		i = j;
	}
	return 0;
}

static int
phrase_append(struct buf *out, const char *s)
{
	const unsigned char *p;
	int plain = 1, ascii = 1;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x80)
			ascii = 0;
		else if (!char_is_atext(*p) && *p != ' ')
			plain = 0;
	}
	if (s[0] == ' ' || s[strlen(s) - 1] == ' ' || strstr(s, "  "))
		plain = 0;
	if (!ascii)
		return phrase_encode(out, s);
	if (plain)
		return buf_append_str(out, s);
	if (buf_putc(out, '"') == -1)
		return -1;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (((*p == '"' || *p == '\\') && buf_putc(out, '\\') == -1) ||
		    buf_putc(out, *p) == -1)
			return -1;
	return buf_putc(out, '"');
}

int
field_from(struct buf *out, const char *fullname, const char *addr)
{
	if (fullname == NULL || *fullname == '\0')
		return buf_append_str(out, addr);
	if (phrase_append(out, fullname) == -1)
		return -1;
	return buf_printf(out, " <%s>", addr);
}
