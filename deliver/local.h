/*
 * local: the local delivery child, what lspawn fills in for it and what
 * its files share.  lspawn (root) forks one child per job that needs
 * more than a Maildir write (deliver/lspawn_local.c): a user with a
 * ~/.forward, mailbox_format = mbox, a mailbox_command, or the commands
 * and files of an alias.  The child drops to the identity lspawn chose
 * and never returns into lspawn's loop.  Its files:
 *
 *   local.c          the child's main: the drop, the loop check, the plan
 *                    (.forward or mailbox; an alias's targets), the result
 *   local_forward.c  reading ~/.forward (+ext first) safely, as the user,
 *                    and its :include: files
 *   local_command.c  a |command: /bin/sh -c, the environment, the time
 *                    limit, the exit status, the output kept
 *   local_mbox.c     an mbox file: dotlock and fcntl lock, From_ line and
 *                    >From quoting, fsync, truncation on failure
 *   local_resubmit.c forwarding: a new message through the set-uid
 *                    enqueue, with Delivered-To and the original sender
 *
 * Trust: the child trusts lspawn (its parent, root) for everything in
 * struct local_job, checks every file a user controls (.forward,
 * :include:, mailboxes) before reading or writing it, and trusts neither
 * the message nor what a command says.
 */
#ifndef FACTEUR_LOCAL_H
#define FACTEUR_LOCAL_H
#include <sys/types.h>

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "users.h"

#define LOCAL_TARGETS_MAX	1000	/* commands, files, addresses per job */
#define LOCAL_OUTPUT_MAX	300	/* octets of a command's output kept */
#define LOCAL_TEXT_MAX		500	/* octets of the result line */
#define LOCAL_PATH_MAX		4096

/* One |command or /file of an alias (kind '|' or '/'). */
struct local_target {
	char	 kind;
	char	*value;
};

/* What lspawn decided for one job; the child reads it from its memory. */
struct local_job {
	const struct conf *conf;
	const char	*id, *sender, *rcpt;
	/* who: the identity the child runs as */
	uid_t		 uid;
	gid_t		 gid;
	gid_t		 spool_gid;	/* saved gid for the spool, or gid */
	char		 user[USER_NAME_MAX + 1];	/* USER, LOGNAME */
	char		 home[USER_PATH_MAX];
	char		 shell[USER_PATH_MAX];
	const char	*ext;		/* the job's extension, "" for none */
	/* what */
	int		 alias;		/* 1: targets below, nothing else */
	struct local_target *target;
	size_t		 ntarget;
	char		 refused[LOCAL_TEXT_MAX + 1];	/* "": none refused */
	int		 forward;	/* 1: ~/.forward is looked at */
	int		 mbox;		/* 1: the mailbox is an mbox file */
	char		 mailbox[LOCAL_PATH_MAX];	/* Maildir or mbox */
	/* CLOCK_MONOTONIC ms by which every command must be done: before
	 * local_delivery_timeout, when lspawn kills the child */
	long long	 deadline_ms;
};

/* A delivery's outcome: K, Z or D and one line. */
struct local_result {
	char	status;
	char	text[LOCAL_TEXT_MAX + 1];
};

/* local.c */
/* The child, forked by lspawn: never returns. */
void	local_main(struct local_job *, int chan, int out, int msgfd)
	    __attribute__((noreturn));
/* A line for lspawn's log, "ID: text", on the child's stderr. */
void	local_log(const struct local_job *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Sets a result (printf-like, control bytes made '?'); returns status. */
char	local_set(struct local_result *, char status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The header lines a delivery puts before the message. */
int	local_prefix(const struct local_job *, int from_line, char *buf,
	    size_t bufsz);

/* local_forward.c */
struct local_plan {
	char		**command;	/* commands to run */
	size_t		  ncommand;
	char		**file;		/* files to append to */
	size_t		  nfile;
	char		**address;	/* addresses to forward to */
	size_t		  naddress;
	int		  self;		/* the user's own mailbox too */
	char		  refused[LOCAL_TEXT_MAX + 1];
};
/*
 * Reads the user's ~/.forward (.forward<delim><ext> first) into plan.
 * Returns 1 with a plan, 0 when there is none to follow (absent, empty,
 * or unsafe: logged), -1 with res set (a temporary failure).
 */
int	local_forward_read(const struct local_job *, struct local_plan *,
	    struct local_result *);
void	local_plan_free(struct local_plan *);

/* local_command.c */
/* Pipes the message into command; the outcome in res. */
void	local_command(const struct local_job *, const char *command,
	    int msgfd, struct local_result *);
/* K, Z or D for a command's exit status; text from sysexits(3). */
char	local_exit_status(int wstatus, int timed_out, const char *output,
	    const char *command, struct local_result *);

/* local_mbox.c */
/*
 * Appends the message to mbox file path (spool: the mailbox of
 * mail_spool_directory, locked with a dotlock made as the spool's group,
 * and owned by the recipient).  The outcome in res.
 */
void	local_mbox(const struct local_job *, const char *path, int spool,
	    int msgfd, struct local_result *);
/* The From_ line of an mbox for sender at time t, with its LF. */
int	local_from_line(const char *sender, time_t t, char *buf, size_t n);

/* local_resubmit.c */
/* Queues the message anew for the addresses, as the user. */
void	local_resubmit(const struct local_job *, char *const *address,
	    size_t n, int msgfd, struct local_result *);

#endif
