/*
 * queued_keeper: the small process that starts lspawn for queued.
 * queued forks it before dropping to queue_user, so it keeps the
 * privileges queued started with (root on a normal install: lspawn must
 * be root to run deliver as each user, rspawn to chroot and take its
 * relay passwords).  It does two things: when queued sends it 'S' and two
 * descriptors (the read end of the job pipe and the write end of the
 * result pipe) over a socketpair, it starts program_dir/lspawn with them
 * as fd 0 and 1; when queued sends 'R' and one descriptor (an end of a
 * socketpair), it starts program_dir/rspawn with it as fd 0.  It reads
 * nothing else, trusts nothing else, and exits when queued closes the
 * socket.  This way queued can restart a dead spawner after it gave up
 * root.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Receives one request: 'S' and two descriptors, or 'R' and one. */
static int
keeper_recv(int sock, int fds[2], char *what)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct msghdr	 msg;
	struct cmsghdr	*c;
	struct iovec	 iov;
	char		 byte;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	if ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) <= 0)
		return n == 0 ? 0 : -1;
	c = CMSG_FIRSTHDR(&msg);
	if ((byte != 'S' && byte != 'R') || (msg.msg_flags & MSG_CTRUNC) ||
	    c == NULL || c->cmsg_level != SOL_SOCKET ||
	    c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN((byte == 'S' ? 2 : 1) * sizeof(int))) {
		/* close whatever came with it */
		for (; c != NULL; c = CMSG_NXTHDR(&msg, c)) {
			size_t	i, k;
			int	fd;

			if (c->cmsg_type != SCM_RIGHTS)
				continue;
			k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < k; i++) {
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
				    sizeof(int));
				(void)close(fd);
			}
		}
		errno = EPROTO;
		return -1;
	}
	fds[1] = -1;
	memcpy(fds, CMSG_DATA(c), (byte == 'S' ? 2 : 1) * sizeof(int));
	*what = byte;
	return 1;
}

static void
keeper_spawn(const char *path, char *const argv[], int fds[2])
{
	struct sigaction sa;
	sigset_t	 none;
	pid_t		 pid;

	if ((pid = fork()) == -1) {
		log_warn("keeper: fork for lspawn");
		return;
	}
	if (pid == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGCHLD, &sa, NULL);
		(void)sigaction(SIGPIPE, &sa, NULL);
		(void)sigaction(SIGHUP, &sa, NULL);
		(void)sigaction(SIGINT, &sa, NULL);
		(void)sigaction(SIGTERM, &sa, NULL);
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(fds[0], 0) == -1 ||
		    (fds[1] != -1 && dup2(fds[1], 1) == -1))
			_exit(111);
		closefrom(3);
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
	char		*argv[5];
	char		 what;
	int		 fds[2], r, argc = 0;

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
	if (dup2(sock, 3) == -1)
		_exit(111);
	sock = 3;
	closefrom(4);
	argv[argc++] = (char *)"lspawn";
	argv[argc++] = (char *)"-C";
	argv[argc++] = (char *)confpath;
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
		r = keeper_recv(sock, fds, &what);
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
		argv[0] = (char *)(what == 'S' ? "lspawn" : "rspawn");
		keeper_spawn(what == 'S' ? path : rpath, argv, fds);
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

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		return -1;
	}
	if ((pid = fork()) == -1) {
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
	q->keeper = sv[0];
	return pid;
}

/* Sends the request byte with nfd descriptors (1 or 2). */
static int
keeper_send(struct queued *q, char byte, const int *fds, size_t nfd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct msghdr	 msg;
	struct cmsghdr	*c;
	struct iovec	 iov;

	if (q->keeper == -1) {
		errno = ENOTCONN;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
	memcpy(CMSG_DATA(c), fds, nfd * sizeof(int));
	while (sendmsg(q->keeper, &msg, MSG_NOSIGNAL) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
keeper_exec(struct queued *q, int job_fd, int result_fd)
{
	int	fds[2] = { job_fd, result_fd };

	return keeper_send(q, 'S', fds, 2);
}

int
keeper_exec_remote(struct queued *q, int sock)
{
	return keeper_send(q, 'R', &sock, 1);
}
