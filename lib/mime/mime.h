/*
 * mime: the MIME structure of a message (RFC 2045, 2046, 2231; RFC 5322
 * header syntax), for imapd's BODYSTRUCTURE, BODY[section], BINARY and
 * SEARCH.
 *
 * Input: one whole message in its wire form, CRLF line ends (imapd turns
 * the stored LF form into it with lib/mail/crlf.h first).  A bare LF is
 * taken as a line end too, so the parser also works on the stored form;
 * sizes and line counts are then those of the bytes given.  NUL and 8-bit
 * bytes are ordinary content.  The tree points into the input, which must
 * outlive it; the parser never writes to it.
 *
 * Output: a tree of parts.  Each part has the byte ranges of its header
 * section and body in the input, the body's line count (LFs in it), and
 * its MIME fields.  A multipart's children are its body parts; a
 * message/rfc822 or message/global part has one child, the encapsulated
 * message (a part whose header is that message's header).  Offsets are
 * from the start of the input: BODY[section]<partial> serves bytes
 * straight from it.
 *
 * Rules, and what is done with a malformed message (every message gets a
 * tree, as Dovecot answers BODYSTRUCTURE for any message):
 *  - No Content-Type, or one that is not `type/subtype` of tokens: the
 *    default, text/plain; charset=us-ascii (RFC 2045 5.2), and
 *    message/rfc822 for a body part of multipart/digest (RFC 2046 5.1.5).
 *    A message's header (the root's, or an encapsulated message's)
 *    without MIME-Version is MIME only if it has a Content-Type (mailers
 *    forget MIME-Version; Dovecot has the same rule): otherwise its
 *    Content-Transfer-Encoding and the rest are not read.  The first of
 *    repeated fields counts.
 *  - A delimiter line is "--" boundary, optionally "--" (the close
 *    delimiter), then only blanks; it ends the part before it, whose
 *    body stops before the line end that precedes the delimiter (RFC 2046
 *    5.1.1).  Boundaries are tried innermost first, then outward, so an
 *    outer delimiter also ends unterminated inner multiparts.  A missing
 *    close delimiter ends at the end of the enclosing part (MIME_F_NO_END).
 *  - A part header cut off by a delimiter line ends there (empty body),
 *    and so does one whose empty line is the line end before a delimiter
 *    (that line end is the delimiter's): its range then has no empty
 *    line, as Dovecot has it.
 *  - A multipart with no boundary parameter, or in which no body part was
 *    found, gets one empty text/plain child (MIME_F_SYNTHETIC), as
 *    Dovecot does, so that its BODYSTRUCTURE has the one body IMAP's
 *    grammar requires.
 *  - A message/rfc822 part whose Content-Transfer-Encoding is not 7bit,
 *    8bit or binary (RFC 2046 5.2.1 forbids it) is not parsed: its child
 *    is an empty message (MIME_F_SYNTHETIC); BODY[n] still gives its
 *    bytes.  Dovecot answers the same.
 *
 * Limits (documented in docs/architecture.md): nesting depth, number of
 * parts and header section size.  The parser never truncates: past a
 * limit it stops splitting and says so in tree->limits, so that the
 * caller chooses between refusing (NO [LIMIT]) and the degraded answer:
 *  - MIME_DEPTH_MAX: a multipart or message part that would nest deeper
 *    becomes a leaf holding its whole body (MIME_F_UNPARSED; a multipart
 *    leaf is shown as application/octet-stream, as Dovecot does; a message
 *    part gets an empty synthetic message).
 *  - MIME_PARTS_MAX: a delimiter line that would start one part too many
 *    is content of the part that is open; close delimiters still close.
 *  - MIME_HEADER_MAX: fields past that many octets of one header section
 *    are not read for the MIME fields (the section's range is still whole).
 * Beyond those, MIME_PARAMS_MAX parameters of one field are read, the
 * rest ignored (MIME_LIMIT_PARAMS).
 *
 * Trust: the input is a stranger's message, any bytes.  Work is linear in
 * its size (each line is looked at once; a line starting with "--" is
 * compared with at most MIME_DEPTH_MAX boundaries); memory is one tree of
 * at most MIME_PARTS_MAX parts plus the decoded field values, all in the
 * tree's few large blocks.  Nothing is recursive deeper than
 * MIME_DEPTH_MAX.
 */
#ifndef FACTEUR_MIME_H
#define FACTEUR_MIME_H
#include <stddef.h>

#define MIME_DEPTH_MAX		100	/* nested multipart/message levels */
#define MIME_PARTS_MAX		10000	/* parts of one message, all levels */
#define MIME_HEADER_MAX		(256 * 1024)	/* octets of one header read */
#define MIME_PARAMS_MAX		64	/* parameters of one field */
#define MIME_BOUNDARY_MAX	200	/* octets (RFC 2046 says 70) */

/* A value: p == NULL means absent (IMAP NIL); p is not NUL-terminated. */
struct mime_str {
	const char	*p;
	size_t		 len;
};

/*
 * A parameter of Content-Type or Content-Disposition.  RFC 2231
 * continuations (name*0, name*1*, ...) are joined into one parameter.
 *  - name, value: what BODYSTRUCTURE shows (Dovecot's form): the name as
 *    written without its section numbers, with a final '*' when the value
 *    is extended (charset'language'%XX, kept as written so that a client
 *    can decode it); the value unquoted.
 *  - attr: the name without any '*' (compare case-insensitively).
 *  - utf8: the value decoded: %XX and the RFC 2231 charset applied, in
 *    UTF-8 (an unknown charset leaves the bytes as they are); the same as
 *    value when the value is not extended.
 */
struct mime_param {
	const struct mime_param	*next;
	struct mime_str		 name;
	struct mime_str		 value;
	struct mime_str		 attr;
	struct mime_str		 utf8;
};

/* A Content-Language tag, in order. */
struct mime_lang {
	const struct mime_lang	*next;
	struct mime_str		 tag;
};

enum mime_cte {
	MIME_CTE_7BIT = 0,	/* also when there is no such field */
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_QP,
	MIME_CTE_BASE64,
	MIME_CTE_UNKNOWN	/* anything else: BINARY says [UNKNOWN-CTE] */
};

/* mime_part.flags */
#define MIME_F_MULTIPART	0x0001	/* child: its body parts (>= 1) */
#define MIME_F_MESSAGE		0x0002	/* child: the encapsulated message */
#define MIME_F_DEFAULT_TYPE	0x0004	/* no valid Content-Type: default */
#define MIME_F_NO_END		0x0008	/* multipart without close delimiter */
#define MIME_F_SYNTHETIC	0x0010	/* made up, empty: not in the input */
#define MIME_F_UNPARSED		0x0020	/* left whole: a limit or bad CTE */
#define MIME_F_HEADER_LIMIT	0x0040	/* header longer than MIME_HEADER_MAX */
#define MIME_F_HEADER_CUT	0x0080	/* header ended by a delimiter line */

/*
 * One part.  For the tree's root the header is the message's header
 * section and the body is BODY[TEXT].  Strings (type, ids, parameters)
 * point into the input when they need no decoding, else into the tree.
 * Text values (id, description, md5, location, disposition) are
 * unfolded (CR and LF of folds removed) and trimmed of blanks; they are
 * raw otherwise (no RFC 2047 decoding: BODYSTRUCTURE shows them raw).
 */
struct mime_part {
	struct mime_part	*parent;
	struct mime_part	*next;		/* next sibling */
	struct mime_part	*child;		/* first child, or NULL */
	size_t			 nchildren;
	unsigned		 depth;		/* root: 0 */
	unsigned		 flags;

	size_t			 hdr_off;	/* header section ... */
	size_t			 hdr_len;	/* ... with its empty line */
	size_t			 body_off;
	size_t			 body_len;
	size_t			 body_lines;	/* LFs in the body */

	/* Content-Type; type and subtype as written (or the default). */
	struct mime_str		 type;
	struct mime_str		 subtype;
	const struct mime_param	*params;

	enum mime_cte		 cte;
	struct mime_str		 cte_name;	/* as written; NULL if absent */

	struct mime_str		 id;		/* Content-ID */
	struct mime_str		 description;	/* Content-Description */
	struct mime_str		 md5;		/* Content-MD5 */
	struct mime_str		 location;	/* Content-Location */
	struct mime_str		 disposition;	/* Content-Disposition type */
	const struct mime_param	*disposition_params;
	const struct mime_lang	*language;	/* Content-Language */
};

/* mime_tree.limits: which limit was reached (the tree is degraded). */
#define MIME_LIMIT_DEPTH	0x1
#define MIME_LIMIT_PARTS	0x2
#define MIME_LIMIT_HEADER	0x4
#define MIME_LIMIT_PARAMS	0x8

struct mime_arena;

struct mime_tree {
	const char		*msg;		/* the input, not copied */
	size_t			 len;
	struct mime_part	*root;
	size_t			 nparts;	/* synthetic parts included:
						 * at most 2 * MIME_PARTS_MAX */
	unsigned		 limits;
	struct mime_arena	*arena;		/* private */
};

/*
 * Parses msg[0..len).  Returns the tree (free it with mime_free), or
 * NULL when memory ran out (errno ENOMEM).  A malformed message is not an
 * error (see the rules above); tree->limits != 0 says the tree is the
 * degraded answer.
 */
struct mime_tree	*mime_parse(const char *msg, size_t len);
void			 mime_free(struct mime_tree *);

/*
 * Length of the header section at the start of msg[0..len), its empty
 * line included (what BODY[HEADER] serves), or len when there is no
 * empty line.  ENVELOPE needs no more of a message than this.
 */
size_t	mime_header_len(const char *msg, size_t len);

/* The first parameter whose attr is `attr` (ASCII case-insensitive). */
const struct mime_param	*mime_param_find(const struct mime_param *,
			    const char *attr);

/*
 * 1 if the part's type is `type` and, unless subtype is NULL, its subtype
 * is `subtype` (ASCII case-insensitive).
 */
int	mime_part_is(const struct mime_part *, const char *type,
	    const char *subtype);

/*
 * The charset of a text part, decoded (the charset parameter, or
 * "us-ascii" when there is none).
 */
struct mime_str	mime_part_charset(const struct mime_part *);

/* 1 if the string equals `s` (ASCII case-insensitive). */
int	mime_str_eq(struct mime_str, const char *s);

#endif
