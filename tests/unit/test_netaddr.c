/*
 * test_netaddr: CIDR blocks and client addresses (mynetworks), and the
 * client key of per-client limits (IPv6 by prefix, IPv4-mapped as IPv4).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

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

/* Two addresses are one client at prefix bits: 1, 0, or -1 (not addresses). */
static int
same_client(const char *a, const char *b, unsigned bits)
{
	unsigned char	 ka[NETADDR_KEY_MAX], kb[NETADDR_KEY_MAX];
	size_t		 la, lb;

	la = netaddr_client_key(a, bits, ka);
	lb = netaddr_client_key(b, bits, kb);
	if (la == 0 || lb == 0)
		return -1;
	return la == lb && memcmp(ka, kb, la) == 0;
}

static void
test_client_key(void **state)
{
	struct sockaddr_in6	 s6;
	struct sockaddr_in	 s4;
	unsigned char		 k1[NETADDR_KEY_MAX], k2[NETADDR_KEY_MAX];
	size_t			 n1, n2;

	(void)state;
	/* IPv4: the whole address, whatever the IPv6 prefix */
	assert_int_equal(same_client("192.0.2.1", "192.0.2.1", 64), 1);
	assert_int_equal(same_client("192.0.2.1", "192.0.2.2", 1), 0);
	/* an IPv4-mapped address is the IPv4 client */
	assert_int_equal(same_client("::ffff:192.0.2.1", "192.0.2.1", 64), 1);
	/* IPv6: one /64 is one client by default, 128 tells hosts apart */
	assert_int_equal(same_client("2001:db8:1:2::1", "2001:db8:1:2:ffff::9",
	    64), 1);
	assert_int_equal(same_client("2001:db8:1:2::1", "2001:db8:1:3::1",
	    64), 0);
	assert_int_equal(same_client("2001:db8:1:2::1", "2001:db8:1:2::2",
	    128), 0);
	assert_int_equal(same_client("2001:db8:1:2::1", "2001:db8:1:2::1",
	    128), 1);
	/* a prefix that cuts a byte: /60 */
	assert_int_equal(same_client("2001:db8:1:20::1", "2001:db8:1:2f::1",
	    60), 1);
	assert_int_equal(same_client("2001:db8:1:20::1", "2001:db8:1:30::1",
	    60), 0);
	/* /48 and /0 */
	assert_int_equal(same_client("2001:db8:1:2::1", "2001:db8:1:ff::1",
	    48), 1);
	assert_int_equal(same_client("2001:db8::1", "fe80::1", 0), 1);
	/* never the same as an IPv4 client, never a name */
	assert_int_equal(same_client("::", "0.0.0.0", 0), 0);
	assert_int_equal(same_client("localhost", "127.0.0.1", 64), -1);
	assert_int_equal(same_client("", "127.0.0.1", 64), -1);
	/* the socket-address form gives the same keys */
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2:aaaa::1",
	    &s6.sin6_addr), 1);
	n1 = netaddr_client_key_sa((struct sockaddr *)&s6, 64, k1);
	n2 = netaddr_client_key("2001:db8:1:2::77", 64, k2);
	assert_int_equal(n1, 17);
	assert_int_equal(n1, n2);
	assert_memory_equal(k1, k2, n1);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:198.51.100.7",
	    &s6.sin6_addr), 1);
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, "198.51.100.7", &s4.sin_addr), 1);
	n1 = netaddr_client_key_sa((struct sockaddr *)&s6, 64, k1);
	n2 = netaddr_client_key_sa((struct sockaddr *)&s4, 64, k2);
	assert_int_equal(n1, 5);
	assert_int_equal(n1, n2);
	assert_memory_equal(k1, k2, n1);
	s4.sin_family = AF_UNIX;
	assert_int_equal(netaddr_client_key_sa((struct sockaddr *)&s4, 64, k1),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_client_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
