/*
 * store_flags: a message's flags in its file name, as the Maildir spec
 * and Dovecot write them: the info ":2," followed by flag letters in
 * ASCII order, D (draft), F (flagged), R (replied: \Answered), S (seen),
 * T (trashed: \Deleted), and a..z for the folder's keywords (index 0 is
 * 'a', facteur-keywords names them).  Other letters that other programs
 * put there (P, for instance) are kept as they are.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store.h"

#define INFO_MAX	64	/* letters of an info we read or write */

static const struct {
	char	 c;
	uint8_t	 bit;
} sysflags[] = {
	{ 'D', MSG_DRAFT }, { 'F', MSG_FLAGGED }, { 'R', MSG_ANSWERED },
	{ 'S', MSG_SEEN }, { 'T', MSG_DELETED }
};

/* The letters after ":2,", or NULL when the name has no such info. */
static const char *
flags_info(const char *name)
{
	const char	*colon = strchr(name, ':');

	if (colon == NULL || strncmp(colon, ":2,", 3) != 0)
		return NULL;
	return colon + 3;
}

void
flags_from_name(const char *name, uint8_t *flags, uint32_t *kw)
{
	const char	*p = flags_info(name);
	size_t		 k;

	*flags = 0;
	*kw = 0;
	if (p == NULL)
		return;
	for (; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'z') {
			*kw |= 1U << (*p - 'a');
			continue;
		}
		for (k = 0; k < sizeof(sysflags) / sizeof(sysflags[0]); k++)
			if (*p == sysflags[k].c)
				*flags |= sysflags[k].bit;
	}
}

static int
flags_is_sys(char c)
{
	return c == 'D' || c == 'F' || c == 'R' || c == 'S' || c == 'T';
}

int
flags_name(const char *name, size_t ulen, uint8_t flags, uint32_t kw,
    char *out, size_t outlen)
{
	const char	*old = flags_info(name);
	char		 info[INFO_MAX + 1], t;
	size_t		 n = 0, i, j, k;
	int		 r;

	/* Letters other programs set, kept; then ours. */
	for (; old != NULL && *old != '\0'; old++) {
		if ((*old >= 'a' && *old <= 'z') || flags_is_sys(*old) ||
		    (unsigned char)*old <= 0x20 || *old == 0x7f ||
		    memchr(info, *old, n) != NULL)
			continue;
		if (n == INFO_MAX)
			goto toolong;
		info[n++] = *old;
	}
	for (k = 0; k < sizeof(sysflags) / sizeof(sysflags[0]); k++)
		if (flags & sysflags[k].bit) {
			if (n == INFO_MAX)
				goto toolong;
			info[n++] = sysflags[k].c;
		}
	for (k = 0; k < STORE_KEYWORDS_MAX; k++)
		if (kw & (1U << k)) {
			if (n == INFO_MAX)
				goto toolong;
			info[n++] = (char)('a' + k);
		}
	/* ASCII order, as the Maildir spec asks. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && info[j - 1] > info[j]; j--) {
			t = info[j];
			info[j] = info[j - 1];
			info[j - 1] = t;
		}
	info[n] = '\0';
	r = snprintf(out, outlen, "%.*s:2,%s", (int)ulen, name, info);
	if (r < 0 || (size_t)r >= outlen)
		goto toolong;
	return 0;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}
