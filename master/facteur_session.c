/*
 * facteur_session: accepting clients and starting one program per
 * connection, with the socket on fds 0 and 1 (the inetd convention), or
 * handing the connection to the service's resident server
 * (facteur_resident.c), which reports the pid that serves it.
 * Limits: max_sessions per service and max_sessions_per_client per client
 * and service, a client being an IPv4 address or an IPv6 /64
 * (client_ipv6_prefix); clients in mynetworks are exempt from the second.
 * Over a limit, overload_action = reply starts the
 * program anyway with -O, and it answers "busy" in its own protocol
 * (SMTP 421, POP3 -ERR [SYS/TEMP], IMAP * BYE) and exits; overload_action
 * = close closes the connection without a word.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "facteur.h"
#include "fdio.h"
#include "log.h"
#include "netaddr.h"

/* grown by doubling as sessions come, up to MASTER_SESSIONS_MAX */
static struct session	*sessions;
static int		 nsessions, sessions_cap;
static long long	 session_seq;	/* numbers for residents */

/*
 * The sessions of svc from the client peer is: the same IPv4 address, or
 * the same IPv6 /client_ipv6_prefix (netaddr_client_key).  Keys are made
 * from the stored addresses each time, so a prefix changed by SIGHUP
 * applies to the sessions already running too.
 */
static int
session_count_peer(const struct service *svc,
    const struct sockaddr_storage *peer, unsigned prefix)
{
	unsigned char	 want[NETADDR_KEY_MAX], key[NETADDR_KEY_MAX];
	size_t		 wlen, len;
	int		 i, n = 0;

	wlen = netaddr_client_key_sa((const struct sockaddr *)peer, prefix,
	    want);
	if (wlen == 0)
		return 0;	/* not an IP client: no per-client count */
	for (i = 0; i < nsessions; i++) {
		if (sessions[i].svc != svc)
			continue;
		len = netaddr_client_key_sa((const struct sockaddr *)
		    &sessions[i].peer, prefix, key);
		if (len == wlen && memcmp(key, want, len) == 0)
			n++;
	}
	return n;
}

/* Makes room for more sessions in the table; 0, or -1 (errno set). */
static int
sessions_grow(void)
{
	struct session	*n;
	int		 cap;

	if (sessions_cap >= MASTER_SESSIONS_MAX) {
		errno = ENOSPC;
		return -1;
	}
	cap = sessions_cap == 0 ? 256 : sessions_cap * 2;
	if (cap > MASTER_SESSIONS_MAX)
		cap = MASTER_SESSIONS_MAX;
	if ((n = reallocarray(sessions, (size_t)cap, sizeof(*n))) == NULL)
		return -1;
	sessions = n;
	sessions_cap = cap;
	return 0;
}

/*
 * 1 if the client is in mynetworks: such clients (a site's own relays and
 * programs, a benchmark on loopback) are not held to
 * max_sessions_per_client, as Postfix exempts $mynetworks from
 * smtpd_client_connection_count_limit.  max_sessions still holds.
 */
static int
session_peer_exempt(const struct conf *conf,
    const struct sockaddr_storage *peer)
{
	const char *const	*w;
	char			 addr[INET6_ADDRSTRLEN];
	const void		*a;
	size_t			 nw;

	w = conf_list(conf, "mynetworks", &nw);
	if (nw == 0)
		return 0;
	if (peer->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)peer)->sin_addr;
	else if (peer->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)peer)->sin6_addr;
	else
		return 0;
	if (inet_ntop(peer->ss_family, a, addr, sizeof(addr)) == NULL)
		return 0;
	return netaddr_list_match(w, nw, addr);
}

pid_t
master_spawn(const struct conf *conf, const char *confpath, int sock,
    int chan, const char *chanopt, const char *program, const char *arg,
    int overloaded, int debug)
{
	char	 path[1024], conffd[8];
	char	*argv[10];
	int	 argc = 0, fds[MASTER_CONF_FD + 1], resident;
	pid_t	 pid;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s",
	    conf_str(conf, "program_dir"), program) >= sizeof(path)) {
		log_warnx("program path too long for %s", program);
		return -1;
	}
	(void)snprintf(conffd, sizeof(conffd), "%d", MASTER_CONF_FD);
	argv[argc++] = (char *)program;
	argv[argc++] = "-C";
	argv[argc++] = (char *)confpath;
	argv[argc++] = "-F";
	argv[argc++] = conffd;
	if (debug)
		argv[argc++] = "-d";
	if (overloaded)
		argv[argc++] = "-O";
	if (chan != -1)
		argv[argc++] = (char *)chanopt;
	if (arg != NULL)
		argv[argc++] = (char *)arg;
	argv[argc] = NULL;

	/*
	 * queued starts with SIGHUP and SIGUSR1 blocked and unblocks them
	 * once its handlers are in place: a reload passed on while it
	 * starts waits for it, instead of killing it (the default action).
	 */
	if ((pid = child_fork(NULL, strcmp(program, "queued") == 0 ?
	    CHILD_HOLD_RELOAD : 0)) == -1) {
		log_warn("fork for %s", program);
		return -1;
	}
	if (pid != 0)
		return pid;
	/*
	 * The child: the client on fds 0 and 1 (a resident gets /dev/null
	 * there; queued keeps the master's), stderr to /dev/null unless -d,
	 * the channel (if any) on fd 3, the configuration on fd 4.
	 */
	resident = chan != -1 && strcmp(chanopt, "-R") == 0;
	fds[0] = resident ? -1 : sock != -1 ? sock : 0;
	fds[1] = resident ? -1 : sock != -1 ? sock : 1;
	fds[2] = debug ? 2 : -1;
	fds[3] = chan;
	fds[MASTER_CONF_FD] = master_conf_fd;
	if (child_fds(fds, MASTER_CONF_FD + 1) == -1 ||
	    (sock != -1 && chan == -1 && fd_set_nonblock(0, 0) == -1) ||
	    (chan != -1 && fd_set_nonblock(3, 0) == -1))
		_exit(111);
	(void)signal(SIGPIPE, SIG_DFL);
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
	long long	 seq;
	int		 fd, slot, over = 0;
	pid_t		 pid;

	fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("%s: accept", svc->name);
		return;
	}
	if (nsessions == sessions_cap && sessions_grow() == -1) {
		log_warn("%s: no room for one more session", svc->name);
		close(fd);
		return;
	}
	if (svc->nsessions >= conf_int(conf, "max_sessions") ||
	    nsessions >= MASTER_SESSIONS_MAX) {
		log_warnx("%s: max_sessions reached", svc->name);
		over = 1;
	} else if (session_count_peer(svc, &peer,
	    (unsigned)conf_int(conf, "client_ipv6_prefix")) >=
	    conf_int(conf, "max_sessions_per_client") &&
	    !session_peer_exempt(conf, &peer)) {
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
	seq = 0;
	slot = -1;
	if (resident_wanted(svc, conf)) {
		seq = ++session_seq;
		if (resident_hand(svc, conf, confpath, fd, over, seq, &slot) ==
		    -1)
			seq = 0;
	}
	if (seq != 0)
		pid = 0;	/* the resident reports it */
	else
		pid = master_spawn(conf, confpath, fd, -1, NULL, svc->program,
		    svc->arg, over, master_debug);
	close(fd);
	if (pid == -1)
		return;
	s = &sessions[nsessions++];
	s->pid = pid;
	s->svc = svc;
	s->peer = peer;
	s->peerlen = plen;
	s->seq = seq;
	s->slot = slot;
	/* An overloaded child is not counted against the limits it broke. */
	if (over)
		s->svc = NULL;
	else
		svc->nsessions++;
}

static void
session_remove(int i)
{
	if (sessions[i].svc != NULL)
		sessions[i].svc->nsessions--;
	sessions[i] = sessions[--nsessions];
}

int
session_reap(pid_t pid, int status)
{
	int	 i;

	(void)status;
	for (i = 0; i < nsessions; i++) {
		if (sessions[i].pid != pid)
			continue;
		session_remove(i);
		return 1;
	}
	return 0;
}

/*
 * The resident reports the pid serving seq, and again when another
 * process takes the connection over (STARTTLS handed from smtpsession).
 */
void
session_started(long long seq, pid_t pid)
{
	int	 i;

	for (i = 0; i < nsessions; i++)
		if (seq != 0 && sessions[i].seq == seq) {
			sessions[i].pid = pid;
			return;
		}
}

void
session_ended(long long seq)
{
	int	 i;

	for (i = 0; i < nsessions; i++)
		if (sessions[i].seq == seq) {
			session_remove(i);
			return;
		}
}

void
session_resident_gone(int slot)
{
	int	 i;

	for (i = 0; i < nsessions; i++) {
		if (sessions[i].slot != slot)
			continue;
		if (sessions[i].pid == 0) {
			/* never reported: nothing left to wait for */
			session_remove(i--);
			continue;
		}
		/* reparented to the master, reaped by pid */
		sessions[i].slot = -1;
	}
}

/*
 * A session whose resident is gone is waited for by pid (reparented to
 * us, the subreaper).  One that was reaped before it could be (by the
 * smtpsession that forked it, or by the resident, as they died) is never
 * ours to reap: forget it once no process has its pid.
 */
void
session_forget_vanished(void)
{
	int	 i;

	for (i = 0; i < nsessions; i++)
		if (sessions[i].slot == -1 && sessions[i].seq != 0 &&
		    sessions[i].pid > 0 && kill(sessions[i].pid, 0) == -1 &&
		    errno == ESRCH)
			session_remove(i--);
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
		if (sessions[i].pid > 0)
			(void)kill(sessions[i].pid, sig);
}
