/*
 * imap_seq: parsing, merging and searching sequence sets (imap_seq.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap_seq.h"

int
imap_seq_add(struct imap_seq *q, uint32_t lo, uint32_t hi)
{
	struct imap_range	*r;
	size_t			 ncap;
	uint32_t		 t;

	if (lo > hi) {
		t = lo;
		lo = hi;
		hi = t;
	}
	if (q->n == q->cap) {
		if (q->n >= IMAP_SEQ_RANGES_MAX) {
			errno = E2BIG;
			return -1;
		}
		ncap = q->cap ? q->cap * 2 : 8;
		if ((r = reallocarray(q->r, ncap, sizeof(*r))) == NULL)
			return -1;
		q->r = r;
		q->cap = ncap;
	}
	q->r[q->n].lo = lo;
	q->r[q->n].hi = hi;
	q->n++;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct imap_range	*x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void
imap_seq_normalize(struct imap_seq *q)
{
	size_t	 i, j = 0;

	if (q->n < 2)
		return;
	qsort(q->r, q->n, sizeof(*q->r), range_cmp);
	for (i = 1; i < q->n; i++) {
		if (q->r[i].lo <= q->r[j].hi ||
		    (q->r[j].hi != UINT32_MAX && q->r[i].lo == q->r[j].hi + 1)) {
			if (q->r[i].hi > q->r[j].hi)
				q->r[j].hi = q->r[i].hi;
			continue;
		}
		q->r[++j] = q->r[i];
	}
	q->n = j + 1;
}

/* One seq-number at s[*p]: a number or "*".  0 with *v, or -1. */
static int
seq_number(const char *s, size_t len, size_t *p, uint32_t star, uint32_t *v)
{
	unsigned long long	 x = 0;
	size_t			 start = *p;

	if (*p < len && s[*p] == '*') {
		(*p)++;
		*v = star;
		return 0;
	}
	if (*p >= len || s[*p] < '1' || s[*p] > '9')
		return -1;	/* nz-number: no leading zero, never 0 */
	while (*p < len && s[*p] >= '0' && s[*p] <= '9') {
		x = x * 10 + (unsigned)(s[*p] - '0');
		if (x > UINT32_MAX || *p - start >= 10)
			return -1;
		(*p)++;
	}
	*v = (uint32_t)x;
	return 0;
}

int
imap_seq_parse(struct imap_seq *q, const char *s, size_t len, uint32_t star,
    int saved_ok, const char **why)
{
	size_t		 p = 0;
	uint32_t	 lo, hi;

	memset(q, 0, sizeof(*q));
	*why = "invalid sequence set";
	if (len == 1 && s[0] == '$') {
		if (!saved_ok)
			return -1;
		q->saved = 1;
		return 0;
	}
	for (;;) {
		if (seq_number(s, len, &p, star, &lo) == -1)
			goto fail;
		hi = lo;
		if (p < len && s[p] == ':') {
			p++;
			if (seq_number(s, len, &p, star, &hi) == -1)
				goto fail;
		}
		if (imap_seq_add(q, lo, hi) == -1) {
			*why = "too many ranges in sequence set";
			goto fail;
		}
		if (p == len)
			break;
		if (s[p] != ',')
			goto fail;
		p++;
	}
	imap_seq_normalize(q);
	*why = NULL;
	return 0;
fail:
	imap_seq_free(q);
	return -1;
}

int
imap_seq_contains(const struct imap_seq *q, uint32_t v)
{
	size_t	 lo = 0, hi = q->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v < q->r[mid].lo)
			hi = mid;
		else if (v > q->r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

uint32_t
imap_seq_max(const struct imap_seq *q)
{
	return q->n == 0 ? 0 : q->r[q->n - 1].hi;
}

void
imap_seq_free(struct imap_seq *q)
{
	free(q->r);
	memset(q, 0, sizeof(*q));
}

int
imap_seq_format(const struct imap_seq *q, struct buf *b)
{
	size_t	 i;
	int	 r;

	for (i = 0; i < q->n; i++) {
		if (q->r[i].lo == q->r[i].hi)
			r = buf_printf(b, "%s%u", i ? "," : "", q->r[i].lo);
		else
			r = buf_printf(b, "%s%u:%u", i ? "," : "", q->r[i].lo,
			    q->r[i].hi);
		if (r == -1)
			return -1;
	}
	return 0;
}
