/*
 * smtp_worker: an SMTP client process.  rspawn forks it for one
 * destination, chrooted to smtp_chroot and running as smtp_user, with
 * one end of a SOCK_SEQPACKET pair on fd 3 and nothing else but stderr
 * (rspawn_pool.c); it holds that destination's credential, if any, and
 * nothing of other destinations.  It serves requests one at a time:
 *
 *   in:  the request (remote_job.h) with the message's descriptor, then
 *        the hosts to try (smtp_wire.h), then G
 *   out: one R frame per recipient, then E; L frames to be logged
 *
 * Between requests it keeps its connection open, when the last one left
 * it usable, for the next request (rspawn gives this destination's
 * requests to an idle client of it first); a server that closes or
 * speaks meanwhile loses its place, and a reused connection is checked
 * with RSET.  At EOF on fd 3 it says QUIT and exits.  After a request
 * that reached no host of the destination it begins no other: it reads
 * and drops what comes until rspawn closes fd 3 (the request rspawn may
 * have sent behind it, which rspawn answers itself, rspawn_pool.c), so
 * that a destination found down is not tried again at once.  (It reads
 * them rather than exit at once: a socket closed with frames unread
 * makes the peer's next read fail, and the results with it.)
 *
 * A host is tried after the one before fails to connect, greet, take
 * EHLO, or meet the TLS level; once MAIL FROM was sent, what the server
 * says is the outcome of this delivery.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "chan.h"
#include "log.h"
#include "smtp_client.h"
#include "smtp_wire.h"

static struct chan	worker_chan;	/* to rspawn, fd 3 */

void
smtp_log(const char *fmt, ...)
{
	char		 buf[SMTP_LOG_MAX + 1];
	const char	*f[2] = { "L", buf };
	va_list		 ap;
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	log_sanitize(buf, buf, sizeof(buf));
	/* best effort: a full socket loses a log line, never a result */
	(void)chan_send_nowait(&worker_chan, f, 2, NULL, 0);
}

static void __attribute__((noreturn))
worker_fail(const char *why)
{
	log_warnx("smtp client: %s", why);
	_exit(111);
}

static void
job_clear(struct smtp_job *j)
{
	size_t	i, k;

	if (j->msgfd != -1)
		(void)close(j->msgfd);
	for (i = 0; i < j->nhost; i++)
		for (k = 0; k < j->host[i].ntlsa; k++)
			free((void *)j->host[i].tlsa[k].data);
	free(j->host);
	free(j->res);
	if (j->msg != NULL)
		chan_msg_wipe(j->msg);
	free(j->msg);
	memset(j, 0, sizeof(*j));
	j->msgfd = -1;
}

/*
 * Reads one request (J, H..., A..., G).  1 when one is ready, 0 at EOF
 * before any frame of one; a malformed one ends the process.
 */
static int
job_read(struct chan *c, struct smtp_job *j)
{
	static struct chan_msg	 m;
	struct smtp_host	*h;
	unsigned char		*data;
	int			 got, i;

	if ((got = chan_recv(c, &m)) == 0)
		return 0;
	if (got != 1 || m.nfds != 1)
		worker_fail("bad request");
	if ((j->msg = malloc(sizeof(*j->msg))) == NULL)
		worker_fail("out of memory");
	*j->msg = m;
	for (i = 0; i < m.nf; i++)
		j->msg->f[i] = j->msg->data + (m.f[i] - m.data);
	j->msgfd = m.fds[0];
	j->msg->nfds = 0;
	if (rjob_decode(j->msg, &j->rj) == -1)
		worker_fail("bad request");
	if ((j->res = calloc(j->rj.nrcpt, sizeof(*j->res))) == NULL ||
	    (j->host = calloc(SMTP_HOSTS_MAX, sizeof(*j->host))) == NULL)
		worker_fail("out of memory");
	for (;;) {
		if (chan_recv(c, &m) != 1 || m.nfds != 0)
			worker_fail("bad request");
		if (m.nf == 1 && strcmp(m.f[0], "G") == 0)
			break;
		if (strcmp(m.f[0], "H") == 0) {
			if (j->nhost >= SMTP_HOSTS_MAX ||
			    smtp_host_decode(&m, &j->host[j->nhost]) == -1)
				worker_fail("bad host");
			j->nhost++;
			continue;
		}
		if (strcmp(m.f[0], "A") != 0 || j->nhost == 0)
			worker_fail("bad frame");
		h = &j->host[j->nhost - 1];
		if (h->ntlsa >= SMTP_TLSA_MAX ||
		    (data = malloc(DNS_TLSA_DATA_MAX)) == NULL)
			worker_fail("too many TLSA records");
		if (smtp_tlsa_decode(&m, &h->tlsa[h->ntlsa], data,
		    DNS_TLSA_DATA_MAX) == -1) {
			free(data);
			worker_fail("bad TLSA record");
		}
		h->ntlsa++;
	}
	if (j->nhost == 0)
		worker_fail("request without a host");
	return 1;
}

static void
results_send(struct chan *c, const struct smtp_job *j)
{
	struct rjob_fields	 o;
	struct rjob_result	 r;
	struct rjob_end		 e;
	size_t			 i;

	if (smtp_subvert(c, j))
		return;		/* the test-only build, taken over */
	for (i = 0; i < j->rj.nrcpt; i++) {
		memset(&r, 0, sizeof(r));
		r.slot = 0;
		r.index = i;
		r.status = j->res[i].status;
		r.dsn = j->res[i].dsn;
		r.relay = j->res[i].relay;
		r.text = j->res[i].text;
		r.dsn_peer = j->res[i].dsn_peer;
		if (rjob_result_fields(&r, &o) == -1 ||
		    chan_send(c, o.f, o.nf, NULL, 0) == -1)
			worker_fail("cannot send a result");
	}
	memset(&e, 0, sizeof(e));
	e.site = j->site;
	e.conn_ms = (unsigned long)(j->conn_ms > 0 ? j->conn_ms : 0);
	e.xfer_ms = (unsigned long)(j->xfer_ms > 0 ? j->xfer_ms : 0);
	e.conn_use = j->conn_use;
	if (rjob_end_fields(&e, &o) == -1 ||
	    chan_send(c, o.f, o.nf, NULL, 0) == -1)
		worker_fail("cannot send the end of a request");
}

/* Every recipient not yet decided gets this outcome. */
static void
all_results(struct smtp_job *j, char status, const char *dsn,
    const char *relay, const char *text)
{
	size_t	i;

	for (i = 0; i < j->rj.nrcpt; i++)
		if (j->res[i].status == 0)
			smtp_result(j, i, status, dsn, relay, "%s", text);
}

static void
deliver(struct smtp_conn *c, const struct smtp_settings *s,
    struct smtp_job *j)
{
	char		 dsn[12] = "4.4.1", why[RJOB_TEXT_MAX + 1] = "";
	char		 relay[RJOB_RELAY_MAX + 1] = "none";
	size_t		 h;
	int		 no_tls, tls_failed;

	j->t0 = fd_now_ms();
	j->deadline = j->t0 + s->delivery_ms;
	if (smtp_body_scan(j) == -1) {
		(void)snprintf(why, sizeof(why), "cannot read the message: %s",
		    strerror(errno));
		all_results(j, 'Z', "4.3.0", "none", why);
		return;
	}
	/* a reused connection is said by conn_use= in the result's line */
	if (c->fd != -1 && smtp_conn_reset(c, s, j->deadline) == -1)
		smtp_close(c, s, 0);
	for (h = 0; c->fd == -1 && h < j->nhost; h++) {
		if (fd_now_ms() >= j->deadline) {
			(void)snprintf(why, sizeof(why), "delivery timed out "
			    "(smtp_delivery_timeout) before a host answered");
			break;
		}
		no_tls = 0;
		for (;;) {
			(void)snprintf(relay, sizeof(relay), "%.200s[%s]:%u",
			    j->host[h].name, j->host[h].addr,
			    j->host[h].port);
			if (smtp_conn_open(c, s, j, &j->host[h], no_tls, dsn,
			    why, sizeof(why), &tls_failed) == 0)
				break;
			if (!tls_failed || no_tls)
				break;
			smtp_log("%s; trying again without TLS", why);
			no_tls = 1;
		}
		if (c->fd == -1)
			smtp_log("%s: %s", j->rj.id, why);
	}
	j->conn_ms = fd_now_ms() - j->t0;
	if (c->fd != -1)
		j->conn_use = ++c->requests;
	if (c->fd == -1) {
		j->site = 1;
		all_results(j, 'Z', dsn, relay, why[0] != '\0' ? why :
		    "no host to try");
		return;
	}
	smtp_txn_run(c, s, j);
	if (!c->usable || c->uses >= s->reuse_limit)
		smtp_close(c, s, c->usable);
}

/* Idle: 1 when a request comes, 0 at EOF (the cached connection is
 * watched meanwhile and dropped when the server closes or talks). */
static int
idle_wait(int chan, struct smtp_conn *c, const struct smtp_settings *s)
{
	struct pollfd	 pfd[2];
	int		 n;

	for (;;) {
		pfd[0].fd = chan;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = c->fd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = poll(pfd, c->fd != -1 && c->tls == NULL ? 2 : 1, -1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			worker_fail("poll");
		if (pfd[0].revents != 0)
			return 1;
		if (pfd[1].revents != 0)
			smtp_close(c, s, 0);
	}
}

/* Reads and drops frames until EOF. */
static void
drain(struct chan *c)
{
	static struct chan_msg	 m;

	while (chan_recv(c, &m) == 1)
		chan_msg_close_fds(&m);
}

void
smtp_worker_main(int chan, const struct smtp_settings *s)
{
	struct smtp_conn	 c;
	struct smtp_job		 j;
	int			 down;

	chan_init(&worker_chan, chan, CHAN_PACKET, RJOB_FRAME_MAX);
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	memset(&j, 0, sizeof(j));
	j.msgfd = -1;
	for (;;) {
		(void)idle_wait(chan, &c, s);
		if (job_read(&worker_chan, &j) == 0)
			break;
		deliver(&c, s, &j);
		results_send(&worker_chan, &j);
		down = j.site;
		job_clear(&j);
		if (down) {
			drain(&worker_chan);
			break;
		}
	}
	smtp_close(&c, s, 1);
	_exit(0);
}
