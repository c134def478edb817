/*
 * test_lroute: the rules of local routing: domain classes,
 * recipient_delimiter (one or several characters, never the first
 * octet), virtual_alias_maps lookups in Postfix's order with the
 * extension carried over, their limits, and the check of the keys.
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

#include "lroute.h"

static char	dir[64];
static char	path[128];

static struct conf *
conf_of(const char *text)
{
	struct conf	*c;

	c = conf_load_buf(text, strlen(text), "t.conf", NULL, NULL);
	assert_non_null(c);
	return c;
}

static struct table *
vtable(const char *text)
{
	struct table	*t;
	int		 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	t = table_load(path, TABLE_ADDRS, NULL, NULL);
	assert_non_null(t);
	return t;
}

static int
setup(void **state)
{
	(void)state;
	(void)strlcpy(dir, "/tmp/test_lroute.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		return -1;
	(void)snprintf(path, sizeof(path), "%s/virtual", dir);
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
test_class(void **state)
{
	struct conf	*c;

	(void)state;
	c = conf_of("myhostname = mx.example.org\n"
	    "local_domains = $myhostname, example.org\n"
	    "virtual_alias_domains = va.test\n"
	    "virtual_mailbox_domains = vm.test, VM2.test\n");
	assert_int_equal(lroute_class(c, ""), LROUTE_LOCAL);
	assert_int_equal(lroute_class(c, "EXAMPLE.org"), LROUTE_LOCAL);
	assert_int_equal(lroute_class(c, "mx.example.org."), LROUTE_LOCAL);
	assert_int_equal(lroute_class(c, "va.test"), LROUTE_VALIAS);
	assert_int_equal(lroute_class(c, "VA.TEST."), LROUTE_VALIAS);
	assert_int_equal(lroute_class(c, "vm2.test"), LROUTE_VMAILBOX);
	assert_int_equal(lroute_class(c, "other.test"), LROUTE_OTHER);
	assert_int_equal(lroute_class(c, "[127.0.0.1]"), LROUTE_OTHER);
	conf_free(c);
}

static void
test_split(void **state)
{
	struct conf	*c;
	const char	*ext;
	char		 d;

	(void)state;
	c = conf_defaults();
	assert_int_equal(lroute_split(c, "demo+news", &ext, &d), 4);
	assert_string_equal(ext, "news");
	assert_int_equal(d, '+');
	assert_int_equal(lroute_split(c, "demo+a+b", &ext, &d), 4);
	assert_string_equal(ext, "a+b");
	/* never at the first octet; an empty extension is an extension */
	assert_int_equal(lroute_split(c, "+demo", &ext, &d), 5);
	assert_null(ext);
	assert_int_equal(lroute_split(c, "demo+", &ext, &d), 4);
	assert_string_equal(ext, "");
	assert_int_equal(lroute_split(c, "demo-x", &ext, &d), 6);
	assert_null(ext);
	assert_int_equal(d, '\0');
	conf_free(c);
	c = conf_of("recipient_delimiter = -+\n");
	assert_int_equal(lroute_split(c, "list-request+x", &ext, &d), 4);
	assert_string_equal(ext, "request+x");
	assert_int_equal(d, '-');
	conf_free(c);
	c = conf_of("recipient_delimiter =\n");
	assert_int_equal(lroute_split(c, "demo+news", &ext, &d), 9);
	assert_null(ext);
	conf_free(c);
}

/* The targets of a lookup, joined by spaces, or "-" / "!why". */
static void
expect_virtual(const struct conf *c, const struct table *t,
    const char *addr, const char *want)
{
	char		 out[4096], got[4096] = "";
	const char	*why = NULL, *p;
	size_t		 n, i;
	int		 r;

	r = lroute_virtual(c, t, addr, out, sizeof(out), &n, &why);
	if (r == 0)
		(void)strlcpy(got, "-", sizeof(got));
	else if (r == -1)
		(void)snprintf(got, sizeof(got), "!%s", why);
	else
		for (i = 0, p = out; i < n; i++, p += strlen(p) + 1) {
			if (i > 0)
				(void)strlcat(got, " ", sizeof(got));
			(void)strlcat(got, p, sizeof(got));
		}
	assert_string_equal(got, want);
}

static void
test_virtual(void **state)
{
	struct conf	*c;
	struct table	*t;

	(void)state;
	c = conf_defaults();
	t = vtable("# virtual\n"
	    "info@VA.test alice, bob@example.org\tcarol\n"
	    "info+vip@va.test boss\n"
	    "@va.test catchall@example.org\n"
	    "sales@example.org bob, x+y@example.org\n"
	    "empty@va.test ,\n");
	expect_virtual(c, t, "info@va.test",
	    "alice bob@example.org carol");
	expect_virtual(c, t, "INFO@Va.Test",
	    "alice bob@example.org carol");
	/* user+ext@domain first, then user@domain with +ext carried over */
	expect_virtual(c, t, "info+vip@va.test", "boss");
	expect_virtual(c, t, "info+x@va.test",
	    "alice+x bob+x@example.org carol+x");
	/* the catch-all, the extension carried over */
	expect_virtual(c, t, "nobody@va.test", "catchall@example.org");
	expect_virtual(c, t, "nobody+z@va.test", "catchall+z@example.org");
	/* a target with an extension of its own keeps it */
	expect_virtual(c, t, "sales+q@example.org",
	    "bob+q x+y@example.org");
	expect_virtual(c, t, "other@example.org", "-");
	expect_virtual(c, t, "noat", "-");
	expect_virtual(c, t, "@va.test", "-");
	expect_virtual(c, t, "empty@va.test",
	    "!virtual_alias_maps entry without a target");
	expect_virtual(c, NULL, "info@va.test", "-");
	table_free(t);
	conf_free(c);
}

static void
test_virtual_limits(void **state)
{
	struct conf	*c;
	struct table	*t;
	char		*text, out[64], *big;
	const char	*why = NULL;
	size_t		 n = 0, cap = 8192 + 64, k;
	int		 i;

	(void)state;
	c = conf_defaults();
	text = malloc(cap);
	assert_non_null(text);
	/* 1001 one-letter targets on one line: too many */
	k = (size_t)snprintf(text, cap, "many@x ");
	for (i = 0; i <= LROUTE_TARGETS_MAX; i++)
		k += (size_t)snprintf(text + k, cap - k, "a,");
	(void)snprintf(text + k, cap - k, "\nbig@x %0100d\n", 0);
	t = vtable(text);
	free(text);
	big = malloc(16384);
	assert_non_null(big);
	assert_int_equal(lroute_virtual(c, t, "many@x", big, 16384, &n, &why),
	    -1);
	free(big);
	assert_string_equal(why, "too many targets in virtual_alias_maps");
	/* targets that do not fit the caller's buffer */
	assert_int_equal(lroute_virtual(c, t, "big@x", out, sizeof(out), &n,
	    &why), -1);
	assert_string_equal(why, "virtual_alias_maps target too long");
	table_free(t);
	conf_free(c);
}

static void
test_conf_check(void **state)
{
	struct conf	*c;
	char		 err[256];

	(void)state;
	c = conf_defaults();
	assert_int_equal(lroute_conf_check(c, err, sizeof(err)), 0);
	assert_true(lroute_allowed(c, 1, "alias"));
	assert_true(lroute_allowed(c, 0, "forward"));
	assert_false(lroute_allowed(c, 1, "include"));
	conf_free(c);
	c = conf_of("mailbox_format = mboxx\n");
	assert_int_equal(lroute_conf_check(c, err, sizeof(err)), -1);
	assert_string_equal(err, "mailbox_format must be maildir or mbox, "
	    "not mboxx");
	conf_free(c);
	c = conf_of("recipient_delimiter = +@\n");
	assert_int_equal(lroute_conf_check(c, err, sizeof(err)), -1);
	conf_free(c);
	c = conf_of("allow_mail_to_files = alias, everywhere\n");
	assert_int_equal(lroute_conf_check(c, err, sizeof(err)), -1);
	assert_string_equal(err, "allow_mail_to_files: everywhere is not "
	    "alias, forward or include");
	conf_free(c);
	c = conf_of("virtual_alias_domains = a.test\n"
	    "virtual_mailbox_domains = a.test\n");
	assert_int_equal(lroute_conf_check(c, err, sizeof(err)), -1);
	conf_free(c);
	c = conf_of("local_domains = b.test\n"
	    "virtual_mailbox_domains = b.test\n");
	assert_int_equal(lroute_conf_check(c, err, sizeof(err)), -1);
	assert_string_equal(err, "b.test is in virtual_mailbox_domains and in "
	    "local_domains");
	conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_virtual),
		cmocka_unit_test(test_virtual_limits),
		cmocka_unit_test(test_conf_check),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
