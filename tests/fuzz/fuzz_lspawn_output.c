/*
 * libFuzzer target for what a delivery worker or a local delivery child
 * (a user, or a command that user's files name) writes on its fds 1 and
 * 2, and lspawn (root) keeps and logs: deliver/lspawn_out.c.  The bytes
 * go through a real non-blocking pipe in chunks, each followed by
 * worker_out_read as lspawn's poll loop calls it; now and then, and at
 * the end (after EOF), lspawn takes what it kept: the first line
 * (worker_out_line, as for a worker's job or death) or every line
 * (worker_out_lines, as for a local child's).
 *
 * Input: a chunk byte (octets per write, 0: all at once), a take byte
 * (bit 0: every line, else the first; bits 1-7: take after every that
 * many chunks, 0: only at the end), a size byte (the line buffer
 * worker_out_line gets: 0 for LSPAWN_TEXT_MAX + 1, as lspawn_pool.c,
 * else that many octets), then the bytes the worker writes.
 *
 * Checked against a reference written here: what is kept between two
 * takes is the first LSPAWN_OUT_MAX octets written since the first; the
 * first line is those octets up to a newline or a NUL, less trailing
 * CRs, given only when not empty, cut to the buffer and with each control
 * byte (0x00-0x1f, 0x7f) made '?'; every line is each non-empty piece
 * between newlines before the first NUL, made the same way, in order.
 * No descriptor stays open (the read end is closed at EOF).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_chan.h"
#include "lspawn.h"

/* What lspawn emitted from one worker_out_lines. */
static char	 got[LSPAWN_OUT_MAX][LSPAWN_OUT_MAX + 1];
static size_t	 ngot;

static void
collect(void *arg, const char *line)
{
	(void)arg;
	if (ngot == LSPAWN_OUT_MAX || strlen(line) > LSPAWN_OUT_MAX)
		abort();
	memcpy(got[ngot++], line, strlen(line) + 1);
}

/* 1 if line is p[0..n) with each control byte made '?'. */
static int
same_sanitized(const char *line, const uint8_t *p, size_t n)
{
	size_t	 i;

	if (strlen(line) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (line[i] != ((p[i] < 0x20 || p[i] == 0x7f) ? '?' :
		    (char)p[i]))
			return 0;
	return 1;
}

/* lspawn takes what it kept of w; kept[0..k) is the reference. */
static void
take(struct worker *w, int all, size_t n, const uint8_t *kept, size_t k)
{
	char	 line[256 + LSPAWN_TEXT_MAX];
	size_t	 i, start, end, len, g = 0;
	int	 r;

	if (!all) {
		/* a guard byte past the buffer it is given */
		memset(line, 'G', sizeof(line));
		r = worker_out_line(w, line, n);
		if (line[n] != 'G')
			abort();
		for (len = 0; len < k && kept[len] != '\n' && kept[len] != '\0';
		    len++)
			continue;
		while (len > 0 && kept[len - 1] == '\r')
			len--;
		if (r != (len > 0))
			abort();
		if (r && !same_sanitized(line, kept, len < n - 1 ? len : n - 1))
			abort();
	} else {
		ngot = 0;
		worker_out_lines(w, collect, NULL);
		for (end = 0; end < k && kept[end] != '\0'; end++)
			continue;
		for (start = 0; start < end; start = i + 1) {
			for (i = start; i < end && kept[i] != '\n'; i++)
				continue;
			if (i == start)
				continue;
			if (g >= ngot || !same_sanitized(got[g], kept + start,
			    i - start))
				abort();
			g++;
		}
		if (g != ngot)
			abort();
	}
	if (w->outlen != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct worker	 w;
	struct fz_fdset		 fdset;
	uint8_t			 kept[LSPAWN_OUT_MAX];
	size_t			 chunk, n, len, k = 0, chunks = 0, every;
	int			 pp[2], all;

	if (!fz_begin(size, &fdset))
		return 0;
	chunk = fz_byte(&data, &size);
	all = fz_byte(&data, &size);
	every = (size_t)(all >> 1);
	all &= 1;
	n = fz_byte(&data, &size);
	if (n == 0)
		n = LSPAWN_TEXT_MAX + 1;
	if (chunk == 0)
		chunk = size > 0 ? size : 1;
	if (pipe2(pp, O_NONBLOCK | O_CLOEXEC) == -1)
		abort();
	memset(&w, 0, sizeof(w));
	w.pid = 1;
	w.outfd = pp[0];
	w.chan = -1;
	while (size > 0) {
		len = size < chunk ? size : chunk;
		if (write(pp[1], data, len) != (ssize_t)len)
			abort();
		worker_out_read(&w);
		if (w.outfd != pp[0])
			abort();
		if (k < LSPAWN_OUT_MAX) {
			memcpy(kept + k, data, len < LSPAWN_OUT_MAX - k ?
			    len : LSPAWN_OUT_MAX - k);
			k += len < LSPAWN_OUT_MAX - k ? len : LSPAWN_OUT_MAX - k;
		}
		if (w.outlen != k)
			abort();
		data += len;
		size -= len;
		if (every != 0 && ++chunks % every == 0) {
			take(&w, all, n, kept, k);
			k = 0;
		}
	}
	(void)close(pp[1]);
	worker_out_read(&w);
	if (w.outfd != -1)
		abort();
	take(&w, all, n, kept, k);
	fz_fds_same(&fdset);
	return 0;
}
