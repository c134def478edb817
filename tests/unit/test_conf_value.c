/*
 * test_conf_value: the lines of facteur.conf and their values by type:
 * the defaults, the syntax of a line, sizes, times, integers and their
 * ranges, booleans and lists, good and bad (lib/conf/conf.c,
 * conf_value.c).
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
test_defaults(void **state)
{
	struct conf		*c;
	const char *const	*w;
	size_t			 n;

	(void)state;
	c = conf_defaults();
	assert_non_null(c);
	assert_string_equal(conf_path(c), "");
	assert_int_equal(conf_int(c, "message_size_limit"), 50LL * 1024 * 1024);
	assert_string_equal(conf_str(c, "message_size_limit"), "50m");
	assert_string_equal(conf_str(c, "local_domains"),
	    "$myhostname, localhost");
	assert_int_equal(conf_int(c, "local_concurrency"), 10);
	assert_int_equal(conf_int(c, "local_worker_max_jobs"), 100);
	assert_int_equal(conf_int(c, "local_worker_idle"), 10);
	assert_string_equal(conf_str(c, "local_worker_idle"), "10s");
	assert_int_equal(conf_int(c, "first_valid_uid"), 1000);
	assert_int_equal(conf_int(c, "queue_scan_interval"), 60);
	assert_int_equal(conf_int(c, "queue_retry_min"), 300);
	assert_int_equal(conf_int(c, "queue_retry_max"), 3600);
	assert_int_equal(conf_int(c, "queue_lifetime"), 5 * 86400);
	assert_true(conf_bool(c, "system_users"));
	assert_false(conf_bool(c, "log_debug"));
	assert_string_equal(conf_str(c, "maildir"), "Maildir");
	assert_string_equal(conf_str(c, "myhostname"), "");
	assert_string_equal(conf_str(c, "queue_user"), "facteur-queue");
	w = conf_list(c, "local_domains", &n);
	assert_int_equal(n, 2);
	assert_string_equal(w[0], "$myhostname");
	assert_string_equal(w[1], "localhost");
	assert_null(w[2]);
	conf_free(c);

	/* An empty file is every default too. */
	{
		struct errs	e;

		c = load("", &e);
		assert_non_null(c);
		assert_int_equal(e.n, 0);
		assert_string_equal(conf_path(c), "t.conf");
		assert_int_equal(conf_int(c, "local_concurrency"), 10);
		conf_free(c);
	}
}

static void
test_syntax(void **state)
{
	struct errs	 e;
	struct conf	*c;

	(void)state;
	c = load("# a comment\n"
	    "\n"
	    "   \t\n"
	    "  # indented comment\n"
	    "  maildir   =   Mail/box # not a comment  \n"
	    "queue_user=fq\n"
	    "virtual_user =\n"
	    "local_concurrency = 7", &e);	/* no final newline */
	assert_non_null(c);
	assert_int_equal(e.n, 0);
	assert_string_equal(conf_str(c, "maildir"), "Mail/box # not a comment");
	assert_string_equal(conf_str(c, "queue_user"), "fq");
	assert_string_equal(conf_str(c, "virtual_user"), "");
	assert_int_equal(conf_int(c, "local_concurrency"), 7);
	conf_free(c);

	/* A value may hold '='. */
	c = load("maildir = a=b\n", &e);
	assert_non_null(c);
	assert_string_equal(conf_str(c, "maildir"), "a=b");
	conf_free(c);
}

static void
test_sizes(void **state)
{
	static const struct { const char *v; long long n; } ok[] = {
		{ "1024", 1024 }, { "10k", 10240 }, { "10K", 10240 },
		{ "10m", 10LL * 1024 * 1024 }, { "1g", 1024LL * 1024 * 1024 },
		{ "4g", 4LL * 1024 * 1024 * 1024 }, { NULL, 0 } };
	static const char *bad[] = { "10x", "10kb", "k", "1.5m", "-1k",
	    "5g", "1", "99999999999999999999999", "10 k", NULL };
	struct errs	 e;
	struct conf	*c;
	char		 text[128];
	int		 i;

	(void)state;
	for (i = 0; ok[i].v != NULL; i++) {
		(void)snprintf(text, sizeof(text), "message_size_limit = %s\n",
		    ok[i].v);
		c = load(text, &e);
		assert_non_null(c);
		assert_int_equal(conf_int(c, "message_size_limit"), ok[i].n);
		conf_free(c);
	}
	for (i = 0; bad[i] != NULL; i++) {
		(void)snprintf(text, sizeof(text), "message_size_limit = %s\n",
		    bad[i]);
		load_bad(text, &e);
		assert_non_null(strstr(e.msg[0], "t.conf:1: "));
	}
	load_bad("message_size_limit = 1\n", &e);
	assert_string_equal(e.msg[0], "t.conf:1: message_size_limit = 1 out "
	    "of range (1024 to 4294967296 octets)");
	load_bad("message_size_limit = 10x\n", &e);
	assert_string_equal(e.msg[0], "t.conf:1: bad suffix \"x\" for "
	    "message_size_limit (use k, m or g)");
}

static void
test_times(void **state)
{
	static const struct { const char *v; long long n; } ok[] = {
		{ "30s", 30 }, { "5m", 300 }, { "2h", 7200 }, { "1d", 86400 },
		{ "1w", 7 * 86400 }, { "45", 45 }, { "2H", 7200 },
		{ "365d", 365 * 86400 }, { NULL, 0 } };
	static const char *bad[] = { "30y", "0", "366d", "s", "1 h", "1hh",
	    "", NULL };
	struct errs	 e;
	struct conf	*c;
	char		 text[128];
	int		 i;

	(void)state;
	for (i = 0; ok[i].v != NULL; i++) {
		(void)snprintf(text, sizeof(text), "queue_retry_min = %s\n",
		    ok[i].v);
		c = load(text, &e);
		assert_non_null(c);
		assert_int_equal(conf_int(c, "queue_retry_min"), ok[i].n);
		conf_free(c);
	}
	for (i = 0; bad[i] != NULL; i++) {
		(void)snprintf(text, sizeof(text), "\nqueue_retry_min = %s\n",
		    bad[i]);
		load_bad(text, &e);
		assert_non_null(strstr(e.msg[0], "t.conf:2: "));
	}
	load_bad("queue_retry_min = 30y", &e);
	assert_string_equal(e.msg[0], "t.conf:1: bad suffix \"y\" for "
	    "queue_retry_min (use s, m, h, d or w)");
	/* queue_lifetime may be 0. */
	c = load("queue_lifetime = 0\n", &e);
	assert_non_null(c);
	assert_int_equal(conf_int(c, "queue_lifetime"), 0);
	conf_free(c);
}

static void
test_ints(void **state)
{
	struct errs	 e;
	struct conf	*c;

	(void)state;
	c = load("first_valid_uid = 4294967294\nlocal_concurrency=1000\n", &e);
	assert_non_null(c);
	assert_int_equal(conf_int(c, "first_valid_uid"), 4294967294LL);
	assert_int_equal(conf_int(c, "local_concurrency"), 1000);
	conf_free(c);

	load_bad("local_concurrency = 1001\n", &e);
	assert_string_equal(e.msg[0], "t.conf:1: local_concurrency = 1001 "
	    "out of range (1 to 1000)");
	load_bad("local_concurrency = -3\n", &e);
	assert_string_equal(e.msg[0], "t.conf:1: local_concurrency = -3 "
	    "out of range (1 to 1000)");
	load_bad("local_concurrency = 10k\n", &e);
	assert_string_equal(e.msg[0], "t.conf:1: bad suffix \"k\" for "
	    "local_concurrency (a plain decimal number)");
	load_bad("local_concurrency = ten\n", &e);
	assert_string_equal(e.msg[0], "t.conf:1: bad number \"ten\" for "
	    "local_concurrency");
	load_bad("local_concurrency = 99999999999999999999\n", &e);
	assert_non_null(strstr(e.msg[0], "bad number"));
	load_bad("local_concurrency =\n", &e);
	assert_string_equal(e.msg[0], "t.conf:1: bad number \"\" for "
	    "local_concurrency");
	load_bad("local_concurrency = +5\n", &e);
	assert_non_null(strstr(e.msg[0], "bad number"));
}

/* lspawn's delivery workers: a count of jobs and a duration. */
static void
test_local_worker_keys(void **state)
{
	struct errs	 e;
	struct conf	*c;

	(void)state;
	c = load("local_worker_max_jobs = 1\nlocal_worker_idle = 1s\n", &e);
	assert_non_null(c);
	assert_int_equal(conf_int(c, "local_worker_max_jobs"), 1);
	assert_int_equal(conf_int(c, "local_worker_idle"), 1);
	conf_free(c);
	c = load("local_worker_max_jobs = 1000000\nlocal_worker_idle = 1h\n",
	    &e);
	assert_non_null(c);
	assert_int_equal(conf_int(c, "local_worker_max_jobs"), 1000000);
	assert_int_equal(conf_int(c, "local_worker_idle"), 3600);
	conf_free(c);
	c = load("local_worker_idle = 2m\n", &e);
	assert_non_null(c);
	assert_int_equal(conf_int(c, "local_worker_idle"), 120);
	conf_free(c);
	c = load("local_worker_idle = 45\n", &e);	/* seconds */
	assert_non_null(c);
	assert_int_equal(conf_int(c, "local_worker_idle"), 45);
	conf_free(c);

	load_bad("local_worker_max_jobs = 0\n", &e);
	assert_string_equal(e.msg[0], "t.conf:1: local_worker_max_jobs = 0 "
	    "out of range (1 to 1000000)");
	load_bad("local_worker_max_jobs = 1000001\n", &e);
	assert_non_null(strstr(e.msg[0], "out of range"));
	load_bad("local_worker_max_jobs = 10s\n", &e);
	assert_non_null(strstr(e.msg[0], "bad suffix"));
	load_bad("local_worker_idle = 0s\n", &e);
	assert_string_equal(e.msg[0], "t.conf:1: local_worker_idle = 0s "
	    "out of range (1 to 3600 seconds)");
	load_bad("local_worker_idle = 2h\n", &e);
	assert_non_null(strstr(e.msg[0], "out of range"));
	load_bad("local_worker_idle = 10ms\n", &e);
	assert_non_null(strstr(e.msg[0], "bad suffix"));
	load_bad("local_worker_idle = -1\n", &e);
	assert_non_null(strstr(e.msg[0], "out of range"));
}

static void
test_bools(void **state)
{
	static const struct { const char *v; int b; } ok[] = {
		{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
		{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 },
		{ "YES", 1 }, { "Off", 0 }, { NULL, 0 } };
	static const char *bad[] = { "maybe", "", "2", "y", "yess", NULL };
	struct errs	 e;
	struct conf	*c;
	char		 text[128];
	int		 i;

	(void)state;
	for (i = 0; ok[i].v != NULL; i++) {
		(void)snprintf(text, sizeof(text), "system_users = %s\n",
		    ok[i].v);
		c = load(text, &e);
		assert_non_null(c);
		assert_int_equal(conf_bool(c, "system_users"), ok[i].b);
		conf_free(c);
	}
	for (i = 0; bad[i] != NULL; i++) {
		(void)snprintf(text, sizeof(text), "system_users = %s\n",
		    bad[i]);
		load_bad(text, &e);
		assert_non_null(strstr(e.msg[0], "t.conf:1: bad boolean"));
	}
	load_bad("log_debug = maybe", &e);
	assert_string_equal(e.msg[0], "t.conf:1: bad boolean \"maybe\" for "
	    "log_debug (use yes or no)");
}

static void
test_lists(void **state)
{
	struct errs		 e;
	struct conf		*c;
	const char *const	*w;
	size_t			 n;

	(void)state;
	c = load("local_domains = a.example, b.example c.example,,\t"
	    "d.example ,\n", &e);
	assert_non_null(c);
	w = conf_list(c, "local_domains", &n);
	assert_int_equal(n, 4);
	assert_string_equal(w[0], "a.example");
	assert_string_equal(w[1], "b.example");
	assert_string_equal(w[2], "c.example");
	assert_string_equal(w[3], "d.example");
	assert_null(w[4]);
	assert_true(conf_list_has(c, "local_domains", "C.Example"));
	assert_false(conf_list_has(c, "local_domains", "e.example"));
	assert_false(conf_list_has(c, "local_domains", "a.exampl"));
	assert_string_equal(conf_str(c, "local_domains"),
	    "a.example, b.example, c.example, d.example");
	conf_free(c);

	c = load("local_domains =\n", &e);
	assert_non_null(c);
	w = conf_list(c, "local_domains", &n);
	assert_int_equal(n, 0);
	assert_non_null(w);
	assert_null(w[0]);
	conf_free(c);

	c = load("local_domains = , ,\n", &e);
	assert_non_null(c);
	(void)conf_list(c, "local_domains", &n);
	assert_int_equal(n, 0);
	conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_ints),
		cmocka_unit_test(test_local_worker_keys),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
