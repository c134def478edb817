/*
 * libFuzzer target for lib/queue/queue_ctl.c and queue_list.c: the
 * input is one frame of queued's control socket as a netstring.  As a
 * request (what any local user sends queued), it is parsed with
 * qctl_req_parse; one that parses is written again with qctl_req_fields
 * and must parse to the same request.  As an answer (what facteurctl
 * reads from queued), its M and R frames are parsed with
 * qlist_msg_parse and qlist_job_parse, whose every accepted text must be
 * free of control bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "netstring.h"
#include "queue_ctl.h"
#include "queue_list.h"

static void
no_controls(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct chan_msg m;
	struct qctl_req	 r, r2;
	struct qlist_msg lm;
	struct qlist_job lj;
	struct buf	 b;
	const char	*f[3];
	char		*g[CHAN_FIELDS_MAX];
	int		 nf;

	if (size > CHAN_WIRE_MAX)
		return 0;
	memcpy(m.data, data, size);
	m.data[size] = '\0';
	if ((nf = chan_parse(m.data, size, CHAN_FRAME_MAX, m.f,
	    CHAN_FIELDS_MAX)) < 1)
		return 0;
	m.nf = nf;
	if (qctl_req_parse(m.f, m.nf, &r) == 0) {
		qctl_req_fields(&r, f);
		buf_init(&b, CHAN_WIRE_MAX);
		if (frame_encode(&b, f, 3) == -1)
			abort();
		if (chan_parse(b.data, b.len, CHAN_FRAME_MAX, g,
		    CHAN_FIELDS_MAX) != 3 ||
		    qctl_req_parse(g, 3, &r2) != 0 || r.verb != r2.verb ||
		    r.target != r2.target || strcmp(r.id, r2.id) != 0 ||
		    strcmp(r.domain, r2.domain) != 0)
			abort();
		buf_free(&b);
	}
	if (qlist_msg_parse(&m, &lm) == 0) {
		no_controls(lm.sender);
		no_controls(lm.origin);
		if (!queueid_valid(lm.id))
			abort();
	}
	if (qlist_job_parse(&m, &lj) == 0) {
		no_controls(lj.rcpt);
		no_controls(lj.orig);
		no_controls(lj.reason);
	}
	return 0;
}
