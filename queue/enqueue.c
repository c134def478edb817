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
 * this file keeps the program: the order of its start, the identity and
 * the exit code.  What a caller may choose (a set-id enqueue is run by
 * any local user: arguments, environment, descriptors, signals, limits)
 * is enqueue_caller.c's.  A refusal or failure is also written on fd 2.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf_log.h"
#include "enqueue_caller.h"
#include "fdio.h"
#include "log.h"
#include "qmail_env.h"
#include "queue_env.h"
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

static void
conf_error_log(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("-: config: %s", msg);
}

int
main(int argc, char *argv[])
{
	char			 confpath[PATH_MAX];
	struct enqueue_caller	 caller;
	struct queue_inject	 qi;
	struct queue		 queue;
	struct conf		*conf;
	int			 code;

	/* before anything is opened: no file of ours may become fd 0-2 */
	if (fd_ensure_std() == -1)
		return QMAIL_EXIT_INTERNAL;
	enqueue_caller_init(&caller, argc, argv);
	if (enqueue_caller_clean(&caller) == -1)
		return QMAIL_EXIT_INTERNAL;
	log_init("enqueue", 0);
	log_tee_stderr(1);	/* the caller sees why it failed */
	queue_inject_init(&qi);
	qi.uid = caller.uid;
	qi.timeout = ENQUEUE_TIMEOUT;

	if ((code = enqueue_caller_conf(&caller, confpath,
	    sizeof(confpath))) != 0)
		enqueue_exit(code, "not queued");
	if ((conf = conf_load(confpath, conf_error_log, NULL)) == NULL)
		enqueue_exit(QMAIL_EXIT_CONF, "cannot load config %s",
		    confpath);
	log_set_debug(conf_bool(conf, "log_debug"));
	(void)conf_log_open(conf);
	/* O_NOFOLLOW, owner and mode of queue_dir and every folder */
	if (queue_open(&queue, conf_str(conf, "queue_dir")) == -1)
		enqueue_exit(QMAIL_EXIT_QUEUE, "cannot use the queue %s",
		    conf_str(conf, "queue_dir"));
	/* Started as root: become the owner of the queue before any file. */
	if (geteuid() == 0 && queue_identity(&queue, NULL,
	    conf_str(conf, "queue_user")) == -1)
		enqueue_exit(QMAIL_EXIT_INTERNAL, "cannot take the identity "
		    "of the owner of %s", conf_str(conf, "queue_dir"));

	qi.queue = &queue;
	if (caller.trusted && caller.wanted_id != NULL &&
	    queueid_valid(caller.wanted_id))
		qi.wanted_id = caller.wanted_id;
	qi.reserve = caller.trusted && caller.reserve;
	/* queued's notices; a trusted writer (smtpd) may say smtp */
	qi.origin = qi.reserve ? QUEUE_ORIGIN_BOUNCE : QUEUE_ORIGIN_LOCAL;
	qi.trust_origin = caller.trusted;
	code = queue_inject(conf, &qi, 0, 1);
	queue_close(&queue);
	conf_free(conf);
	return code;
}
