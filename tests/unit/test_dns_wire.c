/*
 * Unit tests for remote/dns_wire.c: queries as built (RD, AD, the OPT
 * record with DO), answers for MX, A, AAAA and TLSA with the least TTL,
 * a CNAME chain, the null MX, negative answers with the SOA's TTL, the AD
 * bit; and what a hostile or broken resolver's bytes earn: compression
 * loops, lengths past the end, a CNAME loop, another question, the TC
 * bit, a name with bad octets, records of other owners.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dns_wire.h"
#include "smtp_nexthop.h"

struct msg {
	unsigned char	b[4096];
	size_t		n;
};

static void
put8(struct msg *m, unsigned v)
{
	m->b[m->n++] = (unsigned char)v;
}

static void
put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 255);
}

static void
put32(struct msg *m, unsigned long v)
{
	put16(m, (unsigned)(v >> 16));
	put16(m, (unsigned)(v & 0xffff));
}

static void
putname(struct msg *m, const char *name)
{
	const char	*p = name, *dot;

	while (*p != '\0') {
		dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);

		put8(m, (unsigned)n);
		memcpy(m->b + m->n, p, n);
		m->n += n;
		p += n + (dot != NULL);
	}
	put8(m, 0);
}

/* Header and question; an/ns are the counts to come. */
static void
start(struct msg *m, unsigned flags, unsigned an, unsigned ns,
    const char *qname, unsigned qtype)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, 1);
	put16(m, an);
	put16(m, ns);
	put16(m, 0);
	putname(m, qname);
	put16(m, qtype);
	put16(m, 1);
}

/* A record header; the caller appends rdlen octets of data. */
static void
rr(struct msg *m, const char *owner, unsigned type, unsigned long ttl,
    unsigned rdlen)
{
	if (owner == NULL)
		put16(m, 0xc00c);	/* a pointer to the question's name */
	else
		putname(m, owner);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
}

static void
test_query(void **state)
{
	unsigned char	q[DNS_QUERY_MAX];
	size_t		len;

	(void)state;
	assert_int_equal(dns_query_build("_25._tcp.mx.example.org", DNS_T_TLSA,
	    q, sizeof(q), &len), 0);
	assert_int_equal(q[2], 0x01);		/* RD */
	assert_int_equal(q[3], 0x20);		/* AD */
	assert_int_equal(q[5], 1);		/* one question */
	assert_int_equal(q[11], 1);		/* one additional: OPT */
	assert_int_equal(q[12], 3);
	assert_memory_equal(q + 13, "_25", 3);
	/* the OPT record's DO bit is the last but two octets' top bit */
	assert_int_equal(q[len - 4], 0x80);
	assert_int_equal(dns_query_build("a..b", DNS_T_A, q, sizeof(q), &len),
	    -1);
	assert_int_equal(dns_query_build("a b", DNS_T_A, q, sizeof(q), &len),
	    -1);
	assert_int_equal(dns_query_build("", DNS_T_A, q, sizeof(q), &len), -1);
	assert_int_equal(dns_query_build("a.b", DNS_T_A, q, 10, &len), -1);
}

static void
test_mx(void **state)
{
	struct dns_answer	a;
	struct msg		m;
	const char		*why;

	(void)state;
	start(&m, 0x81a0, 3, 0, "example.org", DNS_T_MX);
	rr(&m, NULL, DNS_T_MX, 300, 2 + 4 + 2);
	put16(&m, 20);
	putname(&m, "mx2");
	m.n--;				/* ...then a pointer to example.org */
	put16(&m, 0xc00c);
	rr(&m, NULL, DNS_T_MX, 100, 2 + 14);
	put16(&m, 10);
	putname(&m, "mx1.test.org");
	rr(&m, NULL, DNS_T_MX, 300, 2 + 8);
	put16(&m, 30);
	putname(&m, "bad_mx");
	assert_int_equal(dns_answer_parse(m.b, m.n, "example.org", DNS_T_MX,
	    &a, &why), 0);
	assert_int_equal(a.rcode, 0);
	assert_true(a.ad);
	assert_int_equal(a.nrr, 2);
	assert_int_equal(a.nskipped, 1);
	assert_string_equal(a.rr[0].name, "mx2.example.org");
	assert_int_equal(a.rr[0].pref, 20);
	assert_string_equal(a.rr[1].name, "mx1.test.org");
	assert_int_equal(a.ttl, 100);
	dns_answer_free(&a);
	/* the null MX is the empty name */
	start(&m, 0x8180, 1, 0, "null.org", DNS_T_MX);
	rr(&m, NULL, DNS_T_MX, 60, 3);
	put16(&m, 0);
	put8(&m, 0);
	assert_int_equal(dns_answer_parse(m.b, m.n, "NULL.org", DNS_T_MX, &a,
	    &why), 0);
	assert_int_equal(a.nrr, 1);
	assert_string_equal(a.rr[0].name, "");
	assert_false(a.ad);
	dns_answer_free(&a);
}

static void
test_cname_and_addresses(void **state)
{
	struct dns_answer	a;
	struct msg		m;
	const char		*why;

	(void)state;
	start(&m, 0x8180, 4, 0, "www.example.org", DNS_T_A);
	rr(&m, "other.org", DNS_T_A, 5, 4);		/* not ours: ignored */
	put32(&m, 0x0a000001);
	rr(&m, "real.example.org", DNS_T_A, 600, 4);
	put32(&m, 0xc0000201);
	rr(&m, NULL, DNS_T_CNAME, 50, 18);
	putname(&m, "real.example.org");
	rr(&m, "real.example.org", DNS_T_A, 700, 4);
	put32(&m, 0xc0000202);
	assert_int_equal(dns_answer_parse(m.b, m.n, "www.example.org",
	    DNS_T_A, &a, &why), 0);
	assert_int_equal(a.nrr, 2);
	assert_int_equal(a.rr[0].addr[3], 1);
	assert_int_equal(a.rr[1].addr[3], 2);
	assert_int_equal(a.ttl, 50);		/* the CNAME's counts too */
	dns_answer_free(&a);
	/* a CNAME loop */
	start(&m, 0x8180, 2, 0, "a.org", DNS_T_A);
	rr(&m, "a.org", DNS_T_CNAME, 50, 7);
	putname(&m, "b.org");
	rr(&m, "b.org", DNS_T_CNAME, 50, 7);
	putname(&m, "a.org");
	assert_int_equal(dns_answer_parse(m.b, m.n, "a.org", DNS_T_A, &a,
	    &why), -1);
	assert_string_equal(why, "CNAME chain too long");
	/* AAAA of the wrong length */
	start(&m, 0x8180, 1, 0, "a.org", DNS_T_AAAA);
	rr(&m, NULL, DNS_T_AAAA, 50, 4);
	put32(&m, 1);
	assert_int_equal(dns_answer_parse(m.b, m.n, "a.org", DNS_T_AAAA, &a,
	    &why), -1);
}

static void
test_negative(void **state)
{
	struct dns_answer	a;
	struct msg		m;
	const char		*why;

	(void)state;
	start(&m, 0x8183, 0, 1, "nx.org", DNS_T_MX);
	rr(&m, "org", DNS_T_SOA, 900, 2 + 2 + 20);
	put8(&m, 0);
	put8(&m, 0);
	put8(&m, 0);
	put8(&m, 0);
	put32(&m, 1);
	put32(&m, 2);
	put32(&m, 3);
	put32(&m, 4);
	put32(&m, 120);			/* the minimum */
	assert_int_equal(dns_answer_parse(m.b, m.n, "nx.org", DNS_T_MX, &a,
	    &why), 0);
	assert_int_equal(a.rcode, DNS_R_NXDOMAIN);
	assert_int_equal(a.nrr, 0);
	assert_int_equal(a.ttl, 120);
	/* SERVFAIL: no records, no TTL */
	start(&m, 0x8182, 0, 0, "sf.org", DNS_T_MX);
	assert_int_equal(dns_answer_parse(m.b, m.n, "sf.org", DNS_T_MX, &a,
	    &why), 0);
	assert_int_equal(a.rcode, DNS_R_SERVFAIL);
	assert_int_equal(a.ttl, 0);
}

static void
test_tlsa(void **state)
{
	struct dns_answer	a;
	struct msg		m;
	const char		*why;

	(void)state;
	start(&m, 0x81a0, 1, 0, "_25._tcp.mx.org", DNS_T_TLSA);
	rr(&m, NULL, DNS_T_TLSA, 300, 3 + 4);
	put8(&m, 3);
	put8(&m, 1);
	put8(&m, 1);
	put32(&m, 0xdeadbeef);
	assert_int_equal(dns_answer_parse(m.b, m.n, "_25._tcp.mx.org",
	    DNS_T_TLSA, &a, &why), 0);
	assert_int_equal(a.nrr, 1);
	assert_int_equal(a.rr[0].usage, 3);
	assert_int_equal(a.rr[0].dlen, 4);
	assert_int_equal(a.rr[0].data[0], 0xde);
	dns_answer_free(&a);
}

static void
test_refusals(void **state)
{
	struct dns_answer	a;
	struct msg		m;
	const char		*why;

	(void)state;
	assert_int_equal(dns_answer_parse((const unsigned char *)"\0\0", 2,
	    "a.org", DNS_T_A, &a, &why), -1);
	/* a query, not an answer */
	start(&m, 0x0100, 0, 0, "a.org", DNS_T_A);
	assert_int_equal(dns_answer_parse(m.b, m.n, "a.org", DNS_T_A, &a,
	    &why), -1);
	/* truncated */
	start(&m, 0x8380, 0, 0, "a.org", DNS_T_A);
	assert_int_equal(dns_answer_parse(m.b, m.n, "a.org", DNS_T_A, &a,
	    &why), -1);
	assert_string_equal(why, "truncated answer");
	/* another question */
	start(&m, 0x8180, 0, 0, "b.org", DNS_T_A);
	assert_int_equal(dns_answer_parse(m.b, m.n, "a.org", DNS_T_A, &a,
	    &why), -1);
	start(&m, 0x8180, 0, 0, "a.org", DNS_T_MX);
	assert_int_equal(dns_answer_parse(m.b, m.n, "a.org", DNS_T_A, &a,
	    &why), -1);
	/* a record whose data runs past the end */
	start(&m, 0x8180, 1, 0, "a.org", DNS_T_A);
	rr(&m, NULL, DNS_T_A, 50, 40);
	put32(&m, 1);
	assert_int_equal(dns_answer_parse(m.b, m.n, "a.org", DNS_T_A, &a,
	    &why), -1);
	/* more records announced than there are */
	start(&m, 0x8180, 2, 0, "a.org", DNS_T_A);
	rr(&m, NULL, DNS_T_A, 50, 4);
	put32(&m, 1);
	assert_int_equal(dns_answer_parse(m.b, m.n, "a.org", DNS_T_A, &a,
	    &why), -1);
	/* a compression pointer to itself */
	start(&m, 0x8180, 1, 0, "a.org", DNS_T_A);
	put16(&m, 0xc000 | (unsigned)m.n);
	put16(&m, DNS_T_A);
	put16(&m, 1);
	put32(&m, 1);
	put16(&m, 4);
	put32(&m, 1);
	assert_int_equal(dns_answer_parse(m.b, m.n, "a.org", DNS_T_A, &a,
	    &why), -1);
	/* a pointer past the end */
	start(&m, 0x8180, 1, 0, "a.org", DNS_T_A);
	put16(&m, 0xc000 | 4000);
	assert_int_equal(dns_answer_parse(m.b, m.n, "a.org", DNS_T_A, &a,
	    &why), -1);
	/* an MX whose name runs into its neighbour */
	start(&m, 0x8180, 1, 0, "a.org", DNS_T_MX);
	rr(&m, NULL, DNS_T_MX, 50, 4);
	put16(&m, 10);
	putname(&m, "mx.a.org");
	assert_int_equal(dns_answer_parse(m.b, m.n, "a.org", DNS_T_MX, &a,
	    &why), -1);
	/* an MX name with a dot and a control byte inside a label */
	start(&m, 0x8180, 1, 0, "a.org", DNS_T_MX);
	rr(&m, NULL, DNS_T_MX, 50, 2 + 6);
	put16(&m, 10);
	put8(&m, 4);
	put8(&m, 'a');
	put8(&m, '.');
	put8(&m, '\n');
	put8(&m, 'b');
	put8(&m, 0);
	assert_int_equal(dns_answer_parse(m.b, m.n, "a.org", DNS_T_MX, &a,
	    &why), 0);
	assert_int_equal(a.nrr, 0);
	assert_int_equal(a.nskipped, 1);
}

static void
test_hostname(void **state)
{
	(void)state;
	assert_true(smtp_hostname_ok("mx1.example.org"));
	assert_false(smtp_hostname_ok(""));
	assert_false(smtp_hostname_ok("-a.org"));
	assert_false(smtp_hostname_ok("a-.org"));
	assert_false(smtp_hostname_ok("a..org"));
	assert_false(smtp_hostname_ok("a_b.org"));
	assert_false(smtp_hostname_ok("a.org."));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_mx),
		cmocka_unit_test(test_cname_and_addresses),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_tlsa),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_hostname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
