/*
 * casemap: i;unicode-casemap (see casemap.h).  ASCII has a fast path;
 * other code points are looked up by binary search in the generated
 * table.
 *
 * Trust: any bytes; invalid UTF-8 becomes U+FFFD, the output is bounded by
 * the caller's buffer.
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "casemap.h"
#include "casemap_int.h"
#include "utf8.h"

size_t
casemap_cp(uint32_t cp, const uint32_t **out, uint32_t *one)
{
	size_t	lo = 0, hi = casemap_count, mid;

	if (cp < 0x80) {
		*one = cp >= 'a' && cp <= 'z' ? cp - 0x20 : cp;
		*out = one;
		return 1;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (casemap_keys[mid] == cp) {
			*out = casemap_pool + (casemap_index[mid] >> 5);
			return casemap_index[mid] & 31;
		}
		if (casemap_keys[mid] < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	*one = cp;
	*out = one;
	return 1;
}

int
casemap_utf8(const char *in, size_t n, struct buf *out)
{
	const unsigned char	*u = (const unsigned char *)in;
	const uint32_t		*m;
	uint32_t		 cp, one;
	size_t			 i = 0, l, k, run;
	char			 enc[4];

	while (i < n) {
		/* A run of ASCII: upper-cased in place in out. */
		for (run = i; i < n && u[i] < 0x80; i++)
			;
		if (i > run) {
			if (buf_reserve(out, i - run) == -1)
				return -1;
			for (k = run; k < i; k++)
				out->data[out->len++] = (char)(u[k] >= 'a' &&
				    u[k] <= 'z' ? u[k] - 0x20 : u[k]);
			out->data[out->len] = '\0';
		}
		if (i >= n)
			break;
		if ((l = utf8_decode(u + i, n - i, &cp)) == 0) {
			cp = UTF8_REPLACEMENT;
			l = 1;
		}
		i += l;
		for (k = casemap_cp(cp, &m, &one); k > 0; k--, m++)
			if (buf_append(out, enc, utf8_encode(*m, enc)) == -1)
				return -1;
	}
	return 0;
}
