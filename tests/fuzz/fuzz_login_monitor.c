/*
 * libFuzzer target for what a mailbox server's login process (it reads
 * the network, chrooted as login_user) can send its monitor (root): the
 * credentials frame [A, user, password] of lib/login/login_split.c (POP3
 * now; every login process built on login_split).  Each frame goes
 * through a real SOCK_SEQPACKET pair and chan_recv at LOGIN_FRAME_MAX
 * (fuzz_chan.h), then through login_split_take, the monitor's verdict:
 * credentials to check, end of file, or kill.
 *
 * Input: a state byte (bit 0: a session was already started; bit 1: the
 * monitor answered "close", too many failures), a descriptor byte and a
 * kinds byte (fuzz_chan.h), the frame.
 *
 * Checked against a reference: credentials exactly for one frame within
 * LOGIN_FRAME_MAX of three fields, the first "A", with no descriptor,
 * before any session and before "close"; end of file exactly for an empty packet without
 * descriptor; anything else kills the login process, with a reason for
 * the log.  After the monitor wipes the frame, nothing of it (the
 * password) is left in the receive buffer, and no descriptor stays open.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "fuzz_chan.h"
#include "login_split.h"

static struct chan_msg	 msg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_fdset	 fdset;
	struct fz_frame	 fr;
	struct fz_fds	 d;
	const char	*why = NULL;
	uint8_t		 sb;
	size_t		 i, len;
	int		 session, closed, r, v, want;

	if (!fz_begin(size, &fdset))
		return 0;
	sb = fz_byte(&data, &size);
	session = sb & 1;
	closed = (sb >> 1) & 1;
	r = fz_packet_input(data, size, LOGIN_FRAME_MAX, &d, &msg, &fr);
	v = login_split_take(r, &msg, session, closed, &why);
	if (r == 0)
		want = 0;
	else if (r == 1 && fr.nf == 3 && fz_field_is(&fr, 0, "A") &&
	    d.n == 0 && !session && !closed)
		want = 1;
	else
		want = -1;
	if (v != want || (v == -1 && (why == NULL || why[0] == '\0')))
		abort();
	/* what the monitor does with every frame once it is answered */
	len = msg.len;
	chan_msg_wipe(&msg);
	for (i = 0; i <= len && i < sizeof(msg.data); i++)
		if (msg.data[i] != '\0')
			abort();
	fz_fds_same(&fdset);
	return 0;
}
