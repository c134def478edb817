/*
 * monitor_queue: how the monitor has a message queued.  For each message
 * the session asks MSGSTART with the queue ID it chose, once a sender and
 * a recipient were approved (monitor_tx.c); the monitor makes two pipes,
 * has their read ends read by enqueue's code (lib/queue_inject or the
 * enqueue program), hands the session the write end of the message pipe
 * only (SCM_RIGHTS), and keeps the envelope pipe's.  At MSGEND it writes
 * the envelope it approved into that pipe (monitor_tx_flush) and tells the
 * session enqueue's exit code: 250 is said only for 0.  At MSGABORT, or
 * when the session dies, the envelope pipe is closed empty, and enqueue
 * removes what it wrote.  Who reads the pipes:
 *
 *  - a monitor of its own (one process per connection) forks a child per
 *    message (monitor_queue_child) and waits for it at MSGEND;
 *  - the resident's monitors (m->rc set) leave it to resident_conn.c, which
 *    hands the pipes to a long-lived queue writer or, failing that, to the
 *    same child, and answers when the result comes; the envelope pipe is
 *    non-blocking there, and what it cannot take at once is written from
 *    the resident's poll loop.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "child.h"
#include "conf.h"
#include "fdio.h"
#include "log.h"
#include "priv.h"
#include "queue_env.h"
#include "queue_inject.h"
#include "queue_path.h"
#include "queueid.h"
#include "smtpd.h"
#include "smtpd_monitor.h"
#include "users.h"

/* Execs program with the qmail-queue protocol on fds 0 and 1. */
static void __attribute__((noreturn))
mon_exec_queue_program(struct monitor *m, const char *path, int filter)
{
	const char	*argv[8];
	char		 envid[32 + QUEUEID_LEN], envconf[1100];
	char		*envp[4] = { "PATH=/usr/bin:/bin", NULL, NULL, NULL };
	int		 argc = 0;

	(void)signal(SIGPIPE, SIG_DFL);
	if (m->opts->ids_known)
		priv_drop(m->opts->user_uid, m->opts->user_gid, NULL);
	else
		priv_drop_user(conf_str(m->conf, "smtpd_user"), NULL);
	if (filter) {
		/*
		 * A filter gets no options and a clean environment: the queue
		 * ID smtpd chose (to pass on with enqueue -i) and the config.
		 */
		argv[argc++] = path;
		if ((size_t)snprintf(envid, sizeof(envid), "FACTEUR_QUEUE_ID=%s",
		    m->id) >= sizeof(envid))
			_exit(111);
		envp[1] = envid;
		if (m->opts->confpath != NULL && m->opts->confpath[0] != '\0') {
			if ((size_t)snprintf(envconf, sizeof(envconf),
			    "FACTEUR_CONF=%s", m->opts->confpath) >= sizeof(envconf))
				_exit(111);
			envp[2] = envconf;
		}
	} else {
		argv[argc++] = "enqueue";
		if (m->opts->confpath != NULL && m->opts->confpath[0] != '\0') {
			argv[argc++] = "-C";
			argv[argc++] = m->opts->confpath;
		}
		argv[argc++] = "-i";
		argv[argc++] = m->id;
	}
	argv[argc] = NULL;
	execve(path, (char *const *)argv, filter ? envp : environ);
	log_warn("exec %s", path);
	_exit(111);
}


int
monitor_queue_in_process(const struct conf *conf)
{
	struct stat	 st;

	if (conf_str(conf, "smtpd_queue_filter")[0] != '\0')
		return 0;
	if (priv_is_root())
		return 1;
	return stat(conf_str(conf, "queue_dir"), &st) == 0 &&
	    st.st_uid == geteuid();
}

int
monitor_queue_open(const struct conf *conf, const struct smtpd_opts *opts,
    struct queue *q, uid_t *injector)
{
	gid_t	 gid;

	*injector = getuid();
	if (queue_open(q, conf_str(conf, "queue_dir")) == -1)
		return -1;
	/* The U record names smtpd_user, as an exec of enqueue did. */
	if (priv_is_root()) {
		if (opts->ids_known)
			*injector = opts->user_uid;
		else if (priv_lookup(conf_str(conf, "smtpd_user"), injector,
		    &gid) == -1)
			goto fail;
	}
	if (queue_identity(q, &opts->queue_owner, NULL) == -1)
		goto fail;
	return 0;
fail:
	queue_close(q);
	return -1;
}

/*
 * In the child made for one message: queue it, one of three ways.
 *  - smtpd_queue_filter set: exec that program (a content filter speaking
 *    the qmail-queue protocol, which ends by running enqueue);
 *  - the monitor can become the owner of queue_dir (it is root, or already
 *    that user): queue in-process with lib/queue_inject, as that user,
 *    which saves an exec per message;
 *  - otherwise: exec the set-uid program_dir/enqueue as smtpd_user.
 * The child never returns; its exit code is enqueue's.
 */
void
monitor_queue_child(struct monitor *m, int msg_r, int env_r)
{
	const int		 fds[3] = { msg_r, env_r, 2 };
	char			 path[1024];
	const char		*filter = conf_str(m->conf, "smtpd_queue_filter");
	struct queue_inject	 qi;
	struct queue		 queue;
	uid_t			 injector;

	/* child_fds closes the log's socket too: open it again */
	closelog();
	if (child_fds(fds, 3) == -1)
		_exit(111);
	log_init("enqueue", m->opts->debug);
	log_set_debug(conf_bool(m->conf, "log_debug"));
	/* Nothing of the monitor's tables may reach another identity. */
	users_cache_wipe();
	if (filter[0] != '\0')
		mon_exec_queue_program(m, filter, 1);
	if ((size_t)snprintf(path, sizeof(path), "%s/enqueue",
	    conf_str(m->conf, "program_dir")) >= sizeof(path))
		_exit(111);
	if (monitor_queue_open(m->conf, m->opts, &queue, &injector) == -1)
		mon_exec_queue_program(m, path, 0);
	queue_inject_init(&qi);
	qi.uid = injector;
	(void)prctl(PR_SET_DUMPABLE, 0);
	(void)prctl(PR_SET_NAME, "enqueue", 0, 0, 0);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
		_exit(111);
	umask(077);
	qi.queue = &queue;
	qi.wanted_id = m->id;
	qi.origin = QUEUE_ORIGIN_SMTP;
	_exit(queue_inject(m->conf, &qi, 0, 1));
}

int
monitor_queue_start(struct monitor *m, struct chan_msg *msg)
{
	int	 pm[2] = { -1, -1 }, pe[2] = { -1, -1 };
	pid_t	 pid;

	/*
	 * monitor_check saw one message at a time, of an approved
	 * transaction, with a valid queue ID: the honest session asks for
	 * nothing else.
	 */
	(void)strlcpy(m->id, msg->f[1], sizeof(m->id));
	if (pipe2(pm, O_CLOEXEC) == -1 || pipe2(pe, O_CLOEXEC) == -1) {
		log_warn("%s: pipe", m->id);
		goto temp;
	}
	if (m->rc != NULL) {
		/* the resident: a queue writer or a child reads them */
		if (resident_conn_queue_start(m, pm[0], pe[0]) == -1) {
			pm[0] = pe[0] = -1;
			(void)close(pm[1]);
			(void)close(pe[1]);
			return monitor_reply(m, "TEMP", NULL);
		}
	} else {
		if ((pid = child_fork(NULL, 0)) == -1) {
			log_warn("%s: fork", m->id);
			goto temp;
		}
		if (pid == 0)
			monitor_queue_child(m, pm[0], pe[0]);
		m->enqueue = pid;
		(void)close(pm[0]);
		(void)close(pe[0]);
	}
	/* the envelope is ours to write; the session gets the message's */
	m->env_w = pe[1];
	m->env_off = 0;
	if (m->rc != NULL && fd_set_nonblock(m->env_w, 1) == -1)
		log_warn("%s: envelope pipe", m->id);
	{
		const char	*f[1] = { "OK" };
		int		 r = chan_send(&m->chan, f, 1, &pm[1], 1);

		(void)close(pm[1]);
		return r;
	}
temp:
	if (pm[0] != -1) {
		(void)close(pm[0]);
		(void)close(pm[1]);
	}
	if (pe[0] != -1) {
		(void)close(pe[0]);
		(void)close(pe[1]);
	}
	return monitor_reply(m, "TEMP", NULL);
}

/* Waits for enqueue; its exit code, or 111 (temporary) when killed. */
int
monitor_queue_reap(struct monitor *m)
{
	int	 st, code;

	if (m->enqueue == -1)
		return -1;
	while (waitpid(m->enqueue, &st, 0) == -1) {
		if (errno != EINTR) {
			log_warn("%s: waitpid enqueue", m->id);
			m->enqueue = -1;
			return 111;
		}
	}
	m->enqueue = -1;
	if (WIFEXITED(st))
		code = WEXITSTATUS(st);
	else {
		log_warnx("%s: enqueue killed by signal %d", m->id,
		    WTERMSIG(st));
		code = monitor_queue_lost(m);
	}
	return code;
}

/* 1 if the envelope file e is the one m wrote (sealed in m->tx_env). */
static int
mon_queue_same_envelope(const struct monitor *m, const struct queue_env *e)
{
	const char	*p = m->tx_env.data, *end = p + m->tx_env.len;
	size_t		 i = 0;

	if (strcmp(e->id, m->id) != 0 || p >= end || *p != 'F' ||
	    strcmp(p + 1, e->sender) != 0)
		return 0;
	for (p += strlen(p) + 1; p < end && *p == 'T'; p += strlen(p) + 1)
		if (i >= e->nrcpt || strcmp(p + 1, e->rcpt[i++]) != 0)
			return 0;
	return i == e->nrcpt;
}

int
monitor_queue_lost(struct monitor *m)
{
	struct queue		 q;
	struct queue_loc	 loc;
	struct queue_env	 e;
	struct buf		 b;
	const char		*why = NULL;
	char			 chunk[8192];
	ssize_t			 n;
	int			 fd = -1, code = 111;

	/* without its whole envelope the writer cannot have committed */
	if (!m->env_sent || m->id[0] == '\0')
		return 111;
	if (queue_open(&q, conf_str(m->conf, "queue_dir")) == -1)
		return 111;
	buf_init(&b, m->tx_env.len + 4096);
	/* no FIFO to block on, no link to another user's file */
	if (queue_path(&q, QUEUE_ENV, m->id, &loc) == -1 ||
	    (fd = openat(loc.at, loc.name, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC)) == -1 || !queue_file_ok(&q, fd))
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(&b, chunk, (size_t)n) == -1)
			goto out;
	if (n == -1 || queue_env_decode(b.data, b.len, &e, &why) == -1)
		goto out;
	if (mon_queue_same_envelope(m, &e)) {
		/* the rename was done; the fsync of env/ maybe not */
		if (queue_sub_sync(&q, QUEUE_ENV) == 0) {
			log_warnx("%s: the queue writer died after its commit; "
			    "the message is queued", m->id);
			code = 0;
		} else
			log_warn("%s: fsync env/", m->id);
	}
	queue_env_free(&e);
out:
	if (fd != -1)
		(void)close(fd);
	buf_free(&b);
	queue_close(&q);
	return code;
}

int
monitor_queue_end(struct monitor *m, struct chan_msg *msg)
{
	char	 num[16];
	int	 code;

	/* monitor_check saw a message in progress */
	(void)msg;
	/* the envelope as approved; without one, nothing is queued */
	(void)monitor_tx_seal(m);
	if (m->rc != NULL) {
		if (monitor_tx_flush(m) == 0)
			log_debug("%s: envelope: %zu octets wait for the pipe",
			    m->id, m->tx_env.len - m->env_off);
		return resident_conn_queue_end(m, 0);
	}
	/* blocking: the child reads it once the session closed the message */
	(void)monitor_tx_flush(m);
	if ((code = monitor_queue_reap(m)) == -1)
		return -1;
	monitor_tx_reset(m);
	(void)snprintf(num, sizeof(num), "%d", code);
	return monitor_reply(m, "EXIT", num);
}

int
monitor_queue_abort(struct monitor *m, struct chan_msg *msg)
{
	(void)msg;
	/*
	 * monitor_check saw a message in progress.  No envelope: enqueue
	 * fails and removes what it wrote; we only collect it.
	 */
	monitor_tx_drop(m);
	if (m->rc != NULL)
		return resident_conn_queue_end(m, 1);
	if (monitor_queue_reap(m) == -1)
		return -1;
	monitor_tx_reset(m);
	return monitor_reply(m, "OK", NULL);
}

