/*
 * netstring: D. J. Bernstein's "len:data," framing, used by every
 * channel between facteur's processes (lib/ipc/chan.h).  Inside a frame,
 * fields are separated by NUL bytes.
 *
 * Trust: see netstring.c.  lib/ipc/chan.c frames every channel with it.
 */
#ifndef FACTEUR_NETSTRING_H
#define FACTEUR_NETSTRING_H
#include <stddef.h>
#include "buf.h"

#define NETSTRING_DIGITS_MAX	10

int	netstring_encode(struct buf *, const void *, size_t);
/*
 * Looks for one netstring at the start of p[0..n).  Returns 1 and sets
 * *data, *dlen and *used (bytes consumed) when whole; 0 when more input is
 * needed; -1 when malformed or longer than max (the stream is then broken
 * and must be closed).
 */
int	netstring_decode(const char *p, size_t n, size_t max,
	    const char **data, size_t *dlen, size_t *used);
/*
 * Splits a frame into NUL-separated fields: up to maxf pointers into
 * data (which must end in NUL or have dlen bytes; fields are NUL-ended in
 * place).  Returns the field count, or -1 if more than maxf.
 */
int	frame_split(char *data, size_t dlen, char **fields, int maxf);
/* Appends netstring(field0 NUL field1 NUL ... fieldN) to out. */
int	frame_encode(struct buf *out, const char *const *fields, int nf);

#endif
