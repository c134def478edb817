/*
 * test_table: the four table formats, continuation lines, comments,
 * duplicates, long lines, errors with their lines, and lookups in a
 * 100,000-entry table; a table_ref loaded again when its file changes,
 * and kept when the new file fails the caller's check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "table.h"
#include "table_ref.h"

#define ERRS_MAX	32

struct errs {
	size_t	n;
	char	msg[ERRS_MAX][512];
};

static char	dir[64];
static char	path[128];

static void
errs_add(void *arg, const char *msg)
{
	struct errs	*e = arg;

	if (e->n < ERRS_MAX)
		(void)strlcpy(e->msg[e->n], msg, sizeof(e->msg[0]));
	e->n++;
}

static void
write_file(const char *data, size_t len)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static struct table *
load(const char *text, enum table_format fmt, struct errs *e)
{
	write_file(text, strlen(text));
	memset(e, 0, sizeof(*e));
	return table_load(path, fmt, errs_add, e);
}

/* Checks that e->msg[i] is "PATH:what". */
static void
assert_err(const struct errs *e, size_t i, const char *what)
{
	char	want[512];

	assert_true(i < e->n);
	(void)snprintf(want, sizeof(want), "%s:%s", path, what);
	assert_string_equal(e->msg[i], want);
}

static int
setup(void **state)
{
	(void)state;
	(void)strlcpy(dir, "/tmp/test_table.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		return -1;
	(void)snprintf(path, sizeof(path), "%s/t", dir);
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
test_aliases(void **state)
{
	struct errs	 e;
	struct table	*t;

	(void)state;
	t = load("# aliases\n"
	    "\n"
	    "Postmaster: root\n"
	    "root:\tAdmin@Example.ORG  \n"
	    "staff: alice,\n"
	    "  bob,\n"
	    "# a comment inside the list\n"
	    "\tcarol\n"
	    "empty-first:\n"
	    "  later\n"
	    "last : x", TABLE_ALIASES, &e);
	assert_non_null(t);
	assert_int_equal(e.n, 0);
	assert_int_equal(table_count(t), 5);
	assert_string_equal(table_get(t, "postmaster"), "root");
	assert_string_equal(table_get(t, "POSTMASTER"), "root");
	assert_string_equal(table_get(t, "PostMaster"), "root");
	assert_string_equal(table_get(t, "root"), "Admin@Example.ORG");
	assert_string_equal(table_get(t, "staff"), "alice, bob, carol");
	assert_string_equal(table_get(t, "empty-first"), "later");
	assert_string_equal(table_get(t, "last"), "x");
	assert_null(table_get(t, "nobody"));
	assert_null(table_get(t, ""));
	assert_null(table_get(t, "staf"));
	table_free(t);
}

static void
test_aliases_errors(void **state)
{
	struct errs	 e;
	struct table	*t;

	(void)state;
	t = load("  orphan\n"			/* 1 */
	    "a: x\n"				/* 2 */
	    "no colon here\n"			/* 3 */
	    "  skipped continuation\n"	/* 4 */
	    ": nobody\n"			/* 5 */
	    "two words: x\n"			/* 6 */
	    "empty:\n"				/* 7 */
	    "A: y\n"				/* 8 */
	    "cr: x\r\n"				/* 9 */
	    "b: z\n"				/* 10 */
	    "B: w\n", TABLE_ALIASES, &e);	/* 11 */
	assert_null(t);
	assert_int_equal(e.n, 8);
	assert_err(&e, 0, "1: continuation line without an alias before it");
	assert_err(&e, 1, "3: missing ':' (lines are name: value)");
	assert_err(&e, 2, "5: empty name before ':'");
	assert_err(&e, 3, "6: blank in alias name");
	assert_err(&e, 4, "7: empty value for alias \"empty\"");
	assert_err(&e, 5, "9: control byte in line");
	/* Duplicates are case-insensitive, reported in line order. */
	assert_err(&e, 6, "8: duplicate key \"a\" (first at line 2)");
	assert_err(&e, 7, "11: duplicate key \"b\" (first at line 10)");
}

static void
test_long_lines(void **state)
{
	struct errs	 e;
	struct table	*t;
	char		*text;
	size_t		 n;

	(void)state;
	text = malloc(3 * TABLE_LINE_MAX);
	assert_non_null(text);

	/* A physical line of exactly TABLE_LINE_MAX bytes is fine. */
	memcpy(text, "k: ", 3);
	memset(text + 3, 'v', TABLE_LINE_MAX - 3);
	text[TABLE_LINE_MAX] = '\0';
	t = load(text, TABLE_ALIASES, &e);
	assert_non_null(t);
	assert_int_equal(strlen(table_get(t, "k")), TABLE_LINE_MAX - 3);
	table_free(t);

	/* One more is not, and its continuation lines go with it. */
	text[TABLE_LINE_MAX] = 'v';
	memcpy(text + TABLE_LINE_MAX + 1, "\n  more\nok: y\n", 15);
	t = load(text, TABLE_ALIASES, &e);
	assert_null(t);
	assert_int_equal(e.n, 1);
	assert_err(&e, 0, "1: line longer than 8192 bytes");

	/* Continuations may not make the value pass TABLE_LINE_MAX. */
	n = (size_t)snprintf(text, 64, "k: a\n");
	while (n < 2 * TABLE_LINE_MAX) {
		memcpy(text + n, "  bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,\n", 44);
		n += 44;
	}
	memcpy(text + n, "next: z\n", 9);
	t = load(text, TABLE_ALIASES, &e);
	assert_null(t);
	assert_int_equal(e.n, 1);
	assert_err(&e, 0, "1: alias \"k\" longer than 8192 bytes");

	/* Long lines in the other formats too. */
	memset(text, 'w', TABLE_LINE_MAX + 1);
	text[TABLE_LINE_MAX + 1] = '\0';
	t = load(text, TABLE_LIST, &e);
	assert_null(t);
	assert_err(&e, 0, "1: line longer than 8192 bytes");
	free(text);
}

static void
test_passwd(void **state)
{
	struct errs	 e;
	struct table	*t;

	(void)state;
	t = load("# users\n"
	    "alice:{SHA512-CRYPT}$6$salt$hash:1001:1001:Alice A:/home/alice::\n"
	    "bob:{PLAIN}secret\n"
	    "carol:{BLF-CRYPT}$2y$05$x:::x:/var/vmail/carol:/bin/sh:quota=1G\n"
	    "dave:x:0:0\n"
	    "eve:x:4294967294:4294967294::\n"
	    "frank:x:1:2:g::extra:with:colons\n", TABLE_PASSWD, &e);
	assert_non_null(t);
	assert_int_equal(e.n, 0);
	assert_int_equal(table_count(t), 6);
	assert_string_equal(table_get(t, "alice"),
	    "alice:{SHA512-CRYPT}$6$salt$hash:1001:1001:Alice A:/home/alice::");
	assert_string_equal(table_get(t, "bob"), "bob:{PLAIN}secret");
	assert_non_null(table_get(t, "carol"));
	assert_non_null(table_get(t, "frank"));
	/* User names are case-sensitive. */
	assert_null(table_get(t, "Alice"));
	table_free(t);

	t = load("nopass\n"				/* 1 */
	    ":x:1:1::/h\n"				/* 2 */
	    "a b:x\n"					/* 3 */
	    "u1:x:abc:1\n"				/* 4 */
	    "u2:x:1:-1\n"				/* 5 */
	    "u3:x:4294967295:1\n"			/* 6 */
	    "u4:x:1:1::home/rel:\n"			/* 7 */
	    "u5:x:99999999999:1\n"			/* 8 */
	    "ok:x\n"					/* 9 */
	    "ok:y\n", TABLE_PASSWD, &e);		/* 10 */
	assert_null(t);
	assert_int_equal(e.n, 9);
	assert_err(&e, 0, "1: missing password field (lines are "
	    "user:password:uid:gid:gecos:home:extra)");
	assert_err(&e, 1, "2: empty user name");
	assert_err(&e, 2, "3: blank in user name");
	assert_err(&e, 3, "4: uid must be a number up to 4294967294 or empty");
	assert_err(&e, 4, "5: gid must be a number up to 4294967294 or empty");
	assert_err(&e, 5, "6: uid must be a number up to 4294967294 or empty");
	assert_err(&e, 6, "7: home must be an absolute path or empty");
	assert_err(&e, 7, "8: uid must be a number up to 4294967294 or empty");
	assert_err(&e, 8, "10: duplicate key \"ok\" (first at line 9)");
}

static void
test_list_map(void **state)
{
	struct errs	 e;
	struct table	*t;

	(void)state;
	t = load("# domains\nexample.org\n  example.net  \n\nEXAMPLE.com\n",
	    TABLE_LIST, &e);
	assert_non_null(t);
	assert_int_equal(table_count(t), 3);
	assert_string_equal(table_get(t, "example.org"), "");
	assert_string_equal(table_get(t, "example.net"), "");
	assert_string_equal(table_get(t, "EXAMPLE.com"), "");
	assert_null(table_get(t, "example.co"));
	table_free(t);

	t = load("a.example\ntwo words\na.example\n", TABLE_LIST, &e);
	assert_null(t);
	assert_int_equal(e.n, 2);
	assert_err(&e, 0, "2: more than one word on the line");
	assert_err(&e, 1, "3: duplicate key \"a.example\" (first at line 1)");

	t = load("alice@example.org   alice\n"
	    "bob@example.org\t /var/mail/bob  extra words \n"
	    "#c d\n", TABLE_MAP, &e);
	assert_non_null(t);
	assert_int_equal(table_count(t), 2);
	assert_string_equal(table_get(t, "alice@example.org"), "alice");
	assert_string_equal(table_get(t, "bob@example.org"),
	    "/var/mail/bob  extra words");
	table_free(t);

	t = load("lonely\nk v\n", TABLE_MAP, &e);
	assert_null(t);
	assert_int_equal(e.n, 1);
	assert_err(&e, 0, "1: missing value after \"lonely\"");

	/* An empty file is an empty table. */
	t = load("", TABLE_MAP, &e);
	assert_non_null(t);
	assert_int_equal(table_count(t), 0);
	assert_null(table_get(t, "x"));
	table_free(t);
}

static void
test_files(void **state)
{
	struct errs	 e;
	char		 want[256];

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_null(table_load("/nonexistent/aliases", TABLE_ALIASES,
	    errs_add, &e));
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0],
	    "/nonexistent/aliases: No such file or directory");
	memset(&e, 0, sizeof(e));
	assert_null(table_load(dir, TABLE_LIST, errs_add, &e));
	assert_int_equal(e.n, 1);
	(void)snprintf(want, sizeof(want), "%s: not a regular file", dir);
	assert_string_equal(e.msg[0], want);
	/* A NUL byte is a control byte. */
	write_file("a: b\0c\n", 7);
	memset(&e, 0, sizeof(e));
	assert_null(table_load(path, TABLE_ALIASES, NULL, NULL));
	assert_null(table_load(path, TABLE_ALIASES, errs_add, &e));
	assert_err(&e, 0, "1: control byte in line");
	assert_null(table_get(NULL, "x"));
	assert_int_equal(table_count(NULL), 0);
}

/* The check of test_ref: no value may be "bad". */
static int
no_bad(const struct table *t, const char *p)
{
	const char	*k, *v;
	size_t		 i;

	(void)p;
	for (i = 0; table_entry(t, i, &k, &v) == 0; i++)
		if (strcmp(v, "bad") == 0)
			return -1;
	return 0;
}

static void
test_ref(void **state)
{
	struct table_ref	 r;
	struct errs		 e;
	struct timespec		 later[2];

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	write_file("Example.ORG smtp:[a]\n", 21);
	assert_int_equal(table_ref_refresh_check(&r, path, TABLE_ADDRS,
	    errs_add, &e, no_bad), 1);
	assert_string_equal(table_get(r.t, "example.org"), "smtp:[a]");
	/* unchanged: not read again */
	assert_int_equal(table_ref_refresh_check(&r, path, TABLE_ADDRS,
	    errs_add, &e, no_bad), 0);
	/* a new file the check refuses: the old table stays */
	write_file("example.org bad\n", 16);
	assert_int_equal(table_ref_refresh_check(&r, path, TABLE_ADDRS,
	    errs_add, &e, no_bad), -1);
	assert_string_equal(table_get(r.t, "example.org"), "smtp:[a]");
	/* fixed (another size, and a later time): taken */
	write_file("example.org relay:[b]\n", 22);
	later[0].tv_sec = later[1].tv_sec = time(NULL) + 10;
	later[0].tv_nsec = later[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, later, 0), 0);
	assert_int_equal(table_ref_refresh_check(&r, path, TABLE_ADDRS,
	    errs_add, &e, no_bad), 1);
	assert_string_equal(table_get(r.t, "example.org"), "relay:[b]");
	assert_int_equal(e.n, 0);
	/* no path: no table */
	assert_int_equal(table_ref_refresh_check(&r, "", TABLE_ADDRS,
	    errs_add, &e, no_bad), 0);
	assert_null(r.t);
}

/* 1 when the page holding p is mapped in this process. */
static int
mapped(const void *p)
{
	uintptr_t	 page = (uintptr_t)p & ~(uintptr_t)4095;

	return msync((void *)page, 4096, MS_ASYNC) == 0;
}

/* 0 when a forked child sees p mapped as want says. */
static int
child_sees(const void *p, int want)
{
	pid_t	 pid;
	int	 st;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		_exit(mapped(p) == want ? 0 : 1);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/*
 * A passwd-file's values (password hashes) are in memory a fork does not
 * copy: a child has no such page.  Other tables are inherited as usual.
 */
static void
test_passwd_not_inherited(void **state)
{
	struct errs	 e;
	struct table	*t, *m;
	const char	*v, *w;

	(void)state;
	t = load("bob:{PLAIN}secret:1000:1000::/home/bob::\n", TABLE_PASSWD,
	    &e);
	assert_non_null(t);
	assert_non_null(v = table_get(t, "bob"));
	assert_true(mapped(v));
	assert_int_equal(child_sees(v, 0), 0);
	assert_string_equal(v, "bob:{PLAIN}secret:1000:1000::/home/bob::");
	m = load("key value\n", TABLE_MAP, &e);
	assert_non_null(m);
	assert_non_null(w = table_get(m, "key"));
	assert_int_equal(child_sees(w, 1), 0);
	table_free(m);
	table_free(t);
}

static void
test_big(void **state)
{
	struct errs	 e;
	struct table	*t;
	char		*text, key[64], val[64];
	size_t		 n = 0, i;
	const size_t	 count = 100000;
	struct timespec	 t0, t1;
	double		 secs;

	(void)state;
	text = malloc(count * 64);
	assert_non_null(text);
	/* Written in reverse order, so the loader must sort. */
	for (i = count; i > 0; i--)
		n += (size_t)snprintf(text + n, 64, "user%zu: user%zu@example.org\n",
		    i - 1, i - 1);
	write_file(text, n);
	free(text);
	memset(&e, 0, sizeof(e));
	t = table_load(path, TABLE_ALIASES, errs_add, &e);
	assert_non_null(t);
	assert_int_equal(table_count(t), count);
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
	for (i = 0; i < count; i++) {
		(void)snprintf(key, sizeof(key), "USER%zu", i);
		(void)snprintf(val, sizeof(val), "user%zu@example.org", i);
		assert_string_equal(table_get(t, key), val);
	}
	assert_null(table_get(t, "user100000"));
	assert_null(table_get(t, "user"));
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &t1), 0);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* A linear search would take minutes; this is well under a second. */
	assert_true(secs < 5.0);
	table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_aliases_errors),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_passwd),
		cmocka_unit_test(test_list_map),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_ref),
		cmocka_unit_test(test_passwd_not_inherited),
		cmocka_unit_test(test_big),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
