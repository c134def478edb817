/*
 * commit_loop: what the disk under the queue allows, for `make bench`.
 * W processes each repeat, for T seconds, the smallest durable commit a
 * mail queue can make: create tmp/W.N, write 4096 octets, fsync, close,
 * rename to new/W.N, fsync new/.  It prints one line:
 *
 *   writers=W commits=N seconds=S rate=R cpu_ms=C
 *
 * (R commits per second, all writers together; C CPU milliseconds of the
 * writers per commit, user and system).  Every figure of the SMTP bench
 * can be read against R: a server that makes one such commit per message
 * cannot accept faster than R with W clients at once.  The files are left
 * in DIR for the caller to remove (removing them here would make the
 * next run's creates slower on file systems that skip recently freed
 * inodes).
 *
 * usage: commit_loop DIR WRITERS SECONDS
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void __attribute__((noreturn))
die(const char *what)
{
	perror(what);
	_exit(1);
}

/* One writer: commits until the deadline; the count goes out on fd. */
static void __attribute__((noreturn))
writer(const char *dir, int w, double until, int out)
{
	char	 buf[4096], tmp[4096], new[4096], sub[4096];
	long	 n = 0;
	int	 fd, dfd;

	memset(buf, 'x', sizeof(buf));
	(void)snprintf(sub, sizeof(sub), "%s/new", dir);
	if ((dfd = open(sub, O_RDONLY | O_DIRECTORY)) == -1)
		die(sub);
	while (now() < until) {
		(void)snprintf(tmp, sizeof(tmp), "%s/tmp/%d.%ld", dir, w, n);
		(void)snprintf(new, sizeof(new), "%s/new/%d.%ld", dir, w, n);
		if ((fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY, 0600)) == -1)
			die(tmp);
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("write");
		if (fsync(fd) == -1 || close(fd) == -1)
			die("fsync");
		if (rename(tmp, new) == -1)
			die("rename");
		if (fsync(dfd) == -1)
			die("fsync new/");
		n++;
	}
	if (write(out, &n, sizeof(n)) != (ssize_t)sizeof(n))
		die("report");
	_exit(0);
}

int
main(int argc, char **argv)
{
	struct rusage	 ru;
	char		 sub[4096];
	double		 t0, secs, cpu;
	long		 n, total = 0;
	int		 w, writers, p[2];

	if (argc != 4 || (writers = atoi(argv[2])) < 1 || writers > 1000 ||
	    (secs = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: commit_loop DIR WRITERS SECONDS\n");
		return 2;
	}
	(void)snprintf(sub, sizeof(sub), "%s/tmp", argv[1]);
	if (mkdir(sub, 0700) == -1 && errno != EEXIST)
		die(sub);
	(void)snprintf(sub, sizeof(sub), "%s/new", argv[1]);
	if (mkdir(sub, 0700) == -1 && errno != EEXIST)
		die(sub);
	if (pipe(p) == -1)
		die("pipe");
	t0 = now();
	for (w = 0; w < writers; w++) {
		switch (fork()) {
		case -1:
			die("fork");
		case 0:
			writer(argv[1], w, t0 + secs, p[1]);
		}
	}
	(void)close(p[1]);
	while (read(p[0], &n, sizeof(n)) == (ssize_t)sizeof(n))
		total += n;
	while (wait(NULL) > 0)
		;
	secs = now() - t0;
	if (getrusage(RUSAGE_CHILDREN, &ru) == -1)
		die("getrusage");
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("writers=%d commits=%ld seconds=%.2f rate=%.0f cpu_ms=%.3f\n",
	    writers, total, secs, (double)total / secs,
	    total > 0 ? cpu * 1000.0 / (double)total : 0.0);
	return 0;
}
