/*
 * libFuzzer target for what a queue writer (a resident smtpd's child
 * running as the queue's owner) answers the resident, which is root:
 * [DONE, code] with enqueue's exit code for the message it was handed
 * (resident_wire_done, smtpd/resident_wire.c, called by
 * resident_qpool.c).  A writer that sends anything else is killed and
 * its message gets 451; so no other frame may pass for an answer, and a
 * code the resident passes on to the session is one enqueue can have.
 * Each frame goes through a real SOCK_SEQPACKET pair and chan_recv at
 * SMTPD_CHAN_MAX (fuzz_chan.h), as the resident reads it.
 *
 * Input: a descriptor byte and a kinds byte (fuzz_chan.h), the frame.
 *
 * Checked against a reference: accepted exactly when the bytes are one
 * frame [DONE, code] without descriptor, code in decimal (no sign, space
 * or leading zero) from 0 to 255; then the code is the field's.  No
 * descriptor stays open.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "fuzz_chan.h"
#include "smtpd.h"
#include "smtpd_resident.h"

static struct chan_msg	 msg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_fdset	 fdset;
	struct fz_frame	 fr;
	struct fz_fds	 d;
	long long	 rcode = 0;
	int		 r, want, code = -1, got;

	if (!fz_begin(size, &fdset))
		return 0;
	r = fz_packet_input(data, size, SMTPD_CHAN_MAX, &d, &msg, &fr);
	if (r == 1) {
		got = resident_wire_done(&msg, &code);
		want = fr.nf == 2 && d.n == 0 && fz_field_is(&fr, 0, "DONE") &&
		    fz_field_num(&fr, 1, 0, 255, &rcode) ? 0 : -1;
		if (got != want || (got == 0 && code != (int)rcode))
			abort();
		chan_msg_close_fds(&msg);
	}
	fz_fds_same(&fdset);
	return 0;
}
