/*
 * enqueue: the only writer into the queue.  Speaks qmail-queue's protocol,
 * so that qmail filters that exec qmail-queue can exec it: the message on
 * fd 0, the envelope on fd 1 (`F<sender>\0T<rcpt>\0...\0`), exit 0 once
 * the message is durable, 11-40 for a permanent refusal, anything else for
 * a temporary one (lib/qmail_env.h names the codes).
 *
 * Started by smtpd, sendmail and filters; runs as facteur-queue, either
 * installed set-uid to it or started by a parent that already runs as it.
 * Started as root, it takes the identity of the owner of queue_dir before
 * creating a file.  It trusts nothing it reads: the message is stored
 * byte for byte, the envelope is checked for length, count and control
 * bytes.  The caller's real uid goes into the envelope (U record).
 *
 * Writes, in this order (docs/queue.md has the crash table):
 *   msg/<id>  content (O_EXCL, locked until the commit), fsync
 *   tmp/<id>  envelope, fsync;  fsync(msg/)
 *   rename tmp/<id> -> env/<id> (the commit), fsync(env/)
 *   one byte into the trigger FIFO to wake queued.
 * Any failure before the rename removes tmp/<id> and msg/<id>.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "fdio.h"
#include "log.h"
#include "qmail_env.h"
#include "queue_env.h"
#include "queueid.h"

/* Total time allowed for reading the message and the envelope. */
#ifndef ENQUEUE_TIMEOUT
#define ENQUEUE_TIMEOUT		3600
#endif
#define ENQUEUE_ID_TRIES	100
#define ENQUEUE_IOBUF		65536
/* An encoded envelope: every record at its maximum, plus the fixed ones. */
#define ENQUEUE_ENV_MAX		((size_t)QUEUE_RCPT_MAX * (QUEUE_ADDR_MAX + 2) + \
				    QUEUE_ADDR_MAX + 256)

enum read_result { READ_DATA, READ_EOF, READ_ERROR, READ_TIMEOUT };

/* What must be removed if we fail before the commit. */
static char	enqueue_id[QUEUEID_LEN + 1] = "-";
static char	enqueue_msgpath[QUEUEID_LEN + 8];
static char	enqueue_tmppath[QUEUEID_LEN + 8];
static int	enqueue_have_msg, enqueue_have_tmp;
static struct timespec enqueue_deadline;

static void __attribute__((noreturn, format(printf, 2, 3)))
enqueue_exit(int code, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		(void)strlcpy(msg, "(message format error)", sizeof(msg));
	va_end(ap);
	if (enqueue_have_tmp && unlink(enqueue_tmppath) == -1)
		log_warn("%s: unlink %s", enqueue_id, enqueue_tmppath);
	if (enqueue_have_msg && unlink(enqueue_msgpath) == -1)
		log_warn("%s: unlink %s", enqueue_id, enqueue_msgpath);
	if (qmail_exit_permanent(code))
		log_info("%s: refused: %s (exit %d, %s)", enqueue_id, msg,
		    code, qmail_exit_text(code));
	else
		log_warnx("%s: failed: %s (exit %d, %s)", enqueue_id, msg,
		    code, qmail_exit_text(code));
	exit(code);
}

static int
errno_code(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
	case EIO:
		return QMAIL_EXIT_WRITE;
	case ENOMEM:
		return QMAIL_EXIT_NOMEM;
	default:
		return QMAIL_EXIT_QUEUE;
	}
}

static long long
ms_left(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		enqueue_exit(QMAIL_EXIT_INTERNAL, "clock_gettime: %s",
		    strerror(errno));
	return (long long)(enqueue_deadline.tv_sec - now.tv_sec) * 1000 +
	    (enqueue_deadline.tv_nsec - now.tv_nsec) / 1000000;
}

/* Reads what is there from fd, waiting at most until the deadline. */
static enum read_result
input_read(int fd, void *p, size_t n, size_t *got)
{
	struct pollfd pfd;
	long long left;
	ssize_t r;
	int pr;

	for (;;) {
		if ((left = ms_left()) <= 0)
			return READ_TIMEOUT;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		pr = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (pr == -1) {
			if (errno == EINTR)
				continue;
			return READ_ERROR;
		}
		if (pr == 0)
			continue;
		if ((r = read(fd, p, n)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return READ_ERROR;
		}
		if (r == 0)
			return READ_EOF;
		*got = (size_t)r;
		return READ_DATA;
	}
}

/*
 * A set-id enqueue takes a config file named by its caller (-C or
 * $FACTEUR_CONF) only if root or the effective user owns it and nobody
 * else may write it; the file is then opened once and read through
 * /proc/self/fd, so it cannot be swapped between the check and the read.
 */
static const char *
enqueue_conf_path(const char *explicit, char *pinned, size_t pinnedsz)
{
	const char *want;
	struct stat st;
	int fd, n;

	if (getuid() == geteuid() && getgid() == getegid())
		return conf_find_path(explicit, 1);
	want = explicit;
	if (want == NULL || *want == '\0')
		want = getenv("FACTEUR_CONF");
	if (want == NULL || *want == '\0')
		return FACTEUR_CONF_DEFAULT;
	fd = open(want, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warnx("-: ignoring config %s from the caller: not a file "
		    "owned by root or uid %u and writable by its owner only",
		    want, (unsigned)geteuid());
		if (fd != -1)
			(void)close(fd);
		return FACTEUR_CONF_DEFAULT;
	}
	n = snprintf(pinned, pinnedsz, "/proc/self/fd/%d", fd);
	if (n < 0 || (size_t)n >= pinnedsz)
		enqueue_exit(QMAIL_EXIT_INTERNAL, "config path too long");
	return pinned;
}

static void
conf_error_log(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("-: config: %s", msg);
}

/*
 * Started as root (by hand or by a root parent): become the owner of the
 * queue directory, so that every file we create belongs to it.
 */
static void
enqueue_drop_root(const struct conf *conf)
{
	struct passwd *pw;
	struct stat st;
	gid_t gid;
	uid_t uid;

	if (stat(".", &st) == -1)
		enqueue_exit(QMAIL_EXIT_QUEUE, "stat queue_dir: %s",
		    strerror(errno));
	if (st.st_uid == 0)
		return;		/* a root-owned queue (tests): stay as we are */
	uid = st.st_uid;
	gid = st.st_gid;
	if ((pw = getpwuid(uid)) != NULL) {
		gid = pw->pw_gid;
		if (strcmp(pw->pw_name, conf_str(conf, "queue_user")) != 0)
			log_warnx("-: queue_dir belongs to %s, not queue_user "
			    "%s", pw->pw_name, conf_str(conf, "queue_user"));
	}
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		enqueue_exit(QMAIL_EXIT_INTERNAL, "dropping root: %s",
		    strerror(errno));
	if (setuid(0) != -1)
		enqueue_exit(QMAIL_EXIT_INTERNAL, "root could be regained");
}

static void
path_set(char *dst, size_t n, const char *dir)
{
	int r = snprintf(dst, n, "%s/%s", dir, enqueue_id);

	if (r < 0 || (size_t)r >= n)
		enqueue_exit(QMAIL_EXIT_INTERNAL, "queue path too long");
}

/* Creates and locks msg/<id> under a fresh id; returns the descriptor. */
static int
msg_create(const char *wanted)
{
	struct stat st;
	int fd, tries;

	for (tries = 0; tries < ENQUEUE_ID_TRIES; tries++) {
		/* The caller's ID (-i) is used once, if free; then fresh ones. */
		if (tries == 0 && wanted != NULL)
			(void)strlcpy(enqueue_id, wanted, sizeof(enqueue_id));
		else
			queueid_new(enqueue_id);
		path_set(enqueue_msgpath, sizeof(enqueue_msgpath), "msg");
		fd = open(enqueue_msgpath, O_CREAT | O_EXCL | O_WRONLY |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1) {
			if (errno == EEXIST)
				continue;
			enqueue_exit(errno_code(errno), "create %s: %s",
			    enqueue_msgpath, strerror(errno));
		}
		enqueue_have_msg = 1;
		if (flock(fd, LOCK_EX) == -1)
			enqueue_exit(QMAIL_EXIT_QUEUE, "lock %s: %s",
			    enqueue_msgpath, strerror(errno));
		if (fstat(fd, &st) == -1)
			enqueue_exit(QMAIL_EXIT_QUEUE, "fstat %s: %s",
			    enqueue_msgpath, strerror(errno));
		if (st.st_nlink > 0)
			return fd;
		/* queued took it for an orphan before we locked it. */
		enqueue_have_msg = 0;
		(void)close(fd);
	}
	enqueue_exit(QMAIL_EXIT_QUEUE, "no free queue ID after %d tries",
	    ENQUEUE_ID_TRIES);
}

/* Copies fd 0 into msgfd; returns the size. */
static size_t
msg_copy(int msgfd, long long limit)
{
	static char iobuf[ENQUEUE_IOBUF];
	size_t got, total = 0;

	for (;;) {
		switch (input_read(0, iobuf, sizeof(iobuf), &got)) {
		case READ_EOF:
			if (fsync(msgfd) == -1)
				enqueue_exit(QMAIL_EXIT_WRITE, "fsync %s: %s",
				    enqueue_msgpath, strerror(errno));
			return total;
		case READ_TIMEOUT:
			enqueue_exit(QMAIL_EXIT_TIMEOUT, "message not read "
			    "within %d seconds", ENQUEUE_TIMEOUT);
		case READ_ERROR:
			enqueue_exit(QMAIL_EXIT_READ, "read message: %s",
			    strerror(errno));
		case READ_DATA:
			break;
		}
		if (got > (unsigned long long)limit - total)
			enqueue_exit(QMAIL_EXIT_TOO_BIG, "message larger than "
			    "message_size_limit %lld", limit);
		if (fd_write_full(msgfd, iobuf, got) == -1)
			enqueue_exit(errno_code(errno) == QMAIL_EXIT_QUEUE ?
			    QMAIL_EXIT_WRITE : errno_code(errno),
			    "write %s: %s", enqueue_msgpath, strerror(errno));
		total += got;
	}
}

/* Reads the envelope from fd 1 into e. */
static void
env_read(struct qmail_env *e)
{
	static char iobuf[ENQUEUE_IOBUF];
	enum qmail_env_status st;
	size_t got, used;

	for (;;) {
		switch (input_read(1, iobuf, sizeof(iobuf), &got)) {
		case READ_EOF:
			st = qmail_env_eof(e);
			break;
		case READ_TIMEOUT:
			enqueue_exit(QMAIL_EXIT_TIMEOUT, "envelope not read "
			    "within %d seconds", ENQUEUE_TIMEOUT);
		case READ_ERROR:
			enqueue_exit(QMAIL_EXIT_READ, "read envelope: %s",
			    strerror(errno));
		case READ_DATA:
		default:
			st = qmail_env_feed(e, iobuf, got, &used);
			break;
		}
		if (st == QMAIL_ENV_DONE)
			return;
		if (st == QMAIL_ENV_ERROR)
			enqueue_exit(e->code, "envelope: %s", e->why);
	}
}

/* Writes tmp/<id>: the envelope record file, fsynced and closed. */
static void
env_write(const struct qmail_env *e, uid_t ruid)
{
	struct queue_env qe;
	struct buf b;
	int fd;

	memset(&qe, 0, sizeof(qe));
	(void)strlcpy(qe.id, enqueue_id, sizeof(qe.id));
	qe.arrival = (long long)time(NULL);
	qe.uid = (long long)ruid;
	qe.sender = e->sender;
	qe.rcpt = e->rcpt;
	qe.nrcpt = e->nrcpt;
	buf_init(&b, ENQUEUE_ENV_MAX);
	if (queue_env_encode(&b, &qe) == -1)
		enqueue_exit(errno == ENOMEM ? QMAIL_EXIT_NOMEM :
		    QMAIL_EXIT_INTERNAL, "encode envelope: %s",
		    strerror(errno));
	path_set(enqueue_tmppath, sizeof(enqueue_tmppath), "tmp");
	fd = open(enqueue_tmppath, O_CREAT | O_TRUNC | O_WRONLY | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		enqueue_exit(errno_code(errno), "create %s: %s",
		    enqueue_tmppath, strerror(errno));
	enqueue_have_tmp = 1;
	if (fd_write_full(fd, b.data, b.len) == -1 || fsync(fd) == -1) {
		int saved = errno;

		(void)close(fd);
		enqueue_exit(QMAIL_EXIT_WRITE, "write %s: %s",
		    enqueue_tmppath, strerror(saved));
	}
	if (close(fd) == -1)
		enqueue_exit(QMAIL_EXIT_WRITE, "close %s: %s",
		    enqueue_tmppath, strerror(errno));
	buf_free(&b);
}

/* Wakes queued; it rescans on a timer anyway, so failures do not matter. */
static void
trigger_poke(void)
{
	struct stat st;
	int fd;

	fd = open("trigger", O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    write(fd, "", 1) == -1)
		log_debug("%s: trigger: %s", enqueue_id, strerror(errno));
	(void)close(fd);
}

/*
 * -C FILE: the config (see enqueue_conf_path for whom it is trusted).
 * -i ID: a queue ID the caller chose (smtpd puts it in the Received
 * header before the message exists); used when well formed and free.
 */
static const char *
args_conf(int argc, char *argv[], const char **wanted_id)
{
	const char *path = NULL;
	int i;

	*wanted_id = NULL;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2] != '\0')
			path = argv[i] + 2;
		else if (strcmp(argv[i], "-i") == 0 && i + 1 < argc &&
		    queueid_valid(argv[i + 1]))
			*wanted_id = argv[++i];
		else
			log_warnx("-: ignoring argument %s", argv[i]);
	}
	return path;
}

int
main(int argc, char *argv[])
{
	char pinned[64], envpath[QUEUEID_LEN + 8];
	struct qmail_env e;
	struct conf *conf;
	const char *confpath, *wanted_id;
	uid_t ruid = getuid();
	size_t size;
	int msgfd;

	if (fd_ensure_std() == -1)
		return QMAIL_EXIT_INTERNAL;
	umask(077);
	closefrom(3);
	log_init("enqueue", 0);
	/* A caller's low RLIMIT_FSIZE makes write fail (EFBIG), not kill us. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
		enqueue_exit(QMAIL_EXIT_INTERNAL, "signal: %s", strerror(errno));
	if (clock_gettime(CLOCK_MONOTONIC, &enqueue_deadline) == -1)
		enqueue_exit(QMAIL_EXIT_INTERNAL, "clock_gettime: %s",
		    strerror(errno));
	enqueue_deadline.tv_sec += ENQUEUE_TIMEOUT;

	confpath = enqueue_conf_path(args_conf(argc, argv, &wanted_id), pinned,
	    sizeof(pinned));
	if ((conf = conf_load(confpath, conf_error_log, NULL)) == NULL)
		enqueue_exit(QMAIL_EXIT_CONF, "cannot load config %s",
		    confpath);
	log_set_debug(conf_bool(conf, "log_debug"));
	if (chdir(conf_str(conf, "queue_dir")) == -1)
		enqueue_exit(QMAIL_EXIT_QUEUE, "chdir %s: %s",
		    conf_str(conf, "queue_dir"), strerror(errno));
	if (geteuid() == 0)
		enqueue_drop_root(conf);

	msgfd = msg_create(wanted_id);
	size = msg_copy(msgfd, conf_int(conf, "message_size_limit"));

	qmail_env_init(&e);
	env_read(&e);
	env_write(&e, ruid);
	if (fsync_dir("msg") == -1)
		enqueue_exit(QMAIL_EXIT_WRITE, "fsync msg/: %s",
		    strerror(errno));
	path_set(envpath, sizeof(envpath), "env");
	if (rename(enqueue_tmppath, envpath) == -1)
		enqueue_exit(QMAIL_EXIT_WRITE, "rename %s %s: %s",
		    enqueue_tmppath, envpath, strerror(errno));
	/* Committed: from here on the message is queued, nothing is undone. */
	enqueue_have_tmp = enqueue_have_msg = 0;
	if (fsync_dir("env") == -1) {
		/*
		 * The commit may not survive a crash.  Say "temporary
		 * failure": the sender retries, and at worst the message is
		 * delivered twice, never zero times.
		 */
		enqueue_exit(QMAIL_EXIT_WRITE, "fsync env/: %s (the message "
		    "stays queued)", strerror(errno));
	}
	if (close(msgfd) == -1)
		log_warn("%s: close %s", enqueue_id, enqueue_msgpath);
	trigger_poke();
	log_info("%s: from=<%s>, size=%zu, nrcpt=%zu, uid=%lld", enqueue_id,
	    e.sender, size, e.nrcpt, (long long)ruid);
	qmail_env_free(&e);
	conf_free(conf);
	return QMAIL_EXIT_OK;
}
