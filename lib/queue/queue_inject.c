/*
 * queue_inject: one message into the queue (the body of enqueue(8)), in
 * the order docs/queue.md gives: msg/<id> created O_EXCL and locked;
 * fsync(msg/), while the message is still coming; msg/<id> written,
 * fsynced; tmp/<id> created O_EXCL, written, fsynced, closed; rename
 * tmp/<id> -> env/<id> (the commit); fsync(env/);
 * unlock; poke the trigger FIFO.  Every failure before the commit removes
 * tmp/<id> and msg/<id>, logs, and becomes a QMAIL_EXIT_* code; nothing
 * exits here.  Callers and their duties: lib/queue/queue_inject.h.  It
 * trusts neither input: the message is stored byte for byte within
 * message_size_limit, the envelope is parsed by lib/queue/qmail_env.c.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "log.h"
#include "qmail_env.h"
#include "queue_env.h"
#include "queue_inject.h"
#include "queue_path.h"

#define INJECT_ID_TRIES		100
#define INJECT_IOBUF		65536
#define INJECT_TIMEOUT		3600
/* An encoded envelope: every record at its maximum, plus the fixed ones. */
#define INJECT_ENV_MAX		((size_t)QUEUE_RCPT_MAX * (QUEUE_ADDR_MAX + 2) + \
				    QUEUE_ADDR_MAX + 256)

enum read_result { READ_DATA, READ_EOF, READ_ERROR, READ_TIMEOUT, READ_CLOCK };

/* One injection: what must be removed if it fails before the commit. */
struct inject_run {
	struct queue_inject	*qi;
	struct queue_loc	 msg, tmp;
	int			 have_msg, have_tmp;
	/* said to the group commit that E5 and E7 will come (gsync) */
	int			 intend[QUEUE_NSUB];
	int			 msgfd;
	struct timespec		 deadline;
};

static char	inject_iobuf[INJECT_IOBUF];

void
queue_inject_init(struct queue_inject *qi)
{
	memset(qi, 0, sizeof(*qi));
	qi->queue = NULL;
	qi->wanted_id = NULL;
	qi->uid = getuid();
	qi->timeout = INJECT_TIMEOUT;
	qi->origin = QUEUE_ORIGIN_LOCAL;
	(void)strlcpy(qi->id, "-", sizeof(qi->id));
}

/*
 * The group commit: once the whole message is read, this writer will ask
 * for the fsync of env/ (E7) soon, and says so, so that a leader's fsync
 * may wait for it (lib/base/gsync.h).  msg/'s (E5) was asked for at E1.
 */
static void
inject_intend(struct inject_run *r)
{
	static const enum queue_sub subs[] = { QUEUE_ENV };
	size_t	 i;
	int	 fd;

	if (r->qi->gsync == NULL)
		return;
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if ((fd = r->qi->queue->subfd[subs[i]]) != -1 &&
		    gsync_intend(r->qi->gsync, fd) == 0)
			r->intend[subs[i]] = 1;
}

/* Drops what inject_intend said and no fsync consumed. */
static void
inject_unintend(struct inject_run *r)
{
	int	 i;

	for (i = 0; i < QUEUE_NSUB; i++)
		if (r->intend[i]) {
			gsync_cancel(r->qi->gsync, r->qi->queue->subfd[i]);
			r->intend[i] = 0;
		}
}

/*
 * E5, E7: the fsync of a folder, shared with the writers that commit at
 * the same time when there is a group commit.
 */
static int
inject_sub_sync(struct inject_run *r, enum queue_sub sub)
{
	int	 fd = r->qi->queue->subfd[sub];

	if (r->qi->gsync == NULL || fd == -1)
		return queue_sub_sync(r->qi->queue, sub);
	r->intend[sub] = 0;
	return gsync_dir(r->qi->gsync, fd, r->qi->window_ms);
}

/* Undoes what is not committed, logs as enqueue does, returns code. */
static int __attribute__((format(printf, 3, 4)))
inject_fail(struct inject_run *r, int code, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		(void)strlcpy(msg, "(message format error)", sizeof(msg));
	va_end(ap);
	inject_unintend(r);
	if (r->have_tmp && unlinkat(r->tmp.at, r->tmp.name, 0) == -1)
		log_warn("%s: unlink %s", r->qi->id, r->tmp.path);
	if (r->have_msg && unlinkat(r->msg.at, r->msg.name, 0) == -1)
		log_warn("%s: unlink %s", r->qi->id, r->msg.path);
	r->have_tmp = r->have_msg = 0;
	if (r->msgfd != -1) {
		(void)close(r->msgfd);
		r->msgfd = -1;
	}
	qmail_exit_log(r->qi->id, code, msg);
	return code;
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

/* Reads what is there from fd, waiting at most until the deadline. */
static enum read_result
input_read(const struct inject_run *r, int fd, size_t *got)
{
	struct timespec now;
	struct pollfd	pfd;
	long long	left;
	ssize_t		n;
	int		pr;

	for (;;) {
		if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
			return READ_CLOCK;
		left = (long long)(r->deadline.tv_sec - now.tv_sec) * 1000 +
		    (r->deadline.tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0)
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
		if ((n = read(fd, inject_iobuf, sizeof(inject_iobuf))) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return READ_ERROR;
		}
		if (n == 0)
			return READ_EOF;
		*got = (size_t)n;
		return READ_DATA;
	}
}

/*
 * The reserve: a share of the queue file system's blocks and inodes kept
 * free for the queue's own work (state files, bounces) and for the
 * deliveries that empty it.  0, or an exit code (QMAIL_EXIT_NOSPACE).
 */
static int
reserve_check(struct inject_run *r, const struct conf *conf)
{
	struct statvfs	 vfs;
	long long	 minb = conf_int(conf, "queue_minfree_blocks");
	long long	 mini = conf_int(conf, "queue_minfree_inodes");
	double		 freeb, freei;

	if (r->qi->reserve || (minb == 0 && mini == 0))
		return 0;
	if ((r->qi->queue->dirfd == AT_FDCWD ? statvfs(".", &vfs) :
	    fstatvfs(r->qi->queue->dirfd, &vfs)) == -1)
		return inject_fail(r, QMAIL_EXIT_QUEUE, "statvfs queue_dir: %s",
		    strerror(errno));
	freeb = vfs.f_blocks == 0 ? 100.0 :
	    100.0 * (double)vfs.f_bavail / (double)vfs.f_blocks;
	/* file systems without an inode count say f_files == 0 */
	freei = vfs.f_files == 0 ? 100.0 :
	    100.0 * (double)vfs.f_favail / (double)vfs.f_files;
	if (freeb < (double)minb)
		return inject_fail(r, QMAIL_EXIT_NOSPACE, "the queue's file "
		    "system has %.1f%% of its blocks free, below "
		    "queue_minfree_blocks (%lld%%)", freeb, minb);
	if (freei < (double)mini)
		return inject_fail(r, QMAIL_EXIT_NOSPACE, "the queue's file "
		    "system has %.1f%% of its inodes free, below "
		    "queue_minfree_inodes (%lld%%)", freei, mini);
	return 0;
}

/*
 * Reads fd to its end (or the deadline) and throws it away: a message
 * refused before it was read is still taken whole, so that its writer
 * (a session streaming into a pipe) sees the refusal as an exit code,
 * not as a broken pipe.
 */
static void
input_drain(const struct inject_run *r, int fd)
{
	size_t	 got;

	while (input_read(r, fd, &got) == READ_DATA)
		;
}

/* E1: creates and locks msg/<id> under a fresh id; 0 or an exit code. */
static int
msg_create(struct inject_run *r)
{
	struct stat	 st;
	int		 fd, tries;

	for (tries = 0; tries < INJECT_ID_TRIES; tries++) {
		/* The caller's ID is used once, if free; then fresh ones. */
		if (tries == 0 && r->qi->wanted_id != NULL)
			(void)strlcpy(r->qi->id, r->qi->wanted_id,
			    sizeof(r->qi->id));
		else
			queueid_new(r->qi->id);
		if (queue_path(r->qi->queue, QUEUE_MSG, r->qi->id,
		    &r->msg) == -1)
			return inject_fail(r, QMAIL_EXIT_INTERNAL,
			    "bad queue path");
		fd = -1;
		if (r->qi->spares != NULL) {
			/* a file made ahead, renamed to msg/<id> */
			fd = queue_spare_take(r->qi->queue, r->qi->spares,
			    QUEUE_SPARE_MSG, &r->msg);
			if (fd == -1 && errno == EEXIST)
				continue;
		}
		if (fd == -1)
			fd = openat(r->msg.at, r->msg.name, O_CREAT | O_EXCL |
			    O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1) {
			if (errno == EEXIST)
				continue;
			return inject_fail(r, errno_code(errno),
			    "create %s: %s", r->msg.path, strerror(errno));
		}
		r->have_msg = 1;
		r->msgfd = fd;
		if (flock(fd, LOCK_EX) == -1)
			return inject_fail(r, QMAIL_EXIT_QUEUE, "lock %s: %s",
			    r->msg.path, strerror(errno));
		if (fstat(fd, &st) == -1)
			return inject_fail(r, QMAIL_EXIT_QUEUE, "fstat %s: %s",
			    r->msg.path, strerror(errno));
		if (st.st_nlink > 0)
			return 0;
		/* queued took it for an orphan before we locked it. */
		r->have_msg = 0;
		r->msgfd = -1;
		(void)close(fd);
	}
	return inject_fail(r, QMAIL_EXIT_QUEUE,
	    "no free queue ID after %d tries", INJECT_ID_TRIES);
}

/* E2, E3: copies infd into msg/<id> and fsyncs it; 0 or an exit code. */
static int
msg_copy(struct inject_run *r, int infd, long long limit)
{
	size_t	 got = 0, total = 0;

	for (;;) {
		switch (input_read(r, infd, &got)) {
		case READ_EOF:
			inject_intend(r);
			if (fsync(r->msgfd) == -1)
				return inject_fail(r, QMAIL_EXIT_WRITE,
				    "fsync %s: %s", r->msg.path,
				    strerror(errno));
			r->qi->size = total;
			return 0;
		case READ_CLOCK:
			return inject_fail(r, QMAIL_EXIT_INTERNAL,
			    "clock_gettime: %s", strerror(errno));
		case READ_TIMEOUT:
			return inject_fail(r, QMAIL_EXIT_TIMEOUT, "message not "
			    "read within %d seconds", r->qi->timeout);
		case READ_ERROR:
			return inject_fail(r, QMAIL_EXIT_READ,
			    "read message: %s", strerror(errno));
		case READ_DATA:
			break;
		}
		if (got > (unsigned long long)limit - total)
			return inject_fail(r, QMAIL_EXIT_TOO_BIG, "message "
			    "larger than message_size_limit %lld", limit);
		if (fd_write_full(r->msgfd, inject_iobuf, got) == -1) {
			int	 code = errno_code(errno);

			return inject_fail(r, code == QMAIL_EXIT_QUEUE ?
			    QMAIL_EXIT_WRITE : code, "write %s: %s",
			    r->msg.path, strerror(errno));
		}
		total += got;
	}
}

/* Reads the envelope from infd into e; 0 or an exit code. */
/*
 * After the envelope's empty record, the extension (if any) comes at
 * once: facteur's writers write both in one go.  A qmail-queue writer
 * that keeps fd 1 open until enqueue exits (qmail-queue reads no further
 * than the empty record) gets no more than this wait, not a deadlock.
 */
#define ENV_TAIL_WAIT_MS	500

/* 1 when input comes on fd within ENV_TAIL_WAIT_MS (or it ends), else 0. */
static int
env_tail_wait(int fd)
{
	struct pollfd	 pfd;
	int		 pr;

	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	while ((pr = poll(&pfd, 1, ENV_TAIL_WAIT_MS)) == -1 && errno == EINTR)
		;
	return pr != 0;
}

static int
env_read(struct inject_run *r, int infd, struct qmail_env *e)
{
	enum qmail_env_status	 st;
	size_t			 got = 0, used;

	for (;;) {
		if (e->part == QMAIL_PART_TAIL && e->rec.len == 0 &&
		    !env_tail_wait(infd)) {
			st = qmail_env_eof(e);	/* whole, no extension */
			if (st == QMAIL_ENV_DONE)
				return 0;
			return inject_fail(r, e->code, "envelope: %s", e->why);
		}
		switch (input_read(r, infd, &got)) {
		case READ_EOF:
			st = qmail_env_eof(e);
			break;
		case READ_CLOCK:
			return inject_fail(r, QMAIL_EXIT_INTERNAL,
			    "clock_gettime: %s", strerror(errno));
		case READ_TIMEOUT:
			return inject_fail(r, QMAIL_EXIT_TIMEOUT, "envelope "
			    "not read within %d seconds", r->qi->timeout);
		case READ_ERROR:
			return inject_fail(r, QMAIL_EXIT_READ,
			    "read envelope: %s", strerror(errno));
		case READ_DATA:
		default:
			st = qmail_env_feed(e, inject_iobuf, got, &used);
			break;
		}
		if (st == QMAIL_ENV_DONE)
			return 0;
		if (st == QMAIL_ENV_ERROR)
			return inject_fail(r, e->code, "envelope: %s", e->why);
	}
}

/*
 * E4: creates tmp/<id>, O_EXCL (or renames the writer's spare there,
 * never over a file).  A tmp/<id> that exists already is stale: msg/<id>,
 * created O_EXCL and locked, shows that no live enqueue owns this ID (a
 * crash of queued's recovery between its two unlinks can leave one).  It
 * is removed, once.  The descriptor, or -1 with errno.
 */
static int
env_create(struct inject_run *r)
{
	int	 fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = -1;
		if (r->qi->spares != NULL)
			fd = queue_spare_take(r->qi->queue, r->qi->spares,
			    QUEUE_SPARE_ENV, &r->tmp);
		if (fd == -1 && (errno != EEXIST || r->qi->spares == NULL))
			fd = openat(r->tmp.at, r->tmp.name, O_CREAT | O_EXCL |
			    O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST || tries > 0)
			return fd;
		log_warnx("%s: removing a stale %s", r->qi->id, r->tmp.path);
		if (unlinkat(r->tmp.at, r->tmp.name, 0) == -1 &&
		    errno != ENOENT)
			return -1;
	}
	return -1;
}

/* E4: writes tmp/<id>, fsynced and closed; 0 or an exit code. */
static int
env_write(struct inject_run *r, const struct qmail_env *e)
{
	struct queue_env qe;
	struct buf	 b;
	int		 fd, saved;

	memset(&qe, 0, sizeof(qe));
	(void)strlcpy(qe.id, r->qi->id, sizeof(qe.id));
	qe.arrival = (long long)time(NULL);
	qe.uid = (long long)r->qi->uid;
	qe.sender = e->sender;
	qe.rcpt = e->rcpt;
	qe.nrcpt = e->nrcpt;
	qe.origin = r->qi->origin;
	if (r->qi->trust_origin && e->origin != QUEUE_ORIGIN_NONE)
		qe.origin = e->origin;
	qe.ret = e->ret;
	qe.envid = e->envid;
	qe.notify = e->notify;
	qe.orcpt = e->orcpt;
	buf_init(&b, INJECT_ENV_MAX);
	if (queue_env_encode(&b, &qe) == -1) {
		saved = errno;
		buf_free(&b);
		return inject_fail(r, saved == ENOMEM ? QMAIL_EXIT_NOMEM :
		    QMAIL_EXIT_INTERNAL, "encode envelope: %s",
		    strerror(saved));
	}
	if (queue_path(r->qi->queue, QUEUE_TMP, r->qi->id, &r->tmp) == -1) {
		buf_free(&b);
		return inject_fail(r, QMAIL_EXIT_INTERNAL, "bad queue path");
	}
	if ((fd = env_create(r)) == -1) {
		saved = errno;
		buf_free(&b);
		return inject_fail(r, errno_code(saved), "create %s: %s",
		    r->tmp.path, strerror(saved));
	}
	r->have_tmp = 1;
	if (fd_write_full(fd, b.data, b.len) == -1 || fsync(fd) == -1) {
		saved = errno;
		(void)close(fd);
		buf_free(&b);
		return inject_fail(r, QMAIL_EXIT_WRITE, "write %s: %s",
		    r->tmp.path, strerror(saved));
	}
	buf_free(&b);
	if (close(fd) == -1)
		return inject_fail(r, QMAIL_EXIT_WRITE, "close %s: %s",
		    r->tmp.path, strerror(errno));
	return 0;
}

/* E8: wakes queued; it rescans on a timer anyway, so failures do not matter. */
static void
trigger_poke(const struct inject_run *r)
{
	int	 fd;

	if ((fd = queue_trigger_open(r->qi->queue, O_WRONLY)) == -1)
		return;
	if (write(fd, "", 1) == -1)
		log_debug("%s: trigger: %s", r->qi->id, strerror(errno));
	(void)close(fd);
}

/* E6, E7 and E8; 0 or an exit code. */
static int
inject_commit(struct inject_run *r)
{
	struct queue_loc env;

	if (queue_path(r->qi->queue, QUEUE_ENV, r->qi->id, &env) == -1)
		return inject_fail(r, QMAIL_EXIT_INTERNAL, "bad queue path");
	if (renameat(r->tmp.at, r->tmp.name, env.at, env.name) == -1)
		return inject_fail(r, QMAIL_EXIT_WRITE, "rename %s %s: %s",
		    r->tmp.path, env.path, strerror(errno));
	/* Committed: from here on the message is queued, nothing is undone. */
	r->have_tmp = r->have_msg = 0;
	if (inject_sub_sync(r, QUEUE_ENV) == -1) {
		/*
		 * The commit may not survive a crash.  Say "temporary
		 * failure": the sender retries, and at worst the message is
		 * delivered twice, never zero times.
		 */
		return inject_fail(r, QMAIL_EXIT_WRITE, "fsync env/: %s (the "
		    "message stays queued)", strerror(errno));
	}
	if (close(r->msgfd) == -1)
		log_warn("%s: close %s", r->qi->id, r->msg.path);
	r->msgfd = -1;
	trigger_poke(r);
	return 0;
}

int
queue_inject(const struct conf *conf, struct queue_inject *qi, int msgfd,
    int envfd)
{
	struct inject_run	 r;
	struct qmail_env	 e;
	int			 code;

	memset(&r, 0, sizeof(r));
	r.qi = qi;
	r.msgfd = -1;
	if (qi->queue == NULL) {
		log_warnx("queue_inject: no queue");
		return QMAIL_EXIT_INTERNAL;
	}
	(void)strlcpy(qi->id, "-", sizeof(qi->id));
	qi->size = qi->nrcpt = 0;
	if (clock_gettime(CLOCK_MONOTONIC, &r.deadline) == -1)
		return inject_fail(&r, QMAIL_EXIT_INTERNAL,
		    "clock_gettime: %s", strerror(errno));
	r.deadline.tv_sec += qi->timeout;

	if ((code = reserve_check(&r, conf)) != 0) {
		input_drain(&r, msgfd);
		input_drain(&r, envfd);
		return code;
	}
	if ((code = msg_create(&r)) != 0)
		return code;
	/*
	 * E5 at once: msg/<id>'s entry is made durable while the client is
	 * still sending, not after the last byte, one fsync fewer between
	 * the end of the data and the 250 (docs/queue.md)
	 */
	if (inject_sub_sync(&r, QUEUE_MSG) == -1)
		return inject_fail(&r, QMAIL_EXIT_WRITE, "fsync msg/: %s",
		    strerror(errno));
	if ((code = msg_copy(&r, msgfd, conf_int(conf,
	    "message_size_limit"))) != 0)
		return code;
	qmail_env_init(&e);
	if ((code = env_read(&r, envfd, &e)) == 0 &&
	    (code = env_write(&r, &e)) == 0 &&
	    (code = inject_commit(&r)) == 0) {
		qi->nrcpt = e.nrcpt;
		if (qi->origin == QUEUE_ORIGIN_LOCAL && !(qi->trust_origin &&
		    e.origin == QUEUE_ORIGIN_SMTP))
			log_info_as("pickup", "%s: uid=%lld from=<%s>", qi->id,
			    (long long)qi->uid, e.sender);
		log_info("%s: from=<%s>, size=%zu, nrcpt=%zu, uid=%lld",
		    qi->id, e.sender, qi->size, e.nrcpt, (long long)qi->uid);
	}
	qmail_env_free(&e);
	return code;
}
