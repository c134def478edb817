/*
 * queued_remote: remote delivery, from queued's side.  Every remote job
 * is routed (queued_route.c) to a destination, one per nexthop; a
 * destination holds the jobs waiting for it, grouped by message, and
 * sends them to rspawn as requests (lib/queue/remote_job.h): the jobs of
 * one message, at most smtp_destination_recipient_limit of them, with the
 * message's descriptor, since rspawn and its SMTP clients cannot open the
 * queue.  At most twice smtp_destination_concurrency_limit requests of
 * one destination, and twice smtp_concurrency in all, are out at once
 * (REMOTE_AHEAD): rspawn opens no more connections than the limits, and
 * puts a request beyond them behind a busy client of its destination,
 * which begins it as soon as it is done, without a round trip through
 * queued; destinations take turns.
 *
 * A request that reaches no host of its destination (rspawn says "site",
 * and defers untried the request waiting behind it at the same client)
 * backs the destination off: its waiting jobs, and those that come
 * during the backoff, are deferred at once with "delivery temporarily
 * suspended" and not retried before it ends (queue_retry_min, doubling
 * up to queue_retry_max with each failure in a row).  After a backoff,
 * one request goes out alone, as a probe; the destination is trusted
 * again (full concurrency) once a request reaches a host.  So a dead
 * destination is tried once per backoff, not once per message.
 *
 * On SIGHUP rspawn is replaced, once the requests it has are answered:
 * it read its settings and tables before it gave up root.
 *
 * rspawn runs as smtp_user, chrooted: queued trusts it no more than it
 * must.  Every frame is checked (remote_job.c); a result for a slot not
 * in use, a recipient answered twice, an end before every answer, a
 * descriptor sent back: the socket is closed, rspawn is started again
 * after QUEUED_RESTART_DELAY, and the jobs it had are deferred (the
 * results it had sent are kept).
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "queued.h"
#include "remote_job.h"

#define DEST_SWEEP_S	60	/* how often idle destinations are freed */
#define REMOTE_AHEAD	2	/* requests out per connection allowed */

/* Jobs of one message waiting at a destination. */
struct rentry {
	TAILQ_ENTRY(rentry)	 entry;
	struct qmsg		*m;
	size_t			*job;
	size_t			 njob, cap;
	double			 joined;	/* wall time, for delays= */
};
TAILQ_HEAD(rentries, rentry);

struct rdest {
	RB_ENTRY(rdest)		 by_name;
	TAILQ_ENTRY(rdest)	 turn;		/* in r->turns when set */
	int			 in_turns;
	struct rentries		 waiting;
	unsigned		 inflight;
	unsigned		 fails;		/* site failures in a row */
	long long		 backoff_until;	/* wall seconds */
	char			 reason[QUEUE_REASON_MAX + 1];
	char			 nexthop[NEXTHOP_TEXT_MAX + 1];
};

/* One recipient's result, kept until the request's end frame. */
struct rres {
	char	 status;	/* 0 until answered */
	char	*text;
	char	*dsn;
	char	*relay;
	int	 dsn_peer;	/* the peer listed DSN (rjob_result) */
};

/* A request out at rspawn, by slot. */
struct rreq {
	struct rdest		*d;
	struct qmsg		*m;
	size_t			*job;
	size_t			 njob;
	struct rres		*res;		/* per job, status 0 until answered */
	size_t			 nanswered;
	double			 joined;
	long long		 sent_ms;
	int			 used;
};

RB_HEAD(rdests, rdest);
TAILQ_HEAD(rturns, rdest);

struct remote {
	struct chan		 chan;		/* to rspawn; fd -1 when down */
	long long		 restart_at;
	struct rdests		 dests;
	struct rturns		 turns;
	struct rreq		 req[RJOB_SLOT_MAX];
	unsigned		 free[RJOB_SLOT_MAX];
	size_t			 nfree;
	size_t			 nreq;		/* requests out */
	size_t			 held;		/* jobs waiting or out */
	size_t			 conc, dest_conc, rcpt_max;	/* out at once */
	int			 blocked;	/* the socket was full */
	int			 reload;	/* SIGHUP: a new rspawn when idle */
	long long		 swept;
};

static int
rdest_cmp(struct rdest *a, struct rdest *b)
{
	return strcmp(a->nexthop, b->nexthop);
}

RB_PROTOTYPE(rdests, rdest, by_name, rdest_cmp)
RB_GENERATE(rdests, rdest, by_name, rdest_cmp)

void
remote_init(struct queued *q)
{
	struct remote	*r;
	size_t		 i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	chan_init(&r->chan, -1, CHAN_PACKET, RJOB_FRAME_MAX);
	RB_INIT(&r->dests);
	TAILQ_INIT(&r->turns);
	for (i = 0; i < RJOB_SLOT_MAX; i++)
		r->free[i] = (unsigned)(RJOB_SLOT_MAX - 1 - i);
	r->nfree = RJOB_SLOT_MAX;
	q->remote = r;
}

void
remote_conf(struct queued *q)
{
	struct remote	*r = q->remote;

	r->conc = REMOTE_AHEAD * (size_t)conf_int(q->conf,
	    "smtp_concurrency");
	r->dest_conc = REMOTE_AHEAD * (size_t)conf_int(q->conf,
	    "smtp_destination_concurrency_limit");
	r->rcpt_max = (size_t)conf_int(q->conf,
	    "smtp_destination_recipient_limit");
	if (r->conc >= RJOB_SLOT_MAX)
		r->conc = RJOB_SLOT_MAX - 1;
	if (r->rcpt_max > RJOB_RCPT_MAX)
		r->rcpt_max = RJOB_RCPT_MAX;
	/*
	 * A reload: rspawn read its settings and tables as root, before it
	 * gave root up, so it is replaced, once the requests it has are
	 * answered (remote_dispatch sends none meanwhile).
	 */
	if (r->chan.fd != -1)
		r->reload = 1;
}

void
remote_keep(struct queued *q)
{
	q->remote->reload = 0;
}

int
remote_start(struct queued *q)
{
	struct remote	*r = q->remote;
	int		 sv[2];

	r->restart_at = 0;
	if (chan_pair(sv) == -1)
		goto fail;
	if (keeper_exec_remote(q, sv[1]) == -1) {
		log_warn("cannot ask the keeper to start rspawn");
		(void)close(sv[0]);
		(void)close(sv[1]);
		goto fail;
	}
	(void)close(sv[1]);
	chan_init(&r->chan, sv[0], CHAN_PACKET, RJOB_FRAME_MAX);
	r->blocked = 0;
	log_debug("rspawn connection up");
	return 0;
fail:
	log_warn("starting rspawn");
	r->restart_at = queued_time() + QUEUED_RESTART_DELAY;
	return -1;
}

long long
remote_restart_at(const struct queued *q)
{
	return q->remote->chan.fd == -1 ? q->remote->restart_at : 0;
}

int
remote_fd(const struct queued *q, short *events)
{
	const struct remote *r = q->remote;

	*events = POLLIN | (r->blocked ? POLLOUT : 0);
	return r->chan.fd;
}

size_t
remote_busy(const struct queued *q)
{
	return q->remote->held;
}

static void
turn_add(struct remote *r, struct rdest *d)
{
	if (d->in_turns || TAILQ_EMPTY(&d->waiting))
		return;
	TAILQ_INSERT_TAIL(&r->turns, d, turn);
	d->in_turns = 1;
}

static void
turn_remove(struct remote *r, struct rdest *d)
{
	if (!d->in_turns)
		return;
	TAILQ_REMOVE(&r->turns, d, turn);
	d->in_turns = 0;
}

static struct rdest *
dest_get(struct remote *r, const char *nexthop)
{
	struct rdest	 key, *d;

	strlcpy(key.nexthop, nexthop, sizeof(key.nexthop));
	if ((d = RB_FIND(rdests, &r->dests, &key)) != NULL)
		return d;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	strlcpy(d->nexthop, nexthop, sizeof(d->nexthop));
	TAILQ_INIT(&d->waiting);
	RB_INSERT(rdests, &r->dests, d);
	return d;
}

/* Frees destinations with nothing to do and no backoff to remember. */
static void
dest_sweep(struct queued *q)
{
	struct remote	*r = q->remote;
	struct rdest	*d, *n;
	long long	 now = queued_time();

	if (now - r->swept < DEST_SWEEP_S)
		return;
	r->swept = now;
	RB_FOREACH_SAFE(d, rdests, &r->dests, n) {
		if (d->inflight > 0 || !TAILQ_EMPTY(&d->waiting) ||
		    (d->fails > 0 && d->backoff_until + q->retry_max > now))
			continue;
		RB_REMOVE(rdests, &r->dests, d);
		free(d);
	}
}

static void
entry_free(struct rentry *e)
{
	free(e->job);
	free(e);
}

/* Defers job of m at once, no retry before not_before. */
static void
job_defer(struct queued *q, struct qmsg *m, size_t job, const char *text,
    long long not_before, int held)
{
	struct outcome	 o = { .relay = "none", .dsn = "4.4.1",
	    .not_before = not_before };

	if (held) {
		q->remote->held--;
		msg_result_via(q, m, job, 'Z', text, &o);
	} else
		msg_outcome(q, m, job, 'Z', text, &o);
}

static void
suspended_text(const struct rdest *d, char *out, size_t n)
{
	(void)snprintf(out, n, "delivery temporarily suspended: %.*s",
	    QUEUE_REASON_MAX - 48, d->reason);
}

/* The destination is backed off: every waiting job is deferred. */
static void
dest_defer_waiting(struct queued *q, struct rdest *d)
{
	struct rentry	*e;
	char		 text[QUEUE_REASON_MAX + 1];
	size_t		 i;

	suspended_text(d, text, sizeof(text));
	turn_remove(q->remote, d);
	while ((e = TAILQ_FIRST(&d->waiting)) != NULL) {
		TAILQ_REMOVE(&d->waiting, e, entry);
		for (i = 0; i < e->njob; i++)
			job_defer(q, e->m, e->job[i], text, d->backoff_until,
			    1);
		entry_free(e);
	}
}

int
remote_job(struct queued *q, struct qmsg *m, size_t job)
{
	struct remote	*r = q->remote;
	struct route	 rt;
	struct outcome	 o = { .relay = "none" };
	struct rentry	*e;
	struct rdest	*d;
	char		 text[QUEUE_REASON_MAX + 1];
	size_t		*nj;

	(void)route_lookup(q, m->st.job[job].rcpt, &rt);
	if (rt.kind == ROUTE_ERROR) {
		msg_outcome(q, m, job, 'D', rt.text, &o);
		return 0;
	}
	if (rt.kind == ROUTE_TEMP) {
		msg_outcome(q, m, job, 'Z', rt.text, &o);
		return 0;
	}
	if ((d = dest_get(r, rt.nexthop)) == NULL)
		return -1;
	if (d->backoff_until > queued_time()) {
		suspended_text(d, text, sizeof(text));
		job_defer(q, m, job, text, d->backoff_until, 0);
		return 0;
	}
	e = TAILQ_LAST(&d->waiting, rentries);
	if (e == NULL || e->m != m || e->njob >= r->rcpt_max) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return -1;
		e->m = m;
		e->joined = queued_time_precise();
		TAILQ_INSERT_TAIL(&d->waiting, e, entry);
	}
	if (e->njob == e->cap) {
		if ((nj = reallocarray(e->job, e->cap ? e->cap * 2 : 4,
		    sizeof(*nj))) == NULL) {
			if (e->njob == 0) {
				TAILQ_REMOVE(&d->waiting, e, entry);
				entry_free(e);
			}
			return -1;
		}
		e->job = nj;
		e->cap = e->cap ? e->cap * 2 : 4;
	}
	e->job[e->njob++] = job;
	m->busy[job] = 1;
	m->inflight++;
	r->held++;
	turn_add(r, d);
	return 0;
}

/*
 * Sends a request for the first waiting entry of d: as many of its jobs
 * as fit.  0 when sent (or given up, the jobs deferred), 1 when the
 * socket is full, -1 when the connection broke.
 */
static int
request_send(struct queued *q, struct rdest *d)
{
	static struct rjob_out	 o;
	struct remote		*r = q->remote;
	struct rentry		*e = TAILQ_FIRST(&d->waiting);
	struct rreq		*rq;
	struct queue_loc	 l;
	size_t			 n, i;
	unsigned		 slot;
	int			 fd = -1;

	slot = r->free[r->nfree - 1];
	if (rjob_begin(&o, slot, e->m->st.id, e->m->sender, d->nexthop,
	    e->m->ret, e->m->envid) == -1) {
		log_warn("%s: request for %s", e->m->st.id, d->nexthop);
		return -1;
	}
	for (n = 0; n < e->njob; n++)
		if (rjob_add_rcpt(&o, e->m->st.job[e->job[n]].rcpt,
		    msg_job_notify(e->m, e->job[n]),
		    msg_job_orcpt(e->m, e->job[n])) == -1)
			break;
	if (n == 0) {
		log_warn("%s: recipient for %s", e->m->st.id, d->nexthop);
		return -1;
	}
	if (queue_path(&q->queue, QUEUE_MSG, e->m->st.id, &l) == 0)
		fd = openat(l.at, l.name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		char	text[128];

		log_warn("%s: open the message", e->m->st.id);
		(void)snprintf(text, sizeof(text), "cannot open the message: "
		    "%s", strerror(errno));
		TAILQ_REMOVE(&d->waiting, e, entry);
		for (i = 0; i < e->njob; i++)
			job_defer(q, e->m, e->job[i], text, 0, 1);
		entry_free(e);
		return 0;
	}
	if (chan_send_nowait(&r->chan, o.f, RJOB_REQ_FIELDS, &fd, 1) == -1) {
		int	saved = errno;

		(void)close(fd);
		if (saved == EAGAIN || saved == EWOULDBLOCK)
			return 1;
		errno = saved;
		log_warn("sending a request to rspawn");
		return -1;
	}
	(void)close(fd);
	rq = &r->req[slot];
	memset(rq, 0, sizeof(*rq));
	if ((rq->job = reallocarray(NULL, n, sizeof(*rq->job))) == NULL ||
	    (rq->res = calloc(n, sizeof(*rq->res))) == NULL)
		fatal("out of memory for a request in flight");
	memcpy(rq->job, e->job, n * sizeof(*rq->job));
	rq->njob = n;
	rq->d = d;
	rq->m = e->m;
	rq->joined = e->joined;
	rq->sent_ms = fd_now_ms();
	rq->used = 1;
	r->nfree--;
	r->nreq++;
	d->inflight++;
	if (n == e->njob) {
		TAILQ_REMOVE(&d->waiting, e, entry);
		entry_free(e);
	} else {
		memmove(e->job, e->job + n, (e->njob - n) * sizeof(*e->job));
		e->njob -= n;
	}
	log_debug("%s: %zu recipient(s) to rspawn for %s, slot %u",
	    rq->m->st.id, n, d->nexthop, slot);
	return 0;
}

void
remote_dispatch(struct queued *q)
{
	struct remote	*r = q->remote;
	struct rdest	*d;
	size_t		 limit;
	int		 k;

	dest_sweep(q);
	if (r->reload && r->chan.fd != -1) {
		if (r->nreq > 0)
			return;
		log_info("rspawn started again for the new configuration");
		chan_close(&r->chan);
		r->blocked = 0;
		r->reload = 0;
		(void)remote_start(q);
	}
	r->reload = 0;
	if (r->chan.fd == -1 || r->blocked || q->stopping)
		return;
	while (r->nreq < r->conc && r->nfree > 0 &&
	    (d = TAILQ_FIRST(&r->turns)) != NULL) {
		turn_remove(r, d);
		if (d->backoff_until > queued_time()) {
			dest_defer_waiting(q, d);
			continue;
		}
		/* after a backoff, one request alone probes the destination */
		limit = d->fails > 0 ? 1 : r->dest_conc;
		if (d->inflight >= limit)
			continue;	/* its next turn comes when one ends */
		k = request_send(q, d);
		if (k == -1) {
			remote_stop(q, "cannot write to rspawn");
			return;
		}
		if (k == 1) {
			/* the socket is full: this destination goes first */
			TAILQ_INSERT_HEAD(&r->turns, d, turn);
			d->in_turns = 1;
			r->blocked = 1;
			return;
		}
		if (d->inflight < limit)
			turn_add(r, d);
	}
}

void
remote_flush(struct queued *q)
{
	q->remote->blocked = 0;
	remote_dispatch(q);
}

static void
req_free(struct remote *r, unsigned slot)
{
	struct rreq	*rq = &r->req[slot];
	size_t		 i;

	for (i = 0; i < rq->njob; i++) {
		free(rq->res[i].text);
		free(rq->res[i].dsn);
		free(rq->res[i].relay);
	}
	free(rq->res);
	free(rq->job);
	memset(rq, 0, sizeof(*rq));
	r->free[r->nfree++] = slot;
	r->nreq--;
}

/*
 * The request in slot is over: each answered job gets its result; the
 * others are deferred with lost (rspawn went away), or, when queued is
 * stopping, go back to pending without an attempt.  end is NULL when
 * rspawn did not finish the request.
 */
static void
req_finish(struct queued *q, unsigned slot, const struct rjob_end *end,
    const char *lost)
{
	struct remote	*r = q->remote;
	struct rreq	*rq = &r->req[slot];
	struct rdest	*d = rq->d;
	struct qmsg	*m = rq->m;
	struct outcome	 o;
	char		 delays[96];
	double		 a, b;
	long long	 now = queued_time(), step;
	size_t		 i;
	int		 site = end != NULL ? end->site : RJOB_SITE_UP;

	memset(&o, 0, sizeof(o));
	if (end != NULL) {
		a = rq->joined - (double)m->arrival;
		b = (double)(fd_now_ms() - rq->sent_ms) / 1000.0 -
		    (double)(end->conn_ms + end->xfer_ms) / 1000.0;
		if (b < 0)
			b = 0;
		(void)snprintf(delays, sizeof(delays), "%.2g/%.2g/%.2g/%.2g",
		    a < 0 ? 0 : a, b, (double)end->conn_ms / 1000.0,
		    (double)end->xfer_ms / 1000.0);
		o.delays = delays;
		o.conn_use = end->conn_use;
	}
	d->inflight--;
	if (site == RJOB_SITE_DOWN) {
		/* queue_retry_min, doubled per failure in a row, at most max */
		d->fails++;
		step = q->retry_min;
		for (i = 1; i < d->fails && step < q->retry_max; i++)
			step *= 2;
		if (step > q->retry_max)
			step = q->retry_max;
		d->backoff_until = now + step;
		for (i = 0; i < rq->njob; i++)
			if (rq->res[i].status == 'Z') {
				strlcpy(d->reason, rq->res[i].text,
				    sizeof(d->reason));
				break;
			}
		log_info("%s: destination backed off for %lld s after %u "
		    "failure(s) in a row: %s", d->nexthop, step, d->fails,
		    d->reason);
	} else if (end != NULL && site == RJOB_SITE_UP)
		d->fails = 0;
	/* RJOB_SITE_UNTRIED: behind one that found it down; no news */
	/* m may be freed by the last result: nothing of it is used after */
	for (i = 0; i < rq->njob; i++) {
		struct rres *res = &rq->res[i];

		r->held--;
		if (res->status == 0 && q->stopping) {
			msg_release(q, m, rq->job[i]);
			continue;
		}
		if (res->status == 0) {
			o.relay = "none";
			o.dsn = "4.3.0";
			o.not_before = 0;
			msg_result_via(q, m, rq->job[i], 'Z', lost, &o);
			continue;
		}
		o.relay = res->relay;
		o.dsn = res->dsn;
		/*
		 * a peer that listed DSN was given NOTIFY and ORCPT: a success
		 * is its to report (RFC 3461 6.2.2); to one without, the
		 * notice says "relayed"
		 */
		o.done = res->dsn_peer ? DONE_PASSED_ON : DONE_RELAYED;
		o.not_before = site != RJOB_SITE_UP && res->status == 'Z' ?
		    d->backoff_until : 0;
		msg_result_via(q, m, rq->job[i], res->status, res->text, &o);
	}
	req_free(r, slot);
	turn_add(r, d);
}

void
remote_stop(struct queued *q, const char *why)
{
	struct remote	*r = q->remote;
	unsigned	 s;

	if (why != NULL && !q->stopping) {
		log_warnx("rspawn: %s; restarting it in %d s", why,
		    QUEUED_RESTART_DELAY);
		r->restart_at = queued_time() + QUEUED_RESTART_DELAY;
	}
	chan_close(&r->chan);
	r->blocked = 0;
	for (s = 0; s < RJOB_SLOT_MAX && r->nreq > 0; s++)
		if (r->req[s].used)
			req_finish(q, s, NULL, "remote delivery process lost");
}

static int
dup_res(struct rres *res, const struct rjob_result *rr)
{
	if ((res->text = strdup(rr->text)) == NULL ||
	    (res->dsn = strdup(rr->dsn)) == NULL ||
	    (res->relay = strdup(rr->relay)) == NULL)
		return -1;
	res->status = rr->status;
	res->dsn_peer = rr->dsn_peer;
	return 0;
}

/* One frame from rspawn; -1 when it breaks the protocol. */
static int
reply_handle(struct queued *q, const struct chan_msg *m)
{
	struct remote		*r = q->remote;
	struct rjob_result	 rr;
	struct rjob_end		 re;
	struct rreq		*rq;
	int			 kind;

	if (m->nfds != 0 || rjob_reply_decode(m, &kind, &rr, &re) == -1)
		return -1;
	rq = &r->req[kind == 'R' ? rr.slot : re.slot];
	if (!rq->used)
		return -1;
	if (kind == 'E') {
		if (rq->nanswered != rq->njob)
			return -1;
		req_finish(q, re.slot, &re, NULL);
		return 0;
	}
	if (rr.index >= rq->njob || rq->res[rr.index].status != 0)
		return -1;
	if (dup_res(&rq->res[rr.index], &rr) == -1)
		fatal("out of memory for a result");
	rq->nanswered++;
	return 0;
}

void
remote_read(struct queued *q)
{
	static struct chan_msg	 m;
	struct remote		*r = q->remote;
	int			 k, got;

	for (k = 0; k < 256 && r->chan.fd != -1; k++) {
		got = chan_recv_nowait(&r->chan, &m);
		if (got == 2)
			return;
		if (got == -1 && errno == EINTR)
			continue;
		if (got == 0) {
			remote_stop(q, "rspawn exited");
			return;
		}
		if (got == -1) {
			remote_stop(q, errno == EBADMSG ? "malformed frame" :
			    "read error");
			return;
		}
		if (reply_handle(q, &m) == -1) {
			chan_msg_close_fds(&m);
			remote_stop(q, "malformed frame from rspawn");
			return;
		}
	}
}

void
remote_release(struct queued *q)
{
	struct remote	*r = q->remote;
	struct rdest	*d;
	struct rentry	*e;
	size_t		 i;

	while ((d = TAILQ_FIRST(&r->turns)) != NULL)
		turn_remove(r, d);
	RB_FOREACH(d, rdests, &r->dests) {
		while ((e = TAILQ_FIRST(&d->waiting)) != NULL) {
			TAILQ_REMOVE(&d->waiting, e, entry);
			for (i = 0; i < e->njob; i++) {
				r->held--;
				msg_release(q, e->m, e->job[i]);
			}
			entry_free(e);
		}
	}
}
