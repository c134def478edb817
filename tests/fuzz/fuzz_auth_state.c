/*
 * libFuzzer target for lib/auth/auth_state.c's record parser: the input is one
 * per-address failure record as read from auth_state_dir, parsed by
 * auth_state_parse in a buffer of exactly its size, so ASan sees any byte
 * read outside it.
 *
 * Checked against a reference written here: a record is accepted exactly
 * when it is `C<count>\0T<time>\0` with one or more decimal digits in
 * each field (no sign, no space), count at most AUTH_STATE_COUNT_MAX and
 * time at most LLONG_MAX; then the values are the fields' values.  And
 * the record auth_state.c writes for any count and time in range (taken
 * from the input's first bytes) parses back to them.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_state_int.h"

/* Digits from *pos up to a NUL, at most max: 0 and *v, else -1. */
static int
ref_num(const uint8_t *p, size_t n, size_t *pos, long long max,
    long long *v)
{
	size_t	 start = *pos;

	*v = 0;
	while (*pos < n && p[*pos] >= '0' && p[*pos] <= '9') {
		if (*v > (max - (p[*pos] - '0')) / 10)
			return -1;
		*v = *v * 10 + (p[*pos] - '0');
		(*pos)++;
	}
	if (*pos == start || *pos == n || p[*pos] != '\0')
		return -1;
	(*pos)++;
	return 0;
}

static int
ref_parse(const uint8_t *p, size_t n, long long *count, long long *when)
{
	size_t	 pos = 1;

	if (n < 1 || p[0] != 'C' ||
	    ref_num(p, n, &pos, AUTH_STATE_COUNT_MAX, count) == -1 ||
	    pos == n || p[pos++] != 'T' ||
	    ref_num(p, n, &pos, LLONG_MAX, when) == -1)
		return -1;
	return pos == n ? 0 : -1;
}

static void
check_roundtrip(const uint8_t *in, size_t n)
{
	char		 rec[64];
	unsigned long long uc = 0, uw = 0;
	long long	 count, when, c, w;
	size_t		 i;
	int		 len;

	for (i = 0; i < 11 && i < n; i++) {
		if (i < 3)
			uc = uc << 8 | in[i];
		else
			uw = uw << 8 | in[i];
	}
	count = (long long)(uc % (AUTH_STATE_COUNT_MAX + 1));
	when = (long long)(uw & LLONG_MAX);
	len = snprintf(rec, sizeof(rec), "C%lld%cT%lld%c", count, '\0',
	    when, '\0');
	if (len < 0 || (size_t)len >= sizeof(rec))
		abort();
	if (auth_state_parse(rec, (size_t)len, &c, &w) != 0 || c != count ||
	    w != when)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	long long	 count = -1, when = -1, rc, rw;
	char		*buf;
	int		 r, want;

	if ((buf = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	if (n > 0)
		memcpy(buf, in, n);
	r = auth_state_parse(buf, n, &count, &when);
	want = ref_parse(in, n, &rc, &rw);
	if (r != want)
		abort();
	if (r == 0 && (count != rc || when != rw))
		abort();
	free(buf);
	check_roundtrip(in, n);
	return 0;
}
