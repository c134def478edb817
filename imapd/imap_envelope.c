/*
 * imap_envelope: ENVELOPE from a header section (see imap_envelope.h).
 * One pass over the fields keeps the first of each of the ten names;
 * then the ten values are written in the envelope's order.
 *
 * Trust: the header is a stranger's; see imap_envelope.h.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "header_scan.h"
#include "imap_address.h"
#include "imap_envelope.h"
#include "imap_quote.h"

enum env_field {
	E_DATE, E_SUBJECT, E_FROM, E_SENDER, E_REPLY_TO, E_TO, E_CC, E_BCC,
	E_IN_REPLY_TO, E_MESSAGE_ID, E_COUNT
};

static const struct {
	const char	*name;
	size_t		 len;
} env_names[E_COUNT] = {
	{ "date", 4 }, { "subject", 7 }, { "from", 4 }, { "sender", 6 },
	{ "reply-to", 8 }, { "to", 2 }, { "cc", 2 }, { "bcc", 3 },
	{ "in-reply-to", 11 }, { "message-id", 10 },
};

static int
env_which(const struct header_field *f)
{
	int	k;

	/* Most fields are none of these: look at the length first. */
	switch (f->namelen) {
	case 2: case 3: case 4: case 6: case 7: case 8: case 10: case 11:
		break;
	default:
		return -1;
	}
	for (k = 0; k < E_COUNT; k++)
		if (env_names[k].len == f->namelen &&
		    strncasecmp(f->name, env_names[k].name, f->namelen) == 0)
			return k;
	return -1;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* An unstructured value: unfolded, trimmed, as an nstring. */
static int
text_write(struct buf *out, const struct header_field *f, unsigned flags,
    struct buf *scratch)
{
	const char	*s;
	size_t		 n, i;

	if (f->name == NULL)
		return buf_append(out, "NIL", 3);
	s = f->value;
	n = f->valuelen;
	while (n > 0 && is_blank((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_blank((unsigned char)s[n - 1]))
		n--;
	if (memchr(s, '\n', n) == NULL && memchr(s, '\r', n) == NULL)
		return imap_quote_string(out, s, n, flags);
	buf_reset(scratch);
	for (i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n' &&
		    buf_putc(scratch, (unsigned char)s[i]) == -1)
			return -1;
	return imap_quote_string(out, scratch->data, scratch->len, flags);
}

/* Every field of kind k (there may be several) as one address list. */
static int
addresses_write(struct buf *out, const char *hdr, size_t len,
    const struct header_field *first, unsigned repeats, int k,
    unsigned flags, size_t *count)
{
	struct imap_address_list	 al;
	struct header_scan		 hs;
	struct header_field		 cur;
	int				 r = 0;

	imap_address_begin(&al, out, flags);
	if (first->name != NULL)
		r = imap_address_add(&al, first->value, first->valuelen);
	if (repeats > 0) {
		header_scan_init(&hs, first->value, len - (size_t)(first->value -
		    hdr));
		while (r == 0 && header_scan_next(&hs, &cur))
			if (env_which(&cur) == k)
				r = imap_address_add(&al, cur.value,
				    cur.valuelen);
	}
	*count = al.count;
	if (imap_address_end(&al) == -1)
		r = -1;
	return r;
}

int
imap_envelope_write(struct buf *out, const char *hdr, size_t len,
    unsigned flags)
{
	struct header_field	 f[E_COUNT], cur;
	struct header_scan	 hs;
	struct buf		 scratch;
	unsigned		 repeats[E_COUNT];
	size_t			 from_off, from_len, count;
	int			 k, r = -1;

	memset(f, 0, sizeof(f));
	memset(repeats, 0, sizeof(repeats));
	header_scan_init(&hs, hdr, len);
	while (header_scan_next(&hs, &cur)) {
		if ((k = env_which(&cur)) < 0)
			continue;
		if (f[k].name == NULL)
			f[k] = cur;
		else
			repeats[k] = 1;
	}

	buf_init(&scratch, len + 1);
	if (buf_putc(out, '(') == -1 ||
	    text_write(out, &f[E_DATE], flags, &scratch) == -1 ||
	    buf_putc(out, ' ') == -1 ||
	    text_write(out, &f[E_SUBJECT], flags, &scratch) == -1 ||
	    buf_putc(out, ' ') == -1)
		goto out;
	from_off = out->len;
	if (addresses_write(out, hdr, len, &f[E_FROM], repeats[E_FROM], E_FROM,
	    flags, &count) == -1)
		goto out;
	from_len = out->len - from_off;
	for (k = E_SENDER; k <= E_BCC; k++) {
		if (buf_putc(out, ' ') == -1 ||
		    addresses_write(out, hdr, len, &f[k], repeats[k], k, flags,
		    &count) == -1)
			goto out;
		if (count > 0 || k > E_REPLY_TO)
			continue;
		/* Sender or Reply-To absent or naming nobody: From. */
		out->len -= 3;	/* the NIL */
		if (buf_reserve(out, from_len) == -1)
			goto out;
		memcpy(out->data + out->len, out->data + from_off, from_len);
		out->len += from_len;
		out->data[out->len] = '\0';
	}
	if (buf_putc(out, ' ') == -1 ||
	    text_write(out, &f[E_IN_REPLY_TO], flags, &scratch) == -1 ||
	    buf_putc(out, ' ') == -1 ||
	    text_write(out, &f[E_MESSAGE_ID], flags, &scratch) == -1 ||
	    buf_putc(out, ')') == -1)
		goto out;
	r = 0;
out:
	buf_free(&scratch);
	return r;
}
