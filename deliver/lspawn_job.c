/*
 * lspawn_job: one local delivery job of lspawn.  Checks the values that
 * came from queued, looks the user up (users_file, then the system
 * accounts), refuses uid 0 and uids below first_valid_uid, opens the
 * message itself, and forks a child that becomes the user and delivers
 * in-process (lib/deliver_maildir.c, no exec) with the message on fd 0
 * and a pipe on fd 1 and 2.  Maps the child's exit status to K/Z/D.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver_maildir.h"
#include "fdio.h"
#include "log.h"
#include "queue_env.h"
#include "queueid.h"
#include "users.h"
#include "lspawn.h"

#define ID_NONE		((uid_t)-1)	/* users_file entry without a uid */
#define MAILDIR_PATH_MAX	4096

struct target {
	uid_t	uid;
	gid_t	gid;
	char	maildir[MAILDIR_PATH_MAX];
};

static int __attribute__((format(printf, 3, 4)))
result_set(struct job_result *res, char status, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	res->status = status;
	va_start(ap, fmt);
	n = vsnprintf(res->text, sizeof(res->text), fmt, ap);
	va_end(ap);
	if (n < 0)
		(void)strlcpy(res->text, "(unformattable text)",
		    sizeof(res->text));
	/* Truncation (n >= size) is fine: the text is capped by design. */
	log_sanitize(res->text, res->text, sizeof(res->text));
	return -1;
}

static int
field_ok(const char *s)
{
	return queue_value_ok(s, strlen(s));
}

/* 1 if s holds no control byte (a path from users_file and the config). */
static int
text_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Finds uid, gid and the Maildir of the job's user. */
static int
target_find(struct lspawn *ls, struct job *j, struct target *t,
    struct job_result *res)
{
	struct user_entry	 u;
	struct passwd		*pw;
	int			 r, n;

	if (j->user[0] == '\0' || strlen(j->user) > USER_NAME_MAX)
		return result_set(res, 'D', "5.1.1 no such user");
	r = users_lookup(ls->users_file, ls->system_users, j->user, &u);
	explicit_bzero(u.hash, sizeof(u.hash));	/* never needed here */
	if (r == -1)
		return result_set(res, 'Z', "4.3.0 cannot read the users table");
	if (r == 0)
		return result_set(res, 'D', "5.1.1 no such user");
	t->uid = u.uid;
	t->gid = u.gid;
	if (ls->root && (t->uid == ID_NONE || t->gid == (gid_t)ID_NONE)) {
		if (ls->virtual_user[0] == '\0')
			return result_set(res, 'D',
			    "5.3.0 no uid for user and no virtual_user");
		errno = 0;
		if ((pw = getpwnam(ls->virtual_user)) == NULL)
			return result_set(res, 'Z', "virtual_user %s "
			    "does not exist", ls->virtual_user);
		t->uid = pw->pw_uid;
		t->gid = pw->pw_gid;
	}
	/*
	 * The table's uid is checked whatever lspawn runs as: mail for uid 0
	 * or a system account is refused, never delivered as someone else.
	 */
	if (t->uid != ID_NONE) {
		if (t->uid == 0)
			return result_set(res, 'D', "5.7.1 refusing to deliver "
			    "as root; use an alias");
		if ((long long)t->uid < ls->first_valid_uid)
			return result_set(res, 'D',
			    "5.7.1 uid below first_valid_uid");
	}
	if (!ls->root) {
		t->uid = getuid();
		t->gid = getgid();
	}
	if (u.home[0] != '/')
		return result_set(res, 'D', "5.3.0 home directory is "
		    "not an absolute path");
	n = snprintf(t->maildir, sizeof(t->maildir), "%s/%s", u.home,
	    ls->maildir);
	if (n < 0 || (size_t)n >= sizeof(t->maildir))
		return result_set(res, 'D', "5.3.0 maildir path too long");
	if (!text_clean(t->maildir))
		return result_set(res, 'D', "5.3.0 maildir path has control bytes");
	return 0;
}

static void __attribute__((noreturn))
child_fail(const char *what)
{
	char	line[256];
	int	n;

	n = snprintf(line, sizeof(line), "lspawn: %s: %s\n", what,
	    strerror(errno));
	/* stderr: the job's pipe after dup2, lspawn's log before (never
	 * stdout, which is queued's result pipe until then) */
	if (n > 0 && (size_t)n < sizeof(line) &&
	    fd_write_full(STDERR_FILENO, line, (size_t)n) == -1) {
		/* lspawn reads the exit status anyway */
	}
	_exit(111);
}

/*
 * The child of one job: it becomes the recipient and delivers in-process
 * (lib/deliver_maildir.c), without an exec.  It drops what it inherited
 * from lspawn first: the users cache (password hashes), signal handlers,
 * every descriptor but the message and the pipe.  It never returns into
 * lspawn's loop: every path ends in _exit, so no atexit handler or stdio
 * buffer of lspawn runs twice.
 */
static void __attribute__((noreturn))
child_run(struct lspawn *ls, struct job *j, const struct target *t,
    int msgfd, int outfd)
{
	struct delivery	 d = { j->sender, j->rcpt, j->id, t->maildir };
	char		 text[DELIVER_TEXT_MAX + 1];
	sigset_t	 none;
	int		 code;

	users_cache_wipe();
	if (dup2(msgfd, STDIN_FILENO) == -1 ||
	    dup2(outfd, STDOUT_FILENO) == -1 ||
	    dup2(outfd, STDERR_FILENO) == -1)
		child_fail("dup2");
	closefrom(3);
	/* Not traceable or dumpable by the recipient (setuid clears it too). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		child_fail("prctl");
	if (signal(SIGPIPE, SIG_DFL) == SIG_ERR ||
	    signal(SIGCHLD, SIG_DFL) == SIG_ERR ||
	    signal(SIGHUP, SIG_DFL) == SIG_ERR ||
	    signal(SIGTERM, SIG_DFL) == SIG_ERR)
		child_fail("signal");
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		child_fail("sigprocmask");
	if (ls->root) {
		if (setgroups(1, &t->gid) == -1)
			child_fail("setgroups");
		if (setresgid(t->gid, t->gid, t->gid) == -1)
			child_fail("setresgid");
		if (setresuid(t->uid, t->uid, t->uid) == -1)
			child_fail("setresuid");
		if (getuid() != t->uid || geteuid() != t->uid ||
		    getgid() != t->gid || getegid() != t->gid)
			child_fail("ids not changed");
		if (setuid(0) != -1) {
			errno = EPERM;
			child_fail("uid 0 could be regained");
		}
	}
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
		errno = EPERM;
		child_fail("still dumpable");
	}
	umask(077);
	if (chdir("/") == -1)
		child_fail("chdir /");
	code = deliver_maildir(&d, STDIN_FILENO, text, sizeof(text));
	if (deliver_report(STDOUT_FILENO, text) == -1) {
		/* lspawn is gone or reads the exit status anyway */
	}
	_exit(code);
}

static int
message_open(struct lspawn *ls, struct job *j, struct job_result *res)
{
	char		path[32];
	struct stat	st;
	int		fd, n;

	n = snprintf(path, sizeof(path), "msg/%s", j->id);
	if (n < 0 || (size_t)n >= sizeof(path))
		return result_set(res, 'D', "invalid queue id");
	fd = openat(ls->qfd, path, O_RDONLY | O_NOFOLLOW | O_NOCTTY |
	    O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return result_set(res, 'Z', "cannot open message %s: %s",
		    j->id, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		return result_set(res, 'Z', "message %s is not a regular "
		    "file", j->id);
	}
	if (fd_set_nonblock(fd, 0) == -1) {
		(void)close(fd);
		return result_set(res, 'Z', "message %s: %s", j->id,
		    strerror(errno));
	}
	return fd;
}

int
job_start(struct lspawn *ls, struct job *j, struct job_result *res)
{
	struct target	 t;
	int		 msgfd, p[2];
	pid_t		 pid;

	if (!queueid_valid(j->id))
		return result_set(res, 'D', "invalid queue id");
	if (!field_ok(j->sender) || !field_ok(j->user) || !field_ok(j->ext))
		return result_set(res, 'D', "control bytes in a field");
	if (j->rcpt[0] == '\0' || !field_ok(j->rcpt))
		return result_set(res, 'D', "invalid recipient");
	if (target_find(ls, j, &t, res) == -1)
		return -1;
	if ((msgfd = message_open(ls, j, res)) == -1)
		return -1;
	if (pipe2(p, O_CLOEXEC) == -1) {
		(void)close(msgfd);
		return result_set(res, 'Z', "pipe: %s", strerror(errno));
	}
	if ((pid = fork()) == -1) {
		(void)close(msgfd);
		(void)close(p[0]);
		(void)close(p[1]);
		return result_set(res, 'Z', "fork: %s", strerror(errno));
	}
	if (pid == 0)
		child_run(ls, j, &t, msgfd, p[1]);
	if (close(msgfd) == -1 || close(p[1]) == -1)
		log_warn("%s: close", j->id);
	if (fd_set_nonblock(p[0], 1) == -1)
		log_warn("%s: nonblocking pipe", j->id);
	j->pid = pid;
	j->outfd = p[0];
	j->outlen = 0;
	log_debug("%s: started delivery pid %ld for %s as uid %lu",
	    j->id, (long)pid, j->user, (unsigned long)t.uid);
	return 0;
}

void
job_read_output(struct job *j)
{
	char	scratch[4096];
	ssize_t	r;

	while (j->outfd != -1) {
		if (j->outlen < LSPAWN_OUT_MAX)
			r = read(j->outfd, j->out + j->outlen,
			    LSPAWN_OUT_MAX - j->outlen);
		else
			r = read(j->outfd, scratch, sizeof(scratch));
		if (r > 0) {
			if (j->outlen < LSPAWN_OUT_MAX)
				j->outlen += (size_t)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			return;
		if (r == -1)
			log_warn("%s: reading deliver's output", j->id);
		if (close(j->outfd) == -1)
			log_warn("%s: close", j->id);
		j->outfd = -1;
	}
}

void
job_finish(struct job *j, int wstatus, struct job_result *res)
{
	size_t	n;
	char	*nl;

	job_read_output(j);
	j->out[j->outlen] = '\0';
	if ((nl = memchr(j->out, '\n', j->outlen)) != NULL)
		*nl = '\0';
	n = strlen(j->out);
	while (n > 0 && j->out[n - 1] == '\r')
		j->out[--n] = '\0';
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
		res->status = 'K';
	else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 100)
		res->status = 'D';
	else
		res->status = 'Z';
	if (n > 0)
		log_sanitize(res->text, j->out, sizeof(res->text));
	else if (WIFSIGNALED(wstatus))
		result_set(res, res->status, "deliver killed by signal %d",
		    WTERMSIG(wstatus));
	else
		result_set(res, res->status, "deliver exited %d",
		    WEXITSTATUS(wstatus));
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	if (j->outfd != -1 && close(j->outfd) == -1)
		log_warn("%s: close", j->id);
	free(j->frame);
	free(j);
}
