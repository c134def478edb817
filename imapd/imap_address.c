/*
 * imap_address: the tolerant RFC 5322 address-list reader behind the
 * ENVELOPE address lists (rules in imap_address.h): a tokenizer that
 * skips folding white space and comments (remembering the last comment),
 * and a reader of mailboxes and groups that recovers at ',' or ';'.
 *
 * Trust: the header value is a stranger's: read within its length, written
 * only through imap_quote.
 */
#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "imap_address.h"
#include "imap_quote.h"

enum tok_type { T_END, T_ATOM, T_QSTR, T_DLIT, T_SPECIAL };

struct tok {
	enum tok_type	 type;
	int		 ch;		/* T_SPECIAL */
	const char	*p;		/* T_QSTR: inside the quotes */
	size_t		 len;
};

struct lexer {
	const char	*s;
	size_t		 n, i;
	struct tok	 t;		/* the current token */
	const char	*comment;	/* the last comment skipped, inside */
	size_t		 comment_len;
};

#define addr_out imap_address_list

/* Character classes: 1 special, 2 blank or line end. */
static const unsigned char cclass[256] = {
	['('] = 1, [')'] = 1, ['<'] = 1, ['>'] = 1, ['['] = 1, [']'] = 1,
	[':'] = 1, [';'] = 1, ['@'] = 1, ['\\'] = 1, [','] = 1, ['.'] = 1,
	['"'] = 1,
	[' '] = 2, ['\t'] = 2, ['\r'] = 2, ['\n'] = 2,
};

static int
is_special(int c)
{
	return cclass[c] == 1;
}

static int
is_wsp(int c)
{
	return cclass[c] == 2;
}

static void
comment_skip(struct lexer *lx)
{
	size_t	depth = 0, start = lx->i + 1;

	for (; lx->i < lx->n; lx->i++) {
		if (lx->s[lx->i] == '\\' && lx->i + 1 < lx->n)
			lx->i++;
		else if (lx->s[lx->i] == '(')
			depth++;
		else if (lx->s[lx->i] == ')' && --depth == 0)
			break;
	}
	lx->comment = lx->s + start;
	lx->comment_len = (lx->i < lx->n ? lx->i : lx->n) - start;
	if (lx->i < lx->n)
		lx->i++;
}

static void
lex_next(struct lexer *lx)
{
	const char	*s = lx->s;
	size_t		 start;

	for (;;) {
		while (lx->i < lx->n && is_wsp((unsigned char)s[lx->i]))
			lx->i++;
		if (lx->i < lx->n && s[lx->i] == '(')
			comment_skip(lx);
		else
			break;
	}
	memset(&lx->t, 0, sizeof(lx->t));
	if (lx->i >= lx->n) {
		lx->t.type = T_END;
		return;
	}
	start = lx->i;
	switch (s[lx->i]) {
	case '"':
		for (lx->i++; lx->i < lx->n && s[lx->i] != '"'; lx->i++)
			if (s[lx->i] == '\\' && lx->i + 1 < lx->n)
				lx->i++;
		lx->t.type = T_QSTR;
		lx->t.p = s + start + 1;
		lx->t.len = (lx->i < lx->n ? lx->i : lx->n) - start - 1;
		if (lx->i < lx->n)
			lx->i++;
		return;
	case '[':
		while (lx->i < lx->n && s[lx->i] != ']')
			lx->i++;
		if (lx->i < lx->n)
			lx->i++;
		lx->t.type = T_DLIT;
		lx->t.p = s + start;
		lx->t.len = lx->i - start;
		return;
	default:
		if (is_special((unsigned char)s[lx->i])) {
			lx->t.type = T_SPECIAL;
			lx->t.ch = (unsigned char)s[lx->i++];
			return;
		}
	}
	while (lx->i < lx->n && cclass[(unsigned char)s[lx->i]] == 0)
		lx->i++;
	lx->t.type = T_ATOM;
	lx->t.p = s + start;
	lx->t.len = lx->i - start;
}

static int
tok_is(const struct lexer *lx, int ch)
{
	return lx->t.type == T_SPECIAL && lx->t.ch == ch;
}

/* A word's text: a quoted string unescaped and unfolded. */
static int
word_append(struct buf *b, const struct tok *t)
{
	size_t	i, run = 0;

	if (t->type != T_QSTR)
		return buf_append(b, t->p, t->len);
	for (i = 0; i < t->len; i++) {
		if (t->p[i] != '\\' && t->p[i] != '\r' && t->p[i] != '\n')
			continue;
		if (buf_append(b, t->p + run, i - run) == -1)
			return -1;
		if (t->p[i] == '\\' && i + 1 < t->len)
			i++;		/* the escaped byte starts the next run */
		else if (t->p[i] == '\\')
			i++;		/* a final lone backslash is dropped */
		else {
			run = i + 1;
			continue;
		}
		run = i;
	}
	return buf_append(b, t->p + run, t->len > run ? t->len - run : 0);
}

/*
 * Words and dots up to a special that is not '.': into name (words
 * separated by one space; NULL: not wanted) and local (joined as they
 * are).
 */
static int
phrase_read(struct lexer *lx, struct buf *name, struct buf *local,
    int *words)
{
	int	space = 0;

	*words = 0;
	if (name != NULL)
		buf_reset(name);
	buf_reset(local);
	for (;; lex_next(lx)) {
		if (lx->t.type == T_ATOM || lx->t.type == T_QSTR ||
		    lx->t.type == T_DLIT) {
			if (name != NULL && ((space &&
			    buf_putc(name, ' ') == -1) ||
			    word_append(name, &lx->t) == -1))
				return -1;
			if (word_append(local, &lx->t) == -1)
				return -1;
			space = 1;
			*words += lx->t.type == T_QSTR ? 2 : 1;
		} else if (tok_is(lx, '.')) {
			if ((name != NULL && buf_putc(name, '.') == -1) ||
			    buf_putc(local, '.') == -1)
				return -1;
		} else
			return 0;
	}
}

/*
 * The domain: atoms or literals separated by dots, up to anything else
 * (a second word without a dot between is not the domain's).
 */
static int
domain_read(struct lexer *lx, struct buf *b)
{
	int	word = 0;

	buf_reset(b);
	for (;; lex_next(lx)) {
		if (tok_is(lx, '.')) {
			if (buf_putc(b, '.') == -1)
				return -1;
			word = 0;
		} else if ((lx->t.type == T_ATOM || lx->t.type == T_DLIT) &&
		    !word) {
			if (buf_append(b, lx->t.p, lx->t.len) == -1)
				return -1;
			word = 1;
		} else
			return 0;
	}
}

/* Skips whatever is left of a list element: to ',', ';' or the end. */
static void
junk_skip(struct lexer *lx, int in_group)
{
	while (lx->t.type != T_END && !tok_is(lx, ',') &&
	    !(in_group && tok_is(lx, ';')))
		lex_next(lx);
}

static int
str_out(struct addr_out *ao, const struct buf *b, const char *dflt)
{
	if (b != NULL && b->len > 0)
		return imap_quote_string(ao->out, b->data, b->len, ao->flags);
	return imap_quote_nstring(ao->out, dflt, dflt == NULL ? 0 :
	    strlen(dflt), ao->flags);
}

/* One address: (name adl mailbox host); a NULL buf is NIL. */
static int
addr_emit(struct addr_out *ao, const struct buf *name, const struct buf *adl,
    const struct buf *mailbox, const char *mbdefault, const struct buf *host,
    const char *hostdefault)
{
	if (buf_append(ao->out, "((", ao->count++ == 0 ? 2 : 1) == -1 ||
	    str_out(ao, name, NULL) == -1 || buf_putc(ao->out, ' ') == -1 ||
	    str_out(ao, adl, NULL) == -1 || buf_putc(ao->out, ' ') == -1 ||
	    str_out(ao, mailbox, mbdefault) == -1 ||
	    buf_putc(ao->out, ' ') == -1 ||
	    str_out(ao, host, hostdefault) == -1)
		return -1;
	return buf_putc(ao->out, ')');
}

/* `<[@a,@b:]box@host>` at '<'; the display name is in ao->name. */
static int
angle_addr(struct lexer *lx, struct addr_out *ao)
{
	struct buf	*name = ao->name.len > 0 ? &ao->name : NULL;
	int		 words;

	buf_reset(&ao->adl);
	lex_next(lx);
	if (tok_is(lx, '@')) {
		/* The obsolete route: @a,@b: (kept as written, no blanks). */
		while (lx->t.type != T_END && !tok_is(lx, ':') &&
		    !tok_is(lx, '>')) {
			if (lx->t.type == T_SPECIAL ?
			    buf_putc(&ao->adl, lx->t.ch) :
			    buf_append(&ao->adl, lx->t.p, lx->t.len))
				return -1;
			lex_next(lx);
		}
		if (tok_is(lx, ':'))
			lex_next(lx);
	}
	if (phrase_read(lx, NULL, &ao->local, &words) == -1)
		return -1;
	buf_reset(&ao->domain);
	if (tok_is(lx, '@')) {
		lex_next(lx);
		if (domain_read(lx, &ao->domain) == -1)
			return -1;
	}
	if (addr_emit(ao, name, ao->adl.len > 0 ? &ao->adl : NULL, &ao->local,
	    "MISSING_MAILBOX", &ao->domain, "MISSING_DOMAIN") == -1)
		return -1;
	return 0;
}

static int	element_read(struct lexer *, struct addr_out *, int);

/* `name: members;` at ':'. */
static int
group_read(struct lexer *lx, struct addr_out *ao)
{
	if (addr_emit(ao, NULL, NULL, &ao->name, "", NULL, NULL) == -1)
		return -1;
	lex_next(lx);
	while (lx->t.type != T_END && !tok_is(lx, ';')) {
		if (tok_is(lx, ',') || tok_is(lx, ':')) {
			lex_next(lx);
			continue;
		}
		if (element_read(lx, ao, 1) == -1)
			return -1;
	}
	if (tok_is(lx, ';'))
		lex_next(lx);
	return addr_emit(ao, NULL, NULL, NULL, NULL, NULL, NULL);
}

/* One element of the list: a mailbox, or (outside a group) a group. */
static int
element_read(struct lexer *lx, struct addr_out *ao, int in_group)
{
	struct buf	*name;
	int		 words;

	if (phrase_read(lx, &ao->name, &ao->local, &words) == -1)
		return -1;
	if (tok_is(lx, '<')) {
		if (angle_addr(lx, ao) == -1)
			return -1;
	} else if (tok_is(lx, ':')) {
		if (!in_group)
			return group_read(lx, ao);
		/* A group in a group (RFC 5322 has none): its name dropped. */
		lex_next(lx);
		return 0;
	} else if (tok_is(lx, '@')) {
		lex_next(lx);
		lx->comment = NULL;
		if (domain_read(lx, &ao->domain) == -1)
			return -1;
		junk_skip(lx, in_group);
		buf_reset(&ao->name);
		if (lx->comment != NULL &&
		    buf_append(&ao->name, lx->comment, lx->comment_len) == -1)
			return -1;
		name = ao->name.len > 0 ? &ao->name : NULL;
		if (addr_emit(ao, name, NULL, &ao->local, "MISSING_MAILBOX",
		    &ao->domain, "MISSING_DOMAIN") == -1)
			return -1;
	} else if (words == 1) {
		/* A bare word: a mailbox with no domain. */
		buf_reset(&ao->domain);
		if (addr_emit(ao, NULL, NULL, &ao->local, NULL, &ao->domain,
		    "MISSING_DOMAIN") == -1)
			return -1;
	} else if (words > 1) {
		/* A phrase and no address: a name with nothing else. */
		buf_reset(&ao->domain);
		buf_reset(&ao->adl);
		if (addr_emit(ao, &ao->name, NULL, &ao->adl, "MISSING_MAILBOX",
		    &ao->domain, "MISSING_DOMAIN") == -1)
			return -1;
	}
	junk_skip(lx, in_group);
	return 0;
}

void
imap_address_begin(struct imap_address_list *ao, struct buf *out,
    unsigned flags)
{
	ao->out = out;
	ao->flags = flags;
	ao->count = 0;
	/* Each scratch holds at most one value: the output's bound. */
	buf_init(&ao->name, out->max);
	buf_init(&ao->local, out->max);
	buf_init(&ao->domain, out->max);
	buf_init(&ao->adl, out->max);
}

int
imap_address_add(struct imap_address_list *ao, const char *value, size_t n)
{
	struct lexer	lx = { .s = value, .n = n };

	lex_next(&lx);
	while (lx.t.type != T_END) {
		if (tok_is(&lx, ',') || tok_is(&lx, ';') || tok_is(&lx, '>') ||
		    tok_is(&lx, ')')) {
			lex_next(&lx);
			continue;
		}
		if (element_read(&lx, ao, 0) == -1)
			return -1;
	}
	return 0;
}

int
imap_address_end(struct imap_address_list *ao)
{
	buf_free(&ao->name);
	buf_free(&ao->local);
	buf_free(&ao->domain);
	buf_free(&ao->adl);
	if (ao->count > 0)
		return buf_putc(ao->out, ')');
	return buf_append(ao->out, "NIL", 3);
}
