/*
 * smtp_subvert: a deliberately subverted SMTP client, for the attack
 * tests only (tests/integration/test_remote_attack.py).  Compiled to
 * nothing unless SMTP_CLIENT_SUBVERTED is defined, which only the
 * test-only build $(BUILD)/rsubverted/ does (remote/sources.mk); `make
 * all` and `make install` never define it.
 *
 * The SMTP client talks to any server on the Internet; this build plays
 * one that a server has taken over.  When a reply of the server it
 * delivered to (any recipient's result text) holds
 *
 *   XSUBVERT frame [frame...]
 *
 * the client sends rspawn exactly those frames instead of its honest
 * results: each frame is its fields hex-encoded and joined by '.', and a
 * frame that begins with "fd:" carries the message's descriptor too.
 * After them it exits.  It is a test of
 * rspawn's checks: whatever a client sends, only an answer for its own
 * request's recipients, each once, reaches queued.
 *
 * The same build plays an rspawn taken over, to test queued's checks:
 * a client's frame whose first field is "X" is not checked but passed
 * to queued as it is, without that field (descriptors included).
 */
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "mime_decode.h"
#include "smtp_client.h"

#ifdef SMTP_CLIENT_SUBVERTED

/* One frame of the script at *p (moved past it); 0, or -1 at its end. */
static int
x_frame(struct chan *c, const struct smtp_job *j, const char **p)
{
	static char	 buf[RJOB_FRAME_MAX];
	const char	*f[CHAN_FIELDS_MAX];
	const char	*s = *p;
	size_t		 nf = 0, n = 0;
	int		 fd = -1, hi, lo;

	while (*s == ' ')
		s++;
	if (*s == '\0' || *s == ')')
		return -1;
	if (strncmp(s, "fd:", 3) == 0) {
		fd = j->msgfd;
		s += 3;
	}
	f[nf++] = buf;
	while (*s != '\0' && *s != ' ' && *s != ')' && n + 1 < sizeof(buf)) {
		if (*s == '.') {
			buf[n++] = '\0';
			if (nf == CHAN_FIELDS_MAX)
				break;
			f[nf++] = buf + n;
			s++;
			continue;
		}
		if ((hi = mime_hexval(s[0])) == -1 || (lo = mime_hexval(s[1])) == -1)
			break;
		buf[n++] = (char)(hi << 4 | lo);
		s += 2;
	}
	buf[n] = '\0';
	*p = s;
	(void)chan_send(c, f, (int)nf, fd != -1 ? &fd : NULL,
	    fd != -1 ? 1 : 0);
	return 0;
}

int
rspawn_subvert(const struct chan_msg *m)
{
	static struct chan	 qc;
	static int		 init;

	if (m->nf < 2 || strcmp(m->f[0], "X") != 0)
		return 0;
	if (!init) {
		chan_init(&qc, 0, CHAN_PACKET, RJOB_FRAME_MAX);	/* queued */
		init = 1;
	}
	(void)chan_send(&qc, (const char *const *)m->f + 1, (int)m->nf - 1,
	    m->fds, (int)m->nfds);
	return 1;
}

int
smtp_subvert(struct chan *c, const struct smtp_job *j)
{
	const char	*p = NULL;
	size_t		 i;

	for (i = 0; i < j->rj.nrcpt && p == NULL; i++)
		p = strstr(j->res[i].text, "XSUBVERT ");
	if (p == NULL)
		return 0;
	p += strlen("XSUBVERT ");
	while (x_frame(c, j, &p) == 0)
		continue;
	_exit(0);	/* nothing honest after that */
}

#else

int
rspawn_subvert(const struct chan_msg *m)
{
	(void)m;
	return 0;
}

int
smtp_subvert(struct chan *c, const struct smtp_job *j)
{
	(void)c;
	(void)j;
	return 0;
}

#endif
