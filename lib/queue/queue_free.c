/*
 * queue_free: finished queue files kept for reuse (queue_free.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "queue_free.h"

/* Files in dirfd's free/, counted up to QUEUE_FREE_MAX; -1 on error. */
static long
free_count(int dirfd)
{
	DIR		*d;
	struct dirent	*de;
	long		 n = 0;
	int		 fd;

	if ((fd = openat(dirfd, "free", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	while (n < QUEUE_FREE_MAX && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return n;
}

int
queue_free_put(int dirfd, struct queue_free_pool *p, const char *sub,
    const char *id, char tag, long long now_ms)
{
	char	 path[64], name[QUEUE_FREE_NAME_MAX], dst[QUEUE_FREE_NAME_MAX + 8];
	long	 n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", sub, id) >=
	    sizeof(path) ||
	    (size_t)snprintf(name, sizeof(name), "%s.%c~", id, tag) >=
	    sizeof(name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (p->since_count++ % QUEUE_FREE_RECOUNT == 0) {
		n = free_count(dirfd);
		p->full = n == -1 || n >= QUEUE_FREE_MAX;
	}
	if (p->full)
		return unlinkat(dirfd, path, 0);
	if (p->npending == QUEUE_FREE_PENDING)
		queue_free_release(dirfd, p, 0);
	(void)snprintf(dst, sizeof(dst), "free/%s", name);
	if (renameat2(dirfd, path, dirfd, dst, RENAME_NOREPLACE) == -1) {
		if (errno == ENOENT)
			return -1;
		return unlinkat(dirfd, path, 0);
	}
	(void)strlcpy(p->pending[p->npending], name, QUEUE_FREE_NAME_MAX);
	if (p->npending++ == 0)
		p->first_ms = now_ms;
	return 0;
}

int
queue_free_due(const struct queue_free_pool *p, long long now_ms)
{
	return p->npending > p->head && (p->durable > p->head ||
	    p->npending >= QUEUE_FREE_PENDING / 2 ||
	    now_ms - p->first_ms >= 1000);
}

/* fsync of the directory sub of dirfd: 0 or -1. */
static int
free_sync_dir(int dirfd, const char *sub)
{
	int	 fd, r;

	if ((fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return -1;
	r = fsync(fd);
	(void)close(fd);
	return r;
}

void
queue_free_release(int dirfd, struct queue_free_pool *p, size_t max)
{
	char		 path[QUEUE_FREE_NAME_MAX + 8], dst[QUEUE_FREE_NAME_MAX + 8];
	struct stat	 st;
	size_t		 len, done = 0;
	int		 fd, durable = 1;

	if (p->durable <= p->head) {
		durable = free_sync_dir(dirfd, "env") == 0 &&
		    free_sync_dir(dirfd, "msg") == 0;
		p->durable = p->npending;
	}
	while (p->head < p->durable && (max == 0 || done++ < max)) {
		(void)snprintf(path, sizeof(path), "free/%s",
		    p->pending[p->head++]);
		len = strlen(path);
		(void)strlcpy(dst, path, sizeof(dst));
		dst[len - 1] = '\0';		/* without the '~' */
		fd = -1;
		if (!durable ||
		    (fd = openat(dirfd, path, O_WRONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC)) == -1 ||
		    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
		    st.st_nlink != 1 || st.st_uid != geteuid() ||
		    ftruncate(fd, 0) == -1 ||
		    renameat2(dirfd, path, dirfd, dst, RENAME_NOREPLACE) == -1)
			(void)unlinkat(dirfd, path, 0);
		if (fd != -1)
			(void)close(fd);
	}
	if (!durable) {
		/* none of them is released; the same for the rest */
		while (p->head < p->durable) {
			(void)snprintf(path, sizeof(path), "free/%s",
			    p->pending[p->head++]);
			(void)unlinkat(dirfd, path, 0);
		}
	}
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
queue_free_purge(int qfd)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd;

	if ((fd = openat(qfd, "free", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			(void)unlinkat(fd, de->d_name, 0);
	(void)closedir(d);
}

/* Reads up to QUEUE_FREE_CACHE names of free/ into c. */
static void
free_fill(int dirfd, struct queue_free_cache *c)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd;

	c->n = 0;
	if ((fd = openat(dirfd, "free", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return;
	}
	while (c->n < QUEUE_FREE_CACHE && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' &&
		    de->d_name[strlen(de->d_name) - 1] != '~' &&
		    strlcpy(c->names[c->n], de->d_name, QUEUE_FREE_NAME_MAX) <
		    QUEUE_FREE_NAME_MAX)
			c->n++;
	(void)closedir(d);
}

int
queue_free_take(int dirfd, struct queue_free_cache *c, const char *dst)
{
	char	 path[QUEUE_FREE_NAME_MAX + 8];
	time_t	 now;
	int	 fills = 0;

	for (;;) {
		if (c->n == 0) {
			/* an empty free/ is read again a second later */
			now = time(NULL);
			if (c->empty_at == now || fills++ == 2)
				break;
			free_fill(dirfd, c);
			if (c->n == 0) {
				c->empty_at = now;
				break;
			}
		}
		c->n--;
		(void)snprintf(path, sizeof(path), "free/%s", c->names[c->n]);
		if (renameat2(dirfd, path, dirfd, dst, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno == EEXIST)
			return -1;
		/* taken by another writer, or gone: the next name */
	}
	errno = ENOENT;
	return -1;
}
