/*
 * lspawn: what lspawn.c (the loop: frames from queued, results back),
 * lspawn_job.c (one job: checks, user lookup, the message),
 * lspawn_route.c (a user's job: a Maildir worker, or a local delivery
 * child for .forward, mbox and mailbox_command), lspawn_alias.c (an
 * alias's commands and files: found again, with their privileges),
 * lspawn_pool.c (the delivery workers and local children, from lspawn's
 * side), lspawn_worker.c (a worker's own process, running as one
 * recipient) and lspawn_local.c (forking a local delivery child, whose
 * own code is local*.c) share.
 */
#ifndef FACTEUR_LSPAWN_H
#define FACTEUR_LSPAWN_H
#include <sys/queue.h>
#include <sys/types.h>

#include <limits.h>
#include <poll.h>

#include "chan.h"
#include "local.h"
#include "queue_path.h"

#define LSPAWN_FRAME_MAX	8192	/* octets in one frame from queued */
#define LSPAWN_FIELD_MAX	1000	/* octets in one field (QUEUE_ADDR_MAX) */
#define LSPAWN_SLOT_MAX		999999	/* largest slot number */
#define LSPAWN_WAIT_MAX		10000	/* jobs queued beyond the concurrency */
#define LSPAWN_TEXT_MAX		500	/* octets of result text */
#define LSPAWN_OUT_MAX		1024	/* octets of a worker's output kept */
/* octets of a worker's output read at one wake-up at most */
#define LSPAWN_OUT_DRAIN	65536

enum job_kind {
	JOB_WORKER,	/* a Maildir write: a delivery worker of its uid */
	JOB_LOCAL	/* anything more: a local delivery child of its own */
};

struct job {
	TAILQ_ENTRY(job) entry;
	char	 slot[8];
	char	*id;		/* the fields point into frame */
	char	*sender;
	char	*rcpt;
	char	*user;
	char	*ext;
	int	 check;		/* look in the Maildir first */
	char	*frame;		/* a copy of the frame data */
	int	 ready;		/* checked, user found, message open */
	uid_t	 uid;		/* who delivers it (when ready) */
	gid_t	 gid;
	char	*maildir;	/* absolute path (when ready) */
	int	 msgfd;		/* the message, read-only, or -1 */
	enum job_kind kind;	/* when ready */
	struct local_job *local;	/* JOB_LOCAL: what its child does */
};
TAILQ_HEAD(jobq, job);

/* The user a job is for, as lspawn_job.c found it. */
struct target {
	uid_t	uid;
	gid_t	gid;
	char	home[USER_PATH_MAX];
	char	maildir[4096];
	int	vmailbox;	/* a virtual_mailbox_domains user */
};

/*
 * A delivery worker: a process forked from lspawn that runs as one
 * uid and gid (groups: that gid only) and delivers that user's jobs, one
 * at a time, until lspawn closes its channel.  It is idle (no job), busy
 * (a job), or gone: retired or dead, no longer given jobs, and kept
 * until it is reaped (it still counts against local_concurrency).
 */
struct worker {
	TAILQ_ENTRY(worker) entry;
	pid_t		 pid;
	uid_t		 uid;
	gid_t		 gid;
	int		 state;		/* idle, busy or gone (lspawn_pool.c) */
	int		 chan;		/* lspawn's end of the job socket, or -1 */
	int		 outfd;		/* read end of its fd 1 and 2, or -1 */
	struct job	*job;		/* the job it delivers, or NULL */
	unsigned long	 jobs;		/* jobs given to it */
	int		 oneshot;	/* a local delivery child: one job */
	long long	 idle_since;	/* CLOCK_MONOTONIC, ms */
	long long	 busy_since;	/* when it was given its job, ms */
	size_t		 outlen;
	char		 out[LSPAWN_OUT_MAX + 1];
};
TAILQ_HEAD(workerq, worker);

/*
 * lspawn_out.c: a worker's output (its fds 1 and 2, any octets).
 * worker_out_read reads what is there, up to LSPAWN_OUT_DRAIN octets
 * (the poll loop calls again), keeping LSPAWN_OUT_MAX (closes outfd at
 * EOF); worker_out_line gives its first line, control
 * bytes made '?' and at most n - 1 octets, 0 when there was none;
 * worker_out_lines gives each non-empty line so to emit.  Both empty
 * the output.
 */
void	worker_out_read(struct worker *);
int	worker_out_line(struct worker *, char *line, size_t n);
void	worker_out_lines(struct worker *, void (*emit)(void *, const char *),
	    void *arg);

struct lspawn {
	const struct conf *conf;
	const char	*queue_dir;
	const char	*users_file;
	const char	*virtual_user;
	const char	*maildir;
	int		 system_users;
	long long	 first_valid_uid;
	int		 concurrency;	/* workers at most, all states */
	unsigned long	 max_jobs;	/* local_worker_max_jobs */
	long long	 idle_ms;	/* local_worker_idle */
	long long	 job_ms;	/* local_delivery_timeout */
	int		 window_ms;	/* local_commit_window_ms */
	int		 root;		/* started as root: switch users */
	struct queue	 queue;		/* queue_dir, open */
	struct jobq	 waiting;
	size_t		 nwaiting;
	struct workerq	 idle;		/* longest idle first */
	struct workerq	 busy;
	struct workerq	 gone;
	int		 nworkers;	/* idle + busy + gone */
};

struct job_result {
	char	status;		/* 'K', 'Z' or 'D' */
	char	text[LSPAWN_TEXT_MAX + 1];
};

/* lspawn.c */
/* Sends the job's result to queued and logs it. */
void	result_send(const struct job *, const struct job_result *);

/* lspawn_job.c */
#define JOB_FIELDS	8	/* J, slot, id, sender, recipient, user, ext, check */
/*
 * Takes a frame from queued, which must be a job [J, slot, id, sender,
 * recipient, user, extension, check] whose slot (decimal, 1 to 6 digits,
 * no leading zero) no job of lspawn holds and whose check is 0 or 1 (1:
 * look in the Maildir first, docs/queue.md "Exactly once").  0: the job (its own copy of the
 * frame) waits in ls->waiting; 1: too many wait already, *jp is to be
 * answered Z and freed; -1 with *why: queued is broken (lspawn exits).
 */
int	job_take(struct lspawn *, const struct chan_msg *, struct job **jp,
	    const char **why);
/*
 * The values of a job as queued sent them, before anything is looked up:
 * a valid queue ID, a recipient, no control byte anywhere.  0, or -1
 * with the result (D) filled in.
 */
int	job_check(const struct job *, struct job_result *);
/*
 * Checks the job's fields (job_check), looks the user up, opens the
 * message: sets uid, gid, maildir, msgfd and ready.  Returns 0, or -1
 * with the result filled in (the job is over).
 */
int	job_prepare(struct lspawn *, struct job *, struct job_result *);
/* Fills res; returns -1 (for "return result_set(...)"). */
int	result_set(struct job_result *, char status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	job_free(struct job *);

/* lspawn_route.c */
/*
 * A user's job, its user found: to a Maildir worker (JOB_WORKER), or to
 * a local delivery child (JOB_LOCAL, j->local filled).  0, or -1 with
 * the result filled in.
 */
int	route_user(struct lspawn *, struct job *, const struct target *,
	    struct job_result *);
/* The login shell of uid into shell ("/bin/sh" when it has none). */
void	route_shell(uid_t, char *shell, size_t n);
void	route_local_free(struct local_job *);

/* lspawn_alias.c */
/*
 * A job for the commands and files of an alias (user ":NAME", extension
 * the :include: file or ""): finds them again in the aliases file, with
 * the identity they run as.  0 (j->local filled), or -1 with the result.
 */
int	alias_prepare(struct lspawn *, struct job *, struct job_result *);

/* lspawn_pool.c */
/* Hands waiting jobs to workers while the bound allows. */
void	pool_start_jobs(struct lspawn *);
/* Retires workers idle past local_worker_idle; ms until the next, or -1. */
int	pool_expire(struct lspawn *);
/* Retires every idle worker (at the end of input). */
void	pool_retire_idle(struct lspawn *);
/* Adds the descriptors to watch; returns how many (at most 2 per worker). */
size_t	pool_pollfds(struct lspawn *, struct pollfd *, struct worker **,
	    size_t max);
/* A descriptor of w is ready. */
void	pool_ready(struct lspawn *, struct worker *, const struct pollfd *);
/* Reaps exited workers; fails the jobs they had. */
void	pool_reap(struct lspawn *);
/*
 * Forks a worker or local child named name with a job channel and an
 * output pipe: in the parent its pid, with lspawn's ends in *chan and
 * *outfd (non-blocking); in the child 0, with its ends in *cchan and
 * *cout; -1 with errno.
 */
pid_t	pool_fork(const char *name, int *chan, int *outfd, int *cchan,
	    int *cout);

/* lspawn_worker.c */
/*
 * Forks a worker for uid and gid with one end of a job socket and an
 * output pipe; returns its pid (with *chan and *outfd, lspawn's ends), or
 * -1 with errno.
 */
pid_t	worker_fork(struct lspawn *, uid_t, gid_t, int *chan, int *outfd);

/* lspawn_local.c */
/* Forks the local delivery child of j: as worker_fork. */
pid_t	local_fork(struct lspawn *, struct job *, int *chan, int *outfd);

#endif
