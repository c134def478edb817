/*
 * libFuzzer target for lib/auth/sasl.c.  Base64: whatever the strict decoder
 * accepts must encode back to the very same text (it accepts only the
 * canonical form), and the raw input must survive an encode/decode round
 * trip.  The exchange: byte 0 picks PLAIN, LOGIN or another mechanism and
 * whether the first line is an initial response; the rest is split on LF
 * into client lines.  A finished exchange must have produced credentials
 * inside every limit (no control byte in names, no NUL in the password,
 * authzid empty or equal to authcid).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sasl.h"

static void
fuzz_b64(const uint8_t *d, size_t n)
{
	static unsigned char	dec[SASL_LINE_MAX];
	static char		enc[SASL_LINE_MAX * 2];
	ssize_t			r, e;

	if (n > SASL_LINE_MAX)
		return;
	r = sasl_b64_decode((const char *)d, n, dec, sizeof(dec));
	if (r >= 0) {
		e = sasl_b64_encode(dec, (size_t)r, enc, sizeof(enc));
		if (e < 0 || (size_t)e != n || memcmp(enc, d, n) != 0)
			abort();
	}
	if (n > SASL_LINE_MAX / 2)
		return;
	e = sasl_b64_encode(d, n, enc, sizeof(enc));
	if (e < 0 || strlen(enc) != (size_t)e)
		abort();
	r = sasl_b64_decode(enc, (size_t)e, dec, sizeof(dec));
	if (r < 0 || (size_t)r != n || memcmp(dec, d, n) != 0)
		abort();
}

static void
fuzz_name(const char *s, int may_be_empty)
{
	size_t	n = strlen(s), i;

	if (n > SASL_NAME_MAX || (n == 0 && !may_be_empty))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void
fuzz_exchange(const uint8_t *d, size_t n)
{
	static const char *const mechs[] = { "PLAIN", "login", "CRAM-MD5" };
	struct sasl		 s;
	enum sasl_status	 st;
	const char		*p, *end, *nl;
	char			*first;
	size_t			 len;
	int			 steps = 0;

	if (n < 1)
		return;
	p = (const char *)d + 1;
	end = (const char *)d + n;
	if (d[0] & 4) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl == NULL ? end : nl) - p);
		if ((first = malloc(len + 1)) == NULL)
			abort();
		memcpy(first, p, len);
		first[len] = '\0';	/* an embedded NUL cuts it, as a C string */
		st = sasl_start(&s, mechs[d[0] % 3], first);
		free(first);
		p = nl == NULL ? end : nl + 1;
	} else
		st = sasl_start(&s, mechs[d[0] % 3], NULL);
	while (st == SASL_CONTINUE && steps++ < 8) {
		if (strlen(sasl_challenge(&s)) >= SASL_CHALLENGE_MAX)
			abort();
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl == NULL ? end : nl) - p);
		st = sasl_step(&s, p, len);
		p = nl == NULL ? end : nl + 1;
	}
	if (st == SASL_DONE) {
		fuzz_name(s.creds.authcid, 0);
		fuzz_name(s.creds.authzid, 1);
		if (s.creds.authzid[0] != '\0' &&
		    strcmp(s.creds.authzid, s.creds.authcid) != 0)
			abort();
		if (s.creds.password[0] == '\0' ||
		    strlen(s.creds.password) > SASL_PASS_MAX)
			abort();
	} else if (st == SASL_ERROR) {
		if (sasl_error(&s) == SASL_ERR_NONE ||
		    s.creds.password[0] != '\0')
			abort();
		(void)sasl_smtp_reply(sasl_error(&s));
	}
	sasl_clear(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_b64(d, n);
	fuzz_exchange(d, n);
	return 0;
}
