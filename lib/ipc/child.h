/*
 * child: how every facteur daemon starts and watches its children, one
 * way (the master, queued and its keeper, lspawn, a resident smtpd and
 * smtpsession, a login monitor).
 *
 *   the self-pipe  child_sigpipe() installs, for each signal given, a
 *                  handler that writes the signal's number as one byte
 *                  into a non-blocking pipe; the daemon's poll loop
 *                  watches child_sigpipe_fd() and reads what came with
 *                  child_sigpipe_read().  No other work is done in a
 *                  handler.
 *   the fork       child_fork(): in the child, every signal the
 *                  self-pipe took is back to SIG_DFL and the pipe is
 *                  closed (a child never wakes its parent's loop), the
 *                  signal mask is empty (with CHILD_HOLD_RELOAD: SIGHUP
 *                  and SIGUSR1 stay blocked, for a daemon that unblocks
 *                  them once its handlers are in place, so that a reload
 *                  asked for while it starts is not its death), the
 *                  process has its name, and with CHILD_PDEATH it dies
 *                  with its parent (checked: a parent gone before the
 *                  prctl ends the child at once).
 *   the layout     child_fds(): the descriptors a child is to run with,
 *                  fds[i] becoming descriptor i (-1: /dev/null), every
 *                  other one closed, whatever numbers they had before
 *                  (one may already sit where another must go), but
 *                  the log file when one is open (log_file): it moves
 *                  to descriptor n, close-on-exec, so a child that does
 *                  not exec logs where its parent did.
 *
 * Trust: none needed; these only arrange the caller's own processes.
 */
#ifndef FACTEUR_CHILD_H
#define FACTEUR_CHILD_H
#include <sys/types.h>

#define CHILD_PDEATH	0x01	/* SIGKILL when the parent dies */
#define CHILD_HOLD_RELOAD 0x02	/* SIGHUP, SIGUSR1 blocked (across exec) */
#define CHILD_FDS_MAX	8	/* descriptors child_fds lays out */

/*
 * Installs the self-pipe for the n signals (SA_RESTART; SIGCHLD with
 * SA_NOCLDSTOP).  Once per process; fatal() when it cannot.
 */
void	child_sigpipe(const int *sigs, int n);
/* The read end to poll, or -1 before child_sigpipe. */
int	child_sigpipe_fd(void);
/*
 * Reads the signals that came since the last call into sigs, each once
 * however often it came, up to max of them.  Their count; 0 when none.
 */
int	child_sigpipe_read(int *sigs, int max);
/*
 * fork(2) as described above; name (may be NULL) for ps and the logs.
 * The pid in the parent, 0 in the child, -1 with errno.
 */
pid_t	child_fork(const char *name, int flags);
/*
 * In a child: makes fds[0..n) descriptors 0..n-1 (-1: /dev/null), none
 * of them close-on-exec, and closes every other descriptor.  0, or -1
 * (the child should _exit).
 */
int	child_fds(const int *fds, int n);

#endif
