/*
 * mailbox_name: IMAP mailbox names as imapsession checks and stores
 * them.  Inside the session a name is UTF-8 with '.' between hierarchy
 * levels ("INBOX", "Lists.facteur"); on the wire it is modified UTF-7
 * (RFC 3501 5.1.3) unless the client enabled UTF-8 (RFC 6855, IMAP4rev2);
 * on disk, folder "A.B" is the Maildir++ directory ".A.B" in modified
 * UTF-7, as Courier and Dovecot name it, and INBOX is the Maildir itself.
 *
 * A name is refused (never mapped to some other path) when it is empty,
 * longer than MAILBOX_NAME_MAX, holds a control character, '/', '\\' or
 * a wildcard ('%', '*'), or has an empty level: a leading or trailing
 * '.', or "..".  So no name reaches outside the Maildir or into cur/,
 * new/ or tmp/.  "INBOX" is matched case-insensitively (RFC 9051 5.1).
 */
#ifndef FACTEUR_MAILBOX_NAME_H
#define FACTEUR_MAILBOX_NAME_H
#include <stddef.h>

#define MAILBOX_NAME_MAX	200	/* octets, as UTF-8 and on disk */
#define MAILBOX_DELIM		'.'

/*
 * The name from the client's bytes s[0..n): UTF-8 when utf8 is set, else
 * modified UTF-7.  0 with out (size MAILBOX_NAME_MAX + 1 at least); -1
 * with *why when the bytes are malformed (a BAD), -2 when the name is
 * refused (a NO).
 */
int	mailbox_name_from_wire(const char *s, size_t n, int utf8, char *out,
	    size_t outlen, const char **why);
/* The form to send: the name itself, or its modified UTF-7. */
int	mailbox_name_to_wire(const char *name, int utf8, char *out,
	    size_t outlen);
/* The directory of the name, relative to the Maildir: "." for INBOX. */
int	mailbox_name_dir(const char *name, char *out, size_t outlen);
/*
 * The name of a Maildir++ directory entry (".A.B"): 0, or -1 when the
 * entry is no folder of ours (not a valid name once decoded).
 */
int	mailbox_name_from_dir(const char *entry, char *out, size_t outlen);
int	mailbox_name_is_inbox(const char *name);
/* 1 when name is inside parent's hierarchy ("A.B" in "A"). */
int	mailbox_name_is_child(const char *name, const char *parent);

#endif
