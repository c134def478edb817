/*
 * lspawn: what lspawn.c (the loop: frames from queued, results back,
 * children) and lspawn_job.c (one job: checks, user lookup, the fork of a
 * child that delivers as the user, its exit status) share.
 */
#ifndef FACTEUR_LSPAWN_H
#define FACTEUR_LSPAWN_H
#include <sys/queue.h>
#include <sys/types.h>

#include <limits.h>

#define LSPAWN_FRAME_MAX	8192	/* octets in one frame from queued */
#define LSPAWN_FIELD_MAX	1000	/* octets in one field (QUEUE_ADDR_MAX) */
#define LSPAWN_SLOT_MAX		999999	/* largest slot number */
#define LSPAWN_WAIT_MAX		10000	/* jobs queued beyond the concurrency */
#define LSPAWN_TEXT_MAX		500	/* octets of result text */
#define LSPAWN_OUT_MAX		1024	/* octets of a child's output kept */

struct job {
	TAILQ_ENTRY(job) entry;
	char	 slot[8];
	char	*id;		/* the fields point into frame */
	char	*sender;
	char	*rcpt;
	char	*user;
	char	*ext;
	char	*frame;		/* a copy of the frame data */
	pid_t	 pid;		/* -1 until started */
	int	 outfd;		/* read end of the child's fd 1 and 2, or -1 */
	size_t	 outlen;
	char	 out[LSPAWN_OUT_MAX + 1];
};
TAILQ_HEAD(jobq, job);

struct lspawn {
	const char	*queue_dir;
	const char	*users_file;
	const char	*virtual_user;
	const char	*maildir;
	int		 system_users;
	long long	 first_valid_uid;
	int		 concurrency;
	int		 root;		/* started as root: switch users */
	int		 qfd;		/* queue_dir, O_DIRECTORY */
	struct jobq	 waiting;
	struct jobq	 running;
	int		 nrunning;
	size_t		 nwaiting;
};

struct job_result {
	char	status;		/* 'K', 'Z' or 'D' */
	char	text[LSPAWN_TEXT_MAX + 1];
};

/*
 * Starts the job: checks its fields, looks the user up, opens the message,
 * forks the child that delivers as the user.  Returns 0 when the child runs, or -1 with the
 * result filled in (the job failed before any child).
 */
int	job_start(struct lspawn *, struct job *, struct job_result *);
/* The result of a finished child from its wait status and output. */
void	job_finish(struct job *, int wstatus, struct job_result *);
/* Reads what the child wrote (non-blocking); closes outfd at EOF. */
void	job_read_output(struct job *);
void	job_free(struct job *);

#endif
