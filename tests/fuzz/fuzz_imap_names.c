/*
 * libFuzzer target for imapd/imap_seq.c, imapd/imap_utf7.c and
 * imapd/mailbox_name.c.  The input is a sequence set, a name in modified
 * UTF-7 and one in UTF-8.  Checks: parsed ranges are sorted, merged, and
 * within 1..2^32-1 (or "*"'s value); UTF-7 that decodes encodes back to
 * the same bytes (one spelling per name); a name that is accepted maps
 * to a directory that starts with '.', is one path component, and has
 * no empty level, so no name reaches outside the Maildir.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "imap_seq.h"
#include "imap_utf7.h"
#include "mailbox_name.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_name(const char *s, size_t n, int utf8)
{
	char		 name[MAILBOX_NAME_MAX + 1], dir[MAILBOX_NAME_MAX + 2];
	char		 back[MAILBOX_NAME_MAX * 4 + 8];
	const char	*why = NULL;

	if (mailbox_name_from_wire(s, n, utf8, name, sizeof(name), &why) != 0) {
		if (why == NULL)
			abort();
		return;
	}
	if (mailbox_name_dir(name, dir, sizeof(dir)) == -1)
		return;		/* too long once encoded */
	if (strcmp(name, "INBOX") == 0) {
		if (strcmp(dir, ".") != 0)
			abort();
		return;
	}
	if (dir[0] != '.' || dir[1] == '.' || dir[1] == '\0' ||
	    strchr(dir, '/') != NULL || strstr(dir, "..") != NULL ||
	    dir[strlen(dir) - 1] == '.')
		abort();
	if (mailbox_name_to_wire(name, 0, back, sizeof(back)) == 0 && !utf8 &&
	    (strlen(back) != n || memcmp(back, s, n) != 0) &&
	    strcasecmp(name, "INBOX") != 0)
		abort();
	if (mailbox_name_from_dir(dir, back, sizeof(back)) != 0 ||
	    strcmp(back, name) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char	*s = (const char *)data, *nl, *nl2;
	struct imap_seq	 q;
	const char	*why;
	size_t		 k, a, b;
	uint32_t	 star = n > 0 ? data[0] * 1000u : 0;

	if ((nl = memchr(s, '\n', n)) == NULL)
		return 0;
	a = (size_t)(nl - s);
	if (imap_seq_parse(&q, s, a, star, 1, &why) == 0) {
		for (k = 0; k < q.n; k++) {
			if (q.r[k].lo > q.r[k].hi)
				abort();
			if (q.r[k].lo == 0 && star != 0)
				abort();
			if (k > 0 && q.r[k].lo <= q.r[k - 1].hi + 1 &&
			    q.r[k - 1].hi != UINT32_MAX)
				abort();
		}
		imap_seq_free(&q);
	}
	s = nl + 1;
	n -= a + 1;
	if ((nl2 = memchr(s, '\n', n)) == NULL)
		return 0;
	b = (size_t)(nl2 - s);
	check_name(s, b, 0);
	check_name(nl2 + 1, n - b - 1, 1);
	return 0;
}
