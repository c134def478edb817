/*
 * imap_mime: FETCH's use of the MIME parser (lib/mime): ENVELOPE, BODY
 * and BODYSTRUCTURE (remembered in facteur-cache), sections with part
 * numbers (BODY[1.2.MIME]) and BINARY with its decoding.
 */
#ifndef FACTEUR_IMAP_MIME_H
#define FACTEUR_IMAP_MIME_H

#include "imap_fetch.h"

/* Each appends to s->out or streams; 0, or -1 with errno. */
int	mime_fetch_structure(struct imap_session *, struct msgdata *,
	    enum fetch_kind);
int	mime_fetch_section(struct imap_session *, struct msgdata *,
	    const struct fetch_item *);
int	mime_fetch_binary(struct imap_session *, struct msgdata *,
	    const struct fetch_item *);

/*
 * SEARCH's text matching: 1 when needle is in the header field value
 * (raw, as in the message) once decoded, or in the message's text (the
 * body, with the header too when text is set); 0 when not; -1 when the
 * message cannot be read (errno).
 */
int	mime_match_header(const char *value, size_t vlen, const char *needle,
	    size_t nlen);
int	mime_match_body(struct msgdata *, const char *needle, size_t nlen,
	    int text);

#endif
