/*
 * imapsession: the authenticated and selected states of one IMAP
 * connection (RFC 9051 6.3, 6.4; RFC 3501), over the Maildir++ of one
 * user.
 *
 * Started by imapd's monitor after a successful login, in the session
 * process it has forked: already running as the mailbox owner (never uid
 * 0 nor below first_valid_uid), in the owner's home, with the connection
 * to imapd's login process (which relays to the client, in TLS or not)
 * on fds 0 and 1.  The login process first sends IMAP_LOGIN_PREAMBLE
 * with the tag of the client's LOGIN or AUTHENTICATE, which this program
 * answers.  It is a program of its own so that a session's process maps
 * neither OpenSSL nor PAM nor the monitor's heap: it links libc (and
 * libbsd) only, and is given on its command line the few settings it
 * needs, so it reads no configuration and no password database.
 *
 * It reads and writes the user's Maildir++ (the Maildir and its .Folder
 * directories, with the state files of store.h) and nothing else; once
 * the Maildir is open, before it answers the login, it enters its
 * sandbox (lib/sandbox, role imap-session).  It
 * trusts its arguments (from the monitor and facteur.conf); every byte
 * from the client is checked by imap_read, imap_parse and the commands.
 *
 * Usage: imapsession [-dDmS] -e error_limit -t timeout -l line_max
 *            -L literal_max -A append_limit [-s sandbox] user home maildir
 *   -d  log to stderr;  -D  log debugging detail;
 *   -m  LITERAL- instead of LITERAL+ (imap_literal_plus = no);
 *   -S  create the special-use folders that are missing;
 *   -s  enforce, report or off (sandbox);
 *   -e  BAD replies before closing (imap_error_limit);
 *   -t  seconds of client silence before closing (imap_timeout);
 *   -l, -L, -A  imap_line_max, imap_literal_max, imap_append_limit;
 *   maildir is relative to home (facteur.conf's maildir).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapd.h"
#include "imapsession.h"
#include "log.h"
#include "maildir.h"
#include "sandbox.h"

const char imap_server_id[] = "facteur";

static void __attribute__((noreturn))
imapsession_usage(void)
{
	fprintf(stderr, "usage: imapsession [-dDmS] -e error_limit -t timeout "
	    "-l line_max -L literal_max -A append_limit [-s sandbox] user home "
	    "maildir\n");
	exit(64);
}

static long long
imapsession_num(const char *s, long long min, long long max)
{
	const char	*err;
	long long	 v;

	v = strtonum(s, min, max, &err);
	if (err != NULL)
		imapsession_usage();
	return v;
}

/*
 * The login process's first line: the tag of the command to answer.
 * 0, or -1 (then the connection just ends).
 */
static int
imapsession_preamble(struct imap_session *s, char *tag, size_t taglen)
{
	enum line_status	 st;
	struct buf		 line;
	size_t			 plen = sizeof(IMAP_LOGIN_PREAMBLE) - 1, i, n;
	int			 crlf;

	buf_init(&line, plen + IMAP_TAG_MAX + 2);
	st = lineio_read(&s->io, &line, line.max, &crlf);
	if (st != LINE_OK || !crlf || line.len < plen + 3 ||
	    memcmp(line.data, IMAP_LOGIN_PREAMBLE, plen) != 0) {
		buf_free(&line);
		log_warnx("no login preamble from the login process");
		return -1;
	}
	n = line.len - 2 - plen;
	for (i = 0; i < n; i++)
		if (!imap_is_tag_char((unsigned char)line.data[plen + i]))
			break;
	if (i != n || n == 0 || n >= taglen) {
		buf_free(&line);
		log_warnx("bad tag in the login preamble");
		return -1;
	}
	memcpy(tag, line.data + plen, n);
	tag[n] = '\0';
	buf_free(&line);
	return 0;
}

/* The Maildir, created when the user has had no mail yet. */
static int
imapsession_root(struct imap_session *s, const char *home, const char *md)
{
	char	 dir[PATH_MAX];
	int	 r;

	/* As in delivery: the Maildir is always under the home. */
	if (home[0] != '/')
		return -1;
	r = snprintf(dir, sizeof(dir), "%s/%s", home, md);
	if (r < 0 || (size_t)r >= sizeof(dir))
		return -1;
	if (maildir_create(dir, 0700) == -1) {
		log_warn("user=<%s>: create %s", s->user, dir);
		return -1;
	}
	if ((s->root = strdup(dir)) == NULL)
		return -1;
	s->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return s->rootfd == -1 ? -1 : 0;
}

int
main(int argc, char *argv[])
{
	struct imap_session	 s;
	const char		*home, *md, *sandbox = "enforce";
	char			 tag[IMAP_TAG_MAX + 1];
	long long		 line_max = 65536, lit_max = 65536;
	int			 ch, debug = 0, verbose = 0, special = 0, r = 1;

	memset(&s, 0, sizeof(s));
	s.rootfd = -1;
	s.box.dirfd = s.box.ifd = -1;
	while ((ch = getopt(argc, argv, "A:dDe:l:L:mSs:t:")) != -1) {
		switch (ch) {
		case 'A':
			s.append_max = (uint64_t)imapsession_num(optarg, 1024,
			    4LL * 1024 * 1024 * 1024);
			break;
		case 'd':
			debug = 1;
			break;
		case 'D':
			verbose = 1;
			break;
		case 'e':
			s.error_limit = (unsigned)imapsession_num(optarg, 1,
			    1000000);
			break;
		case 'l':
			line_max = imapsession_num(optarg, 1024, 16 << 20);
			break;
		case 'L':
			lit_max = imapsession_num(optarg, 1024, 16 << 20);
			break;
		case 'm':
			s.literal_minus = 1;
			break;
		case 'S':
			special = 1;
			break;
		case 's':
			sandbox = optarg;
			break;
		case 't':
			s.timeout_s = (int)imapsession_num(optarg, 1, 86400);
			break;
		default:
			imapsession_usage();
		}
	}
	if (argc - optind != 3 || s.error_limit == 0 || s.timeout_s == 0 ||
	    s.append_max == 0)
		imapsession_usage();
	s.user = argv[optind];
	home = argv[optind + 1];
	md = argv[optind + 2];
	log_init("imapsession", debug);
	log_set_debug(verbose);
	if (sandbox_configure(sandbox) == -1)
		imapsession_usage();
	(void)signal(SIGPIPE, SIG_IGN);

	lineio_init(&s.io, 0, 1, s.timeout_s * 1000);
	buf_init(&s.out, 16 * 1024 * 1024);
	s.rd.io = &s.io;
	s.rd.line_max = (size_t)line_max;
	s.rd.literal_max = (size_t)lit_max;
	s.rd.append_max = (size_t)s.append_max;
	s.rd.cmd_max = (size_t)(line_max + 4 * lit_max + IMAP_INLINE_MAX);
	s.rd.literal_minus = s.literal_minus;
	s.rd.spool = append_spool;
	s.rd.spool_arg = &s;
	s.rd.cmd_timeout_ms = s.timeout_s * 1000;
	if (imap_read_init(&s.rd) == -1 ||
	    imap_command_init(&s.cmd, IMAP_ARGS_MAX + 1) == -1)
		fatal("out of memory");
	s.state = IMAP_AUTH;

	if (imapsession_preamble(&s, tag, sizeof(tag)) == 0) {
		(void)strlcpy(s.cmd.tag, tag, sizeof(s.cmd.tag));
		if (imapsession_root(&s, home, md) == -1) {
			(void)lineio_printf(&s.io, "%s NO [UNAVAILABLE] cannot "
			    "open the mailbox\r\n", tag);
			(void)lineio_printf(&s.io, "* BYE the mailbox cannot "
			    "be opened\r\n");
			(void)lineio_flush(&s.io);
		} else {
			if (special)
				mbox_create_special(&s);
			sandbox_enter(SANDBOX_IMAP_SESSION);
			log_info("session: user=<%s>", s.user);
			if (lineio_printf(&s.io, "%s OK [CAPABILITY %s] "
			    "Logged in\r\n", tag, imap_capabilities(&s)) != -1)
				r = imap_session_loop(&s) == -1;
		}
	}
	select_close(&s);
	imap_seq_free(&s.saved);
	imap_read_free(&s.rd);
	imap_command_free(&s.cmd);
	lineio_free(&s.io);
	buf_free(&s.out);
	free(s.root);
	if (s.rootfd != -1)
		(void)close(s.rootfd);
	return r;
}
