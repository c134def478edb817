/*
 * queue_env: writes and reads the envelope file of a queued message
 * (queue_env.h gives the format).  The reader is strict: records in the
 * documented order, every value checked, nothing after E; a file that
 * differs in any way is corrupt, never half-understood.
 *
 * Trust: envelopes are written by enqueue only; read back strictly all
 * the same (fuzzed), and a file that differs is set aside as corrupt.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue_env.h"

#define QUEUE_ENV_UID_MAX	4294967294LL	/* (uid_t)-1 is no uid */
#define QUEUE_ENV_TIME_MAX	253402300799LL	/* 9999-12-31 23:59:59 */

int
queue_value_ok(const char *s, size_t n)
{
	size_t	i;

	if (n > QUEUE_ADDR_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
queue_env_ok(const struct queue_env *e)
{
	size_t	i;

	if (!queueid_valid(e->id) || e->arrival < 0 ||
	    e->arrival > QUEUE_ENV_TIME_MAX || e->uid < 0 ||
	    e->uid > QUEUE_ENV_UID_MAX || e->sender == NULL ||
	    !queue_value_ok(e->sender, strlen(e->sender)) ||
	    e->nrcpt == 0 || e->nrcpt > QUEUE_RCPT_MAX || e->rcpt == NULL)
		return 0;
	for (i = 0; i < e->nrcpt; i++)
		if (e->rcpt[i] == NULL || e->rcpt[i][0] == '\0' ||
		    !queue_value_ok(e->rcpt[i], strlen(e->rcpt[i])))
			return 0;
	return 1;
}

/* Appends record tag+value and its NUL. */
static int
queue_env_put(struct buf *b, int tag, const char *v)
{
	if (buf_putc(b, tag) == -1 || buf_append(b, v, strlen(v) + 1) == -1)
		return -1;
	return 0;
}

int
queue_env_encode(struct buf *b, const struct queue_env *e)
{
	char	arrival[24], uid[24];
	size_t	orig = b->len, i;
	int	saved, n1, n2;

	if (!queue_env_ok(e)) {
		errno = EINVAL;
		return -1;
	}
	n1 = snprintf(arrival, sizeof(arrival), "%lld", e->arrival);
	n2 = snprintf(uid, sizeof(uid), "%lld", e->uid);
	if (n1 < 0 || (size_t)n1 >= sizeof(arrival) || n2 < 0 ||
	    (size_t)n2 >= sizeof(uid)) {
		errno = EINVAL;
		return -1;
	}
	if (queue_env_put(b, 'V', "1") == -1 ||
	    queue_env_put(b, 'I', e->id) == -1 ||
	    queue_env_put(b, 'A', arrival) == -1 ||
	    queue_env_put(b, 'U', uid) == -1 ||
	    queue_env_put(b, 'F', e->sender) == -1)
		goto fail;
	for (i = 0; i < e->nrcpt; i++)
		if (queue_env_put(b, 'T', e->rcpt[i]) == -1)
			goto fail;
	if (queue_env_put(b, 'E', "") == -1)
		goto fail;
	return 0;
fail:
	/* Leave the buffer as it was: no half envelope. */
	saved = errno;
	b->len = orig;
	if (b->data != NULL)
		b->data[orig] = '\0';
	errno = saved;
	return -1;
}

struct queue_env_rd {
	const char	*data;
	size_t		 len, pos;
	int		 tag;
	const char	*val;
	size_t		 vlen;
};

/* Reads the next record; 0, or -1 with *why. */
static int
queue_env_next(struct queue_env_rd *r, const char **why)
{
	const char	*nul;

	if (r->pos >= r->len) {
		*why = "truncated envelope (no E record)";
		return -1;
	}
	nul = memchr(r->data + r->pos, '\0', r->len - r->pos);
	if (nul == NULL) {
		*why = "truncated envelope (record without its NUL)";
		return -1;
	}
	r->tag = (unsigned char)r->data[r->pos];
	r->val = r->data + r->pos + 1;
	r->vlen = (size_t)(nul - r->val);
	r->pos = (size_t)(nul - r->data) + 1;
	if (r->tag == '\0') {
		*why = "empty record";
		return -1;
	}
	if (!queue_value_ok(r->val, r->vlen)) {
		*why = "control byte or over-long value in a record";
		return -1;
	}
	return 0;
}

/* Reads a record that must have tag t. */
static int
queue_env_want(struct queue_env_rd *r, int t, const char *missing,
    const char **why)
{
	if (queue_env_next(r, why) == -1)
		return -1;
	if (r->tag != t) {
		*why = missing;
		return -1;
	}
	return 0;
}

/* A decimal number without sign, blanks or leading zeros, up to max. */
static int
queue_env_decimal(const char *s, size_t n, long long max, long long *out)
{
	char		 tmp[24];
	const char	*err;
	size_t		 i;

	if (n == 0 || n > 19 || (s[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*out = strtonum(tmp, 0, max, &err);
	return err == NULL ? 0 : -1;
}

static int
queue_env_add_rcpt(struct queue_env *e, const char *v, size_t n,
    size_t *cap, const char **why)
{
	char	**nr;
	size_t	  ncap;

	if (n == 0) {
		*why = "empty recipient";
		return -1;
	}
	if (e->nrcpt >= QUEUE_RCPT_MAX) {
		*why = "too many recipients";
		return -1;
	}
	if (e->nrcpt == *cap) {
		ncap = *cap == 0 ? 8 : *cap * 2;
		if ((nr = reallocarray(e->rcpt, ncap, sizeof(*nr))) == NULL) {
			*why = "out of memory";
			return -1;
		}
		e->rcpt = nr;
		*cap = ncap;
	}
	if ((e->rcpt[e->nrcpt] = strndup(v, n)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	e->nrcpt++;
	return 0;
}

int
queue_env_decode(const char *data, size_t len, struct queue_env *e,
    const char **why)
{
	struct queue_env_rd	 r = { data, len, 0, 0, NULL, 0 };
	const char		*unused;
	size_t			 cap = 0;

	if (why == NULL)
		why = &unused;
	memset(e, 0, sizeof(*e));
	if (len == 0) {
		*why = "empty envelope";
		return -1;
	}
	if (queue_env_want(&r, 'V', "V record missing at the start", why) == -1)
		goto fail;
	if (r.vlen != 1 || r.val[0] != '1') {
		*why = "unknown envelope version";
		goto fail;
	}
	if (queue_env_want(&r, 'I', "I record missing after V", why) == -1)
		goto fail;
	if (r.vlen != QUEUEID_LEN) {
		*why = "bad queue ID";
		goto fail;
	}
	memcpy(e->id, r.val, QUEUEID_LEN);
	e->id[QUEUEID_LEN] = '\0';
	if (!queueid_valid(e->id)) {
		*why = "bad queue ID";
		goto fail;
	}
	if (queue_env_want(&r, 'A', "A record missing after I", why) == -1)
		goto fail;
	if (queue_env_decimal(r.val, r.vlen, QUEUE_ENV_TIME_MAX,
	    &e->arrival) == -1) {
		*why = "bad arrival time";
		goto fail;
	}
	if (queue_env_want(&r, 'U', "U record missing after A", why) == -1)
		goto fail;
	if (queue_env_decimal(r.val, r.vlen, QUEUE_ENV_UID_MAX, &e->uid) == -1) {
		*why = "bad uid";
		goto fail;
	}
	if (queue_env_want(&r, 'F', "F record missing after U", why) == -1)
		goto fail;
	if ((e->sender = strndup(r.val, r.vlen)) == NULL) {
		*why = "out of memory";
		goto fail;
	}
	for (;;) {
		if (queue_env_next(&r, why) == -1)
			goto fail;
		if (r.tag == 'T') {
			if (queue_env_add_rcpt(e, r.val, r.vlen, &cap, why) == -1)
				goto fail;
			continue;
		}
		if (r.tag != 'E') {
			*why = strchr("VIAUF", r.tag) != NULL ?
			    "record out of order" : "unknown record";
			goto fail;
		}
		break;
	}
	if (e->nrcpt == 0) {
		*why = "no recipient";
		goto fail;
	}
	if (r.vlen != 0) {
		*why = "E record with a value";
		goto fail;
	}
	if (r.pos != len) {
		*why = "data after the E record";
		goto fail;
	}
	return 0;
fail:
	queue_env_free(e);
	return -1;
}

void
queue_env_free(struct queue_env *e)
{
	size_t	i;

	free(e->sender);
	if (e->rcpt != NULL)
		for (i = 0; i < e->nrcpt; i++)
			free(e->rcpt[i]);
	free(e->rcpt);
	memset(e, 0, sizeof(*e));
}
