/*
 * session_subvert: a deliberately subverted session, for the attack tests
 * only (tests/integration/test_attack_smtpd_*.py).  Compiled to nothing
 * unless SMTPD_SUBVERTED is defined, which only the test-only build
 * $(BUILD)/subverted/ does (smtpd/sources.mk); `make all` and `make
 * install` never define it.
 *
 * In that build the session skips every check it makes before asking its
 * monitor (SESSION_CHECKS in smtpd.h: AUTH before MAIL, the sender and
 * recipient verdicts, the recipient count, DATA without a recipient), as
 * a compromised session would, and it takes these extra commands, so
 * that a test script chooses exactly what the session sends:
 *
 *   XRCPT <path>            record a recipient without asking the monitor
 *   XMON hex [hex...]       send one frame (each field hex-encoded) to
 *                           the monitor; reply "250 nfds hex..." with its
 *                           answer; descriptors that come with it are kept
 *   XMONSOCK port hex...    the same frame with a new TCP socket connected
 *                           to 127.0.0.1:port (a handed "client"); with
 *                           "fdN" for port, with its own descriptor N
 *   XFDWRITE i hex          write bytes to kept descriptor i
 *   XFDCLOSE i              close kept descriptor i
 *
 * It is a test of the monitors: whatever this session sends, nothing may
 * be queued that the monitor did not approve.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "smtpd.h"

#ifdef SMTPD_SUBVERTED

static int	x_fds[CHAN_FDS_MAX] = { -1, -1 };

static int
x_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes n hex digits at h into out (NUL-ended); its length or -1. */
static ssize_t
x_unhex(const char *h, size_t n, char *out, size_t outmax)
{
	size_t	 i;
	int	 a, b;

	if (n % 2 != 0 || n / 2 >= outmax)
		return -1;
	for (i = 0; i < n; i += 2) {
		if ((a = x_hexval((unsigned char)h[i])) == -1 ||
		    (b = x_hexval((unsigned char)h[i + 1])) == -1)
			return -1;
		out[i / 2] = (char)(a * 16 + b);
	}
	out[n / 2] = '\0';
	return (ssize_t)(n / 2);
}

/* Splits "hex hex ..." into fields in store; the count or -1. */
static int
x_fields(const char *arg, size_t n, char store[][SMTP_CMD_LINE_MAX],
    const char **f, int maxf)
{
	size_t	 i = 0, j;
	int	 nf = 0;

	while (i < n) {
		for (j = i; j < n && arg[j] != ' '; j++)
			;
		if (nf == maxf || x_unhex(arg + i, j - i, store[nf],
		    SMTP_CMD_LINE_MAX) == -1)
			return -1;
		f[nf] = store[nf];
		nf++;
		i = j + 1;
	}
	return nf;
}

/* Sends the frame, keeps its answer's descriptors, replies with it. */
static void
x_exchange(struct smtpd_session *s, const char *const *f, int nf, int fd)
{
	struct chan_msg	 m;
	char		 text[400];
	size_t		 len;
	int		 i, k;

	if (chan_send(&s->ipc, f, nf, &fd, fd != -1 ? 1 : 0) == -1 ||
	    chan_recv(&s->ipc, &m) != 1)
		session_close(s, 421, "4.3.0", "XMON: the monitor is gone");
	for (i = 0; i < CHAN_FDS_MAX; i++) {
		if (x_fds[i] != -1)
			(void)close(x_fds[i]);
		x_fds[i] = i < m.nfds ? m.fds[i] : -1;
	}
	len = (size_t)snprintf(text, sizeof(text), "%d", m.nfds);
	for (k = 0; k < m.nf; k++) {
		const unsigned char *p = (const unsigned char *)m.f[k];

		if (len + 2 >= sizeof(text))
			break;
		text[len++] = ' ';
		for (; *p != '\0' && len + 3 < sizeof(text); p++)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
			    "%02x", *p);
		text[len] = '\0';
	}
	session_reply(s, 250, NULL, "%s", text);
}

void
session_subvert_xmon(struct smtpd_session *s, const char *arg, size_t n)
{
	char		 store[CHAN_FIELDS_MAX][SMTP_CMD_LINE_MAX];
	const char	*f[CHAN_FIELDS_MAX];
	int		 nf;

	if ((nf = x_fields(arg, n, store, f, CHAN_FIELDS_MAX)) < 1) {
		session_reply(s, 501, NULL, "XMON hex [hex...]");
		return;
	}
	x_exchange(s, f, nf, -1);
}

void
session_subvert_xmonsock(struct smtpd_session *s, const char *arg, size_t n)
{
	char			 store[CHAN_FIELDS_MAX][SMTP_CMD_LINE_MAX];
	const char		*f[CHAN_FIELDS_MAX], *sp = memchr(arg, ' ', n);
	struct sockaddr_in	 sin;
	char			 port[8];
	int			 nf, fd;

	if (sp == NULL || (size_t)(sp - arg) >= sizeof(port) ||
	    (nf = x_fields(sp + 1, n - (size_t)(sp - arg) - 1, store, f,
	    CHAN_FIELDS_MAX)) < 1) {
		session_reply(s, 501, NULL, "XMONSOCK port hex [hex...]");
		return;
	}
	memcpy(port, arg, (size_t)(sp - arg));
	port[sp - arg] = '\0';
	if (strncmp(port, "fd", 2) == 0) {
		x_exchange(s, f, nf, atoi(port + 2));
		return;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		if (fd != -1)
			(void)close(fd);
		session_reply(s, 451, NULL, "XMONSOCK: cannot connect");
		return;
	}
	x_exchange(s, f, nf, fd);
	(void)close(fd);
}

/* "i" of a kept descriptor, or -1. */
static int
x_index(const char *arg, size_t n)
{
	if (n < 1 || arg[0] < '0' || arg[0] >= '0' + CHAN_FDS_MAX ||
	    (n > 1 && arg[1] != ' ') || x_fds[arg[0] - '0'] == -1)
		return -1;
	return arg[0] - '0';
}

void
session_subvert_xfdwrite(struct smtpd_session *s, const char *arg, size_t n)
{
	char	 data[SMTP_CMD_LINE_MAX];
	ssize_t	 len;
	int	 i;

	if ((i = x_index(arg, n)) == -1 || n < 3 ||
	    (len = x_unhex(arg + 2, n - 2, data, sizeof(data))) == -1) {
		session_reply(s, 501, NULL, "XFDWRITE i hex");
		return;
	}
	if (fd_write_full(x_fds[i], data, (size_t)len) == -1)
		session_reply(s, 451, NULL, "XFDWRITE: write failed");
	else
		session_reply(s, 250, NULL, "written");
}

void
session_subvert_xfdclose(struct smtpd_session *s, const char *arg, size_t n)
{
	int	 i;

	if ((i = x_index(arg, n)) == -1 || n != 1) {
		session_reply(s, 501, NULL, "XFDCLOSE i");
		return;
	}
	(void)close(x_fds[i]);
	x_fds[i] = -1;
	session_reply(s, 250, NULL, "closed");
}

void
session_subvert_xrcpt(struct smtpd_session *s, const struct mailpath *p)
{
	struct smtpd_rcpt	*r;

	if (s->nrcpt % 16 == 0) {
		if ((r = reallocarray(s->rcpts, s->nrcpt + 16,
		    sizeof(*r))) == NULL) {
			session_reply(s, 452, NULL, "XRCPT: out of memory");
			return;
		}
		s->rcpts = r;
	}
	(void)strlcpy(s->rcpts[s->nrcpt].text, p->text,
	    sizeof(s->rcpts[0].text));
	s->nrcpt++;
	s->state = ST_RCPT;
	session_reply(s, 250, NULL, "recorded, monitor not asked");
}

#endif
