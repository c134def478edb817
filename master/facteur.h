/*
 * facteur (the master): shared declarations of its files.
 */
#ifndef FACTEUR_MASTER_H
#define FACTEUR_MASTER_H
#include <sys/socket.h>
#include <sys/types.h>
#include <poll.h>
#include <time.h>
#include "conf.h"

#define MASTER_LISTEN_MAX	16	/* addresses per service */
/*
 * Sessions of all services (the table grows as they come).  Above every
 * max_sessions, so that the connection over a limit still gets its
 * program's busy answer (overload_action reply).
 */
#define MASTER_SESSIONS_MAX	200000
#define MASTER_RESIDENTS_MAX	16	/* resident servers, retiring ones too */

struct service {
	const char	*name;		/* smtp, submission, ... */
	const char	*listen_key;	/* conf key with its addresses */
	const char	*program;	/* in program_dir */
	const char	*arg;		/* mode argument, or NULL */
	int		 fds[MASTER_LISTEN_MAX];
	char		 addrs[MASTER_LISTEN_MAX][64];
	int		 nfds;
	int		 nsessions;
	int		 can_reside;	/* the program has a resident mode (-R) */
	time_t		 resident_retry_at;	/* no resident before */
};

struct session {
	pid_t		 pid;
	struct service	*svc;
	struct sockaddr_storage peer;
	socklen_t	 peerlen;
	long long	 seq;	/* handed to a resident: its number; else 0 */
	int		 slot;	/* that resident while it runs; else -1 */
};

extern struct service	master_services[];

/* facteur_listen.c */
int	listen_parse(const char *, struct sockaddr_storage *, socklen_t *);
int	listen_open(const char *addr, int *fd);
void	listen_apply(const struct conf *);
void	listen_close_all(void);

/* facteur_session.c */
void	session_accept(struct service *, int lfd, const struct conf *,
	    const char *confpath);
int	session_reap(pid_t, int status);	/* 1 if it was a session */
int	session_count(void);
void	session_signal_all(int sig);
/* A resident's reports: seq is served by pid; seq's process ended. */
void	session_started(long long seq, pid_t pid);
void	session_ended(long long seq);
/* The resident in slot is gone: forget what it never reported. */
void	session_resident_gone(int slot);
/* Forgets sessions of a gone resident whose pid no process has. */
void	session_forget_vanished(void);

/* facteur_resident.c */
int	resident_wanted(const struct service *, const struct conf *);
/* Retires the running residents and starts one per resident service. */
void	resident_apply(const struct conf *, const char *confpath);
void	resident_retire_all(void);
/* Starts the residents that should run and may (restart_delay passed). */
void	resident_tick(const struct conf *, const char *confpath);
/* Hands the connection fd over: 0 (*slot set), or -1: start a program. */
int	resident_hand(struct service *, const struct conf *,
	    const char *confpath, int fd, int over, long long seq, int *slot);
int	resident_pollfds(struct pollfd *, int max);
void	resident_drain(void);	/* reads every waiting report */
int	resident_reap(pid_t, int status, const struct conf *);	/* 1 if ours */
int	resident_count(void);	/* residents not yet gone */
void	resident_signal_all(int sig);

/* facteur_report.c: a resident's report, [S, seq, pid] or [E, seq]: 0, or -1. */
struct chan_msg;
int	resident_report_parse(const struct chan_msg *, char *kind,
	    long long *seq, pid_t *pid);

/*
 * facteur_chroot.c: checks the chroot directory of every configured
 * service (as root); each unfit one is reported.  The number of them.
 */
int	chroot_check_all(const struct conf *, void (*report)(void *,
	    const char *), void *arg);

/* facteur_queue.c */
/* Makes the queue's directories before any listener opens. */
void	queue_group_prepare(const struct conf *);
void	queue_group_start(const struct conf *, const char *confpath, int debug);
int	queue_group_reap(pid_t, int status, const struct conf *);	/* 1 if ours */
void	queue_group_tick(const struct conf *, const char *confpath, int debug);
void	queue_group_signal(int sig);
/* Hands queued the configuration now in force (master_conf_fd). */
void	queue_group_reload(void);
int	queue_group_running(void);

/*
 * A fork+exec of program_dir/program with the socket on fds 0 and 1, or,
 * when chan != -1, with chan on fd 3 and the option chanopt (-R for a
 * resident, -M for queued).  Every program gets the configuration in
 * force as -F 4 (MASTER_CONF_FD): the text the master validated, never
 * a file it refused.
 */
#define MASTER_CONF_FD	4
pid_t	master_spawn(const struct conf *, const char *confpath, int sock,
	    int chan, const char *chanopt, const char *program,
	    const char *arg, int overloaded, int debug);
extern int	master_debug;
/* The text of the configuration in force, a sealed memfd (conf.h). */
extern int	master_conf_fd;

#endif
