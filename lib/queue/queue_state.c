/*
 * queue_state: encoder and decoder of queued's per-recipient state file
 * (format in queue_state.h).  The decoder is strict: a record out of
 * order, a missing end or a bad value makes the whole file corrupt.
 *
 * Trust: state files are queued's own, read back strictly all the same
 * (fuzzed); a corrupt one is set aside.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue_env.h"
#include "queue_state.h"
#include "users.h"

static int
state_value_ok(const char *s, size_t n, size_t max)
{
	size_t	i;

	if (n > max)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

int
queue_job_status_ok(int c)
{
	return c == QJ_PENDING || c == QJ_DELIVERED || c == QJ_FAILED ||
	    c == QJ_BOUNCE || c == QJ_NOTICE || c == QJ_RELAYED;
}

void
queue_state_init(struct queue_state *st, const char *id)
{
	memset(st, 0, sizeof(*st));
	if (id != NULL)
		strlcpy(st->id, id, sizeof(st->id));
}

static void
job_free(struct queue_job *j)
{
	free(j->rcpt);
	free(j->orig);
	free(j->user);
	free(j->ext);
	free(j->reason);
}

void
queue_state_free(struct queue_state *st)
{
	size_t	i;

	for (i = 0; i < st->njob; i++)
		job_free(&st->job[i]);
	free(st->job);
	st->job = NULL;
	st->njob = st->cap = 0;
}

struct queue_job *
queue_state_add(struct queue_state *st, const char *rcpt, const char *orig,
    const char *user, const char *ext)
{
	struct queue_job *j, *nj;
	size_t	ncap;

	if (user == NULL)
		user = "";
	if (ext == NULL)
		ext = "";
	if (!state_value_ok(rcpt, strlen(rcpt), QUEUE_ADDR_MAX) ||
	    !state_value_ok(orig, strlen(orig), QUEUE_ADDR_MAX) ||
	    !state_value_ok(user, strlen(user), USER_NAME_MAX) ||
	    !state_value_ok(ext, strlen(ext), QUEUE_ADDR_MAX)) {
		errno = EINVAL;
		return NULL;
	}
	if (st->njob >= QUEUE_JOBS_MAX) {
		errno = E2BIG;
		return NULL;
	}
	if (st->njob == st->cap) {
		ncap = st->cap ? st->cap * 2 : 4;
		if ((nj = reallocarray(st->job, ncap, sizeof(*nj))) == NULL)
			return NULL;
		st->job = nj;
		st->cap = ncap;
	}
	j = &st->job[st->njob];
	memset(j, 0, sizeof(*j));
	j->status = QJ_PENDING;
	if ((j->rcpt = strdup(rcpt)) == NULL ||
	    (j->orig = strdup(orig)) == NULL ||
	    (j->user = strdup(user)) == NULL ||
	    (j->ext = strdup(ext)) == NULL ||
	    (j->reason = strdup("")) == NULL) {
		job_free(j);
		return NULL;
	}
	st->njob++;
	return j;
}

int
queue_job_set_reason(struct queue_job *j, const char *text)
{
	char	*r;
	size_t	 n, i;

	n = strnlen(text, QUEUE_REASON_MAX);
	if ((r = malloc(n + 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		r[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	r[n] = '\0';
	free(j->reason);
	j->reason = r;
	return 0;
}

static int
put(struct buf *b, int tag, const char *v)
{
	if (buf_putc(b, tag) == -1 || buf_append_str(b, v) == -1 ||
	    buf_putc(b, '\0') == -1)
		return -1;
	return 0;
}

static int
num_put(struct buf *b, int tag, long long v)
{
	char	num[32];
	int	r;

	r = snprintf(num, sizeof(num), "%lld", v);
	if (r < 0 || (size_t)r >= sizeof(num) || v < 0) {
		errno = EINVAL;
		return -1;
	}
	return put(b, tag, num);
}

int
queue_state_encode(struct buf *b, const struct queue_state *st)
{
	const struct queue_job *j;
	char	 s[2];
	size_t	 i;

	if (!queueid_valid(st->id)) {
		errno = EINVAL;
		return -1;
	}
	if (put(b, 'V', "1") == -1 || put(b, 'I', st->id) == -1)
		return -1;
	if ((st->held > 0 && num_put(b, 'H', st->held) == -1) ||
	    (st->warned > 0 && num_put(b, 'Y', st->warned) == -1))
		return -1;
	for (i = 0; i < st->njob; i++) {
		j = &st->job[i];
		if (!queue_job_status_ok(j->status)) {
			errno = EINVAL;
			return -1;
		}
		if (!state_value_ok(j->reason, strlen(j->reason),
		    QUEUE_REASON_MAX)) {
			errno = EINVAL;
			return -1;
		}
		s[0] = (char)j->status;
		s[1] = '\0';
		if (put(b, 'R', j->rcpt) == -1 || put(b, 'O', j->orig) == -1 ||
		    put(b, 'L', j->user) == -1 || put(b, 'X', j->ext) == -1 ||
		    put(b, 'S', s) == -1)
			return -1;
		if (num_put(b, 'N', j->attempts) == -1 ||
		    num_put(b, 'W', j->next_try) == -1 ||
		    put(b, 'M', j->reason) == -1)
			return -1;
	}
	return put(b, 'E', "");
}

struct rec {
	const char	*p;
	size_t		 n;
	size_t		 off;
};

/* The next record: its tag in *tag, its value NUL-ended in place. */
static int
rec_next(struct rec *r, int *tag, const char **val, size_t *vlen)
{
	const char	*end;

	if (r->off >= r->n)
		return -1;
	end = memchr(r->p + r->off, '\0', r->n - r->off);
	if (end == NULL || end == r->p + r->off)
		return -1;
	*tag = (unsigned char)r->p[r->off];
	*val = r->p + r->off + 1;
	*vlen = (size_t)(end - *val);
	r->off = (size_t)(end - r->p) + 1;
	return 0;
}

static int
rec_expect(struct rec *r, int want, const char **val, size_t max)
{
	size_t	vlen;
	int	tag;

	if (rec_next(r, &tag, val, &vlen) == -1 || tag != want)
		return -1;
	return state_value_ok(*val, vlen, max) ? 0 : -1;
}

static int
num_parse(const char *s, long long max, long long *out)
{
	const char	*err, *c;

	/* one spelling per number: digits only, no sign, no leading zero */
	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (c = s; *c != '\0'; c++)
		if (*c < '0' || *c > '9')
			return -1;
	*out = strtonum(s, 0, max, &err);
	return err == NULL ? 0 : -1;
}

int
queue_state_decode(const char *p, size_t n, struct queue_state *st,
    const char **why)
{
	struct rec	 r = { p, n, 0 };
	struct queue_job *j;
	const char	*v, *rc, *orig, *user, *ext, *vl;
	size_t		 vlen;
	long long	 num;
	int		 tag;

	queue_state_init(st, NULL);
	*why = "truncated or malformed record";
	if (rec_expect(&r, 'V', &v, 8) == -1 || strcmp(v, "1") != 0) {
		*why = "unknown version";
		return -1;
	}
	if (rec_expect(&r, 'I', &v, QUEUEID_LEN) == -1 || !queueid_valid(v)) {
		*why = "bad queue ID";
		return -1;
	}
	strlcpy(st->id, v, sizeof(st->id));
	if (rec_next(&r, &tag, &v, &vlen) == -1)
		goto bad;
	if (tag == 'H') {
		if (!state_value_ok(v, vlen, 20) ||
		    num_parse(v, LLONG_MAX, &num) == -1 || num == 0)
			goto bad;
		st->held = num;
		if (rec_next(&r, &tag, &v, &vlen) == -1)
			goto bad;
	}
	if (tag == 'Y') {
		if (!state_value_ok(v, vlen, 20) ||
		    num_parse(v, LLONG_MAX, &num) == -1 || num == 0)
			goto bad;
		st->warned = num;
		if (rec_next(&r, &tag, &v, &vlen) == -1)
			goto bad;
	}
	for (;;) {
		if (tag == 'E' && vlen == 0)
			break;
		if (tag != 'R' || !state_value_ok(v, vlen, QUEUE_ADDR_MAX) ||
		    vlen == 0)
			goto bad;
		rc = v;
		if (rec_expect(&r, 'O', &orig, QUEUE_ADDR_MAX) == -1 ||
		    rec_expect(&r, 'L', &user, USER_NAME_MAX) == -1 ||
		    rec_expect(&r, 'X', &ext, QUEUE_ADDR_MAX) == -1)
			goto bad;
		if ((j = queue_state_add(st, rc, orig, user, ext)) == NULL) {
			*why = errno == E2BIG ? "too many jobs" : "no memory";
			goto fail;
		}
		if (rec_expect(&r, 'S', &v, 1) == -1 ||
		    !queue_job_status_ok((unsigned char)v[0]))
			goto bad;
		j->status = (unsigned char)v[0];
		if (rec_expect(&r, 'N', &v, 10) == -1 ||
		    num_parse(v, UINT_MAX, &num) == -1)
			goto bad;
		j->attempts = (unsigned)num;
		if (rec_expect(&r, 'W', &v, 20) == -1 ||
		    num_parse(v, LLONG_MAX, &num) == -1)
			goto bad;
		j->next_try = num;
		if (rec_expect(&r, 'M', &vl, QUEUE_REASON_MAX) == -1 ||
		    queue_job_set_reason(j, vl) == -1)
			goto bad;
		if (rec_next(&r, &tag, &v, &vlen) == -1)
			goto bad;
	}
	if (r.off != n) {
		*why = "data after end record";
		goto fail;
	}
	if (st->njob == 0) {
		*why = "no jobs";
		goto fail;
	}
	return 0;
bad:
	*why = "truncated or malformed record";
fail:
	queue_state_free(st);
	return -1;
}
