/*
 * resident_auth: AUTH in a resident smtpd, which must not wait.  The
 * resident forks a child per AUTH request (resident_auth_start), the
 * AUTH child: it checks the credentials with auth_check (lib/auth: the
 * users table's crypt(3) hashes or PAM, which may take a while), sleeps
 * the failure delay when they are wrong, sends its verdict as one frame
 * on a channel of its own (lib/ipc/chan.h) and exits:
 *
 *   [O, user]   good; user is the account's name
 *   [B]         bad (after the delay)
 *   [T]         could not check now
 *
 * The resident reads the verdict from its poll loop
 * (resident_auth_readable) and answers the session OK, BAD, CLOSE (too
 * many failures) or TEMP.  The child runs as root, as the resident does,
 * holds the password only as long as the check takes, is not dumpable,
 * and keeps no descriptor but its channel and stderr.  The resident trusts
 * the verdict's form no more than a session's frames: a user name that is
 * not printable and short, or anything else, is TEMP.
 */
#include <sys/prctl.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "chan.h"
#include "child.h"
#include "fdio.h"
#include "log.h"
#include "smtpd.h"
#include "smtpd_resident.h"
#include "users.h"

/* The AUTH child: checks, sleeps the failure delay, sends the verdict. */
static void __attribute__((noreturn))
resident_auth_child(struct monitor *m, struct chan_msg *msg, int out)
{
	const int		 fds[SMTPD_SESSION_CHAN_FD + 1] = { -1, -1, 2, out };
	const char		*v[2] = { "T", NULL };
	struct auth_result	 res;
	enum auth_status	 st;
	struct chan		 c;

	(void)signal(SIGHUP, SIG_DFL);
	if (child_fds(fds, SMTPD_SESSION_CHAN_FD + 1) == -1)
		_exit(111);
	log_reopen();
	(void)prctl(PR_SET_DUMPABLE, 0);
	st = auth_check(m->conf, msg->f[1], msg->f[2], m->opts->peer_addr,
	    &res);
	chan_msg_wipe(msg);
	if (st == AUTH_OK) {
		v[0] = "O";
		v[1] = res.user.name;
	} else if (st == AUTH_BAD) {
		auth_sleep_ms(auth_fail_delay_ms(m->conf, m->fails + 1, &res));
		v[0] = "B";
	}
	chan_init(&c, SMTPD_SESSION_CHAN_FD, CHAN_PACKET, CHAN_SMALL_MAX);
	st = chan_send(&c, v, v[1] != NULL ? 2 : 1, NULL, 0) == -1 ? 111 : 0;
	explicit_bzero(&res, sizeof(res));
	_exit(st);
}

int
resident_auth_start(struct monitor *m, struct chan_msg *msg)
{
	struct rconn	*rc = m->rc;
	int		 p[2];
	pid_t		 pid;

	if (rc->auth_fd != -1) {
		chan_msg_wipe(msg);
		return -1;
	}
	if (chan_pair(p) == -1) {
		chan_msg_wipe(msg);
		log_warn("auth: socketpair");
		return monitor_reply(m, "TEMP", NULL);
	}
	if ((pid = child_fork("smtpd-auth", 0)) == -1) {
		chan_msg_wipe(msg);
		log_warn("auth: fork");
		(void)close(p[0]);
		(void)close(p[1]);
		return monitor_reply(m, "TEMP", NULL);
	}
	if (pid == 0) {
		(void)close(p[0]);
		resident_auth_child(m, msg, p[1]);
	}
	chan_msg_wipe(msg);
	(void)close(p[1]);
	(void)fd_set_nonblock(p[0], 1);
	rc->auth_pid = pid;
	rc->auth_fd = p[0];
	return 0;
}

int
resident_auth_readable(struct rconn *rc)
{
	struct monitor		*m = &rc->mon;
	struct chan_msg		 v;
	struct chan		 c;
	char			 user[USER_NAME_MAX + 1];
	enum resident_verdict	 verdict;
	int			 n, r;

	chan_init(&c, rc->auth_fd, CHAN_PACKET, CHAN_SMALL_MAX);
	if ((n = chan_recv_nowait(&c, &v)) == 2)
		return 0;
	/* one verdict, or nothing: the child is done either way */
	(void)close(rc->auth_fd);
	rc->auth_fd = -1;
	rc->auth_pid = -1;	/* reaped by the loop, as any child */
	verdict = resident_wire_verdict(n, &v, user);
	if (n == 1)
		chan_msg_wipe(&v);
	if (verdict == VERDICT_OK) {
		m->authed = 1;
		(void)strlcpy(m->user, user, sizeof(m->user));
		r = monitor_reply(m, "OK", NULL);
	} else if (verdict == VERDICT_BAD) {
		m->fails++;
		r = monitor_reply(m, auth_fail_too_many(m->conf, m->fails) ?
		    "CLOSE" : "BAD", NULL);
	} else {
		if (verdict == VERDICT_NONE)
			log_warnx("auth: no verdict from the checking process");
		r = monitor_reply(m, "TEMP", NULL);
	}
	explicit_bzero(user, sizeof(user));
	return r;
}

