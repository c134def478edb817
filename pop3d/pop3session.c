/*
 * pop3session: the TRANSACTION and UPDATE states of one POP3 connection
 * (RFC 1939 5, 6), over the Maildir of one user.
 *
 * Started by pop3d's monitor after a successful login, in the session
 * process it has forked: already running as the mailbox owner (never uid
 * 0 nor below first_valid_uid), in the owner's home, with the connection
 * to pop3d's login process (which relays to the client, in TLS or not)
 * on fds 0 and 1.  Its first line answers the client's PASS or AUTH.
 * It is a program of its own so that a session's process maps neither
 * OpenSSL nor PAM nor the monitor's heap: it links libc (and libbsd)
 * only, and is given on its command line the few settings it needs, so
 * it reads no configuration and no password database.
 *
 * It reads and writes the user's Maildir (cur/, new/, tmp/, the size
 * cache and POP3_LOCK_FILE) and nothing else; once the mailbox is open,
 * its sandbox (lib/sandbox, role pop3-session) lets it only read, rename
 * and remove files.  It trusts its arguments
 * (from the monitor and facteur.conf); every byte from the client is
 * checked by lib/pop3_cmd's command table.
 *
 * Usage: pop3session [-dDS] -e error_limit [-s sandbox] -t timeout
 *                   user home maildir
 *   -d  log to stderr;  -D  log debugging detail (log_debug);
 *   -S  add the seen flag on RETR (pop3_mark_seen);
 *   -s  enforce, report or off (sandbox);
 *   -e  -ERR replies before closing (pop3_error_limit);
 *   -t  seconds of client silence before closing (pop3_timeout);
 *   maildir is relative to home (facteur.conf's maildir).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pop3session.h"
#include "sandbox.h"

static void __attribute__((noreturn))
pop3session_usage(void)
{
	fprintf(stderr, "usage: pop3session [-dDS] -e error_limit [-s sandbox] "
	    "-t timeout user home maildir\n");
	exit(64);
}

static long long
pop3session_num(const char *s, long long max)
{
	const char	*err;
	long long	 v;

	v = strtonum(s, 1, max, &err);
	if (err != NULL)
		pop3session_usage();
	return v;
}

int
main(int argc, char *argv[])
{
	struct pop3		 p;
	const char		*user, *home, *maildir, *sandbox = "enforce";
	size_t			 n;
	unsigned long long	 octets;
	long long		 timeout = 0;
	int			 ch, debug = 0, verbose = 0, r = 1;

	memset(&p, 0, sizeof(p));
	p.lockfd = -1;
	while ((ch = getopt(argc, argv, "dDe:Ss:t:")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'D':
			verbose = 1;
			break;
		case 'e':
			p.c.error_limit = (unsigned)pop3session_num(optarg,
			    1000000);
			break;
		case 'S':
			p.mark_seen = 1;
			break;
		case 's':
			sandbox = optarg;
			break;
		case 't':
			timeout = pop3session_num(optarg, 86400);
			break;
		default:
			pop3session_usage();
		}
	}
	if (argc - optind != 3 || p.c.error_limit == 0 || timeout == 0)
		pop3session_usage();
	user = argv[optind];
	home = argv[optind + 1];
	maildir = argv[optind + 2];
	log_init("pop3session", debug);
	log_set_debug(verbose);
	if (sandbox_configure(sandbox) == -1)
		pop3session_usage();
	(void)signal(SIGPIPE, SIG_IGN);

	p.c.state = POP3_TRANS;
	buf_init(&p.c.line, POP3_LINE_MAX);
	lineio_init(&p.c.io, 0, 1, (int)timeout * 1000);
	if (pop3_open_box(&p, user, home, maildir) == 0) {
		sandbox_enter(SANDBOX_POP3_SESSION);
		pop3_totals(&p, &n, &octets);
		log_info("session: user=<%s>, messages=%zu, octets=%llu",
		    user, n, octets);
		if (pop3_ok(&p.c, "%zu messages (%llu octets)", n,
		    octets) != -1)
			r = pop3_loop(&p.c, &p, pop3_session_handlers) == -1;
	} else
		(void)lineio_flush(&p.c.io);
	pop3_close_box(&p, user);
	lineio_free(&p.c.io);
	buf_free(&p.c.line);
	return r;
}
