/*
 * dns_wire: the DNS messages of the remote delivery's lookups (MX, A,
 * AAAA, TLSA): building a query with EDNS0 and the DO bit, and reading an
 * answer.  c-ares sends the query and receives the answer (retries,
 * timeouts, TCP after truncation); it has no parser for TLSA and gives no
 * TTL for MX, so the answer is read here, with strict bounds: every
 * length is checked against the message, compression pointers are
 * followed at most DNS_PTR_MAX times, names are at most 255 octets in
 * wire form, at most DNS_RR_MAX records of the asked type are kept, a
 * CNAME chain is followed at most DNS_CNAME_MAX links.  Pure functions on
 * bytes: unit tested and fuzzed (tests/fuzz/fuzz_dns_wire.c).
 *
 * Trust: the answer comes from the resolver named by dns_resolver; its AD
 * bit (authenticated data) is believed only when that resolver is on
 * loopback (remote/rspawn_dns.c decides), as Postfix does.
 */
#ifndef FACTEUR_DNS_WIRE_H
#define FACTEUR_DNS_WIRE_H
#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX	253	/* octets of a name in text, no final dot */
#define DNS_RR_MAX	64	/* records of the asked type kept */
#define DNS_PTR_MAX	64	/* compression pointers followed per name */
#define DNS_CNAME_MAX	8	/* links of a CNAME chain */
#define DNS_TLSA_DATA_MAX 1024	/* octets of one TLSA record's data */
#define DNS_QUERY_MAX	(12 + 255 + 4 + 11)	/* octets of a query */

enum {
	DNS_T_A = 1, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_MX = 15,
	DNS_T_AAAA = 28, DNS_T_OPT = 41, DNS_T_TLSA = 52
};
enum { DNS_R_NOERROR = 0, DNS_R_SERVFAIL = 2, DNS_R_NXDOMAIN = 3 };

struct dns_rr {
	uint16_t	 type;
	uint32_t	 ttl;
	uint16_t	 pref;			/* MX */
	char		 name[DNS_NAME_MAX + 1];	/* MX exchange ("" for .) */
	unsigned char	 addr[16];		/* A (4 octets), AAAA */
	unsigned char	 usage, selector, mtype;	/* TLSA */
	size_t		 dlen;
	unsigned char	*data;			/* TLSA, malloc'd */
};

struct dns_answer {
	int		 rcode;
	int		 ad;		/* the AD bit was set */
	uint32_t	 ttl;		/* least TTL of what was used; for a
					 * negative answer, the SOA's (RFC 2308),
					 * 0 when it had none */
	size_t		 nrr;
	struct dns_rr	 rr[DNS_RR_MAX];
	size_t		 nskipped;	/* records of the type not usable */
};

/*
 * A query for name (text, no final dot; letters, digits, '-', '_' and
 * dots) and type: RD and AD set, one OPT record with a UDP size of 1232
 * and the DO bit.  0 with *len, or -1 (a bad name, out too small).
 */
int	dns_query_build(const char *name, int type, unsigned char *out,
	    size_t cap, size_t *len);
/*
 * Reads an answer to the question (name, type).  NOERROR answers give the
 * records of the type owned by the name or by the end of a CNAME chain
 * that starts at it (others are ignored); MX exchanges and other names
 * must be host names (smtp_hostname_ok), else the record is
 * skipped and counted in nskipped.  0, or -1 with *why for a message
 * that is not an answer to the question or breaks a bound.  Free with
 * dns_answer_free.
 */
int	dns_answer_parse(const unsigned char *msg, size_t len,
	    const char *name, int type, struct dns_answer *,
	    const char **why);
void	dns_answer_free(struct dns_answer *);

#endif
