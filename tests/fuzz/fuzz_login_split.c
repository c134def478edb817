/*
 * libFuzzer target for lib/login/login_split.c's frame parser: the input is one
 * SOCK_SEQPACKET frame as the monitor (4 fields at most) and the login
 * process (3) receive it, parsed by login_split_parse in a buffer of
 * exactly its size, so ASan sees any byte read or written outside it.
 *
 * Checked against a reference decoder written here: a frame is accepted
 * exactly when the whole input is one netstring "len:payload," (decimal
 * len without leading zeros, at most LOGIN_FRAME_MAX) whose payload has
 * 1..maxf NUL-separated fields (a final NUL ends the last field); then
 * the fields lie inside the payload in order, and joined with NULs they
 * give back the payload (with its final NUL when it had one).  The
 * answer for maxf 3 follows from the one for 4.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "login_split.h"

#define MAXF	4

/* The reference: the field count of a well-formed frame, else -1. */
static int
ref_parse(const uint8_t *p, size_t n, size_t *off, size_t *plen)
{
	size_t	 i, len = 0;
	int	 nf;

	for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (i == 1 && p[0] == '0')
			return -1;
		len = len * 10 + (p[i] - '0');
		if (len > LOGIN_FRAME_MAX)
			return -1;
	}
	if (i == 0 || i == n || p[i] != ':')
		return -1;
	*off = i + 1;
	*plen = len;
	if (n - *off != len + 1 || p[n - 1] != ',' || len == 0)
		return -1;
	nf = 1;
	for (i = 0; i < len; i++)
		if (p[*off + i] == '\0' && i + 1 < len)
			nf++;
	return nf;
}

static void
check(const uint8_t *in, size_t n, int maxf, int want, size_t off,
    size_t plen)
{
	char	*data, *fields[MAXF], *end;
	size_t	 at, flen;
	int	 nf, i;

	if ((data = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	if (n > 0)
		memcpy(data, in, n);
	nf = login_split_parse(data, n, fields, maxf);
	if (want > maxf)
		want = -1;
	if (nf != want)
		abort();
	if (nf == -1) {
		free(data);
		return;
	}
	/* Fields in order inside the payload, NULs between them. */
	at = off;
	end = data + off + plen;
	for (i = 0; i < nf; i++) {
		if (fields[i] != data + at)
			abort();
		flen = strnlen(fields[i], (size_t)(end + 1 - fields[i]));
		if (fields[i] + flen > end)
			abort();
		if (memcmp(fields[i], in + at, flen) != 0)
			abort();
		at += flen + 1;
	}
	/* Everything accounted for: the payload, then maybe a final NUL. */
	if (at != off + plen + 1 && !(at == off + plen && in[at - 1] == '\0'))
		abort();
	/* An empty last field is only ever ended by a final NUL. */
	if (fields[nf - 1][0] == '\0' && at != off + plen)
		abort();
	free(data);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	size_t	 off = 0, plen = 0;
	int	 want;

	want = ref_parse(in, n, &off, &plen);
	check(in, n, MAXF, want, off, plen);	/* the monitor */
	check(in, n, 3, want, off, plen);	/* the login process */
	return 0;
}
