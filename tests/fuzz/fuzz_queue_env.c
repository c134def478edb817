/*
 * libFuzzer target for lib/queue/queue_env.c: decodes the input as an envelope
 * file.  A failure must carry a reason and leave nothing allocated; a
 * success must hold only values fit for a record, and, the format having
 * one spelling per envelope, encode back to exactly the input bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "queue_env.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_env	 e;
	struct buf		 b;
	const char		*why = NULL;
	size_t			 i;

	if (queue_env_decode((const char *)data, size, &e, &why) == -1) {
		if (why == NULL || e.sender != NULL || e.rcpt != NULL ||
		    e.nrcpt != 0)
			abort();
		return 0;
	}
	if (!queueid_valid(e.id) || e.nrcpt == 0 || e.nrcpt > QUEUE_RCPT_MAX ||
	    !queue_value_ok(e.sender, strlen(e.sender)) ||
	    strlen(e.sender) > QUEUE_ADDR_MAX)
		abort();
	for (i = 0; i < e.nrcpt; i++)
		if (e.rcpt[i][0] == '\0' ||
		    !queue_value_ok(e.rcpt[i], strlen(e.rcpt[i])) ||
		    strlen(e.rcpt[i]) > QUEUE_ADDR_MAX)
			abort();
	buf_init(&b, size + 1);
	if (queue_env_encode(&b, &e) == -1 || b.len != size ||
	    memcmp(b.data, data, size) != 0)
		abort();
	buf_free(&b);
	queue_env_free(&e);
	return 0;
}
