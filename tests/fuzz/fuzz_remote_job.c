/*
 * libFuzzer target for lib/queue/remote_job.c: the input is the payload
 * of one frame (NUL-separated fields, as lib/ipc/chan.c hands it over),
 * read as queued reads rspawn's results and ends (rspawn is not
 * trusted) and as rspawn reads a request.  What decodes must encode back
 * (a result, to the same fields; a request's DSN parameters, to the
 * same text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netstring.h"
#include "remote_job.h"

static struct chan_msg	m;

static int
load(const uint8_t *data, size_t size)
{
	memset(&m, 0, sizeof(m));
	memcpy(m.data, data, size);
	m.data[size] = '\0';
	m.len = size;
	m.nf = frame_split(m.data, size, m.f, CHAN_FIELDS_MAX);
	return m.nf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rjob	 j;
	static struct rjob_out	 o;
	struct rjob_fields	 f;
	struct rjob_result	 r;
	struct rjob_end		 e;
	size_t			 i;
	int			 kind, k;

	if (size > RJOB_FRAME_MAX || load(data, size) < 1)
		return 0;
	if (rjob_reply_decode(&m, &kind, &r, &e) == 0) {
		if (kind == 'R' && rjob_result_fields(&r, &f) != 0)
			abort();
		if (kind == 'E' && rjob_end_fields(&e, &f) != 0)
			abort();
		if (kind == 'R' && f.nf != RJOB_RES_FIELDS)
			abort();
		for (k = 0; k < f.nf; k++)
			if (strcmp(f.f[k], m.f[k]) != 0 && kind == 'R')
				abort();
	}
	if (load(data, size) < 1)
		return 0;
	if (rjob_decode(&m, &j) == 0) {
		if (j.nrcpt == 0 || j.nrcpt > RJOB_RCPT_MAX)
			abort();
		if (rjob_begin(&o, j.slot, j.id, j.sender, j.nexthop, j.ret,
		    j.envid) != 0)
			abort();
		for (i = 0; i < j.nrcpt; i++)
			if (rjob_add_rcpt(&o, j.rcpt[i], j.notify[i],
			    j.orcpt[i]) != 0)
				abort();
		if (o.nrcpt != j.nrcpt)
			abort();
		/* the request encodes back to the same bytes */
		if (strcmp(o.f[5], m.f[5]) != 0 || strcmp(o.f[6], m.f[6]) != 0)
			abort();
	}
	return 0;
}
