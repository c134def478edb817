/*
 * login_split: monitor, login and session processes of one mailbox
 * server connection (see login_split.h for the roles and the frames).
 * The monitor is kept small: it reads only the login process's frames,
 * checks credentials with auth_check, and forks the session.
 *
 * Trust: the monitor trusts nothing the login process sends (it reads
 * the network): a malformed frame, or a second login, gets it killed;
 * the login process trusts the monitor's answers.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "chan.h"
#include "child.h"
#include "conf.h"
#include "fdio.h"
#include "lineio.h"
#include "log.h"
#include "login_split.h"
#include "priv.h"
#include "tls.h"

#define RELAY_CHUNK	16384

static void
split_client_addr(char *out, size_t n)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (getpeername(0, (struct sockaddr *)&ss, &len) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
	    getnameinfo((struct sockaddr *)&ss, len, out, (socklen_t)n, NULL,
	    0, NI_NUMERICHOST) != 0)
		(void)strlcpy(out, "unknown", n);
}

/* Sends one frame on the login <-> monitor channel, with fd if not -1. */
static int
split_send(int sock, const char *const *fields, int nf, int fd)
{
	struct chan	 c;

	chan_init(&c, sock, CHAN_PACKET, LOGIN_FRAME_MAX);
	return chan_send(&c, fields, nf, &fd, fd != -1 ? 1 : 0);
}

int
login_split_parse(char *data, size_t n, char **fields, int maxf)
{
	return chan_parse(data, n, LOGIN_FRAME_MAX, fields, maxf);
}

/*
 * Receives one frame into m.  The field count, 0 at end of file, -1 when
 * malformed (or a system error); a frame with more than one descriptor
 * is malformed.  *fd gets its descriptor, else -1.
 */
static int
split_recv(int sock, struct chan_msg *m, int maxf, int *fd)
{
	struct chan	 c;
	int		 r;

	*fd = -1;
	chan_init(&c, sock, CHAN_PACKET, LOGIN_FRAME_MAX);
	if ((r = chan_recv(&c, m)) != 1)
		return r == 0 ? 0 : -1;
	if (m->nf > maxf || m->nfds > 1) {
		chan_msg_wipe(m);
		return -1;
	}
	if (m->nfds == 1)
		*fd = m->fds[0];
	m->nfds = 0;
	return m->nf;
}

/* ---- the session process ---- */

static void __attribute__((noreturn))
split_session(struct login_split *s, const struct user_entry *u, int fd)
{
	long long	 first = conf_int(s->conf, "first_valid_uid");

	setproctitle("%s [%s]", s->proto->name, u->name);
	/* auth_check refuses these already; a session never runs as them. */
	if (u->uid == 0 || (long long)u->uid < first ||
	    u->uid == (uid_t)-1 || u->gid == (gid_t)-1)
		fatalx("session for %s refused: uid %ld", u->name,
		    (long)u->uid);
	priv_drop(u->uid, u->gid, NULL);
	if (chdir(u->home) == -1) {
		log_warn("session for %s: chdir %s", u->name, u->home);
		(void)fd_write_full(fd, "-ERR [SYS/TEMP] no home\r\n", 25);
		_exit(111);
	}
	_exit(s->proto->session(s->conf, u, fd, s->proto->arg));
}

/* ---- the monitor ---- */

int
login_split_take(int r, const struct chan_msg *m, int session, int closed,
    const char **why)
{
	if (r == 0)
		return 0;
	if (r != 1) {
		*why = "malformed frame from the login process";
		return -1;
	}
	if (m->nf != 3 || strcmp(m->f[0], "A") != 0 || m->nfds != 0) {
		*why = "a frame that is not credentials from the login process";
		return -1;
	}
	if (session) {
		*why = "credentials after a login from the login process";
		return -1;
	}
	/*
	 * After "close" (too many failures) the honest login process has
	 * closed the connection: more credentials are a subverted one trying
	 * past auth_fail_limit.
	 */
	if (closed) {
		*why = "credentials after too many failures";
		return -1;
	}
	return 1;
}

/* Answers one credentials frame.  1 when a session was started. */
static int
monitor_auth(struct login_split *s, char **f, unsigned *fails,
    pid_t *session)
{
	struct auth_result	 res;
	enum auth_status	 st;
	const char		*no[2] = { "N", NULL };
	const char		*ok[1] = { "K" };
	int			 sp[2];
	pid_t			 pid;

	memset(&res, 0, sizeof(res));
	st = auth_check(s->conf, f[1], f[2], s->client_addr, &res);
	explicit_bzero(f[2], strlen(f[2]));
	if (st == AUTH_TEMP) {
		no[1] = "temp";
		return split_send(s->mon_fd, no, 2, -1) == -1 ? -1 : 0;
	}
	if (st != AUTH_OK) {
		(*fails)++;
		auth_sleep_ms(auth_fail_delay_ms(s->conf, *fails, &res));
		no[1] = auth_fail_too_many(s->conf, *fails) ? "close" : "bad";
		return split_send(s->mon_fd, no, 2, -1) == -1 ? -1 : 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair");
		no[1] = "temp";
		return split_send(s->mon_fd, no, 2, -1) == -1 ? -1 : 0;
	}
	if ((pid = child_fork(NULL, CHILD_PDEATH)) == -1) {
		log_warn("fork");
		(void)close(sp[0]);
		(void)close(sp[1]);
		no[1] = "temp";
		return split_send(s->mon_fd, no, 2, -1) == -1 ? -1 : 0;
	}
	if (pid == 0) {
		(void)close(sp[0]);
		(void)close(s->mon_fd);
		split_session(s, &res.user, sp[1]);
	}
	explicit_bzero(&res, sizeof(res));
	(void)close(sp[1]);
	*session = pid;
	if (split_send(s->mon_fd, ok, 1, sp[0]) == -1) {
		(void)close(sp[0]);
		return -1;
	}
	(void)close(sp[0]);
	return 1;
}

/*
 * Before a login: waits for the login process's next frame until the
 * login deadline (and its grace) passes.  1 when a frame (or the end)
 * is there, 0 when the time is up, -1 on error.
 */
static int
monitor_wait(const struct login_split *s)
{
	long long	 end = s->deadline + LOGIN_KILL_GRACE_MS;

	if (fd_wait_until(s->mon_fd, POLLIN, end) == 0)
		return 1;
	return errno == ETIMEDOUT ? 0 : -1;
}

static int
monitor_serve(struct login_split *s, pid_t login)
{
	struct chan_msg	 m;
	struct chan	 c;
	char		**f = m.f;
	const char	*why;
	unsigned	 fails = 0;
	pid_t		 session = -1, pid;
	int		 status, code = 0, r;

	setproctitle("%s [monitor]", s->proto->name);
	chan_init(&c, s->mon_fd, CHAN_PACKET, LOGIN_FRAME_MAX);
	for (;;) {
		/* The backstop of login_timeout: the login process goes. */
		if (session == -1 && (r = monitor_wait(s)) != 1) {
			if (r == 0)
				log_info("client=[%s]: no login within "
				    "login_timeout; ending the login process",
				    s->client_addr);
			(void)kill(login, SIGKILL);
			break;
		}
		r = chan_recv(&c, &m);
		if ((r = login_split_take(r, &m, session != -1,
		    auth_fail_too_many(s->conf, fails), &why)) == 0)
			break;
		if (r == -1) {
			chan_msg_wipe(&m);
			log_warnx("%s; killing the login process", why);
			(void)kill(login, SIGKILL);
			code = 1;
			break;
		}
		r = monitor_auth(s, f, &fails, &session);
		chan_msg_wipe(&m);
		if (r == -1) {
			(void)kill(login, SIGKILL);
			code = 1;
			break;
		}
	}
	(void)close(s->mon_fd);
	/* Both children go when the client does; wait for each. */
	while ((pid = waitpid(-1, &status, 0)) != -1 || errno == EINTR) {
		if (pid == -1)
			continue;
		if (pid == login && WIFSIGNALED(status) &&
		    WTERMSIG(status) != SIGKILL)
			log_warnx("login process died of signal %d",
			    WTERMSIG(status));
		if (pid == session && WIFSIGNALED(status))
			log_warnx("session process died of signal %d",
			    WTERMSIG(status));
		if (pid == session && WIFEXITED(status) && code == 0)
			code = WEXITSTATUS(status);
	}
	return code;
}

int
login_split_check(const struct conf *conf, char *err, size_t errlen)
{
	const char	*dir = conf_str(conf, "login_chroot");
	char		 why[PATH_MAX + 64];

	if (!priv_is_root() || dir[0] == '\0')
		return 0;
	if (priv_chroot_check(dir, why, sizeof(why)) == -1) {
		(void)snprintf(err, errlen, "login_chroot is unfit for a "
		    "chroot: %s", why);
		return -1;
	}
	return 0;
}

int
login_split_run(const struct conf *conf, const struct login_proto *proto,
    struct tls_server *tls)
{
	struct login_split	 s;
	const char		*chroot_dir;
	int			 sp[2], null;
	pid_t			 pid;

	memset(&s, 0, sizeof(s));
	s.conf = conf;
	s.proto = proto;
	s.deadline = fd_now_ms() + conf_int(conf, "login_timeout") * 1000;
	split_client_addr(s.client_addr, sizeof(s.client_addr));
	if (chan_pair(sp) == -1)
		fatal("socketpair");
	if ((pid = child_fork(NULL, CHILD_PDEATH)) == -1)
		fatal("fork");
	if (pid == 0) {
		(void)close(sp[0]);
		s.mon_fd = sp[1];
		s.tls = tls;
		setproctitle("%s [login]", proto->name);
		chroot_dir = conf_str(conf, "login_chroot");
		priv_drop_user(conf_str(conf, "login_user"),
		    *chroot_dir != '\0' ? chroot_dir : NULL);
		_exit(proto->login(&s, proto->arg));
	}
	(void)close(sp[1]);
	s.mon_fd = sp[0];
	/* The monitor keeps no key and reads no network byte. */
	if (tls != NULL)
		tls_server_free(tls);
	/* Sessions are forked from here: give back what TLS setup used. */
	(void)malloc_trim(0);
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    dup2(null, 0) == -1 || dup2(null, 1) == -1)
		fatal("/dev/null");
	if (null > 2)
		(void)close(null);
	return monitor_serve(&s, pid);
}

/* ---- the login process's side ---- */

long long
login_split_deadline(const struct login_split *s, struct lineio *l)
{
	long long	 left = s->deadline - fd_now_ms();

	if (l != NULL)
		lineio_set_deadline(l, s->deadline);
	return left > 0 ? left : 0;
}

enum login_status
login_split_auth(struct login_split *s, const char *user,
    const char *password, int *session_fd)
{
	const char	*req[3] = { "A", user, password };
	struct chan_msg	 m;
	char		**f = m.f;
	int		 nf, fd;

	*session_fd = -1;
	if (strlen(user) + strlen(password) + 4 > LOGIN_FRAME_MAX)
		return LOGIN_BAD;
	if (split_send(s->mon_fd, req, 3, -1) == -1) {
		log_warn("credentials to the monitor");
		return LOGIN_TEMP;
	}
	nf = split_recv(s->mon_fd, &m, 3, &fd);
	if (nf == 1 && strcmp(f[0], "K") == 0 && fd != -1) {
		*session_fd = fd;
		return LOGIN_OK;
	}
	if (fd != -1)
		(void)close(fd);
	if (nf == 2 && strcmp(f[0], "N") == 0) {
		if (strcmp(f[1], "bad") == 0)
			return LOGIN_BAD;
		if (strcmp(f[1], "close") == 0)
			return LOGIN_CLOSE;
		return LOGIN_TEMP;
	}
	log_warnx("no valid answer from the monitor");
	return LOGIN_TEMP;
}

int
login_split_relay(struct lineio *l, int sfd)
{
	struct pollfd	 pfd[2];
	char		 b[RELAY_CHUNK];
	ssize_t		 r;
	size_t		 n;
	int		 pend;

	/* Logged in: the session's idle timeout governs from here. */
	lineio_set_deadline(l, 0);
	if (lineio_flush(l) == -1)
		return -1;
	for (;;) {
		/* What the client pipelined, or TLS holds, goes on first. */
		pend = lineio_buffered(l) > 0 || (l->tr.pending != NULL &&
		    l->tr.pending(l->tr.ctx) > 0);
		pfd[0].fd = l->fd_in;
		pfd[0].events = POLLIN;
		pfd[1].fd = sfd;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (!pend && poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pend || pfd[0].revents) {
			r = lineio_read_raw(l, b, sizeof(b));
			if (r == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0)
				return -1;	/* the client is gone */
			if (fd_write_full(sfd, b, (size_t)r) == -1)
				return 0;	/* the session is done */
		}
		if (pfd[1].revents) {
			do
				r = read(sfd, b, sizeof(b));
			while (r == -1 && errno == EINTR);
			if (r <= 0) {
				(void)lineio_flush(l);
				return 0;
			}
			n = (size_t)r;
			if (lineio_write(l, b, n) == -1 ||
			    lineio_flush(l) == -1)
				return -1;
		}
	}
}
