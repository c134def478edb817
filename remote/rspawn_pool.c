/*
 * rspawn_pool: the SMTP client processes, from rspawn's side.  A client
 * is forked for one destination (nexthop) and serves only its requests,
 * one at a time, keeping its connection between them: a resolved
 * request goes to an idle client of its destination, or to a new one.
 * Clients in every state (idle, busy, gone: retired or dead, not yet
 * reaped) count against smtp_concurrency; when it is reached, the client
 * idle longest is retired to make room.  A client is retired after
 * smtp_connection_cache_time without a request, or after
 * RSPAWN_WORKER_JOBS requests; it is killed when a request outlasts
 * smtp_delivery_timeout by RSPAWN_WATCHDOG_MS.
 *
 * A client runs as smtp_user in the chroot, like rspawn, but rspawn
 * trusts none of what it sends: a packet that is not a result for a
 * recipient not yet answered, an end after every answer, or a log line,
 * gets the client killed; its request's open recipients are deferred.
 *
 * Each client is forked from rspawn (no exec): it gets fd 3 (its end of
 * a SOCK_SEQPACKET pair) and stderr, every other descriptor is closed
 * (the socket to queued, other clients' sockets, c-ares's, message
 * descriptors of other requests), and rspawn's memory of other requests
 * is wiped; the relay credentials table is in pages a fork does not copy,
 * so only its own destination's credential, copied for it, is there.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "fdpass.h"
#include "log.h"
#include "rspawn.h"
#include "smtp_policy.h"
#include "smtp_wire.h"

#define CHILD_CHAN	3

static struct rworkerq *
wlist(struct rspawn *rs, const struct rworker *w)
{
	switch (w->state) {
	case RW_IDLE:
		return &rs->idle;
	case RW_BUSY:
		return &rs->busy;
	default:
		return &rs->gone;
	}
}

static void
wmove(struct rspawn *rs, struct rworker *w, int state)
{
	TAILQ_REMOVE(wlist(rs, w), w, entry);
	w->state = state;
	TAILQ_INSERT_TAIL(wlist(rs, w), w, entry);
}

void
pool_init(struct rspawn *rs)
{
	TAILQ_INIT(&rs->idle);
	TAILQ_INIT(&rs->busy);
	TAILQ_INIT(&rs->gone);
}

/* Closes the client's socket: it ends after its request, if any. */
static void
wretire(struct rspawn *rs, struct rworker *w)
{
	if (w->chan != -1) {
		(void)close(w->chan);
		w->chan = -1;
	}
	if (w->state != RW_GONE)
		wmove(rs, w, RW_GONE);
}

/* Its request's open recipients are deferred with why. */
static void
wfail(struct rspawn *rs, struct rworker *w, const char *why)
{
	struct rreq	*r = w->req;

	if (w->pid > 0 && w->chan != -1)
		(void)kill(w->pid, SIGKILL);
	wretire(rs, w);
	if (r == NULL)
		return;
	w->req = NULL;
	r->w = NULL;
	log_warnx("%s: SMTP client %ld for %s: %s", r->rj.id, (long)w->pid,
	    w->nexthop, why);
	req_answer_all(rs, r, 'Z', "4.3.0", "none", why, 0);
}

void
rspawn_forget(struct rspawn *rs)
{
	size_t	i;

	for (i = 0; i < RJOB_SLOT_MAX; i++)
		if (rs->slot[i] != NULL && rs->slot[i]->pkt != NULL)
			explicit_bzero(rs->slot[i]->pkt, rs->slot[i]->len);
}

static void __attribute__((noreturn))
child_run(struct rspawn *rs, int chan, char *cred)
{
	static char		 user[512], pass[512];
	struct smtp_settings	 s = rs->set;
	struct sigaction	 sa;
	const char		*colon;
	int			 fd;

	if (dup2(chan, CHILD_CHAN) == -1)
		_exit(111);
	/* fd 0 and 1 were rspawn's socket to queued and whatever: stderr */
	if (dup2(2, 0) == -1 || dup2(2, 1) == -1)
		_exit(111);
	closefrom(CHILD_CHAN + 1);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)prctl(PR_SET_NAME, "smtp", 0, 0, 0);
	rspawn_forget(rs);
	log_init("smtp", 1);
	s.auth_user = s.auth_pass = NULL;
	if (cred != NULL && (colon = strchr(cred, ':')) != NULL &&
	    (size_t)(colon - cred) < sizeof(user) &&
	    strlen(colon + 1) < sizeof(pass)) {
		memcpy(user, cred, (size_t)(colon - cred));
		user[colon - cred] = '\0';
		strlcpy(pass, colon + 1, sizeof(pass));
		s.auth_user = user;
		s.auth_pass = pass;
	}
	if (cred != NULL)
		explicit_bzero(cred, strlen(cred));
	fd = CHILD_CHAN;
	smtp_worker_main(fd, &s);
}

static struct rworker *
wfork(struct rspawn *rs, const struct rreq *r)
{
	struct rworker	*w;
	char		 cred[1024];
	int		 sv[2], has;
	pid_t		 pid;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		free(w);
		return NULL;
	}
	has = policy_credential(rs, &r->nh, cred, sizeof(cred));
	if ((pid = fork()) == -1) {
		log_warn("fork");
		explicit_bzero(cred, sizeof(cred));
		(void)close(sv[0]);
		(void)close(sv[1]);
		free(w);
		return NULL;
	}
	if (pid == 0) {
		(void)close(sv[0]);
		child_run(rs, sv[1], has ? cred : NULL);
	}
	explicit_bzero(cred, sizeof(cred));
	(void)close(sv[1]);
	if (fd_set_nonblock(sv[0], 1) == -1)
		fatal("fcntl");
	w->pid = pid;
	w->chan = sv[0];
	w->state = RW_IDLE;
	strlcpy(w->nexthop, r->rj.nexthop, sizeof(w->nexthop));
	w->idle_since = now_ms();
	TAILQ_INSERT_TAIL(&rs->idle, w, entry);
	rs->nworkers++;
	log_debug("SMTP client %ld started for %s%s", (long)pid, w->nexthop,
	    has ? " (with a credential)" : "");
	return w;
}

/* Sends one packet to a client without waiting; -1 when it cannot. */
static int
wsend(struct rworker *w, const char *pkt, size_t len, int fd)
{
	return fdpass_send_max(w->chan, pkt, len, RJOB_PACKET_MAX, fd, 1);
}

/* Hands r to the idle client w; -1 when the client is broken. */
static int
wgive(struct rspawn *rs, struct rworker *w, struct rreq *r)
{
	char	 pkt[RJOB_PACKET_MAX];
	size_t	 i, k, len;

	if (wsend(w, r->pkt, r->len, r->msgfd) == -1)
		return -1;
	for (i = 0; i < r->nhost; i++) {
		const struct smtp_host *h = &r->host[i];

		if (smtp_host_encode(h, pkt, sizeof(pkt), &len) == -1 ||
		    wsend(w, pkt, len, -1) == -1)
			return -1;
		for (k = 0; k < h->ntlsa; k++)
			if (smtp_tlsa_encode(h->tlsa[k].usage,
			    h->tlsa[k].selector, h->tlsa[k].mtype,
			    h->tlsa[k].data, h->tlsa[k].len, pkt, sizeof(pkt),
			    &len) == -1 || wsend(w, pkt, len, -1) == -1)
				return -1;
	}
	if (wsend(w, "G", 1, -1) == -1)
		return -1;
	/* the client has its own copy of the descriptor now */
	(void)close(r->msgfd);
	r->msgfd = -1;
	w->req = r;
	r->w = w;
	w->jobs++;
	w->busy_since = now_ms();
	wmove(rs, w, RW_BUSY);
	return 0;
}

static struct rworker *
widle_for(struct rspawn *rs, const char *nexthop)
{
	struct rworker	*w;

	/* the one used last first: its connection is the freshest */
	TAILQ_FOREACH_REVERSE(w, &rs->idle, rworkerq, entry)
		if (strcmp(w->nexthop, nexthop) == 0)
			return w;
	return NULL;
}

void
pool_start(struct rspawn *rs)
{
	struct rreq	*r;
	struct rworker	*w;

	while ((r = TAILQ_FIRST(&rs->waiting)) != NULL) {
		if ((w = widle_for(rs, r->rj.nexthop)) == NULL) {
			if (rs->nworkers >= rs->max_workers) {
				/* make room: the one idle longest goes */
				if ((w = TAILQ_FIRST(&rs->idle)) != NULL)
					wretire(rs, w);
				return;	/* wait for it to be reaped */
			}
			if ((w = wfork(rs, r)) == NULL)
				return;	/* tried again at the next turn */
		}
		TAILQ_REMOVE(&rs->waiting, r, entry);
		if (wgive(rs, w, r) == -1) {
			w->req = r;
			r->w = w;
			wfail(rs, w, "cannot hand the request to the SMTP "
			    "client");
		}
	}
}

size_t
pool_pollfds(struct rspawn *rs, struct pollfd *pfd, struct rworker **pw,
    size_t max)
{
	struct rworker	*w;
	size_t		 n = 0;
	struct rworkerq	*lists[2] = { &rs->idle, &rs->busy };
	int		 l;

	for (l = 0; l < 2; l++)
		TAILQ_FOREACH(w, lists[l], entry) {
			if (n >= max || w->chan == -1)
				continue;
			pfd[n].fd = w->chan;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			pw[n++] = w;
		}
	return n;
}

/* One packet from a client; -1 when it breaks the protocol. */
static int
wpacket(struct rspawn *rs, struct rworker *w, char *pkt, size_t n)
{
	struct rreq		*r = w->req;
	struct rjob_result	 res;
	struct rjob_end		 end;
	const char		*text;
	char			 out[RJOB_PACKET_MAX];
	size_t			 len;
	int			 kind;

	if (n > 0 && pkt[0] == 'L') {
		if (smtp_log_decode(pkt, n, &text) == -1)
			return -1;
		if (r != NULL && r->nlogs++ >= RSPAWN_LOG_LINES)
			return 0;
		log_info("smtp[%ld]: %s", (long)w->pid, text);
		return 0;
	}
	if (r == NULL || rjob_reply_decode(pkt, n, &kind, &res, &end) == -1)
		return -1;
	if (kind == 'R') {
		if (res.slot != 0 || res.index >= r->rj.nrcpt ||
		    r->answered[res.index])
			return -1;
		res.slot = r->slot;
		if (rjob_result_encode(&res, out, sizeof(out), &len) == -1)
			return -1;
		rspawn_to_queued(out, len);
		r->answered[res.index] = 1;
		r->nanswered++;
		return 0;
	}
	if (end.slot != 0 || r->nanswered != r->rj.nrcpt)
		return -1;
	w->req = NULL;
	r->w = NULL;
	req_end(rs, r, end.site, end.conn_ms, end.xfer_ms, end.conn_use);
	w->idle_since = now_ms();
	if (w->jobs >= RSPAWN_WORKER_JOBS || rs->cache_ms == 0)
		wretire(rs, w);
	else
		wmove(rs, w, RW_IDLE);
	return 0;
}

void
pool_ready(struct rspawn *rs, struct rworker *w, const struct pollfd *p)
{
	static char	 pkt[RJOB_PACKET_MAX + 1];
	ssize_t		 n;
	int		 fd, k;

	(void)p;
	for (k = 0; k < 64 && w->chan != -1; k++) {
		n = fdpass_recv_max(w->chan, pkt, RJOB_PACKET_MAX, &fd);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return;
		if (fd != -1) {
			(void)close(fd);
			wfail(rs, w, "SMTP client sent a descriptor");
			return;
		}
		if (n <= 0) {
			/* EOF: it exited; its request, if any, is lost */
			if (w->req != NULL)
				wfail(rs, w, "SMTP client exited during the "
				    "delivery");
			else
				wretire(rs, w);
			return;
		}
		if (wpacket(rs, w, pkt, (size_t)n) == -1) {
			wfail(rs, w, "malformed packet from the SMTP client");
			return;
		}
	}
}

void
pool_reap(struct rspawn *rs)
{
	struct rworker	*w, *next;
	pid_t		 pid;
	int		 st;
	char		 why[96];

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct rworkerq	*lists[3] = { &rs->idle, &rs->busy, &rs->gone };
		int		 l;

		w = NULL;
		for (l = 0; l < 3 && w == NULL; l++)
			TAILQ_FOREACH(next, lists[l], entry)
				if (next->pid == pid) {
					w = next;
					break;
				}
		if (w == NULL)
			continue;
		if (WIFSIGNALED(st))
			(void)snprintf(why, sizeof(why), "SMTP client killed "
			    "by signal %d", WTERMSIG(st));
		else
			(void)snprintf(why, sizeof(why), "SMTP client exited "
			    "with status %d", WEXITSTATUS(st));
		if (w->req != NULL) {
			w->pid = -1;
			wfail(rs, w, why);
		} else if (WIFSIGNALED(st) || WEXITSTATUS(st) != 0)
			log_warnx("%s (%s)", why, w->nexthop);
		if (w->state != RW_GONE)
			wmove(rs, w, RW_GONE);
		TAILQ_REMOVE(&rs->gone, w, entry);
		if (w->chan != -1)
			(void)close(w->chan);
		free(w);
		rs->nworkers--;
	}
}

int
pool_expire(struct rspawn *rs)
{
	struct rworker	*w, *next;
	long long	 now = now_ms(), left, hung;
	int		 t = -1;

	TAILQ_FOREACH_SAFE(w, &rs->idle, entry, next) {
		left = w->idle_since + rs->cache_ms - now;
		if (left <= 0) {
			wretire(rs, w);
			continue;
		}
		if (t == -1 || left < t)
			t = (int)left;
	}
	hung = rs->set.delivery_ms + RSPAWN_WATCHDOG_MS;
	TAILQ_FOREACH_SAFE(w, &rs->busy, entry, next) {
		left = w->busy_since + hung - now;
		if (left <= 0) {
			wfail(rs, w, "SMTP client killed: the delivery "
			    "outlasted smtp_delivery_timeout");
			continue;
		}
		if (t == -1 || left < t)
			t = (int)(left > 0x7fffffff ? 0x7fffffff : left);
	}
	return t;
}

void
pool_retire_idle(struct rspawn *rs)
{
	struct rworker	*w;

	while ((w = TAILQ_FIRST(&rs->idle)) != NULL)
		wretire(rs, w);
}
