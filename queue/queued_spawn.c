/*
 * queued_spawn: queued's end of the pipes to lspawn.  Jobs go out as
 * netstring frames ["J", slot, id, sender, recipient, user, extension];
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
#include "netstring.h"
#include "queued.h"

#define SLOT_MAX	1000	/* local_concurrency's upper limit */

static size_t	 slot_free[SLOT_MAX];
static size_t	 nfree;
static int	 slots_ready;

int
spawn_resize(struct queued *q, size_t n)
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
spawn_start(struct queued *q)
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
	q->to_fd = jp[1];
	q->from_fd = rp[0];
	if (fd_set_nonblock(q->to_fd, 1) == -1 ||
	    fd_set_nonblock(q->from_fd, 1) == -1)
		fatal("fcntl");
	buf_reset(&q->out);
	buf_reset(&q->in);
	log_debug("lspawn connection up");
	return 0;
fail:
	log_warn("starting lspawn");
	q->restart_at = now_wall() + QUEUED_RESTART_DELAY;
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
spawn_stop(struct queued *q, const char *why)
{
	struct qmsg	*m;
	size_t		 s, job;

	if (why != NULL && !q->stopping) {
		log_warnx("lspawn: %s; restarting it in %d s", why,
		    QUEUED_RESTART_DELAY);
		q->restart_at = now_wall() + QUEUED_RESTART_DELAY;
	}
	if (q->to_fd != -1)
		(void)close(q->to_fd);
	if (q->from_fd != -1)
		(void)close(q->from_fd);
	q->to_fd = q->from_fd = -1;
	buf_reset(&q->out);
	buf_reset(&q->in);
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
spawn_job(struct queued *q, struct qmsg *m, size_t job)
{
	const struct queue_job *j = &m->st.job[job];
	const char	*f[7];
	char		 slotstr[16];
	size_t		 s;
	int		 r;

	if (q->to_fd == -1 || q->nbusy >= q->nslot || nfree == 0)
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
	if (frame_encode(&q->out, f, 7) == -1) {
		log_warn("%s: cannot queue a job for lspawn", m->st.id);
		return -1;
	}
	nfree--;
	q->slot[s].msg = m;
	q->slot[s].job = job;
	q->nbusy++;
	m->busy[job] = 1;
	m->inflight++;
	return 0;
}

int
spawn_flush(struct queued *q)
{
	ssize_t	n;

	while (q->to_fd != -1 && q->out.len > 0) {
		n = write(q->to_fd, q->out.data, q->out.len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			spawn_stop(q, "cannot write to lspawn");
			return -1;
		}
		buf_consume(&q->out, (size_t)n);
	}
	return 0;
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
spawn_frame(struct queued *q, char *data, size_t dlen)
{
	char		*f[5];
	const char	*err;
	struct qmsg	*m;
	long long	 s;
	size_t		 job;
	int		 nf;

	if ((nf = frame_split(data, dlen, f, 5)) != 4)
		return -1;
	if (strcmp(f[0], "R") != 0)
		return -1;
	s = strtonum(f[1], 0, SLOT_MAX - 1, &err);
	if (err != NULL || (f[1][0] == '0' && f[1][1] != '\0'))
		return -1;
	if ((m = q->slot[s].msg) == NULL)
		return -1;
	if (strlen(f[2]) != 1 || strchr("KZD", f[2][0]) == NULL)
		return -1;
	if (!text_ok(f[3]))
		return -1;
	job = q->slot[s].job;
	slot_release(q, (size_t)s);
	msg_result(q, m, job, f[2][0], f[3]);
	return 0;
}

int
spawn_read(struct queued *q)
{
	char		 rb[16384];
	const char	*data;
	size_t		 dlen, used, off;
	ssize_t		 n;
	int		 r;

	for (;;) {
		n = read(q->from_fd, rb, sizeof(rb));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			spawn_stop(q, "read error");
			return -1;
		}
		if (n == 0) {
			spawn_stop(q, "lspawn exited");
			return -1;
		}
		if (buf_append(&q->in, rb, (size_t)n) == -1) {
			spawn_stop(q, "too much unframed input");
			return -1;
		}
		if ((size_t)n < sizeof(rb))
			break;
	}
	off = 0;
	while (off < q->in.len) {
		r = netstring_decode(q->in.data + off, q->in.len - off,
		    QUEUED_FRAME_MAX, &data, &dlen, &used);
		if (r == 0)
			break;
		if (r == -1 || spawn_frame(q, (char *)(uintptr_t)data,
		    dlen) == -1) {
			spawn_stop(q, "malformed frame from lspawn");
			return -1;
		}
		off += used;
		/* spawn_frame may have ended the connection */
		if (q->from_fd == -1)
			return -1;
	}
	buf_consume(&q->in, off);
	return 0;
}
