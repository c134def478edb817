/*
 * child: the self-pipe, the fork and the descriptor layout of facteur's
 * children (child.h).  Trusts nothing; arranges only the caller's own
 * processes.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"

#define CHILD_SIGS_MAX	8

static int	child_pipe[2] = { -1, -1 };
static int	child_sigs[CHILD_SIGS_MAX];
static int	child_nsigs;

static void
child_on_signal(int sig)
{
	unsigned char	 c = (unsigned char)sig;
	int		 saved = errno;

	if (write(child_pipe[1], &c, 1) == -1) {
		/* the pipe is full: a wake-up is already pending */
	}
	errno = saved;
}

void
child_sigpipe(const int *sigs, int n)
{
	struct sigaction sa;
	int		 i;

	if (child_pipe[0] != -1 || n < 0 || n > CHILD_SIGS_MAX)
		fatalx("child_sigpipe: called twice, or too many signals");
	if (pipe2(child_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe");
	for (i = 0; i < n; i++) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = child_on_signal;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART |
		    (sigs[i] == SIGCHLD ? SA_NOCLDSTOP : 0);
		if (sigaction(sigs[i], &sa, NULL) == -1)
			fatal("sigaction %d", sigs[i]);
		child_sigs[i] = sigs[i];
	}
	child_nsigs = n;
}

int
child_sigpipe_fd(void)
{
	return child_pipe[0];
}

int
child_sigpipe_read(int *sigs, int max)
{
	unsigned char	 b[64];
	ssize_t		 r, i;
	int		 n = 0, k, seen;

	while ((r = read(child_pipe[0], b, sizeof(b))) > 0)
		for (i = 0; i < r; i++) {
			for (seen = 0, k = 0; k < n; k++)
				if (sigs[k] == b[i])
					seen = 1;
			if (!seen && n < max)
				sigs[n++] = b[i];
		}
	return n;
}

pid_t
child_fork(const char *name, int flags)
{
	struct sigaction sa;
	sigset_t	 none;
	pid_t		 pid, parent = getpid();
	int		 i;

	if ((pid = fork()) != 0)
		return pid;
	if ((flags & CHILD_PDEATH) &&
	    (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent))
		_exit(111);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < child_nsigs; i++)
		(void)sigaction(child_sigs[i], &sa, NULL);
	if (child_pipe[0] != -1) {
		(void)close(child_pipe[0]);
		(void)close(child_pipe[1]);
		child_pipe[0] = child_pipe[1] = -1;
		child_nsigs = 0;
	}
	sigemptyset(&none);
	if (flags & CHILD_HOLD_RELOAD) {
		sigaddset(&none, SIGHUP);
		sigaddset(&none, SIGUSR1);
	}
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (name != NULL)
		(void)prctl(PR_SET_NAME, name, 0, 0, 0);
	return 0;
}

int
child_fds(const int *fds, int n)
{
	int	 tmp[CHILD_FDS_MAX], i, null = -1, logfd = -1;

	if (n < 0 || n > CHILD_FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	/* the log file (log_file) goes with the child, just above them */
	if (log_file_fd() != -1 &&
	    (logfd = fcntl(log_file_fd(), F_DUPFD_CLOEXEC, n + 1)) == -1)
		return -1;
	/* first out of the way: above every target, close-on-exec */
	for (i = 0; i < n; i++) {
		if (fds[i] == -1) {
			if (null == -1 && (null = open("/dev/null", O_RDWR |
			    O_CLOEXEC)) == -1)
				return -1;
			tmp[i] = fcntl(null, F_DUPFD_CLOEXEC, n);
		} else
			tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, n);
		if (tmp[i] == -1)
			return -1;
	}
	/* then into place: dup2 leaves the new descriptor inheritable */
	for (i = 0; i < n; i++)
		if (dup2(tmp[i], i) == -1)
			return -1;
	if (logfd != -1) {
		if (dup3(logfd, n, O_CLOEXEC) == -1)
			return -1;
		closefrom(n + 1);
		log_file_moved(n);
		return 0;
	}
	closefrom(n);
	return 0;
}
