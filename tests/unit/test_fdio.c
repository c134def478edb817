/*
 * Unit tests for lib/base/fdio.c: whole writes and reads across short counts
 * (pipes bigger than their buffer), EOF, bad descriptors, the flag
 * helpers, fd_ensure_std with closed standard descriptors, fsync_dir.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"

static void
test_write_read_full(void **state)
{
	size_t	 n = 1024 * 1024 + 7, i;
	char	*out, *in;
	int	 p[2], status;
	pid_t	 pid;

	(void)state;
	out = malloc(n);
	in = malloc(n + 10);
	assert_non_null(out);
	assert_non_null(in);
	for (i = 0; i < n; i++)
		out[i] = (char)(i * 13);
	assert_int_equal(pipe(p), 0);
	/* bigger than a pipe: the writer must loop over short writes */
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(p[0]);
		_exit(fd_write_full(p[1], out, n) == 0 ? 0 : 1);
	}
	close(p[1]);
	/* reads until n bytes or EOF: asks for more, gets exactly n */
	assert_int_equal(fd_read_full(p[0], in, n + 10), (ssize_t)n);
	assert_memory_equal(in, out, n);
	assert_int_equal(fd_read_full(p[0], in, 10), 0);	/* EOF */
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(out);
	free(in);
}

static void
test_zero_and_errors(void **state)
{
	char	 c = 'x';
	int	 p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fd_write_full(p[1], &c, 0), 0);
	assert_int_equal(fd_read_full(p[0], &c, 0), 0);
	close(p[0]);
	close(p[1]);
	errno = 0;
	assert_int_equal(fd_write_full(p[1], "x", 1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(fd_read_full(p[0], &c, 1), -1);
	assert_int_equal(errno, EBADF);

	/* writing to a pipe without a reader: EPIPE, not a signal */
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_true(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	assert_int_equal(fd_write_full(p[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_true(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	close(p[1]);
}

static void
test_short_read_then_eof(void **state)
{
	char	 b[16];
	int	 p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fd_write_full(p[1], "abc", 3), 0);
	close(p[1]);
	assert_int_equal(fd_read_full(p[0], b, sizeof(b)), 3);
	assert_memory_equal(b, "abc", 3);
	close(p[0]);
}

static void
test_flags(void **state)
{
	int	 p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fd_set_nonblock(p[0], 1), 0);
	assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(fd_set_nonblock(p[0], 0), 0);
	assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(fd_set_cloexec(p[1], 1), 0);
	assert_true(fcntl(p[1], F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fd_set_cloexec(p[1], 0), 0);
	assert_false(fcntl(p[1], F_GETFD) & FD_CLOEXEC);
	close(p[0]);
	close(p[1]);
	assert_int_equal(fd_set_nonblock(p[0], 1), -1);
	assert_int_equal(fd_set_cloexec(p[0], 1), -1);
}

static void
test_ensure_std(void **state)
{
	pid_t	 pid;
	int	 status;

	(void)state;
	assert_int_equal(fd_ensure_std(), 0);	/* all open: no change */
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct stat st;

		close(0);
		close(1);
		close(2);
		if (fd_ensure_std() != 0)
			_exit(1);
		for (int fd = 0; fd <= 2; fd++)
			if (fstat(fd, &st) == -1 || !S_ISCHR(st.st_mode))
				_exit(2);
		/* the next descriptor is 3, not a standard one */
		if (open("/dev/null", O_RDONLY) != 3)
			_exit(3);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* only fd 1 closed */
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(1);
		if (fd_ensure_std() != 0 || fcntl(1, F_GETFD) == -1)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_fsync_dir(void **state)
{
	char	 dir[] = "/tmp/test_fdio.XXXXXX", file[64];
	int	 fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(fsync_dir(dir), 0);
	assert_int_equal(fsync_dir("/tmp"), 0);
	assert_int_equal(fsync_dir("/nonexistent/facteur"), -1);
	assert_int_equal(errno, ENOENT);
	assert_true(strlen(dir) + 3 < sizeof(file));
	memcpy(file, dir, strlen(dir));
	memcpy(file + strlen(dir), "/f", 3);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	assert_true(fd != -1);
	close(fd);
	assert_int_equal(fsync_dir(file), -1);		/* not a directory */
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* fd_wait_until: ready at once when data waits; ETIMEDOUT at the deadline. */
static void
test_wait_until(void **state)
{
	int	 p[2];
	long long t0;

	(void)state;
	assert_int_equal(pipe(p), 0);
	t0 = fd_now_ms();
	assert_int_equal(fd_wait_until(p[0], POLLIN, fd_now_ms() + 50), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(fd_now_ms() >= t0 + 50);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(fd_wait_until(p[0], POLLIN, fd_now_ms() + 5000), 0);
	assert_int_equal(fd_wait_until(p[0], POLLIN, 0), 0);
	assert_int_equal(fd_wait_until(p[1], POLLOUT, 0), 0);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read_full),
		cmocka_unit_test(test_zero_and_errors),
		cmocka_unit_test(test_short_read_then_eof),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_ensure_std),
		cmocka_unit_test(test_fsync_dir),
		cmocka_unit_test(test_wait_until),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
