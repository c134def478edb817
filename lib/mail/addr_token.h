/*
 * addr_token: what the two halves of the address-list parser share and no
 * other module may use: the parser's state and the tokenizer
 * (addr_token.c) that addr_list.c builds the RFC 5322 grammar on.
 *
 * Trust: private to lib/mail; see addr_list.c.
 */
#ifndef FACTEUR_ADDR_TOKEN_H
#define FACTEUR_ADDR_TOKEN_H
#include <stddef.h>

#include "addr.h"

enum token_type { T_EOF, T_ATOM, T_QSTR, T_DLIT, T_SPECIAL };

struct addr_token {
	enum token_type	 type;
	int		 ch;		/* T_SPECIAL: the character */
	size_t		 start;		/* span in the input, quotes kept */
	size_t		 len;
};

struct addr_parser {
	const unsigned char	*s;
	size_t			 n;
	size_t			 i;
	int			 flags;
	int			(*cb)(void *, const struct mailpath *);
	void			*arg;
	size_t			 count;
	int			 ret;	/* what addrlist_parse returns */
	const char		*why;
};

/* Records why the parse failed; returns -1. */
int	addr_parser_fail(struct addr_parser *, const char *why);
/* Reads the next token after any CFWS; 0, or -1 after addr_parser_fail. */
int	addr_token_next(struct addr_parser *, struct addr_token *);
/* The next token, without consuming it. */
int	addr_token_peek(struct addr_parser *, struct addr_token *);
/* Is the token the special character ch? */
int	addr_token_is(const struct addr_token *, int ch);
/* A token that may be part of a phrase or of an addr-spec. */
int	addr_token_wordish(const struct addr_token *);

#endif
