/*
 * libFuzzer target for lib/smtp/smtp_reply.c: the input is what a remote
 * SMTP server sends, cut into lines at LF as the client reads them (at
 * most SMTP_REPLY_LINE_MAX octets each).  A complete reply must have a
 * code in range, no more lines than allowed, and a one-line form of
 * printable ASCII; the EHLO parser must take any reply.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply	 r;
	struct smtp_ext		 e;
	const char		*p = (const char *)data, *nl, *why;
	char			 one[512];
	size_t			 left = size, n, i;
	int			 k = 0;

	smtp_reply_init(&r);
	while (left > 0 && k == 0) {
		nl = memchr(p, '\n', left);
		n = nl != NULL ? (size_t)(nl - p) + 1 : left;
		if (n > SMTP_REPLY_LINE_MAX)
			n = SMTP_REPLY_LINE_MAX;
		k = smtp_reply_line(&r, p, n, &why);
		p += n;
		left -= n;
	}
	if (k != 1)
		return 0;
	if (r.code < 200 || r.code > 599 || r.nlines > SMTP_REPLY_LINES_MAX ||
	    r.textlen > SMTP_REPLY_TEXT_MAX)
		abort();
	smtp_reply_oneline(&r, one, sizeof(one));
	for (i = 0; one[i] != '\0'; i++)
		if ((unsigned char)one[i] < 0x20 || (unsigned char)one[i] > 0x7e)
			abort();
	smtp_ehlo_parse(&r, &e);
	smtp_reply_dsn(r.code, smtp_reply_text(&r, 0) != NULL ?
	    smtp_reply_text(&r, 0) : "", one, 12);
	if (one[0] != '0' + r.code / 100)
		abort();
	return 0;
}
