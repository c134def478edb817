/*
 * imap_fetch: what FETCH (RFC 9051 6.4.5) shares between its files: the
 * parsed items (imap_fetch.c), and the data of one message read as it is
 * needed, from facteur-cache when possible (imap_fetch_body.c): sizes,
 * the internal date, the header, ranges of the message in its wire form
 * (CRLF line ends: what sizes and offsets of IMAP count) streamed to the
 * client, and the whole message in memory for the MIME parser.
 */
#ifndef FACTEUR_IMAP_FETCH_H
#define FACTEUR_IMAP_FETCH_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "imapsession.h"

#define FETCH_PARTS_MAX		32	/* levels of a section's part number */
#define FETCH_FIELDS_MAX	256	/* names in HEADER.FIELDS */
#define FETCH_HEADER_MAX	(16 * 1024 * 1024)	/* header read whole */

enum fetch_kind {
	FETCH_UID, FETCH_FLAGS, FETCH_INTERNALDATE, FETCH_SIZE,
	FETCH_ENVELOPE, FETCH_BODY, FETCH_BODYSTRUCTURE, FETCH_SECTION,
	FETCH_BINARY, FETCH_BINARY_SIZE, FETCH_SAVEDATE, FETCH_RFC822,
	FETCH_RFC822_HEADER, FETCH_RFC822_TEXT
};

enum section_kind {
	SEC_ALL,		/* BODY[] or BODY[1.2] */
	SEC_HEADER, SEC_HEADER_FIELDS, SEC_HEADER_FIELDS_NOT, SEC_TEXT,
	SEC_MIME
};

struct fetch_section {
	uint32_t	 part[FETCH_PARTS_MAX];
	size_t		 nparts;
	enum section_kind kind;
	const char	*fields[FETCH_FIELDS_MAX];	/* into the command */
	size_t		 flen[FETCH_FIELDS_MAX];
	size_t		 nfields;
};

struct fetch_item {
	enum fetch_kind	 kind;
	int		 peek;
	const char	*spec;		/* the section as sent, for the reply */
	size_t		 speclen;
	struct fetch_section sec;
	int		 partial;
	uint64_t	 pstart, plen;
};

/* One message's data, read as needed. */
struct msgdata {
	struct imap_session *s;
	struct folder	*f;
	size_t		 i;
	int		 fd;
	unsigned	 have;		/* MCF_* of store_cache.h known */
	uint64_t	 raw, wire;	/* whole message */
	uint64_t	 hdr_raw, hdr_wire;	/* header with its blank line */
	time_t		 date;
	struct buf	 hdr;		/* the header, wire form, when read */
	int		 hdr_read;
	char		*all;		/* the message, wire form, when loaded */
	size_t		 all_len;
	int		 learnt;	/* new fields for the cache */
};

/* imap_fetch_body.c */
void	md_init(struct msgdata *, struct imap_session *, size_t i);
void	md_free(struct msgdata *);
/*
 * Each 0, or -1 (errno ENOENT: the message is gone).  md_open first:
 * once a literal's size is sent, the file must be open already.
 */
int	md_open(struct msgdata *);
int	md_sizes(struct msgdata *);
int	md_date(struct msgdata *);
int	md_header(struct msgdata *);
int	md_load(struct msgdata *);
/* Sends wire bytes [off, off+len) of the message (raw from raw_off). */
int	md_stream(struct msgdata *, uint64_t raw_off, uint64_t skip,
	    uint64_t len);
/* Stores what was learnt in the folder's cache. */
void	md_remember(struct msgdata *);
/* The header lines named (or not named: not) in sec into out. */
int	md_header_fields(const char *hdr, size_t len,
	    const struct fetch_section *sec, int not, struct buf *out);

#endif
