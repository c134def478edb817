/*
 * lspawn_out: what a delivery worker or a local delivery child writes on
 * its fds 1 and 2, as lspawn (root) keeps and logs it.  The writer runs
 * as a user (and a local child may run that user's commands), so these
 * are a stranger's bytes into a root process: any octets, as many as it
 * likes.  lspawn keeps the first LSPAWN_OUT_MAX octets of what it wrote
 * since it was last emptied and reads the rest away, LSPAWN_OUT_DRAIN
 * octets at most each time poll says there is some; a line is what
 * comes before a newline (or the end, or a NUL: nothing after a NUL is
 * kept), and comes out with its control bytes made '?'.  Fuzzed by
 * fuzz_lspawn_output (docs/security-fuzz.md).
 *
 * Trust: none of the bytes; only w's own descriptor and buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "lspawn.h"

/*
 * Reads what the worker wrote on fd 1 and 2 (non-blocking), kept up to
 * LSPAWN_OUT_MAX octets; closes outfd at EOF.  At most LSPAWN_OUT_DRAIN
 * octets at one call: a worker that writes without end would otherwise
 * keep lspawn here, never seeing EAGAIN.
 */
void
worker_out_read(struct worker *w)
{
	char	scratch[4096];
	ssize_t	r;
	size_t	drained = 0;

	while (w->outfd != -1 && drained < LSPAWN_OUT_DRAIN) {
		if (w->outlen < LSPAWN_OUT_MAX)
			r = read(w->outfd, w->out + w->outlen,
			    LSPAWN_OUT_MAX - w->outlen);
		else
			r = read(w->outfd, scratch,
			    LSPAWN_OUT_DRAIN - drained < sizeof(scratch) ?
			    LSPAWN_OUT_DRAIN - drained : sizeof(scratch));
		if (r > 0) {
			drained += (size_t)r;
			if (w->outlen < LSPAWN_OUT_MAX)
				w->outlen += (size_t)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			return;
		if (r == -1)
			log_warn("worker %ld: reading its output", (long)w->pid);
		if (close(w->outfd) == -1)
			log_warn("worker %ld: close", (long)w->pid);
		w->outfd = -1;
	}
}

/* The first line of what the worker wrote, sanitized; empties the
 * buffer.  Returns 0 when there was nothing. */
int
worker_out_line(struct worker *w, char *line, size_t n)
{
	char	*nl;
	size_t	 len;

	worker_out_read(w);
	if (w->outlen == 0)
		return 0;
	w->out[w->outlen] = '\0';
	if ((nl = memchr(w->out, '\n', w->outlen)) != NULL)
		*nl = '\0';
	len = strlen(w->out);
	while (len > 0 && w->out[len - 1] == '\r')
		w->out[--len] = '\0';
	w->outlen = 0;
	if (len == 0)
		return 0;
	log_sanitize(line, w->out, n);
	return 1;
}

void
worker_out_lines(struct worker *w, void (*emit)(void *, const char *),
    void *arg)
{
	char	*p, line[LSPAWN_OUT_MAX + 1];
	size_t	 n;

	worker_out_read(w);
	w->out[w->outlen] = '\0';
	for (p = w->out; *p != '\0'; p += n + (p[n] == '\n')) {
		n = strcspn(p, "\n");
		(void)snprintf(line, sizeof(line), "%.*s", (int)n, p);
		log_sanitize(line, line, sizeof(line));
		if (line[0] != '\0')
			emit(arg, line);
	}
	w->outlen = 0;
}
