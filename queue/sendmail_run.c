/*
 * sendmail_run: running enqueue for sendmail.  enqueue is executed
 * directly (never through a shell) with the message on a pipe on its fd 0
 * and the envelope on a pipe on its fd 1, as qmail-queue is; the message
 * streams from stdin through a buffer of SM_IOBUF octets.  If anything goes
 * wrong on our side the envelope is never written, so enqueue sees it end
 * early and queues nothing.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "fdio.h"
#include "sendmail.h"

static void
fd_close(int *fd)
{
	if (*fd != -1) {
		(void)close(*fd);
		*fd = -1;
	}
}

/* Streams the rest of the message; 0, 1 if enqueue went away, -1. */
static int
body_stream(const struct sm_run *run, int fd, int bol, char *err,
    size_t errsz)
{
	struct buf line;
	int r;

	buf_init(&line, SM_IOBUF);
	for (;;) {
		buf_reset(&line);
		r = input_line(run->in, &line, SM_IOBUF);
		if (r == 0)
			break;
		if (r == -1) {
			(void)snprintf(err, errsz, "cannot read the message: "
			    "%s", strerror(errno));
			buf_free(&line);
			return -1;
		}
		if (run->dot_rule && bol &&
		    input_is_dot(run->in, line.data, line.len))
			break;
		bol = line.data[line.len - 1] == '\n';
		if (fd_write_full(fd, line.data, line.len) == -1) {
			buf_free(&line);
			if (errno == EPIPE)
				return 1;
			(void)snprintf(err, errsz, "writing to enqueue: %s",
			    strerror(errno));
			return -1;
		}
	}
	buf_free(&line);
	return 0;
}

static void __attribute__((noreturn))
child_exec(const struct sm_run *run, int msgfd, int envfd, int statusfd)
{
	char *const argv[] = { "enqueue", "-C", (char *)run->confpath, NULL };
	int e;

	if (dup2(msgfd, 0) == -1 || dup2(envfd, 1) == -1 ||
	    signal(SIGPIPE, SIG_DFL) == SIG_ERR)
		goto fail;
	execv(run->program, argv);
fail:
	e = errno;
	(void)!write(statusfd, &e, sizeof(e));
	_exit(127);
}

int
enqueue_run(const struct sm_run *run, int *code, char *err, size_t errsz)
{
	int mp[2] = { -1, -1 }, ep[2] = { -1, -1 }, sp[2] = { -1, -1 };
	int status, e, broken = 0, bad = 0;
	const struct buf *head = run->head;
	ssize_t r;
	pid_t pid;

	if (pipe2(mp, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1 ||
	    pipe2(sp, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		(void)snprintf(err, errsz, "cannot start enqueue: %s",
		    strerror(errno));
		fd_close(&mp[0]); fd_close(&mp[1]); fd_close(&ep[0]);
		fd_close(&ep[1]); fd_close(&sp[0]); fd_close(&sp[1]);
		*code = EX_OSERR;
		return -1;
	}
	if (pid == 0)
		child_exec(run, mp[0], ep[0], sp[1]);
	fd_close(&mp[0]);
	fd_close(&ep[0]);
	fd_close(&sp[1]);
	do
		r = read(sp[0], &e, sizeof(e));
	while (r == -1 && errno == EINTR);
	fd_close(&sp[0]);
	if (r == (ssize_t)sizeof(e)) {
		fd_close(&mp[1]);
		fd_close(&ep[1]);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		(void)snprintf(err, errsz, "cannot run %s: %s", run->program,
		    strerror(e));
		*code = EX_UNAVAILABLE;
		return -1;
	}

	if (fd_write_full(mp[1], head->data, head->len) == -1) {
		if (errno == EPIPE)
			broken = 1;
		else {
			(void)snprintf(err, errsz, "writing to enqueue: %s",
			    strerror(errno));
			bad = 1;
		}
	}
	if (!broken && !bad && run->in != NULL) {
		r = body_stream(run, mp[1], head->len == 0 ||
		    head->data[head->len - 1] == '\n', err, errsz);
		broken = r == 1;
		bad = r == -1;
	}
	fd_close(&mp[1]);
	if (!broken && !bad &&
	    fd_write_full(ep[1], run->env->data, run->env->len) == -1) {
		if (errno != EPIPE) {
			(void)snprintf(err, errsz, "writing to enqueue: %s",
			    strerror(errno));
			bad = 1;
		}
	}
	fd_close(&ep[1]);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			(void)snprintf(err, errsz, "waitpid: %s",
			    strerror(errno));
			*code = EX_OSERR;
			return -1;
		}
	}
	if (bad) {
		/* enqueue saw the envelope end early and queued nothing. */
		*code = EX_IOERR;
		return -1;
	}
	if (WIFSIGNALED(status)) {
		(void)snprintf(err, errsz, "enqueue killed by signal %d",
		    WTERMSIG(status));
		*code = EX_TEMPFAIL;
		return -1;
	}
	return WEXITSTATUS(status);
}
