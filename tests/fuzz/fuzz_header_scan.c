/*
 * libFuzzer target for lib/mail/header_scan.c: walks every field of the input
 * as a header section, checks that each field lies inside the input and
 * before the end the section end says, and that unfolding and comparing
 * a value agree with each other.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "header_scan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char		*p = (const char *)data;
	struct header_scan	 hs;
	struct header_field	 f;
	char			 v[256];
	size_t			 body = n, count = 0;
	long			 len;
	int			 ended;

	ended = header_section_end(p, n, &body);
	if (ended && body > n)
		abort();
	header_scan_init(&hs, p, n);
	while (header_scan_next(&hs, &f)) {
		if (f.name < p || f.value + f.valuelen > p + n ||
		    f.name + f.namelen >= f.value)
			abort();
		if (ended && f.value + f.valuelen > p + body)
			abort();
		len = header_value_unfold(&f, v, sizeof(v));
		if (len >= 0) {
			if ((size_t)len >= sizeof(v) || v[len] != '\0')
				abort();
			/* A value without NUL compares equal to itself. */
			if (strlen(v) == (size_t)len &&
			    !header_value_equal(&f, v))
				abort();
		}
		if (header_name_is(&f, "Delivered-To") &&
		    strlen(v) == (size_t)len && len >= 0)
			count++;
		if (count > n)
			abort();
	}
	if (header_scan_next(&hs, &f) != 0)
		abort();
	return 0;
}
