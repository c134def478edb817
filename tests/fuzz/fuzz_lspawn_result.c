/*
 * libFuzzer target for what a delivery worker (running as one recipient,
 * so as anyone who can get mail) can send lspawn (root) on its channel:
 * the result of its job, [R, K|Z|D, text] (deliver/deliver_wire.h).  Each
 * frame goes through a real SOCK_SEQPACKET pair and chan_recv at
 * DELIVER_WIRE_MAX (fuzz_chan.h), then through deliver_result_take,
 * lspawn's verdict (lspawn_pool.c): a result to pass on to queued, the
 * worker's end, or kill the worker (and defer its job).
 *
 * Input: a state byte (bit 0: the worker has a job), a descriptor byte
 * and a kinds byte (fuzz_chan.h), the frame.
 *
 * Checked against a reference written here: a result exactly for one
 * frame within DELIVER_WIRE_MAX of three fields, "R", one of K, Z and D,
 * and 1 to DELIVER_TEXT_MAX octets without control byte, with no
 * descriptor, from a worker that has a job; then the status and the text
 * are the fields'.  An empty packet is the worker's end; anything else
 * (bytes that are not one frame, too many descriptors, any frame while it
 * has no job) kills it.  No descriptor stays open.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "deliver_wire.h"
#include "fuzz_chan.h"

static struct chan_msg	 msg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_fdset			 fdset;
	struct fz_frame			 fr;
	struct fz_fds			 d;
	enum deliver_wire_verdict	 v, want;
	const char			*text = NULL;
	char				 status = 0;
	uint8_t				 sb;
	int				 busy, r;

	if (!fz_begin(size, &fdset))
		return 0;
	sb = fz_byte(&data, &size);
	busy = sb & 1;
	r = fz_packet_input(data, size, DELIVER_WIRE_MAX, &d, &msg, &fr);
	v = deliver_result_take(r, r == -1 ? errno : 0, msg.f, msg.nf,
	    msg.nfds, busy, &status, &text);
	if (r == 0)
		want = WIRE_END;
	else if (r == 1 && busy && d.n == 0 && fr.nf == 3 &&
	    fz_field_is(&fr, 0, "R") && fr.len[1] == 1 &&
	    (fr.f[1][0] == 'K' || fr.f[1][0] == 'Z' || fr.f[1][0] == 'D') &&
	    fz_field_text(&fr, 2, 1, DELIVER_TEXT_MAX))
		want = WIRE_RESULT;
	else
		want = WIRE_KILL;
	if (v != want)
		abort();
	if (v == WIRE_RESULT && (status != (char)fr.f[1][0] ||
	    strlen(text) != fr.len[2] || memcmp(text, fr.f[2], fr.len[2]) != 0))
		abort();
	if (r == 1)
		chan_msg_close_fds(&msg);
	fz_fds_same(&fdset);
	return 0;
}
