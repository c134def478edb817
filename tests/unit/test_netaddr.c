/*
 * test_netaddr: CIDR blocks and client addresses (mynetworks).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include "netaddr.h"

static void
test_parse_good(void **state)
{
	struct netaddr	 n;

	(void)state;
	assert_int_equal(netaddr_parse("192.0.2.1", &n), 0);
	assert_int_equal(n.family, AF_INET);
	assert_int_equal(n.bits, 32);
	assert_int_equal(netaddr_parse("192.0.2.0/24", &n), 0);
	assert_int_equal(n.bits, 24);
	assert_int_equal(netaddr_parse("0.0.0.0/0", &n), 0);
	assert_int_equal(n.bits, 0);
	assert_int_equal(netaddr_parse("2001:db8::/32", &n), 0);
	assert_int_equal(n.family, AF_INET6);
	assert_int_equal(n.bits, 32);
	assert_int_equal(netaddr_parse("[2001:db8::1]/128", &n), 0);
	assert_int_equal(netaddr_parse("[::1]", &n), 0);
	assert_int_equal(n.bits, 128);
}

static void
test_parse_bad(void **state)
{
	struct netaddr	 n;
	const char	*bad[] = { "", "/24", "192.0.2.0/", "192.0.2.0/33",
	    "192.0.2.0/-1", "192.0.2.0/8x", "2001:db8::/129", "[::1",
	    "::1]", "example.org", "192.0.2", "192.0.2.256", "10.0.0.0/ 8",
	    "192.0.2.0/24/1", "192.0.2.0/+8",
	    "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa/64" };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(netaddr_parse(bad[i], &n), -1);
}

static void
test_match(void **state)
{
	struct netaddr	 n;

	(void)state;
	assert_int_equal(netaddr_parse("192.0.2.0/25", &n), 0);
	assert_true(netaddr_match(&n, "192.0.2.0"));
	assert_true(netaddr_match(&n, "192.0.2.127"));
	assert_false(netaddr_match(&n, "192.0.2.128"));
	assert_false(netaddr_match(&n, "192.0.3.1"));
	assert_false(netaddr_match(&n, "2001:db8::1"));
	assert_false(netaddr_match(&n, "not an address"));
	/* an IPv4-mapped IPv6 client is its IPv4 address */
	assert_true(netaddr_match(&n, "::ffff:192.0.2.5"));
	assert_int_equal(netaddr_parse("2001:db8:ff00::/40", &n), 0);
	assert_true(netaddr_match(&n, "2001:db8:ff12::7"));
	assert_false(netaddr_match(&n, "2001:db8:fe00::7"));
	assert_false(netaddr_match(&n, "192.0.2.1"));
	assert_int_equal(netaddr_parse("0.0.0.0/0", &n), 0);
	assert_true(netaddr_match(&n, "203.0.113.9"));
}

static void
test_list(void **state)
{
	const char *const words[] = { "garbage", "10.0.0.0/8", "::1" };

	(void)state;
	assert_true(netaddr_list_match(words, 3, "10.1.2.3"));
	assert_true(netaddr_list_match(words, 3, "::1"));
	assert_false(netaddr_list_match(words, 3, "127.0.0.1"));
	assert_false(netaddr_list_match(words, 0, "10.1.2.3"));
	assert_false(netaddr_list_match(words, 3, "garbage"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
