/*
 * lspawn: the local delivery spawner.  queued starts it with a pipe pair:
 * fd 0 brings jobs, fd 1 takes results back; stderr is inherited.  It
 * stays root (it is, with the master, the only long-running root part)
 * so that it can fork delivery workers that become one recipient each
 * (setgroups, setgid, setuid) and deliver in-process, without an exec
 * (lspawn_worker.c, lib/maildir/deliver_maildir.c); started by another user it
 * delivers everything as that user (logged once).
 *
 * Frames on the two pipes (lib/ipc/chan.h, CHAN_STREAM):
 *   in:  J, slot, queue id, sender, recipient, user, extension, check
 *        (check "1": the result of an earlier attempt may have been lost;
 *        the worker looks in the Maildir first)
 *   out: R, slot, K|Z|D, text (one printable line, at most 500 octets)
 * A malformed frame means queued is broken or not queued: lspawn exits 111
 * at once (queued restarts it; jobs in flight become temporary failures).
 * At EOF on fd 0 it finishes every job it accepted, reports them, retires
 * its workers, waits for them and exits 0.
 *
 * It trusts queued for the choice of user and address, not for their
 * form: every value is checked again before it reaches a path or an argv
 * (lspawn_job.c).  A job goes to a worker already running as its uid and
 * gid, or to a new one; at most local_concurrency workers exist, busy or
 * idle, and more jobs wait, up to LSPAWN_WAIT_MAX (lspawn_pool.c).  One
 * poll(2) loop serves fd 0, the workers' channels and output pipes, and
 * a SIGCHLD self-pipe, with a timeout for the next idle worker to
 * retire.  Results are written with blocking writes (each is small;
 * queued reads them from its own poll loop).
 *
 * usage: lspawn [-d] [-C config] [-F fd]
 *   -F  the configuration's text is on fd (queued's, through its keeper);
 *       -C then only names it
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "child.h"
#include "conf.h"
#include "conf_log.h"
#include "fdio.h"
#include "log.h"
#include "sandbox.h"
#include "lspawn.h"

static struct chan	jobs_in, results_out;	/* fd 0, fd 1 */

static void __attribute__((noreturn))
usage(void)
{
	(void)fprintf(stderr, "usage: lspawn [-d] [-C config] [-F fd]\n");
	exit(111);
}

static void
conf_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

static void __attribute__((noreturn))
protocol_fail(const char *why)
{
	log_warnx("malformed frame from queued (%s); exiting", why);
	exit(111);
}

static const char *
status_word(char status)
{
	switch (status) {
	case 'K':
		return "delivered";
	case 'D':
		return "bounced";
	default:
		return "deferred";
	}
}

void
result_send(const struct job *j, const struct job_result *res)
{
	static int	 warned;
	char		 status[2] = { res->status, '\0' };
	const char	*fields[] = { "R", j->slot, status, res->text };

	log_info("%s: to=<%s>, user=%s%s%s, status=%s (%s)", j->id, j->rcpt,
	    j->user, j->ext[0] != '\0' ? ", ext=" : "", j->ext,
	    status_word(res->status), res->text);
	if (chan_send(&results_out, fields, 4, NULL, 0) == -1) {
		if (!warned)
			log_warn("cannot send results to queued");
		warned = 1;
	}
}

/* One frame from queued: a job, waiting until a worker takes it. */
static void
frame_handle(struct lspawn *ls, const struct chan_msg *m)
{
	struct job		*j;
	struct job_result	 res;
	const char		*why;

	switch (job_take(ls, m, &j, &why)) {
	case -1:
		protocol_fail(why);
	case 1:
		res.status = 'Z';
		(void)strlcpy(res.text, "too many jobs waiting in lspawn",
		    sizeof(res.text));
		result_send(j, &res);
		job_free(j);
		break;
	}
}

/* The jobs waiting on fd 0; 1 at end of input. */
static int
input_read(struct lspawn *ls)
{
	struct chan_msg	 m;
	int		 r;

	for (;;) {
		r = chan_recv_nowait(&jobs_in, &m);
		if (r == 2)
			return 0;
		if (r == 1) {
			frame_handle(ls, &m);
			continue;
		}
		if (r == -1 && errno == EBADMSG)
			protocol_fail("bad netstring");
		if (r == -1 && errno == ECONNRESET)
			log_warnx("partial frame at end of input ignored");
		else if (r == -1)
			log_warn("reading jobs from queued");
		return 1;
	}
}

static void
loop_run(struct lspawn *ls)
{
	struct pollfd		 *pfd;
	struct worker		**pw;
	size_t			  max = 2 * (size_t)ls->concurrency + 2, n, i;
	int			  timeout, sigs[4], eof = 0;

	if ((pfd = reallocarray(NULL, max, sizeof(*pfd))) == NULL ||
	    (pw = reallocarray(NULL, max, sizeof(*pw))) == NULL)
		fatal("out of memory");
	for (;;) {
		pool_start_jobs(ls);
		timeout = pool_expire(ls);
		if (eof && ls->nwaiting == 0) {
			pool_retire_idle(ls);
			if (ls->nworkers == 0)
				break;
		}
		n = 0;
		pfd[n].fd = child_sigpipe_fd();
		pfd[n++].events = POLLIN;
		pfd[n].fd = eof ? -1 : STDIN_FILENO;
		pfd[n++].events = POLLIN;
		n += pool_pollfds(ls, pfd + n, pw + n, max - n);
		if (poll(pfd, n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		/* results before deaths: a worker may send one, then die */
		for (i = 2; i < n; i++)
			if (pfd[i].revents != 0)
				pool_ready(ls, pw[i], &pfd[i]);
		if (pfd[0].revents != 0 &&
		    child_sigpipe_read(sigs, 4) > 0)
			pool_reap(ls);
		if (pfd[1].revents != 0 && input_read(ls))
			eof = 1;
	}
	free(pfd);
	free(pw);
}

static void
signals_setup(void)
{
	static const int	 sigs[] = { SIGCHLD };
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		fatal("sigaction");
	child_sigpipe(sigs, 1);
	/* jobs are read from the poll loop: fd 0 must not block */
	if (fd_set_nonblock(STDIN_FILENO, 1) == -1)
		fatal("fd 0");
	chan_init(&jobs_in, STDIN_FILENO, CHAN_STREAM, LSPAWN_FRAME_MAX);
	chan_init(&results_out, STDOUT_FILENO, CHAN_STREAM, LSPAWN_FRAME_MAX);
}

static void
lspawn_setup(struct lspawn *ls, const struct conf *conf)
{
	memset(ls, 0, sizeof(*ls));
	ls->conf = conf;
	TAILQ_INIT(&ls->waiting);
	TAILQ_INIT(&ls->idle);
	TAILQ_INIT(&ls->busy);
	TAILQ_INIT(&ls->gone);
	ls->queue_dir = conf_str(conf, "queue_dir");
	ls->users_file = conf_str(conf, "users_file");
	ls->virtual_user = conf_str(conf, "virtual_user");
	ls->maildir = conf_str(conf, "maildir");
	ls->system_users = conf_bool(conf, "system_users");
	ls->first_valid_uid = conf_int(conf, "first_valid_uid");
	ls->concurrency = (int)conf_int(conf, "local_concurrency");
	ls->max_jobs = (unsigned long)conf_int(conf, "local_worker_max_jobs");
	ls->idle_ms = conf_int(conf, "local_worker_idle") * 1000;
	ls->job_ms = conf_int(conf, "local_delivery_timeout") * 1000;
	ls->window_ms = (int)conf_int(conf, "local_commit_window_ms");
	ls->root = geteuid() == 0;
	if (queue_open(&ls->queue, ls->queue_dir) == -1)
		fatal("queue directory %s", ls->queue_dir);
	if (!ls->root)
		log_info("not running as root: delivering everything as "
		    "uid %lu", (unsigned long)getuid());
}

int
main(int argc, char *argv[])
{
	struct lspawn	 ls;
	struct conf	*conf;
	const char	*cpath = NULL;
	int		 ch, debug = 0, conffd = -1;

	while ((ch = getopt(argc, argv, "C:dF:")) != -1) {
		switch (ch) {
		case 'C':
			cpath = optarg;
			break;
		case 'F':
			if ((conffd = conf_fd_option(optarg)) == -1)
				usage();
			break;
		case 'd':
			debug = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("lspawn", debug);
	if (fd_ensure_std() == -1)
		fatal("standard descriptors");
	if ((conf = conf_load_start(conf_find_path(cpath, 1), conffd,
	    conf_error, NULL, NULL, NULL)) == NULL)
		fatalx("cannot load the configuration");
	log_set_debug(conf_bool(conf, "log_debug"));
	(void)conf_log_open(conf);
	if (sandbox_configure(conf_str(conf, "sandbox")) == -1)
		fatalx("cannot load the configuration");
	sandbox_prepare(SANDBOX_DELIVERY);
	lspawn_setup(&ls, conf);
	signals_setup();
	loop_run(&ls);
	conf_free(conf);
	return 0;
}
