/*
 * local_resubmit: forwarding from a ~/.forward.  As Postfix's local(8)
 * does through cleanup, the message is queued anew, as a message of its
 * own (each forwarding address then has its own delivery state, retries
 * and bounces), with "Delivered-To: RECIPIENT" put before it so that a
 * loop through .forward files, here or on another host, is seen and
 * bounced (local.c), and with the original envelope sender, so that a
 * failure of the forwarded copy goes back to whoever wrote the message.
 *
 * The local delivery child runs as the user, who cannot write the queue:
 * it runs program_dir/enqueue (set-uid to the queue's owner, the path of
 * every local user's mail into the queue) with the qmail-queue protocol,
 * so the new message records the user as its injector (enqueue's U
 * record) and gets every check enqueue makes of any local caller.  The
 * user's own process writes the envelope, but only the user's own mail
 * can be in it, and a user may queue any message with any sender through
 * sendmail anyway.
 *
 * Trust: enqueue's exit code, qmail-queue's meaning: 0 queued, 11-40
 * permanent, anything else temporary.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "local.h"
#include "qmail_env.h"
#include "queue_env.h"

#define RESUBMIT_CHUNK	65536

/* Writes "Delivered-To: RCPT" and the message to fd; -1 with errno. */
static int
resubmit_message(const struct local_job *lj, int fd, int msgfd)
{
	char	*chunk;
	ssize_t	 r;
	int	 rc = -1;

	if ((chunk = malloc(RESUBMIT_CHUNK)) == NULL)
		return -1;
	r = snprintf(chunk, RESUBMIT_CHUNK, "Delivered-To: %s\n", lj->rcpt);
	if (r < 0 || r >= RESUBMIT_CHUNK || lseek(msgfd, 0, SEEK_SET) == -1 ||
	    fd_write_full(fd, chunk, (size_t)r) == -1)
		goto done;
	for (;;) {
		r = read(msgfd, chunk, RESUBMIT_CHUNK);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto done;
		if (r == 0)
			break;
		if (fd_write_full(fd, chunk, (size_t)r) == -1)
			goto done;
	}
	rc = 0;
done:
	free(chunk);
	return rc;
}

/* Runs enqueue with the two pipes; its exit status, or -1. */
static int
resubmit_run(const struct local_job *lj, const struct buf *env, int msgfd)
{
	char		 path[LOCAL_PATH_MAX];
	char *const	 noenv[] = { NULL };
	int		 mp[2], ep[2], st, werr = 0;
	pid_t		 pid;

	if ((size_t)snprintf(path, sizeof(path), "%s/enqueue",
	    conf_str(lj->conf, "program_dir")) >= sizeof(path))
		return -1;
	if (pipe2(mp, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(ep, O_CLOEXEC) == -1) {
		(void)close(mp[0]);
		(void)close(mp[1]);
		return -1;
	}
	if ((pid = fork()) == -1) {
		(void)close(mp[0]);
		(void)close(mp[1]);
		(void)close(ep[0]);
		(void)close(ep[1]);
		return -1;
	}
	if (pid == 0) {
		/* the spool's group (a saved gid) is not for enqueue */
		if (setresgid(lj->gid, lj->gid, lj->gid) == -1 ||
		    dup2(mp[0], STDIN_FILENO) == -1 ||
		    dup2(ep[0], STDOUT_FILENO) == -1)
			_exit(QMAIL_EXIT_INTERNAL);
		closefrom(3);
		(void)signal(SIGPIPE, SIG_DFL);
		/* lspawn's own configuration, when it was read from a file */
		if (conf_path(lj->conf)[0] != '\0')
			execle(path, "enqueue", "-C", conf_path(lj->conf),
			    (char *)NULL, noenv);
		else
			execle(path, "enqueue", (char *)NULL, noenv);
		_exit(QMAIL_EXIT_INTERNAL);
	}
	(void)close(mp[0]);
	(void)close(ep[0]);
	/* enqueue reads all of fd 0 before fd 1 (the qmail-queue order) */
	if (resubmit_message(lj, mp[1], msgfd) == -1)
		werr = errno != 0 ? errno : EIO;
	if (close(mp[1]) == -1 && werr == 0)
		werr = errno;
	if (werr == 0 && fd_write_full(ep[1], env->data, env->len) == -1)
		werr = errno;
	if (close(ep[1]) == -1 && werr == 0)
		werr = errno;
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(st))
		return -1;
	if (werr != 0 && WEXITSTATUS(st) == 0)
		return -1;
	return WEXITSTATUS(st);
}

void
local_resubmit(const struct local_job *lj, char *const *address, size_t n,
    int msgfd, struct local_result *res)
{
	struct buf	 env;
	int		 code;

	buf_init(&env, (n + 1) * (QUEUE_ADDR_MAX + 2) + 8);
	if (qmail_env_encode(&env, lj->sender, (const char *const *)address,
	    n) == -1) {
		local_set(res, 'D', "5.3.0 cannot forward to the addresses of "
		    "the .forward: %s", strerror(errno));
		buf_free(&env);
		return;
	}
	code = resubmit_run(lj, &env, msgfd);
	buf_free(&env);
	if (code == QMAIL_EXIT_OK) {
		local_set(res, 'K', "forwarded to %zu address%s", n,
		    n == 1 ? "" : "es");
		local_log(lj, "to=<%s>: forwarded to %zu address%s, sender "
		    "<%s>", lj->rcpt, n, n == 1 ? "" : "es", lj->sender);
		return;
	}
	if (code > 0 && qmail_exit_permanent(code))
		local_set(res, 'D', "5.3.0 forwarding refused by the queue: %s",
		    qmail_exit_text(code));
	else
		local_set(res, 'Z', "4.3.0 cannot forward now: %s",
		    code == -1 ? "enqueue failed" : qmail_exit_text(code));
}
