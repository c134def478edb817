/*
 * imap_address: an address-list header field (From, To, Cc, ...; RFC
 * 5322 3.4 with the obsolete forms of 4.4) as the address list of an
 * IMAP ENVELOPE (RFC 3501 7.4.2, RFC 9051 7.5.2):
 * `((name adl mailbox host)...)`, or NIL when it names no address.
 *
 * The value comes from a stranger and is often broken; like Dovecot,
 * this parser never fails but says what it could read:
 *  - display names and local parts are unquoted, words joined by one
 *    space (names) or none (local parts); RFC 2047 words stay encoded,
 *    as RFC 3501 wants;
 *  - `name <@route,@route:box@host>` gives the route as adl;
 *  - a group `name: a, b;` is (NIL NIL "name" NIL), its members, then
 *    (NIL NIL NIL NIL);
 *  - `box@host (Name)`: the comment after the address is the name when
 *    there is no display name;
 *  - a mailbox without a domain gets host "MISSING_DOMAIN", a missing
 *    local part "MISSING_MAILBOX" (Dovecot's words), so that a host is
 *    NIL only for a group;
 *  - empty list elements (`a@b,,c@d`) are skipped; after an address,
 *    anything up to the next ',' or ';' is ignored.
 * lib/mail/addr.h's parser is not used: it is strict (it must refuse what
 * it cannot route) and keeps no display names or groups.
 *
 * Strings are written with imap_quote (flags: IMAP_FMT_UTF8).
 *
 * Trust: the value is a stranger's, any bytes; output is bounded by the
 * caller's buffer.
 */
#ifndef FACTEUR_IMAP_ADDRESS_H
#define FACTEUR_IMAP_ADDRESS_H
#include <stddef.h>

#include "buf.h"

/*
 * A list being written: begin, add each field's value (repeated fields,
 * `To: a` then `To: b`, make one list, as Dovecot does), end.
 */
struct imap_address_list {
	struct buf	*out;
	unsigned	 flags;
	size_t		 count;		/* addresses written so far */
	struct buf	 name, local, domain, adl;	/* scratch */
};

void	imap_address_begin(struct imap_address_list *, struct buf *out,
	    unsigned flags);
/* Adds the addresses of value[0..n) (raw, folds allowed); 0, or -1. */
int	imap_address_add(struct imap_address_list *, const char *value,
	    size_t n);
/*
 * Closes the list (or writes NIL when it has no address) and frees the
 * scratch; 0, or -1 (out full, or memory ran out).  Call it also after
 * a failed add.
 */
int	imap_address_end(struct imap_address_list *);

#endif
