/*
 * smtpd_resident.h: the parts of the resident smtpd (smtpd -R).  The
 * resident is the monitor of every connection it serves: it forks the
 * chrooted session for each connection and answers its requests from
 * one poll(2) and epoll loop (resident.c), holding one struct rconn per
 * connection (resident_conn.c); messages are queued by long-lived queue
 * writers (resident_qpool.c, qwriter.c).  Nothing in the loop may wait:
 * AUTH runs in a child (resident_auth.c), and a request whose answer is
 * not ready is answered later.
 */
#ifndef FACTEUR_SMTPD_RESIDENT_H
#define FACTEUR_SMTPD_RESIDENT_H
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <poll.h>
#include <time.h>

#include "smtpd.h"
#include "smtpd_monitor.h"
#include "table.h"
#include "users.h"

/* Writers idle this long (seconds) are told to go. */
#define QWRITER_IDLE	60

struct resident;

struct qwriter {
	pid_t		 pid;		/* -1: the slot is free */
	struct chan	 chan;		/* frames with fds (lib/ipc/chan.h) */
	struct rconn	*owner;		/* NULL: idle */
	time_t		 idle_since;
};

struct qpool {
	const struct conf	*conf;
	const struct smtpd_opts	*opts;
	int			 usable;	/* queue in place is possible */
	int			 max;		/* smtpd_queue_writers */
	struct qwriter		*w;		/* max slots */
	/*
	 * The writers' group commit (lib/base/gsync.h): a memfd the
	 * resident makes and never maps; each writer gets it as fd 4.
	 * -1: none (each writer fsyncs msg/ and env/ for itself).
	 */
	int			 gsync_fd;
};

/* One connection the resident serves. */
struct rconn {
	struct monitor		 mon;
	struct smtpd_opts	 opts;		/* this connection's */
	struct resident		*res;
	long long		 seq;		/* the master's number */
	pid_t			 pid;		/* the session */
	/*
	 * 1: forked by smtpsession, not a child of ours: its end is seen
	 * as the end of its channel (the session holds the only other
	 * end), and a kill goes through a pidfd opened then (one
	 * descriptor per session, not two: resident_conn.c).
	 */
	int			 spawned;
	time_t			 start;		/* when the connection came */
	/* the client's socket, to know it again at a STARTTLS handoff */
	dev_t			 sock_dev;
	ino_t			 sock_ino;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	int			 eof;		/* its channel ended */
	int			 gone;		/* spawned, and its channel ended */
	int			 watched;	/* its channel is in the epoll set */
	/* AUTH, checked in a child */
	pid_t			 auth_pid;	/* -1: none */
	int			 auth_fd;	/* its verdict's channel, -1 */
	/* the message being queued */
	int			 q_on;		/* a writer or child has it */
	int			 q_writer;	/* its slot, or -1 */
	pid_t			 q_child;	/* or a child, or -1 */
	int			 q_done;
	int			 q_code;
	int			 q_owed;	/* 0, 'E' (EXIT) or 'A' (OK) */
};

/* A table beside facteur.conf, loaded again when its file changes. */
struct rtable {
	struct table	*t;
	int		 broken;	/* the last load failed */
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
};

struct resident {
	const struct conf	*conf;
	struct smtpd_opts	*opts;
	struct chan		 chan;		/* the master's */
	int			 eof;		/* it retired us */
	/*
	 * The sessions' channels, in an epoll set (resident.c): with
	 * thousands of idle sessions a poll(2) of every channel at each
	 * turn of the loop would cost more than the work itself.
	 */
	int			 epfd;
	struct rconn		*conns[SMTPD_RESIDENT_MAX];
	size_t			 nconns;
	struct qpool		 pool;
	struct rtable		 aliases;
	struct rtable		 valias;	/* virtual_alias_maps */
	struct rtable		 senders;
	struct chan		 spawn;		/* smtpsession's; fd -1: none */
	pid_t			 spawn_pid;	/* -1: none (reaped) */
	int			 spawn_ready;	/* it said R: it forks sessions */
	char			*spawn_text;	/* the configuration, to restart */
	size_t			 spawn_len;
	time_t			 spawn_up;	/* when it said R; 0 */
	time_t			 spawn_retry;	/* when to start it again; 0 */
	int			 spawn_fails;	/* short lives in a row */
};

/* resident.c: "S seq pid" and "E seq" to the master. */
void	resident_report_started(struct resident *, long long seq, pid_t);
void	resident_report_end(struct resident *, long long seq);

/* resident_conn.c */
/* Forks the session for the connection fd; NULL when it cannot. */
struct rconn *resident_conn_open(struct resident *, int fd, long long seq, int over);
/* Frames from the session: -1 when it must be killed. */
int	resident_conn_readable(struct rconn *);
/* The AUTH child's verdict pipe is readable: -1, kill the session. */
int	resident_auth_readable(struct rconn *);
/* The queueing of its message ended with code: -1, kill the session. */
int	resident_conn_job_done(struct rconn *, int code);
/* Its writer or child died without a result (monitor_queue_lost). */
int	resident_conn_job_lost(struct rconn *);
/* Kills the session (it is reaped and closed later). */
void	resident_conn_kill(struct rconn *);
/* After the session was reaped: frees everything; reports the end. */
void	resident_conn_close(struct rconn *);
/* Adds its channel to the resident's epoll set, or takes it out. */
int	resident_conn_watch(struct rconn *);
void	resident_conn_unwatch(struct rconn *);
/* Sets the tables of a connection from the resident's (reloading). */
void	resident_conn_tables(struct resident *);

/* resident_smtpsession.c */
/* A restarted smtpsession that lived this long resets the backoff. */
#define SMTPSESSION_STABLE	60
/* The longest wait before starting it again (unless restart_delay is). */
#define SMTPSESSION_BACKOFF_MAX	300
/*
 * Starts smtpsession with the configuration text the resident parsed
 * (text is kept, for restarts, until smtpsession_free): 0, or -1 (then,
 * and in smtps mode, sessions are forked here).
 */
int	smtpsession_start(struct resident *, char *text, size_t len);
/*
 * A session from smtpsession for the client on fd, talking on sock: its
 * pid with *pidfd; 0 when this connection fails (smtpsession could not
 * fork, or died or answered wrong after it took the socket: it may have
 * a session on it already); -1 when there is no smtpsession ready, or it
 * was gone before it took the socket: fork here.
 */
pid_t	smtpsession_fork(struct resident *, int fd, int sock, int over,
	    int *pidfd);
/* A restarted smtpsession's channel is readable (its "R"). */
void	smtpsession_readable(struct resident *);
/* Starts it again when its backoff is over. */
void	smtpsession_tick(struct resident *, time_t now);
/* Milliseconds until smtpsession_tick has work; -1: none. */
int	smtpsession_poll_ms(const struct resident *, time_t now);
/* Closes its channel: it exits (the resident's end: no restart). */
void	smtpsession_stop(struct resident *);
/* It failed: it is killed, and started again once reaped. */
void	smtpsession_lost(struct resident *);
/* smtpsession_stop, and the configuration text freed. */
void	smtpsession_free(struct resident *);
/* 1 if pid was smtpsession (then it is forgotten, its restart planned). */
int	smtpsession_reaped(struct resident *, pid_t pid, int status);

/* resident_qpool.c */
void	qpool_init(struct qpool *, const struct conf *,
	    const struct smtpd_opts *);
/*
 * Hands the two read ends to a writer: its slot (the ends are closed
 * here), or -1 when no writer can take it (the ends are left open).
 */
int	qpool_submit(struct qpool *, struct rconn *, const char *id,
	    int msg_r, int env_r);
/* The owner of slot i is gone: its result will be dropped. */
void	qpool_detach(struct qpool *, int i);
/* Adds the writers' channels; the number added. */
int	qpool_pollfds(struct qpool *, struct pollfd *, int max);
/* Handles what poll said of the writers' channels. */
void	qpool_events(struct qpool *, const struct pollfd *, int n);
/* 1 if pid was a writer (then it is forgotten). */
int	qpool_reaped(struct qpool *, pid_t);
/* Retires writers idle for QWRITER_IDLE seconds. */
void	qpool_tick(struct qpool *, time_t now);
/* Closes every writer's channel (they exit at end of file). */
void	qpool_close(struct qpool *);

/*
 * resident_wire.c: the frames of the master, smtpsession, the queue
 * writers and the AUTH children, checked (0, or -1: refused).
 *   resident_wire_master   [C, seq, over] + 1 descriptor
 *   resident_wire_ready    [R]
 *   resident_wire_spawned  [P, pid] + 1 descriptor (1, *pid), [F] (0)
 *   resident_wire_done     [DONE, code]
 *   resident_wire_verdict  the AUTH child's answer, r being chan_recv's:
 *                          [O, user] (user copied), [B], [T]; anything
 *                          else, or nothing, is VERDICT_NONE
 */
enum resident_verdict { VERDICT_OK, VERDICT_BAD, VERDICT_TEMP, VERDICT_NONE };
int	resident_wire_master(const struct chan_msg *, long long *seq,
	    int *over);
int	resident_wire_ready(const struct chan_msg *);
int	resident_wire_spawned(const struct chan_msg *, pid_t *pid);
int	resident_wire_done(const struct chan_msg *, int *code);
enum resident_verdict resident_wire_verdict(int r, const struct chan_msg *,
	    char user[USER_NAME_MAX + 1]);

/*
 * qwriter.c: a queue writer's process, on its channel fd, with the group
 * commit's region on gsync_fd (-1: none).
 */
void	qwriter_run(const struct conf *, const struct smtpd_opts *, int fd,
	    int gsync_fd) __attribute__((noreturn));

#endif
