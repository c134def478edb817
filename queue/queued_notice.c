/*
 * queued_notice: which delivery status notifications a message owes its
 * sender at the end of a pass, and sending them (queued_bounce.c builds
 * and queues each one):
 *
 *   - a non-delivery report for the jobs that failed (QJ_BOUNCE), unless
 *     their NOTIFY (RFC 3461) leaves FAILURE out or says NEVER: then the
 *     job is only recorded as failed, and the log says why;
 *   - a success notice for the jobs that reached their destination and
 *     asked for one (QJ_NOTICE: delivered here; QJ_RELAYED: handed to a
 *     peer without DSN), as msg_job_done decided;
 *   - once per message, at delay_warning_time after its arrival, a delay
 *     warning for the jobs still pending whose NOTIFY allows DELAY (or
 *     was not given); the state file records that it went (Y record).
 *
 * A message from the null sender (a notice itself) owes no delay
 * warning or success notice; its failures are reported to postmaster as
 * a double bounce (queued_bounce.c), and those of a double bounce are
 * dropped (bounce_dropped), so notices never loop.  Each job is recorded final only after enqueue took its
 * notice; when enqueue fails the jobs wait queue_retry_min, and a delay
 * warning is tried again after as long.
 */
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "dsn.h"
#include "log.h"
#include "queue_env.h"
#include "queued.h"

/* Jobs of m in status st, due by now, that want a notice of kind. */
static int
notice_wants(const struct qmsg *m, size_t i, int st, long long now)
{
	const struct queue_job *j = &m->st.job[i];

	return j->status == st && j->next_try <= now;
}

/*
 * Sends one kind of notice for every job of status st due by now, in
 * reports of BOUNCE_RCPT_MAX, each job becoming final once its report
 * is queued.  On failure, the rest wait queue_retry_min.
 */
static void
notice_send_jobs(struct queued *q, struct qmsg *m, int st, int kind,
    long long now)
{
	size_t	 i, k, n, *idx;
	int	 ok = 1;

	if ((idx = calloc(BOUNCE_RCPT_MAX, sizeof(*idx))) == NULL)
		ok = 0;
	for (i = 0; ok && i < m->st.njob; ) {
		for (n = 0; i < m->st.njob && n < BOUNCE_RCPT_MAX; i++)
			if (notice_wants(m, i, st, now))
				idx[n++] = i;
		if (n == 0)
			break;
		if (bounce_send(q, m, idx, n, kind) == -1) {
			ok = 0;
			break;
		}
		for (k = 0; k < n; k++) {
			m->st.job[idx[k]].status = kind == BOUNCE_FAILED ?
			    QJ_FAILED : QJ_DELIVERED;
			m->left--;
		}
		m->dirty = 1;
	}
	free(idx);
	if (ok)
		return;
	for (i = 0; i < m->st.njob; i++)
		if (notice_wants(m, i, st, now)) {
			m->st.job[i].next_try = now + q->retry_min;
			m->dirty = 1;
		}
}

/*
 * Failed jobs that owe no report become final now: all of them for a
 * double bounce that failed, the others when NOTIFY leaves FAILURE out.
 */
static void
notice_failures_unwanted(struct queued *q, struct qmsg *m, long long now)
{
	char	 notify[DSN_NOTIFY_TEXT_MAX];
	size_t	 i, dropped = 0;
	int	 f, drop = bounce_dropped(q, m);

	for (i = 0; i < m->st.njob; i++) {
		if (!notice_wants(m, i, QJ_BOUNCE, now))
			continue;
		f = msg_job_notify(m, i);
		if (drop)
			dropped++;
		else if (m->sender[0] == '\0')
			continue;	/* a double bounce to postmaster */
		else if (!dsn_notify_wants(f, DSN_NOTIFY_FAILURE)) {
			dsn_notify_text(f, notify, sizeof(notify));
			log_info("%s: to=<%s>: no non-delivery notification "
			    "(NOTIFY=%s)", m->st.id, m->st.job[i].rcpt, notify);
		} else
			continue;
		m->st.job[i].status = QJ_FAILED;
		m->left--;
		m->dirty = 1;
	}
	if (dropped > 0)
		log_info("%s: undeliverable double bounce for %zu "
		    "recipient(s) discarded", m->st.id, dropped);
}

/* The same for success notices owed to the null sender (none are). */
static void
notice_successes_unwanted(struct qmsg *m, long long now)
{
	size_t	 i;

	if (m->sender[0] != '\0')
		return;
	for (i = 0; i < m->st.njob; i++)
		if (notice_wants(m, i, QJ_NOTICE, now) ||
		    notice_wants(m, i, QJ_RELAYED, now)) {
			m->st.job[i].status = QJ_DELIVERED;
			m->left--;
			m->dirty = 1;
		}
}

long long
notice_delay_due(const struct queued *q, const struct qmsg *m)
{
	long long	 due;
	size_t		 i;

	if (q->delay_warning <= 0 || m->st.warned != 0 ||
	    m->sender[0] == '\0' || m->origin == QUEUE_ORIGIN_BOUNCE)
		return 0;
	due = m->arrival + q->delay_warning;
	if (due < m->warn_retry)
		due = m->warn_retry;
	for (i = 0; i < m->st.njob; i++)
		if (m->st.job[i].status == QJ_PENDING &&
		    dsn_notify_wants(msg_job_notify(m, i), DSN_NOTIFY_DELAY))
			return due;
	return 0;
}

/* The delay warning, once, for the pending jobs that allow it. */
static void
notice_delay(struct queued *q, struct qmsg *m, long long now)
{
	size_t	 i, n, *idx;
	long long due = notice_delay_due(q, m);

	if (due == 0 || now < due)
		return;
	if ((idx = calloc(BOUNCE_RCPT_MAX, sizeof(*idx))) == NULL)
		return;
	for (i = 0, n = 0; i < m->st.njob && n < BOUNCE_RCPT_MAX; i++)
		if (m->st.job[i].status == QJ_PENDING &&
		    dsn_notify_wants(msg_job_notify(m, i), DSN_NOTIFY_DELAY))
			idx[n++] = i;
	if (n > 0 && bounce_send(q, m, idx, n, BOUNCE_DELAYED) == 0) {
		m->st.warned = now;
		m->dirty = 1;
	} else if (n > 0)
		m->warn_retry = now + q->retry_min;
	free(idx);
}

void
notice_pass_end(struct queued *q, struct qmsg *m, long long now)
{
	notice_failures_unwanted(q, m, now);
	notice_successes_unwanted(m, now);
	notice_send_jobs(q, m, QJ_BOUNCE, BOUNCE_FAILED, now);
	if (m->sender[0] == '\0')
		return;
	/* delivered and relayed recipients: one report lists both */
	notice_send_jobs(q, m, QJ_NOTICE, BOUNCE_DELIVERED, now);
	notice_send_jobs(q, m, QJ_RELAYED, BOUNCE_DELIVERED, now);
	notice_delay(q, m, now);
}
