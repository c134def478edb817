/*
 * queued: the queue manager.  Started by the master (or by hand) as root
 * or as the queue user, with `-C facteur.conf` and `-d` for the
 * foreground; `-L` only makes queue_dir and its folders, as at start-up,
 * and exits (mk/run.sh, INSTALL).  The master also gives `-F fd`, the
 * text of the configuration it accepted (queued then never reads the
 * file), and `-M`: its channel is on fd 3 (QUEUED_MASTER_FD), and each
 * reload it accepts comes as the frame "C" with the new text; SIGHUP is
 * then the master's to receive.  Started by hand, queued reads the file,
 * and again on SIGHUP.  lspawn runs on the text queued runs on (handed
 * through the keeper).  As root it creates queue_dir for queue_user,
 * forks the keeper (which stays with the privileges queued started with
 * and starts lspawn on request, see queued_keeper.c), then drops to
 * queue_user.
 *
 * It reads the committed envelopes in queue_dir/env, the messages in msg
 * (only the header section, for bounces) and its own state files in
 * state; it writes state files, removes finished messages, and injects
 * bounces by running enqueue.  It trusts the queue (written by enqueue),
 * and checks every frame lspawn sends back; a malformed one ends the
 * connection.  Wakes on the trigger FIFO, lspawn results, signals (through
 * a self-pipe) and timers; one poll() loop, no threads, no fork per
 * message.  Details in docs/queue.md and queued(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "conf_log.h"
#include "fdio.h"
#include "log.h"
#include "lroute.h"
#include "priv.h"
#include "queued.h"
#include "table_ref.h"

static pid_t	 keeper_pid = -1;

long long
queued_time(void)
{
	return (long long)time(NULL);
}

double
queued_time_precise(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return (double)time(NULL);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long long
queued_clock_us(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
usage(void)
{
	fprintf(stderr, "usage: queued [-dLM] [-C file] [-F fd]\n");
	exit(100);
}

static void
conf_err(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

/*
 * The first thing queued does: from here on a signal is a byte in the
 * self-pipe, read by the loop (a SIGHUP that comes during start-up is
 * taken once the loop runs, never a death).  The master starts queued
 * with SIGHUP and SIGUSR1 blocked (master_spawn, CHILD_HOLD_RELOAD), so
 * one that comes between the exec and this point waits; they are
 * unblocked here, once the handlers are in place.
 */
static void
signals_setup(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
	    SIGCHLD };
	sigset_t	 set;

	child_sigpipe(sigs, 5);
	(void)signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_UNBLOCK, &set, NULL) == -1)
		fatal("sigprocmask");
}

/* Loads (or reloads) the aliases table; 0, or -1 keeping the old one. */
static int
aliases_reload(struct queued *q, const struct conf *c)
{
	static struct table_ref	 ref;
	const char		*path = conf_str(c, "aliases_file");
	int			 r;

	r = table_ref_refresh(&ref, path, TABLE_ALIASES, conf_err, NULL);
	q->aliases = ref.t;
	if (r == -1) {
		log_warnx("aliases_file %s not loaded", path);
		return -1;
	}
	if (r == 1)
		log_debug("aliases loaded from %s, %zu entries", path,
		    table_count(ref.t));
	return 0;
}

/* Re-reads the aliases table when the file changed (called per scan). */
static void
aliases_refresh(struct queued *q)
{
	(void)aliases_reload(q, q->conf);
	(void)route_reload(q, q->conf);
	(void)valias_reload(q, q->conf);
}

static void
conf_apply(struct queued *q)
{
	q->retry_min = conf_int(q->conf, "queue_retry_min");
	q->retry_max = conf_int(q->conf, "queue_retry_max");
	if (q->retry_max < q->retry_min)
		q->retry_max = q->retry_min;
	q->lifetime = conf_int(q->conf, "queue_lifetime");
	q->delay_warning = conf_int(q->conf, "delay_warning_time");
	q->scan_interval = conf_int(q->conf, "queue_scan_interval");
	log_set_debug(conf_bool(q->conf, "log_debug"));
	if (local_resize(q, (size_t)conf_int(q->conf, "local_concurrency"))
	    == -1)
		fatalx("local_concurrency out of range");
	remote_conf(q);
}

/*
 * Loads the configuration from fd (a text the master handed over), or
 * from the file when fd is -1, and checks its keys of local and remote
 * routing.  On success *tfd is a sealed memfd of its text, for the keeper
 * (lspawn and rspawn run on what queued runs on): the master's own when
 * it came from the master (the keeper takes only a memfd of root's, so
 * never one queued made after giving up root), else a copy made here.
 * NULL on errors (reported).
 */
static struct conf *
conf_take(struct queued *q, int fd, int *tfd)
{
	struct conf	*c;
	char		*text, err[512];
	size_t		 len;
	int		 keep = -1;

	/* conf_load_start closes fd once read */
	if (fd != -1 && (keep = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1) {
		log_warn("the master's configuration");
		(void)close(fd);
		return NULL;
	}
	c = conf_load_start(q->confpath, fd, conf_err, NULL, &text, &len);
	if (c == NULL) {
		if (keep != -1)
			(void)close(keep);
		return NULL;
	}
	if (lroute_conf_check(c, err, sizeof(err)) == -1 ||
	    route_conf_check(c, err, sizeof(err)) == -1) {
		log_warnx("%s: %s", q->confpath, err);
		free(text);
		conf_free(c);
		if (keep != -1)
			(void)close(keep);
		return NULL;
	}
	*tfd = keep != -1 ? keep : conf_text_fd(text, len);
	free(text);
	if (*tfd == -1) {
		log_warn("a copy of the configuration for the spawners");
		conf_free(c);
		return NULL;
	}
	return c;
}

/* Makes c, whose text is in tfd, the configuration queued runs on. */
static void
conf_set(struct queued *q, struct conf *c, int tfd)
{
	if (q->conf_fd != -1)
		(void)close(q->conf_fd);
	q->conf_fd = tfd;
	conf_free(q->conf);
	q->conf = c;
}

/* A reload: from the master's text (fd), or from the file (fd -1). */
static void
conf_reload(struct queued *q, int fd)
{
	const char	*why = fd != -1 ? "reload" : "SIGHUP";
	struct conf	*c;
	int		 tfd, kc;

	if ((c = conf_take(q, fd, &tfd)) == NULL) {
		log_warnx("%s: %s has errors; keeping the old config", why,
		    q->confpath);
		return;
	}
	if (strcmp(conf_str(c, "queue_dir"), conf_str(q->conf, "queue_dir"))
	    != 0)
		log_warnx("%s: queue_dir changed; takes effect at restart",
		    why);
	if (strcmp(conf_str(c, "control_dir"),
	    conf_str(q->conf, "control_dir")) != 0)
		log_warnx("%s: control_dir changed; takes effect at restart",
		    why);
	if (strcmp(conf_str(c, "log_file"), conf_str(q->conf, "log_file"))
	    != 0)
		log_warnx("%s: log_file changed; takes effect at restart",
		    why);
	if (aliases_reload(q, c) == -1)
		log_warnx("%s: keeping the old aliases", why);
	if (route_reload(q, c) == -1)
		log_warnx("%s: keeping the old transport_file", why);
	if (valias_reload(q, c) == -1)
		log_warnx("%s: keeping the old virtual_alias_maps", why);
	conf_set(q, c, tfd);
	/* before conf_apply, which asks for a new rspawn */
	switch ((kc = keeper_conf(q))) {
	case -1:
		log_warn("%s: the new configuration to the keeper", why);
		break;
	case 1:
		log_warnx("%s: lspawn keeps the configuration it has, and so "
		    "does rspawn: a text queued read after giving up root is "
		    "not handed to root (the master's reloads are; else "
		    "restart queued)", why);
		break;
	}
	conf_apply(q);
	if (kc == 1)
		remote_keep(q);	/* a new rspawn would run on the old text */
	log_info("config reloaded from %s%s", fd != -1 ? "the master's copy "
	    "of " : "", q->confpath);
}

/*
 * A frame from the master (-M): "C" with the memfd of the configuration
 * it has just accepted.  At end of file (the master is gone) the channel
 * is closed.  The master is trusted: a frame of another shape is
 * ignored, logged.
 */
static void
master_read(struct queued *q)
{
	struct chan_msg	 m;
	int		 r;

	while ((r = chan_recv_nowait(&q->master, &m)) == 1) {
		if (m.nf == 1 && strcmp(m.f[0], "C") == 0 && m.nfds == 1) {
			m.nfds = 0;
			conf_reload(q, m.fds[0]);
			continue;
		}
		log_warnx("an unknown frame from the master; ignored");
		chan_msg_close_fds(&m);
	}
	if (r != 2) {
		if (r == -1)
			log_warn("the channel from the master");
		chan_close(&q->master);
	}
}

/*
 * As queue_user: queue_dir and its folders opened and checked (the
 * layout was made before the drop), the single-instance lock, the FIFO.
 */
static void
queue_layout(struct queued *q)
{
	if (queue_open(&q->queue, conf_str(q->conf, "queue_dir")) == -1)
		fatalx("cannot open the queue %s",
		    conf_str(q->conf, "queue_dir"));
	/* the descriptor stays open: the lock lives as long as the process */
	if (queue_lock_take(&q->queue) == -1) {
		if (errno == EWOULDBLOCK)
			fatalx("another queued runs on this queue");
		fatal("queued's lock in %s", conf_str(q->conf, "queue_dir"));
	}
	/* what a crash left in free/ is not trusted to be empty or free */
	queue_free_purge(&q->queue);
	if ((q->trigger_fd = queue_trigger_open(&q->queue, O_RDONLY)) == -1) {
		if (errno == EINVAL)
			fatalx("%s: the trigger is not a FIFO",
			    conf_str(q->conf, "queue_dir"));
		fatal("open the trigger");
	}
	/* our own writer, so that the FIFO never reads as EOF */
	if ((q->trigger_wfd = queue_trigger_open(&q->queue, O_WRONLY)) == -1)
		fatal("open the trigger for writing");
}

static void
children_reap(struct queued *q)
{
	pid_t	pid;
	int	st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == keeper_pid && q->stopping) {
			log_warnx("the lspawn keeper exited while stopping");
			keeper_pid = -1;
		} else if (pid == keeper_pid)
			fatalx("the lspawn keeper exited (status %d); "
			    "exiting so that queued and lspawn restart", st);
		else if (pid == q->free_pid && q->stopping) {
			log_warnx("the releaser of free/ exited while stopping");
			q->free_pid = -1;
		} else if (pid == q->free_pid)
			fatalx("the releaser of free/ exited (status %d); "
			    "exiting so that queued restarts", st);
		log_debug("reaped child %ld", (long)pid);
	}
}

/*
 * At exit: the keeper waits for lspawn, which finishes the deliveries it
 * started; wait for them a bounded time (QUEUED_STOP_WAIT).
 */
static void
keeper_wait(void)
{
	struct timespec	ts = { 0, 100 * 1000 * 1000 };
	pid_t		r;
	int		i;

	for (i = 0; i < QUEUED_STOP_WAIT * 10; i++) {
		r = waitpid(keeper_pid, NULL, WNOHANG);
		if (r == keeper_pid || (r == -1 && errno != EINTR))
			return;
		(void)nanosleep(&ts, NULL);
	}
	log_warnx("the lspawn keeper has not exited; leaving it");
}

static void
signals_read(struct queued *q)
{
	int	 buf[8], n, i;

	while ((n = child_sigpipe_read(buf, 8)) > 0) {
		for (i = 0; i < n; i++) {
			switch (buf[i]) {
			case SIGTERM:
			case SIGINT:
				if (!q->stopping)
					log_info("stopping on signal %d",
					    buf[i]);
				q->stopping = 1;
				break;
			case SIGHUP:
				/* under the master, its reload is the one */
				if (q->master.fd != -1)
					log_info("SIGHUP: the configuration "
					    "comes from the master; send it "
					    "SIGHUP");
				else
					conf_reload(q, -1);
				break;
			case SIGUSR1:
				msg_flush(q);
				break;
			case SIGCHLD:
				children_reap(q);
				break;
			}
		}
	}
}

/*
 * Empties the FIFO.  Any byte asks for a scan (enqueue writes a NUL);
 * an 'F' also asks for a flush.  Returns 1 when a scan is wanted.
 */
static int
trigger_drain(struct queued *q)
{
	char	buf[256];
	ssize_t	n;
	int	got = 0, flush = 0;

	while ((n = read(q->trigger_fd, buf, sizeof(buf))) > 0) {
		got = 1;
		if (memchr(buf, 'F', (size_t)n) != NULL)
			flush = 1;
	}
	if (flush)
		msg_flush(q);
	return got;
}

/*
 * One scan of env/ (full: with orphan recovery); returns the least time,
 * in ms, before the next trigger scan (see QUEUED_SCAN_COST).
 */
static long long
scan_timed(struct queued *q, int full)
{
	long long	t0 = queued_clock_us(), gap;

	aliases_refresh(q);
	if (full)
		scan_orphans(q);
	(void)scan_queue(q, full);
	gap = (queued_clock_us() - t0) * QUEUED_SCAN_COST / 1000;
	if (gap < QUEUED_SCAN_GAP_MIN_MS)
		gap = QUEUED_SCAN_GAP_MIN_MS;
	if (gap > QUEUED_SCAN_GAP_MAX_MS)
		gap = QUEUED_SCAN_GAP_MAX_MS;
	return gap;
}

static int
timeout_ms(struct queued *q, long long next_scan_ms, int scan_pending,
    long long next_trigger_ms)
{
	long long	now = fd_now_ms(), wall = queued_time(), t, w;

	t = next_scan_ms - now;
	if (scan_pending) {
		w = next_trigger_ms - now;
		if (w < t)
			t = w;
	}
	if ((w = msg_next_wake(q)) != 0 && (w - wall) * 1000 < t)
		t = (w - wall) * 1000;
	if (q->to.fd == -1 && q->restart_at != 0 &&
	    (q->restart_at - wall) * 1000 < t)
		t = (q->restart_at - wall) * 1000;
	if ((w = remote_restart_at(q)) != 0 && (w - wall) * 1000 < t)
		t = (w - wall) * 1000;
	if (q->stopping && t > 200)
		t = 200;
	if (t < 0)
		t = 0;
	if (t > 3600 * 1000)
		t = 3600 * 1000;
	return (int)t;
}

static void
loop_run(struct queued *q)
{
	struct pollfd	 pfd[6 + CTL_POLL_MAX];
	long long	 next_trigger_ms, next_scan_ms, stop_at = 0, now, gap;
	long long	 ct;
	size_t		 nctl;
	int		 scan_pending = 0, n, t;

	next_trigger_ms = fd_now_ms();
	next_scan_ms = next_trigger_ms + q->scan_interval * 1000;
	for (;;) {
		now = queued_time();
		if (q->stopping) {
			if (stop_at == 0)
				stop_at = now + QUEUED_STOP_WAIT;
			/* jobs not yet sent to rspawn go back to pending */
			remote_release(q);
			if ((q->nbusy == 0 && remote_busy(q) == 0) ||
			    now >= stop_at)
				break;
		}
		if (q->to.fd == -1 && q->restart_at != 0 &&
		    now >= q->restart_at && !q->stopping)
			(void)local_start(q);
		if (remote_restart_at(q) != 0 && now >= remote_restart_at(q) &&
		    !q->stopping)
			(void)remote_start(q);
		if (fd_now_ms() >= next_scan_ms) {
			gap = scan_timed(q, 1);
			next_scan_ms = fd_now_ms() + q->scan_interval * 1000;
			next_trigger_ms = fd_now_ms() + gap;
			scan_pending = 0;
		} else if (scan_pending && fd_now_ms() >= next_trigger_ms) {
			gap = scan_timed(q, 0);
			next_trigger_ms = fd_now_ms() + gap;
			scan_pending = 0;
		}
		msg_wake_due(q, queued_time());
		if (!q->stopping) {
			msg_dispatch(q);
			remote_dispatch(q);
		}
		if (q->to.fd != -1 && chan_pending(&q->to) > 0)
			(void)local_flush(q);

		memset(pfd, 0, sizeof(pfd));
		pfd[0].fd = child_sigpipe_fd();
		pfd[0].events = POLLIN;
		pfd[1].fd = q->trigger_fd;
		pfd[1].events = POLLIN;
		pfd[2].fd = q->from.fd;
		pfd[2].events = POLLIN;
		pfd[3].fd = chan_pending(&q->to) > 0 ? q->to.fd : -1;
		pfd[3].events = POLLOUT;
		pfd[4].fd = remote_fd(q, &pfd[4].events);
		pfd[5].fd = q->master.fd;
		pfd[5].events = POLLIN;
		nctl = ctl_pollfds(q, pfd + 6, CTL_POLL_MAX);
		t = timeout_ms(q, next_scan_ms, scan_pending, next_trigger_ms);
		if ((ct = ctl_timeout_ms(q)) != -1 && ct < t)
			t = (int)ct;
		n = poll(pfd, 6 + nctl, t);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & POLLIN)
			signals_read(q);
		if (pfd[1].revents & (POLLIN | POLLHUP))
			if (trigger_drain(q))
				scan_pending = 1;
		if (q->from.fd != -1 && pfd[2].fd == q->from.fd &&
		    (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)))
			(void)local_read(q);
		if (q->to.fd != -1 && pfd[3].fd == q->to.fd &&
		    (pfd[3].revents & (POLLOUT | POLLERR | POLLHUP)))
			(void)local_flush(q);
		if (pfd[4].fd != -1 && pfd[4].fd == remote_fd(q,
		    &pfd[4].events)) {
			if (pfd[4].revents & POLLOUT)
				remote_flush(q);
			if (pfd[4].revents & (POLLIN | POLLHUP | POLLERR))
				remote_read(q);
		}
		if (q->master.fd != -1 && pfd[5].revents != 0)
			master_read(q);
		/* the control socket: facteurctl, mailq */
		ctl_events(q, pfd + 6, nctl);
		if (q->scan_full && q->nmsgs < QUEUED_ACTIVE_MAX / 2)
			scan_pending = 1;
	}
}

int
main(int argc, char *argv[])
{
	static struct queued	 qs;
	struct queued		*q = &qs;
	const char		*confopt = NULL, *user;
	char			 lspawn[PATH_MAX], rspawn[PATH_MAX];
	int			 ch, r, layout_only = 0, conffd = -1;
	int			 masterfd = -1, tfd;

	if (fd_ensure_std() == -1)
		exit(111);
	signals_setup();
	while ((ch = getopt(argc, argv, "C:dF:LM")) != -1) {
		switch (ch) {
		case 'C':
			confopt = optarg;
			break;
		case 'd':
			q->foreground = 1;
			break;
		case 'F':
			if ((conffd = conf_fd_option(optarg)) == -1)
				usage();
			break;
		case 'L':
			layout_only = 1;
			q->foreground = 1;
			break;
		case 'M':
			masterfd = QUEUED_MASTER_FD;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("queued", q->foreground);
	chan_init(&q->keeper, -1, CHAN_PACKET, CHAN_SMALL_MAX);
	chan_init(&q->master, masterfd, CHAN_PACKET, CHAN_SMALL_MAX);
	if (masterfd != -1 && (fd_set_cloexec(masterfd, 1) == -1 ||
	    fd_set_nonblock(masterfd, 1) == -1))
		fatal("the master's channel");
	q->conf_fd = -1;
	chan_init(&q->to, -1, CHAN_STREAM, QUEUED_FRAME_MAX);
	chan_init(&q->from, -1, CHAN_STREAM, QUEUED_FRAME_MAX);
	q->trigger_fd = q->trigger_wfd = -1;
	queue_free_init(&q->free);
	q->free_pid = -1;
	RB_INIT(&q->msgs);
	RB_INIT(&q->wait);
	TAILQ_INIT(&q->readyq);

	q->confpath = conf_find_path(confopt, 1);
	if ((q->conf = conf_take(q, conffd, &tfd)) == NULL)
		fatalx("%s: errors in the config", q->confpath);
	q->conf_fd = tfd;
	(void)conf_log_create(q->conf);
	(void)conf_log_open(q->conf);
	r = snprintf(lspawn, sizeof(lspawn), "%s/lspawn",
	    conf_str(q->conf, "program_dir"));
	if (r < 0 || (size_t)r >= sizeof(lspawn))
		fatalx("program_dir too long");
	r = snprintf(rspawn, sizeof(rspawn), "%s/rspawn",
	    conf_str(q->conf, "program_dir"));
	if (r < 0 || (size_t)r >= sizeof(rspawn))
		fatalx("program_dir too long");
	user = conf_str(q->conf, "queue_user");
	/* as root: queue_dir, its folders and the FIFO belong to user */
	if (queue_layout_create(conf_str(q->conf, "queue_dir"), user) == -1)
		fatalx("cannot make the queue in %s",
		    conf_str(q->conf, "queue_dir"));
	if (chdir(conf_str(q->conf, "queue_dir")) == -1)
		fatal("chdir %s", conf_str(q->conf, "queue_dir"));
	/* -L: the queue, made above as at start-up; no more */
	if (layout_only)
		return 0;
	keeper_pid = keeper_start(q, lspawn, rspawn, q->foreground);
	if (keeper_pid == -1 || keeper_conf(q) != 0)
		fatalx("cannot start the keeper");
	/* as root (the keeper never holds it): the control socket */
	ctl_open(q);
	priv_drop_user(user, NULL);
	queue_layout(q);
	q->free_pid = free_releaser_start(q);
	if (aliases_reload(q, q->conf) == -1)
		fatalx("cannot load aliases_file");
	if (route_reload(q, q->conf) == -1)
		fatalx("cannot load transport_file");
	remote_init(q);
	if (valias_reload(q, q->conf) == -1)
		fatalx("cannot load virtual_alias_maps");
	conf_apply(q);
	log_info("started: queue_dir=%s, lspawn=%s, concurrency=%zu",
	    conf_str(q->conf, "queue_dir"), lspawn, q->nslot);

	/* before the first scan: what it finds was committed before us */
	q->started = queued_time();
	scan_orphans(q);
	(void)scan_queue(q, 1);
	(void)local_start(q);
	(void)remote_start(q);
	loop_run(q);

	if (q->nbusy > 0)
		log_warnx("exiting with %zu jobs unfinished; they are retried "
		    "at the next start", q->nbusy);
	local_stop(q, NULL);
	remote_stop(q, NULL);
	ctl_close(q);
	free_releaser_stop(q, q->free_pid);
	msg_free_all(q);
	/* the keeper ends at EOF on its socket; do not leave a zombie */
	chan_close(&q->keeper);
	if (keeper_pid != -1)
		keeper_wait();
	log_info("stopped");
	return 0;
}
