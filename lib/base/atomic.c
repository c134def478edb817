/*
 * atomic: replacing a file so that after a crash either the old or the new
 * content is there, whole.  The temporary file lives in the target's own
 * directory (rename is atomic only within one filesystem) under a name no
 * other writer can pick (pid, time and random bits, created O_EXCL); it is
 * written whole, fsynced, closed with the result checked, renamed over the
 * target, and the directory is fsynced so that the rename itself is on disk
 * (Linux does not order metadata the way BSD's soft updates do).
 *
 * Trust: the caller's directory; the temporary name is created O_EXCL |
 * O_NOFOLLOW, so nothing placed there by another writer is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "fdio.h"

#define ATOMIC_TRIES	10

/* dir gets the directory part of path ("." when there is none). */
static int
atomic_dirname(const char *path, char *dir, size_t n)
{
	const char	*slash;
	size_t		 len;

	if ((slash = strrchr(path, '/')) == NULL) {
		if (strlcpy(dir, ".", n) >= n)
			goto toolong;
		return 0;
	}
	len = (size_t)(slash - path);
	if (len == 0)
		len = 1;			/* "/file" lives in "/" */
	if (len >= n)
		goto toolong;
	memcpy(dir, path, len);
	dir[len] = '\0';
	return 0;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}

/* Creates the temporary file, relative to at; its name goes into tmp. */
static int
atomic_open_tmp(int at, const char *path, char *tmp, size_t n, mode_t mode)
{
	struct timespec	 ts;
	int		 fd, r, i;

	for (i = 0; i < ATOMIC_TRIES; i++) {
		if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
			return -1;
		r = snprintf(tmp, n, "%s.tmp.%ld.%ld.%08x", path,
		    (long)getpid(), (long)ts.tv_nsec, arc4random());
		if (r < 0 || (size_t)r >= n) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(at, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, mode);
		if (fd != -1)
			return fd;
		if (errno != EEXIST)
			return -1;
	}
	return -1;				/* errno EEXIST */
}

int
atomic_write(const char *path, const void *data, size_t n, mode_t mode)
{
	return atomic_writeat(AT_FDCWD, path, data, n, mode);
}

int
atomic_writeat(int at, const char *path, const void *data, size_t n,
    mode_t mode)
{
	char	 tmp[PATH_MAX], dir[PATH_MAX];
	int	 fd, saved;

	if (atomic_dirname(path, dir, sizeof(dir)) == -1)
		return -1;
	if ((fd = atomic_open_tmp(at, path, tmp, sizeof(tmp), mode)) == -1)
		return -1;
	/* open() applied the umask; the caller asked for exactly mode. */
	if (fchmod(fd, mode) == -1 ||
	    fd_write_full(fd, data, n) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		(void)close(fd);
		goto fail;
	}
	if (close(fd) == -1) {
		saved = errno;
		goto fail;
	}
	if (renameat(at, tmp, at, path) == -1) {
		saved = errno;
		goto fail;
	}
	/* The new content is in place; only its durability is in doubt. */
	if (fsync_dirat(at, dir) == -1)
		return -1;
	return 0;
fail:
	(void)unlinkat(at, tmp, 0);
	errno = saved;
	return -1;
}
