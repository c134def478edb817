/*
 * imap_quote: writing IMAP strings (see imap_quote.h).  One pass finds
 * what the value holds; a second writes it.
 *
 * Trust: any bytes; no CR, LF or NUL leaves here outside a literal.
 */
#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "imap_quote.h"
#include "utf8.h"

/*
 * 1: escaped in a quoted string; 2: forces a literal; 4: not 7-bit on the
 * wire; 8: NUL (sent as U+FFFD, so also 4).
 */
static const unsigned char kind[256] = {
	[0] = 12, ['\r'] = 2, ['\n'] = 2, ['"'] = 1, ['\\'] = 1,
	[0x80] = 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

/* Appends s with each NUL as U+FFFD. */
static int
append_no_nul(struct buf *out, const char *s, size_t n)
{
	const char	*z;

	while ((z = memchr(s, '\0', n)) != NULL) {
		if (buf_append(out, s, (size_t)(z - s)) == -1 ||
		    buf_append(out, "\xef\xbf\xbd", 3) == -1)
			return -1;
		n -= (size_t)(z - s) + 1;
		s = z + 1;
	}
	return buf_append(out, s, n);
}

int
imap_quote_string(struct buf *out, const char *s, size_t n, unsigned flags)
{
	const unsigned char	*u = (const unsigned char *)s;
	unsigned		 all = 0;
	size_t			 i, nuls = 0, run;

	for (i = 0; i < n; i++) {
		all |= kind[u[i]];
		if (u[i] == 0)
			nuls++;
	}
	if ((all & 2) == 0 && ((all & 4) == 0 ||
	    ((flags & IMAP_FMT_UTF8) && utf8_valid(s, n)))) {
		if (buf_reserve(out, n + 3 * nuls + 2) == -1 ||
		    buf_putc(out, '"') == -1)
			return -1;
		if (all & 9) {
			for (i = run = 0; i < n; i++) {
				if ((kind[u[i]] & 9) == 0)
					continue;
				if (append_no_nul(out, s + run, i - run) == -1)
					return -1;
				if (u[i] == 0 ? buf_append(out, "\xef\xbf\xbd",
				    3) == -1 : (buf_putc(out, '\\') == -1 ||
				    buf_putc(out, u[i]) == -1))
					return -1;
				run = i + 1;
			}
			if (buf_append(out, s + run, n - run) == -1)
				return -1;
		} else if (buf_append(out, s, n) == -1)
			return -1;
		return buf_putc(out, '"');
	}
	if (buf_printf(out, "{%zu}\r\n", n + 2 * nuls) == -1)
		return -1;
	return append_no_nul(out, s, n);
}

int
imap_quote_nstring(struct buf *out, const char *s, size_t n, unsigned flags)
{
	if (s == NULL)
		return buf_append(out, "NIL", 3);
	return imap_quote_string(out, s, n, flags);
}
