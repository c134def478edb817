/*
 * sandbox: a seccomp allow-list and NoNewPrivs for each process that
 * handles untrusted bytes (docs/architecture.md, "Sandboxes").
 *
 * A process calls sandbox_enter(role) once, at the point after which it
 * only works on what it was given: after the privilege drop and the
 * chroot, after the files and sockets it needs are open, just before it
 * reads from the client.  From then on:
 *   - PR_SET_NO_NEW_PRIVS is set: no execve can ever give it privileges
 *     (set-uid, file capabilities), whatever it runs;
 *   - a seccomp filter allows the system calls of its role's list (some
 *     only with given arguments) and kills the whole process with SIGSYS
 *     at any other (SCMP_ACT_KILL_PROCESS).  Calls of another ABI (i386 or
 *     x32 on x86_64) are killed too.
 * There is no way back: a filter cannot be removed or widened, and it is
 * inherited by every child.  A process that calls abort(3) inside its
 * sandbox dies of SIGSYS rather than SIGABRT (signalling itself is not
 * allowed): dead either way.
 *
 * The roles and their lists are in one file each (sandbox_role_*.c), so
 * that each program's developer adjusts its own; the lists every role
 * shares are in sandbox_lists.c.  Programs built with sanitizers (make
 * check-asan, check-integration-asan) allow a few more calls, which only
 * those builds get (FACTEUR_SANITIZER).
 *
 * The mode (facteur.conf `sandbox`, facteur.conf(5)) is set once per
 * program with sandbox_configure, before the processes that enter a
 * role are forked:
 *   enforce  the default: a forbidden call kills the process;
 *   report   the same list, but a forbidden call is first logged by the
 *            process itself ("sandbox: ROLE: forbidden system call NAME
 *            (NR)"), and then it dies of SIGSYS as in enforce: for tests
 *            and for an administrator finding out why a process died;
 *   off      no system call filter (NoNewPrivs stays): only to keep mail
 *            flowing while a forbidden call that a system update brought
 *            is reported; logged at each start of a program.
 * A filter that cannot be loaded (a kernel without seccomp) is fatal in
 * enforce and report: the process exits before it reads a byte.
 */
#ifndef FACTEUR_SANDBOX_H
#define FACTEUR_SANDBOX_H

enum sandbox_role {
	SANDBOX_SMTP_SESSION,	/* smtpd's session, plaintext and TLS */
	SANDBOX_POP3_LOGIN,	/* pop3d's login process (TLS, pre-auth) */
	SANDBOX_POP3_SESSION,	/* pop3session, its Maildir open */
	SANDBOX_DELIVERY,	/* lspawn's delivery worker, one user */
	SANDBOX_SMTP_CLIENT,	/* remote delivery's SMTP client */
	SANDBOX_IMAP_LOGIN,	/* imapd's login process */
	SANDBOX_IMAP_SESSION,	/* imapd's session, the mailbox owner */
	SANDBOX_ROLES
};

enum sandbox_mode {
	SANDBOX_ENFORCE,
	SANDBOX_REPORT,
	SANDBOX_OFF
};

/* The mode named by word ("enforce", "report", "off"): 0, or -1. */
int		 sandbox_mode_parse(const char *word, enum sandbox_mode *);
/*
 * Sets this process's mode from facteur.conf's word: 0, or -1 (logged)
 * when it is not a mode.  "off" is logged as a warning.
 */
int		 sandbox_configure(const char *word);
enum sandbox_mode sandbox_mode(void);
const char	*sandbox_mode_name(enum sandbox_mode);
const char	*sandbox_role_name(enum sandbox_role);

/*
 * Builds role's filter now, in a process that forks the ones that will
 * enter it, so that each of them only loads it (enforce mode; otherwise
 * nothing).  fatal() when it cannot be built.
 */
void		 sandbox_prepare(enum sandbox_role);
/*
 * Enters role: NoNewPrivs, then (unless the mode is off) the role's
 * filter, the prepared one if there is one.  fatal() when either fails: the process must not go on
 * unconfined.  Called once; a second call adds a second filter, which
 * can only narrow what is allowed.
 */
void		 sandbox_enter(enum sandbox_role);

#endif
