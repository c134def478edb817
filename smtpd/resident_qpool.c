/*
 * resident_qpool: the resident's pool of queue writers (qpool_*), from
 * the resident's side; a writer's own process is qwriter.c.  A queue
 * writer is a long-lived child of the resident that has the identity of
 * the queue's owner (as enqueue has) and queues one message after
 * another with lib/queue/queue_inject.c: what the per-message child of a
 * per-connection smtpd does, without a fork and an exit per message.
 *
 * The resident hands a writer a job over a channel of its own
 * (lib/ipc/chan.h): the frame [JOB, id] (the queue ID the session chose)
 * with the read ends of the session's two pipes (message, envelope); the
 * writer answers [DONE, code] with queue_inject's code (enqueue's exit
 * code) and waits for the next job.  A writer serves one message at a
 * time.  When
 * none is idle a new one is started, up to smtpd_queue_writers; beyond
 * that (or when smtpd_queue_filter is set, or this smtpd cannot take the
 * queue owner's identity) the message gets a child of its own
 * (monitor_queue_child), as under a per-connection monitor.
 * A writer idle for QWRITER_IDLE seconds is told to go (end of file on
 * its channel); so is every writer when the resident ends.
 *
 * A writer that dies costs at most the message it had: if the queue
 * shows that message committed (env/<id> with the envelope the monitor
 * wrote), the session is told 0 and the client 250; else 111 (451), and
 * nothing of it stays in the queue.  A writer that says anything but
 * DONE is killed and its message gets 111.  So nothing said 250 depends
 * on a writer.  The writer holds nothing of the
 * resident's but the configuration: it drops the users table and the TLS
 * key before it takes the queue owner's identity.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "child.h"
#include "fdio.h"
#include "gsync.h"
#include "log.h"
#include "queue_inject.h"
#include "queueid.h"
#include "smtpd.h"
#include "smtpd_resident.h"
#include "tls.h"
#include "users.h"

void
qpool_init(struct qpool *p, const struct conf *conf,
    const struct smtpd_opts *opts)
{
	int	 i;

	memset(p, 0, sizeof(*p));
	p->conf = conf;
	p->opts = opts;
	p->gsync_fd = -1;
	p->max = (int)conf_int(conf, "smtpd_queue_writers");
	p->usable = p->max > 0 && monitor_queue_in_process(conf);
	if (p->max == 0)
		return;
	if ((p->w = reallocarray(NULL, (size_t)p->max, sizeof(*p->w))) ==
	    NULL) {
		log_warn("queue writers");
		p->usable = 0;
		p->max = 0;
		return;
	}
	for (i = 0; i < p->max; i++) {
		p->w[i].pid = -1;
		p->w[i].owner = NULL;
		chan_init(&p->w[i].chan, -1, CHAN_PACKET, SMTPD_CHAN_MAX);
	}
	/* without it every writer fsyncs the folders for itself */
	if (p->usable && (p->gsync_fd = gsync_create()) == -1)
		log_warn("queue writers: group commit");
}

/* Frees slot i; the writer, if alive, ends at end of file. */
static void
qpool_free_slot(struct qpool *p, int i)
{
	struct qwriter	*w = &p->w[i];

	chan_close(&w->chan);
	w->pid = -1;
	w->owner = NULL;
}

/*
 * A writer that failed: kill it, free the slot, and give its message a
 * result.  One that is gone (dead) gets the result the queue shows
 * (resident_conn_job_lost: 0 if its message was committed before it
 * went, else 111); one that said something else is killed now and may
 * still be running, so its message is 111 (a duplicate at worst, if it
 * was committed).
 */
static void
qpool_fail(struct qpool *p, int i, const char *why, int dead)
{
	struct qwriter	*w = &p->w[i];
	struct rconn	*owner = w->owner;
	int		 r = 0;

	log_warnx("queue writer %ld: %s", (long)w->pid, why);
	if (w->pid > 0)
		(void)kill(w->pid, SIGKILL);
	qpool_free_slot(p, i);
	if (owner != NULL)
		r = dead ? resident_conn_job_lost(owner) :
		    resident_conn_job_done(owner, 111);
	if (r == -1)
		resident_conn_kill(owner);
}

static int
qpool_spawn(struct qpool *p, int i)
{
	struct qwriter	*w = &p->w[i];
	int		 sp[2];
	pid_t		 pid;

	if (chan_pair(sp) == -1) {
		log_warn("queue writer: socketpair");
		return -1;
	}
	/* "enqueue" in ps, as the program whose work it does */
	if ((pid = child_fork("enqueue", 0)) == -1) {
		log_warn("queue writer: fork");
		(void)close(sp[0]);
		(void)close(sp[1]);
		return -1;
	}
	if (pid == 0) {
		(void)close(sp[0]);
		qwriter_run(p->conf, p->opts, sp[1], p->gsync_fd);
	}
	(void)close(sp[1]);
	if (fd_set_nonblock(sp[0], 1) == -1) {
		(void)close(sp[0]);
		(void)kill(pid, SIGKILL);
		return -1;
	}
	chan_init(&w->chan, sp[0], CHAN_PACKET, SMTPD_CHAN_MAX);
	w->pid = pid;
	w->owner = NULL;
	w->idle_since = time(NULL);
	log_debug("queue writer %ld started", (long)pid);
	return 0;
}

int
qpool_submit(struct qpool *p, struct rconn *rc, const char *id, int msg_r,
    int env_r)
{
	const char	*f[2] = { "JOB", id };
	int		 fds[2] = { msg_r, env_r };
	int		 i, idle = -1, free_slot = -1;

	if (!p->usable)
		return -1;
	for (i = 0; i < p->max; i++) {
		if (p->w[i].pid == -1) {
			if (free_slot == -1)
				free_slot = i;
		} else if (p->w[i].owner == NULL && idle == -1)
			idle = i;
	}
	if (idle == -1) {
		if (free_slot == -1 || qpool_spawn(p, free_slot) == -1)
			return -1;
		idle = free_slot;
	}
	if (chan_send(&p->w[idle].chan, f, 2, fds, 2) == -1) {
		qpool_fail(p, idle, "cannot hand it a job", 0);
		return -1;
	}
	(void)close(msg_r);
	(void)close(env_r);
	p->w[idle].owner = rc;
	return idle;
}

void
qpool_detach(struct qpool *p, int i)
{
	if (i >= 0 && i < p->max)
		p->w[i].owner = NULL;
}

int
qpool_pollfds(struct qpool *p, struct pollfd *pfd, int max)
{
	int	 i, n = 0;

	for (i = 0; i < p->max && n < max; i++)
		if (p->w[i].pid != -1) {
			pfd[n].fd = p->w[i].chan.fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
	return n;
}

/* Reads what writer i sent: 0, or -1 when it failed (slot freed). */
static int
qpool_read(struct qpool *p, int i)
{
	struct qwriter	*w = &p->w[i];
	struct rconn	*owner;
	struct chan_msg	 msg;
	int		 r, code;

	for (;;) {
		r = chan_recv_nowait(&w->chan, &msg);
		if (r == 2)
			return 0;
		if (r == 0) {
			qpool_fail(p, i, "gone", 1);
			return -1;
		}
		if (r == -1 || resident_wire_done(&msg, &code) == -1 ||
		    w->owner == NULL) {
			if (r == 1)
				chan_msg_close_fds(&msg);
			qpool_fail(p, i, "unexpected frame", 0);
			return -1;
		}
		owner = w->owner;
		w->owner = NULL;
		w->idle_since = time(NULL);
		if (resident_conn_job_done(owner, code) == -1)
			resident_conn_kill(owner);
	}
}

void
qpool_events(struct qpool *p, const struct pollfd *pfd, int n)
{
	int	 i, k;

	/*
	 * By descriptor, not by position: between poll and now a message may
	 * have started a writer in a free slot or failed one.
	 */
	for (k = 0; k < n; k++) {
		if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		for (i = 0; i < p->max; i++)
			if (p->w[i].pid != -1 && p->w[i].chan.fd == pfd[k].fd) {
				(void)qpool_read(p, i);
				break;
			}
	}
}

int
qpool_reaped(struct qpool *p, pid_t pid)
{
	int	 i;

	for (i = 0; i < p->max; i++) {
		if (p->w[i].pid != pid)
			continue;
		/* reaped: its pid must never be signalled again */
		p->w[i].pid = 0;
		/* a last DONE may still be on the channel */
		if (p->w[i].owner != NULL && qpool_read(p, i) == -1)
			return 1;
		qpool_fail(p, i, "exited", 1);
		return 1;
	}
	return 0;
}

void
qpool_tick(struct qpool *p, time_t now)
{
	int	 i;

	for (i = 0; i < p->max; i++)
		if (p->w[i].pid != -1 && p->w[i].owner == NULL &&
		    now - p->w[i].idle_since >= QWRITER_IDLE) {
			log_debug("queue writer %ld idle; retired",
			    (long)p->w[i].pid);
			qpool_free_slot(p, i);
		}
}

void
qpool_close(struct qpool *p)
{
	int	 i;

	for (i = 0; i < p->max; i++)
		if (p->w[i].pid != -1)
			qpool_free_slot(p, i);
	free(p->w);
	p->w = NULL;
	p->max = 0;
	p->usable = 0;
	if (p->gsync_fd != -1)
		(void)close(p->gsync_fd);
	p->gsync_fd = -1;
}
