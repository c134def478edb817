/*
 * enqueue_caller: what enqueue takes from its caller (enqueue_caller.h).
 * Trusts the kernel's word (AT_SECURE, /proc/self/exe, the owner and mode
 * of what it opened) and, for a set-id run, nothing of the caller's.
 *
 * The installed configuration of a set-id enqueue is facteur.conf in the
 * directory enqueue was executed from, when root owns that directory and
 * nobody else may write it (a copy of enqueue installed beside its
 * instance's configuration, as the tests and `make run` do), else
 * FACTEUR_CONF_DEFAULT; in either case a regular file of root's that
 * nobody else may write.  A file of the queue's owner is not enough: every
 * message body in the queue is such a file, with content its sender chose.
 */
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "enqueue_caller.h"
#include "log.h"
#include "qmail_env.h"
#include "queueid.h"

#define INSTALLED_NAME	"facteur.conf"	/* beside the executable */

void
enqueue_caller_init(struct enqueue_caller *c, int argc, char *argv[])
{
	const char	*e;
	int		 i;

	memset(c, 0, sizeof(*c));
	c->uid = getuid();
	c->setid = getauxval(AT_SECURE) != 0;
	c->trusted = !c->setid || c->uid == 0 || c->uid == geteuid();
	/* kept past clearenv; "" (refused, never ignored) if it cannot be */
	if ((e = getenv("FACTEUR_CONF")) != NULL && *e != '\0' &&
	    (c->conf_env = strdup(e)) == NULL)
		c->conf_env = "";
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			c->conf_arg = argv[++i];
		else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2] != '\0')
			c->conf_arg = argv[i] + 2;
		else if (strcmp(argv[i], "-i") == 0 && i + 1 < argc)
			c->wanted_id = argv[++i];
		else if (strcmp(argv[i], "-B") == 0)
			c->reserve = 1;
		/* others are ignored, as qmail-queue ignores them */
	}
	if (c->conf_arg != NULL && *c->conf_arg == '\0')
		c->conf_arg = NULL;
}

/* Signals: defaults, nothing blocked; the few enqueue must ignore. */
static int
caller_signals(int setid)
{
	static const int ignored[] = { SIGPIPE, SIGXFSZ };
	static const int stops[] = { SIGTSTP, SIGTTIN, SIGTTOU };
	sigset_t	 none;
	size_t		 i;
	int		 sig;

	if (setid)
		for (sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		return -1;
	/* A low RLIMIT_FSIZE makes write fail (EFBIG), not kill us. */
	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (signal(ignored[i], SIG_IGN) == SIG_ERR)
			return -1;
	/* The caller's terminal cannot stop us with queue files locked. */
	if (setid)
		for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
			if (signal(stops[i], SIG_IGN) == SIG_ERR)
				return -1;
	return 0;
}

int
enqueue_caller_clean(const struct enqueue_caller *c)
{
	struct rlimit	 none = { 0, 0 };
	uid_t		 euid = geteuid();
	gid_t		 egid = getegid();

	umask(077);
	closefrom(3);
	if (caller_signals(c->setid) == -1)
		return -1;
	if (!c->setid)
		return 0;
	if (clearenv() != 0 || chdir("/") == -1 ||
	    setrlimit(RLIMIT_CORE, &none) == -1)
		return -1;
	/*
	 * The caller's uid is recorded (c->uid); from here on it is no
	 * identity of ours, so the caller can no longer signal us.
	 */
	if (setresgid(egid, egid, egid) == -1 ||
	    setresuid(euid, euid, euid) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0) == -1)
		return -1;
	return 0;
}

/* A file root chose: regular, root's, nobody else may write it. */
static int
conf_is_roots(int fd)
{
	struct stat	 st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	    (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/*
 * The directory enqueue was executed from, when it is root's, nobody
 * else may write it and it holds this very executable (not a link some
 * user made to it elsewhere): its descriptor, or -1.
 */
static int
exe_dir_open(void)
{
	char		 exe[PATH_MAX], *slash;
	struct stat	 me, here, d;
	ssize_t		 n;
	int		 dfd;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return -1;
	exe[n] = '\0';
	if (exe[0] != '/' || (slash = strrchr(exe, '/')) == NULL ||
	    stat("/proc/self/exe", &me) == -1)
		return -1;
	*slash = '\0';
	if ((dfd = open(exe[0] == '\0' ? "/" : exe, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(dfd, &d) == -1 || d.st_uid != 0 ||
	    (d.st_mode & (S_IWGRP | S_IWOTH)) != 0 ||
	    fstatat(dfd, slash + 1, &here, AT_SYMLINK_NOFOLLOW) == -1 ||
	    here.st_dev != me.st_dev || here.st_ino != me.st_ino) {
		(void)close(dfd);
		return -1;
	}
	return dfd;
}

/*
 * Opens the installed configuration (above): its descriptor, with *name
 * set for messages; or -1, logged.
 */
static int
conf_installed_open(const char **name)
{
	int	 dfd, fd = -1;

	*name = FACTEUR_CONF_DEFAULT;
	if ((dfd = exe_dir_open()) != -1) {
		fd = openat(dfd, INSTALLED_NAME, O_RDONLY | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC);
		if (fd != -1 || errno != ENOENT)
			*name = INSTALLED_NAME " beside enqueue";
		(void)close(dfd);
	}
	if (fd == -1 && (fd = open(FACTEUR_CONF_DEFAULT, O_RDONLY |
	    O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) == -1) {
		log_warn("-: config %s", *name);
		return -1;
	}
	if (!conf_is_roots(fd)) {
		log_warnx("-: config %s: not a regular file of root's that "
		    "only root may write", *name);
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Whether path names the same file as the open fd. */
static int
conf_same(const char *path, int fd)
{
	struct stat	 a, b;

	return stat(path, &a) == 0 && fstat(fd, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int
enqueue_caller_conf(const struct enqueue_caller *c, char *path,
    size_t pathsz)
{
	const char	*name, *asked;
	int		 fd, n;

	if (c->trusted) {
		if (c->wanted_id != NULL && !queueid_valid(c->wanted_id))
			log_warnx("-: ignoring -i %s: not a queue ID",
			    c->wanted_id);
		asked = c->conf_arg != NULL ? c->conf_arg : c->conf_env;
		(void)strlcpy(path, conf_find_path(asked, 0), pathsz);
		return 0;
	}
	/* hints: the message is queued without them (a fresh ID, the reserve) */
	if (c->wanted_id != NULL)
		log_warnx("-: ignoring -i: a set-id enqueue takes it only from "
		    "root or the queue's owner, not from uid %lu",
		    (unsigned long)c->uid);
	if (c->reserve)
		log_warnx("-: ignoring -B: a set-id enqueue takes it only from "
		    "root or the queue's owner, not from uid %lu",
		    (unsigned long)c->uid);
	if ((fd = conf_installed_open(&name)) == -1)
		return QMAIL_EXIT_CONF;
	/* A caller may name the installed file (sendmail -C does), no other. */
	asked = c->conf_arg != NULL ? c->conf_arg : c->conf_env;
	if (asked != NULL && !conf_same(asked, fd)) {
		log_warnx("-: %s %s refused: a set-id enqueue run by uid %lu "
		    "reads only its installed configuration (%s)",
		    c->conf_arg != NULL ? "-C" : "FACTEUR_CONF",
		    *asked != '\0' ? asked : "(unreadable)",
		    (unsigned long)c->uid, name);
		(void)close(fd);
		return QMAIL_EXIT_CALLER;
	}
	/* read through the descriptor: the file cannot change in between */
	n = snprintf(path, pathsz, "/proc/self/fd/%d", fd);
	if (n < 0 || (size_t)n >= pathsz) {
		(void)close(fd);
		return QMAIL_EXIT_INTERNAL;
	}
	return 0;
}
