/*
 * fdio: whole reads and writes on descriptors, and descriptor hygiene.
 *
 * Trust: the caller's descriptors; the peer at the other end is not
 * trusted to finish (callers set deadlines: fd_wait_until).
 */
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"

int
fd_write_full(int fd, const void *p, size_t n)
{
	const char	*s = p;
	ssize_t		 w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

ssize_t
fd_read_full(int fd, void *p, size_t n)
{
	char	*s = p;
	size_t	 got = 0;
	ssize_t	 r;

	while (got < n) {
		r = read(fd, s + got, n - got);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
fd_set_nonblock(int fd, int on)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

int
fd_set_cloexec(int fd, int on)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFD)) == -1)
		return -1;
	fl = on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, fl);
}

int
fd_ensure_std(void)
{
	int	 fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1)
			continue;
		if (errno != EBADF)
			return -1;
		int nfd = open("/dev/null", O_RDWR);
		if (nfd == -1)
			return -1;
		if (nfd != fd) {
			/* a lower descriptor was free; cannot happen in order */
			close(nfd);
			return -1;
		}
	}
	return 0;
}

long long
fd_limit_raise(unsigned long long want)
{
	struct rlimit	 rl;
	unsigned long long nr_open = 0;
	char		 buf[32];
	ssize_t		 n;
	int		 fd;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= want)
		return (long long)rl.rlim_cur;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want &&
	    geteuid() == 0) {
		/* the kernel refuses a hard limit above fs.nr_open */
		if ((fd = open("/proc/sys/fs/nr_open", O_RDONLY | O_CLOEXEC)) !=
		    -1) {
			if ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
				buf[n] = '\0';
				nr_open = strtoull(buf, NULL, 10);
			}
			(void)close(fd);
		}
		if (nr_open > 0 && want > nr_open)
			want = nr_open;
		if (want > rl.rlim_max) {
			struct rlimit	 up = { want, want };

			if (setrlimit(RLIMIT_NOFILE, &up) == 0)
				return (long long)want;
		}
	}
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
		want = rl.rlim_max;
	if (want > rl.rlim_cur) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			return -1;
	}
	return (long long)rl.rlim_cur;
}

long long
fd_now_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
fd_wait_until(int fd, short events, long long deadline)
{
	struct pollfd	 pfd;
	long long	 left;
	int		 r, ms;

	for (;;) {
		ms = -1;
		if (deadline != 0) {
			left = deadline - fd_now_ms();
			ms = left > 0 ? (int)(left > INT_MAX ? INT_MAX : left) : 0;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, ms);
		if (r > 0)
			return 0;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR && errno != EAGAIN)
			return -1;
	}
}

int
fsync_dir(const char *path)
{
	return fsync_dirat(AT_FDCWD, path);
}

int
fsync_dirat(int at, const char *path)
{
	int	 fd, r, saved;

	if ((fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	saved = errno;
	if (close(fd) == -1 && r == 0)
		return -1;
	errno = saved;
	return r;
}
