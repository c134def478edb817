/*
 * Unit tests for lib/base/gsync.c: a lone asker, many askers at once (all
 * covered, none left waiting), the window (a leader waits for one that
 * said it would ask, and not for one that died; one that died after it
 * was seen alive costs one window, once), a failed fsync reported
 * to every asker it covered, and a leader killed in its window replaced.
 * Processes, not threads: the region is shared as the queue writers and
 * delivery workers share it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gsync.h"

struct fixture {
	char	 dir[64];
	int	 dirfd;
	int	 fd;
};

static long long
now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
setup(void **state)
{
	struct fixture	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	(void)strlcpy(f->dir, "/tmp/test_gsync.XXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL ||
	    (f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY)) == -1 ||
	    (f->fd = gsync_create()) == -1) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	(void)close(f->fd);
	(void)close(f->dirfd);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

/* Waits for pid; its exit code, or -1 when it did not exit. */
static int
reap(pid_t pid)
{
	int	 st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void
test_lone(void **state)
{
	struct fixture	*f = *state;
	struct gsync	*g;

	assert_non_null(g = gsync_attach(f->fd));
	assert_int_equal(gsync_intend(g, f->dirfd), 0);
	/* its own intention never makes it wait: well under the window */
	long long t0 = now_ms();
	assert_int_equal(gsync_dir(g, f->dirfd, 900), 0);
	assert_true(now_ms() - t0 < 800);
	assert_int_equal(gsync_dir(NULL, f->dirfd, 0), 0);
	gsync_detach(g);
	/* not a region */
	int fd = open("/dev/null", O_RDONLY);
	assert_null(gsync_attach(fd));
	(void)close(fd);
}

static void
test_many(void **state)
{
	struct fixture	*f = *state;
	pid_t		 pid[16];
	int		 i, k;

	for (i = 0; i < 16; i++) {
		if ((pid[i] = fork()) == 0) {
			struct gsync *g = gsync_attach(f->fd);

			if (g == NULL)
				_exit(2);
			for (k = 0; k < 50; k++) {
				(void)gsync_intend(g, f->dirfd);
				if (gsync_dir(g, f->dirfd, 2) == -1)
					_exit(1);
			}
			_exit(0);
		}
		assert_true(pid[i] > 0);
	}
	for (i = 0; i < 16; i++)
		assert_int_equal(reap(pid[i]), 0);
}

/* In a child: says it will ask, then tells the parent through fd. */
static struct gsync *
intend_and_tell(struct fixture *f, int fd)
{
	struct gsync	*g2 = gsync_attach(f->fd);

	(void)gsync_intend(g2, f->dirfd);
	if (write(fd, "x", 1) != 1)
		_exit(3);
	return g2;
}

/*
 * A leader waits, within its window, for a process that said it would
 * ask: the first asker returns only after the second asked.
 */
static void
test_window(void **state)
{
	struct fixture	*f = *state;
	struct gsync	*g;
	long long	*asked_at, t;
	pid_t		 second;
	int		 go[2];
	char		 c;

	asked_at = mmap(NULL, sizeof(*asked_at), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(asked_at != MAP_FAILED);
	*asked_at = 0;
	assert_int_equal(pipe(go), 0);
	assert_non_null(g = gsync_attach(f->fd));
	if ((second = fork()) == 0) {
		struct gsync *g2 = intend_and_tell(f, go[1]);

		(void)usleep(200 * 1000);
		*asked_at = now_ms();
		_exit(gsync_dir(g2, f->dirfd, 900) == 0 ? 0 : 1);
	}
	assert_int_equal(read(go[0], &c, 1), 1);
	assert_int_equal(gsync_dir(g, f->dirfd, 900), 0);
	t = now_ms();
	assert_int_equal(reap(second), 0);
	assert_true(*asked_at != 0 && t >= *asked_at);

	/* one that said so and died is not waited for */
	if ((second = fork()) == 0) {
		struct gsync *g2 = gsync_attach(f->fd);

		(void)gsync_intend(g2, f->dirfd);
		_exit(0);
	}
	assert_int_equal(reap(second), 0);
	t = now_ms();
	assert_int_equal(gsync_dir(g, f->dirfd, 900), 0);
	assert_true(now_ms() - t < 800);
	gsync_detach(g);
	(void)close(go[0]);
	(void)close(go[1]);
	(void)munmap(asked_at, sizeof(*asked_at));
}

/*
 * An intention's process is looked at in /proc once: one that dies after
 * it was seen alive costs one leader its window, which then looks again
 * and drops it; the next leader does not wait at all.
 */
static void
test_window_dead_after_seen(void **state)
{
	struct fixture	*f = *state;
	struct gsync	*g;
	long long	 t;
	pid_t		 a;
	int		 go[2];
	char		 c;

	assert_int_equal(pipe(go), 0);
	assert_non_null(g = gsync_attach(f->fd));
	if ((a = fork()) == 0) {
		(void)intend_and_tell(f, go[1]);
		for (;;)
			(void)pause();
	}
	assert_int_equal(read(go[0], &c, 1), 1);
	/* a leader sees it alive (and waits its short window for it) */
	assert_int_equal(gsync_dir(g, f->dirfd, 50), 0);
	assert_int_equal(kill(a, SIGKILL), 0);
	assert_int_equal(waitpid(a, NULL, 0), a);
	/* the next leader waits its whole window, once */
	t = now_ms();
	assert_int_equal(gsync_dir(g, f->dirfd, 900), 0);
	assert_true(now_ms() - t >= 850);
	/* then it is gone */
	t = now_ms();
	assert_int_equal(gsync_dir(g, f->dirfd, 900), 0);
	assert_true(now_ms() - t < 800);
	gsync_detach(g);
	(void)close(go[0]);
	(void)close(go[1]);
}

/* fsync of a pipe fails (EINVAL): every asker it covered is told. */
static void
test_failure(void **state)
{
	struct fixture	*f = *state;
	struct gsync	*g;
	pid_t		 pid[4];
	int		 p[2], i;

	assert_int_equal(pipe(p), 0);
	for (i = 0; i < 4; i++) {
		if ((pid[i] = fork()) == 0) {
			struct gsync *g2 = gsync_attach(f->fd);

			_exit(gsync_dir(g2, p[0], 5) == -1 && errno == EINVAL ?
			    0 : 1);
		}
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(reap(pid[i]), 0);
	/* and a good directory is not affected */
	assert_non_null(g = gsync_attach(f->fd));
	assert_int_equal(gsync_dir(g, f->dirfd, 0), 0);
	gsync_detach(g);
	(void)close(p[0]);
	(void)close(p[1]);
}

/* 1 when pid waits in futex(2) (syscall 202 on x86-64 and 98 on arm64). */
static int
in_futex(pid_t pid)
{
	char	 path[64], buf[32];
	ssize_t	 n;
	int	 fd;

	(void)snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strncmp(buf, "202 ", 4) == 0 || strncmp(buf, "98 ", 3) == 0;
}

/* Waits (up to 10 s) until pid has waited in futex(2) twice in a row. */
static void
wait_in_futex(pid_t pid)
{
	long long	 end = now_ms() + 10000;
	int		 seen = 0;

	while (seen < 2 && now_ms() < end) {
		seen = in_futex(pid) ? seen + 1 : 0;
		(void)usleep(20000);
	}
	assert_int_equal(seen, 2);
}

/*
 * An asker whose fsync failed is told so even when it looks only after
 * GSYNC_FAILS more failures were recorded over its own: it never hears
 * of a success it did not have (a 250 for a message not on disk).
 */
static void
test_failure_forgotten(void **state)
{
	struct fixture	*f = *state;
	pid_t		 sleeper, leader, asker, other;
	int		 p[2], ready[2], i;
	char		 c;

	assert_int_equal(pipe(p), 0);	/* fsync of a pipe fails: EINVAL */
	assert_int_equal(pipe(ready), 0);
	if ((sleeper = fork()) == 0) {
		struct gsync *g2 = gsync_attach(f->fd);

		(void)gsync_intend(g2, p[0]);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		(void)pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	/* the leader waits in its window for the sleeper's intention */
	if ((leader = fork()) == 0) {
		struct gsync *g2 = gsync_attach(f->fd);

		_exit(gsync_dir(g2, p[0], GSYNC_WINDOW_MAX) == -1 ? 0 : 1);
	}
	wait_in_futex(leader);
	/* the asker takes its ticket and waits for the leader */
	if ((asker = fork()) == 0) {
		struct gsync *g2 = gsync_attach(f->fd);

		_exit(gsync_dir(g2, p[0], 0) == -1 ? 0 : 1);
	}
	wait_in_futex(asker);
	assert_int_equal(kill(asker, SIGSTOP), 0);
	assert_int_equal(kill(sleeper, SIGKILL), 0);
	(void)waitpid(sleeper, NULL, 0);
	assert_int_equal(reap(leader), 0);	/* its fsync failed */
	for (i = 0; i < GSYNC_FAILS; i++) {
		if ((other = fork()) == 0) {
			struct gsync *g2 = gsync_attach(f->fd);

			_exit(gsync_dir(g2, p[0], 0) == -1 ? 0 : 1);
		}
		assert_int_equal(reap(other), 0);
	}
	assert_int_equal(kill(asker, SIGCONT), 0);
	assert_int_equal(reap(asker), 0);	/* failed, not 0 */
	(void)close(p[0]);
	(void)close(p[1]);
	(void)close(ready[0]);
	(void)close(ready[1]);
}

/* A child that says it will ask for the directory's fsync, and never does. */
static pid_t
fork_sleeper(struct fixture *f)
{
	pid_t	 pid;

	if ((pid = fork()) == 0) {
		struct gsync *g2 = gsync_attach(f->fd);

		(void)gsync_intend(g2, f->dirfd);
		(void)pause();
		_exit(0);
	}
	assert_true(pid > 0);
	return pid;
}

/* A child that asks for one (window_ms); exits 0 when it was made. */
static pid_t
fork_asker(struct fixture *f, int window_ms)
{
	pid_t	 pid;

	if ((pid = fork()) == 0) {
		struct gsync *g2 = gsync_attach(f->fd);

		_exit(gsync_dir(g2, f->dirfd, window_ms) == 0 ? 0 : 1);
	}
	assert_true(pid > 0);
	return pid;
}

/*
 * A leader killed while it waits in its window (for one that said it
 * would ask and never does) is replaced by a waiter.
 */
static void
test_leader_killed(void **state)
{
	struct fixture	*f = *state;
	struct gsync	*g;
	pid_t		 sleeper, leader, waiter;
	int		 p[2];
	char		 c;

	assert_int_equal(pipe(p), 0);
	assert_non_null(g = gsync_attach(f->fd));
	/* says it will ask, then sleeps: the leader waits for it */
	sleeper = fork_sleeper(f);
	(void)usleep(50 * 1000);
	if ((leader = fork()) == 0) {
		struct gsync *g2 = gsync_attach(f->fd);

		if (write(p[1], "x", 1) != 1)
			_exit(3);
		(void)gsync_dir(g2, f->dirfd, 1000);
		_exit(0);
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	(void)usleep(100 * 1000);
	waiter = fork_asker(f, 0);
	(void)usleep(50 * 1000);
	assert_int_equal(kill(leader, SIGKILL), 0);
	assert_int_equal(waitpid(leader, NULL, 0), leader);
	/* the waiter leads now (it waits for no one: window 0) */
	assert_int_equal(reap(waiter), 0);
	assert_int_equal(kill(sleeper, SIGKILL), 0);
	assert_int_equal(waitpid(sleeper, NULL, 0), sleeper);
	gsync_cancel(g, f->dirfd);
	gsync_detach(g);
	(void)close(p[0]);
	(void)close(p[1]);
}

/*
 * A waiter killed while it waits leaves nothing behind that the others
 * wait for (a condition variable would: its broadcast waits for every
 * waiter it counted).
 */
static void
test_waiter_killed(void **state)
{
	struct fixture	*f = *state;
	struct gsync	*g;
	pid_t		 sleeper, leader, waiter, last;
	long long	 t0;

	assert_non_null(g = gsync_attach(f->fd));
	sleeper = fork_sleeper(f);
	(void)usleep(50 * 1000);
	/* leads, and waits up to 500 ms for the sleeper */
	leader = fork_asker(f, 500);
	(void)usleep(50 * 1000);
	waiter = fork_asker(f, 0);
	(void)usleep(100 * 1000);
	assert_int_equal(kill(waiter, SIGKILL), 0);
	assert_int_equal(waitpid(waiter, NULL, 0), waiter);
	assert_int_equal(reap(leader), 0);
	t0 = now_ms();
	last = fork_asker(f, 0);
	assert_int_equal(reap(last), 0);
	assert_true(now_ms() - t0 < 400);
	assert_int_equal(kill(sleeper, SIGKILL), 0);
	assert_int_equal(waitpid(sleeper, NULL, 0), sleeper);
	gsync_detach(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_dead_after_seen,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_forgotten, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_leader_killed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_waiter_killed, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
