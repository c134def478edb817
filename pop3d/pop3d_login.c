/*
 * pop3d_login: the AUTHORIZATION state (RFC 1939 4), in the login process
 * (chrooted, login_user): the greeting, implicit TLS (POP3S) or STLS (RFC
 * 2595), USER/PASS and AUTH PLAIN/LOGIN (RFC 5034).  Credentials go to the
 * monitor (lib/login_split); on success this process becomes a relay
 * between the client and the session process, whose first line answers
 * the PASS or AUTH.  Logins are refused on a connection without TLS
 * unless pop3_plaintext_login says otherwise ([AUTH], RFC 3206).  It all
 * runs in the pop3-login sandbox (lib/sandbox), entered first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "lineio.h"
#include "log.h"
#include "login_split.h"
#include "pop3d.h"
#include "sandbox.h"
#include "sasl.h"
#include "tls.h"

static int
pop3_login_allowed(const struct pop3 *p)
{
	return p->conn != NULL || conf_bool(p->conf, "pop3_plaintext_login");
}

/* Hands credentials to the monitor and answers, or starts the relay. */
static int
pop3_login(struct pop3 *p, const char *user, const char *pass)
{
	enum login_status	 st;
	int			 fd, r;

	if (lineio_flush(&p->c.io) == -1)
		return -1;
	st = login_split_auth(p->split, user, pass, &fd);
	switch (st) {
	case LOGIN_OK:
		log_info("login: user=<%s>", user);
		r = login_split_relay(&p->c.io, fd);
		(void)close(fd);
		p->c.done = 1;
		/* the session ended it (QUIT, or a limit): the client may
		 * still be sending */
		p->c.closing = r == 0;
		return r;
	case LOGIN_BAD:
		return pop3_err(&p->c, "[AUTH] authentication failed");
	case LOGIN_CLOSE:
		(void)lineio_printf(&p->c.io,
		    "-ERR [AUTH] too many failed logins, closing\r\n");
		p->c.done = 1;
		p->c.closing = 1;
		return 0;
	default:
		return pop3_err(&p->c, "[SYS/TEMP] cannot check credentials "
		    "now, try later");
	}
}

static int
pop3_cmd_user(struct pop3 *p, const struct pop3_args *a)
{
	if (!pop3_login_allowed(p))
		return pop3_err(&p->c, "[AUTH] plaintext login is not allowed "
		    "without TLS%s", p->tls != NULL ? " (use STLS)" : "");
	if (strlen(a->s1) >= sizeof(p->user))
		return pop3_err(&p->c, "user name too long");
	(void)strlcpy(p->user, a->s1, sizeof(p->user));
	return pop3_ok(&p->c, "send PASS");
}

static int
pop3_cmd_pass(struct pop3 *p, const struct pop3_args *a)
{
	char	 user[sizeof(p->user)];
	int	 r;

	if (!pop3_login_allowed(p))
		return pop3_err(&p->c, "[AUTH] plaintext login is not allowed "
		    "without TLS");
	if (p->user[0] == '\0')
		return pop3_err(&p->c, "USER first");
	(void)strlcpy(user, p->user, sizeof(user));
	p->user[0] = '\0';
	r = pop3_login(p, user, a->s1);
	explicit_bzero((char *)a->s1, strlen(a->s1));
	return r;
}

/* The SASL exchange: "+ challenge" lines, client lines back. */
static int
pop3_sasl(struct pop3 *p, struct sasl *s, enum sasl_status st)
{
	enum line_status	 ls;
	int			 crlf;

	while (st == SASL_CONTINUE) {
		if (lineio_printf(&p->c.io, "+ %s\r\n",
		    sasl_challenge(s)) == -1 ||
		    lineio_flush(&p->c.io) == -1)
			return -1;
		ls = lineio_read(&p->c.io, &p->c.line, SASL_LINE_MAX + 2,
		    &crlf);
		if (ls == LINE_TOOLONG) {
			s->err = SASL_ERR_TOO_LONG;
			st = SASL_ERROR;
			break;
		}
		if (ls != LINE_OK) {
			pop3_read_failed(&p->c, ls);
			return -1;
		}
		p->c.line.len -= crlf ? 2 : 1;
		st = sasl_step(s, p->c.line.data, p->c.line.len);
		explicit_bzero(p->c.line.data, p->c.line.len);
	}
	if (st == SASL_DONE)
		return pop3_login(p, s->creds.authcid, s->creds.password);
	switch (sasl_error(s)) {
	case SASL_ERR_CANCELLED:
		return pop3_err(&p->c, "AUTH cancelled");
	case SASL_ERR_BASE64:
		return pop3_err(&p->c, "[AUTH] malformed base64");
	case SASL_ERR_MECH:
		return pop3_err(&p->c, "unsupported mechanism");
	default:
		return pop3_err(&p->c, "[AUTH] %s",
		    sasl_strerror(sasl_error(s)));
	}
}

static int
pop3_cmd_auth(struct pop3 *p, const struct pop3_args *a)
{
	struct sasl	 s;
	int		 r;

	if (a->s1 == NULL) {
		/* The list of mechanisms, as clients probe with bare AUTH. */
		if (!pop3_login_allowed(p))
			return lineio_printf(&p->c.io, "+OK\r\n.\r\n");
		return lineio_printf(&p->c.io,
		    "+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n");
	}
	if (!pop3_login_allowed(p))
		return pop3_err(&p->c, "[AUTH] plaintext login is not allowed "
		    "without TLS");
	if (!sasl_mech_known(a->s1))
		return pop3_err(&p->c, "unsupported mechanism");
	sasl_init(&s);
	r = pop3_sasl(p, &s, sasl_start(&s, a->s1, a->s2));
	sasl_clear(&s);
	if (a->s2 != NULL)
		explicit_bzero((char *)a->s2, strlen(a->s2));
	return r;
}

static int
pop3_cmd_stls(struct pop3 *p, const struct pop3_args *a)
{
	char	 err[256];

	(void)a;
	if (p->tls == NULL)
		return pop3_err(&p->c, "TLS is not available");
	if (p->conn != NULL)
		return pop3_err(&p->c, "TLS is already on");
	/* Build the context before saying yes: a bad certificate is -ERR. */
	if (tls_server_build(p->tls, err, sizeof(err)) == -1) {
		log_warnx("STLS: %s", err);
		return pop3_err(&p->c, "TLS is not available");
	}
	if (pop3_ok(&p->c, "Begin TLS negotiation") == -1)
		return -1;
	if (tls_starttls(&p->c.io, p->tls, &p->conn, err, sizeof(err)) == -1) {
		log_warnx("STLS: %s", err);
		return -1;
	}
	/* RFC 2595 4: forget what was said before TLS. */
	p->user[0] = '\0';
	return 0;
}

static int
pop3_cmd_capa(struct pop3 *p, const struct pop3_args *a)
{
	char	 extra[64];

	(void)a;
	(void)snprintf(extra, sizeof(extra), "%s%s",
	    pop3_login_allowed(p) ? "USER\r\nSASL PLAIN LOGIN\r\n" : "",
	    p->tls != NULL && p->conn == NULL ? "STLS\r\n" : "");
	return pop3_capa_reply(&p->c, extra);
}

static int
pop3_cmd_quit(struct pop3 *p, const struct pop3_args *a)
{
	(void)a;
	p->c.done = 1;
	return pop3_ok(&p->c, "facteur POP3 server signing off");
}

/* The commands of the AUTHORIZATION state; the others are pop3session's. */
static const pop3_handler pop3_login_handlers[VERB_COUNT] = {
	[VERB_USER] = pop3_cmd_user,
	[VERB_PASS] = pop3_cmd_pass,
	[VERB_AUTH] = pop3_cmd_auth,
	[VERB_STLS] = pop3_cmd_stls,
	[VERB_CAPA] = pop3_cmd_capa,
	[VERB_QUIT] = pop3_cmd_quit,
};

int
pop3_login_main(struct login_split *ls, void *arg)
{
	struct pop3	 p;
	char		 err[256], desc[128];
	long long	 left;
	int		 r, hs;

	sandbox_enter(SANDBOX_POP3_LOGIN);
	memset(&p, 0, sizeof(p));
	p.opts = arg;
	p.conf = ls->conf;
	p.split = ls;
	p.tls = ls->tls;
	p.c.state = POP3_AUTH;
	p.c.error_limit = (unsigned)conf_int(p.conf, "pop3_error_limit");
	buf_init(&p.c.line, SASL_LINE_MAX + 2);
	lineio_init(&p.c.io, 0, 1,
	    (int)conf_int(p.conf, "pop3_timeout") * 1000);
	left = login_split_deadline(ls, &p.c.io);
	if (p.opts->implicit_tls) {
		if (p.tls == NULL) {
			log_warnx("POP3S without tls_cert_file");
			return 1;
		}
		hs = tls_server_timeout_ms(p.tls);
		if (hs < 0 || hs > left)
			hs = (int)left;
		p.conn = tls_accept(p.tls, 0, 1, hs, err, sizeof(err));
		if (p.conn == NULL) {
			log_warnx("client=[%s]: TLS handshake: %s",
			    ls->client_addr, err);
			return 1;
		}
		tls_attach(&p.c.io, p.conn);
		if (tls_describe(p.conn, desc, sizeof(desc)) != -1)
			log_debug("client=[%s]: %s", ls->client_addr, desc);
	}
	if (p.opts->overloaded) {
		(void)lineio_printf(&p.c.io,
		    "-ERR [SYS/TEMP] busy, try later\r\n");
		r = lineio_flush(&p.c.io);
	} else {
		log_debug("connect from [%s]", ls->client_addr);
		r = pop3_ok(&p.c, "facteur POP3 server ready");
		if (r != -1)
			r = pop3_loop(&p.c, &p, pop3_login_handlers);
	}
	if (p.conn != NULL)
		tls_close(p.conn);
	if (p.c.closing)
		lineio_linger(&p.c.io);
	lineio_free(&p.c.io);
	buf_wipe(&p.c.line);
	return r == -1 ? 1 : 0;
}
