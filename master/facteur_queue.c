/*
 * facteur_queue: the master's supervision of the queue group.  queued
 * starts its own spawners (lspawn), so the master starts and watches only
 * queued: if it exits for any reason other than a requested stop, it is
 * started again after restart_delay.  Before the master opens a listener
 * it makes the queue (queue_dir, its folders, the trigger FIFO), so that
 * mail accepted while queued is starting, restarting or dead is queued,
 * never answered 451 for a missing folder.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "facteur.h"
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

void
queue_group_start(const struct conf *conf, const char *confpath, int debug)
{
	queued_pid = master_spawn(conf, confpath, -1, -1, "queued", NULL, 0,
	    debug);
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
