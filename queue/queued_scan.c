/*
 * queued_scan: reading the queue directory.  scan_queue() takes every
 * committed envelope in env/ that queued does not hold yet (one readdir
 * and one tree lookup per entry, no stat); scan_orphans() removes what a
 * crash or a failed enqueue left behind: content without an envelope
 * (only once no enqueue holds its lock), envelopes being written for such
 * content, and stale state files.  Nothing committed is ever removed here:
 * an envelope without content is moved to corrupt/ by msg_load.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "queue_spare.h"
#include "queued.h"

/* 1 when sub/<id> exists, or when that cannot be told. */
static int
exists(const struct queue *qu, enum queue_sub sub, const char *id)
{
	struct queue_loc l;
	struct stat	 sb;

	if (queue_path(qu, sub, id, &l) == -1)
		return 1;
	if (fstatat(l.at, l.name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	/* unsure (EACCES, EIO...): say it exists, so nothing is removed */
	return errno == ENOENT ? 0 : 1;
}

/*
 * Locks msg/<id> without waiting: returns the fd holding the lock, -1 when
 * some enqueue holds it (or it cannot be opened), -2 when it is gone.
 */
static int
msg_lock(const struct queue *qu, const char *id)
{
	struct queue_loc l;
	int		 fd;

	if (queue_path(qu, QUEUE_MSG, id, &l) == -1)
		return -1;
	if ((fd = openat(l.at, l.name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1)
		return errno == ENOENT ? -2 : -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

static void
unlink_logged(const struct queue *qu, enum queue_sub sub, const char *name,
    const char *what)
{
	struct queue_loc l;

	if (queue_path(qu, sub, name, &l) == -1)
		return;
	if (unlinkat(l.at, l.name, 0) == -1) {
		if (errno != ENOENT)
			log_warn("unlink %s", l.path);
		return;
	}
	log_info("%s: removed %s (%s)", name, l.path, what);
}

static void
orphans_msg(struct queued *q)
{
	const struct queue *qu = &q->queue;
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	if ((d = queue_sub_opendir(qu, QUEUE_MSG)) == NULL) {
		log_warn("opendir %s", queue_sub_name(QUEUE_MSG));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!queueid_valid(de->d_name) ||
		    msg_find(q, de->d_name) != NULL ||
		    exists(qu, QUEUE_ENV, de->d_name))
			continue;
		if ((fd = msg_lock(qu, de->d_name)) < 0)
			continue;	/* an enqueue is writing it */
		/* the lock shows no enqueue is left; did it commit? */
		if (!exists(qu, QUEUE_ENV, de->d_name)) {
			unlink_logged(qu, QUEUE_TMP, de->d_name,
			    "orphan envelope");
			unlink_logged(qu, QUEUE_MSG, de->d_name,
			    "content without envelope");
		}
		(void)close(fd);
	}
	(void)closedir(d);
}

/*
 * A spare (lib/queue/queue_spare.h) left by a queue writer that died: an empty
 * file, removed once older than QUEUE_SPARE_MAX_AGE.  A live writer whose
 * spare goes creates the file itself.
 */
static void
spare_expire(const struct queue *qu, const char *name)
{
	struct queue_loc l;
	struct stat	 st;

	if (queue_path(qu, QUEUE_TMP, name, &l) == -1 ||
	    fstatat(l.at, l.name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode) ||
	    time(NULL) - st.st_mtime < QUEUE_SPARE_MAX_AGE)
		return;
	if (unlinkat(l.at, l.name, 0) == -1) {
		if (errno != ENOENT)
			log_warn("unlink %s", l.path);
		return;
	}
	log_debug("removed %s (an old spare)", l.path);
}

static void
orphans_tmp(const struct queue *qu)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	if ((d = queue_sub_opendir(qu, QUEUE_TMP)) == NULL) {
		log_warn("opendir %s", queue_sub_name(QUEUE_TMP));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, QUEUE_SPARE_PREFIX,
		    sizeof(QUEUE_SPARE_PREFIX) - 1) == 0) {
			spare_expire(qu, de->d_name);
			continue;
		}
		if (!queueid_valid(de->d_name))
			continue;
		if ((fd = msg_lock(qu, de->d_name)) == -1)
			continue;
		unlink_logged(qu, QUEUE_TMP, de->d_name, "orphan envelope");
		if (fd >= 0)
			(void)close(fd);
	}
	(void)closedir(d);
}

static void
orphans_state(struct queued *q)
{
	const struct queue *qu = &q->queue;
	struct dirent	*de;
	DIR		*d;

	if ((d = queue_sub_opendir(qu, QUEUE_STATE)) == NULL) {
		log_warn("opendir %s", queue_sub_name(QUEUE_STATE));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (!queueid_valid(de->d_name)) {
			/* a temporary file of an interrupted atomic_write */
			if (strncmp(de->d_name + strnlen(de->d_name,
			    QUEUEID_LEN), ".tmp.", 5) == 0)
				unlink_logged(qu, QUEUE_STATE, de->d_name,
				    "interrupted write");
			continue;
		}
		if (msg_find(q, de->d_name) != NULL ||
		    exists(qu, QUEUE_ENV, de->d_name))
			continue;
		unlink_logged(qu, QUEUE_STATE, de->d_name,
		    "state without envelope");
	}
	(void)closedir(d);
}

void
scan_orphans(struct queued *q)
{
	orphans_msg(q);
	orphans_tmp(&q->queue);
	orphans_state(q);
}

/*
 * Takes new envelopes.  With full set, also forgets messages that were
 * removed from env/ by someone else (facteurctl) while they waited.
 */
int
scan_queue(struct queued *q, int full)
{
	struct dirent	*de;
	struct qmsg	*m, *n;
	DIR		*d;
	size_t		 added = 0;

	if ((d = queue_sub_opendir(&q->queue, QUEUE_ENV)) == NULL) {
		log_warn("opendir %s", queue_sub_name(QUEUE_ENV));
		return -1;
	}
	if (full)
		RB_FOREACH(m, qmsg_ids, &q->msgs)
			m->seen = 0;
	q->scan_full = 0;
	while ((de = readdir(d)) != NULL) {
		if (!queueid_valid(de->d_name))
			continue;
		if ((m = msg_find(q, de->d_name)) != NULL) {
			m->seen = 1;
			continue;
		}
		if (q->nmsgs >= QUEUED_ACTIVE_MAX) {
			q->scan_full = 1;
			continue;
		}
		if (msg_load(q, de->d_name) == 0)
			added++;
	}
	(void)closedir(d);
	if (full) {
		RB_FOREACH_SAFE(m, qmsg_ids, &q->msgs, n) {
			if (m->seen || m->where != QM_WAIT || m->inflight > 0)
				continue;
			log_info("%s: removed from the queue by another "
			    "program", m->st.id);
			msg_forget(q, m);
		}
	}
	log_debug("scan%s: %zu new message(s), %zu held", full ? " (full)" :
	    "", added, q->nmsgs);
	return 0;
}
