/*
 * test_conf: facteur.conf parsing: every error kind with its line, a key
 * set twice, loading a file, $myhostname, conf_find_path and
 * the keys table against facteur.conf(5).  The values of each type are
 * test_conf_value.c's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#include "conf_fixture.h"

static void
test_errors_all(void **state)
{
	struct errs	 e;
	struct conf	*c;
	char		*text;
	size_t		 len;

	(void)state;
	text = malloc(8192);
	assert_non_null(text);
	len = (size_t)snprintf(text, 8192,
	    "# every kind of error, one per line\n"		/* 1 */
	    "bogus_key = 1\n"					/* 2 */
	    "myhostname\n"					/* 3 */
	    "  = x\n"						/* 4 */
	    "local_concurrency = 5\n"				/* 5 */
	    "local_concurrency = 6\n"				/* 6 */
	    "message_size_limit = 10x\n"			/* 7 */
	    "queue_retry_min = abc\n"				/* 8 */
	    "first_valid_uid = 0\n"				/* 9 */
	    "system_users = maybe\n"				/* 10 */
	    "myhostname = a\001b\n"				/* 11 */
	    "maildir = Maildir\r\n"				/* 12 */
	    "bad\001key = 1\n"					/* 13 */
	    "queue_user = a\tb\n"				/* 14 */
	    "log_debug = yes\n");				/* 15 */
	memset(text + len, 'x', 5000);
	len += 5000;
	memcpy(text + len, "\nvirtual_user = vmail\n", 22);	/* 16, 17 */
	len += 22;
	memset(&e, 0, sizeof(e));
	c = conf_load_buf(text, len, "t.conf", errs_add, &e);
	free(text);
	assert_null(c);
	assert_int_equal(e.n, 13);
	assert_string_equal(e.msg[0], "t.conf:2: unknown key \"bogus_key\"");
	assert_string_equal(e.msg[1], "t.conf:3: missing '=' (lines are "
	    "key = value)");
	assert_string_equal(e.msg[2], "t.conf:4: empty key before '='");
	assert_string_equal(e.msg[3], "t.conf:6: warning: local_concurrency "
	    "set again (first at line 5); this value counts");
	assert_string_equal(e.msg[4], "t.conf:7: bad suffix \"x\" for "
	    "message_size_limit (use k, m or g)");
	assert_string_equal(e.msg[5], "t.conf:8: bad number \"abc\" for "
	    "queue_retry_min");
	assert_string_equal(e.msg[6], "t.conf:9: first_valid_uid = 0 out of "
	    "range (1 to 4294967294)");
	assert_string_equal(e.msg[7], "t.conf:10: bad boolean \"maybe\" for "
	    "system_users (use yes or no)");
	assert_string_equal(e.msg[8], "t.conf:11: control byte in value of "
	    "myhostname");
	assert_string_equal(e.msg[9], "t.conf:12: control byte in value of "
	    "maildir");
	assert_string_equal(e.msg[10], "t.conf:13: control byte in key");
	assert_string_equal(e.msg[11], "t.conf:14: control byte in value of "
	    "queue_user");
	assert_string_equal(e.msg[12], "t.conf:16: line longer than 4096 "
	    "bytes");
}

static void
test_errors_more(void **state)
{
	struct errs	 e;
	char		 line[CONF_LINE_MAX + 32];
	struct conf	*c;

	(void)state;
	/* A bad value is an error even when a later line sets the key. */
	c = load("log_debug = maybe\nlog_debug = yes\n", &e);
	assert_null(c);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.msg[1], "t.conf:2: warning: log_debug set "
	    "again (first at line 1); this value counts");

	/* A key set twice: the last value counts, with a warning. */
	c = load("local_concurrency = 3\nmyhostname = a\n"
	    "local_concurrency = 7\n", &e);
	assert_non_null(c);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0], "t.conf:3: warning: local_concurrency "
	    "set again (first at line 1); this value counts");
	assert_int_equal(conf_int(c, "local_concurrency"), 7);
	conf_free(c);

	/* With a warning function, warnings go there and errors do not. */
	{
		static const char	 text[] = "log_debug = yes\n"
		    "log_debug = no\nbogus = 1\n";

		memset(&e, 0, sizeof(e));
		c = conf_load_buf_warn(text, sizeof(text) - 1, "t.conf",
		    errs_add, errs_add_warn, &e);
		assert_null(c);
		assert_int_equal(e.n, 1);
		assert_string_equal(e.msg[0], "t.conf:3: unknown key \"bogus\"");
		assert_int_equal(e.nwarn, 1);
		assert_string_equal(e.warn[0], "t.conf:2: warning: log_debug set "
		    "again (first at line 1); this value counts");
	}

	/* Keys are case-sensitive. */
	load_bad("MyHostname = x\n", &e);
	assert_string_equal(e.msg[0], "t.conf:1: unknown key \"MyHostname\"");

	/* A NUL byte is a control byte. */
	memset(&e, 0, sizeof(e));
	c = conf_load_buf("maildir = a\0b\n", 14, "t.conf", errs_add, &e);
	assert_null(c);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0], "t.conf:1: control byte in value of "
	    "maildir");

	/* Exactly CONF_LINE_MAX bytes is fine; one more is not. */
	memcpy(line, "maildir = ", 10);
	memset(line + 10, 'm', CONF_LINE_MAX - 10);
	line[CONF_LINE_MAX] = '\0';
	c = load(line, &e);
	assert_non_null(c);
	assert_int_equal(strlen(conf_str(c, "maildir")), CONF_LINE_MAX - 10);
	conf_free(c);
	line[CONF_LINE_MAX] = 'm';
	line[CONF_LINE_MAX + 1] = '\0';
	load_bad(line, &e);
	assert_string_equal(e.msg[0], "t.conf:1: line longer than 4096 bytes");

	/* Errors may be ignored with a NULL errfn. */
	assert_null(conf_load_buf("x", 1, "t.conf", NULL, NULL));
}

static char tmpdir[64];

static void
write_file(const char *path, const char *data, size_t len)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void
test_load_file(void **state)
{
	struct errs	 e;
	struct conf	*c;
	char		 path[128], msg[256], *big;

	(void)state;
	(void)strlcpy(tmpdir, "/tmp/test_conf.XXXXXX", sizeof(tmpdir));
	assert_non_null(mkdtemp(tmpdir));
	(void)snprintf(path, sizeof(path), "%s/facteur.conf", tmpdir);
	write_file(path, "myhostname = mx.example.org\n", 28);
	memset(&e, 0, sizeof(e));
	c = conf_load(path, errs_add, &e);
	assert_non_null(c);
	assert_string_equal(conf_path(c), path);
	assert_string_equal(conf_str(c, "myhostname"), "mx.example.org");
	conf_free(c);

	/* Errors name the file. */
	write_file(path, "\nnope = 1\n", 10);
	memset(&e, 0, sizeof(e));
	assert_null(conf_load(path, errs_add, &e));
	assert_int_equal(e.n, 1);
	(void)snprintf(msg, sizeof(msg), "%s:2: unknown key \"nope\"", path);
	assert_string_equal(e.msg[0], msg);

	/* Over 1 MB is refused; exactly 1 MB of comments is fine. */
	big = malloc(CONF_FILE_MAX + 1);
	assert_non_null(big);
	memset(big, '#', CONF_FILE_MAX + 1);
	for (size_t i = 63; i < CONF_FILE_MAX + 1; i += 64)
		big[i] = '\n';
	write_file(path, big, CONF_FILE_MAX);
	memset(&e, 0, sizeof(e));
	c = conf_load(path, errs_add, &e);
	assert_non_null(c);
	conf_free(c);
	write_file(path, big, CONF_FILE_MAX + 1);
	free(big);
	memset(&e, 0, sizeof(e));
	assert_null(conf_load(path, errs_add, &e));
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "file larger than 1048576 bytes"));

	/* Missing file, a directory. */
	assert_int_equal(unlink(path), 0);
	memset(&e, 0, sizeof(e));
	assert_null(conf_load(path, errs_add, &e));
	assert_int_equal(e.n, 1);
	(void)snprintf(msg, sizeof(msg), "%s: No such file or directory", path);
	assert_string_equal(e.msg[0], msg);
	memset(&e, 0, sizeof(e));
	assert_null(conf_load(tmpdir, errs_add, &e));
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "not a regular file"));
	assert_int_equal(rmdir(tmpdir), 0);
}

/* conf_read_text: the exact bytes conf_load parses, with its refusals. */
static void
test_read_text(void **state)
{
	struct errs	 e;
	char		 dir[64], path[128], *text = NULL;
	size_t		 len = 99;
	static const char body[] = "myhostname = a\0b\n# x\n";

	(void)state;
	(void)strlcpy(dir, "/tmp/test_conf_text.XXXXXX", sizeof(dir));
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/facteur.conf", dir);
	write_file(path, body, sizeof(body) - 1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(conf_read_text(path, errs_add, &e, &text, &len), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(len, sizeof(body) - 1);
	/* a NUL inside is kept: the parser, not the reader, refuses it */
	assert_memory_equal(text, body, len);
	assert_int_equal(text[len], '\0');
	free(text);

	/* An empty file is an empty text, not a failure. */
	write_file(path, "", 0);
	assert_int_equal(conf_read_text(path, errs_add, &e, &text, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(text[0], '\0');
	free(text);

	/* Refused as conf_load refuses: nothing is handed back. */
	text = NULL;
	memset(&e, 0, sizeof(e));
	assert_int_equal(conf_read_text(dir, errs_add, &e, &text, &len), -1);
	assert_null(text);
	assert_non_null(strstr(e.msg[0], "not a regular file"));
	assert_int_equal(unlink(path), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(conf_read_text(path, errs_add, &e, &text, &len), -1);
	assert_null(text);
	assert_int_equal(e.n, 1);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_myhostname(void **state)
{
	struct errs	 e;
	struct conf	*c;
	char		 host[256];

	(void)state;
	c = load("myhostname = mx.example.org\n"
	    "local_domains = $myhostname, Example.ORG, other.example.\n", &e);
	assert_non_null(c);
	assert_string_equal(conf_myhostname(c), "mx.example.org");
	/* conf_list gives the words as written. */
	assert_true(conf_list_has(c, "local_domains", "$myhostname"));
	assert_true(conf_is_local_domain(c, "mx.example.org"));
	assert_true(conf_is_local_domain(c, "MX.Example.Org."));
	assert_true(conf_is_local_domain(c, "example.org"));
	assert_true(conf_is_local_domain(c, "EXAMPLE.ORG."));
	assert_true(conf_is_local_domain(c, "other.example"));
	assert_true(conf_is_local_domain(c, "other.example."));
	assert_false(conf_is_local_domain(c, "localhost"));
	assert_false(conf_is_local_domain(c, "example.org.."));
	assert_false(conf_is_local_domain(c, "mx.example"));
	assert_false(conf_is_local_domain(c, ""));
	assert_false(conf_is_local_domain(c, "."));
	assert_false(conf_is_local_domain(c, "$myhostname"));
	conf_free(c);

	/* Empty myhostname: gethostname(3). */
	c = conf_defaults();
	/* Postfix's per-client default; facteur.conf(5) says why. */
	assert_int_equal(conf_int(c, "max_sessions_per_client"), 50);
	assert_non_null(c);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(conf_myhostname(c), host);
	assert_true(conf_is_local_domain(c, host));
	assert_true(conf_is_local_domain(c, "LocalHost"));
	assert_false(conf_is_local_domain(c, "example.com"));
	/* The same pointer each time: computed once. */
	assert_ptr_equal(conf_myhostname(c), conf_myhostname(c));
	conf_free(c);
}

static void
test_find_path(void **state)
{
	(void)state;
	assert_int_equal(setenv("FACTEUR_CONF", "/env/facteur.conf", 1), 0);
	assert_string_equal(conf_find_path("/x/y.conf", 1), "/x/y.conf");
	assert_string_equal(conf_find_path(NULL, 1), "/env/facteur.conf");
	assert_string_equal(conf_find_path("", 1), "/env/facteur.conf");
	assert_string_equal(conf_find_path(NULL, 0), FACTEUR_CONF_DEFAULT);
	assert_int_equal(setenv("FACTEUR_CONF", "", 1), 0);
	assert_string_equal(conf_find_path(NULL, 1), FACTEUR_CONF_DEFAULT);
	assert_int_equal(unsetenv("FACTEUR_CONF"), 0);
	assert_string_equal(conf_find_path(NULL, 1), FACTEUR_CONF_DEFAULT);
}

static void
test_keys_table(void **state)
{
	size_t	i, j;

	(void)state;
	/* Every key is unique, documented, and its default parses. */
	for (i = 0; conf_keys[i].name != NULL; i++) {
		assert_non_null(conf_keys[i].def);
		assert_non_null(conf_keys[i].doc);
		assert_true(conf_keys[i].doc[0] != '\0');
		for (j = i + 1; conf_keys[j].name != NULL; j++)
			assert_string_not_equal(conf_keys[i].name,
			    conf_keys[j].name);
		if (conf_keys[i].type == CONF_INT ||
		    conf_keys[i].type == CONF_SIZE ||
		    conf_keys[i].type == CONF_TIME)
			assert_true(conf_keys[i].min <= conf_keys[i].max);
	}
	conf_free(conf_defaults());
}

/*
 * The defaults issue 14 chose on purpose: delay warnings after 4 hours
 * (Postfix has them off), whole messages returned up to 50000 octets.
 */
static void
test_notice_defaults(void **state)
{
	struct conf	*c;

	(void)state;
	c = conf_defaults();
	assert_non_null(c);
	assert_int_equal(conf_int(c, "delay_warning_time"), 4 * 3600);
	assert_int_equal(conf_int(c, "bounce_size_limit"), 50000);
	assert_string_equal(conf_str(c, "control_dir"), "/run/facteur");
	assert_string_equal(conf_str(c, "log_file"), "");
	conf_free(c);
}

/*
 * facteur.conf(5) and conf_keys list the same keys: each key has its
 * ".It Cm key Pq ..." entry, and each such entry is a key.
 */
static void
test_man_page(void **state)
{
	char		*man, *p, *e, name[128];
	const char	*path;
	size_t		 i, n;
	ssize_t		 r;
	int		 fd, found, bad = 0;

	(void)state;
	if ((path = getenv("FACTEUR_MAN_CONF")) == NULL)
		path = "man/facteur.conf.5";
	if ((fd = open(path, O_RDONLY)) == -1) {
		skip();
		return;
	}
	man = malloc(256 * 1024 + 1);
	assert_non_null(man);
	r = read(fd, man, 256 * 1024);
	assert_true(r > 0 && r < 256 * 1024);
	assert_int_equal(close(fd), 0);
	man[r] = '\0';
	for (i = 0; conf_keys[i].name != NULL; i++) {
		(void)snprintf(name, sizeof(name), "\n.It Cm %s Pq ",
		    conf_keys[i].name);
		if (strstr(man, name) == NULL) {
			print_error("key %s is not in %s\n", conf_keys[i].name,
			    path);
			bad++;
		}
	}
	for (p = man; (p = strstr(p, "\n.It Cm ")) != NULL; p = e) {
		p += 8;
		e = p + strcspn(p, " \n");
		if (strncmp(e, " Pq ", 4) != 0)
			continue;
		n = (size_t)(e - p);
		found = 0;
		for (i = 0; conf_keys[i].name != NULL; i++)
			if (strlen(conf_keys[i].name) == n &&
			    memcmp(conf_keys[i].name, p, n) == 0)
				found = 1;
		if (!found) {
			print_error("%s documents %.*s, which is no key\n",
			    path, (int)n, p);
			bad++;
		}
	}
	free(man);
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_all),
		cmocka_unit_test(test_errors_more),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_read_text),
		cmocka_unit_test(test_myhostname),
		cmocka_unit_test(test_find_path),
		cmocka_unit_test(test_keys_table),
		cmocka_unit_test(test_notice_defaults),
		cmocka_unit_test(test_man_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
