/*
 * netstring: D. J. Bernstein's "len:data," framing of every channel
 * between facteur's processes (lib/ipc/chan.c), and NUL-separated fields
 * inside a frame.
 * The decoder is strict: no leading zeros (except "0:"), no sign, no
 * spaces, at most NETSTRING_DIGITS_MAX digits, and a length over the
 * caller's maximum is refused before any data is waited for, so a peer
 * cannot make us buffer more than max.
 *
 * Trust: the input is a peer's: lengths are checked against the caller's
 * maximum before any data is waited for.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "netstring.h"

int
netstring_encode(struct buf *b, const void *data, size_t n)
{
	char	 hdr[32];
	int	 r;
	size_t	 oldlen = b->len;

	r = snprintf(hdr, sizeof(hdr), "%zu:", n);
	if (r < 0 || (size_t)r >= sizeof(hdr)) {
		errno = EOVERFLOW;
		return -1;
	}
	if (n > SIZE_MAX - (size_t)r - 1) {
		errno = E2BIG;
		return -1;
	}
	if (buf_reserve(b, (size_t)r + n + 1) == -1)
		return -1;
	if (buf_append(b, hdr, (size_t)r) == -1 ||
	    (n > 0 && buf_append(b, data, n) == -1) ||
	    buf_putc(b, ',') == -1) {
		/* Keep the buffer as it was: never half a netstring. */
		b->len = oldlen;
		if (b->data != NULL)
			b->data[oldlen] = '\0';
		return -1;
	}
	return 0;
}

int
netstring_decode(const char *p, size_t n, size_t max, const char **data,
    size_t *dlen, size_t *used)
{
	size_t	 i, len = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ':')
			break;
		if (c < '0' || c > '9')
			return -1;
		if (i >= NETSTRING_DIGITS_MAX)
			return -1;
		/* "0:" is the empty netstring; "01:" is malformed. */
		if (i == 1 && p[0] == '0')
			return -1;
		if (len > (SIZE_MAX - (size_t)(c - '0')) / 10)
			return -1;
		len = len * 10 + (size_t)(c - '0');
		if (len > max)
			return -1;
	}
	if (i == n) {
		/* Still in the length (or no byte at all): need more. */
		return 0;
	}
	if (i == 0)
		return -1;		/* ":" with no digits */
	/* p[i] == ':'; data at i+1 .. i+len, then ',' */
	if (n - (i + 1) < len + 1)
		return 0;
	if (p[i + 1 + len] != ',')
		return -1;
	*data = p + i + 1;
	*dlen = len;
	*used = i + 1 + len + 1;
	return 1;
}

/*
 * Frames are fields separated by NUL.  A final NUL ends the last field
 * (qmail's "F..\0T..\0" style) and nothing is written past dlen; when the
 * data does not end in NUL, data[dlen] must be writable (it is the ',' of
 * the netstring the frame came from) and becomes the last field's NUL.
 * An empty frame (dlen 0) has no fields.
 */
int
frame_split(char *data, size_t dlen, char **fields, int maxf)
{
	size_t	 i, start = 0;
	int	 nf = 0;

	if (maxf < 0)
		return -1;
	if (dlen == 0)
		return 0;
	for (i = 0; i <= dlen; i++) {
		if (i < dlen && data[i] != '\0')
			continue;
		if (i == dlen && start == dlen && data[dlen - 1] == '\0')
			break;		/* the trailing NUL ended the last field */
		if (nf >= maxf)
			return -1;
		fields[nf++] = data + start;
		if (i == dlen)
			data[i] = '\0';
		start = i + 1;
	}
	return nf;
}

/*
 * field0 NUL field1 NUL ... fieldN, plus one trailing NUL when the last
 * field is empty, so that frame_split gives back exactly nf fields (an
 * empty last field would otherwise vanish into "ends in NUL").
 */
int
frame_encode(struct buf *out, const char *const *fields, int nf)
{
	struct buf	 tmp;
	int		 i, r;

	if (nf < 0) {
		errno = EINVAL;
		return -1;
	}
	buf_init(&tmp, out->max);
	for (i = 0; i < nf; i++) {
		if ((i > 0 && buf_putc(&tmp, '\0') == -1) ||
		    buf_append_str(&tmp, fields[i]) == -1)
			goto fail;
	}
	if (nf > 0 && fields[nf - 1][0] == '\0' && buf_putc(&tmp, '\0') == -1)
		goto fail;
	r = netstring_encode(out, tmp.data != NULL ? tmp.data : "", tmp.len);
	buf_free(&tmp);
	return r;
fail:
	buf_free(&tmp);
	errno = E2BIG;
	return -1;
}
