/*
 * libFuzzer target for lib/base/netstring.c: decodes a stream of netstrings
 * from the input with a small and a large maximum, splits every frame
 * into fields, and checks that what decodes re-encodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "netstring.h"

static void
fuzz_stream(const char *p, size_t n, size_t max)
{
	const char	*d;
	size_t		 dl, used;
	char		*copy, *fields[16];
	struct buf	 b;
	int		 r, nf, i;

	while (n > 0) {
		r = netstring_decode(p, n, max, &d, &dl, &used);
		if (r != 1)
			return;
		if (dl > max || used > n || d < p || d + dl > p + used)
			abort();
		/* Round trip: encoding the data gives back the input bytes. */
		buf_init(&b, used);
		if (netstring_encode(&b, d, dl) != 0 || b.len != used ||
		    memcmp(b.data, p, used) != 0)
			abort();
		buf_free(&b);
		/* Split a private copy with room for the NUL after it. */
		if ((copy = malloc(dl + 1)) == NULL)
			abort();
		if (dl > 0)
			memcpy(copy, d, dl);
		copy[dl] = ',';
		nf = frame_split(copy, dl, fields, 16);
		if (nf > 16)
			abort();
		for (i = 0; i < nf; i++) {
			if (fields[i] < copy || fields[i] > copy + dl)
				abort();
			if (strlen(fields[i]) > dl)
				abort();
		}
		free(copy);
		p += used;
		n -= used;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_stream((const char *)data, size, 64);
	fuzz_stream((const char *)data, size, 1 << 20);
	return 0;
}
