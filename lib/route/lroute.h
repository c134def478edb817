/*
 * lroute: the rules of local routing that queued (which resolves
 * recipients), lspawn (which delivers them) and smtpd's monitor (which
 * accepts them) share, so that smtpd says 250 to exactly the recipients
 * the queue can deliver:
 *
 *   the class of a domain    local_domains, virtual_alias_domains,
 *                            virtual_mailbox_domains, or another's
 *   recipient_delimiter      "user+ext": the user and the extension
 *   virtual_alias_maps       an address's targets, looked up as
 *                            user+ext@domain, user@domain, @domain
 *                            (Postfix's virtual(5) order), the extension
 *                            carried over to the targets when the match
 *                            was made without it
 *   the keys of facteur.conf(5) this subject owns, checked together
 *
 * Trust: see lroute.c.
 */
#ifndef FACTEUR_LROUTE_H
#define FACTEUR_LROUTE_H
#include <stddef.h>

#include "conf.h"
#include "table.h"

#define LROUTE_TARGETS_MAX	1000	/* addresses in one virtual entry */

enum lroute_class {
	LROUTE_OTHER,		/* not delivered here */
	LROUTE_LOCAL,		/* local_domains (or no domain) */
	LROUTE_VALIAS,		/* virtual_alias_domains */
	LROUTE_VMAILBOX		/* virtual_mailbox_domains */
};

/* The class of domain ("" is local). */
enum lroute_class lroute_class(const struct conf *, const char *domain);

/*
 * Splits a local part at the first recipient_delimiter character that is
 * not its first octet: returns the length of the user part; *ext points
 * after the delimiter (NULL when there is none) and *delim is it ('\0'
 * when none).
 */
size_t	lroute_split(const struct conf *, const char *local, const char **ext,
	    char *delim);

/*
 * virtual_alias_maps (NULL when none is loaded), for addr (local@domain):
 * the targets, comma or blank separated, written to out (outsz octets)
 * with the extension carried over, one per NUL-terminated string, their
 * count in *n.  Returns 1 when found, 0 when not, -1 when the entry does
 * not fit (too many or too long targets; *why).
 */
int	lroute_virtual(const struct conf *, const struct table *,
	    const char *addr, char *out, size_t outsz, size_t *n,
	    const char **why);

/* virtual_alias_maps, loaded; NULL when the key is empty or on errors
 * (*failed set, the errors reported through errfn). */
struct table	*lroute_virtual_load(const struct conf *, conf_error_fn *,
		    void *arg, int *failed);

/*
 * The values of the keys of local routing: mailbox_format, the words of
 * allow_mail_to_commands and allow_mail_to_files, recipient_delimiter,
 * that virtual_alias_domains and virtual_mailbox_domains are neither
 * local nor each other's.  0, or -1 with the problem in err.
 */
int	lroute_conf_check(const struct conf *, char *err, size_t errsz);

/* 1 when allow_mail_to_commands (commands) or _files lists `where`
 * ("alias", "forward" or "include"). */
int	lroute_allowed(const struct conf *, int commands, const char *where);

#endif
