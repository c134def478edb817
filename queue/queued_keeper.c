/*
 * queued_keeper: the small process that starts lspawn and rspawn for
 * queued.  queued forks it before dropping to queue_user, so it keeps the
 * privileges queued started with (root on a normal install: lspawn must
 * be root to run deliver as each user, rspawn to chroot and to read the
 * relay passwords).  Over its channel (lib/ipc/chan.h, SOCK_SEQPACKET) it
 * takes three frames, each checked by keeper_take: [C] with one
 * descriptor, the configuration queued runs on, replaced at each reload:
 * a sealed memfd of root's (the master's accepted text, never one queued
 * wrote after giving up root); [S] with two, the read end of the job
 * pipe and the write end of the result pipe, on which it starts
 * program_dir/lspawn as fd 0 and 1; [R] with one, an end of a
 * SOCK_SEQPACKET pair, on which it starts program_dir/rspawn as fd 0.
 * Both get the last [C] as fd 3 (-F 3), so neither reads a facteur.conf
 * queued refused nor runs on a text queued chose (rspawn reads files as
 * root and drops to the user its configuration names).  It reads nothing
 * else, trusts nothing else, and exits when queued closes the socket.
 * This way queued can restart a dead spawner after it gave up root.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "child.h"
#include "fdio.h"
#include "log.h"
#include "queued.h"

static void
keeper_reap(void)
{
	pid_t	pid;
	int	st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (WIFSIGNALED(st))
			log_warnx("spawner %ld killed by signal %d", (long)pid,
			    WTERMSIG(st));
		else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			log_warnx("spawner %ld exited with status %d",
			    (long)pid, WEXITSTATUS(st));
	}
}

/* 1 if fd is a pipe's end open for mode (O_RDONLY or O_WRONLY) only. */
static int
keeper_pipe_end(int fd, int mode)
{
	struct stat	 st;
	int		 fl;

	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    (fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_ACCMODE) == mode;
}

/* 1 if fd is a SOCK_SEQPACKET socket (queued's end for rspawn's). */
static int
keeper_seqpacket(int fd)
{
	struct stat	 st;
	socklen_t	 len = sizeof(int);
	int		 type;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_SEQPACKET;
}

/*
 * 1 if fd is a configuration lspawn may run on (-F): a memfd sealed
 * against writing, growing and shrinking, as conf_text_fd makes one,
 * and made by a process of the keeper's own user: the master, which
 * accepted the text, or queued before it gave up root.  queued after
 * the drop can make a sealed memfd of any text, but not one of root's,
 * so lspawn (root) never runs on a configuration queued wrote: its
 * mailbox_command, first_valid_uid or users_file would be queued's
 * choice of what runs as whom.
 */
static int
keeper_conf_file(int fd)
{
	const int	 seals = F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK;
	struct stat	 st;
	int		 sl;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() &&
	    (sl = fcntl(fd, F_GET_SEALS)) != -1 && (sl & seals) == seals;
}

int
keeper_take(int r, const struct chan_msg *m)
{
	if (r != 1)
		return r == 0 ? 0 : -1;
	if (m->nf != 1)
		return -1;
	if (strcmp(m->f[0], "S") == 0 && m->nfds == 2 &&
	    keeper_pipe_end(m->fds[0], O_RDONLY) &&
	    keeper_pipe_end(m->fds[1], O_WRONLY))
		return 1;
	if (strcmp(m->f[0], "R") == 0 && m->nfds == 1 &&
	    keeper_seqpacket(m->fds[0]))
		return 1;
	if (strcmp(m->f[0], "C") == 0 && m->nfds == 1 &&
	    keeper_conf_file(m->fds[0]))
		return 2;
	return -1;
}

/*
 * Receives one request (keeper_take): the frame [S] with the job pipe's
 * read end and the result pipe's write end, or [R] with rspawn's socket
 * (1; *what says which; fds[1] is -1 for [R]), or [C] with the new
 * configuration (2: fds[0]).  0 at end of file, -1 for anything else
 * (whatever came is closed).
 */
static int
keeper_recv(struct chan *c, int fds[2], char *what)
{
	struct chan_msg	 m;
	int		 r;

	if ((r = chan_recv(c, &m)) != 1)
		return r;
	if ((r = keeper_take(r, &m)) == -1) {
		chan_msg_close_fds(&m);
		errno = EBADMSG;
		return -1;
	}
	*what = m.f[0][0];
	fds[0] = m.fds[0];
	fds[1] = m.nfds == 2 ? m.fds[1] : -1;
	return r;
}

static void
keeper_spawn(const char *path, char *const argv[], int fds[2], int conf)
{
	/* rspawn: its socket on 0, stdout left where the keeper's goes */
	const int	 layout[4] = { fds[0], fds[1] != -1 ? fds[1] : 1, 2,
			    conf };
	struct sigaction sa;
	pid_t		 pid;

	if ((pid = child_fork(NULL, 0)) == -1) {
		log_warn("keeper: fork for %s", argv[0]);
		return;
	}
	if (pid == 0) {
		/* what the keeper ignores, lspawn starts with as default */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGPIPE, &sa, NULL);
		(void)sigaction(SIGHUP, &sa, NULL);
		(void)sigaction(SIGINT, &sa, NULL);
		(void)sigaction(SIGTERM, &sa, NULL);
		if (conf == -1 || child_fds(layout, 4) == -1)
			_exit(111);
		execv(path, argv);
		log_warn("keeper: exec %s", path);
		_exit(111);
	}
	log_debug("keeper: started %s, pid %ld", argv[0], (long)pid);
}

static void __attribute__((noreturn))
keeper_main(int sock, const char *path, const char *rpath,
    const char *confpath, int debug)
{
	struct sigaction sa;
	struct pollfd	 pfd;
	struct chan	 c;
	char		*argv[7];
	char		 what = 0;
	int		 fds[2], r, argc = 0, conf = -1;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	/*
	 * Signals meant for queued (a reload, a stop, ^C on its process
	 * group) are not for the keeper: it ends when queued's end of the
	 * socket closes, so queued can still finish its jobs first.
	 */
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	if (child_fds((const int[]){ 0, 1, 2, sock }, 4) == -1)
		_exit(111);
	sock = 3;
	chan_init(&c, sock, CHAN_PACKET, CHAN_SMALL_MAX);
	argv[argc++] = (char *)"lspawn";
	argv[argc++] = (char *)"-C";
	argv[argc++] = (char *)confpath;
	argv[argc++] = (char *)"-F";
	argv[argc++] = (char *)"3";
	if (debug)
		argv[argc++] = (char *)"-d";
	argv[argc] = NULL;
	for (;;) {
		pfd.fd = sock;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, 1000);
		keeper_reap();
		if (r == -1 && errno != EINTR)
			_exit(111);
		if (r <= 0)
			continue;
		r = keeper_recv(&c, fds, &what);
		if (r == 0) {
			/*
			 * queued is gone; lspawn sees EOF too and finishes
			 * its deliveries.  Wait for it, so that it is reaped.
			 */
			while (waitpid(-1, NULL, 0) != -1 || errno == EINTR)
				continue;
			_exit(0);
		}
		if (r == -1) {
			log_warn("keeper: bad request from queued");
			_exit(111);
		}
		if (r == 2) {
			if (conf != -1)
				(void)close(conf);
			conf = fds[0];
			continue;
		}
		argv[0] = (char *)(what == 'S' ? "lspawn" : "rspawn");
		keeper_spawn(what == 'S' ? path : rpath, argv, fds, conf);
		(void)close(fds[0]);
		if (fds[1] != -1)
			(void)close(fds[1]);
	}
}

pid_t
keeper_start(struct queued *q, const char *lspawn, const char *rspawn,
    int debug)
{
	int	sv[2];
	pid_t	pid;

	if (chan_pair(sv) == -1) {
		log_warn("socketpair");
		return -1;
	}
	if ((pid = child_fork(NULL, 0)) == -1) {
		log_warn("fork");
		(void)close(sv[0]);
		(void)close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		(void)close(sv[0]);
		keeper_main(sv[1], lspawn, rspawn, q->confpath, debug);
	}
	(void)close(sv[1]);
	chan_init(&q->keeper, sv[0], CHAN_PACKET, CHAN_SMALL_MAX);
	q->keeper_uid = geteuid();
	return pid;
}

int
keeper_conf(struct queued *q)
{
	const char	*f[1] = { "C" };

	struct stat	 st;

	if (q->keeper.fd == -1 || q->conf_fd == -1) {
		errno = ENOTCONN;
		return -1;
	}
	/* what the keeper would refuse (keeper_conf_file) is not sent */
	if (fstat(q->conf_fd, &st) == -1)
		return -1;
	if (st.st_uid != q->keeper_uid)
		return 1;
	return chan_send(&q->keeper, f, 1, &q->conf_fd, 1);
}

int
keeper_exec(struct queued *q, int job_fd, int result_fd)
{
	const char	*f[1] = { "S" };
	int		 fds[2] = { job_fd, result_fd };

	if (q->keeper.fd == -1) {
		errno = ENOTCONN;
		return -1;
	}
	return chan_send(&q->keeper, f, 1, fds, 2);
}

int
keeper_exec_remote(struct queued *q, int sock)
{
	const char	*f[1] = { "R" };

	if (q->keeper.fd == -1) {
		errno = ENOTCONN;
		return -1;
	}
	return chan_send(&q->keeper, f, 1, &sock, 1);
}
