/*
 * local_command: delivery to a |command, as Postfix's local(8) and
 * pipe_command do it.  The local delivery child (already the recipient,
 * or an alias's owner or default_privs) forks the command, which gives
 * up the mbox spool's group for good, starts a session of its own (so
 * that a time-out kills it and everything it started), runs
 * `/bin/sh -c COMMAND` in the home directory (or / when that fails) with
 * umask 077, and gets on standard input the message after a From_ line,
 * Return-Path and Delivered-To, on standard output and error a pipe.
 *
 * Environment: only PATH=/usr/bin:/bin, TZ and LANG when lspawn has them,
 * and the message's context, Postfix's names: SENDER, RECIPIENT, LOCAL
 * (the local part), USER and LOGNAME (the local part without extension),
 * EXTENSION, DOMAIN, HOME and SHELL.  Every byte of the values that come
 * from the envelope that is not in Postfix's command_expansion_filter
 * (letters, digits, and !@%-_=+:,./) becomes '_', so that no quoting in
 * a .forward is needed to be safe.
 *
 * The command may run command_time_limit; then its session is killed
 * and the delivery bounces, as in Postfix.  Its exit status maps as
 * Postfix's does (sysexits(3): EX_TEMPFAIL and EX_OSERR are temporary,
 * the other codes 64-78 and any unknown code permanent; a signal is
 * temporary), except that output that begins with an enhanced status
 * code (4.x.x, 5.x.x) decides when the status is not 0.  The first
 * LOCAL_OUTPUT_MAX octets of its output go into the result text (so into
 * the bounce), tabs and line ends made blanks, other control bytes '_'.
 * A command that exits 0 without reading all of its input has the
 * message all the same (Postfix's rule).
 *
 * Trust: the command's output is anyone's: only printable text of it is
 * kept.
 */
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "local.h"
#include "lroute.h"

#define CMD_ENV_MAX	16
#define CMD_CHUNK	65536
#define CMD_SHOWN_MAX	100	/* octets of the command in a result */

/* Postfix's command_expansion_filter. */
static const char cmd_filter_ok[] = "1234567890!@%-_=+:,./"
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

static const struct {
	int		 code;
	const char	*dsn, *text;
} cmd_sysexits[] = {
	{ EX_USAGE,	  "5.3.0", "command line usage error" },
	{ EX_DATAERR,	  "5.6.0", "data format error" },
	{ EX_NOINPUT,	  "5.3.0", "cannot open input" },
	{ EX_NOUSER,	  "5.1.1", "user unknown" },
	{ EX_NOHOST,	  "5.1.2", "host name unknown" },
	{ EX_UNAVAILABLE, "5.3.0", "service unavailable" },
	{ EX_SOFTWARE,	  "5.3.0", "internal software error" },
	{ EX_OSERR,	  "4.3.0", "system resource problem" },
	{ EX_OSFILE,	  "5.3.0", "critical OS file missing" },
	{ EX_CANTCREAT,	  "5.2.0", "can't create user output file" },
	{ EX_IOERR,	  "5.3.0", "input/output error" },
	{ EX_TEMPFAIL,	  "4.3.0", "temporary failure" },
	{ EX_PROTOCOL,	  "5.5.0", "remote error in protocol" },
	{ EX_NOPERM,	  "5.7.0", "permission denied" },
	{ EX_CONFIG,	  "5.3.5", "local configuration error" },
};

/* fd_now_ms() is CLOCK_MONOTONIC in ms, as lspawn's deadlines. */
#define cmd_now_ms	fd_now_ms

/* "NAME=value" with the value filtered; NULL when out of memory. */
static char *
cmd_var(const char *name, const char *value, int filter)
{
	char	*s, *v;

	if (asprintf(&s, "%s=%s", name, value) == -1)
		return NULL;
	if (filter)
		for (v = s + strlen(name) + 1; *v != '\0'; v++)
			if (strchr(cmd_filter_ok, *v) == NULL)
				*v = '_';
	return s;
}

/* The command's environment (see the file's comment). */
static int
cmd_env(const struct local_job *lj, char **env)
{
	char		 local[LOCAL_PATH_MAX], user[LOCAL_PATH_MAX];
	const char	*at = strrchr(lj->rcpt, '@'), *ext = NULL, *v;
	size_t		 n = 0, ulen;
	char		 delim;

	(void)snprintf(local, sizeof(local), "%.*s", at != NULL ?
	    (int)(at - lj->rcpt) : (int)strlen(lj->rcpt), lj->rcpt);
	ulen = lroute_split(lj->conf, local, &ext, &delim);
	(void)snprintf(user, sizeof(user), "%.*s", (int)ulen, local);
	if (!lj->alias && lj->user[0] != '\0')
		(void)strlcpy(user, lj->user, sizeof(user));
	if (!lj->alias)
		ext = lj->ext;
	env[n++] = cmd_var("PATH", "/usr/bin:/bin", 0);
	env[n++] = cmd_var("HOME", lj->home, 0);
	env[n++] = cmd_var("SHELL", lj->shell[0] != '\0' ? lj->shell :
	    "/bin/sh", 0);
	env[n++] = cmd_var("USER", user, 1);
	env[n++] = cmd_var("LOGNAME", user, 1);
	env[n++] = cmd_var("LOCAL", local, 1);
	env[n++] = cmd_var("DOMAIN", at != NULL ? at + 1 : "", 1);
	env[n++] = cmd_var("EXTENSION", ext != NULL ? ext : "", 1);
	env[n++] = cmd_var("RECIPIENT", lj->rcpt, 1);
	env[n++] = cmd_var("SENDER", lj->sender, 1);
	if ((v = getenv("TZ")) != NULL)
		env[n++] = cmd_var("TZ", v, 0);
	if ((v = getenv("LANG")) != NULL)
		env[n++] = cmd_var("LANG", v, 0);
	env[n] = NULL;
	while (n-- > 0)
		if (env[n] == NULL)
			return -1;
	return 0;
}

/* The command's own process: never returns. */
static void __attribute__((noreturn))
cmd_exec(const struct local_job *lj, const char *command, int in, int out,
    char **env)
{
	static const char	 msg[] = "cannot execute /bin/sh\n";
	gid_t			 r, e, s;
	sigset_t		 all;
	int			 sig;

	/* the spool's group is the child's saved gid: gone for good here */
	if (setresgid(lj->gid, lj->gid, lj->gid) == -1 ||
	    getresgid(&r, &e, &s) == -1 || r != lj->gid || e != lj->gid ||
	    s != lj->gid)
		_exit(EX_OSERR);
	(void)setsid();
	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);
	(void)sigfillset(&all);
	(void)sigprocmask(SIG_UNBLOCK, &all, NULL);
	if (dup2(in, STDIN_FILENO) == -1 || dup2(out, STDOUT_FILENO) == -1 ||
	    dup2(out, STDERR_FILENO) == -1)
		_exit(EX_OSERR);
	closefrom(3);
	if (chdir(lj->home) == -1 && chdir("/") == -1)
		_exit(EX_OSERR);
	umask(077);
	execle("/bin/sh", "sh", "-c", command, (char *)NULL, env);
	(void)fd_write_full(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(EX_TEMPFAIL);
}

struct cmd_io {
	int		 in, out, msgfd, pidfd;
	char		 pending[CMD_CHUNK];	/* read, not yet written */
	size_t		 plen, poff;
	int		 msg_eof;
	char		 output[LOCAL_OUTPUT_MAX + 1];
	size_t		 olen;
};

/* Refills pending from the message; -1 on a read error. */
static int
cmd_fill(struct cmd_io *io)
{
	ssize_t	r;

	if (io->poff < io->plen || io->msg_eof)
		return 0;
	r = read(io->msgfd, io->pending, sizeof(io->pending));
	if (r == -1 && errno == EINTR)
		return 0;
	if (r == -1)
		return -1;
	if (r == 0)
		io->msg_eof = 1;
	io->plen = (size_t)r;
	io->poff = 0;
	return 0;
}

static void
cmd_close_in(struct cmd_io *io)
{
	if (io->in != -1)
		(void)close(io->in);
	io->in = -1;
}

static void
cmd_read_output(struct cmd_io *io)
{
	char	scratch[4096];
	ssize_t	r;

	for (;;) {
		if (io->olen < LOCAL_OUTPUT_MAX)
			r = read(io->out, io->output + io->olen,
			    LOCAL_OUTPUT_MAX - io->olen);
		else
			r = read(io->out, scratch, sizeof(scratch));
		if (r > 0) {
			if (io->olen < LOCAL_OUTPUT_MAX)
				io->olen += (size_t)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0 || (r == -1 && errno != EAGAIN)) {
			(void)close(io->out);
			io->out = -1;
		}
		return;
	}
}

/*
 * Feeds the command and reads its output until it exits (or its output
 * ends and it exits) or the deadline passes; 1 when it timed out.
 */
static int
cmd_run_io(struct cmd_io *io, pid_t pid, long long deadline, int *wstatus)
{
	struct pollfd	 pfd[3];
	long long	 left;
	ssize_t		 w;
	pid_t		 got;
	int		 n;

	for (;;) {
		got = waitpid(pid, wstatus, WNOHANG);
		if (got == pid) {
			if (io->out != -1)
				cmd_read_output(io);
			return 0;
		}
		if ((left = deadline - cmd_now_ms()) <= 0)
			return 1;
		if (io->in != -1 && cmd_fill(io) == -1)
			cmd_close_in(io);
		if (io->in != -1 && io->poff >= io->plen && io->msg_eof)
			cmd_close_in(io);
		n = 0;
		pfd[n].fd = io->in;
		pfd[n++].events = POLLOUT;
		pfd[n].fd = io->out;
		pfd[n++].events = POLLIN;
		pfd[n].fd = io->pidfd;
		pfd[n++].events = POLLIN;
		/* without a pidfd, look again every 100 ms */
		if (poll(pfd, (nfds_t)n, io->pidfd == -1 && left > 100 ? 100 :
		    (int)(left > 60000 ? 60000 : left)) == -1 && errno != EINTR)
			return 1;
		if (io->out != -1 && pfd[1].revents != 0)
			cmd_read_output(io);
		if (io->in != -1 && pfd[0].revents != 0) {
			w = write(io->in, io->pending + io->poff,
			    io->plen - io->poff);
			if (w > 0)
				io->poff += (size_t)w;
			else if (w == -1 && errno != EAGAIN && errno != EINTR)
				cmd_close_in(io);	/* EPIPE: it stopped */
		}
	}
}

/* The output as text for a result: blanks for tabs and line ends. */
static void
cmd_output_text(struct cmd_io *io)
{
	size_t	i;

	io->output[io->olen] = '\0';
	for (i = 0; i < io->olen; i++) {
		unsigned char c = (unsigned char)io->output[i];

		if (c == '\t' || c == '\n' || c == '\r')
			io->output[i] = ' ';
		else if (c < 0x20 || c == 0x7f)
			io->output[i] = '_';
	}
	while (io->olen > 0 && io->output[io->olen - 1] == ' ')
		io->output[--io->olen] = '\0';
}

/* 4 or 5 when output begins with an enhanced status code, else 0. */
static int
cmd_output_dsn(const char *o, size_t *len)
{
	size_t	i = 1, d;

	if ((o[0] != '4' && o[0] != '5') || o[1] != '.')
		return 0;
	for (d = 0; d < 2; d++) {
		size_t start = ++i;

		while (isdigit((unsigned char)o[i]) && i - start < 3)
			i++;
		if (i == start || (d == 0 && o[i] != '.'))
			return 0;
	}
	if (o[i] != '\0' && o[i] != ' ')
		return 0;
	*len = i;
	return o[0] - '0';
}

char
local_exit_status(int wstatus, int timed_out, const char *output,
    const char *command, struct local_result *res)
{
	const char	*sep = output[0] != '\0' ? ". Command output: " : "";
	size_t		 i, dlen;
	int		 code, cls;

	if (timed_out)
		return local_set(res, 'D', "5.3.0 command time limit exceeded: "
		    "\"%.*s\"%s%s", CMD_SHOWN_MAX, command, sep, output);
	if (WIFSIGNALED(wstatus))
		return local_set(res, 'Z', "4.3.0 command died with signal %d: "
		    "\"%.*s\"%s%s", WTERMSIG(wstatus), CMD_SHOWN_MAX, command,
		    sep, output);
	code = WEXITSTATUS(wstatus);
	if (code == 0)
		return local_set(res, 'K', "delivered to command: %.*s",
		    CMD_SHOWN_MAX, command);
	if ((cls = cmd_output_dsn(output, &dlen)) != 0)
		return local_set(res, cls == 4 ? 'Z' : 'D', "%s", output);
	for (i = 0; i < sizeof(cmd_sysexits) / sizeof(cmd_sysexits[0]); i++)
		if (cmd_sysexits[i].code == code)
			return local_set(res, cmd_sysexits[i].dsn[0] == '4' ?
			    'Z' : 'D', "%s %s%s%s", cmd_sysexits[i].dsn,
			    cmd_sysexits[i].text, sep, output);
	return local_set(res, 'D', "5.3.0 command died with status %d: "
	    "\"%.*s\"%s%s", code, CMD_SHOWN_MAX, command, sep, output);
}

void
local_command(const struct local_job *lj, const char *command, int msgfd,
    struct local_result *res)
{
	struct cmd_io	*io;
	char		*env[CMD_ENV_MAX];
	long long	 deadline;
	int		 in[2], out[2], wstatus = 0, timed_out, i, plen;
	pid_t		 pid;

	memset(env, 0, sizeof(env));
	if ((io = calloc(1, sizeof(*io))) == NULL ||
	    cmd_env(lj, env) == -1) {
		local_set(res, 'Z', "4.3.0 out of memory");
		goto done;
	}
	io->msgfd = msgfd;
	io->pidfd = -1;
	if ((plen = local_prefix(lj, 1, io->pending, sizeof(io->pending))) ==
	    -1 || lseek(msgfd, 0, SEEK_SET) == -1) {
		local_set(res, 'Z', "4.3.0 cannot prepare the message");
		goto done;
	}
	io->plen = (size_t)plen;
	if (pipe2(in, O_CLOEXEC) == -1) {
		local_set(res, 'Z', "4.3.0 pipe: %s", strerror(errno));
		goto done;
	}
	if (pipe2(out, O_CLOEXEC) == -1) {
		local_set(res, 'Z', "4.3.0 pipe: %s", strerror(errno));
		(void)close(in[0]);
		(void)close(in[1]);
		goto done;
	}
	if ((pid = fork()) == -1) {
		local_set(res, 'Z', "4.3.0 fork: %s", strerror(errno));
		(void)close(in[0]);
		(void)close(in[1]);
		(void)close(out[0]);
		(void)close(out[1]);
		goto done;
	}
	if (pid == 0)
		cmd_exec(lj, command, in[0], out[1], env);
	(void)close(in[0]);
	(void)close(out[1]);
	io->in = in[1];
	io->out = out[0];
	io->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	(void)fd_set_nonblock(io->in, 1);
	(void)fd_set_nonblock(io->out, 1);
	deadline = cmd_now_ms() + conf_int(lj->conf, "command_time_limit") *
	    1000;
	if (lj->deadline_ms != 0 && lj->deadline_ms < deadline)
		deadline = lj->deadline_ms;
	timed_out = cmd_run_io(io, pid, deadline, &wstatus);
	if (timed_out) {
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
		while (waitpid(pid, &wstatus, 0) == -1 && errno == EINTR)
			;
	}
	cmd_close_in(io);
	if (io->out != -1)
		(void)close(io->out);
	if (io->pidfd != -1)
		(void)close(io->pidfd);
	cmd_output_text(io);
	local_exit_status(wstatus, timed_out, io->output, command, res);
	if (res->status != 'K')
		local_log(lj, "to=<%s>: command \"%.*s\": %s", lj->rcpt,
		    CMD_SHOWN_MAX, command, res->text);
done:
	for (i = 0; i < CMD_ENV_MAX; i++)
		free(env[i]);
	free(io);
}
