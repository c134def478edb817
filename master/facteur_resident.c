/*
 * facteur_resident: resident servers.  A service whose program can run
 * resident (smtpd, with smtpd_resident = yes) is not started once per
 * connection: the master starts the program once, with -R and a
 * SOCK_SEQPACKET channel on fd 3, and hands it each accepted connection
 * (lib/ipc/chan.h; the frames are described in smtpd/resident.c).  The
 * resident forks a child per connection and reports the child's pid and,
 * later, its end, so that the master's per-service and per-client counts
 * stay exact.
 *
 * Retiring: on SIGHUP, when the ticket keys rotate, and at shutdown the
 * master half-closes the channel of every resident (shutdown SHUT_WR) and
 * starts new ones; a retired resident exits at end of file, after its
 * last reports, which the master keeps reading until the channel closes.
 * Its children go on: the master is the child subreaper, so they become
 * its children and are reaped, and counted out, by pid (session_reap).
 *
 * When a resident cannot take a connection (not running, just died, its
 * channel full), the master starts the program for that connection the
 * classic way, so no client is turned away because of a resident; a
 * resident that died unexpectedly is started again after restart_delay.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "facteur.h"
#include "fdio.h"
#include "chan.h"
#include "log.h"

struct resident {
	struct service	*svc;		/* NULL: the slot is free */
	pid_t		 pid;		/* -1 once reaped */
	struct chan	 chan;		/* our end; fd -1 once closed */
	int		 retired;	/* told to go: no new connection */
};

static struct resident	residents[MASTER_RESIDENTS_MAX];

int
resident_wanted(const struct service *svc, const struct conf *conf)
{
	return svc->can_reside && conf_bool(conf, "smtpd_resident");
}

static struct resident *
resident_active(const struct service *svc)
{
	int	 i;

	for (i = 0; i < MASTER_RESIDENTS_MAX; i++)
		if (residents[i].svc == svc && !residents[i].retired &&
		    residents[i].pid != -1 && residents[i].chan.fd != -1)
			return &residents[i];
	return NULL;
}

/* Frees the slot once the process is reaped and the channel closed. */
static void
resident_free_if_done(struct resident *r)
{
	if (r->pid == -1 && r->chan.fd == -1) {
		r->svc = NULL;
		r->retired = 0;
	}
}

static struct resident *
resident_start(struct service *svc, const struct conf *conf,
    const char *confpath)
{
	struct resident	*r = NULL;
	int		 i, sp[2];
	pid_t		 pid;

	for (i = 0; i < MASTER_RESIDENTS_MAX; i++)
		if (residents[i].svc == NULL) {
			r = &residents[i];
			break;
		}
	if (r == NULL) {
		log_warnx("%s: no slot for a resident server", svc->name);
		return NULL;
	}
	if (chan_pair(sp) == -1) {
		log_warn("%s: socketpair for a resident", svc->name);
		return NULL;
	}
	pid = master_spawn(conf, confpath, -1, sp[1], "-R", svc->program,
	    svc->arg, 0, master_debug);
	(void)close(sp[1]);
	if (pid == -1 || fd_set_nonblock(sp[0], 1) == -1) {
		(void)close(sp[0]);
		svc->resident_retry_at = time(NULL) +
		    conf_int(conf, "restart_delay");
		return NULL;
	}
	r->svc = svc;
	r->pid = pid;
	chan_init(&r->chan, sp[0], CHAN_PACKET, CHAN_SMALL_MAX);
	r->retired = 0;
	log_info("%s: resident %s started, pid %ld", svc->name, svc->program,
	    (long)pid);
	return r;
}

static void
resident_retire(struct resident *r)
{
	if (r->retired)
		return;
	r->retired = 1;
	if (r->chan.fd != -1 && shutdown(r->chan.fd, SHUT_WR) == -1)
		log_warn("%s: shutdown of the resident's channel",
		    r->svc->name);
}

void
resident_retire_all(void)
{
	int	 i;

	for (i = 0; i < MASTER_RESIDENTS_MAX; i++)
		if (residents[i].svc != NULL)
			resident_retire(&residents[i]);
}

void
resident_tick(const struct conf *conf, const char *confpath)
{
	struct service	*svc;
	time_t		 now = time(NULL);

	for (svc = master_services; svc->name != NULL; svc++)
		if (svc->nfds > 0 && resident_wanted(svc, conf) &&
		    resident_active(svc) == NULL &&
		    now >= svc->resident_retry_at)
			(void)resident_start(svc, conf, confpath);
}

void
resident_apply(const struct conf *conf, const char *confpath)
{
	struct service	*svc;

	resident_retire_all();
	for (svc = master_services; svc->name != NULL; svc++)
		svc->resident_retry_at = 0;
	resident_tick(conf, confpath);
}

int
resident_hand(struct service *svc, const struct conf *conf,
    const char *confpath, int fd, int over, long long seq, int *slot)
{
	struct resident	*r;
	const char	*f[3];
	char		 num[24];

	if ((r = resident_active(svc)) == NULL) {
		if (time(NULL) < svc->resident_retry_at)
			return -1;
		if ((r = resident_start(svc, conf, confpath)) == NULL)
			return -1;
	}
	(void)snprintf(num, sizeof(num), "%lld", seq);
	f[0] = "C";
	f[1] = num;
	f[2] = over ? "1" : "0";
	/* a full channel: this connection is started the classic way */
	if (chan_send_nowait(&r->chan, f, 3, &fd, 1) == -1) {
		if (errno != EAGAIN)
			log_warn("%s: handing a connection to the resident",
			    svc->name);
		return -1;
	}
	*slot = (int)(r - residents);
	return 0;
}

/* Reads every report waiting on r's channel. */
static void
resident_read(struct resident *r)
{
	struct chan_msg	 m;
	char		 kind;
	long long	 seq;
	pid_t		 pid;
	int		 n, slot = (int)(r - residents);

	while (r->chan.fd != -1) {
		n = chan_recv_nowait(&r->chan, &m);
		if (n == 2)
			return;
		if (n == 1 && resident_report_parse(&m, &kind, &seq, &pid) == 0) {
			if (kind == 'S')
				session_started(seq, pid);
			else
				session_ended(seq);
			continue;
		}
		if (n == 1)
			chan_msg_close_fds(&m);
		if (n != 0) {
			log_warnx("%s: bad report from the resident; "
			    "retiring it", r->svc->name);
			r->retired = 1;
		}
		/* end of file, or a resident we no longer trust */
		chan_close(&r->chan);
		session_resident_gone(slot);
		resident_free_if_done(r);
		return;
	}
}

int
resident_pollfds(struct pollfd *pfd, int max)
{
	int	 i, n = 0;

	for (i = 0; i < MASTER_RESIDENTS_MAX && n < max; i++)
		if (residents[i].svc != NULL && residents[i].chan.fd != -1) {
			pfd[n].fd = residents[i].chan.fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
	return n;
}

void
resident_drain(void)
{
	int	 i;

	for (i = 0; i < MASTER_RESIDENTS_MAX; i++)
		if (residents[i].svc != NULL && residents[i].chan.fd != -1)
			resident_read(&residents[i]);
}

int
resident_reap(pid_t pid, int status, const struct conf *conf)
{
	struct resident	*r;
	int		 i;

	for (i = 0; i < MASTER_RESIDENTS_MAX; i++) {
		r = &residents[i];
		if (r->svc == NULL || r->pid != pid)
			continue;
		if (!r->retired) {
			if (WIFSIGNALED(status))
				log_warnx("%s: resident killed by signal %d; "
				    "starting one per connection for %lld s",
				    r->svc->name, WTERMSIG(status),
				    conf_int(conf, "restart_delay"));
			else
				log_warnx("%s: resident exited with status %d; "
				    "starting one per connection for %lld s",
				    r->svc->name, WEXITSTATUS(status),
				    conf_int(conf, "restart_delay"));
			r->svc->resident_retry_at = time(NULL) +
			    conf_int(conf, "restart_delay");
			r->retired = 1;
		}
		r->pid = -1;
		/* its last reports are still on the channel */
		resident_read(r);
		resident_free_if_done(r);
		return 1;
	}
	return 0;
}

int
resident_count(void)
{
	int	 i, n = 0;

	for (i = 0; i < MASTER_RESIDENTS_MAX; i++)
		if (residents[i].svc != NULL)
			n++;
	return n;
}

void
resident_signal_all(int sig)
{
	int	 i;

	for (i = 0; i < MASTER_RESIDENTS_MAX; i++)
		if (residents[i].svc != NULL && residents[i].pid != -1)
			(void)kill(residents[i].pid, sig);
}
