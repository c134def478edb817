/*
 * addr: RFC 5321 paths (MAIL FROM, RCPT TO, sendmail arguments) and
 * RFC 5322 address lists (To/Cc/Bcc for sendmail -t).
 *
 * Limits (RFC 5321 section 4.5.3.1): local part 64 octets, domain 255,
 * path 256 octets including the angle brackets.
 *
 * Trust: every address is a stranger's: parsed exactly, with the limits
 * above, refused rather than repaired.
 */
#ifndef FACTEUR_ADDR_H
#define FACTEUR_ADDR_H
#include <stddef.h>

#define ADDR_LOCAL_MAX	64
#define ADDR_DOMAIN_MAX	255
#define ADDR_PATH_MAX	256
/* Canonical text: local part quoted when it must be, '@', domain. */
#define ADDR_TEXT_MAX	(2 * ADDR_LOCAL_MAX + 3 + ADDR_DOMAIN_MAX)

struct mailpath {
	int	null;		/* the null path <> */
	int	utf8;		/* has non-ASCII (needs SMTPUTF8) */
	char	local[ADDR_LOCAL_MAX + 1];	/* unquoted value */
	char	domain[ADDR_DOMAIN_MAX + 1];	/* "" if none; [IP] literal as given */
	char	text[ADDR_TEXT_MAX + 1];	/* "" for the null path */
};

#define PATH_ALLOW_NULL		0x01	/* <> is valid (reverse-path) */
#define PATH_ALLOW_UTF8		0x02	/* RFC 6531 UTF-8 local part / domain */
#define PATH_NO_BRACKETS	0x04	/* bare address (sendmail argv) allowed */
#define PATH_ALLOW_NO_DOMAIN	0x08	/* "user" without @ (sendmail argv, <postmaster>) */

/*
 * Parses a path starting at s[0].  With angle brackets: `<[@route,...:]
 * mailbox>` (the source route is accepted and dropped, RFC 5321 C).
 * Returns 0 and *used = bytes consumed, or -1 and *why (a static English
 * reason).  Rejects control bytes, NUL, invalid UTF-8, over-long parts,
 * and domains that are not a dotted list of LDH labels or an address
 * literal.  Domains lose one trailing dot and keep their case in text.
 */
int	path_parse(const char *s, size_t n, int flags, struct mailpath *,
	    size_t *used, const char **why);

/*
 * Parses an RFC 5322 address-list (a header field value, unfolded or not),
 * calling cb with each addr-spec in canonical text form.  Display names,
 * comments, groups (`undisclosed-recipients:;`) and obsolete routes are
 * understood.  Returns 0, the first nonzero cb result, or -1 with *why.
 */
int	addrlist_parse(const char *s, size_t n, int flags,
	    int (*cb)(void *arg, const struct mailpath *), void *arg,
	    const char **why);

#endif
