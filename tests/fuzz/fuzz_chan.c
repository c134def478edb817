/*
 * libFuzzer target for lib/ipc/chan.c's receive path, which every channel
 * between two processes goes through (docs/architecture.md, "Channels"):
 * framing, fields and descriptors, on both kinds of channel.
 *
 * Input: a mode byte, then (packet) a descriptor byte, a kinds byte and a
 * limit byte, or (stream) a chunk byte; the rest is what the peer writes.
 *
 *   packet (SOCK_SEQPACKET): the rest is one packet, sent with the
 *     descriptors asked for (0 to 10 of four kinds), maybe to a receiver
 *     that has SO_PASSCRED on (so that a control message of another kind
 *     comes with it), received with chan_recv or chan_recv_nowait on a
 *     channel whose limit is 256, 2048, 8192 or 1 to 256.  Checked: the
 *     frame is accepted exactly when the reference (fuzz_chan.h) reads one
 *     frame within the limit, no more than two descriptors came and no
 *     other control message; then the fields are the reference's and each
 *     descriptor is open, close-on-exec and of the kind sent.  Refused:
 *     EBADMSG, and every descriptor that came is closed.  An empty packet
 *     without descriptors is end of file.  An accepted frame sent again
 *     with chan_send arrives the same.
 *   stream (pipes): the rest is written into a pipe in chunks (1 to 255
 *     octets, or all at once), each received with chan_recv_nowait until
 *     it says "not yet", then end of file.  Checked: the frames are the
 *     reference's, in order; the stream ends in 0 when the bytes end on a
 *     frame boundary, ECONNRESET inside a frame, EBADMSG at the first
 *     malformed one; an accepted frame queued again (chan_queue,
 *     chan_flush) arrives the same.
 * No descriptor is left open after an input.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "fuzz_chan.h"

static struct chan_msg	 msg, again;

static size_t
limit_of(uint8_t mode, uint8_t small)
{
	switch ((mode >> 1) & 3) {
	case 0:
		return CHAN_SMALL_MAX;
	case 1:
		return 2048;
	case 2:
		return CHAN_FRAME_MAX;
	default:
		return (size_t)small + 1;
	}
}

/* An accepted frame, sent again through a channel of the same limit. */
static void
resend_packet(const struct chan_msg *m, size_t max)
{
	struct chan	 tx, rx;
	const char	*f[CHAN_FIELDS_MAX];
	int		 i;

	for (i = 0; i < m->nf; i++)
		f[i] = m->f[i];
	chan_init(&tx, fz_pair(0), CHAN_PACKET, max);
	chan_init(&rx, fz_pair(1), CHAN_PACKET, max);
	if (chan_send(&tx, f, m->nf, NULL, 0) != 0 ||
	    chan_recv(&rx, &again) != 1 || again.nf != m->nf || again.nfds)
		abort();
	for (i = 0; i < m->nf; i++)
		if (strcmp(again.f[i], m->f[i]) != 0)
			abort();
	tx.fd = rx.fd = -1;
	chan_close(&tx);
	chan_close(&rx);
}

static void
fuzz_packet(uint8_t mode, const uint8_t *p, size_t n)
{
	struct fz_frame	 fr;
	struct fz_fds	 d;
	struct chan	 c;
	uint8_t		 fdb, kinds, small;
	size_t		 max;
	int		 passcred = (mode >> 3) & 1, nowait = (mode >> 4) & 1;
	int		 on, r, want, i, rx;

	fdb = fz_byte(&p, &n);
	kinds = fz_byte(&p, &n);
	small = fz_byte(&p, &n);
	max = limit_of(mode, small);
	fz_fds_from(fdb, kinds, &d);
	rx = fz_pair(1);
	on = passcred;
	if (setsockopt(rx, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1)
		abort();
	chan_init(&c, fz_packet_send(p, n, &d), CHAN_PACKET, max);
	r = nowait ? chan_recv_nowait(&c, &msg) : chan_recv(&c, &msg);
	on = 0;
	(void)setsockopt(rx, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));

	if (passcred || d.n > CHAN_FDS_MAX)
		want = -1;
	else if (n == 0)
		want = d.n == 0 ? 0 : -1;
	else
		want = fz_ref_frame(p, n, max, &fr) > 0 ? 1 : -1;
	if (r != want || (r == -1 && errno != EBADMSG))
		abort();
	if (r == 1) {
		if (!fz_same_fields(&msg, &fr) || msg.nfds != d.n)
			abort();
		for (i = 0; i < msg.nfds; i++)
			if (!fz_fd_is(msg.fds[i], d.kind[i]))
				abort();
		chan_msg_close_fds(&msg);
		resend_packet(&msg, max);
	} else if (msg.nfds != 0 || msg.nf != 0)
		abort();
	/* nothing else is waiting */
	if (chan_recv_nowait(&c, &msg) != 2)
		abort();
	c.fd = -1;
	chan_close(&c);
}

/* An accepted stream frame, queued again through a pipe of its own. */
static void
resend_stream(const struct chan_msg *m, size_t max)
{
	struct chan	 tx, rx;
	const char	*f[CHAN_FIELDS_MAX];
	int		 pp[2], i;

	for (i = 0; i < m->nf; i++)
		f[i] = m->f[i];
	if (pipe(pp) == -1)
		abort();
	chan_init(&tx, pp[1], CHAN_STREAM, max);
	chan_init(&rx, pp[0], CHAN_STREAM, max);
	if (chan_queue(&tx, f, m->nf) != 0 || chan_flush(&tx) != 1 ||
	    chan_pending(&tx) != 0 || chan_recv(&rx, &again) != 1 ||
	    again.nf != m->nf)
		abort();
	for (i = 0; i < m->nf; i++)
		if (strcmp(again.f[i], m->f[i]) != 0)
			abort();
	chan_close(&tx);
	chan_close(&rx);
}

/* The stream so far: the input and how much of it the frames took. */
struct stream {
	const uint8_t	*p;
	size_t		 n, at, max;
};

static int
stream_take(void *arg, struct chan_msg *m)
{
	struct stream	*st = arg;
	struct fz_frame	 fr;
	size_t		 used;

	if (fz_ref_stream(st->p + st->at, st->n - st->at, st->max, &fr,
	    &used) != 1 || !fz_same_fields(m, &fr) || m->nfds != 0)
		abort();
	st->at += used;
	resend_stream(m, st->max);
	return 0;
}

static void
fuzz_stream(uint8_t mode, const uint8_t *p, size_t n)
{
	struct fz_frame	 fr;
	struct stream	 st;
	size_t		 used;
	uint8_t		 chunk;
	int		 r, ref;

	chunk = fz_byte(&p, &n);
	st.max = limit_of(mode, fz_byte(&p, &n));
	st.p = p;
	st.n = n;
	st.at = 0;
	r = fz_stream_feed(p, n, chunk, st.max, &msg, stream_take, &st);
	/* how the reference ends the stream after the last frame taken */
	ref = fz_ref_stream(p + st.at, n - st.at, st.max, &fr, &used);
	if (ref == 1)
		abort();
	if (ref == 0 && st.at == n ? r != 0 :
	    (r != -1 || errno != (ref == 0 ? ECONNRESET : EBADMSG)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_fdset	 fds;
	uint8_t		 mode;

	if (!fz_begin(size, &fds))
		return 0;
	mode = fz_byte(&data, &size);
	if (mode & 1)
		fuzz_stream(mode, data, size);
	else
		fuzz_packet(mode, data, size);
	fz_fds_same(&fds);
	return 0;
}
