/*
 * libFuzzer target for what queued (facteur-queue after it drops root)
 * can send its keeper (root), which starts lspawn for it: [S] with the
 * read end of the job pipe and the write end of the result pipe, and [C]
 * with the configuration the next lspawn runs on (queue/queued_keeper.c).  Each frame goes through a real SOCK_SEQPACKET
 * pair and chan_recv at CHAN_SMALL_MAX (fuzz_chan.h), with descriptors of
 * every kind, then through keeper_take, the keeper's verdict: start
 * lspawn on the two descriptors, keep the configuration, end of file, or
 * exit.
 *
 * Input: a descriptor byte and a kinds byte (fuzz_chan.h), the frame.
 *
 * Checked against a reference written here: lspawn is started exactly
 * for one frame [S] within CHAN_SMALL_MAX with two descriptors, the first
 * a pipe's read end and the second a pipe's write end; the configuration
 * is kept exactly for one frame [C] with one descriptor, a memfd sealed
 * against writing that a process of the keeper's user made (never one
 * another user made, as queued after giving up root, nor a regular file
 * open read-only, a writable memfd, /dev/null, a pipe or a socket); an
 * empty packet without descriptor is the end; anything else ends the
 * keeper.  [R] starts rspawn only on a SOCK_SEQPACKET socket, a kind
 * fuzz_chan.h never sends: here every [R] ends the keeper.  No
 * descriptor stays open.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "fuzz_chan.h"
#include "queued.h"

static struct chan_msg	 msg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_fdset	 fdset;
	struct fz_frame	 fr;
	struct fz_fds	 d;
	int		 r, v, want;

	if (!fz_begin(size, &fdset))
		return 0;
	r = fz_packet_input(data, size, CHAN_SMALL_MAX, &d, &msg, &fr);
	v = keeper_take(r, &msg);
	if (r == 0)
		want = 0;
	else if (r == 1 && fr.nf == 1 && fz_field_is(&fr, 0, "S") &&
	    d.n == 2 && d.kind[0] == FZ_FD_PIPE && d.kind[1] == FZ_FD_PIPE_W)
		want = 1;
	else if (r == 1 && fr.nf == 1 && fz_field_is(&fr, 0, "C") &&
	    d.n == 1 && d.kind[0] == FZ_FD_MEMFD)
		want = 2;
	else
		want = -1;
	if (v != want)
		abort();
	if (r == 1)
		chan_msg_close_fds(&msg);
	fz_fds_same(&fdset);
	return 0;
}
