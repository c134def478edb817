/*
 * imap_wellformed: what the imapd formatter fuzz targets check of their
 * output: one IMAP parenthesized list (RFC 9051 4): balanced, of NIL,
 * numbers, quoted strings and literals whose counts are right; no NUL
 * anywhere; no CR or LF outside a literal; without UTF-8 allowed, quoted
 * strings 7-bit.  Returns the number of top-level items, or -1.
 */
#ifndef FACTEUR_IMAP_WELLFORMED_H
#define FACTEUR_IMAP_WELLFORMED_H
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static long
imap_wellformed(const char *s, size_t n, int utf8)
{
	size_t	i = 0, depth = 0, items = 0, len, q;
	char	*end;

	if (memchr(s, '\0', n) != NULL || n == 0 || s[0] != '(')
		return -1;
	while (i < n) {
		switch (s[i]) {
		case '(':
			if (depth == 1)
				items++;
			depth++;
			i++;
			break;
		case ')':
			if (depth == 0)
				return -1;
			depth--;
			i++;
			if (depth == 0 && i != n)
				return -1;
			break;
		case ' ':
			if (i + 1 >= n || s[i + 1] == ' ' || s[i + 1] == ')')
				return -1;
			i++;
			break;
		case '"':
			for (q = i + 1; q < n && s[q] != '"'; q++) {
				if (s[q] == '\\') {
					q++;
					if (q >= n ||
					    (s[q] != '"' && s[q] != '\\'))
						return -1;
				} else if (s[q] == '\r' || s[q] == '\n')
					return -1;
			}
			if (q >= n)
				return -1;
			if (utf8 && !utf8_valid(s + i + 1, q - i - 1))
				return -1;
			if (!utf8)
				for (len = i + 1; len < q; len++)
					if ((unsigned char)s[len] >= 0x80)
						return -1;
			if (depth == 1)
				items++;
			i = q + 1;
			break;
		case '{':
			len = strtoul(s + i + 1, &end, 10);
			q = (size_t)(end - s);
			if (q + 3 > n || s[q] != '}' || s[q + 1] != '\r' ||
			    s[q + 2] != '\n' || n - (q + 3) < len)
				return -1;
			if (depth == 1)
				items++;
			i = q + 3 + len;
			break;
		default:
			if (depth == 0)
				return -1;
			if (depth == 1)
				items++;
			if (n - i >= 3 && memcmp(s + i, "NIL", 3) == 0)
				i += 3;
			else if (s[i] >= '0' && s[i] <= '9')
				while (i < n && s[i] >= '0' && s[i] <= '9')
					i++;
			else
				return -1;
			break;
		}
	}
	return depth == 0 ? (long)items : -1;
}

#endif
