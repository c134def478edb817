/*
 * sandbox_int: how a role's allow-list is written, for the files that
 * define them (sandbox_lists.c, sandbox_role_*.c) and the engine
 * (sandbox.c).  A list is an array of calls, each a system call number
 * (SCMP_SYS(name): a misspelt name does not compile) and what its
 * arguments must be; a role is a name and the lists it allows.
 */
#ifndef FACTEUR_SANDBOX_INT_H
#define FACTEUR_SANDBOX_INT_H
#include <stddef.h>
#include <sys/types.h>

#include <seccomp.h>

#include "sandbox.h"

enum sandbox_arg {
	SB_ANY,		/* any arguments */
	SB_NOEXEC,	/* mmap, mprotect: the protection (arg 2) has no
			 * PROT_EXEC, so no new code can be mapped */
	SB_RDONLY,	/* openat: flags (arg 2) that neither write nor
			 * create (no O_WRONLY, O_RDWR, O_CREAT, O_TRUNC,
			 * O_APPEND, O_TMPFILE) */
	SB_FDONLY,	/* newfstatat: fstat(2) only (AT_EMPTY_PATH in the
			 * flags, arg 3): no path is looked up */
	SB_SELF,	/* tgkill, kill: this process (arg 0), for raise(3)
			 * and abort(3) */
	SB_FCNTL,	/* fcntl: F_GETFD, F_SETFD, F_GETFL, F_SETFL only */
	SB_SOCK_UNIX_EACCES,
			/* socket: AF_UNIX fails with EACCES instead of
			 * killing: what syslog(3) tries after it lost its
			 * connection (a log line is lost, not the process) */
	SB_SOCK_INET,	/* socket: AF_INET and AF_INET6 only */
	SB_EXEC_EPERM	/* mmap: a mapping with PROT_EXEC (arg 2) fails
			 * with EPERM instead of killing: what dlopen(3)
			 * does for glibc's iconv, which then knows one
			 * charset less (imap-session) */
};

struct sandbox_call {
	int		 nr;	/* SCMP_SYS(name) */
	enum sandbox_arg arg;
};

struct sandbox_list {
	const char			*name;
	const struct sandbox_call	*calls;
	size_t				 n;
};

/* A list shared by several roles (SB_LIST) or private to one file. */
#define SB_LIST(var, listname, ...)					\
	static const struct sandbox_call var##_calls[] = { __VA_ARGS__ }; \
	const struct sandbox_list var = { listname, var##_calls,	\
	    sizeof(var##_calls) / sizeof(var##_calls[0]) }
#define SB_LIST_PRIVATE(var, listname, ...)				\
	static const struct sandbox_call var##_calls[] = { __VA_ARGS__ }; \
	static const struct sandbox_list var = { listname, var##_calls,	\
	    sizeof(var##_calls) / sizeof(var##_calls[0]) }
#define SB(sys)			{ SCMP_SYS(sys), SB_ANY }
#define SB_IF(sys, cond)	{ SCMP_SYS(sys), cond }

#define SANDBOX_LISTS_MAX	8

struct sandbox_role_def {
	const char			*name;
	/* NULL-terminated */
	const struct sandbox_list	*lists[SANDBOX_LISTS_MAX + 1];
};

/* Shared lists (sandbox_lists.c). */
extern const struct sandbox_list sandbox_list_base;	/* every role */
extern const struct sandbox_list sandbox_list_chan;	/* lib/ipc/chan */
extern const struct sandbox_list sandbox_list_tls;	/* OpenSSL */
extern const struct sandbox_list sandbox_list_linger;	/* lineio_linger */
extern const struct sandbox_list sandbox_list_sanitizer; /* ASan, UBSan */
extern const struct sandbox_list sandbox_list_raise;	/* report mode */

/* The roles, one file each (sandbox_role_*.c). */
extern const struct sandbox_role_def sandbox_role_smtp_session;
extern const struct sandbox_role_def sandbox_role_pop3_login;
extern const struct sandbox_role_def sandbox_role_pop3_session;
extern const struct sandbox_role_def sandbox_role_delivery;
extern const struct sandbox_role_def sandbox_role_smtp_client;
extern const struct sandbox_role_def sandbox_role_imap_login;
extern const struct sandbox_role_def sandbox_role_imap_session;

/*
 * The role's filter, not loaded (sandbox.c): NULL when it cannot be
 * built (logged).  def_action is the action for every call not on the
 * lists; self, when not 0, is this process's pid, which may then signal
 * itself (sandbox_list_raise: report mode, whose filter is built in the
 * process that loads it).
 */
scmp_filter_ctx	 sandbox_filter(const struct sandbox_role_def *,
		    unsigned int def_action, pid_t self);
const struct sandbox_role_def *sandbox_role_def(enum sandbox_role);

/* report mode (sandbox_report.c): the SIGSYS handler; 0 or -1. */
int		 sandbox_report_install(const char *role);

#endif
