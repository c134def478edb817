/*
 * queue_free: finished queue files kept for reuse (queue_free.h).  Every
 * file is reached through lib/queue/queue_path.h.
 *
 * Trust: free/ is the queue owner's alone; a file is still checked
 * (regular, one link, ours) and emptied before it is handed on.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "queue_free.h"
#include "queueid.h"

/* Files in free/, counted up to QUEUE_FREE_MAX; -1 on error. */
static long
free_count(const struct queue *q)
{
	DIR		*d;
	struct dirent	*de;
	long		 n = 0;

	if ((d = queue_sub_opendir(q, QUEUE_FREE)) == NULL)
		return -1;
	while (n < QUEUE_FREE_MAX && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return n;
}

void
queue_free_init(struct queue_free_pool *p)
{
	memset(p, 0, sizeof(*p));
	p->release_fd = -1;
	p->handout_fd = -1;
}

/* 1 when fd is a FIFO of ours with one link. */
static int
free_fifo_ok(int fd)
{
	struct stat	 st;

	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    st.st_uid == geteuid() && st.st_nlink == 1;
}

int
queue_free_handout_open(const struct queue *q, struct queue_free_pool *p)
{
	struct queue_loc l;
	int		 fd;

	if (queue_path(q, QUEUE_FREE, QUEUE_FREE_HANDOUT, &l) == -1)
		return -1;
	if (mkfifoat(l.at, l.name, 0600) == -1 && errno != EEXIST) {
		log_warn("%s", l.path);
		return -1;
	}
	/* read and write: it never blocks, and what it holds stays */
	if ((fd = openat(l.at, l.name, O_RDWR | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		log_warn("%s", l.path);
		return -1;
	}
	if (!free_fifo_ok(fd)) {
		log_warnx("%s: not a FIFO of the queue's owner; names are not "
		    "handed out", l.path);
		(void)close(fd);
		return -1;
	}
	p->handout_fd = fd;
	return 0;
}

/* Hands the released name out; a full FIFO leaves it to readdir. */
static void
free_handout(const struct queue_free_pool *p, const char *name)
{
	char	 rec[QUEUE_FREE_NAME_MAX];

	if (p->handout_fd == -1)
		return;
	memset(rec, 0, sizeof(rec));
	(void)strlcpy(rec, name, sizeof(rec));
	if (write(p->handout_fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec))
		return;		/* full: a writer finds it in free/ */
}

/* Appends name to the names waiting for their release. */
static void
free_pending_add(struct queue_free_pool *p, const char *name,
    long long now_ms)
{
	(void)strlcpy(p->pending[p->npending], name, QUEUE_FREE_NAME_MAX);
	if (p->npending++ == 0)
		p->first_ms = now_ms;
}

/*
 * Hands free/<name> to the releaser; when the pipe takes no more (full:
 * the releaser lags; closed: it died, and queued is told by SIGCHLD),
 * the file is removed as it would have been without a pool.
 */
static void
free_send(const struct queue_loc *dst, int fd, const char *name)
{
	char	 line[QUEUE_FREE_NAME_MAX + 1];
	size_t	 len;

	len = strlcpy(line, name, sizeof(line) - 1);
	line[len++] = '\n';
	if (write(fd, line, len) != (ssize_t)len)
		(void)unlinkat(dst->at, dst->name, 0);
}

int
queue_free_put(const struct queue *q, struct queue_free_pool *p,
    enum queue_sub sub, const char *id, char tag, long long now_ms)
{
	struct queue_loc src, dst;
	char		 name[QUEUE_FREE_NAME_MAX];
	long		 n;

	if (queue_path(q, sub, id, &src) == -1)
		return -1;
	if ((size_t)snprintf(name, sizeof(name), "%s.%c~", id, tag) >=
	    sizeof(name) || queue_path(q, QUEUE_FREE, name, &dst) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (p->since_count++ % QUEUE_FREE_RECOUNT == 0) {
		n = free_count(q);
		p->full = n == -1 || n >= QUEUE_FREE_MAX;
	}
	/* the release lags: the file goes as it went before the pool */
	if (p->full || (p->release_fd == -1 &&
	    p->npending == QUEUE_FREE_PENDING))
		return unlinkat(src.at, src.name, 0);
	if (renameat2(src.at, src.name, dst.at, dst.name,
	    RENAME_NOREPLACE) == -1) {
		if (errno == ENOENT)
			return -1;
		return unlinkat(src.at, src.name, 0);
	}
	if (p->release_fd != -1)
		free_send(&dst, p->release_fd, name);
	else
		free_pending_add(p, name, now_ms);
	return 0;
}

int
queue_free_note(struct queue_free_pool *p, const char *name,
    long long now_ms)
{
	char	 id[QUEUEID_LEN + 1];
	size_t	 len = strlen(name);

	/* "<queue ID>.<letter>~", nothing else */
	if (len != QUEUEID_LEN + 3 || name[len - 1] != '~' ||
	    name[len - 3] != '.' || !isalpha((unsigned char)name[len - 2])) {
		errno = EINVAL;
		return -1;
	}
	memcpy(id, name, QUEUEID_LEN);
	id[QUEUEID_LEN] = '\0';
	if (!queueid_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	if (p->npending == QUEUE_FREE_PENDING) {
		errno = ENOSPC;
		return -1;
	}
	free_pending_add(p, name, now_ms);
	return 0;
}

int
queue_free_due(const struct queue_free_pool *p, long long now_ms)
{
	return p->npending > p->head && (p->durable > p->head ||
	    p->npending >= QUEUE_FREE_PENDING / 2 ||
	    now_ms - p->first_ms >= 1000);
}

/*
 * Empties free/<name>~ and renames it to free/<name>, where a taker finds
 * it; a file that is not a plain one of ours is removed instead.
 */
static void
free_release_one(const struct queue *q, const struct queue_free_pool *p,
    const char *pending, int durable)
{
	struct queue_loc src, dst;
	struct stat	 st;
	char		 name[QUEUE_FREE_NAME_MAX];
	size_t		 len;
	int		 fd = -1;

	if (queue_path(q, QUEUE_FREE, pending, &src) == -1)
		return;
	len = strlcpy(name, pending, sizeof(name));
	name[len - 1] = '\0';		/* without the '~' */
	if (!durable || queue_path(q, QUEUE_FREE, name, &dst) == -1 ||
	    (fd = openat(src.at, src.name, O_WRONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1 || st.st_uid != geteuid() ||
	    ftruncate(fd, 0) == -1 ||
	    renameat2(src.at, src.name, dst.at, dst.name,
	    RENAME_NOREPLACE) == -1)
		(void)unlinkat(src.at, src.name, 0);
	else
		free_handout(p, name);
	if (fd != -1)
		(void)close(fd);
}

void
queue_free_release(const struct queue *q, struct queue_free_pool *p,
    size_t max)
{
	size_t	 done = 0;
	int	 durable = 1;

	if (p->durable <= p->head) {
		durable = queue_sub_sync(q, QUEUE_ENV) == 0 &&
		    queue_sub_sync(q, QUEUE_MSG) == 0;
		p->durable = p->npending;
	}
	/* a failed fsync: none of them is released, all are removed */
	while (p->head < p->durable && (!durable || max == 0 ||
	    done++ < max))
		free_release_one(q, p, p->pending[p->head++], durable);
	if (p->head == p->npending) {
		p->head = p->durable = p->npending = 0;
		return;
	}
	/*
	 * Keep the rest at the front.  They were put after the fsync; their
	 * wait counts from the oldest put before it, so they are due soon.
	 */
	memmove(p->pending, p->pending + p->head,
	    (p->npending - p->head) * sizeof(p->pending[0]));
	p->npending -= p->head;
	p->durable -= p->head;
	p->head = 0;
}

void
queue_free_purge(const struct queue *q)
{
	struct queue_loc l;
	DIR		*d;
	struct dirent	*de;

	if ((d = queue_sub_opendir(q, QUEUE_FREE)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' &&
		    queue_path(q, QUEUE_FREE, de->d_name, &l) == 0)
			(void)unlinkat(l.at, l.name, 0);
	(void)closedir(d);
}

/* Reads up to QUEUE_FREE_CACHE names of free/ into c. */
static void
free_fill(const struct queue *q, struct queue_free_cache *c)
{
	DIR		*d;
	struct dirent	*de;

	c->n = 0;
	if ((d = queue_sub_opendir(q, QUEUE_FREE)) == NULL)
		return;
	while (c->n < QUEUE_FREE_CACHE && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' &&
		    de->d_name[strlen(de->d_name) - 1] != '~' &&
		    strlcpy(c->names[c->n], de->d_name, QUEUE_FREE_NAME_MAX) <
		    QUEUE_FREE_NAME_MAX)
			c->n++;
	(void)closedir(d);
}

void
queue_free_cache_close(struct queue_free_cache *c)
{
	if (c->handout_open)
		(void)close(c->handout_fd);
	c->handout_open = 0;
}

/* free/.released for reading, tried at most once a second. */
static int
free_handout_reader(const struct queue *q, struct queue_free_cache *c)
{
	struct queue_loc l;
	time_t		 now;
	int		 fd;

	if (c->handout_open)
		return c->handout_fd;
	now = time(NULL);
	if (c->handout_tried == now)
		return -1;
	c->handout_tried = now;
	if (queue_path(q, QUEUE_FREE, QUEUE_FREE_HANDOUT, &l) == -1 ||
	    (fd = openat(l.at, l.name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if (!free_fifo_ok(fd)) {
		(void)close(fd);
		return -1;
	}
	c->handout_fd = fd;
	c->handout_open = 1;
	return fd;
}

/* 1 when name is a released file's: "<queue ID>.<letter>". */
static int
free_name_released(const char *name)
{
	char	 id[QUEUEID_LEN + 1];

	if (strlen(name) != QUEUEID_LEN + 2 || name[QUEUEID_LEN] != '.' ||
	    !isalpha((unsigned char)name[QUEUEID_LEN + 1]))
		return 0;
	memcpy(id, name, QUEUEID_LEN);
	id[QUEUEID_LEN] = '\0';
	return queueid_valid(id);
}

/*
 * Moves free/<name> to dst: 0; 1 when it is not there (taken by another
 * writer, or gone: the caller tries the next name); -1 with errno EEXIST
 * when dst exists.
 */
static int
free_try(const struct queue *q, const char *name, const struct queue_loc *dst)
{
	struct queue_loc src;

	if (queue_path(q, QUEUE_FREE, name, &src) == -1)
		return 1;
	if (renameat2(src.at, src.name, dst->at, dst->name,
	    RENAME_NOREPLACE) == 0)
		return 0;
	return errno == EEXIST ? -1 : 1;
}

/*
 * The names handed out: 0 when one was moved to dst, -1 with errno
 * EEXIST (dst exists), or ENOENT (none left to try now).
 */
static int
free_take_handed(const struct queue *q, struct queue_free_cache *c,
    const struct queue_loc *dst)
{
	char		 rec[QUEUE_FREE_NAME_MAX];
	int		 fd, k, r;

	if ((fd = free_handout_reader(q, c)) == -1) {
		errno = ENOENT;
		return -1;
	}
	for (k = 0; k < QUEUE_FREE_HANDOUT_TRY; k++) {
		if (read(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec))
			break;
		rec[sizeof(rec) - 1] = '\0';
		/* a name taken through free/'s listing meanwhile is gone */
		if (free_name_released(rec) && (r = free_try(q, rec, dst)) != 1)
			return r;
	}
	errno = ENOENT;
	return -1;
}

int
queue_free_take(const struct queue *q, struct queue_free_cache *c,
    const struct queue_loc *dst)
{
	time_t		 now;
	int		 fills = 0, r;

	if (free_take_handed(q, c, dst) == 0)
		return 0;
	if (errno == EEXIST)
		return -1;
	for (;;) {
		if (c->n == 0) {
			/* an empty free/ is read again a second later */
			now = time(NULL);
			if (c->empty_at == now || fills++ == 2)
				break;
			free_fill(q, c);
			if (c->n == 0) {
				c->empty_at = now;
				break;
			}
		}
		c->n--;
		if ((r = free_try(q, c->names[c->n], dst)) != 1)
			return r;
	}
	errno = ENOENT;
	return -1;
}
