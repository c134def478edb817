/*
 * libFuzzer target for the AUTH child's verdict to the resident smtpd
 * (resident_wire_verdict, smtpd/resident_wire.c, called by
 * resident_auth.c): [O, user] for good credentials, [B] for bad ones,
 * [T] when they could not be checked.  Both are root; the resident turns
 * anything else, or nothing, into TEMP, so no other frame may ever count
 * as a success, and the user name it keeps for the session (it decides
 * which senders it may use) is one the users table could hold.  Each
 * frame goes through a real SOCK_SEQPACKET pair and chan_recv at
 * CHAN_SMALL_MAX (fuzz_chan.h), as the resident reads it, and a frame the
 * channel refuses is no verdict.
 *
 * Input: a descriptor byte and a kinds byte (fuzz_chan.h), the frame.
 *
 * Checked against a reference: OK exactly for [O, user] without
 * descriptor, user 1 to USER_NAME_MAX octets without control byte, and
 * then the user kept is that field; BAD exactly for [B], TEMP for [T],
 * both without descriptor; anything else (a refused frame, end of file)
 * is NONE.  No descriptor stays open.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "fuzz_chan.h"
#include "smtpd.h"
#include "smtpd_resident.h"
#include "users.h"

static struct chan_msg	 msg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_fdset		 fdset;
	struct fz_frame		 fr;
	struct fz_fds		 d;
	enum resident_verdict	 v, want;
	char			 user[USER_NAME_MAX + 1];
	int			 r;

	if (!fz_begin(size, &fdset))
		return 0;
	memset(user, 'x', sizeof(user));
	r = fz_packet_input(data, size, CHAN_SMALL_MAX, &d, &msg, &fr);
	v = resident_wire_verdict(r, &msg, user);
	want = VERDICT_NONE;
	if (r == 1 && d.n == 0) {
		if (fr.nf == 2 && fz_field_is(&fr, 0, "O") &&
		    fz_field_text(&fr, 1, 1, USER_NAME_MAX))
			want = VERDICT_OK;
		else if (fr.nf == 1 && fz_field_is(&fr, 0, "B"))
			want = VERDICT_BAD;
		else if (fr.nf == 1 && fz_field_is(&fr, 0, "T"))
			want = VERDICT_TEMP;
	}
	if (v != want)
		abort();
	if (v == VERDICT_OK && (strlen(user) != fr.len[1] ||
	    memcmp(user, fr.f[1], fr.len[1]) != 0))
		abort();
	if (r == 1)
		chan_msg_wipe(&msg);
	fz_fds_same(&fdset);
	return 0;
}
