/*
 * Unit tests for lib/maildir/maildir_list.c and the files behind the same header
 * (maildir_name.c, maildir_sizes.c, maildir_msg.c, maildir_wire.c): wire
 * sizes and conversion (LF, CRLF, bare CR, no final newline, dot-stuffing
 * across chunk boundaries), new/ taken into cur/, listing order, ,W=
 * sizes, the size cache (written, used, stale and corrupt records
 * ignored), UIDLs (plain and hashed), flags added in order, renames
 * followed, removal of what is gone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "maildir.h"
#include "crlf.h"
#include "maildir_list.h"

static char	 dir[64];

static int
setup(void **state)
{
	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/test_maildir_list.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return maildir_create(dir, 0700);
}

static int
teardown(void **state)
{
	char	 cmd[PATH_MAX + 16];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
put(const char *sub, const char *name, const char *data)
{
	char	 path[PATH_MAX];
	int	 fd;

	(void)snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fd_write_full(fd, data, strlen(data)), 0);
	assert_int_equal(close(fd), 0);
}

static int
exists(const char *sub, const char *name)
{
	char		 path[PATH_MAX];
	struct stat	 st;

	(void)snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	return stat(path, &st) == 0;
}

/* The wire form of s, converted in chunks of n bytes. */
static char *
convert(const char *s, size_t n, size_t *outlen, size_t *counted)
{
	struct crlf_state	 c, k;
	struct buf		 b;
	size_t			 len = strlen(s), i, step;

	crlf_init(&c);
	crlf_init(&k);
	buf_init(&b, 1 << 20);
	*counted = 0;
	for (i = 0; i < len; i += step) {
		step = len - i < n ? len - i : n;
		assert_int_equal(crlf_convert(&c, s + i, step, 1, &b), 0);
		*counted += crlf_count(&k, s + i, step);
	}
	assert_int_equal(crlf_convert_end(&c, &b), 0);
	*counted += crlf_count_end(&k);
	*outlen = b.len;
	return b.data;
}

static void
test_wire(void **state)
{
	static const struct { const char *in, *out; size_t size; } t[] = {
		{ "", "", 0 },
		{ "a\nb\n", "a\r\nb\r\n", 6 },
		{ "a\r\nb\r\n", "a\r\nb\r\n", 6 },
		{ "no newline", "no newline\r\n", 12 },
		{ ".x\n..y\n.\n", "..x\r\n...y\r\n..\r\n", 12 },
		{ "bare\rcr\n", "bare\rcr\r\n", 9 },
		{ "a\n\n.\n", "a\r\n\r\n..\r\n", 8 },
		{ "x.\n.", "x.\r\n..\r\n", 7 },
	};
	size_t	 i, n, len, counted;
	char	*out;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (n = 1; n <= 4; n++) {
			out = convert(t[i].in, n, &len, &counted);
			assert_int_equal(len, strlen(t[i].out));
			assert_memory_equal(out, t[i].out, len);
			assert_int_equal(counted, t[i].size);
			free(out);
		}
}

static void
test_size_fd(void **state)
{
	char	 path[PATH_MAX];
	int	 fd;

	(void)state;
	put("cur", "m", "a\nb\r\nc");
	(void)snprintf(path, sizeof(path), "%s/cur/m", dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(crlf_size_fd(fd), 3 + 3 + 3);
	(void)close(fd);
	assert_int_equal(crlf_size_fd(-1), -1);
}

static void
test_take_new_and_scan(void **state)
{
	struct maildir_list	 l;
	char			 u[MAILDIR_UIDL_MAX + 1];

	(void)state;
	put("new", "200.M1P1.h", "two\n");
	put("new", "100.M1P1.h", "one\n");
	put("new", ".hidden", "x\n");
	put("cur", "1000.M1P1.h:2,S", "ten\n");
	put("cur", "99.M1P1.h,S=4,W=77:2,", "w\n");
	assert_int_equal(maildir_list_take_new(dir), 2);
	assert_true(exists("cur", "200.M1P1.h:2,"));
	assert_true(exists("new", ".hidden"));
	assert_int_equal(maildir_list_scan(&l, dir), 0);
	assert_int_equal(l.n, 4);
	/* arrival order by the leading seconds, not by bytes */
	assert_string_equal(maildir_list_name(&l, 0), "99.M1P1.h,S=4,W=77:2,");
	assert_string_equal(maildir_list_name(&l, 1), "100.M1P1.h:2,");
	assert_string_equal(maildir_list_name(&l, 3), "1000.M1P1.h:2,S");
	assert_int_equal(l.msgs[0].size, 77);	/* from ,W= */
	assert_int_equal(l.msgs[1].size, 5);
	assert_int_equal(l.computed, 3);
	maildir_list_uidl(&l, 3, u, sizeof(u));
	assert_string_equal(u, "1000.M1P1.h");
	maildir_list_free(&l);
	assert_true(exists("", MAILDIR_SIZE_CACHE));

	/* second listing: every size from the cache or the name */
	assert_int_equal(maildir_list_scan(&l, dir), 0);
	assert_int_equal(l.computed, 0);
	assert_int_equal(l.msgs[3].size, 5);
	maildir_list_free(&l);

	/* a message whose size on disk changed is measured again */
	put("cur", "100.M1P1.h:2,", "longer one\n");
	assert_int_equal(maildir_list_scan(&l, dir), 0);
	assert_int_equal(l.computed, 1);
	assert_int_equal(l.msgs[1].size, 12);
	maildir_list_free(&l);
}

static void
test_corrupt_cache(void **state)
{
	struct maildir_list	 l;
	char			 path[PATH_MAX];
	int			 fd;

	(void)state;
	put("cur", "5.a:2,", "abc\n");
	(void)snprintf(path, sizeof(path), "%s/%s", dir, MAILDIR_SIZE_CACHE);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fd_write_full(fd, "5.a\0004\0999x\0", 12), 0);
	(void)close(fd);
	assert_int_equal(maildir_list_scan(&l, dir), 0);
	assert_int_equal(l.msgs[0].size, 5);
	assert_int_equal(l.computed, 1);
	maildir_list_free(&l);
	/* a record made for another size on disk is not believed */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fd_write_full(fd, "5.a\0003\00042\0", 10), 0);
	(void)close(fd);
	assert_int_equal(maildir_list_scan(&l, dir), 0);
	assert_int_equal(l.msgs[0].size, 5);
	maildir_list_free(&l);
}

static void
test_flags_rename_remove(void **state)
{
	struct maildir_list	 l;
	char			 from[PATH_MAX], to[PATH_MAX];
	int			 fd;

	(void)state;
	put("cur", "7.b:2,FT", "x\n");
	put("cur", "8.c", "y\n");
	assert_int_equal(maildir_list_scan(&l, dir), 0);
	assert_int_equal(maildir_list_add_flag(&l, 0, 'S'), 0);
	assert_string_equal(maildir_list_name(&l, 0), "7.b:2,FST");
	assert_int_equal(maildir_list_add_flag(&l, 0, 'S'), 0);
	assert_true(exists("cur", "7.b:2,FST"));
	assert_int_equal(maildir_list_add_flag(&l, 1, 'S'), 0);
	assert_string_equal(maildir_list_name(&l, 1), "8.c:2,S");
	/* another program renames it: open and remove follow */
	(void)snprintf(from, sizeof(from), "%s/cur/7.b:2,FST", dir);
	(void)snprintf(to, sizeof(to), "%s/cur/7.b:2,RS", dir);
	assert_int_equal(rename(from, to), 0);
	fd = maildir_list_open(&l, 0);
	assert_true(fd >= 0);
	(void)close(fd);
	assert_string_equal(maildir_list_name(&l, 0), "7.b:2,RS");
	assert_int_equal(maildir_list_remove(&l, 0), 0);
	assert_false(exists("cur", "7.b:2,RS"));
	/* already gone: removal counts, open says ENOENT */
	assert_int_equal(maildir_list_remove(&l, 0), 0);
	errno = 0;
	assert_int_equal(maildir_list_open(&l, 0), -1);
	assert_int_equal(errno, ENOENT);
	maildir_list_free(&l);
}

static void
test_uidl_hashed(void **state)
{
	struct maildir_list	 l;
	char			 u[MAILDIR_UIDL_MAX + 1], v[MAILDIR_UIDL_MAX + 1];
	char			 longname[120];

	(void)state;
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '9';
	longname[sizeof(longname) - 1] = '\0';
	put("cur", longname, "x\n");
	put("cur", "10.with space:2,", "y\n");
	assert_int_equal(maildir_list_scan(&l, dir), 0);
	assert_int_equal(l.n, 2);
	maildir_list_uidl(&l, 0, u, sizeof(u));
	assert_int_equal(u[0], 'H');
	assert_int_equal(strlen(u), 33);
	maildir_list_uidl(&l, 1, v, sizeof(v));
	/* SHA-256 of the unique name, as it has always been: no UIDL moves */
	assert_string_equal(v, "Hc8bc9ec36d521f1283b2c113f3f292ea");
	assert_string_not_equal(u, v);
	maildir_list_free(&l);
	assert_int_equal(maildir_list_scan(&l, dir), 0);
	maildir_list_uidl(&l, 0, v, sizeof(v));
	assert_string_equal(u, v);		/* stable */
	maildir_list_free(&l);
}

static void
test_missing_dir(void **state)
{
	struct maildir_list	 l;

	(void)state;
	assert_int_equal(maildir_list_scan(&l, "/nonexistent/Maildir"), -1);
	assert_int_equal(maildir_list_take_new("/nonexistent/Maildir"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire),
		cmocka_unit_test_setup_teardown(test_size_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_new_and_scan, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_cache, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flags_rename_remove, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_uidl_hashed, setup,
		    teardown),
		cmocka_unit_test(test_missing_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
