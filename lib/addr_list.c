/*
 * addr_list: RFC 5322 section 3.4 address lists, the values of To, Cc and
 * Bcc that `sendmail -t` reads.  Display names, comments (nested, with
 * quoted-pairs), folding white space, groups (`undisclosed-recipients:;`),
 * obs-route in angle-addr and empty list elements (obs-addr-list) are
 * understood.  Each addr-spec found is rebuilt as a bare RFC 5321 mailbox
 * and parsed by path_parse, so both parsers agree on what an address is.
 *
 * Lenient where nothing is lost: display names and comments are thrown
 * away, so they may hold raw 8-bit bytes or an unquoted '@'; a group that
 * the input ends before its ';' is closed there; one line break at the very
 * end is ignored.  Strict where it matters: a line break not followed by
 * white space, any other control byte, and unbalanced quotes, parentheses,
 * brackets or angle brackets are errors.
 */
#include <stddef.h>
#include <string.h>

#include "addr.h"

#define ADDRLIST_INPUT_MAX	65536	/* octets in one header value */
#define ADDRLIST_COUNT_MAX	10000	/* addresses in one header value */

enum token_type { T_EOF, T_ATOM, T_QSTR, T_DLIT, T_SPECIAL };

struct token {
	enum token_type	 type;
	int		 ch;		/* T_SPECIAL: the character */
	size_t		 start;		/* span in the input, quotes kept */
	size_t		 len;
};

struct parser {
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

static int
parser_fail(struct parser *p, const char *why)
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
fold_len(const struct parser *p)
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

static int
comment_skip(struct parser *p)
{
	size_t	depth = 0, k;
	int	ch;

	do {
		if (p->i >= p->n)
			return parser_fail(p, "unbalanced parenthesis");
		ch = p->s[p->i];
		if (ch == '(')
			depth++;
		else if (ch == ')')
			depth--;
		else if (ch == '\\') {
			if (++p->i >= p->n)
				return parser_fail(p,
				    "unbalanced parenthesis");
			ch = p->s[p->i];
			if (ch == '\r' || ch == '\n' || is_ctl(ch))
				return parser_fail(p,
				    "control character in address list");
		} else if (ch == '\r' || ch == '\n') {
			if ((k = fold_len(p)) == 0)
				return parser_fail(p,
				    "line break without folding white space");
			p->i += k;
			continue;
		} else if (is_ctl(ch))
			return parser_fail(p,
			    "control character in address list");
		p->i++;
	} while (depth > 0);
	return 0;
}

/* White space, folds and comments. */
static int
cfws_skip(struct parser *p)
{
	size_t	k;
	int	ch;

	while (p->i < p->n) {
		ch = p->s[p->i];
		if (ch == ' ' || ch == '\t')
			p->i++;
		else if (ch == '\r' || ch == '\n') {
			if ((k = fold_len(p)) == 0)
				return parser_fail(p,
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
qstring_scan(struct parser *p)
{
	size_t	k;
	int	ch;

	p->i++;
	for (;;) {
		if (p->i >= p->n)
			return parser_fail(p, "unbalanced quote");
		ch = p->s[p->i];
		if (ch == '"') {
			p->i++;
			return 0;
		}
		if (ch == '\\') {
			if (++p->i >= p->n)
				return parser_fail(p, "unbalanced quote");
			ch = p->s[p->i];
			if (ch == '\r' || ch == '\n' || is_ctl(ch))
				return parser_fail(p,
				    "control character in address list");
		} else if (ch == '\r' || ch == '\n') {
			if ((k = fold_len(p)) == 0)
				return parser_fail(p,
				    "line break without folding white space");
			p->i += k;
			continue;
		} else if (is_ctl(ch))
			return parser_fail(p,
			    "control character in address list");
		p->i++;
	}
}

static int
dliteral_scan(struct parser *p)
{
	int ch;

	p->i++;
	for (;;) {
		if (p->i >= p->n)
			return parser_fail(p, "unbalanced bracket");
		ch = p->s[p->i++];
		if (ch == ']')
			return 0;
		if (ch <= 0x20 || ch >= 0x7f || ch == '[' || ch == '\\')
			return parser_fail(p, "bad domain literal");
	}
}

/* Reads the next token after any CFWS. */
static int
token_next(struct parser *p, struct token *t)
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
		return parser_fail(p, "unbalanced parenthesis");
	else if (ch == ']')
		return parser_fail(p, "unbalanced bracket");
	else if (ch < 0x20 || ch == 0x7f)
		return parser_fail(p, "control character in address list");
	else
		return parser_fail(p, "bad character in address list");
	t->len = p->i - t->start;
	return 0;
}

/* The next token, without consuming it. */
static int
token_peek(struct parser *p, struct token *t)
{
	size_t	save = p->i;
	int	r;

	r = token_next(p, t);
	p->i = save;
	return r;
}

static int
is_special(const struct token *t, int ch)
{
	return t->type == T_SPECIAL && t->ch == ch;
}

/* A token that may be part of a phrase or of an addr-spec. */
static int
is_wordish(const struct token *t)
{
	return t->type == T_ATOM || t->type == T_QSTR || t->type == T_DLIT ||
	    is_special(t, '.') || is_special(t, '@');
}

/*
 * What the address at the cursor is: the first token after its leading
 * words, ':' for a group, '<' for a name-addr, anything else for a bare
 * addr-spec.  *nwords counts the words seen.  The cursor does not move.
 */
static int
address_kind(struct parser *p, int *kind, size_t *nwords)
{
	struct token	t;
	size_t		save = p->i;

	*nwords = 0;
	for (;;) {
		if (token_next(p, &t) == -1)
			return -1;
		if (!is_wordish(&t))
			break;
		(*nwords)++;
	}
	p->i = save;
	*kind = t.type == T_SPECIAL ? t.ch : 0;
	return 0;
}

/* Skips a phrase (display name or group name) up to the given special. */
static int
phrase_skip(struct parser *p, int end)
{
	struct token t;

	for (;;) {
		if (token_next(p, &t) == -1)
			return -1;
		if (is_special(&t, end))
			return 0;
		if (!is_wordish(&t))
			return parser_fail(p, "bad display name");
	}
}

static int
out_put(struct parser *p, char *out, size_t *len, size_t max, int ch)
{
	if (*len >= max)
		return parser_fail(p, "address too long");
	out[(*len)++] = (char)ch;
	return 0;
}

/* Appends the value of a token: a quoted string is unquoted and unfolded. */
static int
value_put(struct parser *p, const struct token *t, char *out, size_t *len,
    size_t max)
{
	size_t	k = t->start, end = t->start + t->len;
	int	ch;

	if (t->type == T_QSTR) {
		k++;
		end--;
	}
	for (; k < end; k++) {
		ch = p->s[k];
		if (t->type == T_QSTR && (ch == '\r' || ch == '\n'))
			continue;
		if (t->type == T_QSTR && ch == '\\')
			ch = p->s[++k];
		if (out_put(p, out, len, max, ch) == -1)
			return -1;
	}
	return 0;
}

/* Hands one rebuilt mailbox to path_parse and then to the callback. */
static int
mailbox_emit(struct parser *p, const char *text, size_t len)
{
	struct mailpath	 mp;
	const char	*why;
	size_t		 used;
	int		 r;

	if (path_parse(text, len, p->flags | PATH_NO_BRACKETS, &mp, &used,
	    &why) == -1)
		return parser_fail(p, why);
	if (used != len)
		return parser_fail(p, "bad address");
	if (++p->count > ADDRLIST_COUNT_MAX)
		return parser_fail(p, "too many addresses");
	if ((r = p->cb(p->arg, &mp)) != 0) {
		p->ret = r;
		return -1;
	}
	return 0;
}

/*
 * addr-spec, with obs-local-part (words joined by dots, CFWS between) and
 * obs-domain.  A local part with any quoted word is requoted whole; a
 * domain ending in a lone dot keeps it for path_parse to judge.
 */
static int
addrspec_parse(struct parser *p)
{
	char		local[ADDR_LOCAL_MAX + 1];
	char		text[ADDR_TEXT_MAX + 8];
	size_t		llen = 0, tlen = 0, k;
	int		quoted = 0;
	struct token	t;

	for (;;) {
		if (token_next(p, &t) == -1)
			return -1;
		if (t.type != T_ATOM && t.type != T_QSTR)
			return parser_fail(p, llen == 0 ?
			    "expected an address" : "bad local part");
		quoted |= t.type == T_QSTR;
		if (value_put(p, &t, local, &llen, ADDR_LOCAL_MAX) == -1)
			return parser_fail(p, "local part too long");
		if (token_peek(p, &t) == -1)
			return -1;
		if (!is_special(&t, '.'))
			break;
		(void)token_next(p, &t);
		if (out_put(p, local, &llen, ADDR_LOCAL_MAX, '.') == -1)
			return parser_fail(p, "local part too long");
	}
	if (quoted) {
		text[tlen++] = '"';
		for (k = 0; k < llen; k++) {
			if (local[k] == '"' || local[k] == '\\')
				text[tlen++] = '\\';
			text[tlen++] = local[k];
		}
		text[tlen++] = '"';
	} else {
		memcpy(text, local, llen);
		tlen = llen;
	}
	if (!is_special(&t, '@'))
		return mailbox_emit(p, text, tlen);
	(void)token_next(p, &t);
	text[tlen++] = '@';
	if (token_next(p, &t) == -1)
		return -1;
	if (t.type == T_DLIT) {
		if (value_put(p, &t, text, &tlen, sizeof(text)) == -1)
			return parser_fail(p, "domain too long");
		return mailbox_emit(p, text, tlen);
	}
	for (;;) {
		if (t.type != T_ATOM)
			return parser_fail(p, "bad domain");
		if (value_put(p, &t, text, &tlen, sizeof(text)) == -1)
			return parser_fail(p, "domain too long");
		if (token_peek(p, &t) == -1)
			return -1;
		if (!is_special(&t, '.'))
			break;
		(void)token_next(p, &t);
		if (out_put(p, text, &tlen, sizeof(text), '.') == -1)
			return parser_fail(p, "domain too long");
		if (token_peek(p, &t) == -1)
			return -1;
		if (is_special(&t, '.'))
			return parser_fail(p, "empty domain label");
		if (t.type != T_ATOM)
			break;
		(void)token_next(p, &t);
	}
	return mailbox_emit(p, text, tlen);
}

/* obs-route: *("," / "@" domain) ":" -- parsed for syntax, dropped. */
static int
route_skip(struct parser *p)
{
	struct token t;

	for (;;) {
		if (token_next(p, &t) == -1)
			return -1;
		if (is_special(&t, ':'))
			return 0;
		if (is_special(&t, ','))
			continue;
		if (!is_special(&t, '@'))
			return parser_fail(p, "bad route");
		if (token_next(p, &t) == -1)
			return -1;
		if (t.type == T_DLIT)
			continue;
		for (;;) {
			if (t.type != T_ATOM)
				return parser_fail(p, "bad route");
			if (token_peek(p, &t) == -1)
				return -1;
			if (!is_special(&t, '.'))
				break;
			(void)token_next(p, &t);
			if (token_next(p, &t) == -1)
				return -1;
		}
	}
}

/* "<" [obs-route] addr-spec ">", the '<' already read. */
static int
angle_parse(struct parser *p)
{
	struct token t;

	if (token_peek(p, &t) == -1)
		return -1;
	if (is_special(&t, '@') || is_special(&t, ',')) {
		if (route_skip(p) == -1)
			return -1;
		if (token_peek(p, &t) == -1)
			return -1;
	}
	if (is_special(&t, '>'))
		return parser_fail(p, "empty angle address");
	if (addrspec_parse(p) == -1)
		return -1;
	if (token_next(p, &t) == -1)
		return -1;
	if (!is_special(&t, '>'))
		return parser_fail(p, t.type == T_EOF ?
		    "unbalanced angle bracket" : "bad character after address");
	return 0;
}

/* mailbox = name-addr / addr-spec */
static int
mailbox_parse(struct parser *p, int kind)
{
	if (kind == '>')
		return parser_fail(p, "unbalanced angle bracket");
	if (kind == '<') {
		if (phrase_skip(p, '<') == -1)
			return -1;
		return angle_parse(p);
	}
	return addrspec_parse(p);
}

/* group = display-name ":" [mailbox-list] ";" */
static int
group_parse(struct parser *p, size_t nwords)
{
	struct token	t;
	size_t		n;
	int		kind;

	if (nwords == 0)
		return parser_fail(p, "group without a name");
	if (phrase_skip(p, ':') == -1)
		return -1;
	for (;;) {
		if (token_peek(p, &t) == -1)
			return -1;
		if (t.type == T_EOF)
			return 0;	/* tolerated: no ';' at the end */
		if (is_special(&t, ';') || is_special(&t, ',')) {
			(void)token_next(p, &t);
			if (t.ch == ';')
				return 0;
			continue;
		}
		if (address_kind(p, &kind, &n) == -1)
			return -1;
		if (kind == ':')
			return parser_fail(p, "group inside a group");
		if (mailbox_parse(p, kind) == -1)
			return -1;
		if (token_peek(p, &t) == -1)
			return -1;
		if (t.type != T_EOF && !is_special(&t, ',') &&
		    !is_special(&t, ';'))
			return parser_fail(p, is_special(&t, '>') ?
			    "unbalanced angle bracket" :
			    "expected ',' or ';' after address");
	}
}

int
addrlist_parse(const char *s, size_t n, int flags,
    int (*cb)(void *arg, const struct mailpath *), void *arg,
    const char **why)
{
	struct parser	p;
	struct token	t;
	size_t		nwords;
	int		kind, r;

	*why = NULL;
	if (n > ADDRLIST_INPUT_MAX) {
		*why = "address list too long";
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.s = (const unsigned char *)s;
	p.n = n;
	p.flags = flags;
	p.cb = cb;
	p.arg = arg;
	for (;;) {
		if (token_peek(&p, &t) == -1)
			break;
		if (t.type == T_EOF)
			return 0;
		if (is_special(&t, ',')) {
			(void)token_next(&p, &t);
			continue;
		}
		if (address_kind(&p, &kind, &nwords) == -1)
			break;
		if (kind == ':')
			r = group_parse(&p, nwords);
		else
			r = mailbox_parse(&p, kind);
		if (r == -1)
			break;
		if (token_next(&p, &t) == -1)
			break;
		if (t.type == T_EOF)
			return 0;
		if (!is_special(&t, ',')) {
			(void)parser_fail(&p, is_special(&t, '>') ?
			    "unbalanced angle bracket" :
			    "expected ',' between addresses");
			break;
		}
	}
	if (p.ret == -1)
		*why = p.why != NULL ? p.why : "bad address list";
	return p.ret;
}
