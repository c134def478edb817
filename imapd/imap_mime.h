/*
 * imap_mime: FETCH's use of the MIME side (lib/mime and the formatters
 * of imap_envelope.h, imap_bodystructure.h, imap_section.h): ENVELOPE,
 * BODY and BODYSTRUCTURE (remembered in facteur-cache), sections other
 * than the message's BODY[] and BODY[TEXT], and BINARY with its
 * decoding.
 */
#ifndef FACTEUR_IMAP_MIME_H
#define FACTEUR_IMAP_MIME_H

#include "imap_fetch.h"

/* ENVELOPE, BODY or BODYSTRUCTURE (k), with its name, into s->out. */
int	mime_fetch_structure(struct imap_session *, struct msgdata *,
	    enum fetch_kind k);
/* A section's value: the literal, sent. */
int	mime_fetch_section(struct imap_session *, struct msgdata *,
	    const struct fetch_item *);
/*
 * Decodes BINARY[section] into it->bin (it->bin_found, it->bin_nul): 0;
 * IMAP_BINARY_UNKNOWN_CTE; -1 with errno.
 */
int	mime_fetch_binary(struct imap_session *, struct msgdata *,
	    struct fetch_item *);

#endif
