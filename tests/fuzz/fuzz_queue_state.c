/*
 * libFuzzer target for lib/queue/queue_state.c: decodes the input as a state
 * file; whatever decodes must encode back to exactly the input bytes (the
 * format has one spelling per state), and hold values within their
 * limits (checked here: addresses QUEUE_ADDR_MAX, user names
 * USER_NAME_MAX, reasons QUEUE_REASON_MAX octets).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "queue_env.h"
#include "queue_state.h"
#include "users.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_state st;
	struct buf	 b;
	const char	*why;
	size_t		 i;

	if (queue_state_decode((const char *)data, size, &st, &why) == -1) {
		if (why == NULL)
			abort();
		return 0;
	}
	for (i = 0; i < st.njob; i++)
		if (strlen(st.job[i].rcpt) > QUEUE_ADDR_MAX ||
		    strlen(st.job[i].orig) > QUEUE_ADDR_MAX ||
		    strlen(st.job[i].ext) > QUEUE_ADDR_MAX ||
		    strlen(st.job[i].user) > USER_NAME_MAX ||
		    strlen(st.job[i].reason) > QUEUE_REASON_MAX)
			abort();
	buf_init(&b, QUEUE_STATE_MAX);
	if (queue_state_encode(&b, &st) != 0 || b.len != size ||
	    memcmp(b.data, data, size) != 0)
		abort();
	buf_free(&b);
	queue_state_free(&st);
	return 0;
}
