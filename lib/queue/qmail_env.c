/*
 * qmail_env: reading and writing the envelope of the qmail-queue protocol
 * (`F<sender>\0T<rcpt>\0...\0`) and naming enqueue's exit codes.  The
 * reader takes bytes in pieces of any size and classifies every bad input
 * with the exit code qmail-queue(8) gives it.
 *
 * Trust: the envelope is the caller's (any local user, through the
 * set-uid enqueue): every record is checked for length, count and
 * control bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "qmail_env.h"
#include "queue_env.h"

int
qmail_exit_permanent(int code)
{
	return code >= 11 && code <= 40;
}

void
qmail_exit_log(const char *id, int code, const char *why)
{
	if (qmail_exit_permanent(code))
		log_info("%s: refused: %s (exit %d, %s)", id, why, code,
		    qmail_exit_text(code));
	else
		log_warnx("%s: failed: %s (exit %d, %s)", id, why, code,
		    qmail_exit_text(code));
}

const char *
qmail_exit_text(int code)
{
	switch (code) {
	case QMAIL_EXIT_OK:		return "queued";
	case QMAIL_EXIT_ADDR_LONG:	return "address too long";
	case QMAIL_EXIT_ENV_BAD:	return "envelope malformed";
	case QMAIL_EXIT_RCPT_MANY:	return "too many recipients";
	case QMAIL_EXIT_TOO_BIG:	return "message too large";
	case QMAIL_EXIT_CALLER:		return "configuration not allowed for this caller";
	case QMAIL_EXIT_NOMEM:		return "out of memory";
	case QMAIL_EXIT_TIMEOUT:	return "timeout reading input";
	case QMAIL_EXIT_WRITE:		return "write error or disk full";
	case QMAIL_EXIT_READ:		return "cannot read message or envelope";
	case QMAIL_EXIT_CONF:		return "cannot read configuration";
	case QMAIL_EXIT_QUEUE:		return "queue directory problem";
	case QMAIL_EXIT_NOSPACE:	return "queue file system low on free space";
	case QMAIL_EXIT_INTERNAL:	return "internal error";
	default:
		return qmail_exit_permanent(code) ? "permanent failure" :
		    "temporary failure";
	}
}

void
qmail_env_init(struct qmail_env *e)
{
	memset(e, 0, sizeof(*e));
	/* A record is its tag plus at most QUEUE_ADDR_MAX octets. */
	buf_init(&e->rec, 1 + QUEUE_ADDR_MAX);
	e->status = QMAIL_ENV_MORE;
}

void
qmail_env_free(struct qmail_env *e)
{
	size_t i;

	buf_free(&e->rec);
	free(e->sender);
	for (i = 0; i < e->nrcpt; i++)
		free(e->rcpt[i]);
	free(e->rcpt);
	memset(e, 0, sizeof(*e));
}

static enum qmail_env_status
env_fail(struct qmail_env *e, int code, const char *why)
{
	e->status = QMAIL_ENV_ERROR;
	e->code = code;
	e->why = why;
	return e->status;
}

static int
byte_is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* A whole record (without its NUL) is in e->rec. */
static enum qmail_env_status
env_record(struct qmail_env *e)
{
	const char *r = e->rec.data;
	size_t len = e->rec.len;
	char *value, **nr;

	if (e->sender == NULL) {
		if (len == 0 || r[0] != 'F')
			return env_fail(e, QMAIL_EXIT_ENV_BAD,
			    "no sender record");
		if ((e->sender = strndup(r + 1, len - 1)) == NULL)
			return env_fail(e, QMAIL_EXIT_NOMEM, "out of memory");
		return QMAIL_ENV_MORE;
	}
	if (len == 0) {
		if (e->nrcpt == 0)
			return env_fail(e, QMAIL_EXIT_ENV_BAD, "no recipient");
		e->status = QMAIL_ENV_DONE;
		return e->status;
	}
	if (r[0] != 'T')
		return env_fail(e, QMAIL_EXIT_ENV_BAD, "bad record");
	if (len == 1)
		return env_fail(e, QMAIL_EXIT_ENV_BAD, "empty recipient");
	if (e->nrcpt >= QUEUE_RCPT_MAX)
		return env_fail(e, QMAIL_EXIT_RCPT_MANY, "too many recipients");
	if (e->nrcpt == e->rcptcap) {
		size_t cap = e->rcptcap ? e->rcptcap * 2 : 16;

		if (cap > QUEUE_RCPT_MAX)
			cap = QUEUE_RCPT_MAX;
		nr = reallocarray(e->rcpt, cap, sizeof(*nr));
		if (nr == NULL)
			return env_fail(e, QMAIL_EXIT_NOMEM, "out of memory");
		e->rcpt = nr;
		e->rcptcap = cap;
	}
	if ((value = strndup(r + 1, len - 1)) == NULL)
		return env_fail(e, QMAIL_EXIT_NOMEM, "out of memory");
	e->rcpt[e->nrcpt++] = value;
	return QMAIL_ENV_MORE;
}

enum qmail_env_status
qmail_env_feed(struct qmail_env *e, const void *p, size_t n, size_t *used)
{
	const unsigned char *s = p;
	size_t i = 0, start, end;
	const unsigned char *nul;

	*used = 0;
	if (e->status != QMAIL_ENV_MORE)
		return e->status;
	while (i < n) {
		start = i;
		nul = memchr(s + i, '\0', n - i);
		end = nul ? (size_t)(nul - s) : n;
		/*
		 * Byte by byte, so that the first fault in the stream decides
		 * the error however the input is cut.  The tag byte is checked
		 * by env_record; values here.
		 */
		for (; i < end; i++) {
			if (e->rec.len + (i - start) >= e->rec.max) {
				*used = i;
				return env_fail(e, QMAIL_EXIT_ADDR_LONG,
				    "address too long");
			}
			if (byte_is_control(s[i]) &&
			    !(e->rec.len == 0 && i == start)) {
				*used = i;
				return env_fail(e, QMAIL_EXIT_ENV_BAD,
				    "control byte in an address");
			}
		}
		if (end > start &&
		    buf_append(&e->rec, s + start, end - start) == -1) {
			*used = end;
			return env_fail(e, QMAIL_EXIT_NOMEM, "out of memory");
		}
		if (nul == NULL) {
			*used = n;
			return QMAIL_ENV_MORE;
		}
		i = end + 1;
		*used = i;
		if (env_record(e) != QMAIL_ENV_MORE)
			return e->status;
		buf_reset(&e->rec);
	}
	return QMAIL_ENV_MORE;
}

enum qmail_env_status
qmail_env_eof(struct qmail_env *e)
{
	if (e->status == QMAIL_ENV_MORE)
		return env_fail(e, QMAIL_EXIT_READ, "envelope ends early");
	return e->status;
}

static int
env_value_ok(const char *s, size_t *len)
{
	size_t i, n = strlen(s);

	if (n > QUEUE_ADDR_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (byte_is_control((unsigned char)s[i]))
			return 0;
	*len = n;
	return 1;
}

int
qmail_env_encode(struct buf *out, const char *sender,
    const char *const *rcpt, size_t n)
{
	size_t i, len, before = out->len;

	if (n == 0 || n > QUEUE_RCPT_MAX) {
		errno = n ? E2BIG : EINVAL;
		return -1;
	}
	if (!env_value_ok(sender, &len))
		goto bad;
	if (buf_putc(out, 'F') == -1 || buf_append(out, sender, len) == -1 ||
	    buf_putc(out, '\0') == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		if (!env_value_ok(rcpt[i], &len) || len == 0)
			goto bad;
		if (buf_putc(out, 'T') == -1 ||
		    buf_append(out, rcpt[i], len) == -1 ||
		    buf_putc(out, '\0') == -1)
			goto fail;
	}
	if (buf_putc(out, '\0') == -1)
		goto fail;
	return 0;
bad:
	errno = EINVAL;
fail:
	out->len = before;
	if (out->data != NULL)
		out->data[before] = '\0';
	return -1;
}
