/*
 * Unit tests for lib/smtp/smtp_nexthop.c and smtp_policy.c: the nexthop
 * forms of relayhost and transport_file and their canonical text, the
 * transport_file values, the TLS level names; and what is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "smtp_nexthop.h"
#include "smtp_policy.h"

static void
ok(const char *in, const char *host, unsigned port, int mx, int literal,
    const char *canon)
{
	struct smtp_nexthop	 nh;
	const char		*why = NULL;
	char			 out[NEXTHOP_TEXT_MAX + 1];

	assert_int_equal(smtp_nexthop_parse(in, &nh, &why), 0);
	assert_string_equal(nh.host, host);
	assert_int_equal(nh.port, port);
	assert_int_equal(nh.mx, mx);
	assert_int_equal(nh.literal, literal);
	smtp_nexthop_format(&nh, out, sizeof(out));
	assert_string_equal(out, canon);
}

static void
bad(const char *in)
{
	struct smtp_nexthop	 nh;
	const char		*why = NULL;

	assert_int_equal(smtp_nexthop_parse(in, &nh, &why), -1);
	assert_non_null(why);
}

static void
test_nexthop(void **state)
{
	char	long_name[300];

	(void)state;
	ok("example.org", "example.org", 25, 1, 0, "example.org");
	ok("Example.ORG.", "example.org", 25, 1, 0, "example.org");
	ok("example.org:2525", "example.org", 2525, 1, 0, "example.org:2525");
	ok("[smtp.example.org]", "smtp.example.org", 25, 0, 0,
	    "[smtp.example.org]");
	ok("[smtp.example.org]:587", "smtp.example.org", 587, 0, 0,
	    "[smtp.example.org]:587");
	ok("[192.0.2.1]:25", "192.0.2.1", 25, 0, 1, "[192.0.2.1]");
	ok("[2001:db8::1]", "2001:db8::1", 25, 0, 1, "[2001:db8::1]");
	ok("[IPv6:2001:db8::1]:26", "2001:db8::1", 26, 0, 1,
	    "[2001:db8::1]:26");
	bad("");
	bad("192.0.2.1");			/* an address outside brackets */
	bad("[example.org");
	bad("[example.org]x");
	bad("[]");
	bad("example.org:");
	bad("example.org:0");
	bad("example.org:65536");
	bad("example.org:025");
	bad("example.org:2x");
	bad("exa mple.org");
	bad("-example.org");
	bad("example-.org");
	bad("example..org");
	bad("ex_ample.org");
	bad("exam\rple.org");
	bad(":25");
	memset(long_name, 'a', sizeof(long_name));
	long_name[sizeof(long_name) - 1] = '\0';
	bad(long_name);
}

static void
test_transport(void **state)
{
	struct transport_entry	 e;
	const char		*why;

	(void)state;
	assert_int_equal(transport_parse("smtp:[mx.example.org]:2525", &e,
	    &why), 0);
	assert_int_equal(e.kind, TRANSPORT_SMTP);
	assert_string_equal(e.nexthop, "[mx.example.org]:2525");
	assert_int_equal(transport_parse("relay:Example.org", &e, &why), 0);
	assert_string_equal(e.nexthop, "example.org");
	assert_int_equal(transport_parse("smtp", &e, &why), 0);
	assert_string_equal(e.nexthop, "");
	assert_int_equal(transport_parse("relay:", &e, &why), 0);
	assert_string_equal(e.nexthop, "");
	assert_int_equal(transport_parse("local", &e, &why), 0);
	assert_int_equal(e.kind, TRANSPORT_LOCAL);
	assert_int_equal(transport_parse("error:5.7.1 no mail here", &e,
	    &why), 0);
	assert_int_equal(e.kind, TRANSPORT_ERROR);
	assert_string_equal(e.error, "5.7.1 no mail here");
	assert_int_equal(transport_parse("error:go away", &e, &why), 0);
	assert_string_equal(e.error, "5.0.0 go away");
	assert_int_equal(transport_parse("error:4.1.1 not temporary", &e,
	    &why), 0);
	assert_string_equal(e.error, "5.0.0 4.1.1 not temporary");
	assert_int_equal(transport_parse("error", &e, &why), 0);
	assert_int_equal(transport_parse("local:x", &e, &why), -1);
	assert_int_equal(transport_parse("lmtp:x", &e, &why), -1);
	assert_int_equal(transport_parse("smtp:[x", &e, &why), -1);
	assert_int_equal(transport_parse("smtp:1.2.3.4", &e, &why), -1);
	assert_int_equal(transport_parse("", &e, &why), -1);
}

static void
test_levels(void **state)
{
	(void)state;
	assert_int_equal(tls_level_parse("none"), TLS_LEVEL_NONE);
	assert_int_equal(tls_level_parse("MAY"), TLS_LEVEL_MAY);
	assert_int_equal(tls_level_parse("encrypt"), TLS_LEVEL_ENCRYPT);
	assert_int_equal(tls_level_parse("verify"), TLS_LEVEL_VERIFY);
	assert_int_equal(tls_level_parse("dane"), TLS_LEVEL_DANE);
	assert_int_equal(tls_level_parse("secure"), -1);
	assert_int_equal(tls_level_parse(""), -1);
	assert_string_equal(tls_level_name(TLS_LEVEL_DANE), "dane");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nexthop),
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_levels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
