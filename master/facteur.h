/*
 * facteur (the master): shared declarations of its files.
 */
#ifndef FACTEUR_MASTER_H
#define FACTEUR_MASTER_H
#include <sys/socket.h>
#include <sys/types.h>
#include "conf.h"

#define MASTER_LISTEN_MAX	16	/* addresses per service */
#define MASTER_SESSIONS_MAX	10000	/* sessions of all services */

struct service {
	const char	*name;		/* smtp, submission, ... */
	const char	*listen_key;	/* conf key with its addresses */
	const char	*program;	/* in program_dir */
	const char	*arg;		/* mode argument, or NULL */
	int		 fds[MASTER_LISTEN_MAX];
	char		 addrs[MASTER_LISTEN_MAX][64];
	int		 nfds;
	int		 nsessions;
};

struct session {
	pid_t		 pid;
	struct service	*svc;
	struct sockaddr_storage peer;
	socklen_t	 peerlen;
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

/* facteur_queue.c */
void	queue_group_start(const struct conf *, const char *confpath, int debug);
int	queue_group_reap(pid_t, int status, const struct conf *);	/* 1 if ours */
void	queue_group_tick(const struct conf *, const char *confpath, int debug);
void	queue_group_signal(int sig);
int	queue_group_running(void);

/* a fork+exec of program_dir/program with the socket on fds 0 and 1 */
pid_t	master_spawn(const struct conf *, const char *confpath, int sock,
	    const char *program, const char *arg, int overloaded, int debug);
extern int	master_debug;

#endif
