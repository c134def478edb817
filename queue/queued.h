/*
 * queued.h: the queue manager's internal interfaces, shared by
 * queued.c (main loop), queued_scan.c (directory scan and orphan
 * recovery), queued_msg.c (messages in memory, scheduling, results),
 * queued_resolve.c (recipients to delivery jobs), queued_free.c (the
 * releaser, which makes finished files takeable), queued_local.c (the
 * pipes to lspawn), queued_keeper.c (the process that starts lspawn and
 * rspawn with the privileges queued gave up), queued_bounce.c (notices
 * to the sender through enqueue), queued_notice.c (which notices a
 * message owes: failures, delay warnings, successes), queued_admin.c
 * (hold, release, delete, requeue, flush), queued_ctl*.c (the control
 * socket of facteurctl and mailq), queued_alias.c (aliases' commands,
 * files and :include: files, virtual_alias_maps; with
 * queued_resolve.h), queued_route.c (where a remote recipient's mail
 * goes) and queued_remote.c (destinations, and the socket to rspawn).
 */
#ifndef FACTEUR_QUEUED_H
#define FACTEUR_QUEUED_H
#include <poll.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include "buf.h"
#include "chan.h"
#include "conf.h"
#include "queue_free.h"
#include "queue_path.h"
#include "queue_state.h"
#include "queueid.h"
#include "smtp_nexthop.h"
#include "table.h"

#define QUEUED_ACTIVE_MAX	20000	/* messages held in memory at once */
/*
 * Trigger scans: the first trigger after a quiet spell scans at once;
 * triggers that arrive during or just after a scan are coalesced into one
 * more scan, QUEUED_SCAN_COST times the last scan's duration later
 * (bounded by the two gaps), so that scanning a long env/ takes at most
 * about 1/QUEUED_SCAN_COST of queued's time, however many triggers come.
 */
#define QUEUED_SCAN_GAP_MIN_MS	5	/* least time between trigger scans */
#define QUEUED_SCAN_GAP_MAX_MS	100	/* most, for a very long env/ */
#define QUEUED_SCAN_COST	10
#define QUEUED_RESTART_DELAY	5	/* seconds before lspawn is restarted */
#define QUEUED_STOP_WAIT	10	/* seconds to wait for jobs on SIGTERM */
#define QUEUED_FRAME_MAX	8192	/* octets in one lspawn result frame */
#define QUEUED_MSG_MAX_READ	(64 * 1024)	/* bytes read for a bounce */
#define QUEUED_MASTER_FD	3	/* -M: the channel from the master */

enum qmsg_where { QM_NONE, QM_READY, QM_WAIT };

struct qmsg {
	RB_ENTRY(qmsg)	 by_id;
	RB_ENTRY(qmsg)	 by_time;	/* in q->wait when QM_WAIT */
	TAILQ_ENTRY(qmsg) ready;	/* in q->ready when QM_READY */
	enum qmsg_where	 where;
	long long	 wake;		/* next try while QM_WAIT */
	struct queue_state st;
	unsigned char	*busy;		/* per job: 1 while at lspawn */
	char		*sender;
	long long	 arrival;
	long long	 size;
	size_t		 left;		/* jobs pending or owing a bounce */
	size_t		 inflight;
	size_t		 cursor;	/* next job to consider */
	/*
	 * committed before this queued started: a job of it may have been
	 * delivered by the last one without the result reaching the disk,
	 * so its first attempt here looks in the Maildir first
	 */
	int		 recovered;
	int		 dirty;		/* memory differs from state/<id> */
	int		 has_state;	/* state/<id> exists */
	int		 seen;		/* found by the current scan */
	int		 deleting;	/* removed once its jobs in flight end */
	long long	 warn_retry;	/* a failed delay warning: not before */
	double		 loaded;	/* when queued took it (precise) */
	double		*jstart;	/* per job: its attempt began (0: none) */
	long long	 uid;		/* who injected it (the envelope's U) */
	int		 origin;	/* enum queue_origin */
	/* DSN (RFC 3461), from the envelope; all NULL/0 when none given */
	int		 ret;		/* enum dsn_ret */
	char		*envid;
	size_t		 nenv;		/* envelope recipients */
	char	       **rorcpt;	/* per envelope recipient; NULL */
	unsigned char	*jnotify;	/* per job: its recipient's NOTIFY */
	const char     **jorcpt;	/* per job: its recipient's ORCPT */
};

RB_HEAD(qmsg_ids, qmsg);
RB_HEAD(qmsg_times, qmsg);
TAILQ_HEAD(qmsg_list, qmsg);
RB_PROTOTYPE(qmsg_ids, qmsg, by_id, qmsg_id_cmp)
RB_PROTOTYPE(qmsg_times, qmsg, by_time, qmsg_time_cmp)

struct qslot {
	struct qmsg	*msg;		/* NULL when free */
	size_t		 job;
};

struct queued {
	struct conf	*conf;
	long long	 started;	/* wall seconds when it started */
	struct queue	 queue;		/* queue_dir: the working directory */
	const char	*confpath;
	int		 conf_fd;	/* conf's text, a sealed memfd */
	struct chan	 master;	/* -M: texts from the master, or fd -1 */
	int		 foreground;
	struct table	*aliases;	/* NULL when none */
	struct table	*transport;	/* transport_file; NULL when none */
	struct remote	*remote;	/* queued_remote.c */
	struct table	*valias;	/* virtual_alias_maps; NULL when none */
	long long	 retry_min, retry_max, lifetime, scan_interval;

	/* lspawn */
	struct chan	 keeper;	/* to the keeper; fd -1 if none */
	uid_t		 keeper_uid;	/* the keeper's user (queued's at start) */
	struct chan	 to, from;	/* the pipes; fd -1 when lspawn is down */
	long long	 restart_at;	/* wall seconds; 0: none pending */
	struct qslot	*slot;
	size_t		 nslot, nbusy;

	/* messages */
	struct qmsg_ids	 msgs;
	size_t		 nmsgs;
	struct qmsg_times wait;
	struct qmsg_list readyq;
	int		 scan_full;	/* last scan stopped at ACTIVE_MAX */
	struct queue_free_pool free;	/* finished files kept for reuse */
	pid_t		 free_pid;	/* the releaser (queued_free.c) */

	/* events */
	int		 trigger_fd, trigger_wfd;
	int		 stopping;

	/* notices */
	long long	 delay_warning;	/* delay_warning_time; 0: none */

	/* the control socket (queued_ctl.c) */
	struct ctl	*ctl;
};

/*
 * queued.c: the wall clock in seconds, and with its fractions (the
 * delays in log lines); the monotonic clock in microseconds (in
 * milliseconds: fd_now_ms, lib/base/fdio.h).
 */
long long	 queued_time(void);
double		 queued_time_precise(void);
long long	 queued_clock_us(void);

/* queued_scan.c */
int	 scan_queue(struct queued *, int recover);
void	 scan_orphans(struct queued *);

/* queued_msg.c */
struct qmsg	*msg_find(struct queued *, const char *id);
int	 msg_load(struct queued *, const char *id);
void	 msg_make_ready(struct queued *, struct qmsg *);
void	 msg_wake_due(struct queued *, long long now);
long long msg_next_wake(struct queued *);
void	 msg_dispatch(struct queued *);
void	 msg_result(struct queued *, struct qmsg *, size_t job, int status,
	    const char *text);
/*
 * How a job that reached its destination ended, for the success notice
 * (RFC 3461): DONE_DELIVERED, here (Action: delivered); DONE_RELAYED, to
 * a peer without DSN (Action: relayed); DONE_PASSED_ON, to a peer that
 * took NOTIFY and ORCPT and reports itself (no notice from us).  A K
 * outcome (msg_outcome) calls msg_job_done with its struct outcome's
 * done: the remote delivery's is DONE_PASSED_ON when the server that
 * took the recipient listed DSN (its result's dsn_peer: the SMTP client
 * gave it NOTIFY, ORCPT, RET and ENVID), else DONE_RELAYED.
 */
enum msg_done { DONE_DELIVERED, DONE_RELAYED, DONE_PASSED_ON };
void	 msg_job_done(struct queued *, struct qmsg *, size_t job,
	    enum msg_done);
/* The DSN NOTIFY (DSN_NOTIFY_*, 0: not given) and ORCPT of a job. */
int	 msg_job_notify(const struct qmsg *, size_t job);
const char *msg_job_orcpt(const struct qmsg *, size_t job);
/*
 * Binds each job to the DSN parameters of its envelope recipient (by
 * job->orig); after the jobs change.  0, or -1 when out of memory.
 */
int	 msg_dsn_bind(struct qmsg *, char *const *rcpt, const int *notify,
	    char *const *orcpt, size_t nrcpt);
/* Recounts left and remakes busy after the jobs changed; 0 or -1. */
int	 msg_jobs_changed(struct qmsg *);
/* Every job final: the files go (why: NULL, or said in the log line). */
void	 msg_remove(struct queued *, struct qmsg *, const char *why);
/* Writes state/<id> now; 0 or -1 (logged). */
int	 msg_save(struct queued *, struct qmsg *);
/* On the ready list or into the wait tree (never while held). */
void	 msg_wait(struct queued *, struct qmsg *, long long now);
/* Reads and decodes env/<id>; 0, or -1 (logged). */
struct queue_env;
int	 msg_env_read(struct queued *, const char *id, struct queue_env *);
/* What a remote delivery adds to the outcome of a job. */
struct outcome {
	const char	*relay;		/* "local", "none", "mx.b[192.0.2.1]:25" */
	const char	*dsn;		/* shown as dsn= when not NULL */
	const char	*delays;	/* "a/b/c/d", shown as delays= when set */
	unsigned long	 conn_use;	/* shown as conn_use= when above 1 */
	long long	 not_before;	/* deferred: no retry before (wall s) */
	enum msg_done	 done;		/* K: here, relayed or passed on */
};
/*
 * The outcome of job (status K, Z or D) without a slot: recorded and
 * logged, as msg_result does; msg_result_via also ends a job that was
 * in flight (busy) and, when it was the last, the pass.
 */
void	 msg_outcome(struct queued *, struct qmsg *, size_t job, int status,
	    const char *text, const struct outcome *);
void	 msg_result_via(struct queued *, struct qmsg *, size_t job, int status,
	    const char *text, const struct outcome *);
/* A busy job goes back to pending without an attempt (queued stops). */
void	 msg_release(struct queued *, struct qmsg *, size_t job);
/* Every waiting job due now (SIGUSR1, or 'F' in the trigger). */
void	 msg_flush(struct queued *);
/* Drops a message from memory only (its files are gone). */
void	 msg_forget(struct queued *, struct qmsg *);
void	 msg_save_all(struct queued *);
void	 msg_free_all(struct queued *);

/* queued_resolve.c */
/*
 * Appends the delivery jobs of every envelope recipient to st: alias
 * expansion, local or not, duplicates removed.  A recipient that cannot
 * be resolved becomes a job that owes a bounce (QJ_BOUNCE).  0, or -1
 * when out of memory.
 */
int	 resolve_all(struct queued *, struct queue_state *,
	    char *const *rcpt, size_t nrcpt);

/* queued_route.c */
enum route_kind { ROUTE_SMTP, ROUTE_ERROR, ROUTE_TEMP };
struct route {
	enum route_kind	 kind;
	char		 nexthop[NEXTHOP_TEXT_MAX + 1];	/* ROUTE_SMTP */
	char		 text[QUEUE_REASON_MAX + 1];	/* ERROR, TEMP */
};
/* relayhost must parse; 0, or -1 with the reason in err. */
int	 route_conf_check(const struct conf *, char *err, size_t errlen);
/* (Re)loads transport_file when it changed; 0, or -1 keeping the old. */
int	 route_reload(struct queued *, const struct conf *);
/* 1 when mail for domain is delivered here. */
int	 route_is_local(struct queued *, const char *domain);
/* Where mail for the non-local rcpt goes; always 0 (r->kind says). */
int	 route_lookup(struct queued *, const char *rcpt, struct route *);

/* queued_remote.c */
void	 remote_init(struct queued *);
/* Applies the smtp_* limits of q->conf. */
void	 remote_conf(struct queued *);
/* After a reload the keeper did not take: the running rspawn stays. */
void	 remote_keep(struct queued *);
/* Starts rspawn through the keeper; 0, or -1 (retried later). */
int	 remote_start(struct queued *);
/* Ends the connection to rspawn; its deliveries become deferrals. */
void	 remote_stop(struct queued *, const char *why);
/*
 * Routes job of m: an error route bounces it at once; an SMTP route puts
 * it with its destination, to go out with remote_dispatch (busy until
 * its result).  0, or -1 when out of memory (the job stays pending).
 */
int	 remote_job(struct queued *, struct qmsg *, size_t job);
/* Sends what destinations may have now (concurrency, backoff). */
void	 remote_dispatch(struct queued *);
/* Reads rspawn's results (POLLIN on remote_fd). */
void	 remote_read(struct queued *);
/* Sends what waits for room on the socket (POLLOUT). */
void	 remote_flush(struct queued *);
/* The socket to rspawn and the events to poll it for; fd -1 if down. */
int	 remote_fd(const struct queued *, short *events);
/* Jobs held: waiting at a destination or in flight. */
size_t	 remote_busy(const struct queued *);
/* Wall time at which rspawn is to be started again, 0 if none. */
long long remote_restart_at(const struct queued *);
/* Every job waiting at a destination goes back to pending (stopping). */
void	 remote_release(struct queued *);
/* queued_alias.c */
/* (Re)loads virtual_alias_maps when it changed; 0, or -1 keeping the old. */
int	 valias_reload(struct queued *, const struct conf *);

/* queued_local.c */
int	 local_start(struct queued *);
void	 local_stop(struct queued *, const char *why);
int	 local_job(struct queued *, struct qmsg *, size_t job);
int	 local_read(struct queued *);
int	 local_flush(struct queued *);
int	 local_resize(struct queued *, size_t nslot);

/* queued_keeper.c */
pid_t	 keeper_start(struct queued *, const char *lspawn,
	    const char *rspawn, int debug);
/*
 * The keeper's verdict on what it received from queued: r is chan_recv's
 * answer.  1: [S] with the read end of the job pipe and the write end of
 * the result pipe (start lspawn on them), or [R] with a SOCK_SEQPACKET
 * socket (start rspawn on it); 2: [C] with the configuration for the
 * next spawner, a memfd sealed against writing (conf_text_fd) that a
 * process of the keeper's user made; 0: end of file; -1: anything else
 * (the keeper exits, and queued with it).
 */
int	 keeper_take(int r, const struct chan_msg *);
/* Asks the keeper to start lspawn on these two pipe ends. */
int	 keeper_exec(struct queued *, int job_fd, int result_fd);
/* Asks the keeper to start rspawn on this end of a socketpair. */
int	 keeper_exec_remote(struct queued *, int sock);
/*
 * Hands the keeper q->conf_fd: the lspawn and rspawn it starts next run
 * on it.  0; 1 when it is not sent, made by another user than the
 * keeper's (a text queued read itself after giving up root: the keeper
 * would refuse it); -1 with errno.
 */
int	 keeper_conf(struct queued *);

/* queued_bounce.c */
/*
 * One notice of kind (enum bounce_kind) to the sender of m for the jobs
 * job[0..n) (n <= BOUNCE_RCPT_MAX), queued through enqueue.  0 once
 * enqueue accepted it, else -1.  For the null sender (a report that
 * failed itself) a failure report is a double bounce: to
 * postmaster@myhostname, from double-bounce@myhostname.
 */
int	 bounce_send(struct queued *, struct qmsg *, const size_t *job,
	    size_t n, int kind);
/*
 * 1 when m's failures owe no report: its sender is
 * double-bounce@myhostname (a double bounce that failed), as Postfix
 * drops them; they are logged and dropped, so reports never loop.
 */
int	 bounce_dropped(const struct queued *, const struct qmsg *);

/* queued_notice.c */
/*
 * At the end of a pass: the notices m owes, each recorded only once
 * enqueue took it: failures (B jobs; none where NOTIFY says no), success
 * notices (S and R jobs) and the delay warning (once, at
 * delay_warning_time, for pending jobs whose NOTIFY allows it).  When
 * enqueue fails, the jobs wait queue_retry_min.
 */
void	 notice_pass_end(struct queued *, struct qmsg *, long long now);
/* The wall time of m's delay warning, or 0 when none is due any more. */
long long notice_delay_due(const struct queued *, const struct qmsg *);

/* queued_admin.c: what facteurctl asks for, message by message */
/* Holds m (persisted); 0, or -1 when the state cannot be written. */
int	 admin_hold(struct queued *, struct qmsg *);
int	 admin_release(struct queued *, struct qmsg *);
/* 1: removed now; 0: removed once its jobs in flight end. */
int	 admin_delete(struct queued *, struct qmsg *, long long uid);
/* Pending recipients resolved again, tried now; 0, or -1 with *why. */
int	 admin_requeue(struct queued *, struct qmsg *, const char **why);
/* Due now: all of m's waiting jobs, or those of one domain (NULL: all). */
size_t	 admin_flush(struct queued *, struct qmsg *, const char *domain);

/* queued_ctl.c: the control socket */
void	 ctl_open(struct queued *);
void	 ctl_close(struct queued *);
/* Descriptors to poll (at most CTL_POLL_MAX) and their events. */
#define CTL_POLL_MAX	17
size_t	 ctl_pollfds(struct queued *, struct pollfd *, size_t max);
/* After poll: the events on those descriptors. */
void	 ctl_events(struct queued *, const struct pollfd *, size_t n);
/* The least time, in ms, before a client's deadline (-1: none). */
long long ctl_timeout_ms(const struct queued *);

/* queued_free.c: the releaser of free/ (docs/queue.md, Q10). */
pid_t	free_releaser_start(struct queued *);
void	free_releaser_stop(struct queued *, pid_t);

#endif
