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

#include "dsn.h"
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

const char *
queue_origin_text(int origin)
{
	switch (origin) {
	case QUEUE_ORIGIN_SMTP:
		return "smtp";
	case QUEUE_ORIGIN_LOCAL:
		return "local";
	case QUEUE_ORIGIN_BOUNCE:
		return "bounce";
	default:
		return "";
	}
}

int
queue_origin_parse(const char *s, int *origin)
{
	int	 o;

	for (o = QUEUE_ORIGIN_SMTP; o <= QUEUE_ORIGIN_BOUNCE; o++)
		if (strcmp(s, queue_origin_text(o)) == 0) {
			*origin = o;
			return 0;
		}
	return -1;
}

/* The DSN fields of e are each absent or well formed. */
static int
queue_env_dsn_ok(const struct queue_env *e)
{
	size_t	i;

	if (e->origin < QUEUE_ORIGIN_NONE || e->origin > QUEUE_ORIGIN_BOUNCE ||
	    (e->ret != DSN_RET_NONE && e->ret != DSN_RET_FULL &&
	    e->ret != DSN_RET_HDRS) ||
	    (e->envid != NULL && !dsn_envid_ok(e->envid)))
		return 0;
	for (i = 0; i < e->nrcpt; i++) {
		if (e->notify != NULL && (e->notify[i] & ~(DSN_NOTIFY_SUCCESS |
		    DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY | DSN_NOTIFY_NEVER)
		    || ((e->notify[i] & DSN_NOTIFY_NEVER) &&
		    e->notify[i] != DSN_NOTIFY_NEVER)))
			return 0;
		if (e->orcpt != NULL && e->orcpt[i] != NULL &&
		    !dsn_orcpt_ok(e->orcpt[i]))
			return 0;
	}
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
	return queue_env_dsn_ok(e);
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
	if ((e->origin != QUEUE_ORIGIN_NONE && queue_env_put(b, 'P',
	    queue_origin_text(e->origin)) == -1) ||
	    (e->ret != DSN_RET_NONE && queue_env_put(b, 'R',
	    dsn_ret_text(e->ret)) == -1) ||
	    (e->envid != NULL && queue_env_put(b, 'D', e->envid) == -1))
		goto fail;
	for (i = 0; i < e->nrcpt; i++) {
		char	notify[DSN_NOTIFY_TEXT_MAX];

		if (queue_env_put(b, 'T', e->rcpt[i]) == -1)
			goto fail;
		if (e->notify != NULL && e->notify[i] != 0) {
			dsn_notify_text(e->notify[i], notify, sizeof(notify));
			if (queue_env_put(b, 'N', notify) == -1)
				goto fail;
		}
		if (e->orcpt != NULL && e->orcpt[i] != NULL &&
		    queue_env_put(b, 'O', e->orcpt[i]) == -1)
			goto fail;
	}
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

/* A record's value as a NUL-ended copy in out (n octets); 0 or -1. */
static int
queue_env_val(const struct queue_env_rd *r, char *out, size_t n)
{
	if (r->vlen >= n)
		return -1;
	memcpy(out, r->val, r->vlen);
	out[r->vlen] = '\0';
	return 0;
}

/*
 * The optional P, R and D records after F, in that order; r holds the
 * record after F, and then the first one after them.
 */
static int
queue_env_head_dsn(struct queue_env *e, struct queue_env_rd *r,
    const char **why)
{
	char	 v[DSN_ENVID_MAX + 1];

	if (r->tag == 'P') {
		if (queue_env_val(r, v, sizeof(v)) == -1 ||
		    queue_origin_parse(v, &e->origin) == -1) {
			*why = "bad origin record";
			return -1;
		}
		if (queue_env_next(r, why) == -1)
			return -1;
	}
	if (r->tag == 'R') {
		/* one spelling: as queue_env_encode writes it */
		if (dsn_ret_parse(r->val, r->vlen, &e->ret) == -1 ||
		    strncmp(r->val, dsn_ret_text(e->ret), r->vlen) != 0) {
			*why = "bad RET record";
			return -1;
		}
		if (queue_env_next(r, why) == -1)
			return -1;
	}
	if (r->tag == 'D') {
		if (queue_env_val(r, v, sizeof(v)) == -1 || !dsn_envid_ok(v) ||
		    (e->envid = strdup(v)) == NULL) {
			*why = "bad ENVID record";
			return -1;
		}
		if (queue_env_next(r, why) == -1)
			return -1;
	}
	return 0;
}

/*
 * The optional N and O records of the recipient just added; r holds the
 * record after its T, and then the first one after them.
 */
static int
queue_env_rcpt_dsn(struct queue_env *e, struct queue_env_rd *r,
    const char **why)
{
	char	 v[DSN_ORCPT_MAX + 1], canon[DSN_NOTIFY_TEXT_MAX];
	size_t	 i = e->nrcpt - 1;
	int	 f;

	if (r->tag == 'N') {
		/* one spelling: the canonical list queue_env_encode writes */
		if (dsn_notify_parse(r->val, r->vlen, &f) == -1 ||
		    (dsn_notify_text(f, canon, sizeof(canon)),
		    strlen(canon) != r->vlen ||
		    memcmp(canon, r->val, r->vlen) != 0)) {
			*why = "bad NOTIFY record";
			return -1;
		}
		if (e->notify == NULL && (e->notify = calloc(QUEUE_RCPT_MAX,
		    sizeof(*e->notify))) == NULL) {
			*why = "out of memory";
			return -1;
		}
		e->notify[i] = f;
		if (queue_env_next(r, why) == -1)
			return -1;
	}
	if (r->tag == 'O') {
		if (queue_env_val(r, v, sizeof(v)) == -1 || !dsn_orcpt_ok(v)) {
			*why = "bad ORCPT record";
			return -1;
		}
		if (e->orcpt == NULL && (e->orcpt = calloc(QUEUE_RCPT_MAX,
		    sizeof(*e->orcpt))) == NULL) {
			*why = "out of memory";
			return -1;
		}
		if ((e->orcpt[i] = strdup(v)) == NULL) {
			*why = "out of memory";
			return -1;
		}
		if (queue_env_next(r, why) == -1)
			return -1;
	}
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
	if (queue_env_next(&r, why) == -1)
		goto fail;
	if (queue_env_head_dsn(e, &r, why) == -1)
		goto fail;
	/* r holds the first record after the message's own */
	for (;;) {
		if (r.tag == 'T') {
			if (queue_env_add_rcpt(e, r.val, r.vlen, &cap, why) == -1)
				goto fail;
			if (queue_env_next(&r, why) == -1)
				goto fail;
			if (queue_env_rcpt_dsn(e, &r, why) == -1)
				goto fail;
			continue;
		}
		if (r.tag != 'E') {
			*why = strchr("VIAUFPRDNO", r.tag) != NULL ?
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
	free(e->envid);
	free(e->notify);
	if (e->orcpt != NULL)
		for (i = 0; i < e->nrcpt; i++)
			free(e->orcpt[i]);
	free(e->orcpt);
	memset(e, 0, sizeof(*e));
}
