/*
 * lspawn_local: forks the local delivery child of one job (JOB_LOCAL).
 * It is forked from lspawn itself, never from a worker, like a worker;
 * it finds its job in the memory the fork gave it (struct local_job) and
 * gets the job's message descriptor, one end of a SOCK_SEQPACKET channel
 * for its one result and a pipe for its log lines; its own code (the
 * drop to the job's identity, then the delivery) is local.c's and it
 * never returns into lspawn's loop.  It is not a delivery worker: it may
 * execute programs (commands, enqueue), so it is not to enter the
 * delivery sandbox, and it serves one job only.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "chan.h"
#include "child.h"
#include "fdio.h"
#include "log.h"
#include "lspawn.h"

pid_t
local_fork(struct lspawn *ls, struct job *j, int *chan, int *outfd)
{
	int	 sv[2], p[2], saved;
	pid_t	 pid;

	if (chan_pair(sv) == -1)
		return -1;
	if (pipe2(p, O_CLOEXEC) == -1) {
		saved = errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		errno = saved;
		return -1;
	}
	/* every command is done before lspawn would kill the child */
	j->local->deadline_ms = fd_now_ms() + ls->job_ms * 9 / 10;
	if ((pid = child_fork("lspawn-local", 0)) == -1) {
		saved = errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		(void)close(p[0]);
		(void)close(p[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0)
		local_main(j->local, sv[1], p[1], j->msgfd);
	if (close(sv[1]) == -1 || close(p[1]) == -1)
		log_warn("local child %ld: close", (long)pid);
	if (fd_set_nonblock(sv[0], 1) == -1 || fd_set_nonblock(p[0], 1) == -1)
		log_warn("local child %ld: nonblocking descriptors", (long)pid);
	*chan = sv[0];
	*outfd = p[0];
	return pid;
}
