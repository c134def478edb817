/*
 * facteur_session: accepting clients and starting one program per
 * connection, with the socket on fds 0 and 1 (the inetd convention).
 * Limits: max_sessions per service and max_sessions_per_client per client
 * address and service.  Over a limit, overload_action = reply starts the
 * program anyway with -O, and it answers "busy" in its own protocol
 * (SMTP 421, POP3 -ERR [SYS/TEMP], IMAP * BYE) and exits; overload_action
 * = close closes the connection without a word.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "facteur.h"
#include "fdio.h"
#include "log.h"

static struct session	 sessions[MASTER_SESSIONS_MAX];
static int		 nsessions;

static int
peer_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	return 0;
}

static int
session_count_peer(const struct service *svc,
    const struct sockaddr_storage *peer)
{
	int	 i, n = 0;

	for (i = 0; i < nsessions; i++)
		if (sessions[i].svc == svc && peer_same(&sessions[i].peer, peer))
			n++;
	return n;
}

pid_t
master_spawn(const struct conf *conf, const char *confpath, int sock,
    const char *program, const char *arg, int overloaded, int debug)
{
	char	 path[1024];
	char	*argv[8];
	int	 argc = 0;
	pid_t	 pid;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s",
	    conf_str(conf, "program_dir"), program) >= sizeof(path)) {
		log_warnx("program path too long for %s", program);
		return -1;
	}
	argv[argc++] = (char *)program;
	argv[argc++] = "-C";
	argv[argc++] = (char *)confpath;
	if (debug)
		argv[argc++] = "-d";
	if (overloaded)
		argv[argc++] = "-O";
	if (arg != NULL)
		argv[argc++] = (char *)arg;
	argv[argc] = NULL;

	if ((pid = fork()) == -1) {
		log_warn("fork for %s", program);
		return -1;
	}
	if (pid != 0)
		return pid;
	/* child */
	if (sock != -1) {
		if (dup2(sock, 0) == -1 || dup2(sock, 1) == -1)
			_exit(111);
		if (fd_set_nonblock(0, 0) == -1)
			_exit(111);
	}
	if (!debug) {
		int null = open("/dev/null", O_WRONLY);
		if (null == -1 || dup2(null, 2) == -1)
			_exit(111);
	}
	closefrom(3);
	{
		sigset_t none;
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		(void)signal(SIGPIPE, SIG_DFL);
		(void)signal(SIGCHLD, SIG_DFL);
		(void)signal(SIGHUP, SIG_DFL);
		(void)signal(SIGTERM, SIG_DFL);
		(void)signal(SIGINT, SIG_DFL);
	}
	execv(path, argv);
	_exit(111);
}

void
session_accept(struct service *svc, int lfd, const struct conf *conf,
    const char *confpath)
{
	struct session	*s;
	struct sockaddr_storage peer;
	socklen_t	 plen = sizeof(peer);
	int		 fd, over = 0;
	pid_t		 pid;

	fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("%s: accept", svc->name);
		return;
	}
	if (svc->nsessions >= conf_int(conf, "max_sessions") ||
	    nsessions >= MASTER_SESSIONS_MAX) {
		log_warnx("%s: max_sessions reached", svc->name);
		over = 1;
	} else if (session_count_peer(svc, &peer) >=
	    conf_int(conf, "max_sessions_per_client")) {
		log_warnx("%s: max_sessions_per_client reached", svc->name);
		over = 1;
	}
	if (over && strcmp(conf_str(conf, "overload_action"), "close") == 0) {
		close(fd);
		return;
	}
	if (over && nsessions >= MASTER_SESSIONS_MAX) {
		close(fd);
		return;
	}
	pid = master_spawn(conf, confpath, fd, svc->program, svc->arg, over,
	    master_debug);
	close(fd);
	if (pid == -1)
		return;
	s = &sessions[nsessions++];
	s->pid = pid;
	s->svc = svc;
	s->peer = peer;
	s->peerlen = plen;
	/* An overloaded child is not counted against the limits it broke. */
	if (over)
		s->svc = NULL;
	else
		svc->nsessions++;
}

int
session_reap(pid_t pid, int status)
{
	int	 i;

	(void)status;
	for (i = 0; i < nsessions; i++) {
		if (sessions[i].pid != pid)
			continue;
		if (sessions[i].svc != NULL)
			sessions[i].svc->nsessions--;
		sessions[i] = sessions[--nsessions];
		return 1;
	}
	return 0;
}

int
session_count(void)
{
	return nsessions;
}

void
session_signal_all(int sig)
{
	int	 i;

	for (i = 0; i < nsessions; i++)
		(void)kill(sessions[i].pid, sig);
}
