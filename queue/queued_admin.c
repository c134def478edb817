/*
 * queued_admin: what an administrator (or a user, for its own messages)
 * asks of one message through the control socket (queued_ctl.c): hold,
 * release, delete, requeue, flush.  queued does each itself, in its own
 * loop, with the same writes as for a delivery (docs/queue.md): no tool
 * ever edits a queue file behind its back.
 *
 *   hold     the message takes no more delivery attempts until released;
 *            state/<id> records it (H), so a restart keeps it held.
 *            Attempts already at lspawn end as they would.
 *   release  the hold ends and every waiting job is due now.
 *   delete   the message's files go, as when its last job ends (Q7-Q9),
 *            without any notice to its sender; with jobs in flight, once
 *            they end.  Logged, with the uid that asked.
 *   requeue  the recipients still pending are resolved again (aliases
 *            and routing as they are now) and tried now, as Postfix's
 *            postsuper -r; delivered and failed ones stay as they are.
 *   flush    every waiting job due now, or those of one domain.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "queue_env.h"
#include "queued.h"

int
admin_hold(struct queued *q, struct qmsg *m)
{
	if (m->st.held)
		return 0;
	m->st.held = queued_time();
	m->dirty = 1;
	if (msg_save(q, m) == -1) {
		m->st.held = 0;
		return -1;
	}
	/* out of the ready list and the wait tree (jobs in flight end) */
	msg_wait(q, m, queued_time());
	log_info("%s: placed on hold", m->st.id);
	return 0;
}

int
admin_release(struct queued *q, struct qmsg *m)
{
	size_t	 i;

	if (!m->st.held)
		return 0;
	m->st.held = 0;
	for (i = 0; i < m->st.njob; i++)
		if (m->st.job[i].status != QJ_DELIVERED &&
		    m->st.job[i].status != QJ_FAILED)
			m->st.job[i].next_try = 0;
	m->dirty = 1;
	if (msg_save(q, m) == -1) {
		m->st.held = queued_time();
		return -1;
	}
	log_info("%s: released from hold", m->st.id);
	if (m->inflight == 0)
		msg_wait(q, m, queued_time());
	return 0;
}

int
admin_delete(struct queued *q, struct qmsg *m, long long uid)
{
	log_info("%s: deleted by uid %lld", m->st.id, uid);
	if (m->inflight > 0) {
		m->deleting = 1;
		return 0;
	}
	msg_remove(q, m, "deleted");
	return 1;
}

size_t
admin_flush(struct queued *q, struct qmsg *m, const char *domain)
{
	const char	*at;
	size_t		 i, k = 0;

	if (m->st.held || m->deleting)
		return 0;
	for (i = 0; i < m->st.njob; i++) {
		struct queue_job *j = &m->st.job[i];

		if (j->status == QJ_DELIVERED || j->status == QJ_FAILED ||
		    m->busy[i])
			continue;
		if (domain != NULL && ((at = strrchr(j->rcpt, '@')) == NULL ||
		    strcasecmp(at + 1, domain) != 0))
			continue;
		j->next_try = 0;
		k++;
	}
	if (k > 0 && m->where == QM_WAIT)
		msg_make_ready(q, m);
	return k;
}

/* 1 if some pending job of m came from envelope recipient r. */
static int
requeue_wanted(const struct qmsg *m, const char *r)
{
	size_t	 i;

	for (i = 0; i < m->st.njob; i++)
		if (m->st.job[i].status == QJ_PENDING &&
		    strcmp(m->st.job[i].orig, r) == 0)
			return 1;
	return 0;
}

/* Copies the jobs of old that stay (all but the pending ones) to st. */
static int
requeue_keep(const struct queue_state *old, struct queue_state *st)
{
	const struct queue_job *o;
	struct queue_job *j;
	size_t	 i;

	for (i = 0; i < old->njob; i++) {
		o = &old->job[i];
		if (o->status == QJ_PENDING)
			continue;
		if ((j = queue_state_add(st, o->rcpt, o->orig, o->user,
		    o->ext)) == NULL ||
		    queue_job_set_reason(j, o->reason) == -1)
			return -1;
		j->status = o->status;
		j->attempts = o->attempts;
		j->next_try = o->next_try;
	}
	return 0;
}

/*
 * The recipients in again, resolved now, appended to st but for the
 * jobs st already has (an alias whose other members were delivered must
 * not deliver to them twice).
 */
static int
requeue_resolve(struct queued *q, struct queue_state *st, char **again,
    size_t n)
{
	struct queue_state	 ns;
	struct queue_job	*j;
	size_t			 i, k;
	int			 ret = -1;

	queue_state_init(&ns, st->id);
	if (resolve_all(q, &ns, again, n) == -1)
		goto out;
	for (i = 0; i < ns.njob; i++) {
		for (k = 0; k < st->njob; k++)
			if (strcmp(st->job[k].rcpt, ns.job[i].rcpt) == 0 &&
			    strcmp(st->job[k].orig, ns.job[i].orig) == 0)
				break;
		if (k < st->njob)
			continue;
		if ((j = queue_state_add(st, ns.job[i].rcpt, ns.job[i].orig,
		    ns.job[i].user, ns.job[i].ext)) == NULL ||
		    queue_job_set_reason(j, ns.job[i].reason) == -1)
			goto out;
		j->status = ns.job[i].status;
	}
	ret = 0;
out:
	queue_state_free(&ns);
	return ret;
}

int
admin_requeue(struct queued *q, struct qmsg *m, const char **why)
{
	struct queue_env	 env;
	struct queue_state	 st;
	char			**again = NULL;
	size_t			 i, n = 0;

	if (m->inflight > 0 || m->deleting) {
		*why = "deliveries in progress; try again in a moment";
		return -1;
	}
	if (msg_env_read(q, m->st.id, &env) == -1) {
		*why = "its envelope cannot be read";
		return -1;
	}
	if ((again = calloc(env.nrcpt, sizeof(*again))) == NULL)
		goto nomem;
	for (i = 0; i < env.nrcpt; i++)
		if (requeue_wanted(m, env.rcpt[i]))
			again[n++] = env.rcpt[i];
	queue_state_init(&st, m->st.id);
	st.warned = m->st.warned;
	if (requeue_keep(&m->st, &st) == -1 ||
	    (n > 0 && requeue_resolve(q, &st, again, n) == -1)) {
		queue_state_free(&st);
		goto nomem;
	}
	queue_state_free(&m->st);
	m->st = st;
	if (msg_dsn_bind(m, env.rcpt, env.notify, env.orcpt,
	    env.nrcpt) == -1 || msg_jobs_changed(m) == -1)
		log_warn("%s: requeue: out of memory; its DSN parameters are "
		    "lost", m->st.id);
	queue_env_free(&env);
	free(again);
	m->dirty = 1;
	log_info("%s: requeued (%zu recipient(s) resolved again)", m->st.id,
	    n);
	if (m->left == 0) {
		msg_remove(q, m, NULL);
		return 0;
	}
	(void)msg_save(q, m);
	msg_wait(q, m, queued_time());
	return 0;
nomem:
	free(again);
	queue_env_free(&env);
	*why = "out of memory";
	return -1;
}
