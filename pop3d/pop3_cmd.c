/*
 * pop3_cmd: the POP3 command table and its parsers, shared by pop3d's
 * login process (AUTHORIZATION) and pop3session (TRANSACTION): each row
 * names the states a command is allowed in and the shape of its
 * arguments; the handlers are the program's (see pop3_cmd.h).
 *
 * Lines are at most POP3_LINE_MAX octets (RFC 2449 4) and never hold a
 * NUL, nor a CR but the one before the LF (RFC 1939 3: arguments are
 * printable ASCII), so no argument carries one to a handler, a log line
 * or the monitor; a command word is matched case-insensitively; arguments
 * are split on single blanks.  Every -ERR counts towards pop3_error_limit.
 * A line must come whole within the lineio's timeout (pop3_timeout) and
 * by its deadline (the login process's login_timeout); a line longer
 * than LINEIO_DRAIN_MAX past the limit closes the connection.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pop3_cmd.h"

struct pop3_cmd {
	const char	*name;
	enum pop3_verb	 verb;
	int		 states;
	enum pop3_arg	 arg;
};

static const struct pop3_cmd pop3_cmds[] = {
	{ "USER", VERB_USER, POP3_AUTH,			ARG_WORD },
	{ "PASS", VERB_PASS, POP3_AUTH,			ARG_REST },
	{ "AUTH", VERB_AUTH, POP3_AUTH,			ARG_AUTH },
	{ "STLS", VERB_STLS, POP3_AUTH,			ARG_NONE },
	{ "CAPA", VERB_CAPA, POP3_AUTH | POP3_TRANS,	ARG_NONE },
	{ "QUIT", VERB_QUIT, POP3_AUTH | POP3_TRANS,	ARG_NONE },
	{ "NOOP", VERB_NOOP, POP3_TRANS,		ARG_NONE },
	{ "STAT", VERB_STAT, POP3_TRANS,		ARG_NONE },
	{ "LIST", VERB_LIST, POP3_TRANS,		ARG_OPTMSG },
	{ "UIDL", VERB_UIDL, POP3_TRANS,		ARG_OPTMSG },
	{ "RETR", VERB_RETR, POP3_TRANS,		ARG_MSG },
	{ "TOP",  VERB_TOP,  POP3_TRANS,		ARG_TOP },
	{ "DELE", VERB_DELE, POP3_TRANS,		ARG_MSG },
	{ "RSET", VERB_RSET, POP3_TRANS,		ARG_NONE },
	{ NULL, VERB_COUNT, 0, ARG_NONE }
};

static int
pop3_vreply(struct pop3_conn *p, const char *status, const char *fmt,
    va_list ap)
{
	char	 text[512];
	int	 r;

	r = vsnprintf(text, sizeof(text), fmt, ap);
	if (r < 0)
		return -1;
	return lineio_printf(&p->io, "%s%s%s\r\n", status, *text ? " " : "",
	    text);
}

int
pop3_err(struct pop3_conn *p, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = pop3_vreply(p, "-ERR", fmt, ap);
	va_end(ap);
	if (++p->errors >= p->error_limit) {
		(void)lineio_printf(&p->io,
		    "-ERR too many errors, closing\r\n");
		p->done = 1;
		p->closing = 1;
	}
	return r;
}

int
pop3_ok(struct pop3_conn *p, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = pop3_vreply(p, "+OK", fmt, ap);
	va_end(ap);
	return r;
}

int
pop3_capa_reply(struct pop3_conn *p, const char *extra)
{
	return lineio_printf(&p->io, "+OK Capability list follows\r\n"
	    "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n"
	    "%sIMPLEMENTATION facteur\r\n.\r\n", extra);
}

/* A message number: 1 to 10 digits, no sign, no leading blank. */
static int
parse_num(const char *s, unsigned long long *v)
{
	size_t	 i;

	*v = 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 10 || s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return i == 0 ? -1 : 0;
}

/* Splits args on single blanks: up to max words; -1 when more. */
static int
split_words(char *s, char **w, int max)
{
	int	 n = 0;
	char	*sp;

	if (*s == '\0')
		return 0;
	for (;;) {
		if (n == max)
			return -1;
		w[n++] = s;
		if ((sp = strchr(s, ' ')) == NULL)
			return n;
		*sp = '\0';
		s = sp + 1;
	}
}

/* Fills a from the argument text; -1 after answering -ERR. */
static int
pop3_parse(struct pop3_conn *p, const struct pop3_cmd *c, char *rest,
    struct pop3_args *a)
{
	char			*w[2] = { NULL, NULL };
	int			 n;
	unsigned long long	 v;

	memset(a, 0, sizeof(*a));
	if (c->arg == ARG_REST) {
		if (*rest == '\0')
			return pop3_err(p, "%s needs an argument", c->name), -1;
		a->s1 = rest;
		return 0;
	}
	n = split_words(rest, w, 2);
	switch (c->arg) {
	case ARG_NONE:
		if (n == 0)
			return 0;
		break;
	case ARG_WORD:
		if (n == 1 && *w[0] != '\0') {
			a->s1 = w[0];
			return 0;
		}
		break;
	case ARG_AUTH:
		if (n >= 0) {
			a->s1 = n > 0 ? w[0] : NULL;
			a->s2 = n > 1 ? w[1] : NULL;
			return 0;
		}
		break;
	case ARG_OPTMSG:
		if (n == 0)
			return 0;
		/* FALLTHROUGH */
	case ARG_MSG:
	case ARG_TOP:
		if (n != (c->arg == ARG_TOP ? 2 : 1))
			break;
		if (parse_num(w[0], &v) == -1)
			return pop3_err(p, "invalid message number"), -1;
		if (v == 0)
			return pop3_err(p, "no such message"), -1;
		a->msg = (size_t)v;
		if (c->arg != ARG_TOP)
			return 0;
		if (parse_num(w[1], &v) == -1)
			return pop3_err(p, "invalid line count"), -1;
		a->lines = (unsigned long)v;
		return 0;
	default:
		break;
	}
	return pop3_err(p, "wrong arguments for %s", c->name), -1;
}

/* Runs one command line (terminator removed). */
static int
pop3_dispatch(struct pop3_conn *p, struct pop3 *prog,
    const pop3_handler *handlers, char *line, size_t len)
{
	const struct pop3_cmd	*c;
	struct pop3_args	 a;
	char			*rest;
	size_t			 wl;

	if (memchr(line, '\0', len) != NULL)
		return pop3_err(p, "NUL in command");
	if (memchr(line, '\r', len) != NULL)
		return pop3_err(p, "bare CR in command");
	rest = strchr(line, ' ');
	wl = rest != NULL ? (size_t)(rest - line) : len;
	rest = rest != NULL ? rest + 1 : line + len;
	for (c = pop3_cmds; c->name != NULL; c++)
		if (strlen(c->name) == wl && strncasecmp(c->name, line, wl) == 0)
			break;
	if (c->name == NULL)
		return pop3_err(p, "unknown command");
	/* No handler: the row's state is another process's. */
	if (!(c->states & p->state) || handlers[c->verb] == NULL)
		return pop3_err(p, "%s not valid in this state", c->name);
	if (pop3_parse(p, c, rest, &a) == -1)
		return 0;
	return handlers[c->verb](prog, &a);
}

void
pop3_read_failed(struct pop3_conn *p, enum line_status st)
{
	const char	*line;

	if (st == LINE_OVERFLOW)
		line = "-ERR line too long, closing";
	else if (st == LINE_TIMEOUT && lineio_expired(&p->io))
		line = "-ERR login time limit exceeded, closing";
	else if (st == LINE_TIMEOUT)
		line = "-ERR autologout: idle for too long";
	else
		return;		/* the client is gone */
	p->closing = 1;
	/* Sent even when the deadline is what passed (lineio_grace). */
	lineio_grace(&p->io);
	(void)lineio_printf(&p->io, "%s\r\n", line);
	(void)lineio_flush(&p->io);
}

int
pop3_loop(struct pop3_conn *p, struct pop3 *prog,
    const pop3_handler handlers[VERB_COUNT])
{
	enum line_status	 st;
	int			 crlf;

	while (!p->done) {
		if (lineio_flush(&p->io) == -1)
			return -1;
		st = lineio_read(&p->io, &p->line, POP3_LINE_MAX, &crlf);
		switch (st) {
		case LINE_OK:
			break;
		case LINE_TOOLONG:
			if (pop3_err(p, "line too long (%d octets at most, "
			    "RFC 2449)", POP3_LINE_MAX) == -1)
				return -1;
			continue;
		default:
			pop3_read_failed(p, st);
			return -1;
		}
		p->line.len -= crlf ? 2 : 1;
		p->line.data[p->line.len] = '\0';
		if (pop3_dispatch(p, prog, handlers, p->line.data,
		    p->line.len) == -1) {
			buf_wipe(&p->line);
			return -1;
		}
		/* A PASS line held a password. */
		explicit_bzero(p->line.data, p->line.len);
	}
	return lineio_flush(&p->io);
}
