/*
 * Unit tests for lib/base/priv.c.  User lookup runs anywhere; the drops run in
 * forked children (a dropped process cannot come back), as root for the
 * real thing and as nobody for the logged no-op.  The root-only tests are
 * skipped when not run as root.  The chroot check: the reasons a
 * directory is unfit (relative, missing, not a directory, not root's,
 * writable by group or others, below such a directory), as root with
 * directories made for it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "priv.h"

#define NOBODY	65534

/* Runs fn in a child and returns its exit status (or -1 if killed). */
static int
in_child(int (*fn)(void *), void *arg)
{
	pid_t	 pid;
	int	 status;

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		/* keep the child's log lines out of cmocka's report */
		int fd = open("/dev/null", O_WRONLY);
		if (fd == -1 || dup2(fd, STDERR_FILENO) == -1)
			_exit(99);
		_exit(fn(arg));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_is_root(void **state)
{
	(void)state;
	assert_int_equal(priv_is_root(), geteuid() == 0);
}

static void
test_lookup(void **state)
{
	uid_t	 uid = 99;
	gid_t	 gid = 99;

	(void)state;
	assert_int_equal(priv_lookup("root", &uid, &gid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(gid, 0);
	uid = 99;
	assert_int_equal(priv_lookup("facteur-no-such-user-x", &uid, &gid),
	    -1);
	assert_int_equal(uid, 99);		/* untouched */
	assert_int_equal(priv_lookup("", &uid, &gid), -1);
	assert_int_equal(priv_lookup(NULL, &uid, &gid), -1);
	assert_int_equal(priv_lookup("root\n", &uid, &gid), -1);
}

static int
child_drop(void *arg)
{
	const char	*dir = arg;
	uid_t		 ru, eu, su;
	gid_t		 rg, eg, sg, g[4];
	char		 cwd[64];

	priv_drop(NOBODY, NOBODY, dir);
	if (getresuid(&ru, &eu, &su) == -1 || ru != NOBODY || eu != NOBODY ||
	    su != NOBODY)
		return 1;
	if (getresgid(&rg, &eg, &sg) == -1 || rg != NOBODY || eg != NOBODY ||
	    sg != NOBODY)
		return 2;
	if (getgroups(4, g) != 1 || g[0] != NOBODY)
		return 3;
	if (setuid(0) != -1)
		return 4;
	if (dir != NULL) {
		/* inside the chroot: "/" is dir, which holds only "marker" */
		if (getcwd(cwd, sizeof(cwd)) == NULL || strcmp(cwd, "/") != 0)
			return 5;
		if (access("/marker", F_OK) != 0)
			return 6;
		if (access("/etc/passwd", F_OK) == 0)
			return 7;
	}
	return 0;
}

static void
test_drop_root(void **state)
{
	char	 dir[] = "/tmp/test_priv.XXXXXX", marker[64];
	int	 fd;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(child_drop, NULL), 0);

	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);	/* nobody must search it */
	assert_true(snprintf(marker, sizeof(marker), "%s/marker", dir) > 0);
	fd = open(marker, O_WRONLY | O_CREAT, 0600);
	assert_true(fd != -1);
	close(fd);
	assert_int_equal(in_child(child_drop, dir), 0);
	assert_int_equal(unlink(marker), 0);
	assert_int_equal(rmdir(dir), 0);
}

static int
child_drop_user(void *arg)
{
	uid_t	 uid;
	gid_t	 gid;

	if (priv_lookup(arg, &uid, &gid) == -1)
		return 10;
	priv_drop_user(arg, NULL);
	if (getuid() != uid || geteuid() != uid || getgid() != gid)
		return 1;
	if (setuid(0) != -1)
		return 2;
	return 0;
}

static int
child_drop_missing(void *arg)
{
	(void)arg;
	priv_drop_user("facteur-no-such-user-x", NULL);
	return 0;			/* must not get here */
}

static int
child_drop_to_root(void *arg)
{
	(void)arg;
	priv_drop(0, 0, NULL);
	return 0;
}

static int
child_bad_chroot(void *arg)
{
	(void)arg;
	priv_drop(NOBODY, NOBODY, "/nonexistent/facteur-chroot");
	return 0;
}

static void
test_drop_failures_fatal(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(child_drop_user, "nobody"), 0);
	/* fatal() exits 111: a half-dropped process does not go on */
	assert_int_equal(in_child(child_drop_missing, NULL), 111);
	assert_int_equal(in_child(child_drop_to_root, NULL), 111);
	assert_int_equal(in_child(child_bad_chroot, NULL), 111);
}

static int
child_not_root(void *arg)
{
	(void)arg;
	if (geteuid() == 0 && (setgroups(0, NULL) == -1 ||
	    setresgid(NOBODY, NOBODY, NOBODY) == -1 ||
	    setresuid(NOBODY, NOBODY, NOBODY) == -1))
		return 20;
	if (priv_is_root())
		return 21;
	/* log lines go to a file we can read back */
	FILE *tf = tmpfile();
	char line[256];
	int n = 0;
	if (tf == NULL || dup2(fileno(tf), STDERR_FILENO) == -1)
		return 23;
	/* no-ops, even with a user and a chroot that would fail */
	priv_drop(1, 1, "/nonexistent/facteur-chroot");
	priv_drop_user("facteur-no-such-user-x", "/nonexistent");
	priv_drop(0, 0, NULL);
	if (geteuid() == 0)
		return 22;
	/* logged exactly once */
	rewind(tf);
	while (fgets(line, sizeof(line), tf) != NULL)
		if (strstr(line, "not running as root") != NULL)
			n++;
	return n == 1 ? 0 : 24;
}

static void
test_not_root_noop(void **state)
{
	(void)state;
	assert_int_equal(in_child(child_not_root, NULL), 0);
}

static int
chroot_ok(const char *dir)
{
	char	 err[PATH_MAX + 64];

	err[0] = '\0';
	return priv_chroot_check(dir, err, sizeof(err)) == 0 ? 1 :
	    err[0] != '\0' ? 0 : -1;	/* -1: failed without a reason */
}

static int
child_unsafe_chroot(void *arg)
{
	priv_drop(NOBODY, NOBODY, arg);
	return 0;			/* must not get here */
}

static void
test_chroot_check(void **state)
{
	char	 top[] = "/tmp/test_priv_chroot.XXXXXX", sub[128], deep[160];
	char	 link[160], file[160], err[256];

	(void)state;
	/* anyone can run these */
	assert_int_equal(chroot_ok("relative/dir"), 0);
	assert_int_equal(chroot_ok("/nonexistent/facteur-chroot"), 0);
	assert_int_equal(chroot_ok("/tmp"), 0);	/* world-writable itself */
	assert_int_equal(priv_chroot_check("/tmp", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by others (mode 1777)"));
	assert_int_equal(chroot_ok("/"), 1);
	assert_int_equal(chroot_ok("/usr"), 1);
	assert_int_equal(chroot_ok("/usr/"), 1);
	assert_int_equal(chroot_ok("//usr//lib"), 1);

	assert_non_null(mkdtemp(top));
	(void)snprintf(sub, sizeof(sub), "%s/empty", top);
	(void)snprintf(deep, sizeof(deep), "%s/empty/deeper", top);
	(void)snprintf(link, sizeof(link), "%s/link", top);
	(void)snprintf(file, sizeof(file), "%s/file", top);
	assert_int_equal(chmod(top, 0755), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(mkdir(deep, 0755), 0);
	assert_int_equal(close(open(file, O_WRONLY | O_CREAT, 0644)), 0);
	assert_int_equal(symlink("/tmp", link), 0);
	/* not a directory; a link to a world-writable one */
	assert_int_equal(chroot_ok(file), 0);
	assert_int_equal(chroot_ok(link), 0);
	if (geteuid() != 0) {
		/* our own directory is not root's */
		assert_int_equal(priv_chroot_check(sub, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "not root"));
	} else {
		/* root's, 0755, under sticky /tmp: fit */
		assert_int_equal(chroot_ok(sub), 1);
		assert_int_equal(chroot_ok(deep), 1);
		/* writable by its group or by others: not */
		assert_int_equal(chmod(sub, 0775), 0);
		assert_int_equal(priv_chroot_check(sub, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "writable by its group"));
		assert_int_equal(chmod(sub, 01777), 0);
		assert_int_equal(chroot_ok(sub), 0);	/* sticky or not */
		/* below it, sticky keeps root's entry root's (as in /tmp) */
		assert_int_equal(chroot_ok(deep), 1);
		/* not sticky: the entry could be swapped */
		assert_int_equal(chmod(sub, 0777), 0);
		assert_int_equal(chroot_ok(deep), 0);
		assert_int_equal(chmod(sub, 0755), 0);
		/* owned by another user, here or above */
		assert_int_equal(chown(sub, NOBODY, NOBODY), 0);
		assert_int_equal(priv_chroot_check(sub, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "owned by uid 65534, not root"));
		assert_int_equal(chroot_ok(deep), 0);
		/* and priv_drop refuses to chroot there: fatal */
		assert_int_equal(in_child(child_unsafe_chroot, deep), 111);
		assert_int_equal(chown(sub, 0, 0), 0);
		assert_int_equal(chmod(sub, 0777), 0);
		assert_int_equal(in_child(child_unsafe_chroot, sub), 111);
	}
	assert_int_equal(unlink(link), 0);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(deep), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(top), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_root),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_drop_root),
		cmocka_unit_test(test_drop_failures_fatal),
		cmocka_unit_test(test_not_root_noop),
		cmocka_unit_test(test_chroot_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
