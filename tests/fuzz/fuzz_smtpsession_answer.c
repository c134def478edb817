/*
 * libFuzzer target for what smtpsession (the program that forks a
 * resident's plaintext sessions) sends the resident smtpd: [R] when it has
 * started, then for each connection the resident hands it [P, pid] with
 * the new session's pidfd, or [F] when it could not fork
 * (resident_wire_ready and resident_wire_spawned, smtpd/resident_wire.c).
 * Both are root; a resident that gets anything else stops using
 * smtpsession and forks its sessions itself, so it must never take a
 * frame that is not one of these.  Each frame goes through a real
 * SOCK_SEQPACKET pair and chan_recv at SMTPD_CHAN_MAX (fuzz_chan.h).
 *
 * Input: a byte saying which answer is awaited (bit 0: 0 the first
 * frame, 1 the answer to a connection), a descriptor byte and a kinds
 * byte (fuzz_chan.h), the frame.
 *
 * Checked against a reference: [R] alone and without descriptor is
 * "ready"; [F] without descriptor is "could not fork"; [P, pid] with
 * exactly one descriptor and pid in decimal (no sign, space or leading
 * zero) from 1 to 2^31-1 is a session, with that pid; anything else is
 * refused.  No descriptor stays open.
 */
#include <sys/types.h>

#include <limits.h>
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
	long long	 rpid = 0;
	pid_t		 pid = -1;
	uint8_t		 which;
	int		 r, want, got;

	if (!fz_begin(size, &fdset))
		return 0;
	which = fz_byte(&data, &size) & 1;
	r = fz_packet_input(data, size, SMTPD_CHAN_MAX, &d, &msg, &fr);
	if (r == 1) {
		if (which == 0) {
			got = resident_wire_ready(&msg);
			want = fr.nf == 1 && d.n == 0 && fz_field_is(&fr, 0, "R") ?
			    0 : -1;
			if (got != want)
				abort();
		} else {
			got = resident_wire_spawned(&msg, &pid);
			if (fr.nf == 1 && d.n == 0 && fz_field_is(&fr, 0, "F"))
				want = 0;
			else if (fr.nf == 2 && d.n == 1 &&
			    fz_field_is(&fr, 0, "P") &&
			    fz_field_num(&fr, 1, 1, INT_MAX, &rpid))
				want = 1;
			else
				want = -1;
			if (got != want || (got == 1 && (long long)pid != rpid))
				abort();
		}
		chan_msg_close_fds(&msg);
	}
	fz_fds_same(&fdset);
	return 0;
}
