/*
 * libFuzzer target for lib/queue/queue_state.c: decodes the input as a state
 * file; whatever decodes must encode back to exactly the input bytes (the
 * format has one spelling per state).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "queue_state.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_state st;
	struct buf	 b;
	const char	*why;

	if (queue_state_decode((const char *)data, size, &st, &why) == -1) {
		if (why == NULL)
			abort();
		return 0;
	}
	buf_init(&b, QUEUE_STATE_MAX);
	if (queue_state_encode(&b, &st) != 0 || b.len != size ||
	    memcmp(b.data, data, size) != 0)
		abort();
	buf_free(&b);
	queue_state_free(&st);
	return 0;
}
