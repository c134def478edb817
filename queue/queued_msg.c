/*
 * queued_msg: the messages queued holds in memory, their scheduling and
 * the outcome of each delivery job.
 *
 * A message is in one place at a time: the ready list (jobs to hand out
 * now), the wait tree (ordered by next-try time), or neither while its
 * last jobs are at lspawn.  A "pass" hands out every due job; when the
 * pass ends (no job left in flight) the failures owed a bounce get one,
 * and the message is either removed (every job final) or, only then,
 * its state is written to state/<id> and it waits for its next try.  A
 * message delivered in one pass never gets a state file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "bounce.h"
#include "dsn.h"
#include "fdio.h"
#include "log.h"
#include "queue_free.h"
#include "queue_env.h"
#include "queued.h"
#include "remote_job.h"

#define ENV_FILE_MAX	((size_t)QUEUE_RCPT_MAX * (QUEUE_ADDR_MAX + 2) + 4096)

static int
qmsg_id_cmp(struct qmsg *a, struct qmsg *b)
{
	return strcmp(a->st.id, b->st.id);
}

static int
qmsg_time_cmp(struct qmsg *a, struct qmsg *b)
{
	if (a->wake != b->wake)
		return a->wake < b->wake ? -1 : 1;
	return strcmp(a->st.id, b->st.id);
}

RB_GENERATE(qmsg_ids, qmsg, by_id, qmsg_id_cmp)
RB_GENERATE(qmsg_times, qmsg, by_time, qmsg_time_cmp)

struct qmsg *
msg_find(struct queued *q, const char *id)
{
	struct qmsg	key;

	strlcpy(key.st.id, id, sizeof(key.st.id));
	return RB_FIND(qmsg_ids, &q->msgs, &key);
}

/* Reads a whole small file into a malloc'd buffer (NUL-ended). */
static char *
file_slurp(const struct queue_loc *l, size_t max, size_t *len,
    struct stat *out)
{
	struct stat	 sb;
	char		*p;
	ssize_t		 n;
	int		 fd, saved;

	if ((fd = openat(l->at, l->name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return NULL;
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (sb.st_size < 0 || (size_t)sb.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	if ((p = malloc((size_t)sb.st_size + 1)) == NULL)
		goto fail;
	if ((n = fd_read_full(fd, p, (size_t)sb.st_size)) == -1 ||
	    (size_t)n != (size_t)sb.st_size) {
		saved = n == -1 ? errno : EIO;
		free(p);
		(void)close(fd);
		errno = saved;
		return NULL;
	}
	(void)close(fd);
	p[n] = '\0';
	*len = (size_t)n;
	if (out != NULL)
		*out = sb;
	return p;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return NULL;
}

/* Moves a damaged file into corrupt/ for a human; never deletes it. */
static void
file_set_aside(const struct queue *qu, const char *id, enum queue_sub sub,
    const char *suffix)
{
	struct queue_loc from, to;
	char		 name[QUEUE_NAME_MAX];

	if ((size_t)snprintf(name, sizeof(name), "%s%s", id, suffix) >=
	    sizeof(name) || queue_path(qu, sub, id, &from) == -1 ||
	    queue_path(qu, QUEUE_CORRUPT, name, &to) == -1)
		return;
	if (renameat(from.at, from.name, to.at, to.name) == -1)
		log_warn("%s: cannot move %s to %s", id, from.path, to.path);
	else
		log_warnx("%s: moved %s to %s", id, from.path, to.path);
}

/* sub/<id>; IDs are short and checked, so this cannot fail short of a bug. */
static void
qpath(const struct queued *q, enum queue_sub sub, const char *id,
    struct queue_loc *l)
{
	if (queue_path(&q->queue, sub, id, l) == -1)
		fatalx("%s: no path in the queue for it", id);
}

/* The DSN parameters m holds. */
static void
msg_dsn_free(struct qmsg *m)
{
	size_t	 i;

	if (m->rorcpt != NULL)
		for (i = 0; i < m->nenv; i++)
			free(m->rorcpt[i]);
	free(m->rorcpt);
	free(m->jnotify);
	free(m->jorcpt);
	m->rorcpt = NULL;
	m->jnotify = NULL;
	m->jorcpt = NULL;
	m->nenv = 0;
}

static void
msg_free(struct qmsg *m)
{
	queue_state_free(&m->st);
	msg_dsn_free(m);
	free(m->envid);
	free(m->jstart);
	free(m->busy);
	free(m->sender);
	free(m);
}

int
msg_job_notify(const struct qmsg *m, size_t job)
{
	return m->jnotify != NULL && job < m->st.njob ? m->jnotify[job] : 0;
}

const char *
msg_job_orcpt(const struct qmsg *m, size_t job)
{
	return m->jorcpt != NULL && job < m->st.njob ? m->jorcpt[job] : NULL;
}

static char *const *dsn_bind_rcpt;	/* for the sort below */

static int
dsn_bind_cmp(const void *a, const void *b)
{
	return strcmp(dsn_bind_rcpt[*(const size_t *)a],
	    dsn_bind_rcpt[*(const size_t *)b]);
}

int
msg_dsn_bind(struct qmsg *m, char *const *rcpt, const int *notify,
    char *const *orcpt, size_t nrcpt)
{
	size_t	*idx = NULL, lo, hi, mid, i, k;
	int	 c;

	msg_dsn_free(m);
	if ((notify == NULL && orcpt == NULL) || nrcpt == 0)
		return 0;
	if ((idx = calloc(nrcpt, sizeof(*idx))) == NULL ||
	    (m->rorcpt = calloc(nrcpt, sizeof(*m->rorcpt))) == NULL ||
	    (m->jnotify = calloc(m->st.njob ? m->st.njob : 1, 1)) == NULL ||
	    (m->jorcpt = calloc(m->st.njob ? m->st.njob : 1,
	    sizeof(*m->jorcpt))) == NULL)
		goto fail;
	m->nenv = nrcpt;
	for (i = 0; i < nrcpt; i++) {
		idx[i] = i;
		if (orcpt != NULL && orcpt[i] != NULL &&
		    (m->rorcpt[i] = strdup(orcpt[i])) == NULL)
			goto fail;
	}
	dsn_bind_rcpt = rcpt;
	qsort(idx, nrcpt, sizeof(*idx), dsn_bind_cmp);
	for (i = 0; i < m->st.njob; i++) {
		/* the first of equal addresses: the envelope's order */
		lo = 0;
		hi = nrcpt;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			c = strcmp(rcpt[idx[mid]], m->st.job[i].orig);
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == nrcpt ||
		    strcmp(rcpt[idx[lo]], m->st.job[i].orig) != 0)
			continue;	/* none: nothing was asked */
		k = idx[lo];
		m->jnotify[i] = notify != NULL ? (unsigned char)notify[k] : 0;
		m->jorcpt[i] = m->rorcpt[k];
	}
	free(idx);
	return 0;
fail:
	free(idx);
	msg_dsn_free(m);
	return -1;
}

int
msg_jobs_changed(struct qmsg *m)
{
	unsigned char	*nb;
	double		*ns;
	size_t		 i;

	if ((nb = calloc(m->st.njob ? m->st.njob : 1, 1)) == NULL)
		return -1;
	if ((ns = calloc(m->st.njob ? m->st.njob : 1, sizeof(*ns))) == NULL) {
		free(nb);
		return -1;
	}
	free(m->busy);
	m->busy = nb;
	free(m->jstart);
	m->jstart = ns;
	m->inflight = 0;
	m->cursor = 0;
	m->left = 0;
	for (i = 0; i < m->st.njob; i++)
		if (m->st.job[i].status != QJ_DELIVERED &&
		    m->st.job[i].status != QJ_FAILED)
			m->left++;
	return 0;
}

static void
msg_unlink(struct queued *q, struct qmsg *m)
{
	if (m->where == QM_READY)
		TAILQ_REMOVE(&q->readyq, m, ready);
	else if (m->where == QM_WAIT)
		RB_REMOVE(qmsg_times, &q->wait, m);
	m->where = QM_NONE;
	RB_REMOVE(qmsg_ids, &q->msgs, m);
	q->nmsgs--;
}

void
msg_make_ready(struct queued *q, struct qmsg *m)
{
	if (m->where == QM_WAIT)
		RB_REMOVE(qmsg_times, &q->wait, m);
	if (m->where != QM_READY)
		TAILQ_INSERT_TAIL(&q->readyq, m, ready);
	m->where = QM_READY;
	m->cursor = 0;
}

/*
 * On the ready list if a job is due by now, else into the wait tree.  At
 * the end of a pass, now must be the time msg_dispatch judged the jobs due
 * by: with a later reading (a state write that outlasts a second), a job
 * it skipped as not yet due would be due here, and the message would go
 * back on the ready list to be skipped again, forever, never returning to
 * poll().
 */
void
msg_wait(struct queued *q, struct qmsg *m, long long now)
{
	long long	 w = 0, d;
	size_t		 i;
	int		 have = 0;

	if (m->where == QM_WAIT)
		RB_REMOVE(qmsg_times, &q->wait, m);
	else if (m->where == QM_READY)
		TAILQ_REMOVE(&q->readyq, m, ready);
	m->where = QM_NONE;
	if (m->st.held)
		return;		/* out of both until released */
	for (i = 0; i < m->st.njob; i++) {
		const struct queue_job *j = &m->st.job[i];

		if (j->status == QJ_DELIVERED || j->status == QJ_FAILED)
			continue;
		if (!have || j->next_try < w)
			w = j->next_try;
		have = 1;
	}
	/* the delay warning is a reason to wake too */
	if ((d = notice_delay_due(q, m)) != 0 && (!have || d < w))
		w = d;
	if (w <= now) {
		msg_make_ready(q, m);
		return;
	}
	m->wake = w;
	m->where = QM_WAIT;
	RB_INSERT(qmsg_times, &q->wait, m);
}

void
msg_wake_due(struct queued *q, long long now)
{
	struct qmsg	*m;

	while ((m = RB_MIN(qmsg_times, &q->wait)) != NULL && m->wake <= now)
		msg_make_ready(q, m);
}

long long
msg_next_wake(struct queued *q)
{
	struct qmsg	*m;

	if ((m = RB_MIN(qmsg_times, &q->wait)) == NULL)
		return 0;
	return m->wake;
}

/* Every job final: env first, then state, then the content. */
void
msg_remove(struct queued *q, struct qmsg *m, const char *why)
{
	struct queue_loc l;

	qpath(q, QUEUE_ENV, m->st.id, &l);
	/* the files go to free/ for a queue writer, or are removed */
	if (queue_free_put(&q->queue, &q->free, QUEUE_ENV, m->st.id, 'e',
	    fd_now_ms()) == -1 &&
	    errno != ENOENT) {
		/* still queued on disk: keep it in memory, try again later */
		log_warn("%s: unlink %s", m->st.id, l.path);
		return;
	}
	if (m->has_state) {
		qpath(q, QUEUE_STATE, m->st.id, &l);
		if (unlinkat(l.at, l.name, 0) == -1 && errno != ENOENT)
			log_warn("%s: unlink %s", m->st.id, l.path);
	}
	qpath(q, QUEUE_MSG, m->st.id, &l);
	if (queue_free_put(&q->queue, &q->free, QUEUE_MSG, m->st.id, 'm',
	    fd_now_ms()) == -1 &&
	    errno != ENOENT)
		log_warn("%s: unlink %s (left for orphan recovery)", m->st.id,
		    l.path);
	if (why != NULL)
		log_info("%s: removed (%s)", m->st.id, why);
	else
		log_info("%s: removed", m->st.id);
	msg_unlink(q, m);
	msg_free(m);
}

int
msg_save(struct queued *q, struct qmsg *m)
{
	struct queue_loc l;
	struct buf	 b;

	qpath(q, QUEUE_STATE, m->st.id, &l);
	buf_init(&b, QUEUE_STATE_MAX);
	if (queue_state_encode(&b, &m->st) == -1 ||
	    atomic_writeat(l.at, l.name, b.data, b.len, 0600) == -1) {
		log_warn("%s: cannot write %s", m->st.id, l.path);
		buf_free(&b);
		return -1;
	}
	buf_free(&b);
	m->has_state = 1;
	m->dirty = 0;
	return 0;
}

/*
 * No job in flight and none left to hand out in this pass; now is the
 * time the pass judged its jobs due by (see msg_wait).
 */
static void
msg_pass_end(struct queued *q, struct qmsg *m, long long now)
{
	if (m->deleting) {
		msg_remove(q, m, "deleted");
		return;
	}
	if (!q->stopping)
		notice_pass_end(q, m, now);
	if (m->left == 0) {
		msg_remove(q, m, NULL);
		return;
	}
	if (m->dirty)
		(void)msg_save(q, m);
	if (q->stopping)
		m->where = QM_NONE;
	else
		msg_wait(q, m, now);
}

static long long
retry_delay(struct queued *q, unsigned attempts)
{
	long long	d = q->retry_min;
	unsigned	i;

	for (i = 1; i < attempts && d < q->retry_max; i++)
		d *= 2;
	return d < q->retry_max ? d : q->retry_max;
}

/* A delay as Postfix writes it: "0", "0.2", "1.25". */
static void
delay_text(double d, char *out, size_t n)
{
	size_t	 len;

	if (d < 0.005) {
		(void)strlcpy(out, "0", n);
		return;
	}
	(void)snprintf(out, n, "%.2f", d);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '0')
		out[--len] = '\0';
	if (len > 0 && out[len - 1] == '.')
		out[--len] = '\0';
}

/*
 * Postfix's delays=a/b/c/d of an attempt: before queued saw the message,
 * in queued until the attempt, connection set-up (none here), the
 * delivery itself; and dsn=, the enhanced status of text, or the
 * class's.
 */
static void
outcome_fields(const struct qmsg *m, size_t i, int status, const char *text,
    double now, char *out, size_t n)
{
	char	 a[16], b[16], d[16], code[16];
	double	 start = m->jstart != NULL && m->jstart[i] > 0 ?
		    m->jstart[i] : now;
	double	 seen = m->loaded > 0 ? m->loaded : now;

	delay_text(seen - (double)m->arrival, a, sizeof(a));
	delay_text(start - seen, b, sizeof(b));
	delay_text(now - start, d, sizeof(d));
	(void)bounce_status_class(text, status == 'K' ? '2' :
	    status == 'Z' ? '4' : '5', code, sizeof(code));
	if ((text[0] == '2' || text[0] == '4' || text[0] == '5') &&
	    text[1] == '.' && strncmp(text + 1, code + 1,
	    strlen(code) - 1) == 0)
		code[0] = text[0];
	(void)snprintf(out, n, ", delays=%s/%s/0/%s, dsn=%s", a, b, d, code);
}

/*
 * The outcome of one job, logged in Postfix's form.  With o->dsn, text
 * is what the remote server said and the reason kept (for the bounce and
 * mailq) is "dsn text", as a local delivery's text already is; o->delays
 * is then the remote delivery's delays= (else queued's own, with dsn=
 * from the text).  A K completes the job as o->done says (notices:
 * msg_job_done).
 */
void
msg_outcome(struct queued *q, struct qmsg *m, size_t i, int status,
    const char *text, const struct outcome *o)
{
	struct queue_job *j = &m->st.job[i];
	char		 orig[QUEUE_ADDR_MAX + 16] = "";
	char		 extra[160] = "", reason[QUEUE_REASON_MAX + 1];
	char		 relay[RJOB_RELAY_MAX + 32];
	double		 at = queued_time_precise();
	double		 delay = at - (double)m->arrival;
	const char	*rb;
	long long	 now = queued_time();

	if (delay < 0)
		delay = 0;
	/* both fit: addresses are at most QUEUE_ADDR_MAX */
	if (strcmp(j->orig, j->rcpt) != 0)
		(void)snprintf(orig, sizeof(orig), ", orig_to=<%s>", j->orig);
	/* Postfix's conn_use=N: the Nth delivery over one connection */
	if (o->conn_use > 1)
		(void)snprintf(relay, sizeof(relay), "%s, conn_use=%lu",
		    o->relay, o->conn_use);
	else
		strlcpy(relay, o->relay, sizeof(relay));
	j->attempts++;
	m->dirty = 1;
	if (o->dsn != NULL && status == 'K' && (rb = strchr(o->relay,
	    ']')) != NULL)
		/* what a "relayed" notice names: the peer and its reply */
		(void)snprintf(reason, sizeof(reason), "%s host %.*s said: %s "
		    "(in reply to end of DATA command)", o->dsn,
		    (int)(rb + 1 - o->relay), o->relay, text);
	else if (o->dsn != NULL)
		(void)snprintf(reason, sizeof(reason), "%s %s", o->dsn, text);
	else
		strlcpy(reason, text, sizeof(reason));
	if (queue_job_set_reason(j, reason) == -1)
		log_warn("%s: reason", m->st.id);
	if (status == 'Z' && now - m->arrival >= q->lifetime) {
		char	expired[QUEUE_REASON_MAX + 1];

		status = 'D';
		/* cut to QUEUE_REASON_MAX, as every reason is */
		(void)snprintf(expired, sizeof(expired), "5.4.7 message "
		    "expired in the queue; last error: %.*s",
		    QUEUE_REASON_MAX - 48, reason);
		(void)queue_job_set_reason(j, expired);
		text = j->reason;
	}
	if (o->delays != NULL && o->dsn != NULL)
		/* the remote delivery's; an expired deferral is 5.4.7 now */
		(void)snprintf(extra, sizeof(extra), ", delays=%s, dsn=%s",
		    o->delays, status == 'D' && j->reason[0] == '5' &&
		    strncmp(j->reason, "5.4.7 ", 6) == 0 ? "5.4.7" : o->dsn);
	else
		outcome_fields(m, i, status, status == 'D' ? j->reason :
		    o->dsn != NULL ? reason : text, at, extra, sizeof(extra));
	if (m->jstart != NULL)
		m->jstart[i] = 0;
	if (status == 'K') {
		log_info("%s: to=<%s>%s, relay=%s, delay=%.2f%s, status=sent "
		    "(%s)", m->st.id, j->rcpt, orig, relay, delay, extra, text);
		msg_job_done(q, m, i, o->done);
		return;
	}
	if (status == 'Z') {
		j->next_try = now + retry_delay(q, j->attempts);
		if (j->next_try < o->not_before)
			j->next_try = o->not_before;
		log_info("%s: to=<%s>%s, relay=%s, delay=%.2f%s, status=deferred "
		    "(%s)", m->st.id, j->rcpt, orig, relay, delay, extra,
		    text);
		return;
	}
	j->status = QJ_BOUNCE;
	j->next_try = 0;
	log_info("%s: to=<%s>%s, relay=%s, delay=%.2f%s, status=bounced (%s)",
	    m->st.id, j->rcpt, orig, relay, delay, extra,
	    o->dsn != NULL && status == 'D' && text != j->reason ? text :
	    j->reason);
}

void
msg_job_done(struct queued *q, struct qmsg *m, size_t i, enum msg_done how)
{
	struct queue_job *j = &m->st.job[i];

	(void)q;
	m->dirty = 1;
	j->status = QJ_DELIVERED;
	if (how != DONE_PASSED_ON && m->sender[0] != '\0' &&
	    dsn_notify_wants(msg_job_notify(m, i), DSN_NOTIFY_SUCCESS)) {
		/* the notice is owed: the job stays in what is left */
		j->status = how == DONE_RELAYED ? QJ_RELAYED : QJ_NOTICE;
		j->next_try = 0;
		return;
	}
	m->left--;
}

void
msg_result_via(struct queued *q, struct qmsg *m, size_t job, int status,
    const char *text, const struct outcome *o)
{
	m->busy[job] = 0;
	m->inflight--;
	msg_outcome(q, m, job, status, text, o);
	if (m->inflight == 0 && m->where == QM_NONE)
		msg_pass_end(q, m, queued_time());
}

void
msg_result(struct queued *q, struct qmsg *m, size_t job, int status,
    const char *text)
{
	struct outcome	o = { .relay = "local" };

	msg_result_via(q, m, job, status, text, &o);
}

void
msg_release(struct queued *q, struct qmsg *m, size_t job)
{
	m->busy[job] = 0;
	m->inflight--;
	if (m->inflight == 0 && m->where == QM_NONE)
		msg_pass_end(q, m, queued_time());
}

/*
 * Hands out the due jobs of the ready messages, in order: local ones to
 * lspawn while it has free slots, remote ones to their destinations
 * (queued_remote.c), which send them out as their limits allow.
 */
void
msg_dispatch(struct queued *q)
{
	struct qmsg	*m;
	struct queue_job *j;
	long long	 now = queued_time();

	while ((m = TAILQ_FIRST(&q->readyq)) != NULL) {
		for (; m->cursor < m->st.njob; m->cursor++) {
			j = &m->st.job[m->cursor];
			if (j->status != QJ_PENDING || m->busy[m->cursor] ||
			    j->next_try > now)
				continue;
			if (j->user[0] == '\0') {
				if (remote_job(q, m, m->cursor) == -1)
					return;		/* no memory: later */
				continue;
			}
			if (local_job(q, m, m->cursor) == -1)
				return;		/* no free slot: later */
		}
		TAILQ_REMOVE(&q->readyq, m, ready);
		m->where = QM_NONE;
		if (m->inflight == 0)
			msg_pass_end(q, m, now);
	}
}

/*
 * env/<id> decoded into env (and its stat into sb, when not NULL): 0;
 * -1 when it cannot be read (errno; a missing file is not logged), -2
 * when it is corrupt (logged).
 */
static int
env_read(struct queued *q, const char *id, struct queue_env *env,
    struct stat *sb)
{
	struct queue_loc l;
	const char	*why;
	char		*p;
	size_t		 len;

	qpath(q, QUEUE_ENV, id, &l);
	if ((p = file_slurp(&l, ENV_FILE_MAX, &len, sb)) == NULL) {
		if (errno != ENOENT)
			log_warn("%s: read %s", id, l.path);
		return -1;
	}
	if (queue_env_decode(p, len, env, &why) == -1) {
		free(p);
		log_warnx("%s: corrupt envelope: %s", id, why);
		return -2;
	}
	free(p);
	if (strcmp(env->id, id) != 0) {
		log_warnx("%s: corrupt envelope: holds ID %s", id, env->id);
		queue_env_free(env);
		return -2;
	}
	return 0;
}

int
msg_env_read(struct queued *q, const char *id, struct queue_env *env)
{
	return env_read(q, id, env, NULL) == 0 ? 0 : -1;
}

/* Loads env/<id> (and state/<id>); 0, or -1 when it is not taken. */
int
msg_load(struct queued *q, const char *id)
{
	struct queue_env env;
	struct qmsg	*m;
	struct stat	 sb, esb;
	struct queue_loc l;
	const char	*why;
	char		*p;
	size_t		 len;
	int		 r;

	if ((r = env_read(q, id, &env, &esb)) != 0) {
		if (r == -2)
			file_set_aside(&q->queue, id, QUEUE_ENV, "");
		return -1;
	}
	qpath(q, QUEUE_MSG, id, &l);
	if (fstatat(l.at, l.name, &sb, 0) == -1) {
		if (errno == ENOENT) {
			log_warnx("%s: corrupt: envelope without message", id);
			file_set_aside(&q->queue, id, QUEUE_ENV, "");
		} else
			log_warn("%s: stat %s", id, l.path);
		queue_env_free(&env);
		return -1;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->sender = strdup(env.sender)) == NULL) {
		log_warn("%s: out of memory", id);
		free(m);
		queue_env_free(&env);
		return -1;
	}
	m->arrival = env.arrival;
	m->size = (long long)sb.st_size;
	m->uid = env.uid;
	m->origin = env.origin;
	m->loaded = queued_time_precise();
	m->ret = env.ret;
	if (env.envid != NULL && (m->envid = strdup(env.envid)) == NULL) {
		log_warn("%s: out of memory", id);
		queue_env_free(&env);
		msg_free(m);
		return -1;
	}
	/*
	 * Renamed into env/ before this queued started (the rename sets
	 * ctime; a second of margin for the clocks' grain): the last queued
	 * may have delivered some of it without recording it.
	 */
	m->recovered = (long long)esb.st_ctim.tv_sec <= q->started + 1;
	queue_state_init(&m->st, id);

	qpath(q, QUEUE_STATE, id, &l);
	if ((p = file_slurp(&l, QUEUE_STATE_MAX, &len, NULL)) != NULL) {
		if (queue_state_decode(p, len, &m->st, &why) == -1 ||
		    strcmp(m->st.id, id) != 0) {
			log_warnx("%s: corrupt state file: %s; recipients "
			    "are resolved again", id, why);
			file_set_aside(&q->queue, id, QUEUE_STATE, ".state");
			queue_state_init(&m->st, id);
		} else
			m->has_state = 1;
		free(p);
	} else if (errno != ENOENT)
		log_warn("%s: read %s", id, l.path);

	if (!m->has_state) {
		log_info("%s: from=<%s>, size=%lld, nrcpt=%zu", id, m->sender,
		    m->size, env.nrcpt);
		if (resolve_all(q, &m->st, env.rcpt, env.nrcpt) == -1 ||
		    m->st.njob == 0) {
			log_warnx("%s: cannot resolve recipients; retried "
			    "later", id);
			queue_env_free(&env);
			msg_free(m);
			return -1;
		}
	}
	if (msg_dsn_bind(m, env.rcpt, env.notify, env.orcpt, env.nrcpt) == -1 ||
	    msg_jobs_changed(m) == -1) {
		log_warn("%s: out of memory", id);
		queue_env_free(&env);
		msg_free(m);
		return -1;
	}
	queue_env_free(&env);
	if (m->st.held)
		log_debug("%s: held since %lld", id, m->st.held);
	RB_INSERT(qmsg_ids, &q->msgs, m);
	q->nmsgs++;
	m->seen = 1;
	m->where = QM_NONE;
	msg_wait(q, m, queued_time());
	return 0;
}

/* facteurctl flush: every job that waits is due now. */
void
msg_flush(struct queued *q)
{
	struct qmsg	*m, *n;
	size_t		 i, k = 0;

	RB_FOREACH(m, qmsg_ids, &q->msgs)
		for (i = 0; i < m->st.njob && !m->st.held; i++)
			if (m->st.job[i].status != QJ_DELIVERED &&
			    m->st.job[i].status != QJ_FAILED)
				m->st.job[i].next_try = 0;
	RB_FOREACH_SAFE(m, qmsg_times, &q->wait, n) {
		msg_make_ready(q, m);
		k++;
	}
	log_info("flush: %zu waiting message(s) due now", k);
}

void
msg_forget(struct queued *q, struct qmsg *m)
{
	msg_unlink(q, m);
	msg_free(m);
}

/*
 * At shutdown (docs/queue.md Q6): every message whose state changed.  A
 * write that fails is logged; those results are redone after the next
 * start (a duplicate at worst, never a loss).
 */
void
msg_save_all(struct queued *q)
{
	struct qmsg	*m;
	size_t		 failed = 0;

	RB_FOREACH(m, qmsg_ids, &q->msgs)
		if (m->dirty && msg_save(q, m) == -1)
			failed++;
	if (failed > 0)
		log_warnx("%zu state file(s) not written at shutdown; their "
		    "last results are redone at the next start", failed);
}

void
msg_free_all(struct queued *q)
{
	struct qmsg	*m, *n;

	msg_save_all(q);
	RB_FOREACH_SAFE(m, qmsg_ids, &q->msgs, n) {
		msg_unlink(q, m);
		msg_free(m);
	}
}
