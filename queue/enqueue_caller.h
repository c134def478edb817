/*
 * enqueue_caller: what enqueue takes from the process that ran it, and
 * what it throws away.  enqueue is installed set-user-ID to the queue's
 * owner, so any local user runs it with the right to write the queue;
 * such a caller chooses enqueue's arguments, environment, descriptors,
 * umask, signal dispositions and mask, resource limits and working
 * directory, and a set-id program trusts none of them.
 *
 *   trusted caller   not set-id (the caller already has enqueue's rights),
 *                    or a real uid of root or of the effective user (the
 *                    queue's owner: queued injecting a bounce).  -C,
 *                    $FACTEUR_CONF, -i and -B are taken.
 *   any other caller (a set-id run by a local user) gets the installed
 *                    configuration and no choice: -C or $FACTEUR_CONF
 *                    naming another file is refused (QMAIL_EXIT_CALLER:
 *                    the caller meant another queue or policy); -i and
 *                    -B, hints, are ignored with a warning (a fresh ID;
 *                    the reserve applies), so that a qmail-queue filter
 *                    run as smtpd_user still queues.
 *
 * For every set-id run, before anything is read: the environment is
 * emptied, the working directory is /, every signal is back to its
 * default and unblocked (SIGPIPE, SIGXFSZ and the terminal's stop
 * signals ignored), no core file is written, the process cannot be
 * dumped or traced, and the real and saved uids become the effective
 * one, so the caller can no longer signal (stop) the process while it
 * holds queue files.  For every run: descriptors 0-2 are open (a closed
 * one is /dev/null, so no file enqueue opens can become the caller's
 * stdout or stderr), every other descriptor is closed, umask is 077.
 * What is left to the caller: its resource limits, which can make
 * enqueue fail (and leave nothing behind) but never queue a message
 * other than the one given; and the real uid recorded in the envelope.
 */
#ifndef FACTEUR_ENQUEUE_CALLER_H
#define FACTEUR_ENQUEUE_CALLER_H
#include <sys/types.h>

#define ENQUEUE_CONF_PIN_MAX	64	/* "/proc/self/fd/N" */

struct enqueue_caller {
	uid_t		 uid;		/* the real uid at start: the injector */
	int		 setid;		/* AT_SECURE: set-uid or set-gid run */
	int		 trusted;	/* see above */
	const char	*conf_arg;	/* -C, or NULL */
	const char	*conf_env;	/* $FACTEUR_CONF at start, or NULL */
	const char	*wanted_id;	/* -i, or NULL */
	int		 reserve;	/* -B: may use the free-space reserve */
};

/*
 * Records who the caller is and what it asked for (argv and
 * $FACTEUR_CONF), before anything of the caller's is changed.
 */
void	enqueue_caller_init(struct enqueue_caller *, int argc, char *argv[]);
/* Throws away what a set-id run must not keep (above); 0, or -1. */
int	enqueue_caller_clean(const struct enqueue_caller *);
/*
 * The configuration file to load, in path (pinned: "/proc/self/fd/N"
 * for a file opened and checked here).  0; or an exit code
 * (QMAIL_EXIT_CALLER, QMAIL_EXIT_CONF), logged.
 */
int	enqueue_caller_conf(const struct enqueue_caller *, char *path,
	    size_t pathsz);

#endif
