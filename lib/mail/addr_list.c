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
 * brackets or angle brackets are errors.  The tokens (atoms, quoted
 * strings, domain literals, specials, with CFWS skipped) come from
 * addr_token.c; this file is the grammar on top of them.
 *
 * Trust: the header values are the local user's message, parsed as
 * hostile input (fuzzed).
 */
#include <stddef.h>
#include <string.h>

#include "addr.h"
#include "addr_token.h"

#define ADDRLIST_INPUT_MAX	65536	/* octets in one header value */
#define ADDRLIST_COUNT_MAX	10000	/* addresses in one header value */

/*
 * What the address at the cursor is: the first token after its leading
 * words, ':' for a group, '<' for a name-addr, anything else for a bare
 * addr-spec.  *nwords counts the words seen.  The cursor does not move.
 */
static int
address_kind(struct addr_parser *p, int *kind, size_t *nwords)
{
	struct addr_token	t;
	size_t		save = p->i;

	*nwords = 0;
	for (;;) {
		if (addr_token_next(p, &t) == -1)
			return -1;
		if (!addr_token_wordish(&t))
			break;
		(*nwords)++;
	}
	p->i = save;
	*kind = t.type == T_SPECIAL ? t.ch : 0;
	return 0;
}

/* Skips a phrase (display name or group name) up to the given special. */
static int
phrase_skip(struct addr_parser *p, int end)
{
	struct addr_token t;

	for (;;) {
		if (addr_token_next(p, &t) == -1)
			return -1;
		if (addr_token_is(&t, end))
			return 0;
		if (!addr_token_wordish(&t))
			return addr_parser_fail(p, "bad display name");
	}
}

static int
out_put(struct addr_parser *p, char *out, size_t *len, size_t max, int ch)
{
	if (*len >= max)
		return addr_parser_fail(p, "address too long");
	out[(*len)++] = (char)ch;
	return 0;
}

/* Appends the value of a token: a quoted string is unquoted and unfolded. */
static int
value_put(struct addr_parser *p, const struct addr_token *t, char *out,
    size_t *len, size_t max)
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
mailbox_emit(struct addr_parser *p, const char *text, size_t len)
{
	struct mailpath	 mp;
	const char	*why;
	size_t		 used;
	int		 r;

	if (path_parse(text, len, p->flags | PATH_NO_BRACKETS, &mp, &used,
	    &why) == -1)
		return addr_parser_fail(p, why);
	if (used != len)
		return addr_parser_fail(p, "bad address");
	if (++p->count > ADDRLIST_COUNT_MAX)
		return addr_parser_fail(p, "too many addresses");
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
addrspec_parse(struct addr_parser *p)
{
	char		local[ADDR_LOCAL_MAX + 1];
	char		text[ADDR_TEXT_MAX + 8];
	size_t		llen = 0, tlen = 0, k;
	int		quoted = 0;
	struct addr_token	t;

	for (;;) {
		if (addr_token_next(p, &t) == -1)
			return -1;
		if (t.type != T_ATOM && t.type != T_QSTR)
			return addr_parser_fail(p, llen == 0 ?
			    "expected an address" : "bad local part");
		quoted |= t.type == T_QSTR;
		if (value_put(p, &t, local, &llen, ADDR_LOCAL_MAX) == -1)
			return addr_parser_fail(p, "local part too long");
		if (addr_token_peek(p, &t) == -1)
			return -1;
		if (!addr_token_is(&t, '.'))
			break;
		(void)addr_token_next(p, &t);
		if (out_put(p, local, &llen, ADDR_LOCAL_MAX, '.') == -1)
			return addr_parser_fail(p, "local part too long");
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
	if (!addr_token_is(&t, '@'))
		return mailbox_emit(p, text, tlen);
	(void)addr_token_next(p, &t);
	text[tlen++] = '@';
	if (addr_token_next(p, &t) == -1)
		return -1;
	if (t.type == T_DLIT) {
		if (value_put(p, &t, text, &tlen, sizeof(text)) == -1)
			return addr_parser_fail(p, "domain too long");
		return mailbox_emit(p, text, tlen);
	}
	for (;;) {
		if (t.type != T_ATOM)
			return addr_parser_fail(p, "bad domain");
		if (value_put(p, &t, text, &tlen, sizeof(text)) == -1)
			return addr_parser_fail(p, "domain too long");
		if (addr_token_peek(p, &t) == -1)
			return -1;
		if (!addr_token_is(&t, '.'))
			break;
		(void)addr_token_next(p, &t);
		if (out_put(p, text, &tlen, sizeof(text), '.') == -1)
			return addr_parser_fail(p, "domain too long");
		if (addr_token_peek(p, &t) == -1)
			return -1;
		if (addr_token_is(&t, '.'))
			return addr_parser_fail(p, "empty domain label");
		if (t.type != T_ATOM)
			break;
		(void)addr_token_next(p, &t);
	}
	return mailbox_emit(p, text, tlen);
}

/* obs-route: *("," / "@" domain) ":" -- parsed for syntax, dropped. */
static int
route_skip(struct addr_parser *p)
{
	struct addr_token t;

	for (;;) {
		if (addr_token_next(p, &t) == -1)
			return -1;
		if (addr_token_is(&t, ':'))
			return 0;
		if (addr_token_is(&t, ','))
			continue;
		if (!addr_token_is(&t, '@'))
			return addr_parser_fail(p, "bad route");
		if (addr_token_next(p, &t) == -1)
			return -1;
		if (t.type == T_DLIT)
			continue;
		for (;;) {
			if (t.type != T_ATOM)
				return addr_parser_fail(p, "bad route");
			if (addr_token_peek(p, &t) == -1)
				return -1;
			if (!addr_token_is(&t, '.'))
				break;
			(void)addr_token_next(p, &t);
			if (addr_token_next(p, &t) == -1)
				return -1;
		}
	}
}

/* "<" [obs-route] addr-spec ">", the '<' already read. */
static int
angle_parse(struct addr_parser *p)
{
	struct addr_token t;

	if (addr_token_peek(p, &t) == -1)
		return -1;
	if (addr_token_is(&t, '@') || addr_token_is(&t, ',')) {
		if (route_skip(p) == -1)
			return -1;
		if (addr_token_peek(p, &t) == -1)
			return -1;
	}
	if (addr_token_is(&t, '>'))
		return addr_parser_fail(p, "empty angle address");
	if (addrspec_parse(p) == -1)
		return -1;
	if (addr_token_next(p, &t) == -1)
		return -1;
	if (!addr_token_is(&t, '>'))
		return addr_parser_fail(p, t.type == T_EOF ?
		    "unbalanced angle bracket" : "bad character after address");
	return 0;
}

/* mailbox = name-addr / addr-spec */
static int
mailbox_parse(struct addr_parser *p, int kind)
{
	if (kind == '>')
		return addr_parser_fail(p, "unbalanced angle bracket");
	if (kind == '<') {
		if (phrase_skip(p, '<') == -1)
			return -1;
		return angle_parse(p);
	}
	return addrspec_parse(p);
}

/* group = display-name ":" [mailbox-list] ";" */
static int
group_parse(struct addr_parser *p, size_t nwords)
{
	struct addr_token	t;
	size_t		n;
	int		kind;

	if (nwords == 0)
		return addr_parser_fail(p, "group without a name");
	if (phrase_skip(p, ':') == -1)
		return -1;
	for (;;) {
		if (addr_token_peek(p, &t) == -1)
			return -1;
		if (t.type == T_EOF)
			return 0;	/* tolerated: no ';' at the end */
		if (addr_token_is(&t, ';') || addr_token_is(&t, ',')) {
			(void)addr_token_next(p, &t);
			if (t.ch == ';')
				return 0;
			continue;
		}
		if (address_kind(p, &kind, &n) == -1)
			return -1;
		if (kind == ':')
			return addr_parser_fail(p, "group inside a group");
		if (mailbox_parse(p, kind) == -1)
			return -1;
		if (addr_token_peek(p, &t) == -1)
			return -1;
		if (t.type != T_EOF && !addr_token_is(&t, ',') &&
		    !addr_token_is(&t, ';'))
			return addr_parser_fail(p, addr_token_is(&t, '>') ?
			    "unbalanced angle bracket" :
			    "expected ',' or ';' after address");
	}
}

int
addrlist_parse(const char *s, size_t n, int flags,
    int (*cb)(void *arg, const struct mailpath *), void *arg,
    const char **why)
{
	struct addr_parser	p;
	struct addr_token	t;
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
		if (addr_token_peek(&p, &t) == -1)
			break;
		if (t.type == T_EOF)
			return 0;
		if (addr_token_is(&t, ',')) {
			(void)addr_token_next(&p, &t);
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
		if (addr_token_next(&p, &t) == -1)
			break;
		if (t.type == T_EOF)
			return 0;
		if (!addr_token_is(&t, ',')) {
			(void)addr_parser_fail(&p, addr_token_is(&t, '>') ?
			    "unbalanced angle bracket" :
			    "expected ',' between addresses");
			break;
		}
	}
	if (p.ret == -1)
		*why = p.why != NULL ? p.why : "bad address list";
	return p.ret;
}