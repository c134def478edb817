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

#include "dsn.h"
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
	free(e->envid);
	free(e->notify);
	if (e->orcpt != NULL)
		for (i = 0; i < e->nrcpt; i++)
			free(e->orcpt[i]);
	free(e->orcpt);
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

/* The extension's steps: which record may come next. */
enum { EXT_P, EXT_R, EXT_D, EXT_N, EXT_O };

/* A record of the extension (after X1) is in e->rec. */
static enum qmail_env_status
env_ext_record(struct qmail_env *e)
{
	const char	*r = e->rec.data, *v = r + 1;
	size_t		 len = e->rec.len, vl = len - 1;
	char		 tmp[DSN_ORCPT_MAX + 1];
	int		 f;

	if (len == 0)
		return env_fail(e, QMAIL_EXIT_ENV_BAD, "empty record in the "
		    "envelope extension");
	if (r[0] == 'E' && e->ext_step != EXT_O) {
		if (vl != 0 || (e->ndsn != 0 && e->ndsn != e->nrcpt))
			return env_fail(e, QMAIL_EXIT_ENV_BAD, "bad end of "
			    "the envelope extension");
		e->status = QMAIL_ENV_DONE;
		return e->status;
	}
	if (r[0] == 'P' && e->ext_step <= EXT_P) {
		if (vl != 4 || memcmp(v, "smtp", 4) != 0)
			return env_fail(e, QMAIL_EXIT_ENV_BAD, "bad origin");
		e->origin = QUEUE_ORIGIN_SMTP;
		e->ext_step = EXT_R;
		return QMAIL_ENV_MORE;
	}
	if (r[0] == 'R' && e->ext_step <= EXT_R) {
		if (dsn_ret_parse(v, vl, &e->ret) == -1)
			return env_fail(e, QMAIL_EXIT_ENV_BAD, "bad RET");
		e->ext_step = EXT_D;
		return QMAIL_ENV_MORE;
	}
	if (r[0] == 'D' && e->ext_step <= EXT_D) {
		if (vl > DSN_ENVID_MAX)
			return env_fail(e, QMAIL_EXIT_ENV_BAD, "bad ENVID");
		memcpy(tmp, v, vl);
		tmp[vl] = '\0';
		if (!dsn_envid_ok(tmp) || (e->envid = strdup(tmp)) == NULL)
			return env_fail(e, QMAIL_EXIT_ENV_BAD, "bad ENVID");
		e->ext_step = EXT_N;
		return QMAIL_ENV_MORE;
	}
	if (r[0] == 'N' && e->ext_step != EXT_O) {
		if (e->ndsn >= e->nrcpt)
			return env_fail(e, QMAIL_EXIT_ENV_BAD, "more DSN "
			    "records than recipients");
		f = 0;
		if (vl > 0 && dsn_notify_parse(v, vl, &f) == -1)
			return env_fail(e, QMAIL_EXIT_ENV_BAD, "bad NOTIFY");
		if (e->notify == NULL && (e->notify = calloc(e->nrcpt,
		    sizeof(*e->notify))) == NULL)
			return env_fail(e, QMAIL_EXIT_NOMEM, "out of memory");
		e->notify[e->ndsn] = f;
		e->ext_step = EXT_O;
		return QMAIL_ENV_MORE;
	}
	if (r[0] == 'O' && e->ext_step == EXT_O) {
		if (e->orcpt == NULL && (e->orcpt = calloc(e->nrcpt,
		    sizeof(*e->orcpt))) == NULL)
			return env_fail(e, QMAIL_EXIT_NOMEM, "out of memory");
		if (vl > 0) {
			if (vl > DSN_ORCPT_MAX)
				return env_fail(e, QMAIL_EXIT_ENV_BAD,
				    "bad ORCPT");
			memcpy(tmp, v, vl);
			tmp[vl] = '\0';
			if (!dsn_orcpt_ok(tmp))
				return env_fail(e, QMAIL_EXIT_ENV_BAD,
				    "bad ORCPT");
			if ((e->orcpt[e->ndsn] = strdup(tmp)) == NULL)
				return env_fail(e, QMAIL_EXIT_NOMEM,
				    "out of memory");
		}
		e->ndsn++;
		e->ext_step = EXT_N;
		return QMAIL_ENV_MORE;
	}
	return env_fail(e, QMAIL_EXIT_ENV_BAD, "bad record in the envelope "
	    "extension");
}

/* A whole record (without its NUL) is in e->rec. */
static enum qmail_env_status
env_record(struct qmail_env *e)
{
	const char *r = e->rec.data;
	size_t len = e->rec.len;
	char *value, **nr;

	if (e->part == QMAIL_PART_EXT)
		return env_ext_record(e);
	if (e->part == QMAIL_PART_TAIL) {
		if (len != 2 || r[0] != 'X' || r[1] != '1')
			return env_fail(e, QMAIL_EXIT_ENV_BAD,
			    "data after the envelope");
		e->part = QMAIL_PART_EXT;
		e->ext_step = EXT_P;
		return QMAIL_ENV_MORE;
	}

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
		/* whole; an extension may follow (qmail_env_eof ends it) */
		e->part = QMAIL_PART_TAIL;
		return QMAIL_ENV_MORE;
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
	if (e->status == QMAIL_ENV_MORE && e->part == QMAIL_PART_TAIL &&
	    e->rec.len == 0) {
		e->status = QMAIL_ENV_DONE;
		return e->status;
	}
	if (e->status == QMAIL_ENV_MORE && e->part == QMAIL_PART_TAIL)
		return env_fail(e, QMAIL_EXIT_ENV_BAD,
		    "data after the envelope");
	if (e->status == QMAIL_ENV_MORE)
		return env_fail(e, QMAIL_EXIT_READ, e->part == QMAIL_PART_ENV ?
		    "envelope ends early" : "envelope extension ends early");
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

static int
ext_put(struct buf *out, int tag, const char *v)
{
	if (buf_putc(out, tag) == -1 || buf_append_str(out, v) == -1 ||
	    buf_putc(out, '\0') == -1)
		return -1;
	return 0;
}

int
qmail_env_dsn_append(struct buf *out, size_t n, const struct qmail_env_dsn *d)
{
	char	 notify[DSN_NOTIFY_TEXT_MAX];
	size_t	 i, before = out->len;
	int	 f;

	if (d == NULL || (d->origin == 0 && d->ret == DSN_RET_NONE &&
	    d->envid == NULL && d->notify == NULL && d->orcpt == NULL &&
	    d->notify_all == 0))
		return 0;
	if ((d->origin != QUEUE_ORIGIN_NONE &&
	    d->origin != QUEUE_ORIGIN_SMTP) ||
	    (d->envid != NULL && !dsn_envid_ok(d->envid))) {
		errno = EINVAL;
		return -1;
	}
	if (ext_put(out, 'X', "1") == -1 ||
	    (d->origin == QUEUE_ORIGIN_SMTP && ext_put(out, 'P', "smtp") == -1) ||
	    (d->ret != DSN_RET_NONE && ext_put(out, 'R',
	    dsn_ret_text(d->ret)) == -1) ||
	    (d->envid != NULL && ext_put(out, 'D', d->envid) == -1))
		goto fail;
	if (d->notify != NULL || d->orcpt != NULL || d->notify_all != 0) {
		for (i = 0; i < n; i++) {
			f = d->notify != NULL ? d->notify[i] : d->notify_all;
			dsn_notify_text(f, notify, sizeof(notify));
			if (d->orcpt != NULL && d->orcpt[i] != NULL &&
			    !dsn_orcpt_ok(d->orcpt[i])) {
				errno = EINVAL;
				goto fail;
			}
			if (ext_put(out, 'N', notify) == -1 ||
			    ext_put(out, 'O', d->orcpt != NULL &&
			    d->orcpt[i] != NULL ? d->orcpt[i] : "") == -1)
				goto fail;
		}
	}
	if (ext_put(out, 'E', "") == -1)
		goto fail;
	return 0;
fail:
	out->len = before;
	if (out->data != NULL)
		out->data[before] = '\0';
	return -1;
}

int
qmail_env_encode_dsn(struct buf *out, const char *sender,
    const char *const *rcpt, size_t n, const struct qmail_env_dsn *d)
{
	size_t	 before = out->len;

	if (qmail_env_encode(out, sender, rcpt, n) == -1)
		return -1;
	if (qmail_env_dsn_append(out, n, d) == -1) {
		out->len = before;
		if (out->data != NULL)
			out->data[before] = '\0';
		return -1;
	}
	return 0;
}
