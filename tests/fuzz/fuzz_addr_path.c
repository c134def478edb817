/*
 * libFuzzer target for lib/mail/addr_path.c: parses the input as a path under
 * every combination of flags and checks what a caller relies on: *used
 * within the input, parts within their limits and free of control bytes,
 * no 8-bit bytes without PATH_ALLOW_UTF8, a zeroed result on failure, and
 * that the canonical text, put back in brackets, parses to the same parts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static void
check_clean(const char *s, size_t max, int utf8_ok)
{
	size_t			 len = strnlen(s, max + 1);
	const unsigned char	*p = (const unsigned char *)s;

	if (len > max)
		abort();
	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			abort();
		if (*p >= 0x80 && !utf8_ok)
			abort();
	}
}

static void
fuzz_one(const char *s, size_t n, int flags)
{
	struct mailpath	 mp, again;
	const char	*why = NULL;
	char		 wrapped[ADDR_TEXT_MAX + 3];
	size_t		 used = 99999, used2, tlen;
	int		 r;

	r = path_parse(s, n, flags, &mp, &used, &why);
	if (r == -1) {
		if (why == NULL || used != 0 || mp.text[0] != '\0' ||
		    mp.local[0] != '\0' || mp.domain[0] != '\0' || mp.null)
			abort();
		return;
	}
	if (r != 0 || used == 0 || used > n || used > ADDR_PATH_MAX)
		abort();
	check_clean(mp.local, ADDR_LOCAL_MAX, flags & PATH_ALLOW_UTF8);
	check_clean(mp.domain, ADDR_DOMAIN_MAX, flags & PATH_ALLOW_UTF8);
	check_clean(mp.text, ADDR_TEXT_MAX, flags & PATH_ALLOW_UTF8);
	if (mp.null) {
		if (!(flags & PATH_ALLOW_NULL) || mp.text[0] != '\0' ||
		    used != 2)
			abort();
		return;
	}
	if (mp.local[0] == '\0')
		abort();
	if (mp.domain[0] == '\0' && !(flags & PATH_ALLOW_NO_DOMAIN))
		abort();
	if (used < n && s[used - 1] != '>' && s[used] != ' ')
		abort();
	/* The canonical form must read back as the same address. */
	tlen = strlen(mp.text);
	wrapped[0] = '<';
	memcpy(wrapped + 1, mp.text, tlen);
	wrapped[tlen + 1] = '>';
	if (path_parse(wrapped, tlen + 2, flags & ~PATH_NO_BRACKETS, &again,
	    &used2, &why) != 0)
		abort();
	if (used2 != tlen + 2 || strcmp(again.local, mp.local) != 0 ||
	    strcmp(again.domain, mp.domain) != 0 ||
	    strcmp(again.text, mp.text) != 0 || again.utf8 != mp.utf8)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int flags;

	for (flags = 0; flags < 16; flags++)
		fuzz_one((const char *)data, size, flags);
	return 0;
}
