/*
 * Unit tests for remote/smtp_wire.c: the host and TLSA frames rspawn
 * gives an SMTP client round trip; the log frames a client sends are
 * refused with control bytes, without a text or over SMTP_LOG_MAX; bad
 * host and TLSA frames are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "netstring.h"
#include "smtp_policy.h"
#include "smtp_wire.h"

static struct chan_msg	msg;

static struct chan_msg *
frame(const char *p, size_t n)
{
	memset(&msg, 0, sizeof(msg));
	memcpy(msg.data, p, n);
	msg.data[n] = '\0';
	msg.len = n;
	msg.nf = frame_split(msg.data, n, msg.f, CHAN_FIELDS_MAX);
	return &msg;
}

static struct chan_msg *
fields(const char *const *f, int nf)
{
	char	 b[CHAN_WIRE_MAX];
	size_t	 n = 0, k;
	int	 i;

	for (i = 0; i < nf; i++) {
		k = strlen(f[i]);
		memcpy(b + n, f[i], k);
		n += k;
		if (i + 1 < nf)
			b[n++] = '\0';
	}
	return frame(b, n);
}

#define FRAME(lit)	frame(lit, sizeof(lit) - 1)

static void
test_host(void **state)
{
	struct smtp_host	 h, o;
	struct smtp_wire_fields	 wf;

	(void)state;
	memset(&h, 0, sizeof(h));
	strlcpy(h.name, "mx.example.org", sizeof(h.name));
	strlcpy(h.addr, "2001:db8::25", sizeof(h.addr));
	h.port = 25;
	h.level = TLS_LEVEL_DANE;
	assert_int_equal(smtp_host_fields(&h, &wf), 0);
	assert_int_equal(smtp_host_decode(fields(wf.f, 5), &o), 0);
	assert_string_equal(o.name, h.name);
	assert_string_equal(o.addr, h.addr);
	assert_int_equal(o.port, 25);
	assert_int_equal(o.level, TLS_LEVEL_DANE);
	assert_int_equal(smtp_host_decode(FRAME("H\0mx\0" "1.2.3.4\0" "25"),
	    &o), -1);
	assert_int_equal(smtp_host_decode(FRAME("H\0mx\0" "1.2.3.4\0" "0\0may"),
	    &o), -1);
	assert_int_equal(smtp_host_decode(FRAME("H\0mx\0" "1.2.3.4\0"
	    "65536\0may"), &o), -1);
	assert_int_equal(smtp_host_decode(FRAME("H\0mx\0" "1.2.3.4\0"
	    "25\0sometimes"), &o), -1);
	assert_int_equal(smtp_host_decode(FRAME("H\0\0" "1.2.3.4\0" "25\0may"),
	    &o), -1);
	assert_int_equal(smtp_host_decode(FRAME("X\0mx\0" "1.2.3.4\0"
	    "25\0may"), &o), -1);
}

static void
test_tlsa(void **state)
{
	unsigned char		 d[] = { 0x00, 0xff, 0x10 }, out[8];
	struct tls_tlsa		 t;
	struct smtp_wire_fields	 wf;

	(void)state;
	assert_int_equal(smtp_tlsa_fields(3, 1, 1, d, sizeof(d), &wf), 0);
	assert_string_equal(wf.f[4], "00ff10");
	assert_int_equal(smtp_tlsa_decode(fields(wf.f, 5), &t, out,
	    sizeof(out)), 0);
	assert_int_equal(t.usage, 3);
	assert_int_equal(t.len, 3);
	assert_memory_equal(t.data, d, 3);
	/* odd hex, upper case, too long for the room, no data, > 255 */
	assert_int_equal(smtp_tlsa_decode(FRAME("A\0" "3\0" "1\0" "1\0" "0ff"),
	    &t, out, sizeof(out)), -1);
	assert_int_equal(smtp_tlsa_decode(FRAME("A\0" "3\0" "1\0" "1\0" "FF"),
	    &t, out, sizeof(out)), -1);
	assert_int_equal(smtp_tlsa_decode(FRAME("A\0" "3\0" "1\0" "1\0"
	    "001122"), &t, out, 2), -1);
	assert_int_equal(smtp_tlsa_decode(FRAME("A\0" "3\0" "1\0" "1"), &t,
	    out, sizeof(out)), -1);
	assert_int_equal(smtp_tlsa_decode(FRAME("A\0" "256\0" "1\0" "1\0"
	    "00"), &t, out, sizeof(out)), -1);
	assert_int_equal(smtp_tlsa_fields(3, 1, 1, d, 0, &wf), -1);
}

static void
test_log(void **state)
{
	char		 big[SMTP_LOG_MAX + 2];
	const char	*text, *f[2] = { "L", big };

	(void)state;
	assert_int_equal(smtp_log_decode(FRAME("L\0hello"), &text), 0);
	assert_string_equal(text, "hello");
	assert_int_equal(smtp_log_decode(FRAME("L\0"), &text), -1);
	assert_int_equal(smtp_log_decode(FRAME("L\0a\nb"), &text), -1);
	assert_int_equal(smtp_log_decode(FRAME("L\0a\0b"), &text), -1);
	assert_int_equal(smtp_log_decode(FRAME("Lxhi"), &text), -1);
	memset(big, 'x', SMTP_LOG_MAX + 1);
	big[SMTP_LOG_MAX + 1] = '\0';
	assert_int_equal(smtp_log_decode(fields(f, 2), &text), -1);
	big[SMTP_LOG_MAX] = '\0';
	assert_int_equal(smtp_log_decode(fields(f, 2), &text), 0);
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
