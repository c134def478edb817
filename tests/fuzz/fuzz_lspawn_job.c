/*
 * libFuzzer target for the jobs queued (facteur-queue) sends lspawn
 * (root) on a pipe: [J, slot, id, sender, recipient, user, extension,
 * check] (queue/queued_local.c writes them).  The input is what queued writes,
 * fed into a real pipe in chunks and received as lspawn's loop receives
 * it (chan_recv_nowait on a stream at LSPAWN_FRAME_MAX, fuzz_chan.h);
 * each frame goes through job_take (deliver/lspawn_job.c), lspawn's
 * verdict: a job that waits, or queued is broken and lspawn exits; each
 * job taken then through job_check, the checks of its values before any
 * user is looked up or any file opened.
 *
 * Input: a chunk byte (the pipe is written that many octets at a time,
 * all at once for 0), then the stream.
 *
 * Checked against a reference written here: the stream's frames are the
 * reference's, in order; lspawn gives up (exits) at the first that is not
 * one frame within LSPAWN_FRAME_MAX (EBADMSG), at the first that is not
 * a job of eight fields, or whose slot is not 1 to 6 decimal digits
 * without leading zero, or is held by a job still waiting, or whose check
 * is neither "0" nor "1"; it takes every other; a stream cut inside a frame is an end (ECONNRESET).  A job taken
 * passes job_check exactly when its queue ID is 14 Crockford base32
 * characters, its recipient is not empty, and no value holds a control
 * byte or passes 1000 octets; otherwise its result is a D.  The job keeps
 * its own copy of the frame.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "fuzz_chan.h"
#include "lspawn.h"

static struct chan_msg	 msg;

struct state {
	struct lspawn	 ls;
	const uint8_t	*p;
	size_t		 n, at;
	int		 gave_up;
};

/* 1 if a waiting job holds the slot of field 1. */
static int
ref_slot_used(const struct lspawn *ls, const struct fz_frame *fr)
{
	const struct job	*j;

	TAILQ_FOREACH(j, &ls->waiting, entry)
		if (strlen(j->slot) == fr->len[1] &&
		    memcmp(j->slot, fr->f[1], fr->len[1]) == 0)
			return 1;
	return 0;
}

static int
take(void *arg, struct chan_msg *m)
{
	struct state		*st = arg;
	struct fz_frame		 fr;
	struct job_result	 res;
	struct job		*j = NULL;
	const char		*why = NULL;
	long long		 slot;
	size_t			 used;
	int			 v, want, ok;

	if (fz_ref_stream(st->p + st->at, st->n - st->at, LSPAWN_FRAME_MAX,
	    &fr, &used) != 1 || !fz_same_fields(m, &fr))
		abort();
	st->at += used;
	want = fr.nf == JOB_FIELDS && fz_field_is(&fr, 0, "J") &&
	    fr.len[1] <= 6 && fz_field_num(&fr, 1, 0, 999999, &slot) &&
	    !ref_slot_used(&st->ls, &fr) &&
	    (fz_field_is(&fr, 7, "0") || fz_field_is(&fr, 7, "1")) ? 0 : -1;
	v = job_take(&st->ls, m, &j, &why);
	if (v != want || (v == -1 && (why == NULL || j != NULL)))
		abort();
	if (v == -1) {
		st->gave_up = 1;
		return -1;
	}
	/* its own copy: the receive buffer goes on with other frames */
	if (j == NULL || TAILQ_LAST(&st->ls.waiting, jobq) != j ||
	    j->id != j->frame + (m->f[2] - m->data) ||
	    strlen(j->sender) != fr.len[3] ||
	    memcmp(j->rcpt, fr.f[4], fr.len[4]) != 0 ||
	    j->check != fz_field_is(&fr, 7, "1"))
		abort();
	ok = fz_field_queueid(&fr, 2) && fr.len[4] > 0 &&
	    fz_field_text(&fr, 3, 0, 1000) && fz_field_text(&fr, 4, 1, 1000) &&
	    fz_field_text(&fr, 5, 0, 1000) && fz_field_text(&fr, 6, 0, 1000);
	memset(&res, 0, sizeof(res));
	v = job_check(j, &res);
	if (ok ? v != 0 : (v != -1 || res.status != 'D' || res.text[0] == '\0'))
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state	 st;
	struct fz_frame		 fr;
	struct fz_fdset		 fdset;
	struct job		*j;
	size_t			 used;
	uint8_t			 chunk;
	int			 r, ref;

	if (!fz_begin(size, &fdset))
		return 0;
	chunk = fz_byte(&data, &size);
	memset(&st, 0, sizeof(st));
	TAILQ_INIT(&st.ls.waiting);
	TAILQ_INIT(&st.ls.idle);
	TAILQ_INIT(&st.ls.busy);
	TAILQ_INIT(&st.ls.gone);
	st.p = data;
	st.n = size;
	r = fz_stream_feed(data, size, chunk, LSPAWN_FRAME_MAX, &msg, take,
	    &st);
	if (!st.gave_up) {
		ref = fz_ref_stream(data + st.at, size - st.at,
		    LSPAWN_FRAME_MAX, &fr, &used);
		if (ref == 1 || (ref == 0 && st.at == size ? r != 0 :
		    (r != -1 || errno != (ref == 0 ? ECONNRESET : EBADMSG))))
			abort();
	}
	while ((j = TAILQ_FIRST(&st.ls.waiting)) != NULL) {
		TAILQ_REMOVE(&st.ls.waiting, j, entry);
		job_free(j);
	}
	fz_fds_same(&fdset);
	return 0;
}
