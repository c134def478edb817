/*
 * libFuzzer target for lib/maildir/maildir_sizes.c's cache parser: the input is
 * the whole facteur-sizes file, parsed by maildir_sizes_parse from a
 * buffer of exactly its size, so ASan sees any byte read outside it.
 *
 * Checked against a reference written here: the cache is accepted exactly
 * when it is a sequence of records "unique\0raw\0size\0" with a non-empty
 * unique name and 1..18 decimal digits in each size, nothing after the
 * last record; then the parser's records, each pointing into the input,
 * are the reference's (as a multiset), sorted by unique name so that
 * bsearch finds every one of them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maildir_list_int.h"

static int
ref_num(const uint8_t *s, size_t len, long long *v)
{
	size_t	 i;

	*v = 0;
	if (len < 1 || len > 18)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* The reference: the records into r (room for n / 6 + 1), or -1. */
static long
ref_parse(const uint8_t *p, size_t n, struct maildir_size_rec *r)
{
	const uint8_t	*f[3], *z;
	size_t		 pos = 0, flen[3];
	long		 cnt = 0;
	int		 k;

	while (pos < n) {
		for (k = 0; k < 3; k++) {
			if ((z = memchr(p + pos, '\0', n - pos)) == NULL)
				return -1;
			f[k] = p + pos;
			flen[k] = (size_t)(z - f[k]);
			pos += flen[k] + 1;
		}
		if (flen[0] == 0 || ref_num(f[1], flen[1], &r[cnt].raw) == -1 ||
		    ref_num(f[2], flen[2], &r[cnt].size) == -1)
			return -1;
		r[cnt].u = (const char *)f[0];
		r[cnt].ulen = flen[0];
		cnt++;
	}
	return cnt;
}

static int
name_cmp(const struct maildir_size_rec *x, const struct maildir_size_rec *y)
{
	size_t	 n = x->ulen < y->ulen ? x->ulen : y->ulen;
	int	 c = memcmp(x->u, y->u, n);

	if (c != 0)
		return c;
	return (x->ulen > y->ulen) - (x->ulen < y->ulen);
}

/* Name, then sizes: a total order, to compare the two as multisets. */
static int
full_cmp(const void *a, const void *b)
{
	const struct maildir_size_rec *x = a, *y = b;
	int	 c = name_cmp(x, y);

	if (c != 0)
		return c;
	if (x->raw != y->raw)
		return x->raw < y->raw ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	return name_cmp(a, b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	struct maildir_size_rec	*recs, *ref, *copy, *hit;
	char			*buf;
	size_t			 nrec, i;
	long			 want;
	int			 r;

	if ((buf = malloc(n > 0 ? n : 1)) == NULL ||
	    (ref = calloc(n / 6 + 1, sizeof(*ref))) == NULL)
		abort();
	if (n > 0)
		memcpy(buf, in, n);
	r = maildir_sizes_parse(buf, n, &recs, &nrec);
	want = ref_parse(in, n, ref);
	if ((r == -1) != (want == -1))
		abort();
	if (r == -1) {
		if (recs != NULL || nrec != 0)
			abort();
		goto done;
	}
	if (nrec != (size_t)want || (nrec == 0 && recs != NULL))
		abort();
	for (i = 0; i < nrec; i++) {
		/* Inside the input, ended by a NUL there. */
		if (recs[i].u < buf || recs[i].ulen == 0 ||
		    recs[i].ulen >= n - (size_t)(recs[i].u - buf) ||
		    recs[i].u[recs[i].ulen] != '\0')
			abort();
		if (recs[i].raw < 0 || recs[i].size < 0)
			abort();
		if (i > 0 && name_cmp(&recs[i - 1], &recs[i]) > 0)
			abort();
	}
	/* bsearch, as maildir_sizes_fill does, finds every name. */
	for (i = 0; i < nrec; i++) {
		hit = bsearch(&ref[i], recs, nrec, sizeof(*recs), key_cmp);
		if (hit == NULL || name_cmp(hit, &ref[i]) != 0)
			abort();
	}
	/* The same records: compare both in one total order. */
	if (nrec > 0) {
		if ((copy = malloc(nrec * sizeof(*copy))) == NULL)
			abort();
		memcpy(copy, recs, nrec * sizeof(*copy));
		qsort(copy, nrec, sizeof(*copy), full_cmp);
		qsort(ref, nrec, sizeof(*ref), full_cmp);
		for (i = 0; i < nrec; i++)
			if (copy[i].ulen != ref[i].ulen ||
			    memcmp(copy[i].u, ref[i].u, ref[i].ulen) != 0 ||
			    copy[i].raw != ref[i].raw ||
			    copy[i].size != ref[i].size)
				abort();
		free(copy);
	}
	free(recs);
done:
	free(ref);
	free(buf);
	return 0;
}
