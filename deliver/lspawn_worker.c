/*
 * lspawn_worker: a delivery worker's own process.  lspawn (root) forks
 * it for one uid and gid; it drops to them once, exactly as the former
 * per-delivery child did, then delivers that user's jobs in a loop:
 * a job packet with the message's descriptor arrives on fd 0 (a
 * SOCK_SEQPACKET socket, deliver/deliver_wire.h), lib/maildir/deliver_maildir.c
 * delivers it, the result packet (K/Z/D and one line) goes back on fd 0.
 * fd 1 and 2 are a pipe to lspawn, for what it has to say when it fails;
 * fd 3, at start, the region its user's workers share the fsyncs of
 * their Maildirs' new/ with (lib/base/gsync.h; mapped, then closed).
 *
 * Between the drop and its first job it enters its sandbox (lib/sandbox,
 * role delivery): from then on a system call that a Maildir delivery
 * does not make (executing a program, a network socket) kills it.
 *
 * It exits 0 at EOF on fd 0 (lspawn retires it: local_worker_max_jobs
 * reached, idle past local_worker_idle, room for another user, or lspawn
 * gone), and 111 when anything goes wrong: a malformed job, a failed
 * send, any step of the drop.  It is forked from lspawn only, never from
 * another worker, so it holds no other user's mail; what it inherited
 * from root's memory (the users tables) is wiped first.  It never
 * returns into lspawn's loop: every path ends in _exit.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "deliver_maildir.h"
#include "deliver_wire.h"
#include "fdio.h"
#include "gsync.h"
#include "chan.h"
#include "child.h"
#include "log.h"
#include "sandbox.h"
#include "users.h"
#include "lspawn.h"

#define WORKER_GSYNC_FD		3	/* the group commit region, at start */
#define WORKER_GSYNC_CACHE	64	/* users' regions kept by lspawn */

static void __attribute__((noreturn))
worker_fail(const char *what)
{
	char	line[256];
	int	n;

	n = snprintf(line, sizeof(line), "lspawn: %s: %s\n", what,
	    strerror(errno));
	/* stderr: the worker's pipe to lspawn after dup2, lspawn's own
	 * stderr before (never stdout: queued's result pipe until then) */
	if (n > 0 && (size_t)n < sizeof(line) &&
	    fd_write_full(STDERR_FILENO, line, (size_t)n) == -1) {
		/* lspawn reads the exit status anyway */
	}
	_exit(111);
}

/*
 * Becomes uid and gid for good, with what it inherited dropped first:
 * the users cache (password hashes), the syslog connection, every
 * descriptor but the channel (fd 0) and the pipe (fd 1, 2), signal
 * handlers and mask.  Its log lines go to the pipe, which lspawn logs
 * (its sandbox allows no new syslog connection).  Not dumpable, so the
 * user cannot ptrace it or read its memory (lspawn's heap came along
 * with the fork).
 */
static void
worker_drop(struct lspawn *ls, uid_t uid, gid_t gid, int chan, int out,
    int gsync)
{
	const int	 fds[WORKER_GSYNC_FD + 1] = { chan, out, out, gsync };

	users_cache_wipe();
	closelog();
	if (child_fds(fds, WORKER_GSYNC_FD + 1) == -1)
		worker_fail("descriptors");
	log_init("lspawn", 1);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		worker_fail("prctl");
	/* child_fork reset SIGCHLD; lspawn ignores these two */
	if (signal(SIGPIPE, SIG_DFL) == SIG_ERR ||
	    signal(SIGHUP, SIG_DFL) == SIG_ERR ||
	    signal(SIGTERM, SIG_DFL) == SIG_ERR)
		worker_fail("signal");
	if (ls->root) {
		if (setgroups(1, &gid) == -1)
			worker_fail("setgroups");
		if (setresgid(gid, gid, gid) == -1)
			worker_fail("setresgid");
		if (setresuid(uid, uid, uid) == -1)
			worker_fail("setresuid");
		if (getuid() != uid || geteuid() != uid ||
		    getgid() != gid || getegid() != gid)
			worker_fail("ids not changed");
		if (setuid(0) != -1) {
			errno = EPERM;
			worker_fail("uid 0 could be regained");
		}
	}
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
		errno = EPERM;
		worker_fail("still dumpable");
	}
}

/*
 * One job.  Nothing of it outlives the call: deliver_maildir keeps no
 * state between calls (lib/maildir/maildir.c's name counter only grows, which
 * keeps names unique), and every descriptor the job brought or opened is
 * closed with closefrom(3) after it, so a leak cannot pile up.  umask and
 * working directory are set again each time.
 */
static void
worker_job(struct lspawn *ls, struct gsync *g, struct chan *c,
    struct chan_msg *m)
{
	struct delivery	 d;
	const char	*rf[DELIVER_RESULT_FIELDS];
	char		 text[DELIVER_TEXT_MAX + 1], st[2];
	int		 code, msgfd = m->nfds == 1 ? m->fds[0] : -1;

	if (msgfd == -1 || deliver_job_decode(m->f, m->nf, &d) == -1) {
		errno = EBADMSG;
		worker_fail("malformed job from lspawn");
	}
	d.gsync = g;
	d.window_ms = ls->window_ms;
	umask(077);
	if (chdir("/") == -1)
		worker_fail("chdir /");
	code = deliver_maildir(&d, msgfd, text, sizeof(text));
	closefrom(3);
	if (text[0] == '\0')
		(void)strlcpy(text, "(no text)", sizeof(text));
	if (deliver_result_fields(deliver_status(code), text, st, rf) == -1)
		worker_fail("result");
	if (chan_send(c, rf, DELIVER_RESULT_FIELDS, NULL, 0) == -1)
		worker_fail("sending the result");
}

static void __attribute__((noreturn))
worker_main(struct lspawn *ls, uid_t uid, gid_t gid, int chan, int out,
    int gsync)
{
	static struct chan_msg	 m;
	struct chan		 c;
	struct gsync		*g = NULL;
	int			 n;

	worker_drop(ls, uid, gid, chan, out, gsync);
	/* the Maildir fsyncs shared with this user's other workers */
	if (gsync != -1)
		g = gsync_attach(WORKER_GSYNC_FD);
	(void)close(WORKER_GSYNC_FD);
	umask(077);
	if (chdir("/") == -1)
		worker_fail("chdir /");
	chan_init(&c, STDIN_FILENO, CHAN_PACKET, DELIVER_WIRE_MAX);
	sandbox_enter(SANDBOX_DELIVERY);
	for (;;) {
		n = chan_recv(&c, &m);
		if (n == 0)
			_exit(0);
		if (n == -1 || m.nfds > 1)
			worker_fail("receiving a job");
		worker_job(ls, g, &c, &m);
	}
}

/*
 * The group commit region of uid's workers (lib/base/gsync.h), made here
 * and never mapped by lspawn: the workers of one user share it, no one
 * else.  A small cache: when it is full the least recently used region
 * is closed here (its workers keep their mappings; a new worker of that
 * user gets a new region, and only shares with the workers that have
 * it, which costs batching, never an fsync).  -1 when there is none.
 */
static int
worker_gsync_fd(uid_t uid)
{
	static struct {
		uid_t		 uid;
		int		 fd;
		unsigned long	 used;
	}			 cache[WORKER_GSYNC_CACHE];
	static unsigned long	 clock;
	int			 i, lru = 0;

	clock++;
	for (i = 0; i < WORKER_GSYNC_CACHE; i++) {
		if (cache[i].used != 0 && cache[i].uid == uid) {
			cache[i].used = clock;
			return cache[i].fd;
		}
		if (cache[i].used < cache[lru].used)
			lru = i;
	}
	if (cache[lru].used != 0)
		(void)close(cache[lru].fd);
	cache[lru].used = 0;
	if ((cache[lru].fd = gsync_create()) == -1) {
		log_warn("delivery workers of uid %lu: group commit",
		    (unsigned long)uid);
		return -1;
	}
	cache[lru].uid = uid;
	cache[lru].used = clock;
	return cache[lru].fd;
}

pid_t
worker_fork(struct lspawn *ls, uid_t uid, gid_t gid, int *chan, int *outfd)
{
	int	 cchan, cout, gsync = worker_gsync_fd(uid);
	pid_t	 pid;

	/* "lspawn-worker" in ps -o comm and top; argv stays lspawn's */
	if ((pid = pool_fork("lspawn-worker", chan, outfd, &cchan, &cout)) ==
	    0)
		worker_main(ls, uid, gid, cchan, cout, gsync);
	return pid;
}
