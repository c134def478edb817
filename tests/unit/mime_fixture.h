/*
 * mime_fixture: what the MIME and IMAP formatter tests share: reading a
 * file whole, and a message's wire form (LF -> CRLF, as imapd serves it).
 */
#ifndef FACTEUR_MIME_FIXTURE_H
#define FACTEUR_MIME_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crlf.h"

static __attribute__((unused)) char *
fixture_read(const char *path, size_t *len)
{
	FILE	*f;
	char	*p;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (p = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		fclose(f);
		return NULL;
	}
	fclose(f);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

/* The wire form of a stored message; 0, or -1. */
static __attribute__((unused)) int
fixture_wire(const char *msg, size_t len, struct buf *out)
{
	struct crlf_state	cs;

	buf_init(out, 2 * len + 16);
	crlf_init(&cs);
	if (crlf_convert(&cs, msg, len, 0, out) == -1)
		return -1;
	return crlf_convert_end(&cs, out);
}

#endif
