/*
 * test_auth_delay: the failure policy of the monitors' credentials check
 * (lib/auth/auth.c, auth_state.c): the delays per connection, the
 * per-address records across connections, and their decay.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <crypt.h>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "conf.h"
#include "log.h"
#include "passwd_check.h"

#include "auth_fixture.h"

static void
test_delays(void **st)
{
	struct conf		*c = load_conf("");
	struct auth_result	 r;

	(void)st;
	assert_int_equal(auth_delay_ms(c, 0), 0);
	assert_int_equal(auth_delay_ms(c, 1), 500);
	assert_int_equal(auth_delay_ms(c, 2), 1000);
	assert_int_equal(auth_delay_ms(c, 3), 2000);
	assert_int_equal(auth_delay_ms(c, 4), 4000);
	assert_int_equal(auth_delay_ms(c, 5), 8000);
	assert_int_equal(auth_delay_ms(c, 6), 8000);
	assert_int_equal(auth_delay_ms(c, 100), 8000);
	assert_int_equal(auth_delay_ms(c, 4000000000U), 8000);
	memset(&r, 0, sizeof(r));
	r.addr_failures = 3;
	assert_int_equal(auth_fail_delay_ms(c, 1, &r), 2000);
	assert_int_equal(auth_fail_delay_ms(c, 4, &r), 4000);
	/* The time the check took is part of the delay. */
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &r.started), 0);
	r.started.tv_sec -= 1;		/* began a second ago */
	assert_in_range(auth_fail_delay_ms(c, 3, &r), 700, 1000);
	r.started.tv_sec -= 10;
	assert_int_equal(auth_fail_delay_ms(c, 3, &r), 0);
	assert_int_equal(auth_fail_too_many(c, 4), 0);
	assert_int_equal(auth_fail_too_many(c, 5), 1);
	conf_free(c);

	c = load_conf("auth_fail_delay_max = 3s\nauth_fail_limit = 2\n");
	assert_int_equal(auth_delay_ms(c, 3), 2000);
	assert_int_equal(auth_delay_ms(c, 4), 3000);
	assert_int_equal(auth_fail_too_many(c, 1), 0);
	assert_int_equal(auth_fail_too_many(c, 2), 1);
	conf_free(c);
	c = load_conf("auth_fail_delay_max = 0\n");
	assert_int_equal(auth_delay_ms(c, 3), 0);
	conf_free(c);
}

/* Two connections from one address: the second starts where it was. */
static void
test_addr_across_connections(void **st)
{
	struct conf		*c = load_conf("");
	struct auth_result	 r;
	unsigned		 conn = 0;

	(void)st;
	state_reset();
	/* First connection: three failures. */
	for (conn = 1; conn <= 3; conn++) {
		assert_int_equal(auth_check(c, "alice", "guess", "203.0.113.7",
		    &r), AUTH_BAD);
		assert_int_equal(r.addr_failures, conn);
		assert_in_range(auth_fail_delay_ms(c, conn, &r),
		    auth_delay_ms(c, conn) - 300, auth_delay_ms(c, conn));
	}
	/* A new connection: its own count is 1, the address's is 4. */
	conn = 1;
	assert_int_equal(auth_check(c, "bob", "guess", "203.0.113.7", &r),
	    AUTH_BAD);
	assert_int_equal(r.addr_failures, 4);
	assert_in_range(auth_fail_delay_ms(c, conn, &r), 3700, 4000);
	/* Another address is not affected. */
	assert_int_equal(auth_check(c, "bob", "guess", "203.0.113.8", &r),
	    AUTH_BAD);
	assert_int_equal(r.addr_failures, 1);
	assert_in_range(auth_fail_delay_ms(c, 1, &r), 200, 500);
	/* A success neither counts nor resets. */
	assert_int_equal(auth_check(c, "bob", "blf-pass", "203.0.113.7", &r),
	    AUTH_OK);
	assert_int_equal(auth_addr_failures(c, "203.0.113.7", time(NULL)), 4);
	/* IPv6 counts per /64; a v4-mapped address is the IPv4 one. */
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:2::1", time(NULL)), 1);
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:2:ffff::9",
	    time(NULL)), 2);
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:3::1", time(NULL)), 1);
	assert_int_equal(auth_addr_fail(c, "::ffff:203.0.113.7", time(NULL)),
	    5);
	/* Not an address at all: counted by its text. */
	assert_int_equal(auth_addr_fail(c, "unknown", time(NULL)), 1);
	conf_free(c);

	/* client_ipv6_prefix: /48 makes one client of several /64s */
	state_reset();
	c = load_conf("client_ipv6_prefix = 48\n");
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:2::1", time(NULL)), 1);
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:77::1", time(NULL)), 2);
	assert_int_equal(auth_addr_fail(c, "2001:db8:2:2::1", time(NULL)), 1);
	conf_free(c);
	/* and /128 tells the hosts of one /64 apart */
	state_reset();
	c = load_conf("client_ipv6_prefix = 128\n");
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:2::1", time(NULL)), 1);
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:2::2", time(NULL)), 1);
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:2::1", time(NULL)), 2);
	conf_free(c);
}

static int
count_records(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(state)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	assert_int_equal(closedir(d), 0);
	return n;
}

static void
test_decay(void **st)
{
	struct conf	*c = load_conf("auth_fail_window = 10m\n");
	time_t		 t0 = 1700000000;
	DIR		*d;
	struct dirent	*de;
	char		 p[512];

	(void)st;
	state_reset();
	assert_int_equal(auth_addr_failures(c, "192.0.2.50", t0), 0);
	assert_int_equal(auth_addr_fail(c, "192.0.2.50", t0), 1);
	assert_int_equal(auth_addr_fail(c, "192.0.2.50", t0 + 60), 2);
	assert_int_equal(auth_addr_failures(c, "192.0.2.50", t0 + 60), 2);
	/* The window runs from the last failure. */
	assert_int_equal(auth_addr_failures(c, "192.0.2.50", t0 + 659), 2);
	assert_int_equal(auth_addr_failures(c, "192.0.2.50", t0 + 660), 0);
	assert_int_equal(auth_addr_fail(c, "192.0.2.50", t0 + 700), 1);
	assert_int_equal(auth_addr_fail(c, "192.0.2.51", t0 + 100), 1);
	assert_int_equal(count_records(), 2);
	/* Cleaning removes what has decayed, and only that. */
	assert_int_equal(auth_state_clean(c, t0 + 800), 1);
	assert_int_equal(count_records(), 1);
	assert_int_equal(auth_addr_failures(c, "192.0.2.50", t0 + 800), 1);
	assert_int_equal(auth_state_clean(c, t0 + 100000), 1);
	assert_int_equal(count_records(), 0);

	/* A damaged record counts as zero and is rewritten. */
	assert_int_equal(auth_addr_fail(c, "192.0.2.60", t0), 1);
	assert_non_null(d = opendir(state));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			(void)snprintf(p, sizeof(p), "%s/%s", state, de->d_name);
	assert_int_equal(closedir(d), 0);
	assert_int_equal(strlen(p) - strlen(state) - 1, 32);
	write_file(p, "C99\nT1700000000\n");
	assert_int_equal(auth_addr_failures(c, "192.0.2.60", t0), 0);
	assert_int_equal(auth_addr_fail(c, "192.0.2.60", t0), 1);
	write_file(p, "Cx");
	assert_int_equal(auth_addr_fail(c, "192.0.2.60", t0), 1);
	/* A symlink in its place is not followed. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(auth_addr_fail(c, "192.0.2.60", t0), -1);
	assert_int_equal(unlink(p), 0);
	conf_free(c);

	/* No state dir configured: no records, no errors. */
	{
		char		text[512];

		(void)snprintf(text, sizeof(text), "users_file = %s\n"
		    "system_users = no\nauth_state_dir =\n", users);
		c = conf_load_buf(text, strlen(text), "t.conf", NULL, NULL);
		assert_non_null(c);
	}
	assert_int_equal(auth_addr_fail(c, "192.0.2.70", t0), 0);
	assert_int_equal(auth_state_clean(c, t0), 0);
	conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delays),
		cmocka_unit_test(test_addr_across_connections),
		cmocka_unit_test(test_decay),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
