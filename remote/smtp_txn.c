/*
 * smtp_txn: the mail transactions of one delivery over an open
 * connection.  The recipients of a request go in one transaction when
 * the server takes them; those it answers 452 ("too many recipients",
 * RFC 5321 4.5.3.1.10) go in the next one on the same connection, as
 * long as each transaction decides at least one recipient.  With
 * PIPELINING (RFC 2920) MAIL, every RCPT and DATA go in one write and
 * the replies are read in order; without it, one command at a time.
 *
 * Before MAIL: a message larger than the server's SIZE is bounced
 * (5.3.4) without being sent; a message that needs SMTPUTF8 (a non-ASCII
 * envelope address) to a server without it is bounced (5.6.7), for the
 * recipients that need it, or all when the sender does.  BODY=8BITMIME
 * goes with 8-bit content when the server offers it.
 *
 * DSN (RFC 3461): to a server that lists DSN, MAIL FROM carries the
 * sender's RET and ENVID and each RCPT TO its NOTIFY and ORCPT, as the
 * queue kept them (lib/dsn/dsn.h writes them, as Postfix does); to one
 * that does not, none of them.  A recipient the former accepted is
 * reported with dsn_peer set: a success notice is then that server's
 * to send (RFC 3461 6.2.2), not queued's "relayed" one.
 *
 * Each recipient ends K (2xx after the final dot), Z (4xx anywhere, a
 * lost connection, a timeout) or D (5xx), with Postfix's words: "host
 * mx[192.0.2.1] said: 550 5.1.1 ... (in reply to RCPT TO command)".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dsn.h"
#include "fdio.h"
#include "smtp_client.h"

void
smtp_result(struct smtp_job *j, size_t i, char status, const char *dsn,
    const char *relay, const char *fmt, ...)
{
	struct smtp_rres	*r = &j->res[i];
	va_list			 ap;
	size_t			 k;

	r->status = status;
	strlcpy(r->dsn, dsn, sizeof(r->dsn));
	r->dsn[0] = status == 'K' ? '2' : status == 'Z' ? '4' : '5';
	strlcpy(r->relay, relay, sizeof(r->relay));
	va_start(ap, fmt);
	(void)vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	for (k = 0; r->text[k] != '\0'; k++)
		if ((unsigned char)r->text[k] < 0x20 || r->text[k] == 0x7f)
			r->text[k] = '?';
	if (r->text[0] == '\0')
		strlcpy(r->text, "(no text)", sizeof(r->text));
}

static int
non_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* Every recipient of the transaction gets the outcome of reply r. */
static void
result_reply(struct smtp_conn *c, struct smtp_job *j, size_t i,
    const struct smtp_reply *r, const char *what)
{
	char	 dsn[12], said[RJOB_TEXT_MAX + 1];

	smtp_reply_dsn(r->code, r->enhanced, dsn, sizeof(dsn));
	smtp_said(c, r, what, said, sizeof(said));
	smtp_result(j, i, r->code >= 500 ? 'D' : 'Z', dsn, c->relay, "%s",
	    said);
}

static void
result_lost(struct smtp_conn *c, struct smtp_job *j, size_t i,
    const char *err, const char *what)
{
	smtp_result(j, i, 'Z', "4.4.2", c->relay, "%s with %s[%s] while %s",
	    err, c->name, c->addr, what);
}

/* The server listed DSN: the parameters go to it. */
static int
dsn_on(const struct smtp_conn *c)
{
	return c->esmtp && c->ext.dsn;
}

/*
 * RCPT TO for recipient i of j into out (SMTP_REPLY_LINE_MAX): with its
 * NOTIFY and ORCPT when the server lists DSN; an ORCPT too long for the
 * line is left out (NOTIFY alone always fits).
 */
static void
rcpt_line(const struct smtp_conn *c, const struct smtp_job *j, size_t i,
    char *out, size_t n)
{
	char	 p[DSN_RCPT_PARAMS_MAX];

	p[0] = '\0';
	if (dsn_on(c) && dsn_rcpt_params(j->rj.notify[i], j->rj.orcpt[i], p,
	    sizeof(p)) == -1)
		(void)dsn_rcpt_params(j->rj.notify[i], NULL, p, sizeof(p));
	if ((size_t)snprintf(out, n, "RCPT TO:<%s>%s", j->rj.rcpt[i], p) >=
	    n - 2) {
		(void)dsn_rcpt_params(j->rj.notify[i], NULL, p, sizeof(p));
		(void)snprintf(out, n, "RCPT TO:<%s>%s", j->rj.rcpt[i],
		    dsn_on(c) ? p : "");
	}
}

/* 452 or x.5.3: the server wants fewer recipients in a transaction. */
static int
too_many(const struct smtp_reply *r)
{
	return r->code == 452 || strcmp(r->enhanced, "4.5.3") == 0;
}

struct txn {
	size_t	 idx[RJOB_RCPT_MAX];
	size_t	 n;
	char	 state[RJOB_RCPT_MAX];	/* 'A' accepted, 'L' later, 0 */
	struct smtp_reply later;	/* the reply that said 452 */
};

/* Reads the reply to RCPT k; 0, or -1 when the connection is gone. */
static int
rcpt_reply(struct smtp_conn *c, const struct smtp_settings *s,
    struct smtp_job *j, struct txn *t, size_t k, const struct smtp_reply *r)
{
	if (r->code >= 200 && r->code < 300) {
		t->state[k] = 'A';
		return 0;
	}
	if (too_many(r)) {
		t->state[k] = 'L';
		t->later = *r;
		return 0;
	}
	result_reply(c, j, t->idx[k], r, "RCPT TO command");
	(void)s;
	return 0;
}

/* Everything undecided in t becomes Z with text (connection trouble). */
static void
txn_lost(struct smtp_conn *c, struct smtp_job *j, struct txn *t,
    const char *err, const char *what)
{
	size_t	k;

	for (k = 0; k < t->n; k++)
		if (j->res[t->idx[k]].status == 0)
			result_lost(c, j, t->idx[k], err, what);
	c->usable = 0;
}

/* One transaction; returns how many recipients it decided. */
static size_t
txn_once(struct smtp_conn *c, const struct smtp_settings *s,
    struct smtp_job *j, struct txn *t, int utf8)
{
	struct smtp_reply	 mr, r, dr;
	char			 params[96 + DSN_MAIL_PARAMS_MAX] = "";
	char			 err[256], dp[DSN_MAIL_PARAMS_MAX];
	char			 rl[SMTP_REPLY_LINE_MAX];
	size_t			 k, accepted = 0, decided = 0;
	int			 pipelined = c->esmtp && c->ext.pipelining;
	int			 tmo, local;
	long long		 t0;

	smtp_reply_init(&dr);
	if (c->esmtp && c->ext.size >= 0)
		(void)snprintf(params, sizeof(params), " SIZE=%lld",
		    j->wire_size);
	if (c->esmtp && j->eightbit && c->ext.eightbitmime)
		strlcat(params, " BODY=8BITMIME", sizeof(params));
	if (utf8 && c->ext.smtputf8)
		strlcat(params, " SMTPUTF8", sizeof(params));
	if (dsn_on(c) && dsn_mail_params(j->rj.ret, j->rj.envid, dp,
	    sizeof(dp)) == 0)
		strlcat(params, dp, sizeof(params));
	memset(t->state, 0, sizeof(t->state));
	if (smtp_put(c, "MAIL FROM:<%s>%s", j->rj.sender, params) == -1)
		goto lost_mail;
	if (!pipelined) {
		if (smtp_flush(c, s->mail_ms, j->deadline) == -1 ||
		    smtp_read_reply(c, &mr, s->mail_ms, j->deadline, err,
		    sizeof(err), &tmo) == -1)
			goto lost_mail;
		if (mr.code < 200 || mr.code >= 300) {
			for (k = 0; k < t->n; k++)
				result_reply(c, j, t->idx[k], &mr,
				    "MAIL FROM command");
			return t->n;
		}
		for (k = 0; k < t->n; k++) {
			rcpt_line(c, j, t->idx[k], rl, sizeof(rl));
			if (smtp_command(c, &r, s->rcpt_ms, j->deadline, err,
			    sizeof(err), "%s", rl) == -1) {
				txn_lost(c, j, t, err, "sending RCPT TO");
				return t->n;
			}
			(void)rcpt_reply(c, s, j, t, k, &r);
			/* after a 452 the rest would get one too */
			if (t->state[k] == 'L') {
				for (k++; k < t->n; k++)
					t->state[k] = 'L';
				break;
			}
		}
		for (k = 0; k < t->n; k++)
			accepted += t->state[k] == 'A';
		if (accepted > 0 && smtp_command(c, &dr, s->data_init_ms,
		    j->deadline, err, sizeof(err), "DATA") == -1) {
			txn_lost(c, j, t, err, "sending DATA command");
			return t->n;
		}
	} else {
		for (k = 0; k < t->n; k++) {
			rcpt_line(c, j, t->idx[k], rl, sizeof(rl));
			if (smtp_put(c, "%s", rl) == -1)
				goto lost_mail;
		}
		if (smtp_put(c, "DATA") == -1 ||
		    smtp_flush(c, s->mail_ms, j->deadline) == -1)
			goto lost_mail;
		if (smtp_read_reply(c, &mr, s->mail_ms, j->deadline, err,
		    sizeof(err), &tmo) == -1)
			goto lost_mail;
		for (k = 0; k < t->n; k++) {
			if (smtp_read_reply(c, &r, s->rcpt_ms, j->deadline, err,
			    sizeof(err), &tmo) == -1) {
				txn_lost(c, j, t, err, "sending RCPT TO");
				return t->n;
			}
			if (mr.code >= 200 && mr.code < 300)
				(void)rcpt_reply(c, s, j, t, k, &r);
		}
		if (smtp_read_reply(c, &dr, s->data_init_ms, j->deadline, err,
		    sizeof(err), &tmo) == -1) {
			txn_lost(c, j, t, err, "sending DATA command");
			return t->n;
		}
		if (mr.code < 200 || mr.code >= 300) {
			for (k = 0; k < t->n; k++)
				result_reply(c, j, t->idx[k], &mr,
				    "MAIL FROM command");
			decided = t->n;
			goto end_stray_data;
		}
		for (k = 0; k < t->n; k++)
			accepted += t->state[k] == 'A';
	}
	for (k = 0; k < t->n; k++)
		if (j->res[t->idx[k]].status != 0)
			decided++;
	if (accepted == 0)
		goto end_stray_data;
	if (dr.code != 354) {
		for (k = 0; k < t->n; k++)
			if (t->state[k] == 'A') {
				result_reply(c, j, t->idx[k], &dr,
				    "DATA command");
				decided++;
			}
		goto later;
	}
	t0 = fd_now_ms();
	if (smtp_body_send(c, s, j, err, sizeof(err), &local) == -1) {
		if (local) {
			for (k = 0; k < t->n; k++)
				if (t->state[k] == 'A')
					smtp_result(j, t->idx[k], 'Z', "4.3.0",
					    c->relay, "%s", err);
			c->usable = 0;
			return t->n;
		}
		txn_lost(c, j, t, err, "sending message body");
		return t->n;
	}
	if (smtp_read_reply(c, &r, s->data_done_ms, j->deadline, err,
	    sizeof(err), &tmo) == -1) {
		txn_lost(c, j, t, tmo ? "conversation timed out" : err,
		    "sending end of data -- message may be sent more than once");
		return t->n;
	}
	j->xfer_ms += fd_now_ms() - t0;
	for (k = 0; k < t->n; k++) {
		if (t->state[k] != 'A')
			continue;
		decided++;
		if (r.code >= 200 && r.code < 300) {
			char	 dsn[12], one[RJOB_TEXT_MAX + 1];

			smtp_reply_dsn(r.code, r.enhanced, dsn, sizeof(dsn));
			smtp_reply_oneline(&r, one, sizeof(one));
			smtp_result(j, t->idx[k], 'K', dsn, c->relay, "%s",
			    one);
			j->res[t->idx[k]].dsn_peer = dsn_on(c);
		} else
			result_reply(c, j, t->idx[k], &r,
			    "end of DATA command");
	}
	c->uses++;
	goto later;
end_stray_data:
	/* pipelined DATA that the server took without a recipient */
	if (pipelined && dr.code == 354) {
		if (smtp_put(c, ".") == -1 ||
		    smtp_flush(c, s->data_done_ms, j->deadline) == -1 ||
		    smtp_read_reply(c, &r, s->data_done_ms, j->deadline, err,
		    sizeof(err), &tmo) == -1) {
			txn_lost(c, j, t, err, "ending an empty DATA");
			return t->n;
		}
	}
later:
	/* 452: next transaction, if this one got anywhere */
	for (k = 0; k < t->n; k++)
		if (t->state[k] == 'L' && decided == 0)
			result_reply(c, j, t->idx[k], &t->later,
			    "RCPT TO command");
	return decided;
lost_mail:
	txn_lost(c, j, t, "lost connection", "sending MAIL FROM");
	return t->n;
}

void
smtp_txn_run(struct smtp_conn *c, const struct smtp_settings *s,
    struct smtp_job *j)
{
	static struct txn	 t;
	size_t			 i, decided;
	int			 utf8;

	for (;;) {
		if (!c->usable)
			break;
		t.n = 0;
		utf8 = j->utf8_sender;
		for (i = 0; i < j->rj.nrcpt; i++) {
			if (j->res[i].status != 0)
				continue;
			if (non_ascii(j->rj.rcpt[i])) {
				if (!c->ext.smtputf8) {
					smtp_result(j, i, 'D', "5.6.7",
					    c->relay, "SMTPUTF8 is required "
					    "for <%s>, but was not offered by "
					    "host %s[%s]", j->rj.rcpt[i],
					    c->name, c->addr);
					continue;
				}
				utf8 = 1;
			}
			t.idx[t.n++] = i;
		}
		if (t.n == 0)
			break;
		if (j->utf8_sender && !c->ext.smtputf8) {
			for (i = 0; i < t.n; i++)
				smtp_result(j, t.idx[i], 'D', "5.6.7", c->relay,
				    "SMTPUTF8 is required for the sender <%s>, "
				    "but was not offered by host %s[%s]",
				    j->rj.sender, c->name, c->addr);
			break;
		}
		if (c->ext.size > 0 && j->wire_size > c->ext.size) {
			for (i = 0; i < t.n; i++)
				smtp_result(j, t.idx[i], 'D', "5.3.4", c->relay,
				    "message size %lld exceeds size limit %lld "
				    "of server %s[%s]", j->wire_size,
				    c->ext.size, c->name, c->addr);
			break;
		}
		decided = txn_once(c, s, j, &t, utf8);
		if (decided == 0)
			break;		/* cannot happen: txn_once decides */
		/* a transaction that failed leaves the server in it: RSET */
		if (c->usable) {
			for (i = 0; i < j->rj.nrcpt; i++)
				if (j->res[i].status == 0)
					break;
			if (i < j->rj.nrcpt) {
				struct smtp_reply	 r;
				char			 err[256];

				if (smtp_command(c, &r, s->rset_ms,
				    j->deadline, err, sizeof(err), "RSET") ==
				    -1 || r.code != 250)
					c->usable = 0;
			}
		}
	}
	/* what is left was never tried: the connection went away first */
	for (i = 0; i < j->rj.nrcpt; i++)
		if (j->res[i].status == 0)
			smtp_result(j, i, 'Z', "4.4.2", c->relay,
			    "lost connection with %s[%s] before the next "
			    "transaction", c->name, c->addr);
}
