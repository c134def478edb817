/*
 * libFuzzer target for deliver/deliver_wire.c: the input is one packet, as
 * lspawn receives it from a delivery worker (which it does not trust)
 * and as a worker receives a job.  Whatever decodes must re-encode to the
 * same bytes, and a decoded result must be what lspawn may pass on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deliver_wire.h"

static char	pkt[DELIVER_WIRE_MAX + 1];
static char	out[DELIVER_WIRE_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct delivery	 d;
	const char	*text;
	size_t		 len, i;
	char		 status;

	if (size > DELIVER_WIRE_MAX)
		return 0;
	memcpy(pkt, data, size);
	pkt[size] = '\0';
	if (deliver_result_decode(pkt, size, &status, &text) == 0) {
		if (status != 'K' && status != 'Z' && status != 'D')
			abort();
		for (i = 0; text[i] != '\0'; i++)
			if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
				abort();
		if (i == 0 || i > DELIVER_TEXT_MAX)
			abort();
		if (deliver_result_encode(status, text, out, sizeof(out),
		    &len) != 0 || len != size || memcmp(out, data, size) != 0)
			abort();
	}
	memcpy(pkt, data, size);
	pkt[size] = '\0';
	if (deliver_job_decode(pkt, size, &d) == 0) {
		if (deliver_job_encode(&d, out, sizeof(out), &len) != 0 ||
		    len != size || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
