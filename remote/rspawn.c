/*
 * rspawn: the remote delivery spawner.  queued asks its keeper to start
 * it, as root, with one end of a SOCK_SEQPACKET pair on fd 0: requests
 * come in there (lib/queue/remote_job.h), each with the message's
 * descriptor, and results go back.  At start, as root, it takes the
 * configuration queued runs on (-F 3: the keeper hands it the text queued
 * accepted; rspawn never reads facteur.conf itself), reads
 * smtp_tls_policy_file, smtp_sasl_password_file (which
 * must be root's and unreadable by others), the CA certificates for TLS
 * and this host's listening addresses; then it chroots to smtp_chroot
 * (empty), drops to smtp_user and can no longer read the queue, smtpd's
 * key or the users table, none of which it ever opened.
 *
 * For each request it looks the nexthop up (rspawn_resolve.c: MX, A,
 * AAAA, TLSA through c-ares, with a cache by TTL), and gives the request
 * with the hosts to try to an SMTP client process of that destination
 * (rspawn_pool.c, smtp_worker.c): a process forked for one nexthop, that
 * keeps its connection for the next request there and holds that
 * destination's relay credential and no other.  Results come back per
 * recipient and go on to queued; rspawn checks each (a client is not
 * trusted: a bad frame gets it killed and its request deferred).
 *
 * A malformed frame from queued ends rspawn (exit 111); queued starts it
 * again.  At EOF from queued it finishes the requests it has, retires
 * its clients and exits.
 *
 * usage: rspawn [-d] [-C config] [-F fd]
 */
#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "chan.h"
#include "child.h"
#include "log.h"
#include "priv.h"
#include "rspawn.h"
#include "sandbox.h"
#include "smtp_policy.h"

#define QUEUED_FD	0
#define PFD_FIXED	2

static struct chan qchan;	/* to queued, fd 0 */

long long
now_ms(void)
{
	return fd_now_ms();
}

static void __attribute__((noreturn))
usage(void)
{
	(void)fprintf(stderr, "usage: rspawn [-d] [-C config] [-F fd]\n");
	exit(111);
}

static void
conf_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

void
rspawn_to_queued(const struct rjob_fields *o)
{
	/* fd 0 blocks: queued reads its results in its own loop */
	if (chan_send(&qchan, o->f, o->nf, NULL, 0) == -1)
		fatal("sending results to queued");
}

static void
req_free(struct rspawn *rs, struct rreq *r)
{
	size_t	i, k;

	if (rs->slot[r->slot] == r) {
		rs->slot[r->slot] = NULL;
		rs->nreq--;
	}
	if (r->msgfd != -1)
		(void)close(r->msgfd);
	for (i = 0; i < r->nmx; i++)
		for (k = 0; k < r->mx[i].ntlsa; k++)
			free((void *)r->mx[i].tlsa[k].data);
	free(r->mx);
	free(r->host);
	free(r->answered);
	if (r->msg != NULL)
		chan_msg_wipe(r->msg);
	free(r->msg);
	free(r);
}

void
req_answer_all(struct rspawn *rs, struct rreq *r, char status,
    const char *dsn, const char *relay, const char *text, int site)
{
	struct rjob_fields	 o;
	struct rjob_result	 res;
	size_t			 i;

	for (i = 0; i < r->rj.nrcpt; i++) {
		if (r->answered[i])
			continue;
		memset(&res, 0, sizeof(res));
		res.slot = r->slot;
		res.index = i;
		res.status = status;
		res.dsn = dsn;
		res.relay = relay;
		res.text = text;
		if (rjob_result_fields(&res, &o) == -1)
			fatal("%s: result for queued", r->rj.id);
		rspawn_to_queued(&o);
		r->answered[i] = 1;
		r->nanswered++;
	}
	req_end(rs, r, site, 0, 0, 0);
}

void
req_end(struct rspawn *rs, struct rreq *r, int site, unsigned long conn_ms,
    unsigned long xfer_ms, unsigned long conn_use)
{
	struct rjob_fields o;
	struct rjob_end	 e;
	long long	 dns = r->t_resolved - r->t_recv;

	memset(&e, 0, sizeof(e));
	e.slot = r->slot;
	e.site = site;
	e.wait_ms = (unsigned long)(now_ms() - r->t_recv);
	/* DNS counts as connection set-up, as in Postfix's delays= */
	e.conn_ms = conn_ms + (unsigned long)(dns > 0 ? dns : 0);
	e.xfer_ms = xfer_ms;
	e.conn_use = conn_use;
	if (rjob_end_fields(&e, &o) == -1)
		fatal("%s: end for queued", r->rj.id);
	rspawn_to_queued(&o);
	req_free(rs, r);
}

void
req_resolved(struct rspawn *rs, struct rreq *r)
{
	r->t_resolved = now_ms();
	if (r->fail != 0) {
		log_info("%s: %s: %s", r->rj.id, r->rj.nexthop, r->fail_text);
		req_answer_all(rs, r, r->fail, r->fail_dsn, "none",
		    r->fail_text, r->fail_site);
		return;
	}
	TAILQ_INSERT_TAIL(&rs->waiting, r, entry);
}

static void __attribute__((noreturn))
protocol_fail(const char *why)
{
	log_warnx("malformed request from queued (%s); exiting", why);
	exit(111);
}

/* One request from queued (a copy of m is kept with it). */
static void
request_take(struct rspawn *rs, const struct chan_msg *m)
{
	struct rreq	*r;
	struct stat	 sb;
	const char	*why;
	int		 fd, fl, i;

	if (m->nfds != 1)
		protocol_fail("no message descriptor");
	fd = m->fds[0];
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (fl = fcntl(fd, F_GETFL)) == -1 || (fl & O_ACCMODE) != O_RDONLY) {
		(void)close(fd);
		protocol_fail("the descriptor is not a read-only file");
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->msg = malloc(sizeof(*r->msg))) == NULL)
		fatal("out of memory");
	*r->msg = *m;
	for (i = 0; i < m->nf; i++)
		r->msg->f[i] = r->msg->data + (m->f[i] - m->data);
	r->msg->nfds = 0;		/* the descriptor is r->msgfd's now */
	r->msgfd = fd;
	if (rjob_decode(r->msg, &r->rj) == -1)
		protocol_fail("bad request");
	if (rs->slot[r->rj.slot] != NULL)
		protocol_fail("slot in use");
	if (smtp_nexthop_parse(r->rj.nexthop, &r->nh, &why) == -1)
		protocol_fail(why);
	if ((r->answered = calloc(r->rj.nrcpt, 1)) == NULL)
		fatal("out of memory");
	r->slot = r->rj.slot;
	r->t_recv = now_ms();
	r->level = policy_tls_level(rs, &r->nh);
	rs->slot[r->slot] = r;
	rs->nreq++;
	log_debug("%s: %zu recipient(s) for %s, TLS %s", r->rj.id,
	    r->rj.nrcpt, r->rj.nexthop, tls_level_name(r->level));
	resolve_start(rs, r);
}

/* Reads what queued sent; 0 at EOF. */
static int
queued_read(struct rspawn *rs)
{
	static struct chan_msg	 m;
	int			 k, got;

	for (k = 0; k < 64; k++) {
		got = chan_recv_nowait(&qchan, &m);
		if (got == 2 || (got == -1 && errno == EINTR))
			return 1;
		if (got == -1)
			protocol_fail(errno == EBADMSG ? "bad frame" :
			    strerror(errno));
		if (got == 0)
			return 0;
		request_take(rs, &m);
	}
	return 1;
}

static int
min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static void
loop_run(struct rspawn *rs)
{
	struct pollfd	 *pfd;
	struct rworker	**pw;
	size_t		  max, n, i, ndns, wbase;
	int		  timeout, eof = 0, sigs[1];

	max = PFD_FIXED + DNS_PFD_MAX + rs->max_workers;
	if ((pfd = reallocarray(NULL, max, sizeof(*pfd))) == NULL ||
	    (pw = reallocarray(NULL, max, sizeof(*pw))) == NULL)
		fatal("out of memory");
	for (;;) {
		pool_start(rs);
		timeout = pool_expire(rs);
		if (eof) {
			pool_retire_idle(rs);
			if (rs->nreq == 0 && rs->nworkers == 0)
				break;
		}
		timeout = min_timeout(timeout, dns_timeout_ms(rs->dns));
		n = 0;
		pfd[n].fd = child_sigpipe_fd();
		pfd[n++].events = POLLIN;
		pfd[n].fd = eof ? -1 : QUEUED_FD;
		pfd[n++].events = POLLIN;
		ndns = dns_pollfds(rs->dns, pfd + n, DNS_PFD_MAX);
		n += ndns;
		wbase = n;
		n += pool_pollfds(rs, pfd + n, pw + n, max - n);
		if (poll(pfd, n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		dns_process(rs->dns, pfd + PFD_FIXED, ndns);
		/* results before deaths: a client may send one, then die */
		for (i = wbase; i < n; i++)
			if (pfd[i].revents != 0)
				pool_ready(rs, pw[i], &pfd[i]);
		if (pfd[0].revents != 0) {
			(void)child_sigpipe_read(sigs, 1);
			pool_reap(rs);
		}
		if (pfd[1].revents != 0 && queued_read(rs) == 0) {
			log_debug("queued closed its end; finishing");
			eof = 1;
		}
	}
	free(pfd);
	free(pw);
}

static void
signals_setup(void)
{
	struct sigaction	sa;
	const int		sigs[1] = { SIGCHLD };

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		fatal("sigaction");
	child_sigpipe(sigs, 1);
}

static int
ms(const struct conf *c, const char *key)
{
	long long	v = conf_int(c, key) * 1000;

	return v > 0x7fffffff ? 0x7fffffff : (int)v;
}

static void
settings_init(struct rspawn *rs, const struct conf *c)
{
	struct smtp_settings	*s = &rs->set;
	char			 err[256];

	memset(s, 0, sizeof(*s));
	s->helo_name = rs->myhostname;
	s->connect_ms = ms(c, "smtp_connect_timeout");
	s->helo_ms = ms(c, "smtp_helo_timeout");
	s->starttls_ms = ms(c, "smtp_starttls_timeout");
	s->mail_ms = ms(c, "smtp_mail_timeout");
	s->rcpt_ms = ms(c, "smtp_rcpt_timeout");
	s->data_init_ms = ms(c, "smtp_data_init_timeout");
	s->data_xfer_ms = ms(c, "smtp_data_xfer_timeout");
	s->data_done_ms = ms(c, "smtp_data_done_timeout");
	s->rset_ms = ms(c, "smtp_rset_timeout");
	s->quit_ms = ms(c, "smtp_quit_timeout");
	s->delivery_ms = conf_int(c, "smtp_delivery_timeout") * 1000;
	s->reuse_limit = (unsigned)conf_int(c, "smtp_connection_reuse_limit");
	s->debug = conf_bool(c, "log_debug");
	/* the CA file is read now: the chroot has none */
	if ((s->tls = tls_client_new(c, 0, err, sizeof(err))) == NULL)
		log_warnx("no TLS for remote delivery: %s", err);
}

int
main(int argc, char *argv[])
{
	static struct rspawn	 rs;
	struct conf		*conf;
	const char		*cpath = NULL;
	char			 err[256];
	int			 ch, debug = 0, conffd = -1;

	while ((ch = getopt(argc, argv, "C:dF:")) != -1) {
		switch (ch) {
		case 'C':
			cpath = optarg;
			break;
		case 'F':
			if ((conffd = conf_fd_option(optarg)) == -1)
				usage();
			break;
		case 'd':
			debug = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("rspawn", debug);
	if (fd_ensure_std() == -1)
		fatal("standard descriptors");
	/* the text queued accepted (-F, from the keeper), never the file */
	if ((conf = conf_load_start(conf_find_path(cpath, 1), conffd,
	    conf_error, NULL, NULL, NULL)) == NULL)
		fatalx("cannot load the configuration");
	log_set_debug(conf_bool(conf, "log_debug"));
	if (sandbox_configure(conf_str(conf, "sandbox")) == -1)
		fatalx("cannot load the configuration");
	/* the clients' filter, built once: each client only loads it */
	sandbox_prepare(SANDBOX_SMTP_CLIENT);
	rs.conf = conf;
	rs.myhostname = conf_myhostname(conf);
	if ((rs.default_level = tls_level_parse(conf_str(conf,
	    "smtp_tls_security_level"))) == -1)
		fatalx("smtp_tls_security_level: \"%s\" is not none, may, "
		    "encrypt, verify or dane",
		    conf_str(conf, "smtp_tls_security_level"));
	rs.addr_limit = (size_t)conf_int(conf, "smtp_mx_address_limit");
	rs.max_workers = (size_t)conf_int(conf, "smtp_concurrency");
	rs.cache_ms = conf_int(conf, "smtp_connection_cache_time") * 1000;
	rs.dest_limit = (size_t)conf_int(conf,
	    "smtp_destination_concurrency_limit");
	TAILQ_INIT(&rs.waiting);
	pool_init(&rs);
	policy_load(&rs);
	settings_init(&rs, conf);
	if ((rs.dns = dns_new(conf_str(conf, "dns_resolver"),
	    ms(conf, "dns_timeout"), err, sizeof(err))) == NULL)
		fatalx("DNS: %s", err);
	chan_init(&qchan, QUEUED_FD, CHAN_PACKET, RJOB_FRAME_MAX);
	/* nothing past this line opens a file */
	priv_drop_user(conf_str(conf, "smtp_user"),
	    priv_is_root() ? conf_str(conf, "smtp_chroot") : NULL);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl");
	signals_setup();
	log_info("started: TLS %s by default, DNS %s%s, at most %zu clients",
	    tls_level_name(rs.default_level),
	    conf_str(conf, "dns_resolver")[0] != '\0' ?
	    conf_str(conf, "dns_resolver") : "from /etc/resolv.conf",
	    dns_trusts_ad(rs.dns) ? " (DNSSEC answers trusted)" : "",
	    rs.max_workers);
	loop_run(&rs);
	return 0;
}
