/*
 * imap_parse: the strict IMAP tokenizer (see imap_parse.h): tag, verb,
 * then atoms, strings and lists, in the text imap_read assembled.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_parse.h"

struct parser {
	char		*t;		/* the text */
	size_t		 len;		/* its length, the final CRLF included */
	size_t		 p;		/* position */
	const struct imap_lit *lits;
	size_t		 nlits;
	struct imap_command *cmd;
	const char	*err;
};

int
imap_is_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return strchr("(){%*\"\\]", c) == NULL;
}

int
imap_is_tag_char(unsigned char c)
{
	/* ASTRING-CHAR except "+": ATOM-CHAR or "]". */
	return c != '+' && (imap_is_atom_char(c) || c == ']');
}

int
imap_utf8_valid(const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, k, need;
	unsigned long		 cp, min;

	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (u[i] >= 0xc2 && u[i] <= 0xdf) {
			need = 1;
			cp = u[i] & 0x1f;
			min = 0x80;
		} else if (u[i] >= 0xe0 && u[i] <= 0xef) {
			need = 2;
			cp = u[i] & 0x0f;
			min = 0x800;
		} else if (u[i] >= 0xf0 && u[i] <= 0xf4) {
			need = 3;
			cp = u[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

int
imap_command_init(struct imap_command *cmd, size_t cap)
{
	memset(cmd, 0, sizeof(*cmd));
	if (cap == 0 || cap > IMAP_ARGS_MAX + 1)
		cap = IMAP_ARGS_MAX + 1;
	cmd->args = reallocarray(NULL, cap, sizeof(*cmd->args));
	if (cmd->args == NULL)
		return -1;
	cmd->cap = cap;
	return 0;
}

void
imap_command_free(struct imap_command *cmd)
{
	free(cmd->args);
	memset(cmd, 0, sizeof(*cmd));
}

static int
parse_fail(struct parser *ps, const char *why)
{
	if (ps->err == NULL)
		ps->err = why;
	return -1;
}

/* A new argument, chained after *prev (or as the first child). */
static struct imap_arg *
parse_new(struct parser *ps, uint32_t *idx)
{
	struct imap_arg	*a;

	if (ps->cmd->nargs >= ps->cmd->cap) {
		parse_fail(ps, "too many arguments");
		return NULL;
	}
	*idx = (uint32_t)ps->cmd->nargs;
	a = &ps->cmd->args[ps->cmd->nargs++];
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	return a;
}

/* The bytes of the final CRLF start at len - 2. */
static int
parse_at_end(const struct parser *ps)
{
	return ps->p == ps->len - 2;
}

static int
parse_quoted(struct parser *ps, struct imap_arg *a)
{
	size_t	 r = ps->p + 1, w = ps->p + 1, start = ps->p + 1;
	char	 c;

	for (;;) {
		if (r >= ps->len - 2)
			return parse_fail(ps, "unterminated quoted string");
		c = ps->t[r];
		if (c == '"')
			break;
		if (c == '\\') {
			if (r + 1 >= ps->len - 2 ||
			    (ps->t[r + 1] != '"' && ps->t[r + 1] != '\\'))
				return parse_fail(ps, "bad escape in quoted "
				    "string");
			ps->t[w++] = ps->t[r + 1];
			r += 2;
			continue;
		}
		if (c == '\0' || c == '\r' || c == '\n')
			return parse_fail(ps, "CR, LF or NUL in quoted string");
		ps->t[w++] = c;
		r++;
	}
	if (!imap_utf8_valid(ps->t + start, w - start))
		return parse_fail(ps, "quoted string is not valid UTF-8");
	a->type = IMAP_ARG_STRING;
	a->flags = IMAP_ARGF_QUOTED;
	a->s = ps->t + start;
	a->len = w - start;
	ps->p = r + 1;
	return 0;
}

static int
parse_literal(struct parser *ps, struct imap_arg *a)
{
	size_t		 at = ps->p, q, i;
	unsigned long long n = 0;
	int		 lit8 = 0, digits = 0;

	if (ps->t[ps->p] == '~') {
		lit8 = 1;
		ps->p++;
		if (ps->p >= ps->len || ps->t[ps->p] != '{')
			return parse_fail(ps, "bad literal8");
	}
	q = ps->p + 1;
	while (q < ps->len && ps->t[q] >= '0' && ps->t[q] <= '9') {
		n = n * 10 + (unsigned)(ps->t[q] - '0');
		if (n > 0xffffffffULL)
			return parse_fail(ps, "literal too large");
		q++;
		digits++;
	}
	if (digits == 0)
		return parse_fail(ps, "bad literal size");
	if (q < ps->len && ps->t[q] == '+')
		q++;
	if (q + 2 >= ps->len || ps->t[q] != '}' || ps->t[q + 1] != '\r' ||
	    ps->t[q + 2] != '\n')
		return parse_fail(ps, "literal size not followed by CRLF");
	q += 3;
	a->type = IMAP_ARG_STRING;
	a->flags = IMAP_ARGF_LITERAL | (lit8 ? IMAP_ARGF_LITERAL8 : 0);
	for (i = 0; i < ps->nlits; i++)
		if (ps->lits[i].off == at && ps->lits[i].fd != -1) {
			if (ps->lits[i].len != n)
				return parse_fail(ps, "literal size mismatch");
			a->flags |= IMAP_ARGF_SPOOLED;
			a->fd = ps->lits[i].fd;
			a->len = (size_t)n;
			a->s = NULL;
			ps->p = q;
			return 0;
		}
	/* The literal's bytes, then at least the command's CRLF. */
	if (n > ps->len - 2 - q)
		return parse_fail(ps, "literal runs past the command");
	a->s = ps->t + q;
	a->len = (size_t)n;
	if (!lit8 && memchr(a->s, '\0', a->len) != NULL)
		return parse_fail(ps, "NUL in literal");
	ps->p = q + (size_t)n;
	return 0;
}

/* Atom names after which "[...]" is a FETCH section. */
static int
parse_section_prefix(const char *s, size_t n)
{
	static const char *const names[] = { "BODY", "BODY.PEEK", "BINARY",
	    "BINARY.PEEK", "BINARY.SIZE", NULL };
	size_t	 i;

	for (i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], s, n) == 0)
			return 1;
	return 0;
}

static int
parse_atom(struct parser *ps, struct imap_arg *a, unsigned depth)
{
	size_t		 start = ps->p, q = ps->p;
	unsigned	 parens;
	unsigned char	 c;

	if (ps->t[q] == '\\')
		q++;	/* a flag: "\Seen" */
	for (;;) {
		c = (unsigned char)ps->t[q];
		if (c == '[' && parse_section_prefix(ps->t + start,
		    q - start)) {
			/* A section: "BODY[HEADER.FIELDS (A B)]<0.10>". */
			if (depth + 1 > IMAP_DEPTH_MAX)
				return parse_fail(ps, "nested too deep");
			parens = 0;
			for (q++; ; q++) {
				c = (unsigned char)ps->t[q];
				if (c == ']' && parens == 0)
					break;
				if (c == '"') {
					/* A quoted field name: no escapes. */
					for (q++; ps->t[q] != '"'; q++)
						if (ps->t[q] == '\\' ||
						    (unsigned char)ps->t[q] <
						    0x20 || (unsigned char)
						    ps->t[q] >= 0x7f)
							return parse_fail(ps,
							    "bad quoted name in "
							    "section");
					continue;
				}
				if (c == '(') {
					if (depth + 2 + parens > IMAP_DEPTH_MAX)
						return parse_fail(ps,
						    "nested too deep");
					parens++;
				} else if (c == ')') {
					if (parens == 0)
						return parse_fail(ps,
						    "unbalanced parentheses");
					parens--;
				} else if (c != ' ' && (!imap_is_atom_char(c) ||
				    c == '['))
					return parse_fail(ps, "bad character "
					    "in section");
			}
			q++;
			continue;
		}
		if (imap_is_atom_char(c) || c == '%' || c == '*' || c == ']') {
			q++;
			continue;
		}
		break;
	}
	if (q == start || (q == start + 1 && ps->t[start] == '\\'))
		return parse_fail(ps, "bad character in command");
	a->type = IMAP_ARG_ATOM;
	a->s = ps->t + start;
	a->len = q - start;
	ps->p = q;
	return 0;
}

static int parse_items(struct parser *, struct imap_arg *list, uint32_t,
	    unsigned depth, int in_list);

static int
parse_item(struct parser *ps, uint32_t *idx, unsigned depth)
{
	struct imap_arg	*a;
	char		 c = ps->t[ps->p];

	if ((a = parse_new(ps, idx)) == NULL)
		return -1;
	switch (c) {
	case '(':
		if (depth + 1 > IMAP_DEPTH_MAX)
			return parse_fail(ps, "nested too deep");
		a->type = IMAP_ARG_LIST;
		ps->p++;
		if (ps->t[ps->p] == ')') {
			ps->p++;
			return 0;
		}
		return parse_items(ps, a, *idx, depth + 1, 1);
	case ')':
		return parse_fail(ps, "unbalanced parentheses");
	case '"':
		return parse_quoted(ps, a);
	case '{':
		return parse_literal(ps, a);
	case '~':
		if (ps->t[ps->p + 1] == '{')
			return parse_literal(ps, a);
		return parse_atom(ps, a, depth);
	case ' ':
		return parse_fail(ps, "extra space");
	case '\r':
	case '\n':
		return parse_fail(ps, "missing argument");
	default:
		return parse_atom(ps, a, depth);
	}
}

/*
 * Items separated by one SP, up to ')' (in a list) or the final CRLF.
 * list is args[li]; ps->cmd->args may not move (fixed capacity).
 */
static int
parse_items(struct parser *ps, struct imap_arg *list, uint32_t li,
    unsigned depth, int in_list)
{
	uint32_t	 idx, prev = 0;

	(void)li;
	for (;;) {
		if (parse_at_end(ps))
			return in_list ? parse_fail(ps, "unbalanced "
			    "parentheses") : 0;
		if (parse_item(ps, &idx, depth) == -1)
			return -1;
		if (prev == 0)
			list->child = idx;
		else
			ps->cmd->args[prev].next = idx;
		list->count++;
		prev = idx;
		if (in_list && ps->t[ps->p] == ')') {
			ps->p++;
			return 0;
		}
		if (parse_at_end(ps))
			return in_list ? parse_fail(ps, "unbalanced "
			    "parentheses") : 0;
		if (ps->t[ps->p] != ' ')
			return parse_fail(ps, ps->t[ps->p] == ')' ?
			    "unbalanced parentheses" : "bad character in "
			    "command");
		ps->p++;
		if (parse_at_end(ps) || ps->t[ps->p] == ' ' ||
		    (in_list && ps->t[ps->p] == ')'))
			return parse_fail(ps, "extra space");
	}
}

int
imap_parse(char *text, size_t len, const struct imap_lit *lits, size_t nlits,
    struct imap_command *cmd, const char **err)
{
	struct parser	 ps;
	size_t		 i, k;
	uint32_t	 root;

	memset(&ps, 0, sizeof(ps));
	ps.t = text;
	ps.len = len;
	ps.lits = lits;
	ps.nlits = nlits;
	ps.cmd = cmd;
	cmd->tag[0] = cmd->verb[0] = '\0';
	cmd->nargs = 0;
	cmd->first = 0;
	*err = NULL;
	if (len < 2 || text[len - 2] != '\r' || text[len - 1] != '\n') {
		*err = "command must end with CRLF";
		return -1;
	}
	/* The tag. */
	for (i = 0; i < len - 2 && imap_is_tag_char((unsigned char)text[i]);
	    i++)
		;
	if (i == 0 || i > IMAP_TAG_MAX || text[i] != ' ') {
		*err = i == 0 ? "missing tag" : i > IMAP_TAG_MAX ?
		    "tag too long" : "bad character in tag";
		return -1;
	}
	memcpy(cmd->tag, text, i);
	cmd->tag[i] = '\0';
	/* The verb: letters only (no command has other characters). */
	for (k = i + 1; k < len - 2 && ((text[k] >= 'A' && text[k] <= 'Z') ||
	    (text[k] >= 'a' && text[k] <= 'z')); k++)
		;
	if (k == i + 1 || k - i - 1 > IMAP_VERB_MAX ||
	    (k != len - 2 && text[k] != ' ')) {
		*err = k == i + 1 ? "missing command" : "bad command name";
		return -1;
	}
	for (ps.p = i + 1; ps.p < k; ps.p++)
		cmd->verb[ps.p - i - 1] = (char)(text[ps.p] & ~0x20);
	cmd->verb[k - i - 1] = '\0';
	if (parse_new(&ps, &root) == NULL) {
		*err = ps.err;
		return -1;
	}
	cmd->args[root].type = IMAP_ARG_LIST;
	ps.p = k;
	if (ps.p != len - 2) {
		ps.p++;		/* the SP after the verb */
		if (parse_at_end(&ps) || text[ps.p] == ' ') {
			*err = "extra space";
			return -1;
		}
		if (parse_items(&ps, &cmd->args[root], root, 0, 0) == -1) {
			*err = ps.err;
			return -1;
		}
	}
	cmd->first = cmd->args[root].child;
	return 0;
}

const struct imap_arg *
imap_arg_at(const struct imap_command *cmd, uint32_t i)
{
	return i == 0 || i >= cmd->nargs ? NULL : &cmd->args[i];
}

const struct imap_arg *
imap_arg_next(const struct imap_command *cmd, const struct imap_arg *a)
{
	return a == NULL ? NULL : imap_arg_at(cmd, a->next);
}

const struct imap_arg *
imap_arg_child(const struct imap_command *cmd, const struct imap_arg *a)
{
	return a == NULL || a->type != IMAP_ARG_LIST ? NULL :
	    imap_arg_at(cmd, a->child);
}

int
imap_arg_is(const struct imap_arg *a, const char *word)
{
	return a != NULL && a->type == IMAP_ARG_ATOM &&
	    strlen(word) == a->len && strncasecmp(a->s, word, a->len) == 0;
}

int
imap_arg_astring(const struct imap_arg *a)
{
	if (a == NULL)
		return 0;
	if (a->type == IMAP_ARG_STRING)
		return !(a->flags & IMAP_ARGF_LITERAL8);
	if (a->type != IMAP_ARG_ATOM)
		return 0;
	/* astring = 1*ASTRING-CHAR: no wildcards, no leading '\'. */
	return memchr(a->s, '%', a->len) == NULL &&
	    memchr(a->s, '*', a->len) == NULL && a->s[0] != '\\' &&
	    memchr(a->s, '[', a->len) == NULL;
}

int
imap_arg_nil(const struct imap_arg *a)
{
	return imap_arg_is(a, "NIL");
}

int
imap_arg_copy(const struct imap_arg *a, char *out, size_t n)
{
	if (!imap_arg_astring(a) || (a->flags & IMAP_ARGF_SPOOLED) ||
	    a->len >= n || memchr(a->s, '\0', a->len) != NULL)
		return -1;
	memcpy(out, a->s, a->len);
	out[a->len] = '\0';
	return 0;
}

int
imap_arg_number64(const struct imap_arg *a, uint64_t *v)
{
	uint64_t	 n = 0;
	size_t		 i;

	if (a == NULL || a->type != IMAP_ARG_ATOM || a->len == 0 ||
	    a->len > 19)
		return -1;
	for (i = 0; i < a->len; i++) {
		if (a->s[i] < '0' || a->s[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(a->s[i] - '0');
	}
	if (n > 0x7fffffffffffffffULL)
		return -1;
	*v = n;
	return 0;
}

int
imap_arg_number(const struct imap_arg *a, uint32_t *v)
{
	uint64_t	 n;

	if (imap_arg_number64(a, &n) == -1 || n > 0xffffffffULL)
		return -1;
	*v = (uint32_t)n;
	return 0;
}
