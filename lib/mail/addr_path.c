/*
 * addr_path: RFC 5321 section 4.1.2 paths, as given to MAIL FROM, RCPT TO
 * and sendmail's argument list.  The parse is exact because later code
 * decides relaying from it: `user%remote@local` has the local part
 * "user%remote", `<@local:user@remote>` the domain "remote" (the source
 * route is accepted and dropped, RFC 5321 appendix C), and
 * `"user@remote"@local` the local part "user@remote".
 *
 * Grammar, with RFC 6531 (SMTPUTF8) when PATH_ALLOW_UTF8 is given:
 *   Path       = "<" [ A-d-l ":" ] Mailbox ">"
 *   Mailbox    = Local-part [ "@" ( Domain / address-literal ) ]
 *   Local-part = Dot-string / Quoted-string
 *   Domain     = sub-domain *( "." sub-domain ) [ "." ]
 * Deliberate choices beyond the grammar: an empty local part (`""@x`) is
 * refused; C1 control characters (U+0080..U+009F) are refused even with
 * SMTPUTF8; labels (A- or U-labels) are limited to 63 octets as written;
 * General-address-literals are refused.  Leading white space is not
 * skipped: the caller hands us the first byte of the path.
 *
 * Trust: every path is a stranger's (relay decisions follow from it),
 * parsed exactly (fuzzed).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

#define LABEL_MAX	63

struct cursor {
	const unsigned char	*s;
	size_t			 n;
	size_t			 i;
	int			 flags;
	int			 utf8;
	const char		*why;
};

static int
cursor_peek(const struct cursor *c)
{
	return c->i < c->n ? c->s[c->i] : -1;
}

static int
cursor_fail(struct cursor *c, const char *why)
{
	c->why = why;
	return -1;
}

/* Explains why the byte under the cursor cannot be here. */
static int
cursor_unexpected(struct cursor *c)
{
	int ch = cursor_peek(c);

	if (ch < 0)
		return cursor_fail(c, "unexpected end of address");
	if (ch == '\0')
		return cursor_fail(c, "NUL in address");
	if (ch == '\r' || ch == '\n')
		return cursor_fail(c, "CR or LF in address");
	if (ch < 0x20 || ch == 0x7f)
		return cursor_fail(c, "control character in address");
	if (ch == ' ')
		return cursor_fail(c, "space in address");
	if (ch >= 0x80 && !(c->flags & PATH_ALLOW_UTF8))
		return cursor_fail(c, "8-bit character without SMTPUTF8");
	return cursor_fail(c, "bad character in address");
}

/*
 * Length of the strict UTF-8 sequence at p (2 to 4), or 0: no overlong
 * forms, no surrogates, nothing above U+10FFFF, no C1 controls.
 */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char	c = p[0], lo = 0x80, hi = 0xbf;
	size_t		len, k;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (k = 2; k < len; k++)
		if (p[k] < 0x80 || p[k] > 0xbf)
			return 0;
	if (c == 0xc2 && p[1] < 0xa0)
		return 0;
	return len;
}

/* Copies one UTF-8 character from the cursor into out[*len], max octets. */
static int
utf8_take(struct cursor *c, char *out, size_t *len, size_t max,
    const char *toolong)
{
	size_t k;

	if (!(c->flags & PATH_ALLOW_UTF8))
		return cursor_fail(c, "8-bit character without SMTPUTF8");
	if ((k = utf8_seq(c->s + c->i, c->n - c->i)) == 0)
		return cursor_fail(c, "invalid UTF-8 in address");
	if (*len + k > max)
		return cursor_fail(c, toolong);
	memcpy(out + *len, c->s + c->i, k);
	*len += k;
	out[*len] = '\0';
	c->i += k;
	c->utf8 = 1;
	return 0;
}

static int
is_atext(int ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	return ch > 0 && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL;
}

static int
is_ldh(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-';
}

static int
local_put(struct cursor *c, char *out, size_t *len, int ch)
{
	if (*len >= ADDR_LOCAL_MAX)
		return cursor_fail(c, "local part too long");
	out[(*len)++] = (char)ch;
	out[*len] = '\0';
	return 0;
}

static int
local_quoted(struct cursor *c, char *out)
{
	size_t	len = 0;
	int	ch;

	c->i++;
	for (;;) {
		if ((ch = cursor_peek(c)) < 0)
			return cursor_fail(c, "unterminated quoted string");
		if (ch == '"') {
			c->i++;
			break;
		}
		if (ch >= 0x80) {
			if (utf8_take(c, out, &len, ADDR_LOCAL_MAX,
			    "local part too long") == -1)
				return -1;
			continue;
		}
		if (ch == '\\') {
			c->i++;
			if ((ch = cursor_peek(c)) < 0)
				return cursor_fail(c,
				    "unterminated quoted string");
			if (ch < 0x20 || ch > 0x7e)
				return cursor_unexpected(c);
		} else if (ch < 0x20 || ch == 0x7f)
			return cursor_unexpected(c);
		if (local_put(c, out, &len, ch) == -1)
			return -1;
		c->i++;
	}
	if (len == 0)
		return cursor_fail(c, "empty local part");
	return 0;
}

static int
local_parse(struct cursor *c, char *out)
{
	size_t	len = 0;
	int	ch;

	out[0] = '\0';
	if (cursor_peek(c) == '"')
		return local_quoted(c, out);
	for (;;) {
		ch = cursor_peek(c);
		if (ch == '.') {
			if (len == 0 || out[len - 1] == '.')
				return cursor_fail(c,
				    "empty atom in local part");
		} else if (ch >= 0x80) {
			if (utf8_take(c, out, &len, ADDR_LOCAL_MAX,
			    "local part too long") == -1)
				return -1;
			continue;
		} else if (!is_atext(ch))
			break;
		if (local_put(c, out, &len, ch) == -1)
			return -1;
		c->i++;
	}
	if (len == 0) {
		if (ch == '@' || ch == '>' || ch < 0)
			return cursor_fail(c, "empty local part");
		return cursor_unexpected(c);
	}
	if (out[len - 1] == '.')
		return cursor_fail(c, "local part ends with a dot");
	return 0;
}

/* `[192.0.2.1]` or `[IPv6:2001:db8::1]`, copied as given. */
static int
literal_parse(struct cursor *c, char *out)
{
	char		 tmp[INET6_ADDRSTRLEN + 1];
	unsigned char	 bin[sizeof(struct in6_addr)];
	size_t		 start = c->i, len, inlen;
	const char	*in;
	int		 ch;

	c->i++;
	while ((ch = cursor_peek(c)) != ']') {
		if (ch < 0)
			return cursor_fail(c, "unterminated address literal");
		if (ch <= 0x20 || ch >= 0x7f)
			return cursor_unexpected(c);
		if (ch == '[' || ch == '\\')
			return cursor_fail(c,
			    "bad character in address literal");
		if (c->i - start > ADDR_DOMAIN_MAX)
			return cursor_fail(c, "domain too long");
		c->i++;
	}
	c->i++;
	if ((len = c->i - start) > ADDR_DOMAIN_MAX)
		return cursor_fail(c, "domain too long");
	memcpy(out, c->s + start, len);
	out[len] = '\0';
	in = out + 1;
	inlen = len - 2;
	if (inlen > 5 && strncasecmp(in, "IPv6:", 5) == 0) {
		if (inlen - 5 >= sizeof(tmp))
			return cursor_fail(c, "bad IPv6 address literal");
		memcpy(tmp, in + 5, inlen - 5);
		tmp[inlen - 5] = '\0';
		if (inet_pton(AF_INET6, tmp, bin) != 1)
			return cursor_fail(c, "bad IPv6 address literal");
		return 0;
	}
	if (memchr(in, ':', inlen) != NULL)
		return cursor_fail(c,
		    "general address literals are not supported");
	if (inlen >= sizeof(tmp))
		return cursor_fail(c, "bad IPv4 address literal");
	memcpy(tmp, in, inlen);
	tmp[inlen] = '\0';
	if (inet_pton(AF_INET, tmp, bin) != 1)
		return cursor_fail(c, "bad IPv4 address literal");
	return 0;
}

static int
label_char(const struct cursor *c, int ch)
{
	return is_ldh(ch) || (ch >= 0x80 && (c->flags & PATH_ALLOW_UTF8));
}

/*
 * Domain (LDH or U-labels, one trailing dot dropped) or, when literal_ok,
 * an address literal.  out holds ADDR_DOMAIN_MAX + 1 bytes.
 */
static int
domain_parse(struct cursor *c, char *out, int literal_ok)
{
	size_t	len = 0, label;
	int	ch;

	out[0] = '\0';
	if (cursor_peek(c) == '[') {
		if (!literal_ok)
			return cursor_fail(c,
			    "address literal in source route");
		return literal_parse(c, out);
	}
	for (;;) {
		label = len;
		while ((ch = cursor_peek(c)) >= 0 && (is_ldh(ch) ||
		    ch >= 0x80)) {
			if (ch >= 0x80) {
				if (utf8_take(c, out, &len, ADDR_DOMAIN_MAX,
				    "domain too long") == -1)
					return -1;
				continue;
			}
			if (len >= ADDR_DOMAIN_MAX)
				return cursor_fail(c, "domain too long");
			out[len++] = (char)ch;
			out[len] = '\0';
			c->i++;
		}
		if (len == label) {
			if (len == 0 && (ch == '>' || ch == ' ' || ch < 0))
				return cursor_fail(c, "empty domain");
			if (ch == '.')
				return cursor_fail(c, "empty domain label");
			return cursor_unexpected(c);
		}
		if (len - label > LABEL_MAX)
			return cursor_fail(c, "domain label over 63 octets");
		if (out[label] == '-' || out[len - 1] == '-')
			return cursor_fail(c,
			    "domain label starts or ends with a hyphen");
		if (ch != '.')
			return 0;
		c->i++;
		ch = cursor_peek(c);
		if (ch == '.')
			return cursor_fail(c, "empty domain label");
		if (ch < 0 || !label_char(c, ch))
			return 0;	/* one trailing dot, dropped */
		if (len >= ADDR_DOMAIN_MAX)
			return cursor_fail(c, "domain too long");
		out[len++] = '.';
		out[len] = '\0';
	}
}

/* A-d-l ":" -- parsed for syntax, then forgotten. */
static int
route_parse(struct cursor *c)
{
	char	scratch[ADDR_DOMAIN_MAX + 1];

	for (;;) {
		if (cursor_peek(c) != '@')
			return cursor_fail(c, "bad source route");
		c->i++;
		if (domain_parse(c, scratch, 0) == -1)
			return -1;
		if (c->i > ADDR_PATH_MAX)
			return cursor_fail(c, "path too long");
		if (cursor_peek(c) == ':') {
			c->i++;
			return 0;
		}
		if (cursor_peek(c) != ',')
			return cursor_peek(c) < 0 || cursor_peek(c) == '>' ?
			    cursor_fail(c, "bad source route") :
			    cursor_unexpected(c);
		c->i++;
	}
}

static int
mailbox_parse(struct cursor *c, struct mailpath *mp, int end)
{
	int ch;

	if (local_parse(c, mp->local) == -1)
		return -1;
	ch = cursor_peek(c);
	if (ch == '@') {
		c->i++;
		return domain_parse(c, mp->domain, 1);
	}
	if (ch == end || ch < 0) {
		if (c->flags & PATH_ALLOW_NO_DOMAIN)
			return 0;
		return cursor_fail(c, "address has no domain");
	}
	return cursor_unexpected(c);
}

/* Whether the value can be written as an unquoted Dot-string. */
static int
dotstring_ok(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	int			 prev = '.';

	for (; *p != '\0'; p++) {
		if (*p == '.' && prev == '.')
			return 0;
		if (*p != '.' && *p < 0x80 && !is_atext(*p))
			return 0;
		prev = *p;
	}
	return prev != '.';
}

static void
text_build(struct mailpath *mp)
{
	size_t		 len = 0;
	const char	*p;

	if (dotstring_ok(mp->local)) {
		len = strlcpy(mp->text, mp->local, sizeof(mp->text));
	} else {
		/* 2 * ADDR_LOCAL_MAX + 2 fits: see ADDR_TEXT_MAX. */
		mp->text[len++] = '"';
		for (p = mp->local; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				mp->text[len++] = '\\';
			mp->text[len++] = *p;
		}
		mp->text[len++] = '"';
		mp->text[len] = '\0';
	}
	if (mp->domain[0] != '\0') {
		mp->text[len++] = '@';
		mp->text[len] = '\0';
		(void)strlcat(mp->text, mp->domain, sizeof(mp->text));
	}
}

int
path_parse(const char *s, size_t n, int flags, struct mailpath *mp,
    size_t *used, const char **why)
{
	struct cursor c;

	memset(mp, 0, sizeof(*mp));
	*used = 0;
	memset(&c, 0, sizeof(c));
	c.s = (const unsigned char *)s;
	c.n = n;
	c.flags = flags;
	*why = NULL;

	if (n == 0) {
		*why = "empty address";
		return -1;
	}
	if (c.s[0] == '<') {
		c.i = 1;
		if (cursor_peek(&c) == '>') {
			if (!(flags & PATH_ALLOW_NULL)) {
				*why = "null path not allowed";
				return -1;
			}
			mp->null = 1;
			*used = 2;
			return 0;
		}
		if (cursor_peek(&c) == '@' && route_parse(&c) == -1)
			goto fail;
		c.utf8 = 0;	/* the route is dropped, so is its UTF-8 */
		if (mailbox_parse(&c, mp, '>') == -1)
			goto fail;
		if (cursor_peek(&c) != '>') {
			if (cursor_peek(&c) < 0)
				c.why = "missing '>'";
			else
				(void)cursor_unexpected(&c);
			goto fail;
		}
		c.i++;
		if (c.i > ADDR_PATH_MAX) {
			c.why = "path too long";
			goto fail;
		}
	} else {
		if (!(flags & PATH_NO_BRACKETS)) {
			if (c.s[0] < 0x20 || c.s[0] == ' ' ||
			    c.s[0] >= 0x7f)
				(void)cursor_unexpected(&c);
			else
				c.why = "address must be in angle brackets";
			goto fail;
		}
		if (mailbox_parse(&c, mp, ' ') == -1)
			goto fail;
		if (cursor_peek(&c) >= 0 && cursor_peek(&c) != ' ') {
			(void)cursor_unexpected(&c);
			goto fail;
		}
		if (c.i + 2 > ADDR_PATH_MAX) {
			c.why = "path too long";
			goto fail;
		}
	}
	mp->utf8 = c.utf8;
	text_build(mp);
	*used = c.i;
	return 0;
fail:
	*why = c.why != NULL ? c.why : "bad address";
	memset(mp, 0, sizeof(*mp));
	return -1;
}
