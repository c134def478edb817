/*
 * Unit tests for lib/maildir/maildir.c: creating a Maildir, unique names (and the
 * escaping of the host part), delivery of head plus body byte for byte
 * into new/ with nothing left in tmp/, empty and 5 MB messages, and
 * failures (unwritable Maildir, file size limit, unreadable message) that
 * must leave no file behind and keep errno.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"
#include "maildir.h"

struct fixture {
	char	 top[64];
	char	 md[PATH_MAX];	/* top/Maildir */
};

static int
setup(void **state)
{
	struct fixture	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	(void)strlcpy(f->top, "/tmp/test_maildir.XXXXXX", sizeof(f->top));
	if (mkdtemp(f->top) == NULL) {
		free(f);
		return -1;
	}
	if (snprintf(f->md, sizeof(f->md), "%s/Maildir", f->top) >=
	    (int)sizeof(f->md))
		return -1;
	*state = f;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	int		 r;

	(void)chmod(f->top, 0700);
	r = nftw(f->top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return r;
}

static void
sub_of(const struct fixture *f, const char *sub, char *out, size_t n)
{
	int	 r = snprintf(out, n, "%s/%s", f->md, sub);

	assert_true(r > 0 && (size_t)r < n);
}

static int
count_in(const struct fixture *f, const char *sub)
{
	char		 p[PATH_MAX];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	sub_of(f, sub, p, sizeof(p));
	assert_non_null(d = opendir(p));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
is_dir(const char *p, mode_t *mode)
{
	struct stat	 st;

	if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode))
		return 0;
	if (mode != NULL)
		*mode = st.st_mode & 07777;
	return 1;
}

/* A file holding n bytes of a pattern, opened for reading at offset 0. */
static int
msg_file(const struct fixture *f, size_t n)
{
	char	 p[PATH_MAX], chunk[4096];
	size_t	 off, k, i;
	int	 fd;

	assert_true(snprintf(p, sizeof(p), "%s/msg", f->top) > 0);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(unlink(p), 0);
	for (off = 0; off < n; off += k) {
		k = n - off < sizeof(chunk) ? n - off : sizeof(chunk);
		for (i = 0; i < k; i++)
			chunk[i] = (char)((off + i) * 31 % 251);
		assert_int_equal(fd_write_full(fd, chunk, k), 0);
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void
test_create(void **state)
{
	struct fixture	*f = *state;
	char		 p[PATH_MAX];
	mode_t		 mode;

	assert_int_equal(maildir_create(f->md, 0700), 0);
	assert_true(is_dir(f->md, &mode));
	assert_int_equal(mode, 0700);
	sub_of(f, "cur", p, sizeof(p));
	assert_true(is_dir(p, NULL));
	sub_of(f, "new", p, sizeof(p));
	assert_true(is_dir(p, &mode));
	assert_int_equal(mode, 0700);
	sub_of(f, "tmp", p, sizeof(p));
	assert_true(is_dir(p, NULL));
	/* again: already there is fine */
	assert_int_equal(maildir_create(f->md, 0700), 0);

	/* mkdir -p through missing parents, with a trailing slash */
	assert_true(snprintf(p, sizeof(p), "%s/a/b//c/Maildir/", f->top) > 0);
	assert_int_equal(maildir_create(p, 0700), 0);
	assert_true(snprintf(p, sizeof(p), "%s/a/b/c/Maildir/new", f->top) > 0);
	assert_true(is_dir(p, NULL));
}

static void
test_create_bad(void **state)
{
	struct fixture	*f = *state;
	char		 p[PATH_MAX];
	int		 fd;

	assert_int_equal(maildir_create("", 0700), -1);
	assert_int_equal(errno, EINVAL);
	/* a file where a directory should be */
	assert_true(snprintf(p, sizeof(p), "%s/file", f->top) > 0);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	assert_true(fd != -1);
	close(fd);
	assert_int_equal(maildir_create(p, 0700), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_true(snprintf(p, sizeof(p), "%s/file/Maildir", f->top) > 0);
	assert_int_equal(maildir_create(p, 0700), -1);
	assert_int_equal(errno, ENOTDIR);
}

static void
test_unique(void **state)
{
	char	 a[MAILDIR_NAME_MAX + 1], b[MAILDIR_NAME_MAX + 1];
	char	 small[8], host[256];
	int	 i;

	(void)state;
	assert_int_equal(maildir_unique(a, sizeof(a)), 0);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(maildir_unique(b, sizeof(b)), 0);
		assert_string_not_equal(a, b);
		assert_null(strchr(b, '/'));
		assert_null(strchr(b, ':'));
		assert_true(strlen(b) <= MAILDIR_NAME_MAX);
	}
	/* <sec>.M<usec>P<pid>Q<n>.<host> */
	assert_non_null(strstr(b, ".M"));
	assert_non_null(strchr(b, 'P'));
	assert_non_null(strchr(b, 'Q'));
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	/* ends in ".<host>" when the host needs no escaping */
	if (strpbrk(host, "/:\\ ") == NULL) {
		size_t hl = strlen(host), bl = strlen(b);

		assert_true(bl > hl + 1);
		assert_int_equal(b[bl - hl - 1], '.');
		assert_string_equal(b + bl - hl, host);
	}
	/* too small a buffer is refused, not truncated */
	assert_int_equal(maildir_unique(small, sizeof(small)), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

static void
test_unique_escapes_host(void **state)
{
	pid_t	 pid;
	int	 status;
	char	 n[MAILDIR_NAME_MAX + 1];
	const char want[] = ".a\\057b\\072c";

	(void)state;
	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		/* a private hostname in a UTS namespace of our own */
		if (unshare(CLONE_NEWUTS) == -1)
			_exit(77);
		if (sethostname("a/b:c", 5) == -1)
			_exit(77);
		if (maildir_unique(n, sizeof(n)) == -1)
			_exit(1);
		if (strlen(n) < sizeof(want) ||
		    strcmp(n + strlen(n) - (sizeof(want) - 1), want) != 0)
			_exit(2);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();			/* no namespaces in this container */
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
check_delivered(const struct fixture *f, const char *name, const char *head,
    size_t hlen, size_t blen)
{
	char		 p[PATH_MAX], *got;
	struct stat	 st;
	size_t		 i;
	ssize_t		 r;
	int		 fd;

	assert_true(snprintf(p, sizeof(p), "%s/new/%s", f->md, name) > 0);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal((size_t)st.st_size, hlen + blen);
	got = malloc(hlen + blen + 1);
	assert_non_null(got);
	fd = open(p, O_RDONLY);
	assert_true(fd != -1);
	r = fd_read_full(fd, got, hlen + blen + 1);
	close(fd);
	assert_int_equal(r, (ssize_t)(hlen + blen));
	if (hlen > 0)
		assert_memory_equal(got, head, hlen);
	for (i = 0; i < blen; i++)
		if (got[hlen + i] != (char)(i * 31 % 251))
			fail_msg("body differs at %zu", i);
	free(got);
	assert_true(snprintf(p, sizeof(p), "%s/tmp/%s", f->md, name) > 0);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(count_in(f, "tmp"), 0);
}

static void
test_deliver(void **state)
{
	struct fixture	*f = *state;
	const char	 head[] = "Return-Path: <a@b>\nDelivered-To: c@d\n";
	char		 name[MAILDIR_NAME_MAX + 1];
	size_t		 size = 99;
	int		 fd;

	assert_int_equal(maildir_create(f->md, 0700), 0);
	fd = msg_file(f, 1000);
	assert_int_equal(maildir_deliver(f->md, head, sizeof(head) - 1, fd,
	    name, sizeof(name), &size), 0);
	close(fd);
	assert_int_equal(size, sizeof(head) - 1 + 1000);
	check_delivered(f, name, head, sizeof(head) - 1, 1000);
	assert_int_equal(count_in(f, "new"), 1);
	assert_int_equal(count_in(f, "cur"), 0);
}

static void
test_deliver_empty(void **state)
{
	struct fixture	*f = *state;
	char		 name[MAILDIR_NAME_MAX + 1], name2[MAILDIR_NAME_MAX + 1];
	size_t		 size = 99;
	int		 fd;

	assert_int_equal(maildir_create(f->md, 0700), 0);
	fd = msg_file(f, 0);
	assert_int_equal(maildir_deliver(f->md, NULL, 0, fd, name,
	    sizeof(name), &size), 0);
	close(fd);
	assert_int_equal(size, 0);
	check_delivered(f, name, NULL, 0, 0);
	/* head only */
	fd = msg_file(f, 0);
	assert_int_equal(maildir_deliver(f->md, "X: y\n", 5, fd, name2,
	    sizeof(name2), &size), 0);
	close(fd);
	assert_int_equal(size, 5);
	assert_string_not_equal(name, name2);
	check_delivered(f, name2, "X: y\n", 5, 0);
	assert_int_equal(count_in(f, "new"), 2);
}

static void
test_deliver_5mb(void **state)
{
	struct fixture	*f = *state;
	char		 name[MAILDIR_NAME_MAX + 1];
	size_t		 size, n = 5 * 1024 * 1024 + 11;
	int		 fd, p[2];
	pid_t		 pid;
	int		 status;

	assert_int_equal(maildir_create(f->md, 0700), 0);
	fd = msg_file(f, n);
	assert_int_equal(maildir_deliver(f->md, "H: 1\n", 5, fd, name,
	    sizeof(name), &size), 0);
	close(fd);
	assert_int_equal(size, n + 5);
	check_delivered(f, name, "H: 1\n", 5, n);

	/* from a pipe, in short reads */
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(p[0]);
		fd = msg_file(f, n);
		char	 b[1000];
		ssize_t	 r;
		while ((r = read(fd, b, sizeof(b))) > 0)
			if (fd_write_full(p[1], b, (size_t)r) == -1)
				_exit(1);
		_exit(r == 0 ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(maildir_deliver(f->md, NULL, 0, p[0], name,
	    sizeof(name), &size), 0);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(size, n);
	check_delivered(f, name, NULL, 0, n);
}

/* As nobody in a child when we are root; returns errno or 0. */
static int
deliver_unprivileged(const struct fixture *f)
{
	char	 name[MAILDIR_NAME_MAX + 1];
	size_t	 size;
	pid_t	 pid;
	int	 status, fd, r;

	fd = msg_file(f, 100);
	if (geteuid() != 0) {
		r = maildir_deliver(f->md, "h\n", 2, fd, name, sizeof(name),
		    &size) == -1 ? errno : 0;
		close(fd);
		return r;
	}
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setresgid(65534, 65534,
		    65534) == -1 || setresuid(65534, 65534, 65534) == -1)
			_exit(255);
		_exit(maildir_deliver(f->md, "h\n", 2, fd, name, sizeof(name),
		    &size) == -1 ? errno : 0);
	}
	close(fd);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void
test_deliver_not_writable(void **state)
{
	struct fixture	*f = *state;
	char		 p[PATH_MAX];

	assert_int_equal(chmod(f->top, 0755), 0);
	assert_int_equal(maildir_create(f->md, 0755), 0);
	/* tmp/ not writable: nothing can be created */
	sub_of(f, "tmp", p, sizeof(p));
	assert_int_equal(chmod(p, 0555), 0);
	assert_int_equal(deliver_unprivileged(f), EACCES);
	assert_int_equal(count_in(f, "tmp"), 0);
	assert_int_equal(count_in(f, "new"), 0);
	/* tmp/ writable, new/ not: the tmp file must be removed again */
	assert_int_equal(chmod(p, 0777), 0);
	sub_of(f, "new", p, sizeof(p));
	assert_int_equal(chmod(p, 0555), 0);
	assert_int_equal(deliver_unprivileged(f), EACCES);
	assert_int_equal(count_in(f, "tmp"), 0);
	assert_int_equal(count_in(f, "new"), 0);
}

static void
test_deliver_write_fails(void **state)
{
	struct fixture	*f = *state;
	char		 name[MAILDIR_NAME_MAX + 1];
	struct rlimit	 old, small;
	size_t		 size;
	int		 fd;

	assert_int_equal(maildir_create(f->md, 0700), 0);
	fd = msg_file(f, 200000);
	/* a file size limit stands in for a full disk or a quota */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 100000;
	assert_true(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	errno = 0;
	assert_int_equal(maildir_deliver(f->md, "h\n", 2, fd, name,
	    sizeof(name), &size), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_true(signal(SIGXFSZ, SIG_DFL) != SIG_ERR);
	close(fd);
	assert_int_equal(count_in(f, "tmp"), 0);
	assert_int_equal(count_in(f, "new"), 0);
}

static void
test_deliver_bad_input(void **state)
{
	struct fixture	*f = *state;
	char		 name[MAILDIR_NAME_MAX + 1], p[PATH_MAX];
	size_t		 size;
	int		 fd;

	assert_int_equal(maildir_create(f->md, 0700), 0);
	/* the message descriptor cannot be read */
	assert_true(snprintf(p, sizeof(p), "%s/wo", f->top) > 0);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	assert_true(fd != -1);
	assert_int_equal(maildir_deliver(f->md, "h\n", 2, fd, name,
	    sizeof(name), &size), -1);
	assert_int_equal(errno, EBADF);
	close(fd);
	assert_int_equal(count_in(f, "tmp"), 0);
	assert_int_equal(count_in(f, "new"), 0);
	/* a name buffer too small for the name */
	fd = msg_file(f, 10);
	assert_int_equal(maildir_deliver(f->md, NULL, 0, fd, name, 10, &size),
	    -1);
	assert_int_equal(errno, ENAMETOOLONG);
	close(fd);
	/* no Maildir at all */
	fd = msg_file(f, 10);
	assert_true(snprintf(p, sizeof(p), "%s/none", f->top) > 0);
	assert_int_equal(maildir_deliver(p, NULL, 0, fd, name, sizeof(name),
	    &size), -1);
	assert_int_equal(errno, ENOENT);
	close(fd);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_create),
		T(test_create_bad),
		T(test_unique),
		T(test_unique_escapes_host),
		T(test_deliver),
		T(test_deliver_empty),
		T(test_deliver_5mb),
		T(test_deliver_not_writable),
		T(test_deliver_write_fails),
		T(test_deliver_bad_input),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
