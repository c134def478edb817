/*
 * qwriter: a queue writer's own process (the resident's side is
 * resident_qpool.c).  Forked by the resident, it drops what it inherited
 * that it must not hold (the users table, the TLS key), takes the queue
 * owner's identity (lib/queue/queue_owner.c), and then serves jobs from
 * its channel (fd 3, lib/ipc/chan.h) one at a time:
 *
 *   resident -> writer   [JOB, id] + the read ends of the message and
 *                        envelope pipes          queue it with queue_inject
 *   writer -> resident   [DONE, code]            enqueue's exit code
 *
 * The fsyncs of msg/ and env/ are shared with the other writers of the
 * resident (lib/base/gsync.h, on fd 4 at start): a writer whose message
 * commits while another's fsync of a folder runs is covered by the next
 * one, docs/queue.md ("Group commit").
 *
 * Between messages it makes the two empty files its next message will be
 * renamed into (lib/queue/queue_spare.h), so that no file is created
 * while a client waits for its 250.  At end of file it removes its
 * spares and exits.  It trusts the resident (a bad job is a bug: it
 * exits) and nothing it reads from the pipes (queue_inject checks the
 * envelope and the limits, as enqueue does).
 */
#include <sys/prctl.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "chan.h"
#include "child.h"
#include "conf.h"
#include "gsync.h"
#include "log.h"
#include "queue_env.h"
#include "queue_inject.h"
#include "queue_spare.h"
#include "queueid.h"
#include "smtpd.h"
#include "smtpd_monitor.h"
#include "tls.h"
#include "users.h"

#define QWRITER_FD	3	/* the writer's end of its channel */
#define QWRITER_GSYNC_FD 4	/* the group commit's region, or /dev/null */

void
qwriter_run(const struct conf *conf, const struct smtpd_opts *opts, int fd,
    int gsync_fd)
{
	const int		 fds[QWRITER_GSYNC_FD + 1] = { 0, 1, 2, fd,
				    gsync_fd };
	struct gsync		*gsync = NULL;
	struct chan		 chan;
	struct chan_msg		 msg;
	struct queue_inject	 qi;
	struct queue_spares	 spares;
	struct queue		 queue;
	struct sigaction	 sa;
	const char		*f[2];
	char			 num[16];
	uid_t			 injector;
	int			 code, r;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	/* a low RLIMIT_FSIZE must make write fail, not kill the writer */
	(void)sigaction(SIGXFSZ, &sa, NULL);
	closelog();
	if (child_fds(fds, QWRITER_GSYNC_FD + 1) == -1)
		_exit(111);
	if (gsync_fd != -1 && (gsync = gsync_attach(QWRITER_GSYNC_FD)) == NULL)
		log_warn("queue writer: group commit; fsyncs of its own");
	(void)close(QWRITER_GSYNC_FD);
	log_init("enqueue", opts->debug);
	log_set_debug(conf_bool(conf, "log_debug"));
	/* Nothing of the resident's secrets stays in a writer. */
	users_cache_wipe();
	if (opts->tls != NULL)
		tls_server_free(opts->tls);
	if (monitor_queue_open(conf, opts, &queue, &injector) == -1) {
		log_warnx("queue writer: cannot take the queue's identity");
		_exit(111);
	}
	(void)prctl(PR_SET_DUMPABLE, 0);
	umask(077);
	chan_init(&chan, QWRITER_FD, CHAN_PACKET, SMTPD_CHAN_MAX);
	/* the files of the next message, made while none is waiting */
	queue_spares_init(&spares);
	(void)queue_spares_make(&queue, &spares);
	for (;;) {
		if ((r = chan_recv(&chan, &msg)) == 0) {
			queue_spares_drop(&queue, &spares);
			_exit(0);
		}
		if (r == -1 || msg.nf != 2 || strcmp(msg.f[0], "JOB") != 0 ||
		    msg.nfds != 2 || !queueid_valid(msg.f[1])) {
			log_warnx("queue writer: bad job from the resident");
			_exit(111);
		}
		queue_inject_init(&qi);
		qi.queue = &queue;
		qi.uid = injector;
		qi.wanted_id = msg.f[1];
		qi.spares = &spares;
		qi.origin = QUEUE_ORIGIN_SMTP;
		qi.gsync = gsync;
		qi.window_ms = (int)conf_int(conf, "queue_commit_window_ms");
		code = queue_inject(conf, &qi, msg.fds[0], msg.fds[1]);
		chan_msg_close_fds(&msg);
		(void)snprintf(num, sizeof(num), "%d", code);
		f[0] = "DONE";
		f[1] = num;
		if (chan_send(&chan, f, 2, NULL, 0) == -1) {
			queue_spares_drop(&queue, &spares);
			_exit(111);
		}
		(void)queue_spares_make(&queue, &spares);
	}
}

