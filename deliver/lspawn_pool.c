/*
 * lspawn_pool: lspawn's delivery workers, from lspawn's side.  A job for
 * uid U and gid G goes to an idle worker that already runs as exactly U
 * and G; failing that, to a new worker forked for them
 * (lspawn_worker.c).  Workers in every state (idle, busy, and gone:
 * retired or dead but not yet reaped) count against local_concurrency;
 * when that is reached and no idle worker fits, the worker idle longest
 * is retired and the job waits for it to be reaped.  A worker is retired
 * (its channel closed: it exits at EOF) after local_worker_max_jobs jobs
 * or local_worker_idle without one.
 *
 * A job that needs more than a Maildir write (JOB_LOCAL: .forward, an
 * mbox, a command, an alias's commands and files) gets a local delivery
 * child of its own instead (lspawn_local.c): counted like a worker,
 * busy from its start, retired after its one result, its log lines
 * logged whole.
 *
 * Workers run as users and are not trusted: a result that is malformed
 * (deliver/deliver_wire.h), a packet from an idle worker, or a descriptor
 * sent back gets the worker killed, and its job, if any, is a temporary
 * failure.  A worker that dies in a job (a crash, kill -9) costs that
 * job only: it is reported Z with the worker's first line of output or
 * its signal, as the per-delivery child was, and queued retries it.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver_wire.h"
#include "chan.h"
#include "child.h"
#include "fdio.h"
#include "log.h"
#include "lspawn.h"

enum { W_IDLE, W_BUSY, W_GONE };

static struct workerq *
worker_list(struct lspawn *ls, const struct worker *w)
{
	switch (w->state) {
	case W_IDLE:
		return &ls->idle;
	case W_BUSY:
		return &ls->busy;
	default:
		return &ls->gone;
	}
}

static void
worker_move(struct lspawn *ls, struct worker *w, int state)
{
	TAILQ_REMOVE(worker_list(ls, w), w, entry);
	w->state = state;
	TAILQ_INSERT_TAIL(worker_list(ls, w), w, entry);
}

/* A line a local child wrote, logged as it is ("ID: text"). */
static void
worker_out_log_line(void *arg, const char *line)
{
	(void)arg;
	log_info("%s", line);
}

/* Logs every line a local child wrote, then empties its output. */
static void
worker_out_log(struct worker *w)
{
	worker_out_lines(w, worker_out_log_line, NULL);
}

/* No more jobs for w: it exits at EOF on its channel (or was killed). */
static void
worker_retire(struct lspawn *ls, struct worker *w)
{
	if (w->chan != -1 && close(w->chan) == -1)
		log_warn("worker %ld: close", (long)w->pid);
	w->chan = -1;
	worker_move(ls, w, W_GONE);
}

static void
worker_kill(struct lspawn *ls, struct worker *w)
{
	if (kill(w->pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("worker %ld: kill", (long)w->pid);
	worker_retire(ls, w);
}

static void
job_fail(struct job *j, const char *text)
{
	struct job_result	 res;

	result_set(&res, 'Z', "%s", text);
	result_send(j, &res);
	job_free(j);
}

/* A job's result came from w. */
static void
worker_done(struct lspawn *ls, struct worker *w, char status,
    const char *text)
{
	struct job_result	 res;
	struct job		*j = w->job;
	char			 line[LSPAWN_TEXT_MAX + 1];

	if (w->oneshot)
		worker_out_log(w);
	else if (worker_out_line(w, line, sizeof(line)))
		log_warnx("%s: delivery worker %ld: %s", j->id, (long)w->pid,
		    line);
	res.status = status;
	(void)strlcpy(res.text, text, sizeof(res.text));
	result_send(j, &res);
	job_free(j);
	w->job = NULL;
	if (w->oneshot || w->jobs >= ls->max_jobs) {
		worker_retire(ls, w);
		return;
	}
	w->idle_since = fd_now_ms();
	worker_move(ls, w, W_IDLE);
}

/* A packet, or EOF, on w's channel. */
static void
worker_chan_read(struct lspawn *ls, struct worker *w)
{
	static struct chan_msg	 m;
	struct chan		 c;
	const char		*text = NULL;
	struct job		*j;
	char			 status = 'Z';
	enum deliver_wire_verdict v;
	int			 n;

	chan_init(&c, w->chan, CHAN_PACKET, DELIVER_WIRE_MAX);
	n = chan_recv_nowait(&c, &m);
	if (n == 2)
		return;
	v = deliver_result_take(n, n == -1 ? errno : 0, m.f, m.nf, m.nfds,
	    w->job != NULL, &status, &text);
	/* a worker sends no descriptor (deliver_result_take refused one) */
	if (n == 1)
		chan_msg_close_fds(&m);
	if (v == WIRE_END) {
		/* exiting or dead: pool_reap reports the job, if any */
		worker_retire(ls, w);
		return;
	}
	if ((j = w->job) == NULL) {
		log_warnx("delivery worker %ld (uid %lu) sent a packet while "
		    "idle; killed", (long)w->pid, (unsigned long)w->uid);
		worker_kill(ls, w);
		return;
	}
	if (v == WIRE_KILL) {
		log_warnx("%s: malformed result from delivery worker %ld "
		    "(uid %lu); killed", j->id, (long)w->pid,
		    (unsigned long)w->uid);
		w->job = NULL;
		worker_kill(ls, w);
		job_fail(j, "4.3.0 malformed result from the delivery worker");
		return;
	}
	worker_done(ls, w, status, text);
}

static struct worker *
worker_start(struct lspawn *ls, uid_t uid, gid_t gid)
{
	struct worker	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((w->pid = worker_fork(ls, uid, gid, &w->chan, &w->outfd)) == -1) {
		free(w);
		return NULL;
	}
	w->uid = uid;
	w->gid = gid;
	w->state = W_BUSY;
	TAILQ_INSERT_TAIL(&ls->busy, w, entry);
	ls->nworkers++;
	log_debug("delivery worker %ld started for uid %lu gid %lu",
	    (long)w->pid, (unsigned long)uid, (unsigned long)gid);
	return w;
}

pid_t
pool_fork(const char *name, int *chan, int *outfd, int *cchan, int *cout)
{
	int	 sv[2], p[2], saved;
	pid_t	 pid;

	if (chan_pair(sv) == -1)
		return -1;
	if (pipe2(p, O_CLOEXEC) == -1) {
		saved = errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		errno = saved;
		return -1;
	}
	if ((pid = child_fork(name, 0)) == -1) {
		saved = errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		(void)close(p[0]);
		(void)close(p[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		*cchan = sv[1];
		*cout = p[1];
		return 0;
	}
	if (close(sv[1]) == -1 || close(p[1]) == -1)
		log_warn("%s %ld: close", name, (long)pid);
	if (fd_set_nonblock(sv[0], 1) == -1 || fd_set_nonblock(p[0], 1) == -1)
		log_warn("%s %ld: nonblocking descriptors", name, (long)pid);
	*chan = sv[0];
	*outfd = p[0];
	return pid;
}

/* A local delivery child for j, busy with it; NULL with errno. */
static struct worker *
local_start(struct lspawn *ls, struct job *j)
{
	struct worker	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((w->pid = local_fork(ls, j, &w->chan, &w->outfd)) == -1) {
		free(w);
		return NULL;
	}
	if (close(j->msgfd) == -1)
		log_warn("%s: close", j->id);
	j->msgfd = -1;
	w->uid = j->uid;
	w->gid = j->gid;
	w->oneshot = 1;
	w->state = W_BUSY;
	w->job = j;
	w->jobs = 1;
	w->busy_since = fd_now_ms();
	TAILQ_INSERT_TAIL(&ls->busy, w, entry);
	ls->nworkers++;
	log_debug("%s: local delivery for %s as uid %lu by child %ld", j->id,
	    j->user, (unsigned long)w->uid, (long)w->pid);
	return w;
}

/* Sends j to w; 0, or -1 with errno (j is then untouched). */
static int
worker_give(struct lspawn *ls, struct worker *w, struct job *j)
{
	struct delivery	 d = { j->sender, j->rcpt, j->id, j->maildir,
			    j->check, NULL, 0 };
	const char	*f[DELIVER_JOB_FIELDS];
	char		 line[LSPAWN_TEXT_MAX + 1];
	struct chan	 c;

	chan_init(&c, w->chan, CHAN_PACKET, DELIVER_WIRE_MAX);
	if (deliver_job_fields(&d, f) == -1 ||
	    chan_send_nowait(&c, f, DELIVER_JOB_FIELDS, &j->msgfd, 1) == -1)
		return -1;
	if (close(j->msgfd) == -1)
		log_warn("%s: close", j->id);
	j->msgfd = -1;
	if (worker_out_line(w, line, sizeof(line)))	/* said between jobs */
		log_warnx("delivery worker %ld: %s", (long)w->pid, line);
	w->job = j;
	w->jobs++;
	w->busy_since = fd_now_ms();
	if (w->state != W_BUSY)
		worker_move(ls, w, W_BUSY);
	log_debug("%s: delivery for %s as uid %lu by worker %ld, job %lu of it",
	    j->id, j->user, (unsigned long)w->uid, (long)w->pid, w->jobs);
	return 0;
}

/* The idle worker for uid and gid that was busy last, or NULL. */
static struct worker *
worker_find(struct lspawn *ls, uid_t uid, gid_t gid)
{
	struct worker	*w;

	TAILQ_FOREACH_REVERSE(w, &ls->idle, workerq, entry)
		if (w->uid == uid && w->gid == gid && !w->oneshot)
			return w;
	return NULL;
}

static int
retiring(struct lspawn *ls)
{
	struct worker	*w;

	TAILQ_FOREACH(w, &ls->gone, entry)
		if (w->job == NULL)
			return 1;
	return 0;
}

/*
 * Gives the first waiting job a worker.  Returns 1 when it is handed out
 * or finished, 0 when it has to wait for a worker to free up.
 */
static int
job_place(struct lspawn *ls, struct job *j)
{
	struct job_result	 res;
	struct worker		*w;
	char			 text[LSPAWN_TEXT_MAX + 1];
	int			 fresh;

	if (!j->ready && job_prepare(ls, j, &res) == -1) {
		TAILQ_REMOVE(&ls->waiting, j, entry);
		ls->nwaiting--;
		result_send(j, &res);
		job_free(j);
		return 1;
	}
	if (j->kind == JOB_LOCAL) {
		if (ls->nworkers >= ls->concurrency) {
			if (!retiring(ls) && (w = TAILQ_FIRST(&ls->idle)) !=
			    NULL)
				worker_retire(ls, w);
			return 0;
		}
		TAILQ_REMOVE(&ls->waiting, j, entry);
		ls->nwaiting--;
		if (local_start(ls, j) == NULL) {
			(void)snprintf(text, sizeof(text), "cannot start a "
			    "local delivery child: %s", strerror(errno));
			log_warnx("%s: %s", j->id, text);
			job_fail(j, text);
		}
		return 1;
	}
	if ((w = worker_find(ls, j->uid, j->gid)) == NULL &&
	    ls->nworkers >= ls->concurrency) {
		/* make room: the worker idle longest goes (one at a time) */
		if (!retiring(ls) && (w = TAILQ_FIRST(&ls->idle)) != NULL)
			worker_retire(ls, w);
		return 0;
	}
	fresh = w == NULL;
	if (fresh && (w = worker_start(ls, j->uid, j->gid)) == NULL) {
		(void)snprintf(text, sizeof(text), "cannot start a delivery "
		    "worker: %s", strerror(errno));
		TAILQ_REMOVE(&ls->waiting, j, entry);
		ls->nwaiting--;
		log_warnx("%s: %s", j->id, text);
		job_fail(j, text);
		return 1;
	}
	TAILQ_REMOVE(&ls->waiting, j, entry);
	ls->nwaiting--;
	if (worker_give(ls, w, j) == 0)
		return 1;
	if (fresh) {
		/* it died at once: pool_reap reports j with what it said */
		log_warn("%s: cannot hand the job to worker %ld", j->id,
		    (long)w->pid);
		w->job = j;
		w->jobs++;
		worker_kill(ls, w);
		return 1;
	}
	/* an idle worker that is gone: retire it, try the job again */
	log_warn("%s: cannot hand the job to idle worker %ld", j->id,
	    (long)w->pid);
	worker_kill(ls, w);
	TAILQ_INSERT_HEAD(&ls->waiting, j, entry);
	ls->nwaiting++;
	return 1;
}

void
pool_start_jobs(struct lspawn *ls)
{
	struct job	*j;

	while ((j = TAILQ_FIRST(&ls->waiting)) != NULL) {
		if (ls->nworkers >= ls->concurrency && TAILQ_EMPTY(&ls->idle))
			break;
		if (!job_place(ls, j))
			break;
	}
}

/*
 * Kills the workers whose job has run past local_delivery_timeout (a
 * Maildir on a hung file system, say): the job becomes a temporary
 * failure when the worker is reaped, and queued tries it again later.
 * Returns the ms until the next job reaches its limit, or -1.
 */
static long long
pool_expire_busy(struct lspawn *ls, long long now)
{
	struct worker	*w, *next;
	long long	 left, first = -1;

	for (w = TAILQ_FIRST(&ls->busy); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		left = w->busy_since + ls->job_ms - now;
		if (left > 0) {
			if (first == -1 || left < first)
				first = left;
			continue;
		}
		log_warnx("%s: delivery by worker %ld (uid %lu) still running "
		    "after %lld s (local_delivery_timeout); killed",
		    w->job != NULL ? w->job->id : "-", (long)w->pid,
		    (unsigned long)w->uid, ls->job_ms / 1000);
		worker_kill(ls, w);
	}
	return first;
}

int
pool_expire(struct lspawn *ls)
{
	struct worker	*w;
	long long	 now = fd_now_ms(), left, busy;

	busy = pool_expire_busy(ls, now);
	while ((w = TAILQ_FIRST(&ls->idle)) != NULL) {
		left = w->idle_since + ls->idle_ms - now;
		if (left > 0)
			break;
		log_debug("delivery worker %ld (uid %lu) idle for %lld ms; "
		    "retired", (long)w->pid, (unsigned long)w->uid,
		    now - w->idle_since);
		worker_retire(ls, w);
	}
	left = w != NULL ? w->idle_since + ls->idle_ms - now : -1;
	if (busy != -1 && (left == -1 || busy < left))
		left = busy;
	if (left == -1)
		return -1;
	return left > 3600000 ? 3600000 : (int)left;
}

void
pool_retire_idle(struct lspawn *ls)
{
	struct worker	*w;

	while ((w = TAILQ_FIRST(&ls->idle)) != NULL)
		worker_retire(ls, w);
}

static size_t
pollfds_add(struct workerq *q, struct pollfd *pfd, struct worker **pw,
    size_t n, size_t max)
{
	struct worker	*w;

	TAILQ_FOREACH(w, q, entry) {
		if (w->chan != -1 && n < max) {
			pw[n] = w;
			pfd[n].fd = w->chan;
			pfd[n++].events = POLLIN;
		}
		if (w->outfd != -1 && n < max) {
			pw[n] = w;
			pfd[n].fd = w->outfd;
			pfd[n++].events = POLLIN;
		}
	}
	return n;
}

size_t
pool_pollfds(struct lspawn *ls, struct pollfd *pfd, struct worker **pw,
    size_t max)
{
	size_t	 n;

	n = pollfds_add(&ls->idle, pfd, pw, 0, max);
	n = pollfds_add(&ls->busy, pfd, pw, n, max);
	return pollfds_add(&ls->gone, pfd, pw, n, max);
}

void
pool_ready(struct lspawn *ls, struct worker *w, const struct pollfd *pfd)
{
	if (pfd->fd == w->chan)
		worker_chan_read(ls, w);
	else if (pfd->fd == w->outfd)
		worker_out_read(w);
}

/* w was reaped with status st: report its job, if any, and free it. */
static void
worker_reaped(struct lspawn *ls, struct worker *w, int st)
{
	struct job	*j;
	char		 line[LSPAWN_TEXT_MAX + 1];
	int		 said;

	if (w->job != NULL && w->chan != -1)
		worker_chan_read(ls, w);	/* a result sent before dying */
	if ((j = w->job) != NULL) {
		w->job = NULL;
		if (w->oneshot) {
			/* its lines went to the log; the job says how */
			worker_out_log(w);
			(void)snprintf(line, sizeof(line), "4.3.0 local "
			    "delivery child %s %d", WIFSIGNALED(st) ?
			    "killed by signal" : "exited", WIFSIGNALED(st) ?
			    WTERMSIG(st) : WEXITSTATUS(st));
			job_fail(j, line);
		} else if (worker_out_line(w, line, sizeof(line)))
			job_fail(j, line);
		else if (WIFSIGNALED(st)) {
			(void)snprintf(line, sizeof(line),
			    "deliver killed by signal %d", WTERMSIG(st));
			job_fail(j, line);
		} else {
			(void)snprintf(line, sizeof(line), "deliver exited %d",
			    WEXITSTATUS(st));
			job_fail(j, line);
		}
	} else if ((said = worker_out_line(w, line, sizeof(line))) ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0 || w->state != W_GONE) {
		log_warnx("%s %ld (uid %lu) %s %d after %lu job(s)%s%s",
		    w->oneshot ? "local delivery child" : "delivery worker",
		    (long)w->pid, (unsigned long)w->uid,
		    WIFSIGNALED(st) ? "killed by signal" : "exited",
		    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), w->jobs,
		    said ? ": " : "", said ? line : "");
	} else {
		log_debug("%s %ld (uid %lu) exited after %lu job(s)",
		    w->oneshot ? "local delivery child" : "delivery worker",
		    (long)w->pid, (unsigned long)w->uid, w->jobs);
	}
	TAILQ_REMOVE(worker_list(ls, w), w, entry);
	ls->nworkers--;
	if (w->chan != -1 && close(w->chan) == -1)
		log_warn("worker %ld: close", (long)w->pid);
	if (w->outfd != -1 && close(w->outfd) == -1)
		log_warn("worker %ld: close", (long)w->pid);
	free(w);
}

static struct worker *
worker_by_pid(struct lspawn *ls, pid_t pid)
{
	struct workerq	*qs[] = { &ls->idle, &ls->busy, &ls->gone };
	struct worker	*w;
	size_t		 i;

	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		TAILQ_FOREACH(w, qs[i], entry)
			if (w->pid == pid)
				return w;
	return NULL;
}

void
pool_reap(struct lspawn *ls)
{
	struct worker	*w;
	pid_t		 pid;
	int		 st;

	for (;;) {
		pid = waitpid(-1, &st, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		if ((w = worker_by_pid(ls, pid)) != NULL)
			worker_reaped(ls, w, st);
	}
}
