/*
 * rspawn_pool: the SMTP client processes, from rspawn's side.  A client
 * is forked for one destination (nexthop) and serves only its requests,
 * one at a time, keeping its connection between them: a resolved
 * request goes to an idle client of its destination, or to a new one
 * while the destination has fewer than smtp_destination_concurrency_limit
 * clients, or else behind a busy client of it that has none waiting
 * (it is sent at once and read by the client when it is done with the
 * one before: so the client never waits for rspawn and queued between
 * two deliveries; queued hands a destination up to twice its limit of
 * requests).  A request waiting behind a client that dies is not lost:
 * it was not begun, and goes back to the front of the line.  One waiting
 * behind a request that found the destination down is answered here,
 * deferred, not tried (the client exits after such a request).  Clients in
 * every state (idle, busy, gone: retired or dead, not yet reaped) count
 * against smtp_concurrency; when it is reached, the client idle longest
 * is retired to make room.  A client is retired after
 * smtp_connection_cache_time without a request, or after
 * RSPAWN_WORKER_JOBS requests; it is killed when a request outlasts
 * smtp_delivery_timeout by RSPAWN_WATCHDOG_MS.
 *
 * A client runs as smtp_user in the chroot, like rspawn, but rspawn
 * trusts none of what it sends: a frame that is not a result for a
 * recipient not yet answered, an end after every answer, or a log line,
 * gets the client killed; its request's open recipients are deferred.
 *
 * Each client is forked from rspawn (no exec): it gets fd 3 (its end of
 * a SOCK_SEQPACKET pair) and stderr, every other descriptor is closed
 * (the socket to queued, other clients' sockets, c-ares's, message
 * descriptors of other requests), and rspawn's memory of other requests
 * is wiped; the relay credentials table is in pages a fork does not copy,
 * so only its own destination's credential, copied for it, is there.
 * Then it enters its sandbox (lib/sandbox, role smtp-client: sockets to
 * servers, TLS, its message and fd 3; a forbidden call kills it).
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

#include "chan.h"
#include "child.h"
#include "fdio.h"
#include "log.h"
#include "rspawn.h"
#include "sandbox.h"
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
	chan_close(&w->ch);
	if (w->state != RW_GONE)
		wmove(rs, w, RW_GONE);
}

/* Its request's open recipients are deferred with why; the one waiting
 * behind it, not begun, goes back to the front of the line. */
static void
wfail(struct rspawn *rs, struct rworker *w, const char *why)
{
	struct rreq	*r = w->req;

	if (w->pid > 0 && w->ch.fd != -1)
		(void)kill(w->pid, SIGKILL);
	wretire(rs, w);
	if (w->next != NULL) {
		w->next->w = NULL;
		TAILQ_INSERT_HEAD(&rs->waiting, w->next, entry);
		w->next = NULL;
	}
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
		if (rs->slot[i] != NULL && rs->slot[i]->msg != NULL)
			chan_msg_wipe(rs->slot[i]->msg);
}

static void __attribute__((noreturn))
child_run(struct rspawn *rs, int chan, char *cred)
{
	static char		 user[512], pass[512];
	struct smtp_settings	 s = rs->set;
	const char		*colon;
	/* stderr on 0 to 2 (no /dev/null in the chroot), the channel on 3 */
	const int		 layout[CHILD_CHAN + 1] = { 2, 2, 2, chan };

	if (child_fds(layout, CHILD_CHAN + 1) == -1)
		_exit(111);
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
	/* from here: TCP to servers, TLS, the message, fd 3; nothing else */
	sandbox_enter(SANDBOX_SMTP_CLIENT);
	smtp_worker_main(CHILD_CHAN, &s);
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
	if (chan_pair(sv) == -1) {
		log_warn("socketpair");
		free(w);
		return NULL;
	}
	has = policy_credential(rs, &r->nh, cred, sizeof(cred));
	/* SIGPIPE stays ignored; a client dies with rspawn */
	if ((pid = child_fork("smtp", CHILD_PDEATH)) == -1) {
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
	w->pid = pid;
	chan_init(&w->ch, sv[0], CHAN_PACKET, RJOB_FRAME_MAX);
	w->state = RW_IDLE;
	strlcpy(w->nexthop, r->rj.nexthop, sizeof(w->nexthop));
	w->idle_since = now_ms();
	TAILQ_INSERT_TAIL(&rs->idle, w, entry);
	rs->nworkers++;
	log_debug("SMTP client %ld started for %s%s", (long)pid, w->nexthop,
	    has ? " (with a credential)" : "");
	return w;
}

/* Sends one frame to a client without waiting; -1 when it cannot. */
static int
wsend(struct rworker *w, const char *const *f, int nf, int fd)
{
	return chan_send_nowait(&w->ch, f, nf, fd != -1 ? &fd : NULL,
	    fd != -1);
}

/* Hands r to the client w: to be begun now when w is idle, after its
 * request when it is busy; -1 when the client is broken. */
static int
wgive(struct rspawn *rs, struct rworker *w, struct rreq *r)
{
	static struct rjob_out	 o;
	struct smtp_wire_fields	 wf;
	const char		*go[1] = { "G" };
	size_t			 i, k;

	/* the request again, as slot 0: the client knows no other */
	if (rjob_begin(&o, 0, r->rj.id, r->rj.sender, r->rj.nexthop,
	    r->rj.ret, r->rj.envid) == -1)
		return -1;
	for (i = 0; i < r->rj.nrcpt; i++)
		if (rjob_add_rcpt(&o, r->rj.rcpt[i], r->rj.notify[i],
		    r->rj.orcpt[i]) == -1)
			return -1;
	if (wsend(w, o.f, RJOB_REQ_FIELDS, r->msgfd) == -1)
		return -1;
	for (i = 0; i < r->nhost; i++) {
		const struct smtp_host *h = &r->host[i];

		if (smtp_host_fields(h, &wf) == -1 ||
		    wsend(w, wf.f, 5, -1) == -1)
			return -1;
		for (k = 0; k < h->ntlsa; k++)
			if (smtp_tlsa_fields(h->tlsa[k].usage,
			    h->tlsa[k].selector, h->tlsa[k].mtype,
			    h->tlsa[k].data, h->tlsa[k].len, &wf) == -1 ||
			    wsend(w, wf.f, 5, -1) == -1)
				return -1;
	}
	if (wsend(w, go, 1, -1) == -1)
		return -1;
	r->w = w;
	w->jobs++;
	if (w->state == RW_BUSY) {
		/* kept until it is begun: it may yet go to another client */
		w->next = r;
		log_debug("%s: waits behind %s at SMTP client %ld", r->rj.id,
		    w->req->rj.id, (long)w->pid);
		return 0;
	}
	/* the client has its own copy of the descriptor now */
	(void)close(r->msgfd);
	r->msgfd = -1;
	w->req = r;
	w->busy_since = now_ms();
	w->down_text[0] = '\0';
	wmove(rs, w, RW_BUSY);
	return 0;
}

/* The client w begins the request that waited behind the one it ended. */
static void
wbegin_next(struct rworker *w)
{
	struct rreq	*r = w->next;

	w->next = NULL;
	(void)close(r->msgfd);
	r->msgfd = -1;
	w->req = r;
	w->busy_since = now_ms();
	w->down_text[0] = '\0';
}

/* The request behind w's, whose destination w found down, is deferred
 * untried, with the reason w's had. */
static void
wdown_next(struct rspawn *rs, struct rworker *w)
{
	struct rreq	*r = w->next;
	char		 text[RJOB_TEXT_MAX + 1];

	if (r == NULL)
		return;
	w->next = NULL;
	r->w = NULL;
	(void)snprintf(text, sizeof(text), "delivery temporarily suspended: "
	    "%.*s", RJOB_TEXT_MAX - 40, w->down_text[0] != '\0' ?
	    w->down_text : "no host answered");
	req_answer_all(rs, r, 'Z', w->down_text[0] != '\0' ? w->down_dsn :
	    "4.4.1", "none", text, RJOB_SITE_UNTRIED);
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

/* Clients of nexthop in every state. */
static size_t
wcount(struct rspawn *rs, const char *nexthop)
{
	struct rworkerq	*lists[3] = { &rs->idle, &rs->busy, &rs->gone };
	struct rworker	*w;
	size_t		 n = 0;
	int		 l;

	for (l = 0; l < 3; l++)
		TAILQ_FOREACH(w, lists[l], entry)
			if (strcmp(w->nexthop, nexthop) == 0)
				n++;
	return n;
}

/* A busy client of nexthop with no request waiting behind it, that will
 * serve another after its own; NULL when there is none. */
static struct rworker *
wbehind_for(struct rspawn *rs, const char *nexthop)
{
	struct rworker	*w;

	if (rs->cache_ms == 0)
		return NULL;
	/* the one busy longest first: it is the likeliest to end first */
	TAILQ_FOREACH(w, &rs->busy, entry)
		if (w->next == NULL && w->ch.fd != -1 &&
		    w->jobs + 1 < RSPAWN_WORKER_JOBS &&
		    strcmp(w->nexthop, nexthop) == 0)
			return w;
	return NULL;
}

void
pool_start(struct rspawn *rs)
{
	struct rreq	*r, *rn;
	struct rworker	*w;

	TAILQ_FOREACH_SAFE(r, &rs->waiting, entry, rn) {
		if ((w = widle_for(rs, r->rj.nexthop)) == NULL &&
		    wcount(rs, r->rj.nexthop) >= rs->dest_limit &&
		    (w = wbehind_for(rs, r->rj.nexthop)) == NULL)
			continue;	/* a client of it ends first */
		if (w == NULL && rs->nworkers >= rs->max_workers &&
		    (w = wbehind_for(rs, r->rj.nexthop)) == NULL) {
			/* make room: the one idle longest goes */
			if ((w = TAILQ_FIRST(&rs->idle)) != NULL)
				wretire(rs, w);
			return;	/* wait for it to be reaped */
		}
		if (w == NULL && (w = wfork(rs, r)) == NULL)
			return;	/* tried again at the next turn */
		TAILQ_REMOVE(&rs->waiting, r, entry);
		if (wgive(rs, w, r) == -1) {
			if (w->req == NULL) {
				w->req = r;
				r->w = w;
			} else {
				/* r goes back; the client's own is lost */
				r->w = NULL;
				TAILQ_INSERT_HEAD(&rs->waiting, r, entry);
			}
			wfail(rs, w, "cannot hand the request to the SMTP "
			    "client");
			return;	/* the line changed: the next turn */
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
			if (n >= max || w->ch.fd == -1)
				continue;
			pfd[n].fd = w->ch.fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			pw[n++] = w;
		}
	return n;
}

/* One frame from a client; -1 when it breaks the protocol. */
static int
wframe(struct rspawn *rs, struct rworker *w, const struct chan_msg *m)
{
	struct rreq		*r = w->req;
	struct rjob_result	 res;
	struct rjob_end		 end;
	struct rjob_fields	 o;
	const char		*text;
	int			 kind;

	if (rspawn_subvert(m))
		return 0;	/* the test-only build, taken over */
	if (m->nfds != 0)
		return -1;
	if (m->nf > 0 && strcmp(m->f[0], "L") == 0) {
		if (smtp_log_decode(m, &text) == -1)
			return -1;
		if (r != NULL && r->nlogs++ >= RSPAWN_LOG_LINES)
			return 0;
		log_info("smtp[%ld]: %s", (long)w->pid, text);
		return 0;
	}
	if (r == NULL || rjob_reply_decode(m, &kind, &res, &end) == -1)
		return -1;
	if (kind == 'R') {
		if (res.slot != 0 || res.index >= r->rj.nrcpt ||
		    r->answered[res.index])
			return -1;
		if (res.status == 'Z' && w->down_text[0] == '\0') {
			strlcpy(w->down_dsn, res.dsn, sizeof(w->down_dsn));
			strlcpy(w->down_text, res.text, sizeof(w->down_text));
		}
		res.slot = r->slot;
		if (rjob_result_fields(&res, &o) == -1)
			return -1;
		rspawn_to_queued(&o);
		r->answered[res.index] = 1;
		r->nanswered++;
		return 0;
	}
	if (end.slot != 0 || end.site == RJOB_SITE_UNTRIED ||
	    r->nanswered != r->rj.nrcpt)
		return -1;
	w->req = NULL;
	r->w = NULL;
	req_end(rs, r, end.site, end.conn_ms, end.xfer_ms, end.conn_use);
	if (end.site == RJOB_SITE_DOWN) {
		/* the client exits now, without beginning the next one */
		wdown_next(rs, w);
		wretire(rs, w);
		return 0;
	}
	if (w->next != NULL) {
		wbegin_next(w);
		return 0;
	}
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
	static struct chan_msg	 m;
	int			 k, got;

	(void)p;
	for (k = 0; k < 64 && w->ch.fd != -1; k++) {
		got = chan_recv_nowait(&w->ch, &m);
		if (got == 2 || (got == -1 && errno == EINTR))
			return;
		/* a client that ends with frames unread: ECONNRESET */
		if (got == 0 || (got == -1 && errno == ECONNRESET)) {
			/* EOF: it exited; its request, if any, is lost */
			if (w->req != NULL)
				wfail(rs, w, "SMTP client exited during the "
				    "delivery");
			else
				wretire(rs, w);
			return;
		}
		if (got == -1 || wframe(rs, w, &m) == -1) {
			if (got == 1)
				chan_msg_close_fds(&m);
			wfail(rs, w, "malformed frame from the SMTP client");
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
		chan_close(&w->ch);
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
