/*
 * queue_spare: empty queue files made ahead of time (queue_spare.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "queue_spare.h"

void
queue_spares_init(struct queue_spares *s)
{
	memset(s, 0, sizeof(*s));
}

static int
spare_make(int dirfd, struct queue_spares *s, char *name)
{
	char	 path[QUEUE_SPARE_NAME_MAX + 8];
	int	 fd, tries;

	if (name[0] != '\0')
		return 0;
	for (tries = 0; tries < 4; tries++) {
		if ((size_t)snprintf(name, QUEUE_SPARE_NAME_MAX,
		    QUEUE_SPARE_PREFIX "%ld.%lu", (long)getpid(), ++s->n) >=
		    QUEUE_SPARE_NAME_MAX ||
		    (size_t)snprintf(path, sizeof(path), "tmp/%s", name) >=
		    sizeof(path)) {
			name[0] = '\0';
			errno = ENAMETOOLONG;
			return -1;
		}
		if (queue_free_take(dirfd, &s->free, path) == 0)
			return 0;
		fd = openat(dirfd, path, O_CREAT | O_EXCL | O_WRONLY |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1) {
			(void)close(fd);
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	name[0] = '\0';
	return -1;
}

int
queue_spares_make(int dirfd, struct queue_spares *s)
{
	if (spare_make(dirfd, s, s->msg) == -1 ||
	    spare_make(dirfd, s, s->env) == -1)
		return -1;
	return 0;
}

static void
spare_drop(int dirfd, char *name)
{
	char	 path[QUEUE_SPARE_NAME_MAX + 8];

	if (name[0] != '\0' && (size_t)snprintf(path, sizeof(path), "tmp/%s",
	    name) < sizeof(path))
		(void)unlinkat(dirfd, path, 0);
	name[0] = '\0';
}

void
queue_spares_drop(int dirfd, struct queue_spares *s)
{
	spare_drop(dirfd, s->msg);
	spare_drop(dirfd, s->env);
}

int
queue_spare_take(int dirfd, char *name, const char *dst)
{
	char		 path[QUEUE_SPARE_NAME_MAX + 8];
	struct stat	 st;
	int		 fd, saved;

	if (name[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "tmp/%s", name) >=
	    sizeof(path)) {
		name[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	if (renameat2(dirfd, path, dirfd, dst, RENAME_NOREPLACE) == -1) {
		saved = errno;
		if (saved != EEXIST)
			name[0] = '\0';
		errno = saved;
		return -1;
	}
	name[0] = '\0';
	/* Ours, and still as made: an empty regular file with one name. */
	if ((fd = openat(dirfd, dst, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size != 0 ||
	    st.st_nlink != 1 || st.st_uid != geteuid()) {
		saved = errno;
		if (fd != -1)
			(void)close(fd);
		(void)unlinkat(dirfd, dst, 0);
		errno = fd == -1 ? saved : EINVAL;
		return -1;
	}
	return fd;
}
