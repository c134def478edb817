/*
 * facteur_queue: the master's supervision of the queue group.  queued
 * starts its own spawners (lspawn), so the master starts and watches only
 * queued: if it exits for any reason other than a requested stop, it is
 * started again after restart_delay.  Before the master opens a listener
 * it makes the queue (queue_dir, its folders, the trigger FIFO), so that
 * mail accepted while queued is starting, restarting or dead is queued,
 * never answered 451 for a missing folder.
 *
 * queued starts on the configuration in force (-F) and has a channel
 * from the master on fd 3 (-M, lib/ipc/chan.h): at each accepted reload
 * the master sends it the frame "C" with the new text's memfd, so that
 * queued, like every other program, never reads a file the master
 * refused.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "facteur.h"
#include "fdio.h"
#include "log.h"
#include "queue_path.h"

void
queue_group_prepare(const struct conf *conf)
{
	if (queue_layout_create(conf_str(conf, "queue_dir"),
	    conf_str(conf, "queue_user")) == -1)
		log_warnx("cannot make the queue in %s; queued will try again",
		    conf_str(conf, "queue_dir"));
}

static pid_t	queued_pid = -1;
static time_t	queued_restart_at;	/* 0: no restart pending */
static struct chan queued_chan = { .fd = -1 };	/* to queued (-M) */

void
queue_group_start(const struct conf *conf, const char *confpath, int debug)
{
	int	 sp[2];

	chan_close(&queued_chan);
	if (chan_pair(sp) == -1) {
		log_warn("socketpair for queued");
		sp[0] = sp[1] = -1;
		queued_pid = -1;
	} else {
		queued_pid = master_spawn(conf, confpath, -1, sp[1], "-M",
		    "queued", NULL, 0, debug);
		(void)close(sp[1]);
		if (queued_pid != -1 && fd_set_nonblock(sp[0], 1) == 0)
			chan_init(&queued_chan, sp[0], CHAN_PACKET,
			    CHAN_SMALL_MAX);
		else
			(void)close(sp[0]);
	}
	if (queued_pid == -1) {
		log_warnx("cannot start queued; retrying in %lld s",
		    conf_int(conf, "restart_delay"));
		queued_restart_at = time(NULL) + conf_int(conf, "restart_delay");
		return;
	}
	queued_restart_at = 0;
	log_info("started queued, pid %ld", (long)queued_pid);
}

int
queue_group_reap(pid_t pid, int status, const struct conf *conf)
{
	if (pid != queued_pid)
		return 0;
	queued_pid = -1;
	chan_close(&queued_chan);
	if (WIFSIGNALED(status))
		log_warnx("queued killed by signal %d; restarting in %lld s",
		    WTERMSIG(status), conf_int(conf, "restart_delay"));
	else
		log_warnx("queued exited with status %d; restarting in %lld s",
		    WEXITSTATUS(status), conf_int(conf, "restart_delay"));
	queued_restart_at = time(NULL) + conf_int(conf, "restart_delay");
	return 1;
}

void
queue_group_tick(const struct conf *conf, const char *confpath, int debug)
{
	if (queued_pid == -1 && queued_restart_at != 0 &&
	    time(NULL) >= queued_restart_at)
		queue_group_start(conf, confpath, debug);
}

void
queue_group_reload(void)
{
	const char	*f[1] = { "C" };

	if (queued_pid == -1 || queued_chan.fd == -1)
		return;		/* it starts on the new one */
	if (chan_send_nowait(&queued_chan, f, 1, &master_conf_fd, 1) == -1)
		log_warn("handing queued the new configuration");
}

void
queue_group_signal(int sig)
{
	if (queued_pid != -1)
		(void)kill(queued_pid, sig);
	if (sig == SIGTERM)
		queued_restart_at = 0;
}

int
queue_group_running(void)
{
	return queued_pid != -1;
}
