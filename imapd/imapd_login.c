/*
 * imapd_login: the not-authenticated state (RFC 9051 6.1, 6.2), in the
 * login process (chrooted, login_user): the greeting, implicit TLS
 * (IMAPS) or STARTTLS, CAPABILITY, NOOP, LOGOUT, ID (RFC 2971), LOGIN and
 * AUTHENTICATE PLAIN or LOGIN with SASL-IR (RFC 4959).  Credentials go to
 * the monitor (lib/login/login_split); on success this process sends the
 * session the LOGIN command's tag (IMAP_LOGIN_PREAMBLE) and becomes a
 * relay between the client and the session, whose first line answers the
 * LOGIN or AUTHENTICATE.  Without TLS, logins are refused unless
 * imap_plaintext_login says otherwise (LOGINDISABLED, [PRIVACYREQUIRED]).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "imapd.h"
#include "lineio.h"
#include "log.h"
#include "login_split.h"
#include "sandbox.h"
#include "sasl.h"
#include "tls.h"

#define LOGIN_LINE_MAX	(SASL_LINE_MAX + 256)
#define LOGIN_LITERAL_MAX (SASL_PASS_MAX + 1)
#define LOGIN_CMD_MAX	(4 * LOGIN_LINE_MAX)
#define ID_PAIRS_MAX	30	/* RFC 2971 3.3 */
#define ID_FIELD_MAX	30
#define ID_VALUE_MAX	1024

struct login_cmd {
	const char	*name;
	int		(*fn)(struct imap_login *);
};

static int
login_allowed(const struct imap_login *l)
{
	return l->conn != NULL || conf_bool(l->conf, "imap_plaintext_login");
}

static int __attribute__((format(printf, 3, 4)))
login_reply(struct imap_login *l, const char *status, const char *fmt, ...)
{
	char	 text[512];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return lineio_printf(&l->io, "%s %s %s\r\n",
	    l->cmd.tag[0] != '\0' ? l->cmd.tag : "*", status, text);
}

/* A BAD, counted towards imap_error_limit. */
static int
login_bad(struct imap_login *l, const char *tag, const char *code,
    const char *why)
{
	if (lineio_printf(&l->io, "%s BAD %s%s%s%s\r\n",
	    tag[0] != '\0' ? tag : "*", code ? "[" : "", code ? code : "",
	    code ? "] " : "", why) == -1)
		return -1;
	if (++l->errors >= l->error_limit) {
		(void)lineio_printf(&l->io, "* BYE too many errors\r\n");
		l->done = 1;
		l->closing = 1;
	}
	return 0;
}

/*
 * The last words when reading failed (time, a line or literal over the
 * limits): a BYE, sent even when the login deadline is what passed
 * (lineio_grace), and the close lingers.  Nothing when the client went.
 */
static void
login_read_failed(struct imap_login *l, enum imap_read_status st,
    const char *why)
{
	if (st == IMAP_READ_TIMEOUT && lineio_expired(&l->io))
		why = "login time limit exceeded";
	else if (st == IMAP_READ_TIMEOUT)
		why = "autologout: idle for too long";
	else if (st != IMAP_READ_FATAL)
		return;
	l->closing = 1;
	lineio_grace(&l->io);
	if (why != NULL)
		(void)lineio_printf(&l->io, "* BYE %s\r\n", why);
	else
		(void)lineio_printf(&l->io, "* BYE %s%s%s%s\r\n",
		    l->rd.code ? "[" : "", l->rd.code ? l->rd.code : "",
		    l->rd.code ? "] " : "", l->rd.err);
	(void)lineio_flush(&l->io);
}

static void
login_capabilities(const struct imap_login *l, char *out, size_t n)
{
	const char	*litplus = conf_bool(l->conf, "imap_literal_plus") ?
			    "LITERAL+" : "LITERAL-";

	(void)snprintf(out, n, "IMAP4rev1 IMAP4rev2 SASL-IR ID ENABLE IDLE "
	    "%s%s%s", litplus, l->tls != NULL && l->conn == NULL ?
	    " STARTTLS" : "", login_allowed(l) ? " AUTH=PLAIN AUTH=LOGIN" :
	    " LOGINDISABLED");
}

static int
login_cmd_capability(struct imap_login *l)
{
	char	 caps[256];

	if (l->cmd.first != 0)
		return login_bad(l, l->cmd.tag, NULL, "CAPABILITY takes no "
		    "arguments");
	login_capabilities(l, caps, sizeof(caps));
	if (lineio_printf(&l->io, "* CAPABILITY %s\r\n", caps) == -1)
		return -1;
	return login_reply(l, "OK", "CAPABILITY completed");
}

static int
login_cmd_noop(struct imap_login *l)
{
	if (l->cmd.first != 0)
		return login_bad(l, l->cmd.tag, NULL, "NOOP takes no "
		    "arguments");
	return login_reply(l, "OK", "NOOP completed");
}

static int
login_cmd_logout(struct imap_login *l)
{
	if (l->cmd.first != 0)
		return login_bad(l, l->cmd.tag, NULL, "LOGOUT takes no "
		    "arguments");
	l->done = 1;
	if (lineio_printf(&l->io, "* BYE facteur IMAP server logging "
	    "out\r\n") == -1)
		return -1;
	return login_reply(l, "OK", "LOGOUT completed");
}

/* 1 when a (ID's argument) is NIL or a list of string pairs in limits. */
static int
login_id_valid(const struct imap_login *l, const struct imap_arg *a)
{
	const struct imap_arg	*f, *v;
	unsigned		 pairs = 0;

	if (imap_arg_nil(a))
		return 1;
	if (a->type != IMAP_ARG_LIST)
		return 0;
	for (f = imap_arg_child(&l->cmd, a); f != NULL;
	    f = imap_arg_next(&l->cmd, v)) {
		v = imap_arg_next(&l->cmd, f);
		if (v == NULL || ++pairs > ID_PAIRS_MAX ||
		    f->type != IMAP_ARG_STRING || f->len > ID_FIELD_MAX ||
		    (f->flags & IMAP_ARGF_SPOOLED) ||
		    (!imap_arg_nil(v) && (v->type != IMAP_ARG_STRING ||
		    v->len > ID_VALUE_MAX || (v->flags & IMAP_ARGF_SPOOLED))))
			return 0;
	}
	return 1;
}

static int
login_cmd_id(struct imap_login *l)
{
	const struct imap_arg	*a = imap_arg_at(&l->cmd, l->cmd.first);

	if (a == NULL || a->next != 0 || !login_id_valid(l, a))
		return login_bad(l, l->cmd.tag, NULL, "ID takes NIL or a list "
		    "of at most 30 field and value pairs");
	if (lineio_printf(&l->io, "* ID (\"name\" \"facteur\")\r\n") == -1)
		return -1;
	return login_reply(l, "OK", "ID completed");
}

static int
login_cmd_starttls(struct imap_login *l)
{
	char	 err[256];

	if (l->cmd.first != 0)
		return login_bad(l, l->cmd.tag, NULL, "STARTTLS takes no "
		    "arguments");
	if (l->tls == NULL)
		return login_bad(l, l->cmd.tag, NULL, "TLS is not available");
	if (l->conn != NULL)
		return login_bad(l, l->cmd.tag, NULL, "TLS is already on");
	/* Build the context before saying yes: a bad certificate is NO. */
	if (tls_server_build(l->tls, err, sizeof(err)) == -1) {
		log_warnx("STARTTLS: %s", err);
		return login_reply(l, "NO", "[UNAVAILABLE] TLS is not "
		    "available");
	}
	if (login_reply(l, "OK", "Begin TLS negotiation now") == -1)
		return -1;
	if (tls_starttls(&l->io, l->tls, &l->conn, err, sizeof(err)) == -1) {
		log_warnx("client=[%s]: STARTTLS: %s", l->split->client_addr,
		    err);
		return -1;
	}
	return 0;
}

/* Hands credentials to the monitor and answers, or starts the relay. */
static int
login_check(struct imap_login *l, const char *user, const char *pass)
{
	enum login_status	 st;
	int			 fd, r;
	char			 pre[sizeof(IMAP_LOGIN_PREAMBLE) +
				    IMAP_TAG_MAX + 4];

	if (lineio_flush(&l->io) == -1)
		return -1;
	st = login_split_auth(l->split, user, pass, &fd);
	switch (st) {
	case LOGIN_OK:
		log_info("login: user=<%s>, client=[%s]%s", user,
		    l->split->client_addr, l->conn != NULL ? ", TLS" : "");
		/* The session answers the command: it needs its tag. */
		r = snprintf(pre, sizeof(pre), "%s%s\r\n", IMAP_LOGIN_PREAMBLE,
		    l->cmd.tag);
		if (r < 0 || (size_t)r >= sizeof(pre)) {
			(void)close(fd);
			return -1;
		}
		/*
		 * A session that could not start has said so and gone: the
		 * relay still brings its BYE to the client.
		 */
		if (fd_write_full(fd, pre, (size_t)r) == -1)
			log_debug("preamble to the session: %s",
			    strerror(errno));
		imap_read_wipe(&l->rd);
		r = login_split_relay(&l->io, fd);
		(void)close(fd);
		l->done = 1;
		/* the session ended it (LOGOUT, or a limit): the client
		 * may still be sending */
		l->closing = r == 0;
		return r;
	case LOGIN_BAD:
		return login_reply(l, "NO", "[AUTHENTICATIONFAILED] "
		    "Authentication failed");
	case LOGIN_CLOSE:
		(void)login_reply(l, "NO", "[AUTHENTICATIONFAILED] "
		    "Authentication failed");
		(void)lineio_printf(&l->io, "* BYE too many failed logins\r\n");
		l->done = 1;
		l->closing = 1;
		return 0;
	default:
		return login_reply(l, "NO", "[UNAVAILABLE] cannot check "
		    "credentials now, try later");
	}
}

static int
login_cmd_login(struct imap_login *l)
{
	const struct imap_arg	*u, *p;
	char			 user[SASL_NAME_MAX + 1];
	char			 pass[SASL_PASS_MAX + 1];
	int			 r;

	u = imap_arg_at(&l->cmd, l->cmd.first);
	p = imap_arg_next(&l->cmd, u);
	if (u == NULL || p == NULL || p->next != 0 ||
	    !imap_arg_astring(u) || !imap_arg_astring(p))
		return login_bad(l, l->cmd.tag, NULL, "LOGIN takes a user "
		    "name and a password");
	if (!login_allowed(l))
		return login_reply(l, "NO", "[PRIVACYREQUIRED] plaintext "
		    "login is not allowed without TLS%s", l->tls != NULL ?
		    " (use STARTTLS)" : "");
	if (imap_arg_copy(u, user, sizeof(user)) == -1 ||
	    imap_arg_copy(p, pass, sizeof(pass)) == -1) {
		explicit_bzero(pass, sizeof(pass));
		return login_reply(l, "NO", "[AUTHENTICATIONFAILED] "
		    "Authentication failed");
	}
	r = login_check(l, user, pass);
	explicit_bzero(pass, sizeof(pass));
	return r;
}

/* The SASL exchange: "+ challenge" lines, client lines back. */
static int
login_sasl(struct imap_login *l, struct sasl *s, enum sasl_status st)
{
	enum line_status	 ls;
	struct buf		 line;
	int			 crlf;

	buf_init(&line, SASL_LINE_MAX + 2);
	while (st == SASL_CONTINUE) {
		if (lineio_printf(&l->io, "+ %s\r\n", sasl_challenge(s)) == -1 ||
		    lineio_flush(&l->io) == -1) {
			buf_wipe(&line);
			return -1;
		}
		/* The login's deadline is on l->io: it holds here too. */
		ls = lineio_read(&l->io, &line, SASL_LINE_MAX + 2, &crlf);
		if (ls == LINE_TOOLONG) {
			s->err = SASL_ERR_TOO_LONG;
			st = SASL_ERROR;
			break;
		}
		if (ls != LINE_OK) {
			buf_wipe(&line);
			login_read_failed(l, ls == LINE_OVERFLOW ?
			    IMAP_READ_FATAL : ls == LINE_TIMEOUT ?
			    IMAP_READ_TIMEOUT : IMAP_READ_GONE, "line too long");
			return -1;
		}
		if (!crlf) {
			s->err = SASL_ERR_SYNTAX;
			st = SASL_ERROR;
			break;
		}
		line.len -= 2;
		st = sasl_step(s, line.data, line.len);
		explicit_bzero(line.data, line.len);
	}
	buf_wipe(&line);
	if (st == SASL_DONE)
		return login_check(l, s->creds.authcid, s->creds.password);
	switch (sasl_error(s)) {
	case SASL_ERR_CANCELLED:
		/* RFC 9051 6.2.2: a cancelled exchange gets BAD. */
		return login_bad(l, l->cmd.tag, NULL, "AUTHENTICATE "
		    "cancelled");
	case SASL_ERR_BASE64:
	case SASL_ERR_SYNTAX:
		return login_bad(l, l->cmd.tag, NULL, "malformed "
		    "AUTHENTICATE response");
	case SASL_ERR_TOO_LONG:
		return login_bad(l, l->cmd.tag, "TOOBIG", "AUTHENTICATE "
		    "response too long");
	default:
		return login_reply(l, "NO", "[AUTHENTICATIONFAILED] %s",
		    sasl_strerror(sasl_error(s)));
	}
}

static int
login_cmd_authenticate(struct imap_login *l)
{
	const struct imap_arg	*m, *ir;
	char			 mech[32], init[SASL_LINE_MAX + 1];
	struct sasl		 s;
	int			 r;

	m = imap_arg_at(&l->cmd, l->cmd.first);
	ir = imap_arg_next(&l->cmd, m);
	if (m == NULL || m->type != IMAP_ARG_ATOM ||
	    (ir != NULL && (ir->next != 0 || ir->type != IMAP_ARG_ATOM)) ||
	    imap_arg_copy(m, mech, sizeof(mech)) == -1 ||
	    (ir != NULL && imap_arg_copy(ir, init, sizeof(init)) == -1))
		return login_bad(l, l->cmd.tag, NULL, "AUTHENTICATE takes a "
		    "mechanism and an optional initial response");
	if (!sasl_mech_known(mech))
		return login_reply(l, "NO", "[CANNOT] unsupported "
		    "mechanism");
	if (!login_allowed(l))
		return login_reply(l, "NO", "[PRIVACYREQUIRED] plaintext "
		    "authentication is not allowed without TLS%s",
		    l->tls != NULL ? " (use STARTTLS)" : "");
	sasl_init(&s);
	r = login_sasl(l, &s, sasl_start(&s, mech, ir != NULL ? init : NULL));
	sasl_clear(&s);
	explicit_bzero(init, sizeof(init));
	return r;
}

static const struct login_cmd login_cmds[] = {
	{ "CAPABILITY",		login_cmd_capability },
	{ "NOOP",		login_cmd_noop },
	{ "LOGOUT",		login_cmd_logout },
	{ "ID",			login_cmd_id },
	{ "STARTTLS",		login_cmd_starttls },
	{ "LOGIN",		login_cmd_login },
	{ "AUTHENTICATE",	login_cmd_authenticate },
	{ NULL, NULL }
};

/* Commands of the later states, refused here with a clear reason. */
static const char *const login_later[] = { "SELECT", "EXAMINE", "CREATE",
	"DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB",
	"NAMESPACE", "STATUS", "APPEND", "ENABLE", "IDLE", "CHECK", "CLOSE",
	"UNSELECT", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE",
	"UID", NULL };

static int
login_dispatch(struct imap_login *l)
{
	const struct login_cmd	*c;
	size_t			 i;

	for (c = login_cmds; c->name != NULL; c++)
		if (strcmp(c->name, l->cmd.verb) == 0)
			return c->fn(l);
	for (i = 0; login_later[i] != NULL; i++)
		if (strcmp(login_later[i], l->cmd.verb) == 0)
			return login_bad(l, l->cmd.tag, NULL, "log in first");
	return login_bad(l, l->cmd.tag, NULL, "unknown command");
}

static int
login_loop(struct imap_login *l)
{
	enum imap_read_status	 st;
	const char		*err;

	while (!l->done) {
		if (lineio_flush(&l->io) == -1)
			return -1;
		st = imap_read_command(&l->rd);
		switch (st) {
		case IMAP_READ_OK:
			break;
		case IMAP_READ_EOF:
		case IMAP_READ_GONE:
		case IMAP_READ_TIMEOUT:
		case IMAP_READ_FATAL:
			login_read_failed(l, st, NULL);
			return -1;
		case IMAP_READ_NO:
		case IMAP_READ_BAD:
			if (login_bad(l, l->rd.tag, l->rd.code,
			    l->rd.err) == -1)
				return -1;
			imap_read_wipe(&l->rd);
			continue;
		}
		if (imap_parse(l->rd.text.data, l->rd.text.len, l->rd.lits,
		    l->rd.nlits, &l->cmd, &err) == -1) {
			if (login_bad(l, l->cmd.tag, NULL, err) == -1)
				return -1;
		} else if (login_dispatch(l) == -1)
			return -1;
		/* LOGIN's line held a password. */
		imap_read_wipe(&l->rd);
	}
	return lineio_flush(&l->io);
}

int
imap_login_main(struct login_split *ls, void *arg)
{
	struct imap_login	 l;
	char			 err[256], desc[128], caps[256];
	long long		 left;
	int			 r, hs, one = 1;

	/*
	 * The relay writes what the session sends as it comes, a response
	 * often in a few pieces: Nagle's algorithm would hold the last one
	 * for the client's delayed ACK.  Not a TCP socket: nothing to do.
	 */
	(void)setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sandbox_enter(SANDBOX_IMAP_LOGIN);
	memset(&l, 0, sizeof(l));
	l.opts = arg;
	l.conf = ls->conf;
	l.split = ls;
	l.tls = ls->tls;
	l.error_limit = (unsigned)conf_int(l.conf, "imap_error_limit");
	lineio_init(&l.io, 0, 1, (int)conf_int(l.conf, "imap_timeout") * 1000);
	/* The whole not-authenticated state has login_timeout. */
	left = login_split_deadline(ls, &l.io);
	l.rd.io = &l.io;
	l.rd.line_max = LOGIN_LINE_MAX;
	l.rd.literal_max = LOGIN_LITERAL_MAX;
	l.rd.append_max = 0;
	l.rd.cmd_max = LOGIN_CMD_MAX;
	l.rd.literal_minus = !conf_bool(l.conf, "imap_literal_plus");
	l.rd.cmd_timeout_ms = l.io.timeout_ms;
	l.rd.deadline = ls->deadline;
	if (imap_read_init(&l.rd) == -1 || imap_command_init(&l.cmd, 256) == -1)
		fatal("out of memory");
	if (l.opts->implicit_tls) {
		if (l.tls == NULL) {
			log_warnx("IMAPS without tls_cert_file");
			return 1;
		}
		hs = tls_server_timeout_ms(l.tls);
		if (hs < 0 || hs > left)
			hs = (int)left;
		l.conn = tls_accept(l.tls, 0, 1, hs, err, sizeof(err));
		if (l.conn == NULL) {
			log_warnx("client=[%s]: TLS handshake: %s",
			    ls->client_addr, err);
			return 1;
		}
		tls_attach(&l.io, l.conn);
		if (tls_describe(l.conn, desc, sizeof(desc)) != -1)
			log_debug("client=[%s]: %s", ls->client_addr, desc);
	}
	if (l.opts->overloaded) {
		(void)lineio_printf(&l.io, "* BYE [UNAVAILABLE] busy, try "
		    "later\r\n");
		r = lineio_flush(&l.io);
	} else {
		log_debug("connect from [%s]", ls->client_addr);
		login_capabilities(&l, caps, sizeof(caps));
		r = lineio_printf(&l.io, "* OK [CAPABILITY %s] facteur IMAP "
		    "server ready\r\n", caps);
		if (r != -1)
			r = login_loop(&l);
	}
	if (l.conn != NULL)
		tls_close(l.conn);
	if (l.closing)
		lineio_linger(&l.io);
	imap_read_free(&l.rd);
	imap_command_free(&l.cmd);
	lineio_free(&l.io);
	return r == -1 ? 1 : 0;
}
