/*
 * imap_section: BODY[section] and BINARY[section] (RFC 3501 6.4.5, RFC
 * 9051 6.4.5, RFC 3516): parsing the section text between the brackets,
 * and finding what it names in a parsed message (lib/mime/mime.h) as
 * segments of the wire form, so that the session serves <partial> with
 * imap_section_copy and BINARY with mime_part_decode.
 *
 * Part numbers: a message's parts are numbered as its multipart body's
 * parts, or, when its body is not multipart, the body alone is part 1.
 * The part of a message/rfc822 (or message/global) part is numbered
 * within the encapsulated message: 2.1 is the first part of the message
 * attached as part 2.  HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT and TEXT
 * apply to the message itself (no part number) or to a message/rfc822
 * part; MIME to any numbered part (its own header).
 *
 * A section that names nothing (part 7 of a 2-part message, 1.1 of a
 * text part, HEADER of a part that is not a message) is found empty:
 * Dovecot then answers an empty string, which imapd should do too.
 * HEADER.FIELDS gives the matching fields in header order, then CRLF
 * (also when none matched: RFC 3501's example answers "\r\n"); .NOT
 * gives the other fields.
 *
 * Limits: IMAP_SECTION_PARTS_MAX part numbers, IMAP_SECTION_FIELDS_MAX
 * field names of IMAP_SECTION_NAME_MAX octets; more is a syntax error
 * (BAD).  Trust: the section text is the client's; field names point
 * into it (it must outlive the section).
 */
#ifndef FACTEUR_IMAP_SECTION_H
#define FACTEUR_IMAP_SECTION_H
#include <stddef.h>
#include <stdint.h>

struct buf;
struct mime_tree;
struct mime_part;

#define IMAP_SECTION_PARTS_MAX	128
#define IMAP_SECTION_FIELDS_MAX	256
#define IMAP_SECTION_NAME_MAX	256

enum imap_section_kind {
	IMAP_SECTION_ALL,		/* BODY[], BODY[1.2]: the part's body */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_FIELDS,		/* HEADER.FIELDS */
	IMAP_SECTION_FIELDS_NOT,	/* HEADER.FIELDS.NOT */
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME
};

struct imap_section {
	uint32_t		 part[IMAP_SECTION_PARTS_MAX];
	size_t			 nparts;	/* 0: the message itself */
	enum imap_section_kind	 kind;
	struct {
		const char	*p;		/* unquoted, into the text */
		size_t		 len;
	}			 field[IMAP_SECTION_FIELDS_MAX];
	size_t			 nfields;
};

#define IMAP_SECTION_BINARY	0x1	/* BINARY[]: part numbers only */

/*
 * Parses s[0..n), the text between '[' and ']' ("", "1.2", "HEADER",
 * "1.HEADER.FIELDS (Subject From)", ...; field names are atoms, quoted
 * strings or literals).  Returns 0, or -1 with *why (for a BAD reply).
 */
int	imap_section_parse(const char *s, size_t n, unsigned flags,
	    struct imap_section *, const char **why);

/* A segment of the answer: bytes of the message, or a constant CRLF. */
struct imap_seg {
	const char	*p;
	size_t		 len;
};

struct imap_section_result {
	const struct mime_part	*part;	/* the part named (NULL: none) */
	struct imap_seg		*seg;
	size_t			 nseg, cap;
	size_t			 size;	/* octets of all segments */
};

/*
 * Finds section sec of tree t.  Returns 1 and the segments in *res, 0
 * when the section names nothing (res empty), -1 when memory ran out.
 * Free res with imap_section_result_free either way.
 */
int	imap_section_find(const struct mime_tree *t,
	    const struct imap_section *sec, struct imap_section_result *res);
void	imap_section_result_free(struct imap_section_result *);

/*
 * A section without part numbers (BODY[], HEADER, HEADER.FIELDS[.NOT],
 * TEXT: what clients fetch for every message of a folder) needs no tree:
 * imap_section_find_top serves it from the message alone, reading no
 * further than its header.  1 if sec is such a section.
 */
int	imap_section_is_top(const struct imap_section *sec);
/* As imap_section_find, for such a section, on msg[0..len). */
int	imap_section_find_top(const char *msg, size_t len,
	    const struct imap_section *sec, struct imap_section_result *res);

/*
 * Appends octets [off, off + count) of the result (clipped to its size:
 * <partial> past the end is empty) to out; 0, or -1 (out full).
 */
int	imap_section_copy(const struct imap_section_result *, size_t off,
	    size_t count, struct buf *out);

/* imap_section_binary results, besides 1 (found) and 0 (nothing there). */
#define IMAP_BINARY_UNKNOWN_CTE	(-2)	/* NO [UNKNOWN-CTE] */

/*
 * BINARY[section] (RFC 3516): appends the content of the part the
 * section names to out, decoded from its Content-Transfer-Encoding;
 * BINARY[] is the whole message as it is.  *has_nul says whether the
 * content holds a NUL (then it must go as literal8, ~{n}).  Returns 1;
 * 0 when the section names nothing; IMAP_BINARY_UNKNOWN_CTE when the
 * encoding is unknown or the data is not valid in it (RFC 3516 names
 * only UNKNOWN-CTE; Dovecot says [PARSE] for bad data); -1 when out is
 * full or memory ran out (errno).  BINARY.SIZE is out's length after.
 */
int	imap_section_binary(const struct mime_tree *t,
	    const struct imap_section *sec, struct buf *out, int *has_nul);

#endif
