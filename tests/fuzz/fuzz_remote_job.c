/*
 * libFuzzer target for lib/queue/remote_job.c: the input is one packet
 * as queued receives it from rspawn (results and ends; rspawn is not
 * trusted) and as rspawn receives a request.  What decodes must encode
 * back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remote_job.h"

static char	pkt[RJOB_PACKET_MAX + 1];
static char	out[RJOB_PACKET_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rjob	 j;
	struct rjob_result	 r;
	struct rjob_end		 e;
	size_t			 len, i;
	int			 kind;

	if (size > RJOB_PACKET_MAX)
		return 0;
	memcpy(pkt, data, size);
	pkt[size] = '\0';
	if (rjob_reply_decode(pkt, size, &kind, &r, &e) == 0) {
		if (kind == 'R' && (rjob_result_encode(&r, out, sizeof(out),
		    &len) != 0 || len != size || memcmp(out, data, size) != 0))
			abort();
		if (kind == 'E' && rjob_end_encode(&e, out, sizeof(out),
		    &len) != 0)
			abort();
	}
	memcpy(pkt, data, size);
	pkt[size] = '\0';
	if (rjob_decode(pkt, size, &j) == 0) {
		if (j.nrcpt == 0 || j.nrcpt > RJOB_RCPT_MAX)
			abort();
		if (rjob_begin(out, sizeof(out), &len, j.slot, j.id, j.sender,
		    j.nexthop) != 0)
			abort();
		for (i = 0; i < j.nrcpt; i++)
			if (rjob_add_rcpt(out, sizeof(out), &len, j.rcpt[i]) !=
			    0)
				abort();
		if (len != size || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
