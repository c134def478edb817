/*
 * queued_bounce: sends a delivery status notification to the sender of
 * a message (a non-delivery report, a delay warning or a success notice;
 * queued_notice.c says which it owes; a non-delivery report for the null
 * sender, a report that failed, goes to postmaster from
 * double-bounce@myhostname, and one from double-bounce that fails is
 * dropped), by running program_dir/enqueue
 * like any other injector: the report on fd 0, the envelope
 * `F\0T<sender>\0\0` (null sender) on fd 1, success only on exit 0.
 * The report text comes from lib/mail/bounce.c; the original header
 * section, or the whole message for a failure whose sender did not ask
 * for headers only (RET=HDRS) and that is no larger than
 * bounce_size_limit, is read from msg/<id>.  The notice gets an ID of
 * queued's choosing (enqueue -i), so the log links the two messages as
 * Postfix's does ("ID: sender non-delivery notification: NEWID").
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bounce.h"
#include "dsn.h"
#include "queue_env.h"
#include "child.h"
#include "fdio.h"
#include "log.h"
#include "queued.h"

/* The first max bytes of msg/<id> (the headers, or all of it). */
static char *
msg_head(const struct queue *qu, const char *id, size_t max, size_t *len)
{
	struct queue_loc l;
	char		*p;
	ssize_t		 n;
	int		 fd;

	if (queue_path(qu, QUEUE_MSG, id, &l) == -1)
		return NULL;
	if ((fd = openat(l.at, l.name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return NULL;
	if ((p = malloc(max > 0 ? max : 1)) == NULL) {
		(void)close(fd);
		return NULL;
	}
	n = fd_read_full(fd, p, max);
	(void)close(fd);
	if (n < 0) {
		free(p);
		return NULL;
	}
	*len = (size_t)n;
	return p;
}

/*
 * Runs enqueue with msg on fd 0 and env on fd 1, asking for the ID id;
 * its exit status.
 */
static int
enqueue_run(struct queued *q, const struct buf *msg, const struct buf *env,
    const char *id)
{
	char		 path[PATH_MAX];
	char		*argv[7];
	int		 mp[2], ep[2], st, r, werr = 0;
	pid_t		 pid;

	r = snprintf(path, sizeof(path), "%s/enqueue",
	    conf_str(q->conf, "program_dir"));
	if (r < 0 || (size_t)r >= sizeof(path))
		return -1;
	if (pipe2(mp, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(ep, O_CLOEXEC) == -1) {
		(void)close(mp[0]);
		(void)close(mp[1]);
		return -1;
	}
	if ((pid = child_fork(NULL, 0)) == -1) {
		log_warn("fork for enqueue");
		(void)close(mp[0]);
		(void)close(mp[1]);
		(void)close(ep[0]);
		(void)close(ep[1]);
		return -1;
	}
	if (pid == 0) {
		const int	 fds[3] = { mp[0], ep[0], 2 };

		(void)signal(SIGPIPE, SIG_DFL);
		if (child_fds(fds, 3) == -1)
			_exit(111);
		/* -B: a bounce may use the free-space reserve */
		argv[0] = (char *)"enqueue";
		argv[1] = (char *)"-C";
		argv[2] = (char *)q->confpath;
		argv[3] = (char *)"-B";
		argv[4] = (char *)"-i";
		argv[5] = (char *)id;
		argv[6] = NULL;
		execv(path, argv);
		_exit(111);
	}
	(void)close(mp[0]);
	(void)close(ep[0]);
	/* enqueue reads all of fd 0 before fd 1 (the qmail-queue order) */
	if (fd_write_full(mp[1], msg->data, msg->len) == -1)
		werr = errno;
	if (close(mp[1]) == -1 && werr == 0)
		werr = errno;
	if (werr == 0 && fd_write_full(ep[1], env->data, env->len) == -1)
		werr = errno;
	if (close(ep[1]) == -1 && werr == 0)
		werr = errno;
	while (waitpid(pid, &st, 0) == -1) {
		if (errno != EINTR) {
			log_warn("waitpid enqueue");
			return -1;
		}
	}
	if (werr != 0)
		log_warnx("writing to enqueue: %s", strerror(werr));
	if (!WIFEXITED(st))
		return -1;
	return werr != 0 && WEXITSTATUS(st) == 0 ? -1 : WEXITSTATUS(st);
}

/* What the log says of each kind, as Postfix's bounce(8) says it. */
static const char *const notice_logname[] = {
	[BOUNCE_FAILED] = "sender non-delivery notification",
	[BOUNCE_DELAYED] = "sender delay notification",
	[BOUNCE_DELIVERED] = "sender delivery status notification",
};

#define DOUBLE_BOUNCE	"double-bounce"

int
bounce_dropped(const struct queued *q, const struct qmsg *m)
{
	size_t	 k = strlen(DOUBLE_BOUNCE);

	return strncasecmp(m->sender, DOUBLE_BOUNCE "@", k + 1) == 0 &&
	    strcasecmp(m->sender + k + 1, conf_myhostname(q->conf)) == 0;
}

int
bounce_send(struct queued *q, struct qmsg *m, const size_t *job, size_t n,
    int kind)
{
	struct bounce_rcpt *br;
	struct bounce_info bi;
	struct buf	 msg, env;
	char		 boundary[BOUNCE_BOUNDARY_MAX + 1], *head;
	char		 nid[QUEUEID_LEN + 1];
	char		 to[QUEUE_ADDR_MAX + 1], from[QUEUE_ADDR_MAX + 1];
	size_t		 i, hlen = 0, limit;
	int		 code, ret = -1;
	int		 dbl = m->sender[0] == '\0' && kind == BOUNCE_FAILED;
	const char	*host = conf_myhostname(q->conf);

	/* a failed report (null sender): a double bounce to postmaster */
	if ((size_t)snprintf(to, sizeof(to), dbl ? "postmaster@%s" : "%s",
	    dbl ? host : m->sender) >= sizeof(to) ||
	    (size_t)snprintf(from, sizeof(from), dbl ? DOUBLE_BOUNCE "@%s" :
	    "%s", dbl ? host : "") >= sizeof(from)) {
		log_warnx("%s: myhostname too long for a double bounce",
		    m->st.id);
		return -1;
	}

	if (n == 0 || n > BOUNCE_RCPT_MAX || kind < BOUNCE_FAILED ||
	    kind > BOUNCE_DELIVERED ||
	    (br = calloc(n, sizeof(*br))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const struct queue_job *j = &m->st.job[job[i]];

		br[i].rcpt = j->rcpt;
		br[i].orig = j->orig;
		br[i].orcpt = msg_job_orcpt(m, job[i]);
		br[i].diag = j->reason[0] != '\0' ? j->reason :
		    kind == BOUNCE_FAILED ? "5.0.0 delivery failed" :
		    kind == BOUNCE_DELAYED ? "4.0.0 not delivered yet" :
		    "2.0.0 delivered";
		if (kind == BOUNCE_DELIVERED && j->status == QJ_RELAYED)
			br[i].action = "relayed";
	}
	memset(&bi, 0, sizeof(bi));
	/* the whole message back for a failure, unless HDRS or too large */
	limit = (size_t)conf_int(q->conf, "bounce_size_limit");
	if (kind == BOUNCE_FAILED && m->ret != DSN_RET_HDRS &&
	    m->size >= 0 && (unsigned long long)m->size <= limit) {
		bi.full = 1;
		head = msg_head(&q->queue, m->st.id, (size_t)m->size, &hlen);
	} else
		head = msg_head(&q->queue, m->st.id, QUEUED_MSG_MAX_READ,
		    &hlen);
	if (head == NULL)
		bi.full = 0;
	bounce_boundary(boundary, sizeof(boundary), m->st.id);
	bi.id = m->st.id;
	bi.myhostname = conf_myhostname(q->conf);
	bi.sender = to;
	bi.boundary = boundary;
	bi.arrival = m->arrival;
	bi.now = queued_time();
	bi.rcpt = br;
	bi.nrcpt = n;
	bi.headers = head;
	bi.hlen = hlen;
	bi.kind = kind;
	bi.envid = m->envid;
	if (kind == BOUNCE_DELAYED)
		bi.retry_until = m->arrival + q->lifetime;
	buf_init(&msg, limit + 4 * 1024 * 1024);
	buf_init(&env, 2 * QUEUE_ADDR_MAX + 16);
	if (bounce_build(&msg, &bi) == -1) {
		log_warn("%s: cannot build the %s", m->st.id,
		    notice_logname[kind]);
		goto done;
	}
	if (buf_append(&env, "F", 1) == -1 ||
	    buf_append_str(&env, from) == -1 ||
	    buf_append(&env, "\0T", 2) == -1 ||
	    buf_append_str(&env, to) == -1 ||
	    buf_append(&env, "\0\0", 2) == -1) {
		log_warn("%s: notice envelope", m->st.id);
		goto done;
	}
	queueid_new(nid);
	code = enqueue_run(q, &msg, &env, nid);
	if (code != 0) {
		log_warnx("%s: %s to <%s> not queued (enqueue status %d); "
		    "retried in %lld s", m->st.id, dbl ? "double bounce" :
		    notice_logname[kind], to, code, q->retry_min);
		goto done;
	}
	if (dbl)
		log_info("%s: undeliverable bounce: postmaster notification "
		    "(double bounce) sent to <%s> for %zu recipient(s): %s",
		    m->st.id, to, n, nid);
	else
		log_info("%s: %s: %s", m->st.id, notice_logname[kind], nid);
	ret = 0;
done:
	buf_free(&msg);
	buf_free(&env);
	free(head);
	free(br);
	return ret;
}
