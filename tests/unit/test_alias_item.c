/*
 * test_alias_item: the items of an alias value, an :include: file and a
 * ~/.forward: separators, comments, quotes, each kind, the limits, and
 * the checks on a file read whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alias_item.h"

/* The items of text as "K:value" lines (K: a s c f i), or "!why". */
static void
items(const char *text, int file, char *out, size_t outsz)
{
	struct alias_items	 it;
	enum alias_item_kind	 kind;
	char			 buf[ALIAS_ITEM_MAX + 1];
	const char		*value, *why = NULL;
	size_t			 n = 0;
	int			 r;

	out[0] = '\0';
	alias_items_init(&it, text, file);
	while ((r = alias_items_next(&it, buf, sizeof(buf), &kind, &value,
	    &why)) == 1) {
		n += (size_t)snprintf(out + n, outsz - n, "%c:%s\n",
		    "ascfi"[kind], value);
		assert_true(n < outsz);
	}
	if (r == -1)
		(void)snprintf(out + n, outsz - n, "!%s", why);
	/* after the end or an error, nothing more comes */
	assert_int_equal(alias_items_next(&it, buf, sizeof(buf), &kind,
	    &value, &why), 0);
}

static void
expect(const char *text, int file, const char *want)
{
	char	out[8192];

	items(text, file, out, sizeof(out));
	assert_string_equal(out, want);
}

static void
test_kinds(void **state)
{
	(void)state;
	expect("alice, bob@example.org,\\carol", 0,
	    "a:alice\na:bob@example.org\ns:carol\n");
	expect("|/usr/bin/procmail -a foo, /var/mail/x, :include:/etc/l", 0,
	    "c:/usr/bin/procmail -a foo\nf:/var/mail/x\ni:/etc/l\n");
	expect("| /bin/cat", 0, "c:/bin/cat\n");
	expect(":INCLUDE: /etc/l", 0, "i:/etc/l\n");
	/* quotes keep commas and blanks; \" and \\ inside */
	expect("\"|/bin/echo a, b\", \"/path with space/\"", 0,
	    "c:/bin/echo a, b\nf:/path with space/\n");
	expect("\"|/bin/echo \\\"x\\\" \\\\\"", 0,
	    "c:/bin/echo \"x\" \\\n");
	expect("|\"/usr/bin/foo bar\"", 0, "c:/usr/bin/foo bar\n");
	/* empty items between commas are skipped */
	expect(" , ,alice,,", 0, "a:alice\n");
	expect("", 0, "");
}

static void
test_file(void **state)
{
	(void)state;
	expect("# a comment, with a comma\nalice\n  # another\n"
	    "bob, carol\r\n\n\"|/usr/bin/procmail\"\n", 1,
	    "a:alice\na:bob\na:carol\nc:/usr/bin/procmail\n");
	/* a line end separates in a file, not in an alias value */
	expect("alice\nbob\n", 1, "a:alice\na:bob\n");
	/* '#' inside a line is an ordinary byte */
	expect("a#b\n", 1, "a:a#b\n");
	expect("\\alice\n|/bin/true\n", 1, "s:alice\nc:/bin/true\n");
}

static void
test_bad(void **state)
{
	char	text[ALIAS_ITEM_MAX + 16];

	(void)state;
	expect("alice bob", 0, "!blank inside an alias target");
	expect("ok, \"open", 0, "a:ok\n!unbalanced quote in an alias target");
	expect("\"a\nb\"", 1, "!unbalanced quote in an alias target");
	expect("|", 0, "!empty |command");
	expect("| ", 0, "!empty |command");
	expect("\"\"", 0, "!empty alias target");
	expect(":include:etc/x", 0, "!:include: needs an absolute path");
	expect(":include:/a b", 0, "!blank inside an :include: path");
	expect("\\", 0, "!bad alias target \\");
	expect("\\a@b", 0, "!bad alias target \\");
	/* a line end inside an alias value, a stray CR, other controls */
	expect("a\nb", 0, "!control byte in an alias target");
	expect("a\rb\n", 1, "!control byte in an alias target");
	expect("ok\r\n", 1, "a:ok\n");
	expect("|cmd \001", 0, "!control byte in an alias target");
	memset(text, 'a', ALIAS_ITEM_MAX);
	text[ALIAS_ITEM_MAX] = '\0';
	items(text, 0, text, sizeof(text));	/* exactly the limit: fine */
	memset(text, 'a', ALIAS_ITEM_MAX + 1);
	text[ALIAS_ITEM_MAX + 1] = '\0';
	expect(text, 0, "!alias target too long");
}

static int
file_with(const char *data, size_t n)
{
	char	path[] = "/tmp/test_alias_item.XXXXXX";
	int	fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void
test_file_read(void **state)
{
	const char	*why = NULL;
	char		*text, *big;
	int		 fd;

	(void)state;
	fd = file_with("alice\r\nbob\n", 11);
	assert_int_equal(alias_file_read(fd, &text, &why), 0);
	assert_string_equal(text, "alice\r\nbob\n");
	free(text);
	close(fd);

	fd = file_with("a\0b\n", 4);
	assert_int_equal(alias_file_read(fd, &text, &why), -1);
	assert_string_equal(why, "control byte in the file");
	assert_null(text);
	close(fd);

	fd = file_with("a\rb\n", 4);	/* a CR not before LF */
	assert_int_equal(alias_file_read(fd, &text, &why), -1);
	close(fd);

	big = malloc(ALIAS_FILE_MAX + 1);
	assert_non_null(big);
	memset(big, 'a', ALIAS_FILE_MAX + 1);
	fd = file_with(big, ALIAS_FILE_MAX + 1);
	assert_int_equal(alias_file_read(fd, &text, &why), -1);
	assert_string_equal(why, "file too large");
	close(fd);
	fd = file_with(big, ALIAS_FILE_MAX);
	assert_int_equal(alias_file_read(fd, &text, &why), 0);
	assert_int_equal(strlen(text), ALIAS_FILE_MAX);
	free(text);
	close(fd);
	free(big);

	fd = open("/", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(alias_file_read(fd, &text, &why), -1);
	assert_string_equal(why, "not a regular file");
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_file_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
