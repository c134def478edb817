/*
 * enqueue: the only writer into the queue.  Speaks qmail-queue's protocol,
 * so that qmail filters that exec qmail-queue can exec it: the message on
 * fd 0, the envelope on fd 1 (`F<sender>\0T<rcpt>\0...\0`), exit 0 once
 * the message is durable, 11-40 for a permanent refusal, anything else for
 * a temporary one (lib/queue/qmail_env.h names the codes).
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
 * Any failure before the rename removes tmp/<id> and msg/<id>.  That work
 * is lib/queue/queue_inject.c (the smtpd monitor calls it without an exec);
 * this file keeps the program: arguments, the config and whom to trust
 * for it, the identity, and the exit code.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "log.h"
#include "qmail_env.h"
#include "queue_inject.h"
#include "queue_owner.h"
#include "queue_path.h"
#include "queueid.h"

/* Total time allowed for reading the message and the envelope. */
#ifndef ENQUEUE_TIMEOUT
#define ENQUEUE_TIMEOUT		3600
#endif

static void __attribute__((noreturn, format(printf, 2, 3)))
enqueue_exit(int code, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		(void)strlcpy(msg, "(message format error)", sizeof(msg));
	va_end(ap);
	qmail_exit_log("-", code, msg);
	exit(code);
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
	char			 pinned[64];
	struct queue_inject	 qi;
	struct queue		 queue;
	struct conf		*conf;
	const char		*confpath, *wanted_id;
	int			 code;

	if (fd_ensure_std() == -1)
		return QMAIL_EXIT_INTERNAL;
	umask(077);
	closefrom(3);
	log_init("enqueue", 0);
	queue_inject_init(&qi);		/* the real uid, before any change */
	qi.timeout = ENQUEUE_TIMEOUT;
	/* A caller's low RLIMIT_FSIZE makes write fail (EFBIG), not kill us. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
		enqueue_exit(QMAIL_EXIT_INTERNAL, "signal: %s", strerror(errno));

	confpath = enqueue_conf_path(args_conf(argc, argv, &wanted_id), pinned,
	    sizeof(pinned));
	if ((conf = conf_load(confpath, conf_error_log, NULL)) == NULL)
		enqueue_exit(QMAIL_EXIT_CONF, "cannot load config %s",
		    confpath);
	log_set_debug(conf_bool(conf, "log_debug"));
	if (queue_open(&queue, conf_str(conf, "queue_dir")) == -1)
		enqueue_exit(QMAIL_EXIT_QUEUE, "open %s: %s",
		    conf_str(conf, "queue_dir"), strerror(errno));
	/* Started as root: become the owner of the queue before any file. */
	if (geteuid() == 0 && queue_identity(&queue, NULL,
	    conf_str(conf, "queue_user")) == -1)
		enqueue_exit(QMAIL_EXIT_INTERNAL, "cannot take the identity "
		    "of the owner of %s", conf_str(conf, "queue_dir"));

	qi.queue = &queue;
	qi.wanted_id = wanted_id;
	code = queue_inject(conf, &qi, 0, 1);
	queue_close(&queue);
	conf_free(conf);
	return code;
}
