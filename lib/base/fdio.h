/*
 * fdio: whole reads and writes on file descriptors, retrying on EINTR and
 * short counts, and small descriptor helpers.
 *
 * Trust: see fdio.c.
 */
#ifndef FACTEUR_FDIO_H
#define FACTEUR_FDIO_H
#include <stddef.h>
#include <sys/types.h>

/* Writes all n bytes; 0 or -1 with errno. */
int	fd_write_full(int fd, const void *, size_t n);
/* Reads until n bytes or EOF; returns bytes read, or -1 with errno. */
ssize_t	fd_read_full(int fd, void *, size_t n);
int	fd_set_nonblock(int fd, int on);
int	fd_set_cloexec(int fd, int on);
/* Makes sure fds 0, 1, 2 are open (to /dev/null where they were closed). */
int	fd_ensure_std(void);
/*
 * Raises the soft RLIMIT_NOFILE to want (a server that holds descriptors
 * per client: the master's children inherit it); root also raises the
 * hard limit when it is lower, up to the kernel's fs.nr_open.  Never
 * lowers a limit.  Returns the soft limit now in force, or -1 with errno
 * when it could not be read.
 */
long long fd_limit_raise(unsigned long long want);
/* Milliseconds on the monotonic clock. */
long long fd_now_ms(void);
/*
 * Waits until fd is ready for events (POLLIN, POLLOUT) or the deadline
 * (fd_now_ms() time; 0 for none) passes; EINTR does not restart the
 * clock.  0 when ready (or on error/hangup, which the next I/O reports),
 * -1 with errno ETIMEDOUT or poll's error.
 */
int	fd_wait_until(int fd, short events, long long deadline);
/* fsync of a directory by path; relative to the directory descriptor at. */
int	fsync_dir(const char *path);
int	fsync_dirat(int at, const char *path);

#endif
