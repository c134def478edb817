/*
 * libFuzzer target for deliver/deliver_wire.c behind lib/ipc/chan.c's
 * framing: the input is one frame as it comes off the channel, as lspawn
 * receives it from a delivery worker (which it does not trust) and as a
 * worker receives a job.  Whatever chan_parse accepts must lie inside the
 * input; whatever decodes must be what lspawn may pass on, and its fields
 * must decode the same once sent again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "deliver_wire.h"
#include "netstring.h"

static char	wire[CHAN_WIRE_MAX + 1];

/* Frames f again and parses it; the field count. */
static int
again(const char *const *f, int nf, char **out)
{
	struct buf	 b;
	int		 n;

	buf_init(&b, CHAN_WIRE_MAX);
	if (frame_encode(&b, f, nf) == -1)
		abort();
	memcpy(wire, b.data, b.len);
	n = chan_parse(wire, b.len, DELIVER_WIRE_MAX, out, CHAN_FIELDS_MAX);
	buf_free(&b);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct delivery	 d, d2;
	char		*buf, *f[CHAN_FIELDS_MAX], *g[CHAN_FIELDS_MAX];
	const char	*text, *text2, *ef[DELIVER_JOB_FIELDS];
	const char	*rf[DELIVER_RESULT_FIELDS];
	size_t		 i;
	char		 status, status2, st[2];
	int		 nf, n;

	if (size > CHAN_WIRE_MAX)
		return 0;
	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	nf = chan_parse(buf, size, DELIVER_WIRE_MAX, f, CHAN_FIELDS_MAX);
	if (nf == -1) {
		free(buf);
		return 0;
	}
	for (i = 0; i < (size_t)nf; i++)
		if (f[i] < buf || f[i] >= buf + size)
			abort();
	if (deliver_result_decode(f, nf, &status, &text) == 0) {
		if (status != 'K' && status != 'Z' && status != 'D')
			abort();
		for (i = 0; text[i] != '\0'; i++)
			if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
				abort();
		if (i == 0 || i > DELIVER_TEXT_MAX)
			abort();
		if (deliver_result_fields(status, text, st, rf) != 0 ||
		    (n = again(rf, DELIVER_RESULT_FIELDS, g)) == -1 ||
		    deliver_result_decode(g, n, &status2, &text2) != 0 ||
		    status2 != status || strcmp(text2, text) != 0)
			abort();
	}
	if (deliver_job_decode(f, nf, &d) == 0) {
		if (deliver_job_fields(&d, ef) != 0 ||
		    (n = again(ef, DELIVER_JOB_FIELDS, g)) == -1 ||
		    deliver_job_decode(g, n, &d2) != 0 ||
		    strcmp(d.id, d2.id) != 0 || strcmp(d.sender, d2.sender) ||
		    strcmp(d.rcpt, d2.rcpt) || strcmp(d.maildir, d2.maildir) ||
		    d.check != d2.check)
			abort();
	}
	free(buf);
	return 0;
}
