/*
 * store_cache: facteur-cache, what imapsession learnt of a folder's
 * messages by reading them, kept so that the next FETCH or SEARCH reads
 * no message file: sizes, the internal date, the ENVELOPE, BODY and
 * BODYSTRUCTURE as sent, and the header fields SEARCH looks at.
 *
 * The file is a sequence of records, each a netstring whose payload is
 * fields "<tag><netstring>": 'u' the unique name, then any of the MCF_
 * fields below.  A message's last record holds all that is known of it
 * (a session writes the merged record), so readers index only the last.
 * Records are appended under flock(2) of the file; when most bytes are
 * records nobody uses, a session rewrites it (temporary file, rename).
 * A session maps the file read-only (shared with every other session of
 * the folder through the page cache) when it first needs it, lets the
 * pages go at the end of each command, and keeps what it learns in
 * memory until it appends it, at the end of the command.
 *
 * Keyed by unique name, a record stays valid whatever renames the file
 * (flags, new/ to cur/), since a Maildir file's content never changes; a
 * record whose raw size disagrees with the file is ignored.  A cut or
 * malformed tail (a crash in an append) is cut off by the next append.
 */
#ifndef FACTEUR_STORE_CACHE_H
#define FACTEUR_STORE_CACHE_H
#include <stddef.h>
#include <stdint.h>

#define MCACHE_PENDING_MAX	(64 * 1024 * 1024)
#define MCACHE_FLUSH_AT		(4 * 1024 * 1024)
#define MCACHE_FIELD_MAX	(1024 * 1024)	/* octets of one field */
#define MCACHE_PENDING_BIT	0x80000000U

/* Fields (the have bits). */
#define MCF_RAW		0x001	/* 'r' size on disk */
#define MCF_WIRE	0x002	/* 'w' size with CRLF ends (RFC822.SIZE) */
#define MCF_HDR		0x004	/* 'h' wire octets of the header */
#define MCF_DATE	0x008	/* 'd' INTERNALDATE, seconds */
#define MCF_ENV		0x010	/* 'e' ENVELOPE */
#define MCF_BS		0x020	/* 'b' BODYSTRUCTURE */
#define MCF_BODY	0x040	/* 'B' BODY */
#define MCF_SEARCH	0x080	/* 's' header fields for SEARCH */
#define MCF_LINES	0x100	/* 'l' lines of the body */

struct folder;

struct mcache_rec {
	unsigned	 have;
	uint64_t	 raw, wire, hdr, lines;
	int64_t		 date;
	const char	*env, *bs, *body, *search;
	size_t		 envlen, bslen, bodylen, searchlen;
};

/*
 * Decodes a record's payload p[0..n): the unique name in *u, *ulen, the
 * fields in *r (pointing into p).  0, or -1 when malformed.
 */
int	mcache_decode(const char *p, size_t n, const char **u, size_t *ulen,
	    struct mcache_rec *r);
/*
 * Maps the folder's cache file (none is fine).  0, or -1.  mcache_get
 * and mcache_put do it themselves the first time: a session that never
 * asks for cached data never reads the file.
 */
int	mcache_load(struct folder *);
/* Finds the records of messages from index `from` on.  0. */
int	mcache_index(struct folder *, size_t from);
/*
 * What is cached for message i: 1 with *r filled (pointers valid until
 * the next mcache_put, mcache_flush or sync), 0 when nothing is.
 */
int	mcache_get(struct folder *, size_t i, struct mcache_rec *r);
/*
 * Lets the pages of the mapping go from this process (they stay in the
 * page cache): called when a command is done, so that an idle session
 * holds none of a big folder's cache.
 */
void	mcache_release(struct folder *);
/* Adds r's fields to message i's record (kept until mcache_flush). */
int	mcache_put(struct folder *, size_t i, const struct mcache_rec *r);
/* Appends what was learnt to the file and maps it again.  0 or -1. */
int	mcache_flush(struct folder *);
void	mcache_close(struct folder *);

#endif
