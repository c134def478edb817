/*
 * libFuzzer target for the channel between the master and a resident
 * smtpd (both root; docs/architecture.md, "Channels"), both ways: what
 * the resident takes from the master (resident_wire_master,
 * smtpd/resident_wire.c: [C, seq, over] + the client's connection) and
 * what the master takes from a resident (resident_report_parse,
 * master/facteur_report.c: [S, seq, pid] and [E, seq]).  Each frame goes
 * through a real SOCK_SEQPACKET pair and chan_recv at CHAN_SMALL_MAX
 * (fuzz_chan.h), as both ends receive it.  A resident that gets a bad
 * frame from the master exits (fatalx), a master that gets a bad report
 * retires the resident: so neither may crash on any bytes, and neither
 * may take what is not exactly a frame of the table.
 *
 * Input: a direction byte (bit 0: 0 master -> resident, 1 resident ->
 * master), a descriptor byte and a kinds byte (fuzz_chan.h), the frame.
 *
 * Checked against a reference written here: accepted exactly when the
 * bytes are one frame within CHAN_SMALL_MAX and
 *   master -> resident: C, seq in decimal (no sign, space or leading
 *     zero) from 1 to 2^63-1, over "0" or "1", one descriptor;
 *   resident -> master: S with seq and a pid from 2 to 2^31-1, or E with
 *     seq; no descriptor;
 * and then the values are the fields'.  No descriptor stays open.
 */
#include <sys/types.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "facteur.h"
#include "fuzz_chan.h"
#include "smtpd.h"
#include "smtpd_resident.h"

static struct chan_msg	 msg;

static void
to_resident(const struct fz_frame *fr, const struct fz_fds *d)
{
	long long	 seq = 0, rseq = 0, rover = 0;
	int		 over = -1, ok, want;

	ok = resident_wire_master(&msg, &seq, &over) == 0;
	want = fr->nf == 3 && d->n == 1 && fz_field_is(fr, 0, "C") &&
	    fz_field_num(fr, 1, 1, LLONG_MAX, &rseq) &&
	    fz_field_num(fr, 2, 0, 1, &rover);
	if (ok != want || (ok && (seq != rseq || over != (int)rover)))
		abort();
}

static void
to_master(const struct fz_frame *fr, const struct fz_fds *d)
{
	long long	 seq = 0, rseq = 0, rpid = 0;
	pid_t		 pid = -1;
	char		 kind = 0;
	int		 ok, want;

	ok = resident_report_parse(&msg, &kind, &seq, &pid) == 0;
	want = d->n == 0 && ((fz_field_is(fr, 0, "S") && fr->nf == 3 &&
	    fz_field_num(fr, 1, 1, LLONG_MAX, &rseq) &&
	    fz_field_num(fr, 2, 2, INT32_MAX, &rpid)) ||
	    (fz_field_is(fr, 0, "E") && fr->nf == 2 &&
	    fz_field_num(fr, 1, 1, LLONG_MAX, &rseq)));
	if (ok != want)
		abort();
	if (ok && (kind != (char)fr->f[0][0] || seq != rseq ||
	    (long long)pid != rpid))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_fdset	 fdset;
	struct fz_frame	 fr;
	struct fz_fds	 d;
	uint8_t		 dir;
	int		 r;

	if (!fz_begin(size, &fdset))
		return 0;
	dir = fz_byte(&data, &size) & 1;
	r = fz_packet_input(data, size, CHAN_SMALL_MAX, &d, &msg, &fr);
	if (r == 1) {
		if (dir == 0)
			to_resident(&fr, &d);
		else
			to_master(&fr, &d);
		chan_msg_close_fds(&msg);
	}
	fz_fds_same(&fdset);
	return 0;
}
