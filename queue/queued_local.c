/*
 * queued_local: queued's local transport, its end of the pipes to lspawn
 * (local_*), a channel each way (lib/ipc/chan.h, CHAN_STREAM).  Jobs go out as frames
 * ["J", slot, id, sender, recipient, user, extension];
 * results come back as ["R", slot, K|Z|D, text].  A frame that is not
 * exactly that (unknown slot, slot not in use, bad status, control bytes
 * in the text, a broken netstring) ends the connection: lspawn is treated
 * as dead, its jobs become temporary failures, and it is restarted after
 * QUEUED_RESTART_DELAY seconds through the keeper.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "chan.h"
#include "queued.h"

#define SLOT_MAX	1000	/* local_concurrency's upper limit */

static size_t	 slot_free[SLOT_MAX];
static size_t	 nfree;
static int	 slots_ready;

int
local_resize(struct queued *q, size_t n)
{
	size_t	i;

	if (n == 0 || n > SLOT_MAX)
		return -1;
	if (!slots_ready) {
		if ((q->slot = calloc(SLOT_MAX, sizeof(*q->slot))) == NULL)
			fatal("calloc");
		/* a stack: slot 0 is handed out first */
		for (i = 0; i < SLOT_MAX; i++)
			slot_free[i] = SLOT_MAX - 1 - i;
		nfree = SLOT_MAX;
		slots_ready = 1;
	}
	q->nslot = n;
	return 0;
}

int
local_start(struct queued *q)
{
	int	jp[2], rp[2];

	q->restart_at = 0;
	if (pipe2(jp, O_CLOEXEC) == -1)
		goto fail;
	if (pipe2(rp, O_CLOEXEC) == -1) {
		(void)close(jp[0]);
		(void)close(jp[1]);
		goto fail;
	}
	if (keeper_exec(q, jp[0], rp[1]) == -1) {
		log_warn("cannot ask the keeper to start lspawn");
		(void)close(jp[0]);
		(void)close(jp[1]);
		(void)close(rp[0]);
		(void)close(rp[1]);
		goto fail;
	}
	(void)close(jp[0]);
	(void)close(rp[1]);
	if (fd_set_nonblock(jp[1], 1) == -1 || fd_set_nonblock(rp[0], 1) == -1)
		fatal("fcntl");
	chan_close(&q->to);
	chan_close(&q->from);
	chan_init(&q->to, jp[1], CHAN_STREAM, QUEUED_FRAME_MAX);
	chan_init(&q->from, rp[0], CHAN_STREAM, QUEUED_FRAME_MAX);
	log_debug("lspawn connection up");
	return 0;
fail:
	log_warn("starting lspawn");
	q->restart_at = queued_time() + QUEUED_RESTART_DELAY;
	return -1;
}

static void
slot_release(struct queued *q, size_t s)
{
	q->slot[s].msg = NULL;
	q->nbusy--;
	slot_free[nfree++] = s;
}

void
local_stop(struct queued *q, const char *why)
{
	struct qmsg	*m;
	size_t		 s, job;

	if (why != NULL && !q->stopping) {
		log_warnx("lspawn: %s; restarting it in %d s", why,
		    QUEUED_RESTART_DELAY);
		q->restart_at = queued_time() + QUEUED_RESTART_DELAY;
	}
	chan_close(&q->to);
	chan_close(&q->from);
	for (s = 0; s < SLOT_MAX && q->nbusy > 0; s++) {
		if ((m = q->slot[s].msg) == NULL)
			continue;
		job = q->slot[s].job;
		slot_release(q, s);
		if (q->stopping) {
			/* not an attempt: left pending for the next start */
			m->busy[job] = 0;
			m->inflight--;
		} else
			msg_result(q, m, job, 'Z', "4.3.0 lspawn connection "
			    "lost");
	}
}

int
local_job(struct queued *q, struct qmsg *m, size_t job)
{
	const struct queue_job *j = &m->st.job[job];
	const char	*f[8];
	char		 slotstr[16];
	size_t		 s;
	int		 r;

	if (q->to.fd == -1 || q->nbusy >= q->nslot || nfree == 0)
		return -1;
	s = slot_free[nfree - 1];
	r = snprintf(slotstr, sizeof(slotstr), "%zu", s);
	if (r < 0 || (size_t)r >= sizeof(slotstr))
		return -1;
	f[0] = "J";
	f[1] = slotstr;
	f[2] = m->st.id;
	f[3] = m->sender;
	f[4] = j->rcpt;
	f[5] = j->user;
	f[6] = j->ext;
	/*
	 * Look in the Maildir first when an earlier attempt's result may
	 * have been lost: a message from before this queued started, or a
	 * job tried before (its temporary failure may have been lspawn or
	 * a worker dying after the link into new/).
	 */
	f[7] = m->recovered || j->attempts > 0 ? "1" : "0";
	if (chan_queue(&q->to, f, 8) == -1) {
		log_warn("%s: cannot queue a job for lspawn", m->st.id);
		return -1;
	}
	nfree--;
	q->slot[s].msg = m;
	q->slot[s].job = job;
	q->nbusy++;
	m->busy[job] = 1;
	m->inflight++;
	if (m->jstart != NULL)
		m->jstart[job] = queued_time_precise();
	return 0;
}

int
local_flush(struct queued *q)
{
	if (q->to.fd == -1 || chan_flush(&q->to) != -1)
		return 0;
	local_stop(q, "cannot write to lspawn");
	return -1;
}

static int
text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* One result frame; -1 when it is malformed. */
static int
local_frame(struct queued *q, const struct chan_msg *fr)
{
	const char	*err;
	struct qmsg	*m;
	long long	 s;
	size_t		 job;

	if (fr->nf != 4 || strcmp(fr->f[0], "R") != 0)
		return -1;
	s = strtonum(fr->f[1], 0, SLOT_MAX - 1, &err);
	if (err != NULL || (fr->f[1][0] == '0' && fr->f[1][1] != '\0'))
		return -1;
	if ((m = q->slot[s].msg) == NULL)
		return -1;
	if (strlen(fr->f[2]) != 1 || strchr("KZD", fr->f[2][0]) == NULL)
		return -1;
	if (!text_ok(fr->f[3]))
		return -1;
	job = q->slot[s].job;
	slot_release(q, (size_t)s);
	msg_result(q, m, job, fr->f[2][0], fr->f[3]);
	return 0;
}

int
local_read(struct queued *q)
{
	struct chan_msg	 m;
	int		 r;

	/* local_frame may end the connection */
	while (q->from.fd != -1) {
		r = chan_recv_nowait(&q->from, &m);
		if (r == 2)
			break;
		if (r == 0 || (r == -1 && errno == ECONNRESET)) {
			local_stop(q, "lspawn exited");
			return -1;
		}
		if (r == -1 && errno != EBADMSG) {
			local_stop(q, "read error");
			return -1;
		}
		if (r == -1 || local_frame(q, &m) == -1) {
			local_stop(q, "malformed frame from lspawn");
			return -1;
		}
	}
	return 0;
}
