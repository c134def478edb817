/*
 * smtpd_conn: a connection before its session talks, in whichever
 * process serves it (a per-connection smtpd, a session the resident
 * forked, one smtpsession forked): the client's address, the refusals
 * that need no session (overload, TLS the mode requires and lacks).
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "log.h"
#include "smtpd.h"

int
smtpd_tls_usable(const struct smtpd_opts *opts)
{
	return opts->tls != NULL || opts->tls_handoff;
}

void
smtpd_peer_of(int fd, char *out, size_t outlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	const void		*a = NULL;

	(void)strlcpy(out, "unknown", outlen);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		return;
	if (ss.ss_family == AF_INET)
		a = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	else if (ss.ss_family == AF_UNIX) {
		(void)strlcpy(out, "local", outlen);
		return;
	}
	if (a == NULL || inet_ntop(ss.ss_family, a, out, (socklen_t)outlen) ==
	    NULL)
		(void)strlcpy(out, "unknown", outlen);
}

/* A short reply straight on fd 1, before any session exists. */
void
smtpd_refuse(const char *line, int code)
{
	(void)fd_write_full(1, line, strlen(line));
	_exit(code);
}

void
smtpd_prepare(const struct conf *conf, struct smtpd_opts *opts)
{
	if (opts->overloaded)
		smtpd_refuse("421 4.3.2 Too many connections, try later\r\n",
		    0);
	smtpd_peer_of(0, opts->peer_addr, sizeof(opts->peer_addr));
	/*
	 * Replies are written a batch at a time (session_flush), so Nagle's
	 * algorithm only delays them: with TLS, whose records after the
	 * handshake (session tickets) and replies are separate writes, it
	 * would wait for the client's delayed ACK at each exchange.  Not a
	 * TCP socket (a pipe, a Unix socket under inetd): nothing to do.
	 */
	{
		int one = 1;

		(void)setsockopt(0, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
	if (!smtpd_tls_usable(opts) && opts->mode == SMTPD_SMTPS) {
		if (conf_str(conf, "tls_cert_file")[0] == '\0')
			log_warnx("smtps mode needs tls_cert_file");
		smtpd_refuse("421 4.3.3 TLS not available\r\n", 111);
	}
	if (!smtpd_tls_usable(opts) && opts->mode == SMTPD_SUBMISSION &&
	    conf_str(conf, "tls_cert_file")[0] != '\0')
		smtpd_refuse("421 4.3.3 TLS not available\r\n", 111);
}
