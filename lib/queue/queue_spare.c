/*
 * queue_spare: empty queue files made ahead of time (queue_spare.h).
 * Every file is reached through lib/queue/queue_path.h.
 *
 * Trust: only a file found as it was made (see queue_spare.h).
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
spare_make(const struct queue *q, struct queue_spares *s, char *name)
{
	struct queue_loc l;
	int		 fd, tries;

	if (name[0] != '\0' || s->off)
		return 0;
	for (tries = 0; tries < 4; tries++) {
		if ((size_t)snprintf(name, QUEUE_SPARE_NAME_MAX,
		    QUEUE_SPARE_PREFIX "%ld.%lu", (long)getpid(), ++s->n) >=
		    QUEUE_SPARE_NAME_MAX ||
		    queue_path(q, QUEUE_TMP, name, &l) == -1) {
			name[0] = '\0';
			errno = ENAMETOOLONG;
			return -1;
		}
		if (queue_free_take(q, &s->free, &l) == 0)
			return 0;
		fd = openat(l.at, l.name, O_CREAT | O_EXCL | O_WRONLY |
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
queue_spares_make(const struct queue *q, struct queue_spares *s)
{
	if (spare_make(q, s, s->name[QUEUE_SPARE_MSG]) == -1 ||
	    spare_make(q, s, s->name[QUEUE_SPARE_ENV]) == -1)
		return -1;
	return 0;
}

static void
spare_drop(const struct queue *q, char *name)
{
	struct queue_loc l;

	if (name[0] != '\0' && queue_path(q, QUEUE_TMP, name, &l) == 0)
		(void)unlinkat(l.at, l.name, 0);
	name[0] = '\0';
}

void
queue_spares_drop(const struct queue *q, struct queue_spares *s)
{
	spare_drop(q, s->name[QUEUE_SPARE_MSG]);
	spare_drop(q, s->name[QUEUE_SPARE_ENV]);
	queue_free_cache_close(&s->free);
}

int
queue_spare_take(const struct queue *q, struct queue_spares *s,
    enum queue_spare_kind kind, const struct queue_loc *dst)
{
	struct queue_loc l;
	struct stat	 st;
	char		*name = s->name[kind];
	int		 fd, saved;

	if (name[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (queue_path(q, QUEUE_TMP, name, &l) == -1) {
		name[0] = '\0';
		return -1;
	}
	if (renameat2(l.at, l.name, dst->at, dst->name,
	    RENAME_NOREPLACE) == -1) {
		saved = errno;
		if (saved == EEXIST) {
			errno = saved;
			return -1;
		}
		/*
		 * Gone (ENOENT), or a filesystem without RENAME_NOREPLACE
		 * (EINVAL): the spare must not stay behind.
		 */
		if (saved == EINVAL || saved == ENOSYS || saved == EOPNOTSUPP) {
			s->off = 1;
			queue_spares_drop(q, s);
		} else
			spare_drop(q, name);
		errno = saved;
		return -1;
	}
	name[0] = '\0';
	/* Ours, and still as made: an empty regular file with one name. */
	if ((fd = openat(dst->at, dst->name, O_WRONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size != 0 ||
	    st.st_nlink != 1 || st.st_uid != geteuid()) {
		saved = errno;
		if (fd != -1)
			(void)close(fd);
		(void)unlinkat(dst->at, dst->name, 0);
		errno = fd == -1 ? saved : EINVAL;
		return -1;
	}
	return fd;
}
