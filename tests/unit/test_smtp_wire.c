/*
 * Unit tests for remote/smtp_wire.c: the host and TLSA packets rspawn
 * gives an SMTP client round trip; the log packets a client sends are
 * refused with control bytes, without a text or over SMTP_LOG_MAX; bad
 * host and TLSA packets are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "smtp_policy.h"
#include "smtp_wire.h"

static char	pkt[RJOB_PACKET_MAX + 1];

static char *
packet(const char *data, size_t len)
{
	memcpy(pkt, data, len);
	pkt[len] = '\0';
	return pkt;
}

#define HOST_BAD(lit)	do {						\
	struct smtp_host h_;						\
	assert_int_equal(smtp_host_decode(packet(lit, sizeof(lit) - 1), \
	    sizeof(lit) - 1, &h_), -1);					\
} while (0)

static void
test_host(void **state)
{
	struct smtp_host	 h, o;
	char			 buf[RJOB_PACKET_MAX];
	size_t			 len;

	(void)state;
	memset(&h, 0, sizeof(h));
	strlcpy(h.name, "mx.example.org", sizeof(h.name));
	strlcpy(h.addr, "2001:db8::25", sizeof(h.addr));
	h.port = 25;
	h.level = TLS_LEVEL_DANE;
	assert_int_equal(smtp_host_encode(&h, buf, sizeof(buf), &len), 0);
	assert_int_equal(smtp_host_decode(packet(buf, len), len, &o), 0);
	assert_string_equal(o.name, h.name);
	assert_string_equal(o.addr, h.addr);
	assert_int_equal(o.port, 25);
	assert_int_equal(o.level, TLS_LEVEL_DANE);
	HOST_BAD("H\0mx\0" "1.2.3.4\0" "25");
	HOST_BAD("H\0mx\0" "1.2.3.4\0" "0\0may");
	HOST_BAD("H\0mx\0" "1.2.3.4\0" "65536\0may");
	HOST_BAD("H\0mx\0" "1.2.3.4\0" "25\0sometimes");
	HOST_BAD("H\0\0" "1.2.3.4\0" "25\0may");
	HOST_BAD("X\0mx\0" "1.2.3.4\0" "25\0may");
}

#define TLSA_DEC(lit, cap)	smtp_tlsa_decode(packet(lit, sizeof(lit) - 1), \
	    sizeof(lit) - 1, &t, out, cap)
#define LOG_DEC(lit)	smtp_log_decode(packet(lit, sizeof(lit) - 1), \
	    sizeof(lit) - 1, &text)

static void
test_tlsa(void **state)
{
	unsigned char	 d[] = { 0x00, 0xff, 0x10 }, out[8];
	struct tls_tlsa	 t;
	char		 buf[RJOB_PACKET_MAX];
	size_t		 len;

	(void)state;
	assert_int_equal(smtp_tlsa_encode(3, 1, 1, d, sizeof(d), buf,
	    sizeof(buf), &len), 0);
	assert_memory_equal(buf, "A\0" "3\0" "1\0" "1\0" "00ff10", len);
	assert_int_equal(smtp_tlsa_decode(packet(buf, len), len, &t, out,
	    sizeof(out)), 0);
	assert_int_equal(t.usage, 3);
	assert_int_equal(t.len, 3);
	assert_memory_equal(t.data, d, 3);
	/* odd hex, upper case, too long for the room, no data */
	assert_int_equal(TLSA_DEC("A\0" "3\0" "1\0" "1\0" "0ff", sizeof(out)), -1);
	assert_int_equal(TLSA_DEC("A\0" "3\0" "1\0" "1\0" "FF", sizeof(out)), -1);
	assert_int_equal(TLSA_DEC("A\0" "3\0" "1\0" "1\0"
	    "001122", 2), -1);
	assert_int_equal(TLSA_DEC("A\0" "3\0" "1\0" "1\0", sizeof(out)), -1);
	assert_int_equal(TLSA_DEC("A\0" "256\0" "1\0" "1\0"
	    "00", sizeof(out)), -1);
	assert_int_equal(smtp_tlsa_encode(3, 1, 1, d, 0, buf, sizeof(buf),
	    &len), -1);
}

static void
test_log(void **state)
{
	char		 big[SMTP_LOG_MAX + 4];
	const char	*text;

	(void)state;
	assert_int_equal(LOG_DEC("L\0hello"), 0);
	assert_string_equal(text, "hello");
	assert_int_equal(LOG_DEC("L\0"), -1);
	assert_int_equal(LOG_DEC("L\0a\nb"), -1);
	assert_int_equal(LOG_DEC("L\0a\0b"), -1);
	assert_int_equal(LOG_DEC("Lxhi"), -1);
	big[0] = 'L';
	big[1] = '\0';
	memset(big + 2, 'x', SMTP_LOG_MAX + 1);
	assert_int_equal(smtp_log_decode(packet(big, SMTP_LOG_MAX + 3),
	    SMTP_LOG_MAX + 3, &text), -1);
	assert_int_equal(smtp_log_decode(packet(big, SMTP_LOG_MAX + 2),
	    SMTP_LOG_MAX + 2, &text), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_tlsa),
		cmocka_unit_test(test_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
