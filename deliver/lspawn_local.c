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

#include "fdio.h"
#include "lspawn.h"

pid_t
local_fork(struct lspawn *ls, struct job *j, int *chan, int *outfd)
{
	int	 cchan, cout;
	pid_t	 pid;

	/* every command is done before lspawn would kill the child */
	j->local->deadline_ms = fd_now_ms() + ls->job_ms * 9 / 10;
	if ((pid = pool_fork("lspawn-local", chan, outfd, &cchan, &cout)) ==
	    0)
		local_main(j->local, cchan, cout, j->msgfd);
	return pid;
}
