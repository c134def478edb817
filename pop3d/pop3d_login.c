/*
 * pop3d_login: the AUTHORIZATION state (RFC 1939 4), in the login process
 * (chrooted, login_user): the greeting, implicit TLS (POP3S) or STLS (RFC
 * 2595), USER/PASS and AUTH PLAIN/LOGIN (RFC 5034).  Credentials go to the
 * monitor (lib/login_split); on success this process becomes a relay
 * between the client and the session process, whose first line answers
 * the PASS or AUTH.  Logins are refused on a connection without TLS
 * unless pop3_plaintext_login says otherwise ([AUTH], RFC 3206).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "lineio.h"
#include "log.h"
#include "login_split.h"
#include "pop3d.h"
#include "sasl.h"
#include "tls.h"

int
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

	if (lineio_flush(&p->io) == -1)
		return -1;
	st = login_split_auth(p->split, user, pass, &fd);
	switch (st) {
	case LOGIN_OK:
		log_info("login: user=<%s>", user);
		r = login_split_relay(&p->io, fd);
		(void)close(fd);
		p->done = 1;
		return r;
	case LOGIN_BAD:
		return pop3_err(p, "[AUTH] authentication failed");
	case LOGIN_CLOSE:
		(void)lineio_printf(&p->io,
		    "-ERR [AUTH] too many failed logins, closing\r\n");
		p->done = 1;
		return 0;
	default:
		return pop3_err(p, "[SYS/TEMP] cannot check credentials now, "
		    "try later");
	}
}

int
pop3_cmd_user(struct pop3 *p, const struct pop3_args *a)
{
	if (!pop3_login_allowed(p))
		return pop3_err(p, "[AUTH] plaintext login is not allowed "
		    "without TLS%s", p->tls != NULL ? " (use STLS)" : "");
	if (strlen(a->s1) >= sizeof(p->user))
		return pop3_err(p, "user name too long");
	(void)strlcpy(p->user, a->s1, sizeof(p->user));
	return pop3_ok(p, "send PASS");
}

int
pop3_cmd_pass(struct pop3 *p, const struct pop3_args *a)
{
	char	 user[sizeof(p->user)];
	int	 r;

	if (!pop3_login_allowed(p))
		return pop3_err(p, "[AUTH] plaintext login is not allowed "
		    "without TLS");
	if (p->user[0] == '\0')
		return pop3_err(p, "USER first");
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
		if (lineio_printf(&p->io, "+ %s\r\n", sasl_challenge(s)) == -1 ||
		    lineio_flush(&p->io) == -1)
			return -1;
		ls = lineio_read(&p->io, &p->line, SASL_LINE_MAX + 2, &crlf);
		if (ls == LINE_TOOLONG) {
			s->err = SASL_ERR_TOO_LONG;
			st = SASL_ERROR;
			break;
		}
		if (ls != LINE_OK)
			return -1;
		p->line.len -= crlf ? 2 : 1;
		st = sasl_step(s, p->line.data, p->line.len);
		explicit_bzero(p->line.data, p->line.len);
	}
	if (st == SASL_DONE)
		return pop3_login(p, s->creds.authcid, s->creds.password);
	switch (sasl_error(s)) {
	case SASL_ERR_CANCELLED:
		return pop3_err(p, "AUTH cancelled");
	case SASL_ERR_BASE64:
		return pop3_err(p, "[AUTH] malformed base64");
	case SASL_ERR_MECH:
		return pop3_err(p, "unsupported mechanism");
	default:
		return pop3_err(p, "[AUTH] %s", sasl_strerror(sasl_error(s)));
	}
}

int
pop3_cmd_auth(struct pop3 *p, const struct pop3_args *a)
{
	struct sasl	 s;
	int		 r;

	if (a->s1 == NULL) {
		/* The list of mechanisms, as clients probe with bare AUTH. */
		if (!pop3_login_allowed(p))
			return lineio_printf(&p->io, "+OK\r\n.\r\n");
		return lineio_printf(&p->io, "+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n");
	}
	if (!pop3_login_allowed(p))
		return pop3_err(p, "[AUTH] plaintext login is not allowed "
		    "without TLS");
	if (!sasl_mech_known(a->s1))
		return pop3_err(p, "unsupported mechanism");
	sasl_init(&s);
	r = pop3_sasl(p, &s, sasl_start(&s, a->s1, a->s2));
	sasl_clear(&s);
	if (a->s2 != NULL)
		explicit_bzero((char *)a->s2, strlen(a->s2));
	return r;
}

int
pop3_cmd_stls(struct pop3 *p, const struct pop3_args *a)
{
	char	 err[256];

	(void)a;
	if (p->tls == NULL)
		return pop3_err(p, "TLS is not available");
	if (p->conn != NULL)
		return pop3_err(p, "TLS is already on");
	/* Build the context before saying yes: a bad certificate is -ERR. */
	if (tls_server_build(p->tls, err, sizeof(err)) == -1) {
		log_warnx("STLS: %s", err);
		return pop3_err(p, "TLS is not available");
	}
	if (pop3_ok(p, "Begin TLS negotiation") == -1)
		return -1;
	if (tls_starttls(&p->io, p->tls, &p->conn, err, sizeof(err)) == -1) {
		log_warnx("STLS: %s", err);
		return -1;
	}
	/* RFC 2595 4: forget what was said before TLS. */
	p->user[0] = '\0';
	return 0;
}

int
pop3_login_main(struct login_split *ls, void *arg)
{
	struct pop3	 p;
	char		 err[256], desc[128];
	int		 r;

	memset(&p, 0, sizeof(p));
	p.opts = arg;
	p.conf = ls->conf;
	p.split = ls;
	p.tls = ls->tls;
	p.state = POP3_AUTH;
	p.session_fd = -1;
	buf_init(&p.line, SASL_LINE_MAX + 2);
	lineio_init(&p.io, 0, 1,
	    (int)conf_int(p.conf, "pop3_timeout") * 1000);
	if (p.opts->implicit_tls) {
		if (p.tls == NULL) {
			log_warnx("POP3S without tls_cert_file");
			return 1;
		}
		p.conn = tls_accept(p.tls, 0, 1, tls_server_timeout_ms(p.tls),
		    err, sizeof(err));
		if (p.conn == NULL) {
			log_warnx("client=[%s]: TLS handshake: %s",
			    ls->client_addr, err);
			return 1;
		}
		tls_attach(&p.io, p.conn);
		if (tls_describe(p.conn, desc, sizeof(desc)) != -1)
			log_debug("client=[%s]: %s", ls->client_addr, desc);
	}
	if (p.opts->overloaded) {
		(void)lineio_printf(&p.io, "-ERR [SYS/TEMP] busy, try later\r\n");
		r = lineio_flush(&p.io);
	} else {
		log_debug("connect from [%s]", ls->client_addr);
		r = pop3_ok(&p, "facteur POP3 server ready");
		if (r != -1)
			r = pop3_loop(&p);
	}
	if (p.conn != NULL)
		tls_close(p.conn);
	lineio_free(&p.io);
	buf_wipe(&p.line);
	return r == -1 ? 1 : 0;
}
