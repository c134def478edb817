/*
 * imap_parse: the IMAP command grammar (RFC 9051 9, RFC 3501 9) as one
 * strict tokenizer shared by imapd's login process and imapsession.  A
 * command, as imap_read assembled it (its lines and literals, CRLFs
 * included), becomes a tag, a verb and a tree of arguments: atoms,
 * strings (quoted or literal) and parenthesized lists.  Commands then
 * check the shape they expect with the imap_arg_* helpers.
 *
 * Strict: one SP between arguments and none elsewhere; no CTL, no NUL
 * outside a literal8; a quoted string holds valid UTF-8 and escapes only
 * '"' and '\'; a literal holds no NUL (literal8 may); parentheses and the
 * brackets of a FETCH section balance, nested at most IMAP_DEPTH_MAX
 * deep; at most IMAP_ARGS_MAX arguments.  Anything else is an error with
 * a reason for the BAD reply, never a guess.
 *
 * Trust: the input is the client's, any bytes; nothing here allocates
 * more than imap_command_init's capacity, nor reads outside the text.
 */
#ifndef FACTEUR_IMAP_PARSE_H
#define FACTEUR_IMAP_PARSE_H
#include <stddef.h>
#include <stdint.h>

#define IMAP_TAG_MAX	64	/* octets of a tag */
#define IMAP_VERB_MAX	32	/* octets of a command name */
#define IMAP_DEPTH_MAX	16	/* nested lists (and FETCH brackets) */
#define IMAP_ARGS_MAX	8192	/* arguments in one command */
#define IMAP_LITERALS_MAX 64	/* literals in one command */

enum imap_arg_type {
	IMAP_ARG_ATOM,		/* also NIL, numbers, sequence sets, flags */
	IMAP_ARG_STRING,	/* quoted or literal */
	IMAP_ARG_LIST
};

#define IMAP_ARGF_QUOTED	0x1
#define IMAP_ARGF_LITERAL	0x2
#define IMAP_ARGF_LITERAL8	0x4	/* ~{n}: may hold NUL */
#define IMAP_ARGF_SPOOLED	0x8	/* literal bytes are in fd, not s */

/*
 * One argument.  Strings point into the command's text (quoted strings
 * unescaped in place) and are not NUL-ended; lists name their first
 * child; siblings chain through next (0 ends: index 0 is the root).
 */
struct imap_arg {
	uint8_t		 type;
	uint8_t		 flags;
	uint32_t	 next;
	uint32_t	 child;		/* LIST: first child, 0 when empty */
	uint32_t	 count;		/* LIST: children */
	const char	*s;
	size_t		 len;
	int		 fd;		/* SPOOLED: the literal's bytes */
};

/* A literal that imap_read kept out of the text (an APPEND message). */
struct imap_lit {
	size_t		 off;		/* offset of its '{' (or '~') */
	size_t		 len;
	int		 fd;		/* -1: the bytes follow in the text */
};

struct imap_command {
	char		 tag[IMAP_TAG_MAX + 1];
	char		 verb[IMAP_VERB_MAX + 1];	/* upper case */
	struct imap_arg	*args;		/* args[0] is the root list */
	size_t		 nargs, cap;
	uint32_t	 first;		/* first argument after the verb, or 0 */
};

/* cap arguments at most (IMAP_ARGS_MAX); 0, or -1 when out of memory. */
int	imap_command_init(struct imap_command *, size_t cap);
void	imap_command_free(struct imap_command *);

/*
 * Tokenizes text[0..len) (the whole command, its final CRLF included).
 * lits names the literals imap_read kept out of the text.  Returns 0;
 * -1 with *err a reason and cmd->tag set when the tag was readable
 * (else empty: reply "* BAD").  The text is modified in place (quoted
 * strings are unescaped).
 */
int	imap_parse(char *text, size_t len, const struct imap_lit *lits,
	    size_t nlits, struct imap_command *cmd, const char **err);

/* ---- checking the shape of arguments ---- */

/* The argument at index i, or NULL for index 0 (none). */
const struct imap_arg *imap_arg_at(const struct imap_command *, uint32_t i);
/* The next sibling of a, or NULL. */
const struct imap_arg *imap_arg_next(const struct imap_command *,
	    const struct imap_arg *a);
/* The first child of a list, or NULL. */
const struct imap_arg *imap_arg_child(const struct imap_command *,
	    const struct imap_arg *a);
/* 1 when a is an atom equal to word, ASCII case-insensitively. */
int	imap_arg_is(const struct imap_arg *a, const char *word);
/* atom or string (astring): 1, else 0. */
int	imap_arg_astring(const struct imap_arg *a);
/* nstring: NIL (1 with *s NULL), or a string. */
int	imap_arg_nil(const struct imap_arg *a);
/*
 * Copies an astring into out (size n, NUL-ended): 0, or -1 when it is
 * not an astring, is spooled, holds a NUL or does not fit.
 */
int	imap_arg_copy(const struct imap_arg *a, char *out, size_t n);
/* number (RFC 9051: 1*DIGIT, at most 2^32-1): 0 and *v, or -1. */
int	imap_arg_number(const struct imap_arg *a, uint32_t *v);
/* number64 (at most 2^63-1): 0 and *v, or -1. */
int	imap_arg_number64(const struct imap_arg *a, uint64_t *v);

/* Character classes of the grammar, for the helpers of the commands. */
int	imap_is_atom_char(unsigned char c);
int	imap_is_tag_char(unsigned char c);
/* 1 when s[0..n) is valid UTF-8 (no overlong forms, no surrogates). */
int	imap_utf8_valid(const char *s, size_t n);

#endif
