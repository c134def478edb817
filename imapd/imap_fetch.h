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
#include "imap_section.h"
#include "imapsession.h"

struct mime_tree;

#define FETCH_HEADER_MAX	(16 * 1024 * 1024)	/* header read whole */

enum fetch_kind {
	FETCH_UID, FETCH_FLAGS, FETCH_INTERNALDATE, FETCH_SIZE,
	FETCH_ENVELOPE, FETCH_BODY, FETCH_BODYSTRUCTURE, FETCH_SECTION,
	FETCH_BINARY, FETCH_BINARY_SIZE, FETCH_SAVEDATE, FETCH_RFC822,
	FETCH_RFC822_HEADER, FETCH_RFC822_TEXT
};

struct fetch_item {
	enum fetch_kind	 kind;
	int		 peek;
	const char	*spec;		/* the section as sent, for the reply */
	size_t		 speclen;
	struct imap_section sec;
	int		 partial;
	uint64_t	 pstart, plen;
	/* BINARY: decoded before the response starts (errors are NO). */
	struct buf	 bin;
	int		 bin_found;
	int		 bin_nul;
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
	struct mime_tree *tree;		/* of all, or of hdr alone */
	int		 tree_full;
	int		 learnt;	/* new fields for the cache */
	unsigned	 learnt_str;	/* MCF_ENV, MCF_BS, MCF_BODY, MCF_SEARCH */
	struct buf	 env, bs, body;
	struct buf	 search;	/* the SEARCH fields, when known */
	int		 search_ok;
};

/* The header fields SEARCH finds in facteur-cache (the common keys). */
extern const char *const md_search_names[];

/* imap_fetch.c: literals in a FETCH response */
/* Sends what s->out holds, then "{n}" CRLF ("~{n}" for literal8). */
int	fetch_literal_head(struct imap_session *, uint64_t n, int lit8);
/* Applies the item's <start.len> to the range [*off, *off + *len). */
void	fetch_clip(const struct fetch_item *, uint64_t *off, uint64_t *len);
/* Sends p[0..n) as the item's value, <partial> applied. */
int	fetch_mem(struct imap_session *, const struct fetch_item *,
	    const char *p, size_t n, int lit8);

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
/*
 * The values of the fields of md_search_names in md->search, as
 * "name\0value\0..." (raw values, folds kept): from the cache, else from
 * the header (and then remembered).  0, or -1.
 */
int	md_search_fields(struct msgdata *);
/* The MIME tree of the message (full) or of its header alone. */
int	md_tree(struct msgdata *, int full);
/* Stores what was learnt in the folder's cache. */
void	md_remember(struct msgdata *);

#endif
