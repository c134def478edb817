/*
 * session_cmd: the SMTP command table of the session.  Each row is a verb,
 * the states it is allowed in, the parser of its argument and its handler;
 * adding a command is adding a row.  Verbs that are known but not offered
 * get 502, anything else 500; web requests sent to the SMTP port close the
 * connection at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "smtpd.h"

union cmd_arg {
	char			 helo[SMTP_HELO_MAX + 1];
	struct smtp_mail_args	 mail;
	struct smtp_rcpt_args	 rcpt;
	struct {
		unsigned long long	size;
		int			last;
	} bdat;
	struct {
		const char		*arg;
		size_t			 n;
	} auth;
	struct {
		const char		*arg;
		size_t			 n;
	} raw;
};

typedef int cmd_parse_fn(struct smtpd_session *, const struct smtp_cmd *,
    union cmd_arg *, struct smtp_err *);
typedef void cmd_handle_fn(struct smtpd_session *, union cmd_arg *);

struct cmd_def {
	const char	*verb;
	unsigned	 states;
	cmd_parse_fn	*parse;
	cmd_handle_fn	*handle;
};

/* ---- argument parsers ---- */

static int
arg_none(struct smtpd_session *s, const struct smtp_cmd *c, union cmd_arg *a,
    struct smtp_err *e)
{
	(void)s;
	(void)a;
	if (c->arglen == 0)
		return 0;
	e->code = 501;
	e->enh = "5.5.4";
	e->text = "Syntax error, no parameters allowed";
	return -1;
}

static int
arg_any(struct smtpd_session *s, const struct smtp_cmd *c, union cmd_arg *a,
    struct smtp_err *e)
{
	(void)s;
	(void)c;
	(void)a;
	(void)e;
	return 0;
}

static int
arg_auth(struct smtpd_session *s, const struct smtp_cmd *c, union cmd_arg *a,
    struct smtp_err *e)
{
	(void)s;
	if (c->arglen == 0) {
		e->code = 501;
		e->enh = "5.5.4";
		e->text = "Syntax: AUTH mechanism [initial-response]";
		return -1;
	}
	a->auth.arg = c->arg;
	a->auth.n = c->arglen;
	return 0;
}

#ifdef SMTPD_SUBVERTED
static int
arg_raw(struct smtpd_session *s, const struct smtp_cmd *c, union cmd_arg *a,
    struct smtp_err *e)
{
	(void)s;
	(void)e;
	a->raw.arg = c->arg;
	a->raw.n = c->arglen;
	return 0;
}
#endif

static int
arg_helo(struct smtpd_session *s, const struct smtp_cmd *c, union cmd_arg *a,
    struct smtp_err *e)
{
	(void)s;
	return smtp_helo_parse(c->arg, c->arglen, a->helo, e);
}

static int
arg_mail(struct smtpd_session *s, const struct smtp_cmd *c, union cmd_arg *a,
    struct smtp_err *e)
{
	(void)s;
	return smtp_mail_parse(c->arg, c->arglen, &a->mail, e);
}

static int
arg_rcpt(struct smtpd_session *s, const struct smtp_cmd *c, union cmd_arg *a,
    struct smtp_err *e)
{
	return smtp_rcpt_parse_args(c->arg, c->arglen, s->mail.smtputf8,
	    &a->rcpt, e);
}

static int
arg_bdat(struct smtpd_session *s, const struct smtp_cmd *c, union cmd_arg *a,
    struct smtp_err *e)
{
	/*
	 * A chunk larger than the whole message may be is refused before
	 * any byte of it is read: 552 at once, then the connection closes
	 * (session_cmd_dispatch), since the rest of the chunk cannot be told
	 * from commands and is not worth reading.
	 */
	return smtp_bdat_parse(c->arg, c->arglen, s->size_limit,
	    &a->bdat.size, &a->bdat.last, e);
}

/* ---- handlers ---- */

static int
ehlo_always(const struct smtpd_session *s)
{
	(void)s;
	return 1;
}

static int
ehlo_starttls(const struct smtpd_session *s)
{
	return s->starttls && !s->tls && !s->tls_broken;
}

/* EHLO keywords, each with the condition it is offered on. */
struct ehlo_ext {
	const char	*name;
	int		 size;	/* append the size limit */
	int		(*offered)(const struct smtpd_session *);
};

static const struct ehlo_ext ehlo_exts[] = {
	{ "PIPELINING", 0, ehlo_always },
	{ "SIZE", 1, ehlo_always },
	{ "8BITMIME", 0, ehlo_always },
	{ "BINARYMIME", 0, ehlo_always },
	{ "CHUNKING", 0, ehlo_always },
	{ "SMTPUTF8", 0, ehlo_always },
	{ "STARTTLS", 0, ehlo_starttls },
	{ "AUTH PLAIN LOGIN", 0, session_auth_offered },
	{ "ENHANCEDSTATUSCODES", 0, ehlo_always },
	{ "DSN", 0, ehlo_always },
	{ NULL, 0, NULL }
};

static void
cmd_helo_common(struct smtpd_session *s, union cmd_arg *a, int esmtp)
{
	session_reset(s);
	(void)strlcpy(s->helo, a->helo, sizeof(s->helo));
	s->esmtp = esmtp;
	s->state = ST_HELO;
}

static void
cmd_ehlo(struct smtpd_session *s, union cmd_arg *a)
{
	const struct ehlo_ext	*x;
	int			 r;

	cmd_helo_common(s, a, 1);
	r = lineio_printf(&s->io, "250-%s Hello %s [%s]\r\n",
	    conf_myhostname(s->conf), s->helo, s->peer_addr);
	for (x = ehlo_exts; r != -1 && x->name != NULL; x++) {
		const char *sep = x[1].name == NULL ? " " : "-";

		if (!x->offered(s))
			continue;
		if (x->size)
			r = lineio_printf(&s->io, "250%s%s %llu\r\n", sep,
			    x->name, s->size_limit);
		else
			r = lineio_printf(&s->io, "250%s%s\r\n", sep, x->name);
	}
	if (r == -1)
		session_close(s, 0, NULL, NULL);
}

static void
cmd_helo(struct smtpd_session *s, union cmd_arg *a)
{
	cmd_helo_common(s, a, 0);
	session_reply(s, 250, NULL, "%s Hello %s [%s]",
	    conf_myhostname(s->conf), s->helo, s->peer_addr);
}

/*
 * Asks the monitor to approve a path, with the request's other fields
 * (MAIL: UTF8|ASCII, RET, ENVID; RCPT: NOTIFY, ORCPT, as the client
 * sent them: the monitor checks them again): its verdict.
 */
static const char *
session_ask(struct smtpd_session *s, const char *req, const char *path,
    const char *const *more, int nmore, struct chan_msg *m)
{
	char		 bracketed[ADDR_TEXT_MAX + 3];
	const char	*f[5] = { req, bracketed };
	int		 i;

	(void)snprintf(bracketed, sizeof(bracketed), "<%s>", path);
	for (i = 0; i < nmore && i < 3; i++)
		f[2 + i] = more[i];
	if (chan_send(&s->ipc, f, 2 + i, NULL, 0) == -1 ||
	    chan_recv(&s->ipc, m) != 1 || m->nfds != 0 || m->nf != 1)
		session_close(s, 421, "4.3.0", "Internal error, closing");
	return m->f[0];
}

/* The client as Postfix's log names it: "name[addr]". */
static const char *
session_client(const struct smtpd_session *s, char *out, size_t n)
{
	(void)snprintf(out, n, "%s[%s]", s->peer_name[0] != '\0' ?
	    s->peer_name : "unknown", s->peer_addr);
	return out;
}

/*
 * A refusal in Postfix's words, which pflogsumm counts: "NOQUEUE:
 * reject: RCPT from name[addr]: 550 5.1.1 <to>: text; from=<> to=<>
 * proto=ESMTP helo=<...>".
 */
static void
session_log_reject(const struct smtpd_session *s, const char *cmd, int code,
    const char *enh, const char *addr, const char *text, const char *from,
    const char *to)
{
	char	 client[sizeof(s->peer_name) + sizeof(s->peer_addr) + 3];

	log_info("NOQUEUE: reject: %s from %s: %d %s <%s>: %s; from=<%s>%s%s%s "
	    "proto=%s helo=<%s>", cmd, session_client(s, client,
	    sizeof(client)), code, enh, addr, text, from,
	    to != NULL ? " to=<" : "", to != NULL ? to : "",
	    to != NULL ? ">" : "", s->esmtp ? "ESMTP" : "SMTP", s->helo);
}

static void
cmd_mail(struct smtpd_session *s, union cmd_arg *a)
{
	struct chan_msg	 m;
	const char	*more[3];

	if (SESSION_CHECKS && s->opts->mode != SMTPD_MX && !s->authed) {
		session_error(s, 530, "5.7.0", "Authentication required");
		return;
	}
	if (a->mail.size >= 0 &&
	    (unsigned long long)a->mail.size > s->size_limit) {
		session_error(s, 552, "5.3.4",
		    "Message size exceeds fixed limit");
		return;
	}
	/* the monitor records the sender it approves: the envelope's */
	more[0] = a->mail.smtputf8 ? "UTF8" : "ASCII";
	more[1] = dsn_ret_text(a->mail.ret);
	more[2] = a->mail.envid;
	if (strcmp(session_ask(s, "MAIL", a->mail.path.text, more, 3, &m),
	    "OK") != 0 && SESSION_CHECKS) {
		session_log_reject(s, "MAIL", 553, "5.7.1", a->mail.path.text,
		    "Sender address rejected: not owned by user",
		    a->mail.path.text, NULL);
		session_error(s, 553, "5.7.1", "Sender address rejected: "
		    "not owned by the authenticated user");
		return;
	}
	s->mail = a->mail;
	s->nrcpt = 0;
	s->state = ST_MAIL;
	log_debug("%s: from=<%s>", s->peer_addr, s->mail.path.text);
	session_reply(s, 250, "2.1.0", "Ok");
}

static void
cmd_rcpt(struct smtpd_session *s, union cmd_arg *a)
{
	struct mailpath	*p = &a->rcpt.path;
	struct chan_msg	 m;
	const char	*more[2];
	char		 notify[DSN_NOTIFY_TEXT_MAX];
	size_t		 limit;

	limit = (size_t)conf_int(s->conf, "smtpd_recipient_limit");
	if (SESSION_CHECKS && s->nrcpt >= limit) {
		session_reply(s, 452, "4.5.3", "Too many recipients");
		return;
	}
	if (p->domain[0] == '\0' && !smtp_is_postmaster(p->local)) {
		session_error(s, 501, "5.1.3", "Address needs a domain");
		return;
	}
	dsn_notify_text(a->rcpt.notify, notify, sizeof(notify));
	more[0] = notify;
	more[1] = a->rcpt.orcpt;
	(void)session_ask(s, "RCPT", p->text, more, 2, &m);
	if (!SESSION_CHECKS) {
		/* subverted: whatever the monitor said, the recipient counts */
		log_info("%s: subverted: RCPT to=<%s>: monitor said %s",
		    s->peer_addr, p->text, m.f[0]);
	} else if (strcmp(m.f[0], "NOUSER") == 0) {
		session_log_reject(s, "RCPT", 550, "5.1.1", p->text,
		    "Recipient address rejected: User unknown in local "
		    "recipient table", s->mail.path.text, p->text);
		session_error(s, 550, "5.1.1", "No such user here");
		return;
	}
	else if (strcmp(m.f[0], "NODOMAIN") == 0 ||
	    strcmp(m.f[0], "TRICK") == 0) {
		session_log_reject(s, "RCPT", 554, "5.7.1", p->text,
		    m.f[0][0] == 'T' ? "Relay access denied (routing in the "
		    "local part)" : "Relay access denied", s->mail.path.text,
		    p->text);
		session_error(s, 554, "5.7.1", "Relay access denied");
		return;
	}
	else if (strcmp(m.f[0], "RELAY") == 0)
		log_info("%s: relay: to=<%s>%s%s", s->peer_addr, p->text,
		    s->authed ? ", sasl_username=" : " (mynetworks)",
		    s->authed ? s->auth_user : "");
	else if (strcmp(m.f[0], "OK") != 0) {
		session_reply(s, 451, "4.3.0", "Temporary lookup failure");
		return;
	}
	if (s->nrcpt % 16 == 0) {
		struct smtpd_rcpt *r = reallocarray(s->rcpts, s->nrcpt + 16,
		    sizeof(*r));

		if (r == NULL) {
			session_reply(s, 452, "4.3.1", "Out of memory");
			return;
		}
		s->rcpts = r;
	}
	if (p->domain[0] == '\0') {
		/* <postmaster>: RFC 5321 4.5.1, here on this host. */
		if ((size_t)snprintf(s->rcpts[s->nrcpt].text,
		    sizeof(s->rcpts[0].text), "%s@%s", p->local,
		    conf_myhostname(s->conf)) >= sizeof(s->rcpts[0].text)) {
			session_error(s, 501, "5.1.3", "Address too long");
			return;
		}
	} else
		(void)strlcpy(s->rcpts[s->nrcpt].text, p->text,
		    sizeof(s->rcpts[0].text));
	s->nrcpt++;
	s->state = ST_RCPT;
	session_reply(s, 250, "2.1.5", "Ok");
}

static void
cmd_data(struct smtpd_session *s, union cmd_arg *a)
{
	(void)a;
	if (SESSION_CHECKS && s->nrcpt == 0) {
		session_error(s, 554, "5.5.1", "No valid recipients");
		return;
	}
	if (s->mail.body == SMTP_BODY_BINARYMIME) {
		session_error(s, 503, "5.5.1", "BODY=BINARYMIME needs BDAT");
		return;
	}
	session_data_cmd(s);
}

static void
cmd_bdat(struct smtpd_session *s, union cmd_arg *a)
{
	session_bdat_cmd(s, a->bdat.size, a->bdat.last);
}

static void
cmd_rset(struct smtpd_session *s, union cmd_arg *a)
{
	(void)a;
	session_reset(s);
	session_reply(s, 250, "2.0.0", "Ok");
}

static void
cmd_noop(struct smtpd_session *s, union cmd_arg *a)
{
	(void)a;
	session_reply(s, 250, "2.0.0", "Ok");
}

static void
cmd_quit(struct smtpd_session *s, union cmd_arg *a)
{
	(void)a;
	session_reply(s, 221, "2.0.0", "Bye");
	s->quit = 1;
}

static void
cmd_vrfy(struct smtpd_session *s, union cmd_arg *a)
{
	(void)a;
	session_reply(s, 252, "2.5.0",
	    "Cannot VRFY user, but will accept message and attempt delivery");
}

static void
cmd_help(struct smtpd_session *s, union cmd_arg *a)
{
	(void)a;
	session_reply(s, 214, "2.0.0", "Commands: EHLO HELO STARTTLS AUTH "
	    "MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP");
}

static void
cmd_starttls(struct smtpd_session *s, union cmd_arg *a)
{
	(void)a;
	session_auth_starttls(s);
}

static void
cmd_auth(struct smtpd_session *s, union cmd_arg *a)
{
	session_auth_cmd(s, a->auth.arg, a->auth.n);
}

#ifdef SMTPD_SUBVERTED
static void
cmd_xmon(struct smtpd_session *s, union cmd_arg *a)
{
	session_subvert_xmon(s, a->raw.arg, a->raw.n);
}

static void
cmd_xmonsock(struct smtpd_session *s, union cmd_arg *a)
{
	session_subvert_xmonsock(s, a->raw.arg, a->raw.n);
}

static void
cmd_xfdwrite(struct smtpd_session *s, union cmd_arg *a)
{
	session_subvert_xfdwrite(s, a->raw.arg, a->raw.n);
}

static void
cmd_xfdclose(struct smtpd_session *s, union cmd_arg *a)
{
	session_subvert_xfdclose(s, a->raw.arg, a->raw.n);
}

static int
arg_xrcpt(struct smtpd_session *s, const struct smtp_cmd *c, union cmd_arg *a,
    struct smtp_err *e)
{
	size_t	 used;

	(void)s;
	if (path_parse(c->arg, c->arglen, PATH_ALLOW_NO_DOMAIN, &a->rcpt.path,
	    &used, &e->text) == -1 || used != c->arglen) {
		e->code = 501;
		e->enh = NULL;
		if (e->text == NULL)
			e->text = "XRCPT <path>";
		return -1;
	}
	return 0;
}

static void
cmd_xrcpt(struct smtpd_session *s, union cmd_arg *a)
{
	session_subvert_xrcpt(s, &a->rcpt.path);
}
#endif

static void
cmd_notimpl(struct smtpd_session *s, union cmd_arg *a)
{
	(void)a;
	session_error(s, 502, "5.5.1", "Command not implemented");
}

static void
cmd_web(struct smtpd_session *s, union cmd_arg *a)
{
	(void)a;
	log_info("%s: web request on the SMTP port", s->peer_addr);
	session_close(s, 521, "5.5.1", "This is an SMTP server, closing");
}

static const struct cmd_def cmd_table[] = {
	{ "EHLO",	ST_ANY & ~ST_BDAT,	arg_helo, cmd_ehlo },
	{ "HELO",	ST_ANY & ~ST_BDAT,	arg_helo, cmd_helo },
	{ "MAIL",	ST_HELO,		arg_mail, cmd_mail },
	{ "RCPT",	ST_MAIL | ST_RCPT,	arg_rcpt, cmd_rcpt },
	{ "DATA",	ST_MAIL | ST_RCPT,	arg_none, cmd_data },
	/* BDAT checks its state itself: the chunk must be read in any case. */
	{ "BDAT",	ST_ANY,			arg_bdat, cmd_bdat },
	{ "RSET",	ST_ANY,			arg_none, cmd_rset },
	{ "NOOP",	ST_ANY & ~ST_BDAT,	arg_any,  cmd_noop },
	{ "QUIT",	ST_ANY,			arg_none, cmd_quit },
	{ "VRFY",	ST_ANY & ~ST_BDAT,	arg_any,  cmd_vrfy },
	{ "HELP",	ST_ANY & ~ST_BDAT,	arg_any,  cmd_help },
	{ "EXPN",	ST_ANY,			arg_any,  cmd_notimpl },
	{ "ETRN",	ST_ANY,			arg_any,  cmd_notimpl },
	{ "TURN",	ST_ANY,			arg_any,  cmd_notimpl },
	{ "ATRN",	ST_ANY,			arg_any,  cmd_notimpl },
	{ "SEND",	ST_ANY,			arg_any,  cmd_notimpl },
	{ "SOML",	ST_ANY,			arg_any,  cmd_notimpl },
	{ "SAML",	ST_ANY,			arg_any,  cmd_notimpl },
	{ "STARTTLS",	ST_ANY & ~ST_BDAT,	arg_none, cmd_starttls },
	/* RFC 4954 4: not during a transaction. */
	{ "AUTH",	ST_HELO,		arg_auth, cmd_auth },
#ifdef SMTPD_SUBVERTED
	/* the test-only subverted build: session_subvert.c */
	{ "XMON",	ST_ANY,			arg_raw,  cmd_xmon },
	{ "XMONSOCK",	ST_ANY,			arg_raw,  cmd_xmonsock },
	{ "XFDWRITE",	ST_ANY,			arg_raw,  cmd_xfdwrite },
	{ "XFDCLOSE",	ST_ANY,			arg_raw,  cmd_xfdclose },
	{ "XRCPT",	ST_ANY,			arg_xrcpt, cmd_xrcpt },
#endif
	{ "GET",	ST_ANY,			arg_any,  cmd_web },
	{ "POST",	ST_ANY,			arg_any,  cmd_web },
	{ "CONNECT",	ST_ANY,			arg_any,  cmd_web },
	{ NULL,		0,			NULL,	  NULL }
};

void
session_cmd_dispatch(struct smtpd_session *s, const char *line, size_t n)
{
	const struct cmd_def	*d;
	struct smtp_cmd		 c;
	struct smtp_err		 e;
	union cmd_arg		 a;

	if (smtp_cmd_split(line, n, &c, &e) == -1) {
		session_error(s, e.code, e.enh, e.text);
		return;
	}
	for (d = cmd_table; d->verb != NULL; d++)
		if (strcmp(d->verb, c.verb) == 0)
			break;
	if (d->verb == NULL) {
		session_error(s, 500, "5.5.2", "Command unrecognized");
		return;
	}
	if ((d->states & s->state) == 0) {
		if (s->state == ST_BDAT) {
			/* RFC 3030: only BDAT, RSET or QUIT inside a transfer. */
			session_reset(s);
		}
		session_error(s, 503, "5.5.1", "Bad sequence of commands");
		return;
	}
	memset(&a, 0, sizeof(a));
	if (d->parse(s, &c, &a, &e) == -1) {
		if (d->handle == cmd_bdat)
			/*
			 * The chunk is unknown or too large to read: the stream
			 * is lost.
			 */
			session_close(s, e.code, e.enh, e.text);
		session_error(s, e.code, e.enh, e.text);
		return;
	}
	d->handle(s, &a);
}
