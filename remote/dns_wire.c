/*
 * dns_wire: DNS queries and answers for the remote delivery; the bounds
 * and the trust are in dns_wire.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns_wire.h"
#include "smtp_nexthop.h"

#define DNS_HDR		12
#define F_QR		0x8000
#define F_TC		0x0200
#define F_RD		0x0100
#define F_AD		0x0020
#define OPCODE(f)	(((f) >> 11) & 0xf)
#define EDNS_UDP	1232
#define EDNS_DO		0x8000
#define CLASS_IN	1

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
get32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static int
ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

int
dns_query_build(const char *name, int type, unsigned char *out, size_t cap,
    size_t *len)
{
	size_t	 n = strlen(name), o = DNS_HDR, i, start;

	if (n == 0 || n > DNS_NAME_MAX || cap < DNS_QUERY_MAX)
		return -1;
	memset(out, 0, DNS_HDR);
	put16(out + 2, F_RD | F_AD);
	put16(out + 4, 1);		/* QDCOUNT */
	put16(out + 10, 1);		/* ARCOUNT: the OPT record */
	for (i = 0; i <= n; i = start + 1) {
		start = i;
		while (start < n && name[start] != '.')
			start++;
		if (start == i || start - i > 63)
			return -1;
		out[o++] = (unsigned char)(start - i);
		for (; i < start; i++) {
			unsigned char c = (unsigned char)name[i];

			if (!ldh(c) && c != '_')
				return -1;
			out[o++] = c;
		}
		if (start == n)
			break;
	}
	out[o++] = 0;
	put16(out + o, (unsigned)type);
	put16(out + o + 2, CLASS_IN);
	o += 4;
	/* OPT: root name, type 41, class = UDP size, TTL = 0 0 DO, no data */
	out[o++] = 0;
	put16(out + o, DNS_T_OPT);
	put16(out + o + 2, EDNS_UDP);
	out[o + 4] = 0;
	out[o + 5] = 0;
	put16(out + o + 6, EDNS_DO);
	put16(out + o + 8, 0);
	o += 10;
	*len = o;
	return 0;
}

/*
 * Reads the name at *off into out (text, lower case, no final dot; ""
 * for the root), moving *off past it.  ok_host is set to 0 when a label
 * holds anything but LDH and '_'.  0, or -1 on a bound.
 */
static int
name_read(const unsigned char *msg, size_t len, size_t *off, char *out,
    int *chars_ok)
{
	size_t	 p = *off, o = 0, wire = 0, end = 0;
	int	 jumps = 0, jumped = 0;
	unsigned c, i;

	*chars_ok = 1;
	for (;;) {
		if (p >= len)
			return -1;
		c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++jumps > DNS_PTR_MAX)
				return -1;
			if (!jumped)
				end = p + 2;
			jumped = 1;
			p = ((c & 0x3f) << 8) | msg[p + 1];
			continue;
		}
		if ((c & 0xc0) != 0)
			return -1;	/* extended label types: refused */
		p++;
		wire += c + 1;
		if (wire > 255)
			return -1;
		if (c == 0)
			break;
		if (p + c > len)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (i = 0; i < c; i++) {
			unsigned char ch = msg[p + i];

			if (!ldh(ch) && ch != '_')
				*chars_ok = 0;
			/* whatever the octet, the text stays one line */
			out[o++] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) :
			    (ch < 0x21 || ch > 0x7e || ch == '.') ? '?' :
			    (char)ch;
		}
		p += c;
	}
	out[o] = '\0';
	*off = jumped ? end : p;
	return 0;
}

struct rrhead {
	char		 owner[256];
	int		 owner_ok;
	uint16_t	 type, klass;
	uint32_t	 ttl;
	size_t		 rdoff, rdlen;
};

static int
rr_read(const unsigned char *msg, size_t len, size_t *off, struct rrhead *h)
{
	if (name_read(msg, len, off, h->owner, &h->owner_ok) == -1)
		return -1;
	if (*off + 10 > len)
		return -1;
	h->type = get16(msg + *off);
	h->klass = get16(msg + *off + 2);
	h->ttl = get32(msg + *off + 4);
	h->rdlen = get16(msg + *off + 8);
	h->rdoff = *off + 10;
	if (h->rdoff + h->rdlen > len)
		return -1;
	*off = h->rdoff + h->rdlen;
	/* RFC 2181 8: a TTL with the top bit set counts as zero */
	if (h->ttl > 0x7fffffffU)
		h->ttl = 0;
	return 0;
}

static void
ttl_min(struct dns_answer *a, uint32_t ttl, int *first)
{
	if (*first || ttl < a->ttl)
		a->ttl = ttl;
	*first = 0;
}

/* Decodes one record of the asked type into rr; 0, 1 skipped, -1 bad. */
static int
rr_decode(const unsigned char *msg, size_t len, const struct rrhead *h,
    struct dns_rr *rr)
{
	const unsigned char *d = msg + h->rdoff;
	size_t		 off;
	int		 ok;

	memset(rr, 0, sizeof(*rr));
	rr->type = h->type;
	rr->ttl = h->ttl;
	switch (h->type) {
	case DNS_T_A:
		if (h->rdlen != 4)
			return -1;
		memcpy(rr->addr, d, 4);
		return 0;
	case DNS_T_AAAA:
		if (h->rdlen != 16)
			return -1;
		memcpy(rr->addr, d, 16);
		return 0;
	case DNS_T_MX:
		if (h->rdlen < 3)
			return -1;
		rr->pref = get16(d);
		off = h->rdoff + 2;
		if (name_read(msg, len, &off, rr->name, &ok) == -1 ||
		    off != h->rdoff + h->rdlen)
			return -1;
		/* "" is the null MX (RFC 7505); others must be host names */
		return rr->name[0] == '\0' || smtp_hostname_ok(rr->name) ? 0 : 1;
	case DNS_T_TLSA:
		if (h->rdlen < 4 || h->rdlen - 3 > DNS_TLSA_DATA_MAX)
			return 1;
		rr->usage = d[0];
		rr->selector = d[1];
		rr->mtype = d[2];
		rr->dlen = h->rdlen - 3;
		if ((rr->data = malloc(rr->dlen)) == NULL)
			return -1;
		memcpy(rr->data, d + 3, rr->dlen);
		return 0;
	}
	return 1;
}

static int
bad(struct dns_answer *a, const char **why, const char *text)
{
	dns_answer_free(a);
	*why = text;
	return -1;
}

int
dns_answer_parse(const unsigned char *msg, size_t len, const char *name,
    int type, struct dns_answer *a, const char **why)
{
	struct rrhead	 h;
	char		 qname[256], target[256];
	size_t		 off, ans_start, i, k;
	unsigned	 flags, qd, an, ns;
	int		 ok, first = 1, r, link;

	memset(a, 0, sizeof(*a));
	if (len < DNS_HDR)
		return bad(a, why, "short DNS message");
	flags = get16(msg + 2);
	qd = get16(msg + 4);
	an = get16(msg + 6);
	ns = get16(msg + 8);
	if (!(flags & F_QR) || OPCODE(flags) != 0)
		return bad(a, why, "not an answer to a query");
	if (flags & F_TC)
		return bad(a, why, "truncated answer");
	if (qd != 1)
		return bad(a, why, "not one question in the answer");
	a->rcode = flags & 0xf;
	a->ad = (flags & F_AD) != 0;
	off = DNS_HDR;
	if (name_read(msg, len, &off, qname, &ok) == -1 || off + 4 > len)
		return bad(a, why, "malformed question");
	if (strcasecmp(qname, name) != 0 || get16(msg + off) != type ||
	    get16(msg + off + 2) != CLASS_IN)
		return bad(a, why, "answer to another question");
	off += 4;
	ans_start = off;
	/* walk once to check every record's bounds */
	for (i = 0; i < (size_t)an + ns; i++)
		if (rr_read(msg, len, &off, &h) == -1)
			return bad(a, why, "malformed record");
	if (a->rcode != DNS_R_NOERROR) {
		/* the SOA in the authority section bounds a negative cache */
		off = ans_start;
		for (i = 0; i < (size_t)an + ns; i++) {
			(void)rr_read(msg, len, &off, &h);
			if (i >= an && h.type == DNS_T_SOA &&
			    h.klass == CLASS_IN && h.rdlen >= 20) {
				uint32_t min = get32(msg + h.rdoff + h.rdlen -
				    4);

				a->ttl = h.ttl < min ? h.ttl : min;
				break;
			}
		}
		return 0;
	}
	/* follow the CNAME chain from name */
	strlcpy(target, qname, sizeof(target));
	for (link = 0; link < DNS_CNAME_MAX; link++) {
		off = ans_start;
		for (i = 0, k = 0; i < an; i++) {
			(void)rr_read(msg, len, &off, &h);
			if (h.type != DNS_T_CNAME || h.klass != CLASS_IN ||
			    strcasecmp(h.owner, target) != 0)
				continue;
			size_t roff = h.rdoff;

			if (name_read(msg, len, &roff, target, &ok) == -1 ||
			    roff != h.rdoff + h.rdlen)
				return bad(a, why, "malformed CNAME");
			ttl_min(a, h.ttl, &first);
			k = 1;
			break;
		}
		if (k == 0)
			break;
	}
	if (link == DNS_CNAME_MAX)
		return bad(a, why, "CNAME chain too long");
	off = ans_start;
	for (i = 0; i < an; i++) {
		(void)rr_read(msg, len, &off, &h);
		if (h.type != type || h.klass != CLASS_IN ||
		    strcasecmp(h.owner, target) != 0)
			continue;
		if (a->nrr >= DNS_RR_MAX) {
			a->nskipped++;
			continue;
		}
		r = rr_decode(msg, len, &h, &a->rr[a->nrr]);
		if (r == -1)
			return bad(a, why, "malformed record data");
		if (r == 1) {
			a->nskipped++;
			continue;
		}
		ttl_min(a, h.ttl, &first);
		a->nrr++;
	}
	if (first)
		a->ttl = 0;
	/* NODATA: the SOA's TTL bounds the negative cache (RFC 2308) */
	if (a->nrr == 0 && a->nskipped == 0) {
		off = ans_start;
		for (i = 0; i < (size_t)an + ns; i++) {
			(void)rr_read(msg, len, &off, &h);
			if (i >= an && h.type == DNS_T_SOA && h.rdlen >= 20) {
				uint32_t min = get32(msg + h.rdoff + h.rdlen -
				    4);

				a->ttl = h.ttl < min ? h.ttl : min;
				break;
			}
		}
	}
	return 0;
}

void
dns_answer_free(struct dns_answer *a)
{
	size_t	i;

	for (i = 0; i < a->nrr && i < DNS_RR_MAX; i++) {
		free(a->rr[i].data);
		a->rr[i].data = NULL;
	}
	a->nrr = 0;
}
