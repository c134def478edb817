/*
 * test_users: passwd-file lookups (found, missing, empty uid, malformed
 * file), reloading after the file changes, and system accounts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "users.h"

static char	dir[64];
static char	path[128];

static void
write_file(const char *p, const char *data)
{
	char	tmp[160];
	int	fd;

	/* Replaced by rename, as an editor or a deploy script would. */
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(close(fd), 0);
	assert_int_equal(rename(tmp, p), 0);
}

static int
setup(void **state)
{
	(void)state;
	log_init("test_users", 1);
	(void)strlcpy(dir, "/tmp/test_users.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		return -1;
	(void)snprintf(path, sizeof(path), "%s/users", dir);
	write_file(path,
	    "# virtual users\n"
	    "alice:{SHA512-CRYPT}$6$salt$hash:1001:1002:Alice:/home/alice::\n"
	    "bob:{PLAIN}secret::::/var/vmail/bob\n"
	    "carol:{PLAIN}pw\n"
	    "dave:{PLAIN}pw:2000::x:/d\n"
	    "root:{PLAIN}notreally:5000:5000::/virtual/root\n");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	(void)unlink(path);
	return rmdir(dir);
}

static void
test_passwd_file(void **state)
{
	struct user_entry	e;

	(void)state;
	assert_int_equal(users_lookup(path, 0, "alice", &e), 1);
	assert_string_equal(e.name, "alice");
	assert_string_equal(e.hash, "{SHA512-CRYPT}$6$salt$hash");
	assert_int_equal(e.uid, 1001);
	assert_int_equal(e.gid, 1002);
	assert_string_equal(e.home, "/home/alice");
	assert_int_equal(e.system, 0);

	/* Empty uid and gid: (uid_t)-1, use virtual_user. */
	assert_int_equal(users_lookup(path, 0, "bob", &e), 1);
	assert_string_equal(e.hash, "{PLAIN}secret");
	assert_true(e.uid == (uid_t)-1);
	assert_true(e.gid == (gid_t)-1);
	assert_string_equal(e.home, "/var/vmail/bob");

	/* Only user and password. */
	assert_int_equal(users_lookup(path, 0, "carol", &e), 1);
	assert_string_equal(e.hash, "{PLAIN}pw");
	assert_true(e.uid == (uid_t)-1);
	assert_string_equal(e.home, "");

	/* One of the two empty is as both empty. */
	assert_int_equal(users_lookup(path, 0, "dave", &e), 1);
	assert_true(e.uid == (uid_t)-1);
	assert_true(e.gid == (gid_t)-1);
	assert_string_equal(e.home, "/d");

	/* The passwd-file wins over the system account. */
	assert_int_equal(users_lookup(path, 1, "root", &e), 1);
	assert_int_equal(e.system, 0);
	assert_int_equal(e.uid, 5000);
	assert_string_equal(e.home, "/virtual/root");
}

/*
 * A forked child does not inherit the tables (lib/conf/table.c): it forgets
 * the cache, loads the file again for its own lookups, and
 * users_cache_wipe there touches nothing of the parent's.
 */
static void
test_forked_child(void **state)
{
	struct user_entry	e;
	pid_t			pid;
	int			st;

	(void)state;
	assert_int_equal(users_lookup(path, 0, "alice", &e), 1);
	if ((pid = fork()) == 0) {
		if (users_lookup(path, 0, "bob", &e) != 1 ||
		    strcmp(e.hash, "{PLAIN}secret") != 0)
			_exit(1);
		users_cache_wipe();
		users_cache_wipe();
		_exit(users_lookup(path, 0, "carol", &e) == 1 ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* the parent's cache is whole */
	assert_int_equal(users_lookup(path, 0, "alice", &e), 1);
	assert_string_equal(e.hash, "{SHA512-CRYPT}$6$salt$hash");
	/* and a child that only wipes */
	if ((pid = fork()) == 0) {
		users_cache_wipe();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
test_missing(void **state)
{
	struct user_entry	e;
	char			long_name[USER_NAME_MAX + 2];

	(void)state;
	assert_int_equal(users_lookup(path, 0, "nobody-here", &e), 0);
	assert_int_equal(users_lookup(path, 0, "Alice", &e), 0);
	assert_int_equal(users_lookup(path, 0, "", &e), 0);
	assert_int_equal(users_lookup(path, 0, "alice:x", &e), 0);
	assert_int_equal(users_lookup(path, 0, "ali\nce", &e), 0);
	assert_int_equal(users_lookup(path, 1, "../root", &e), 0);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(users_lookup(path, 1, long_name, &e), 0);
	/* No table at all. */
	assert_int_equal(users_lookup(NULL, 0, "alice", &e), 0);
	assert_int_equal(users_lookup("", 0, "alice", &e), 0);
	/* A table that cannot be read is an error, not "no such user". */
	assert_int_equal(users_lookup("/nonexistent/users", 1, "root", &e), -1);
}

static void
test_malformed(void **state)
{
	struct user_entry	e;
	char			bad[128], line[1024];

	(void)state;
	(void)snprintf(bad, sizeof(bad), "%s/bad", dir);
	write_file(bad, "good:{PLAIN}x:1:1::/h\nbad:{PLAIN}x:one:1::/h\n");
	/* The whole table is refused, good lines too. */
	assert_int_equal(users_lookup(bad, 0, "good", &e), -1);
	write_file(bad, "good:{PLAIN}x:1:1::relative\n");
	assert_int_equal(users_lookup(bad, 0, "good", &e), -1);
	write_file(bad, "nopassword\n");
	assert_int_equal(users_lookup(bad, 0, "nopassword", &e), -1);
	write_file(bad, "dup:a\ndup:b\n");
	assert_int_equal(users_lookup(bad, 0, "dup", &e), -1);

	/* A hash longer than the entry holds: an error, not truncation. */
	memcpy(line, "big:", 4);
	memset(line + 4, 'h', 600);
	memcpy(line + 604, ":1:1::/h\n", 10);
	write_file(bad, line);
	assert_int_equal(users_lookup(bad, 0, "big", &e), -1);

	/* Fixed, it loads again. */
	write_file(bad, "good:{PLAIN}x:7:8::/h\n");
	assert_int_equal(users_lookup(bad, 0, "good", &e), 1);
	assert_int_equal(e.uid, 7);
	assert_int_equal(unlink(bad), 0);
}

static void
test_reload(void **state)
{
	struct user_entry	e;
	char			p2[128];

	(void)state;
	(void)snprintf(p2, sizeof(p2), "%s/reload", dir);
	write_file(p2, "u:{PLAIN}one:10:10::/h\n");
	assert_int_equal(users_lookup(p2, 0, "u", &e), 1);
	assert_string_equal(e.hash, "{PLAIN}one");
	/* Same size, new inode: seen. */
	write_file(p2, "u:{PLAIN}two:10:10::/h\n");
	assert_int_equal(users_lookup(p2, 0, "u", &e), 1);
	assert_string_equal(e.hash, "{PLAIN}two");
	write_file(p2, "v:{PLAIN}three\n");
	assert_int_equal(users_lookup(p2, 0, "u", &e), 0);
	assert_int_equal(users_lookup(p2, 0, "v", &e), 1);
	/* Other paths keep their own tables. */
	assert_int_equal(users_lookup(path, 0, "alice", &e), 1);
	assert_int_equal(users_lookup(p2, 0, "v", &e), 1);
	assert_int_equal(unlink(p2), 0);
	/* Gone: an error now, not the stale table. */
	assert_int_equal(users_lookup(p2, 0, "v", &e), -1);
}

static void
test_system(void **state)
{
	struct user_entry	 e;
	struct passwd		*pw;

	(void)state;
	assert_int_equal(users_lookup(NULL, 1, "root", &e), 1);
	assert_int_equal(e.system, 1);
	assert_int_equal(e.uid, 0);
	assert_int_equal(e.gid, 0);
	assert_string_equal(e.name, "root");
	assert_string_equal(e.hash, "");
	pw = getpwnam("root");
	assert_non_null(pw);
	assert_string_equal(e.home, pw->pw_dir);

	/* Not in the passwd-file: falls through to the system. */
	assert_int_equal(users_lookup(path, 1, "daemon", &e), 1);
	assert_int_equal(e.system, 1);
	assert_int_equal(users_lookup(path, 0, "daemon", &e), 0);
	assert_int_equal(users_lookup(NULL, 1, "no-such-user-xyz", &e), 0);
	assert_int_equal(users_lookup(NULL, 0, "root", &e), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passwd_file),
		cmocka_unit_test(test_forked_child),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_system),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
