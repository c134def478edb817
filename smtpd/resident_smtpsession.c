/*
 * resident_smtpsession: the resident's smtpsession (smtpsession.c), the process
 * that forks its plaintext sessions (mx and submission modes) from an
 * image without OpenSSL, so that an idle session maps no TLS library
 * and none of the resident's heap.  Started once, when the resident
 * starts; asked for each connection, and waited for, since it answers
 * as soon as it has forked (a frame each way).  smtps sessions are
 * always forked by the resident (they need TLS from the start).
 *
 * An smtpsession that dies (killed, crashed, or answering what it must
 * not) is started again, as the master restarts what it supervises:
 * after restart_delay, doubled after each one that did not run for
 * SMTPSESSION_STABLE seconds, up to SMTPSESSION_BACKOFF_MAX.  Until
 * then, and while a restarted one has not said it is ready (which the
 * resident's poll loop waits for, never the resident itself), the
 * resident forks its sessions itself, from its own larger image.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "child.h"
#include "fdio.h"
#include "log.h"
#include "smtpd.h"
#include "smtpd_resident.h"
#include "tls.h"


/* In the child: becomes smtpsession; never returns. */
static void __attribute__((noreturn))
smtpsession_exec(const char *path, char *const argv[], int chan, int text)
{
	const int	 fds[SMTPSESSION_CONF_FD + 1] = { -1, -1, 2, chan, text };

	(void)signal(SIGHUP, SIG_DFL);
	if (child_fds(fds, SMTPSESSION_CONF_FD + 1) == -1)
		_exit(111);
	execv(path, argv);
	log_warn("resident: %s", path);
	_exit(111);
}

/* A memfd holding the configuration text; -1 (logged). */
static int
smtpsession_conf_fd(const char *text, size_t len)
{
	int	 fd;

	if ((fd = memfd_create("facteur.conf", MFD_CLOEXEC)) == -1) {
		log_warn("resident: memfd_create");
		return -1;
	}
	if (fd_write_full(fd, text, len) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		log_warn("resident: memfd");
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* The delay before the next start, and the backoff after it. */
static void
smtpsession_schedule(struct resident *r, time_t now)
{
	long long	 delay = conf_int(r->conf, "restart_delay");
	int		 i;

	if (r->spawn_up != 0 && now - r->spawn_up >= SMTPSESSION_STABLE)
		r->spawn_fails = 0;
	for (i = 0; i < r->spawn_fails && delay < SMTPSESSION_BACKOFF_MAX; i++)
		delay *= 2;
	if (delay > SMTPSESSION_BACKOFF_MAX &&
	    conf_int(r->conf, "restart_delay") < SMTPSESSION_BACKOFF_MAX)
		delay = SMTPSESSION_BACKOFF_MAX;
	r->spawn_fails++;
	r->spawn_up = 0;
	r->spawn_retry = now + (time_t)delay;
	log_warnx("resident: smtpsession restarting in %lld s; sessions are "
	    "forked here until then", delay);
}

/*
 * Forks and executes smtpsession; with wait, reads its "R" here (the
 * resident's start-up), else leaves it to the poll loop
 * (smtpsession_readable).  0, or -1.
 */
static int
smtpsession_launch(struct resident *r, int wait)
{
	const struct smtpd_opts	*o = r->opts;
	char			 path[PATH_MAX], uid[24], gid[24];
	char			*argv[16];
	struct chan_msg		 m;
	int			 sp[2], tfd, n = 0, got, ready = 0;
	pid_t			 pid;

	if ((size_t)snprintf(path, sizeof(path), "%s/smtpsession",
	    conf_str(r->conf, "program_dir")) >= sizeof(path)) {
		log_warnx("resident: program_dir too long");
		return -1;
	}
	if (access(path, X_OK) == -1) {
		log_warn("resident: %s; sessions are forked here", path);
		return -1;
	}
	argv[n++] = "smtpsession";
	argv[n++] = "-C";
	argv[n++] = (char *)o->confpath;
	argv[n++] = "-m";
	argv[n++] = o->mode == SMTPD_MX ? "mx" : "submission";
	if (o->ids_known) {
		(void)snprintf(uid, sizeof(uid), "%ld", (long)o->user_uid);
		(void)snprintf(gid, sizeof(gid), "%ld", (long)o->user_gid);
		argv[n++] = "-u";
		argv[n++] = uid;
		argv[n++] = "-g";
		argv[n++] = gid;
	}
	/* STARTTLS is offered when the context exists (it may fail: 454) */
	if (o->tls != NULL)
		argv[n++] = "-T";
	if (o->debug)
		argv[n++] = "-d";
	argv[n] = NULL;
	if ((tfd = smtpsession_conf_fd(r->spawn_text, r->spawn_len)) == -1)
		return -1;
	if (chan_pair(sp) == -1) {
		log_warn("resident: socketpair");
		(void)close(tfd);
		return -1;
	}
	/* dies with the resident; kept across the exec */
	if ((pid = child_fork(NULL, CHILD_PDEATH)) == -1) {
		log_warn("resident: fork");
		(void)close(tfd);
		(void)close(sp[0]);
		(void)close(sp[1]);
		return -1;
	}
	if (pid == 0) {
		(void)close(sp[0]);
		smtpsession_exec(path, argv, sp[1], tfd);
	}
	(void)close(sp[1]);
	(void)close(tfd);
	chan_init(&r->spawn, sp[0], CHAN_PACKET, SMTPD_CHAN_MAX);
	r->spawn_pid = pid;
	r->spawn_ready = 0;
	/* blocking: smtpsession_fork waits for its answer (MSG_DONTWAIT here) */
	if (!wait)
		return 0;
	/* checked before its descriptors (none allowed) are closed */
	if ((got = chan_recv(&r->spawn, &m)) == 1) {
		ready = resident_wire_ready(&m) == 0;
		chan_msg_close_fds(&m);
	}
	if (got != 1 || !ready) {
		log_warnx("resident: smtpsession did not start; sessions are "
		    "forked here");
		smtpsession_lost(r);
		return -1;
	}
	r->spawn_ready = 1;
	r->spawn_up = time(NULL);
	return 0;
}

int
smtpsession_start(struct resident *r, char *text, size_t len)
{
	chan_init(&r->spawn, -1, CHAN_PACKET, SMTPD_CHAN_MAX);
	r->spawn_pid = -1;
	r->spawn_ready = 0;
	r->spawn_retry = r->spawn_up = 0;
	r->spawn_fails = 0;
	r->spawn_text = NULL;
	if (r->opts->mode == SMTPD_SMTPS || text == NULL) {
		free(text);
		return -1;
	}
	r->spawn_text = text;
	r->spawn_len = len;
	return smtpsession_launch(r, 1);
}

void
smtpsession_readable(struct resident *r)
{
	struct chan_msg	 m;
	int		 got, ready = 0;

	if (r->spawn.fd == -1 || r->spawn_ready)
		return;
	if ((got = chan_recv_nowait(&r->spawn, &m)) == 2)
		return;
	if (got == 1) {
		ready = resident_wire_ready(&m) == 0;
		chan_msg_close_fds(&m);
	}
	if (got != 1 || !ready) {
		log_warnx("resident: smtpsession did not start");
		smtpsession_lost(r);
		return;
	}
	r->spawn_ready = 1;
	r->spawn_up = time(NULL);
	log_info("resident: smtpsession %ld started again; it forks the "
	    "sessions", (long)r->spawn_pid);
}

void
smtpsession_tick(struct resident *r, time_t now)
{
	if (r->eof || r->spawn_retry == 0 || now < r->spawn_retry ||
	    r->spawn_pid != -1)
		return;
	r->spawn_retry = 0;
	if (smtpsession_launch(r, 0) == -1 && r->spawn_pid == -1)
		smtpsession_schedule(r, now);
}

int
smtpsession_poll_ms(const struct resident *r, time_t now)
{
	if (r->spawn_retry == 0 || r->eof)
		return -1;
	return r->spawn_retry <= now ? 0 :
	    (int)(r->spawn_retry - now) * 1000;
}

pid_t
smtpsession_fork(struct resident *r, int fd, int sock, int over, int *pidfd)
{
	const char	*f[2] = { "C", over ? "1" : "0" };
	int		 fds[2] = { fd, sock };
	struct chan_msg	 m;
	pid_t		 pid;
	int		 got;

	*pidfd = -1;
	if (r->spawn.fd == -1 || !r->spawn_ready)
		return -1;
	if (chan_send(&r->spawn, f, 2, fds, 2) == -1) {
		/* a packet is sent whole or not at all: it has no socket */
		log_warn("resident: smtpsession is gone; sessions are forked "
		    "here");
		smtpsession_lost(r);
		return -1;
	}
	/*
	 * From here smtpsession holds the client's socket and the session's
	 * channel, and may have forked a session on them before it failed
	 * to answer: this connection fails (0), never is it given to a
	 * second session, which would talk on the same socket.
	 */
	if (chan_recv(&r->spawn, &m) != 1) {
		log_warn("resident: smtpsession is gone; sessions are forked "
		    "here, this connection is closed");
		smtpsession_lost(r);
		return 0;
	}
	if ((got = resident_wire_spawned(&m, &pid)) == 0)
		return 0;	/* it could not fork: this connection fails */
	if (got == -1) {
		chan_msg_close_fds(&m);
		log_warnx("resident: bad answer from smtpsession; this "
		    "connection is closed");
		smtpsession_lost(r);
		return 0;
	}
	*pidfd = m.fds[0];
	(void)fd_set_cloexec(*pidfd, 1);
	return pid;
}

void
smtpsession_stop(struct resident *r)
{
	chan_close(&r->spawn);
	r->spawn_ready = 0;
	r->spawn_retry = 0;
	/* at end of file it exits, and any session it still had with it */
}

void
smtpsession_lost(struct resident *r)
{
	chan_close(&r->spawn);
	r->spawn_ready = 0;
	/* it is started again once it is reaped (smtpsession_reaped) */
	if (r->spawn_pid > 0)
		(void)kill(r->spawn_pid, SIGKILL);
}

void
smtpsession_free(struct resident *r)
{
	smtpsession_stop(r);
	free(r->spawn_text);
	r->spawn_text = NULL;
}

int
smtpsession_reaped(struct resident *r, pid_t pid, int st)
{
	if (pid != r->spawn_pid || pid <= 0)
		return 0;
	if (WIFSIGNALED(st))
		log_warnx("resident: smtpsession %ld killed by signal %d",
		    (long)pid, WTERMSIG(st));
	else
		log_warnx("resident: smtpsession %ld exited with status %d",
		    (long)pid, WEXITSTATUS(st));
	r->spawn_pid = -1;
	chan_close(&r->spawn);
	r->spawn_ready = 0;
	if (!r->eof && r->spawn_text != NULL)
		smtpsession_schedule(r, time(NULL));
	return 1;
}
