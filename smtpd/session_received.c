/*
 * session_received: the Received field smtpd puts at the top of each
 * message (RFC 5321 4.4, RFC 5322 3.6.7), in Postfix's form:
 *
 *   Received: from HELO (NAME [ADDR])
 *   	(using TLS...)
 *   	by MYHOSTNAME (facteur) with PROTO id QUEUEID
 *   	for <RCPT>; DATE
 *
 * The HELO argument is the client's word: it goes after "from" only when
 * it is a domain (letters, digits, hyphens, dots) or an address literal
 * ([...] of RFC 5322 dtext), which a reader of the field can take as a
 * received-token.  Anything else is written as "from unknown", followed
 * by a comment "(helo=...)" holding the argument with every octet that a
 * comment may not hold (RFC 5322 3.2.2: controls, space, '(', ')', '\',
 * and any octet outside printable US-ASCII) replaced by '?', as Postfix
 * neuters what it prints.  So no HELO, whatever its bytes or length, can
 * close a comment early, open one, or start a new header line.  NAME is a
 * confirmed reverse name (session_dns.c keeps letters, digits, '-', '.')
 * and ADDR a numeric address.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "smtpd.h"

const char *
session_proto(const struct smtpd_session *s)
{
	static const char *const names[2][2][2] = {
		/* [utf8][tls][auth] */
		{ { "ESMTP", "ESMTPA" }, { "ESMTPS", "ESMTPSA" } },
		{ { "UTF8SMTP", "UTF8SMTPA" }, { "UTF8SMTPS", "UTF8SMTPSA" } }
	};

	if (!s->esmtp)
		return "SMTP";
	return names[s->mail.smtputf8 != 0][s->tls != 0][s->authed != 0];
}

int
session_date(char *date, size_t len)
{
	struct tm	 tm;
	time_t		 now = time(NULL);

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, len, "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		return -1;
	return 0;
}

static int
received_letdig(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* 1 if s[0..n) is a dot-separated list of LDH labels (RFC 5321 Domain). */
static int
received_domain(const char *s, size_t n)
{
	size_t	 i, start = 0;

	if (n == 0)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!received_letdig((unsigned char)s[i]) &&
			    s[i] != '-')
				return 0;
			continue;
		}
		/* a label: s[start..i), letters or digits at both ends */
		if (i == start || !received_letdig((unsigned char)s[start]) ||
		    !received_letdig((unsigned char)s[i - 1]))
			return 0;
		start = i + 1;
	}
	return 1;
}

/* 1 if s[0..n) is "[" dtext* "]" (RFC 5322 3.4.1, no folding). */
static int
received_literal(const char *s, size_t n)
{
	size_t	 i;

	if (n < 3 || s[0] != '[' || s[n - 1] != ']')
		return 0;
	for (i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\')
			return 0;
	}
	return 1;
}

int
session_received_helo(const char *helo, char *out, size_t outlen)
{
	size_t	 i, n = strlen(helo);

	if (outlen == 0)
		return -1;
	if (n < outlen && (received_domain(helo, n) ||
	    received_literal(helo, n))) {
		memcpy(out, helo, n + 1);
		return 1;
	}
	for (i = 0; i < n && i + 1 < outlen; i++) {
		unsigned char c = (unsigned char)helo[i];

		out[i] = c < 33 || c > 126 || c == '(' || c == ')' ||
		    c == '\\' ? '?' : (char)c;
	}
	out[i] = '\0';
	return 0;
}

int
session_received(const struct smtpd_session *s, const char *proto,
    struct buf *out)
{
	char	 date[64], helo[SMTP_HELO_MAX + 1];
	int	 r, token;

	if (session_date(date, sizeof(date)) == -1)
		return -1;
	token = session_received_helo(s->helo, helo, sizeof(helo));
	if (token == 1)
		r = buf_printf(out, "Received: from %s", helo);
	else if (helo[0] != '\0')
		r = buf_printf(out, "Received: from unknown (helo=%s)", helo);
	else
		r = buf_printf(out, "Received: from unknown");
	if (r != -1)
		r = buf_printf(out, " (%s%s[%s])\n", s->peer_name,
		    s->peer_name[0] != '\0' ? " " : "", s->peer_addr);
	if (r != -1 && s->tls && s->tls_desc[0] != '\0')
		r = buf_printf(out, "\t(using %s)\n", s->tls_desc);
	if (r != -1)
		r = buf_printf(out, "\tby %s (facteur) with %s id %s",
		    conf_myhostname(s->conf), proto, s->id);
	if (r != -1 && s->nrcpt == 1)
		r = buf_printf(out, "\n\tfor <%s>", s->rcpts[0].text);
	if (r != -1)
		r = buf_printf(out, "; %s\n", date);
	return r == -1 ? -1 : 0;
}
