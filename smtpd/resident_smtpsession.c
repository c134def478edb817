/*
 * resident_smtpsession: the resident's smtpsession (smtpsession.c), the process
 * that forks its plaintext sessions (mx and submission modes) from an
 * image without OpenSSL, so that an idle session maps no TLS library
 * and none of the resident's heap.  Started once, when the resident
 * starts; asked for each connection, and waited for, since it answers
 * as soon as it has forked (a frame each way).  When it cannot be
 * started, or is gone, the resident forks its sessions itself, as
 * before; smtps sessions always are (they need TLS from the start).
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

int
smtpsession_start(struct resident *r, const char *text, size_t len)
{
	const struct smtpd_opts	*o = r->opts;
	char			 path[PATH_MAX], uid[24], gid[24];
	char			*argv[16];
	struct chan_msg		 m;
	int			 sp[2], tfd, n = 0, got;
	pid_t			 pid;

	chan_init(&r->spawn, -1, CHAN_PACKET, SMTPD_CHAN_MAX);
	r->spawn_pid = -1;
	if (o->mode == SMTPD_SMTPS || text == NULL)
		return -1;
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
	if ((tfd = smtpsession_conf_fd(text, len)) == -1)
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
	got = chan_recv(&r->spawn, &m);
	if (got == 1)
		chan_msg_close_fds(&m);
	if (got != 1 || m.nf != 1 || strcmp(m.f[0], "R") != 0) {
		log_warnx("resident: smtpsession did not start; sessions are "
		    "forked here");
		smtpsession_stop(r);
		return -1;
	}
	return 0;
}

pid_t
smtpsession_fork(struct resident *r, int fd, int sock, int over, int *pidfd)
{
	const char	*f[2] = { "C", over ? "1" : "0" };
	const char	*errstr = NULL;
	int		 fds[2] = { fd, sock };
	struct chan_msg	 m;
	long long	 pid;

	*pidfd = -1;
	if (r->spawn.fd == -1)
		return -1;
	if (chan_send(&r->spawn, f, 2, fds, 2) == -1 ||
	    chan_recv(&r->spawn, &m) != 1) {
		log_warnx("resident: smtpsession is gone; sessions are forked "
		    "here");
		smtpsession_stop(r);
		return -1;
	}
	if (m.nf == 1 && strcmp(m.f[0], "F") == 0 && m.nfds == 0)
		return 0;	/* it could not fork: this connection fails */
	if (m.nf != 2 || strcmp(m.f[0], "P") != 0 || m.nfds != 1 ||
	    (pid = strtonum(m.f[1], 1, INT_MAX, &errstr), errstr != NULL)) {
		chan_msg_close_fds(&m);
		log_warnx("resident: bad answer from smtpsession");
		smtpsession_stop(r);
		return -1;
	}
	*pidfd = m.fds[0];
	(void)fd_set_cloexec(*pidfd, 1);
	return (pid_t)pid;
}

void
smtpsession_stop(struct resident *r)
{
	chan_close(&r->spawn);
	/* at end of file it exits, and any session it still had with it */
}

int
smtpsession_reaped(struct resident *r, pid_t pid, int st)
{
	if (pid != r->spawn_pid || pid <= 0)
		return 0;
	if (r->spawn.fd != -1)
		log_warnx("resident: smtpsession %ld ended (status %d); "
		    "sessions are forked here", (long)pid, st);
	r->spawn_pid = -1;
	smtpsession_stop(r);
	return 1;
}
