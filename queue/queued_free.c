/*
 * queued_free: queued's releaser, the child that makes a finished
 * message's files takeable again (Q10, docs/queue.md).  queued moves
 * env/<id> and msg/<id> into free/ (Q7, Q9) and writes each name into
 * a pipe (queue_free_put); the releaser reads them, and about once a
 * second, or once QUEUE_FREE_PENDING / 2 are waiting, makes their
 * removal durable (fsync of env/ and msg/), empties each file and
 * renames it to the name a queue writer takes (queue_free_release),
 * which it hands out in the FIFO free/.released.
 * Those fsyncs, truncates and renames took a third of queued's time
 * under load (docs/performance.md); here they run beside its loop.
 *
 * It is forked by queued once queued is the queue's owner and holds the
 * queue's lock, runs with nothing but the pipe (every other descriptor
 * closed: the lock, the channels, the control socket), opens the queue
 * itself with queue_open's checks, and dies with queued (CHILD_PDEATH);
 * it ignores the signals that stop or reload a service.
 * When it dies, queued exits too and is restarted; what was in free/
 * then is removed at the start (queue_free_purge).
 *
 * Trust: queued and the releaser are the same user, the queue's owner;
 * a line that is not "<queue ID>.<letter>~" is still refused
 * (queue_free_note), and each file is checked before it is released.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "fdio.h"
#include "log.h"
#include "queued.h"

/* Bytes of names read at once: about 200 lines. */
#define FREE_READ_MAX	4096

struct releaser {
	struct queue		 queue;
	struct queue_free_pool	 pool;
	char			 buf[FREE_READ_MAX];
	size_t			 have;
};

/*
 * Notes the whole lines of r->buf; what does not fit in the pool, and a
 * partial line, stay at the front for later.
 */
static void
releaser_parse(struct releaser *r)
{
	char	*line = r->buf, *nl;
	size_t	 left = r->have;

	while (left > 0 && (nl = memchr(line, '\n', left)) != NULL) {
		*nl = '\0';
		if (queue_free_note(&r->pool, line, fd_now_ms()) == -1) {
			if (errno == ENOSPC) {
				*nl = '\n';
				break;
			}
			log_warnx("releaser: not a name of free/; ignored");
		}
		left -= (size_t)(nl + 1 - line);
		line = nl + 1;
	}
	if (left == sizeof(r->buf)) {
		/* one line as long as the buffer: no name of queued's */
		log_warnx("releaser: a line too long; dropped");
		left = 0;
	}
	memmove(r->buf, line, left);
	r->have = left;
}

/* The releaser's loop; returns when queued closed the pipe. */
static void
releaser_run(struct releaser *r, int fd)
{
	struct pollfd	 pfd;
	long long	 now, t;
	ssize_t		 n;

	for (;;) {
		releaser_parse(r);
		now = fd_now_ms();
		if (queue_free_due(&r->pool, now))
			queue_free_release(&r->queue, &r->pool, 0);
		t = -1;
		if (r->pool.npending > 0) {
			t = r->pool.first_ms + 1000 - now;
			if (t < 0)
				t = 0;
		}
		/* a full pool, or a full buffer, reads nothing until released */
		pfd.fd = r->pool.npending < QUEUE_FREE_PENDING &&
		    r->have < sizeof(r->buf) ? fd : -1;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)t) == -1) {
			if (errno == EINTR)
				continue;
			fatal("releaser: poll");
		}
		if (pfd.fd == -1 || pfd.revents == 0)
			continue;
		n = read(fd, r->buf + r->have, sizeof(r->buf) - r->have);
		if (n == 0)
			return;
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fatal("releaser: read");
		}
		r->have += (size_t)n;
	}
}

pid_t
free_releaser_start(struct queued *q)
{
	static struct releaser	 r;	/* the child's; 4 kB and the pool */
	int			 p[2], fds[1];
	pid_t			 pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("releaser: pipe");
	if ((pid = child_fork("queued-free", CHILD_PDEATH)) == -1)
		fatal("releaser: fork");
	if (pid == 0) {
		/*
		 * It ends at EOF on its pipe, or with queued (CHILD_PDEATH):
		 * a SIGTERM to every process of the service at once (systemd's
		 * stop) must not end it before queued has stopped cleanly.
		 */
		(void)signal(SIGTERM, SIG_IGN);
		(void)signal(SIGINT, SIG_IGN);
		(void)signal(SIGHUP, SIG_IGN);
		(void)signal(SIGUSR1, SIG_IGN);
		fds[0] = p[0];
		if (child_fds(fds, 1) == -1)
			_exit(1);
		queue_free_init(&r.pool);
		if (queue_open(&r.queue, conf_str(q->conf, "queue_dir")) == -1)
			_exit(1);
		/* without it (logged), writers find the files in free/ */
		(void)queue_free_handout_open(&r.queue, &r.pool);
		releaser_run(&r, 0);
		_exit(0);
	}
	(void)close(p[0]);
	/* a full pipe means a lagging releaser: queued removes instead */
	if (fd_set_nonblock(p[1], 1) == -1)
		fatal("releaser: the pipe");
	q->free.release_fd = p[1];
	return pid;
}

void
free_releaser_stop(struct queued *q, pid_t pid)
{
	if (q->free.release_fd != -1)
		(void)close(q->free.release_fd);
	q->free.release_fd = -1;
	/* what it had not released is removed at the next start */
	if (pid > 0 && kill(pid, SIGKILL) == 0)
		(void)waitpid(pid, NULL, 0);
}
