/*
 * queued_ctl_answer: the answers of queued's control socket
 * (lib/queue/queue_ctl.h gives the frames), made from what queued holds
 * in memory, and, for SHOW, the envelope and the header section read
 * from the queue.  A long answer (LIST of a large queue, SHOW of a
 * message with many recipients) is made in pieces of CTL_OUT_BATCH as the
 * client reads; where it stands is kept by queue ID, so a message that
 * leaves the queue in between is simply not listed (LIST) or ends the
 * answer with X (SHOW).
 *
 * Who sees what: root and the queue's owner every message; any other
 * user the messages whose envelope records its uid (enqueue's U record:
 * what it submitted through sendmail), and a message it may not see is
 * answered as one that does not exist.  HOLD, RELEASE and REQUEUE are for
 * root and the queue's owner only.
 *
 * Trust: the request is parsed (qctl_req_parse); the rest is queued's
 * own.  Header text is sent as it is (a NUL becomes '?'): the client
 * makes it fit for a terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "dsn.h"
#include "fdio.h"
#include "log.h"
#include "queued_ctl.h"

enum { SHOW_HEAD, SHOW_ENV, SHOW_JOBS, SHOW_HEADER, SHOW_END };

static int
ctl_visible(const struct ctl_client *cl, const struct qmsg *m)
{
	return cl->admin || m->uid == (long long)cl->uid;
}

/* postqueue's queue_name for m. */
static const char *
ctl_state(const struct qmsg *m)
{
	size_t	 i;

	if (m->st.held)
		return "hold";
	if (m->inflight > 0 || m->where == QM_READY)
		return "active";
	for (i = 0; i < m->st.njob; i++)
		if (m->st.job[i].attempts > 0)
			return "deferred";
	return "active";
}

static int
ctl_put(struct ctl_client *cl, const char *const *f, int nf)
{
	return chan_queue(&cl->ch, f, nf);
}

static int
ctl_end(struct ctl_client *cl, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ctl_end(struct ctl_client *cl, int ok, const char *fmt, ...)
{
	char		 text[512];
	const char	*f[2] = { ok ? "K" : "X", text };
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return ctl_put(cl, f, 2) == -1 ? -1 : 1;
}

static int
ctl_put_msg(struct ctl_client *cl, const struct qmsg *m)
{
	char		 arrival[24], size[24], uid[24];
	const char	*f[8];

	(void)snprintf(arrival, sizeof(arrival), "%lld", m->arrival);
	(void)snprintf(size, sizeof(size), "%lld", m->size);
	(void)snprintf(uid, sizeof(uid), "%lld", m->uid);
	f[0] = "M";
	f[1] = m->st.id;
	f[2] = ctl_state(m);
	f[3] = arrival;
	f[4] = size;
	f[5] = m->sender;
	f[6] = uid;
	f[7] = queue_origin_text(m->origin);
	return ctl_put(cl, f, 8);
}

static int
ctl_put_job(struct ctl_client *cl, const struct queue_job *j)
{
	char		 st[2], att[16], next[24];
	const char	*f[7];

	st[0] = (char)j->status;
	st[1] = '\0';
	(void)snprintf(att, sizeof(att), "%u", j->attempts);
	(void)snprintf(next, sizeof(next), "%lld", j->next_try);
	f[0] = "R";
	f[1] = j->rcpt;
	f[2] = j->orig;
	f[3] = st;
	f[4] = att;
	f[5] = next;
	f[6] = j->reason;
	return ctl_put(cl, f, 7);
}

/* The next message after the cursor the client may see, or NULL. */
static struct qmsg *
ctl_next(struct queued *q, struct ctl_client *cl)
{
	struct qmsg	*m;

	if (cl->cursor[0] == '\0')
		m = RB_MIN(qmsg_ids, &q->msgs);
	else {
		m = msg_find(q, cl->cursor);
		if (m != NULL)
			m = RB_NEXT(qmsg_ids, &q->msgs, m);
		else {
			/* the cursor's message left: the first one after it */
			struct qmsg key;

			(void)strlcpy(key.st.id, cl->cursor,
			    sizeof(key.st.id));
			m = RB_NFIND(qmsg_ids, &q->msgs, &key);
		}
	}
	while (m != NULL && !ctl_visible(cl, m))
		m = RB_NEXT(qmsg_ids, &q->msgs, m);
	return m;
}

/*
 * LIST: each message and its unfinished jobs.  stage 1: the message in
 * cl->cursor is begun (its M frame sent), idx its next job; stage 0: the
 * message in cl->cursor is done.
 */
static int
ctl_list(struct queued *q, struct ctl_client *cl)
{
	struct qmsg	*m;

	while (chan_pending(&cl->ch) < CTL_OUT_BATCH) {
		if (cl->stage == 1 &&
		    (m = msg_find(q, cl->cursor)) == NULL) {
			/* it left while we listed it: on with the next */
			cl->stage = 0;
			cl->idx = 0;
		}
		if (cl->stage == 0) {
			if ((m = ctl_next(q, cl)) == NULL)
				return ctl_end(cl, 1, "%zu message(s)%s",
				    cl->count, q->scan_full ? "; more wait on "
				    "disk, not yet read (the queue holds over "
				    "20000)" : "");
			if (ctl_put_msg(cl, m) == -1)
				return -1;
			(void)strlcpy(cl->cursor, m->st.id, sizeof(cl->cursor));
			cl->stage = 1;
			cl->idx = 0;
			cl->count++;
		} else
			m = msg_find(q, cl->cursor);
		for (; cl->idx < m->st.njob &&
		    chan_pending(&cl->ch) < CTL_OUT_BATCH; cl->idx++) {
			const struct queue_job *j = &m->st.job[cl->idx];

			if (j->status == QJ_DELIVERED ||
			    j->status == QJ_FAILED)
				continue;
			if (ctl_put_job(cl, j) == -1)
				return -1;
		}
		if (cl->idx < m->st.njob)
			return 0;
		cl->stage = 0;
	}
	return 0;
}

/* The header section of msg/<id>, at most QCTL_HEADER_MAX octets. */
static char *
ctl_header(struct queued *q, const char *id, size_t *len)
{
	struct queue_loc l;
	char		*p;
	ssize_t		 n;
	size_t		 i;
	int		 fd, cut;

	if (queue_path(&q->queue, QUEUE_MSG, id, &l) == -1 ||
	    (fd = openat(l.at, l.name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return NULL;
	if ((p = malloc(QCTL_HEADER_MAX)) == NULL) {
		(void)close(fd);
		return NULL;
	}
	n = fd_read_full(fd, p, QCTL_HEADER_MAX);
	(void)close(fd);
	if (n < 0) {
		free(p);
		return NULL;
	}
	*len = bounce_headers_len(p, (size_t)n, QCTL_HEADER_MAX, &cut);
	for (i = 0; i < *len; i++)
		if (p[i] == '\0')
			p[i] = '?';
	return p;
}

static int
ctl_show_head(struct queued *q, struct ctl_client *cl, struct qmsg *m)
{
	char		 held[24], warned[24];
	const char	*f[5];

	if (msg_env_read(q, m->st.id, &cl->env) == 0)
		cl->have_env = 1;
	cl->head = ctl_header(q, m->st.id, &cl->hlen);
	(void)snprintf(held, sizeof(held), "%lld", m->st.held);
	(void)snprintf(warned, sizeof(warned), "%lld", m->st.warned);
	f[0] = "D";
	f[1] = dsn_ret_text(m->ret);
	f[2] = m->envid != NULL ? m->envid : "";
	f[3] = held;
	f[4] = warned;
	if (ctl_put(cl, f, 5) == -1 || ctl_put_msg(cl, m) == -1)
		return -1;
	return 0;
}

/* SHOW: the message, its envelope, its jobs, its header, in stages. */
static int
ctl_show(struct queued *q, struct ctl_client *cl)
{
	struct qmsg	*m = msg_find(q, cl->req.id);
	char		 notify[DSN_NOTIFY_TEXT_MAX], chunk[QCTL_HEADER_CHUNK + 1];
	const char	*f[4];
	size_t		 k;

	if (m == NULL || !ctl_visible(cl, m))
		return ctl_end(cl, 0, "%s: %s", cl->req.id, cl->stage ==
		    SHOW_HEAD ? "no such message" : "it left the queue");
	while (chan_pending(&cl->ch) < CTL_OUT_BATCH) {
		switch (cl->stage) {
		case SHOW_HEAD:
			if (ctl_show_head(q, cl, m) == -1)
				return -1;
			cl->stage = SHOW_ENV;
			cl->idx = 0;
			break;
		case SHOW_ENV:
			if (!cl->have_env || cl->idx >= cl->env.nrcpt) {
				cl->stage = SHOW_JOBS;
				cl->idx = 0;
				break;
			}
			k = cl->idx++;
			dsn_notify_text(cl->env.notify != NULL ?
			    cl->env.notify[k] : 0, notify, sizeof(notify));
			f[0] = "E";
			f[1] = cl->env.rcpt[k];
			f[2] = notify;
			f[3] = cl->env.orcpt != NULL && cl->env.orcpt[k] !=
			    NULL ? cl->env.orcpt[k] : "";
			if (ctl_put(cl, f, 4) == -1)
				return -1;
			break;
		case SHOW_JOBS:
			if (cl->idx >= m->st.njob) {
				cl->stage = SHOW_HEADER;
				cl->idx = 0;
				break;
			}
			if (ctl_put_job(cl, &m->st.job[cl->idx++]) == -1)
				return -1;
			break;
		case SHOW_HEADER:
			if (cl->head == NULL || cl->idx >= cl->hlen) {
				cl->stage = SHOW_END;
				break;
			}
			k = cl->hlen - cl->idx;
			if (k > QCTL_HEADER_CHUNK)
				k = QCTL_HEADER_CHUNK;
			memcpy(chunk, cl->head + cl->idx, k);
			chunk[k] = '\0';
			cl->idx += k;
			f[0] = "H";
			f[1] = chunk;
			if (ctl_put(cl, f, 2) == -1)
				return -1;
			break;
		default:
			return ctl_end(cl, 1, "%s", m->st.id);
		}
	}
	return 0;
}

/*
 * The message an action on cl's request applies to (*one; NULL: all the
 * caller may see): 0, or what ctl_end returned when it is refused.
 */
static int
ctl_target(struct queued *q, struct ctl_client *cl, struct qmsg **one)
{
	*one = NULL;
	if (qctl_verb_admin(cl->req.verb) && !cl->admin)
		return ctl_end(cl, 0, "%s: only root and the queue's owner "
		    "may do that", qctl_verb_name(cl->req.verb));
	if (cl->req.target != QCTL_ID)
		return 0;
	*one = msg_find(q, cl->req.id);
	if (*one == NULL || !ctl_visible(cl, *one))
		return ctl_end(cl, 0, "%s: no such message", cl->req.id);
	return 0;
}

/* One action on m: 1 when it was done, 0 when there was nothing to do. */
static int
ctl_act(struct queued *q, struct ctl_client *cl, struct qmsg *m,
    const char **why)
{
	switch (cl->req.verb) {
	case QCTL_FLUSH:
		return admin_flush(q, m, cl->req.target == QCTL_DOMAIN ?
		    cl->req.domain : NULL) > 0;
	case QCTL_HOLD:
		if (m->st.held)
			return 0;
		if (admin_hold(q, m) == -1) {
			*why = "its state cannot be written";
			return -1;
		}
		return 1;
	case QCTL_RELEASE:
		if (!m->st.held)
			return 0;
		if (admin_release(q, m) == -1) {
			*why = "its state cannot be written";
			return -1;
		}
		return 1;
	case QCTL_DELETE:
		(void)admin_delete(q, m, (long long)cl->uid);
		return 1;
	case QCTL_REQUEUE:
		return admin_requeue(q, m, why) == 0 ? 1 : -1;
	default:
		return -1;
	}
}

static const char *const ctl_done_words[] = {
	[QCTL_FLUSH] = "flushed", [QCTL_HOLD] = "held",
	[QCTL_RELEASE] = "released", [QCTL_DELETE] = "deleted",
	[QCTL_REQUEUE] = "requeued",
};

static int
ctl_action(struct queued *q, struct ctl_client *cl)
{
	struct qmsg	*one, *m, *n;
	const char	*why = NULL;
	size_t		 done = 0, failed = 0;
	int		 r;

	if ((r = ctl_target(q, cl, &one)) != 0)
		return r;
	log_info("control: uid %lu asked %s %s%s", (unsigned long)cl->uid,
	    qctl_verb_name(cl->req.verb), cl->req.target == QCTL_ID ?
	    cl->req.id : cl->req.target == QCTL_DOMAIN ? "domain " : "ALL",
	    cl->req.target == QCTL_DOMAIN ? cl->req.domain : "");
	if (one != NULL) {
		if ((r = ctl_act(q, cl, one, &why)) == -1)
			return ctl_end(cl, 0, "%s: %s", cl->req.id, why);
		return ctl_end(cl, 1, "%s: %s", cl->req.id, r == 1 ?
		    ctl_done_words[cl->req.verb] : "nothing to do");
	}
	if (cl->req.verb == QCTL_FLUSH && cl->req.target == QCTL_ALL &&
	    cl->admin) {
		msg_flush(q);
		return ctl_end(cl, 1, "every waiting message is due now");
	}
	RB_FOREACH_SAFE(m, qmsg_ids, &q->msgs, n) {
		if (!ctl_visible(cl, m))
			continue;
		if ((r = ctl_act(q, cl, m, &why)) == 1)
			done++;
		else if (r == -1)
			failed++;
	}
	if (failed > 0)
		return ctl_end(cl, 0, "%zu message(s) %s; %zu not: %s", done,
		    ctl_done_words[cl->req.verb], failed, why);
	return ctl_end(cl, 1, "%zu message(s) %s", done,
	    ctl_done_words[cl->req.verb]);
}

int
ctl_answer(struct queued *q, struct ctl_client *cl)
{
	int	 r;

	switch (cl->req.verb) {
	case QCTL_LIST:
		r = ctl_list(q, cl);
		break;
	case QCTL_SHOW:
		r = ctl_show(q, cl);
		break;
	default:
		r = ctl_action(q, cl);
		break;
	}
	if (r == -1 && errno == E2BIG)
		log_warnx("control: an answer over its limit");
	return r;
}

void
ctl_answer_free(struct ctl_client *cl)
{
	if (cl->have_env)
		queue_env_free(&cl->env);
	cl->have_env = 0;
	free(cl->head);
	cl->head = NULL;
}
