/*
 * imap_mime: FETCH's use of the MIME parser (see imap_mime.h).
 */
#include <errno.h>
#include <strings.h>

#include "imap_mime.h"

int
mime_fetch_structure(struct imap_session *s, struct msgdata *md,
    enum fetch_kind k)
{
	(void)s;
	(void)md;
	(void)k;
	errno = ENOTSUP;
	return -1;
}

int
mime_fetch_section(struct imap_session *s, struct msgdata *md,
    const struct fetch_item *it)
{
	(void)s;
	(void)md;
	(void)it;
	errno = ENOTSUP;
	return -1;
}

int
mime_fetch_binary(struct imap_session *s, struct msgdata *md,
    const struct fetch_item *it)
{
	(void)s;
	(void)md;
	(void)it;
	errno = ENOTSUP;
	return -1;
}

/* ASCII case-insensitive substring, until the decoding matcher lands. */
static int
mime_contains(const char *h, size_t hn, const char *n, size_t nn)
{
	size_t	 i;

	if (nn == 0)
		return 1;
	for (i = 0; i + nn <= hn; i++)
		if (strncasecmp(h + i, n, nn) == 0)
			return 1;
	return 0;
}

int
mime_match_header(const char *value, size_t vlen, const char *needle,
    size_t nlen)
{
	return mime_contains(value, vlen, needle, nlen);
}

int
mime_match_body(struct msgdata *md, const char *needle, size_t nlen, int text)
{
	size_t	 off = 0;

	if (md_load(md) == -1)
		return -1;
	if (!text) {
		if (md_header(md) == -1)
			return -1;
		off = md->hdr_wire < md->all_len ? md->hdr_wire : md->all_len;
	}
	return mime_contains(md->all + off, md->all_len - off, needle, nlen);
}
