/*
 * Unit tests for lib/base/atomic.c: a new file, a replacement, the mode, and
 * that no temporary file is left behind when a step fails.
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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic.h"

struct fixture {
	char	 dir[64];
};

static int
setup(void **state)
{
	struct fixture *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	(void)strlcpy(f->dir, "/tmp/test_atomic.XXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
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

	r = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return r;
}

static void
path_of(const struct fixture *f, const char *name, char *out, size_t n)
{
	int	 r = snprintf(out, n, "%s/%s", f->dir, name);

	assert_true(r > 0 && (size_t)r < n);
}

/* Reads a whole small file; returns its length. */
static ssize_t
slurp(const char *path, char *out, size_t n)
{
	int	 fd;
	ssize_t	 r;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	r = read(fd, out, n);
	close(fd);
	return r;
}

static int
count_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_write_new(void **state)
{
	struct fixture	*f = *state;
	char		 p[PATH_MAX], got[64];

	path_of(f, "state", p, sizeof(p));
	assert_int_equal(atomic_write(p, "hello\0world", 11, 0600), 0);
	assert_int_equal(slurp(p, got, sizeof(got)), 11);
	assert_memory_equal(got, "hello\0world", 11);
	assert_int_equal(count_entries(f->dir), 1);
}

static void
test_replace(void **state)
{
	struct fixture	*f = *state;
	char		 p[PATH_MAX], got[64];
	struct stat	 st1, st2;

	path_of(f, "state", p, sizeof(p));
	assert_int_equal(atomic_write(p, "first version", 13, 0600), 0);
	assert_int_equal(stat(p, &st1), 0);
	assert_int_equal(atomic_write(p, "second", 6, 0600), 0);
	assert_int_equal(stat(p, &st2), 0);
	assert_int_equal(slurp(p, got, sizeof(got)), 6);
	assert_memory_equal(got, "second", 6);
	/* a new inode, not the old file rewritten in place */
	assert_true(st1.st_ino != st2.st_ino);
	assert_int_equal(count_entries(f->dir), 1);

	/* empty content */
	assert_int_equal(atomic_write(p, "", 0, 0600), 0);
	assert_int_equal(slurp(p, got, sizeof(got)), 0);
}

static void
test_mode(void **state)
{
	struct fixture	*f = *state;
	char		 p[PATH_MAX];
	struct stat	 st;
	mode_t		 old;

	path_of(f, "m644", p, sizeof(p));
	old = umask(077);
	assert_int_equal(atomic_write(p, "x", 1, 0644), 0);
	umask(old);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);

	path_of(f, "m600", p, sizeof(p));
	assert_int_equal(atomic_write(p, "x", 1, 0600), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(S_ISREG(st.st_mode));
}

static void
test_missing_directory(void **state)
{
	struct fixture	*f = *state;
	char		 p[PATH_MAX];

	path_of(f, "nodir/state", p, sizeof(p));
	errno = 0;
	assert_int_equal(atomic_write(p, "x", 1, 0600), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(count_entries(f->dir), 0);
}

static void
test_rename_fails_leaves_nothing(void **state)
{
	struct fixture	*f = *state;
	char		 p[PATH_MAX], inner[PATH_MAX];

	/* The target is a non-empty directory: rename fails after the write. */
	path_of(f, "target", p, sizeof(p));
	assert_int_equal(mkdir(p, 0700), 0);
	path_of(f, "target/keep", inner, sizeof(inner));
	assert_int_equal(atomic_write(inner, "k", 1, 0600), 0);
	errno = 0;
	assert_int_equal(atomic_write(p, "data", 4, 0600), -1);
	assert_true(errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST);
	/* only the directory itself remains: the temp file is gone */
	assert_int_equal(count_entries(f->dir), 1);
}

/*
 * Runs atomic_write(path) as nobody when we are root (root writes through
 * mode bits), in a child; returns the errno it failed with, 0 on success.
 */
static int
write_unprivileged(const char *path)
{
	pid_t	 pid;
	int	 status;

	if (geteuid() != 0)
		return atomic_write(path, "x", 1, 0600) == -1 ? errno : 0;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setresgid(65534, 65534,
		    65534) == -1 || setresuid(65534, 65534, 65534) == -1)
			_exit(255);
		_exit(atomic_write(path, "x", 1, 0600) == -1 ? errno : 0);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void
test_unwritable_directory(void **state)
{
	struct fixture	*f = *state;
	char		 d[PATH_MAX], p[PATH_MAX];

	assert_int_equal(chmod(f->dir, 0755), 0);
	path_of(f, "ro", d, sizeof(d));
	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(chmod(d, 0555), 0);
	path_of(f, "ro/state", p, sizeof(p));
	assert_int_equal(write_unprivileged(p), EACCES);
	assert_int_equal(count_entries(d), 0);
	assert_int_equal(chmod(d, 0700), 0);
}

static void
test_write_fails_leaves_nothing(void **state)
{
	struct fixture	*f = *state;
	char		 p[PATH_MAX], big[4096];
	struct rlimit	 old, small;

	/* A file size limit makes the write itself fail, after the open. */
	memset(big, 'b', sizeof(big));
	path_of(f, "big", p, sizeof(p));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 100;
	assert_true(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	errno = 0;
	assert_int_equal(atomic_write(p, big, sizeof(big), 0600), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_true(signal(SIGXFSZ, SIG_DFL) != SIG_ERR);
	assert_int_equal(count_entries(f->dir), 0);
}

static void
test_relative_path(void **state)
{
	struct fixture	*f = *state;
	char		 cwd[PATH_MAX], got[8];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(atomic_write("rel", "abc", 3, 0600), 0);
	assert_int_equal(slurp("rel", got, sizeof(got)), 3);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(count_entries(f->dir), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_directory, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rename_fails_leaves_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_directory, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_fails_leaves_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_path, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
