/*
 * addr_token: the tokenizer under addr_list.c, RFC 5322 section 3.2's
 * lexical layer: atoms, quoted strings, domain literals and specials, with
 * folding white space and comments (nested, with quoted-pairs) skipped
 * between them.  Spans point into the input, quotes kept; addr_list.c
 * unquotes what it keeps.
 *
 * Strict here, so the grammar need not be: a line break not followed by
 * white space (but for one at the very end), any other control byte, and
 * unbalanced quotes, parentheses or brackets are errors.
 *
 * Trust: see addr_list.c.
 */
#include <stddef.h>
#include <string.h>

#include "addr_token.h"

int
addr_parser_fail(struct addr_parser *p, const char *why)
{
	p->why = why;
	p->ret = -1;
	return -1;
}

static int
is_atext(int ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch >= 0x80)
		return 1;
	return ch > 0 && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL;
}

/*
 * At a CR or LF: returns the octets of a fold (a line break followed by
 * white space, or the one line break that ends the input), or 0.
 */
static size_t
fold_len(const struct addr_parser *p)
{
	size_t k = p->i;

	if (p->s[k] == '\r') {
		if (k + 1 >= p->n || p->s[k + 1] != '\n')
			return 0;
		k++;
	}
	k++;
	if (k == p->n || p->s[k] == ' ' || p->s[k] == '\t')
		return k - p->i;
	return 0;
}

/* Control bytes other than TAB, CR and LF are never allowed. */
static int
is_ctl(int ch)
{
	return (ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') ||
	    ch == 0x7f;
}

/*
 * One byte inside a comment or a quoted string, other than its
 * delimiters: a quoted-pair, a fold, or any byte but a control.
 * unbalanced: the reason when the input ends inside a quoted-pair.
 */
static int
quoted_step(struct addr_parser *p, const char *unbalanced)
{
	size_t	k;
	int	ch = p->s[p->i];

	if (ch == '\\') {
		if (++p->i >= p->n)
			return addr_parser_fail(p, unbalanced);
		ch = p->s[p->i];
		if (ch == '\r' || ch == '\n' || is_ctl(ch))
			return addr_parser_fail(p,
			    "control character in address list");
	} else if (ch == '\r' || ch == '\n') {
		if ((k = fold_len(p)) == 0)
			return addr_parser_fail(p,
			    "line break without folding white space");
		p->i += k;
		return 0;
	} else if (is_ctl(ch))
		return addr_parser_fail(p,
		    "control character in address list");
	p->i++;
	return 0;
}

static int
comment_skip(struct addr_parser *p)
{
	size_t	depth = 0;
	int	ch;

	do {
		if (p->i >= p->n)
			return addr_parser_fail(p, "unbalanced parenthesis");
		ch = p->s[p->i];
		if (ch == '(')
			depth++;
		else if (ch == ')')
			depth--;
		else {
			if (quoted_step(p, "unbalanced parenthesis") == -1)
				return -1;
			continue;
		}
		p->i++;
	} while (depth > 0);
	return 0;
}

/* White space, folds and comments. */
static int
cfws_skip(struct addr_parser *p)
{
	size_t	k;
	int	ch;

	while (p->i < p->n) {
		ch = p->s[p->i];
		if (ch == ' ' || ch == '\t')
			p->i++;
		else if (ch == '\r' || ch == '\n') {
			if ((k = fold_len(p)) == 0)
				return addr_parser_fail(p,
				    "line break without folding white space");
			p->i += k;
		} else if (ch == '(') {
			if (comment_skip(p) == -1)
				return -1;
		} else
			break;
	}
	return 0;
}

static int
qstring_scan(struct addr_parser *p)
{
	p->i++;
	for (;;) {
		if (p->i >= p->n)
			return addr_parser_fail(p, "unbalanced quote");
		if (p->s[p->i] == '"') {
			p->i++;
			return 0;
		}
		if (quoted_step(p, "unbalanced quote") == -1)
			return -1;
	}
}

static int
dliteral_scan(struct addr_parser *p)
{
	int ch;

	p->i++;
	for (;;) {
		if (p->i >= p->n)
			return addr_parser_fail(p, "unbalanced bracket");
		ch = p->s[p->i++];
		if (ch == ']')
			return 0;
		if (ch <= 0x20 || ch >= 0x7f || ch == '[' || ch == '\\')
			return addr_parser_fail(p, "bad domain literal");
	}
}

/* Reads the next token after any CFWS. */
int
addr_token_next(struct addr_parser *p, struct addr_token *t)
{
	int ch;

	memset(t, 0, sizeof(*t));
	if (cfws_skip(p) == -1)
		return -1;
	t->start = p->i;
	if (p->i >= p->n) {
		t->type = T_EOF;
		return 0;
	}
	ch = p->s[p->i];
	if (ch == '"') {
		t->type = T_QSTR;
		if (qstring_scan(p) == -1)
			return -1;
	} else if (ch == '[') {
		t->type = T_DLIT;
		if (dliteral_scan(p) == -1)
			return -1;
	} else if (is_atext(ch)) {
		t->type = T_ATOM;
		while (p->i < p->n && is_atext(p->s[p->i]))
			p->i++;
	} else if (ch != '\0' && strchr("<>@,:;.", ch) != NULL) {
		t->type = T_SPECIAL;
		t->ch = ch;
		p->i++;
	} else if (ch == ')')
		return addr_parser_fail(p, "unbalanced parenthesis");
	else if (ch == ']')
		return addr_parser_fail(p, "unbalanced bracket");
	else if (ch < 0x20 || ch == 0x7f)
		return addr_parser_fail(p,
		    "control character in address list");
	else
		return addr_parser_fail(p, "bad character in address list");
	t->len = p->i - t->start;
	return 0;
}

/* The next token, without consuming it. */
int
addr_token_peek(struct addr_parser *p, struct addr_token *t)
{
	size_t	save = p->i;
	int	r;

	r = addr_token_next(p, t);
	p->i = save;
	return r;
}

int
addr_token_is(const struct addr_token *t, int ch)
{
	return t->type == T_SPECIAL && t->ch == ch;
}

/* A token that may be part of a phrase or of an addr-spec. */
int
addr_token_wordish(const struct addr_token *t)
{
	return t->type == T_ATOM || t->type == T_QSTR || t->type == T_DLIT ||
	    addr_token_is(t, '.') || addr_token_is(t, '@');
}