/*
 * libFuzzer target for lib/queue/qmail_env.c: feeds the input to the envelope
 * reader whole and in pieces of varying size (the first byte picks the
 * size), checks that both agree, that a whole envelope re-encodes to
 * what it was read as (the envelope byte for byte; its extension of DSN
 * parameters field for field, re-encoded and read again), that no
 * address is over QUEUE_ADDR_MAX octets, and that every error has a
 * code and a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "qmail_env.h"
#include "queue_env.h"

static enum qmail_env_status
read_env(struct qmail_env *e, const uint8_t *p, size_t n, size_t step,
    size_t *total)
{
	enum qmail_env_status st = QMAIL_ENV_MORE;
	size_t off = 0, used, k;

	*total = 0;
	qmail_env_init(e);
	while (off < n) {
		k = n - off < step ? n - off : step;
		st = qmail_env_feed(e, p + off, k, &used);
		if (used > k)
			abort();
		*total += used;
		if (st != QMAIL_ENV_MORE)
			return st;
		if (used != k)
			abort();
		off += k;
	}
	return qmail_env_eof(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmail_env a, b;
	enum qmail_env_status sa, sb;
	size_t ta, tb, step, i;
	struct buf out;

	if (size == 0)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	sa = read_env(&a, data, size, size + 1, &ta);
	sb = read_env(&b, data, size, step, &tb);
	if (sa != sb || (sa == QMAIL_ENV_ERROR && (a.code != b.code ||
	    a.why == NULL || (!qmail_exit_permanent(a.code) &&
	    a.code != QMAIL_EXIT_READ && a.code != QMAIL_EXIT_NOMEM))))
		abort();
	if (sa == QMAIL_ENV_DONE) {
		struct qmail_env_dsn d;
		struct qmail_env c;
		size_t tc;

		if (ta != tb || a.nrcpt != b.nrcpt || a.nrcpt == 0 ||
		    a.nrcpt > QUEUE_RCPT_MAX)
			abort();
		buf_init(&out, 4 * ta + 64);
		if (qmail_env_encode(&out, a.sender,
		    (const char *const *)a.rcpt, a.nrcpt) != 0 ||
		    out.len > ta || memcmp(out.data, data, out.len) != 0)
			abort();
		if (strlen(a.sender) > QUEUE_ADDR_MAX)
			abort();
		for (i = 0; i < a.nrcpt; i++)
			if (strcmp(a.rcpt[i], b.rcpt[i]) != 0 ||
			    strlen(a.rcpt[i]) > QUEUE_ADDR_MAX)
				abort();
		/* the extension, written again and read back */
		memset(&d, 0, sizeof(d));
		d.origin = a.origin;
		d.ret = a.ret;
		d.envid = a.envid;
		d.notify = a.notify;
		d.orcpt = (const char *const *)a.orcpt;
		buf_reset(&out);
		if (qmail_env_encode_dsn(&out, a.sender,
		    (const char *const *)a.rcpt, a.nrcpt, &d) != 0)
			abort();
		if (read_env(&c, (const uint8_t *)out.data, out.len,
		    out.len + 1, &tc) != QMAIL_ENV_DONE || tc != out.len ||
		    c.origin != a.origin || c.ret != a.ret ||
		    (a.envid == NULL) != (c.envid == NULL) ||
		    (a.envid != NULL && strcmp(a.envid, c.envid) != 0))
			abort();
		for (i = 0; i < a.nrcpt; i++) {
			if ((a.notify != NULL ? a.notify[i] : 0) !=
			    (c.notify != NULL ? c.notify[i] : 0))
				abort();
			if ((a.orcpt != NULL && a.orcpt[i] != NULL) !=
			    (c.orcpt != NULL && c.orcpt[i] != NULL) ||
			    (a.orcpt != NULL && a.orcpt[i] != NULL &&
			    strcmp(a.orcpt[i], c.orcpt[i]) != 0))
				abort();
		}
		qmail_env_free(&c);
		buf_free(&out);
	}
	qmail_env_free(&a);
	qmail_env_free(&b);
	return 0;
}
