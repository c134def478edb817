/*
 * rspawn_resolve: a request's nexthop to the list of hosts to try.
 *
 *   [192.0.2.1]   that address
 *   [host]        host's AAAA and A records
 *   domain        its MX records, by preference, equal preferences in a
 *                 random order; no MX record: the domain itself
 *                 (RFC 5321 5.1); a null MX (RFC 7505, "MX 0 .") bounces
 *                 at once with 5.1.10.  Then each MX host's AAAA and A
 *                 records.
 *
 * Addresses go in MX order, each host's IPv6 ones before its IPv4 ones,
 * at most smtp_mx_address_limit in all.  NXDOMAIN for the domain bounces
 * (5.4.4); a failed lookup (SERVFAIL, timeout) defers (4.4.3) and counts
 * as a failure of the destination.  An MX host that is this host
 * (myhostname, or one of our listening addresses and ports) ends the
 * list at its preference, as Postfix does; when nothing is left before
 * it the mail "loops back to myself" (5.4.6).
 *
 * With TLS level dane (RFC 7672): when the MX records, and a host's
 * address records, came validated (the AD bit of a loopback resolver,
 * dns.h), the host's TLSA records (_port._tcp.host) are asked: usable
 * records (DANE-TA or DANE-EE) make that host "dane" (a match is
 * required, no plaintext); records but none usable make it "encrypt"; no
 * validated records make it "may"; a failed TLSA lookup drops the host
 * (a downgrade could hide there).  Everything else is "may".
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "rspawn.h"
#include "smtp_policy.h"

enum { TLSA_NONE, TLSA_PENDING, TLSA_USABLE, TLSA_UNUSABLE, TLSA_INSECURE,
	TLSA_FAILED };

struct rs_cb {
	struct rspawn	*rs;
	struct rmx	*mx;
	struct rreq	*req;
};

static void
fail(struct rreq *r, char status, const char *dsn, int site, const char *fmt,
    ...) __attribute__((format(printf, 5, 6)));

static void
fail(struct rreq *r, char status, const char *dsn, int site, const char *fmt,
    ...)
{
	va_list	 ap;

	if (r->fail != 0)
		return;
	r->fail = status;
	strlcpy(r->fail_dsn, dsn, sizeof(r->fail_dsn));
	r->fail_site = site;
	va_start(ap, fmt);
	(void)vsnprintf(r->fail_text, sizeof(r->fail_text), fmt, ap);
	va_end(ap);
}

/* One pending answer fewer; the last one moves the request on. */
static void	 addrs_done(struct rspawn *, struct rreq *);
static void	 finish(struct rspawn *, struct rreq *);

static struct rs_cb *
cb_new(struct rspawn *rs, struct rreq *r, struct rmx *mx)
{
	struct rs_cb	*cb;

	if ((cb = malloc(sizeof(*cb))) == NULL)
		fatal("out of memory");
	cb->rs = rs;
	cb->req = r;
	cb->mx = mx;
	r->pending++;
	return cb;
}

static int
is_myhostname(const struct rspawn *rs, const char *name)
{
	return strcasecmp(name, rs->myhostname) == 0;
}

static void
addr_cb(void *arg, const struct dns_result *res, int family)
{
	struct rs_cb	*cb = arg;
	struct rmx	*mx = cb->mx;
	struct rreq	*r = cb->req;
	struct rspawn	*rs = cb->rs;
	size_t		 i;

	free(cb);
	if (family == AF_INET) {
		mx->st4 = res->status;
		mx->sec4 = res->secure;
		for (i = 0; i < res->nrr && mx->n4 < RSPAWN_ADDRS_MAX; i++)
			memcpy(mx->v4[mx->n4++], res->rr[i].addr, 4);
	} else {
		mx->st6 = res->status;
		mx->sec6 = res->secure;
		for (i = 0; i < res->nrr && mx->n6 < RSPAWN_ADDRS_MAX; i++)
			memcpy(mx->v6[mx->n6++], res->rr[i].addr, 16);
	}
	if (--r->pending == 0)
		addrs_done(rs, r);
}

static void
a_cb(void *arg, const struct dns_result *res)
{
	addr_cb(arg, res, AF_INET);
}

static void
aaaa_cb(void *arg, const struct dns_result *res)
{
	addr_cb(arg, res, AF_INET6);
}

static void
addrs_start(struct rspawn *rs, struct rreq *r)
{
	size_t	i;

	r->pending++;		/* none of the answers may finish it early */
	for (i = 0; i < r->nmx; i++) {
		r->mx[i].st4 = r->mx[i].st6 = -1;
		dns_query(rs->dns, r->mx[i].name, DNS_T_AAAA, aaaa_cb,
		    cb_new(rs, r, &r->mx[i]));
		dns_query(rs->dns, r->mx[i].name, DNS_T_A, a_cb,
		    cb_new(rs, r, &r->mx[i]));
	}
	if (--r->pending == 0)
		addrs_done(rs, r);
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct rmx	*x = a, *y = b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

static void
mx_cb(void *arg, const struct dns_result *res)
{
	struct rs_cb	*cb = arg;
	struct rreq	*r = cb->req;
	struct rspawn	*rs = cb->rs;
	struct rmx	 tmp;
	size_t		 i, k, start, n = 0;

	free(cb);
	r->pending--;
	if (res->status == DNS_TEMP) {
		fail(r, 'Z', "4.4.3", 1, "Host or domain name not found. Name "
		    "service error for name=%s type=MX: Host not found, try "
		    "again (%s)", r->nh.host, res->error);
		finish(rs, r);
		return;
	}
	if (res->status == DNS_NXDOMAIN) {
		fail(r, 'D', "5.4.4", 0, "Host or domain name not found. Name "
		    "service error for name=%s type=MX: Host not found",
		    r->nh.host);
		finish(rs, r);
		return;
	}
	r->mx_secure = res->secure;
	for (i = 0; i < res->nrr; i++)
		if (res->rr[i].name[0] == '\0') {
			fail(r, 'D', "5.1.10", 0, "Domain %s does not accept "
			    "mail (nullMX)", r->nh.host);
			finish(rs, r);
			return;
		}
	if (res->nrr == 0) {
		/* RFC 5321 5.1: no MX, the domain is its own MX */
		r->implicit = 1;
		if ((r->mx = calloc(1, sizeof(*r->mx))) == NULL)
			fatal("out of memory");
		strlcpy(r->mx[0].name, r->nh.host, sizeof(r->mx[0].name));
		r->mx[0].req = r;
		r->nmx = 1;
		addrs_start(rs, r);
		return;
	}
	if ((r->mx = calloc(res->nrr, sizeof(*r->mx))) == NULL)
		fatal("out of memory");
	for (i = 0; i < res->nrr; i++) {
		for (k = 0; k < n; k++)
			if (strcasecmp(r->mx[k].name, res->rr[i].name) == 0)
				break;
		if (k < n)
			continue;	/* the same host twice */
		strlcpy(r->mx[n].name, res->rr[i].name, sizeof(r->mx[n].name));
		r->mx[n].pref = res->rr[i].pref;
		r->mx[n].req = r;
		n++;
	}
	qsort(r->mx, n, sizeof(*r->mx), mx_cmp);
	/* equal preferences in a random order (Fisher-Yates per run) */
	for (start = 0; start < n; start = i) {
		for (i = start + 1; i < n && r->mx[i].pref == r->mx[start].pref;
		    i++)
			continue;
		for (k = i - 1; k > start; k--) {
			size_t	j = start + arc4random_uniform(
			    (uint32_t)(k - start + 1));

			tmp = r->mx[k];
			r->mx[k] = r->mx[j];
			r->mx[j] = tmp;
		}
	}
	/* an MX that is this host ends the list at its preference */
	for (i = 0; i < n; i++)
		if (is_myhostname(rs, r->mx[i].name)) {
			while (i > 0 && r->mx[i - 1].pref == r->mx[i].pref)
				i--;
			n = i;
			break;
		}
	if (n == 0) {
		fail(r, 'D', "5.4.6", 0, "mail for %s loops back to myself",
		    r->nh.host);
		finish(rs, r);
		return;
	}
	r->nmx = n > RSPAWN_MX_MAX ? RSPAWN_MX_MAX : n;
	addrs_start(rs, r);
}

static void
tlsa_cb(void *arg, const struct dns_result *res)
{
	struct rs_cb	*cb = arg;
	struct rmx	*mx = cb->mx;
	struct rreq	*r = cb->req;
	struct rspawn	*rs = cb->rs;
	size_t		 i;

	free(cb);
	if (res->status == DNS_TEMP)
		mx->tlsa_state = TLSA_FAILED;
	else if (!res->secure)
		mx->tlsa_state = TLSA_INSECURE;
	else if (res->status == DNS_NXDOMAIN || res->nrr == 0)
		mx->tlsa_state = TLSA_NONE;
	else {
		mx->tlsa_state = TLSA_UNUSABLE;
		for (i = 0; i < res->nrr && mx->ntlsa < SMTP_TLSA_MAX; i++) {
			const struct dns_rr *t = &res->rr[i];
			unsigned char *d;

			/* RFC 7672 3.1.3: only DANE-TA(2) and DANE-EE(3) */
			if ((t->usage != 2 && t->usage != 3) ||
			    t->selector > 1 || t->mtype > 2 || t->dlen == 0)
				continue;
			if ((d = malloc(t->dlen)) == NULL)
				fatal("out of memory");
			memcpy(d, t->data, t->dlen);
			mx->tlsa[mx->ntlsa].usage = t->usage;
			mx->tlsa[mx->ntlsa].selector = t->selector;
			mx->tlsa[mx->ntlsa].mtype = t->mtype;
			mx->tlsa[mx->ntlsa].data = d;
			mx->tlsa[mx->ntlsa].len = t->dlen;
			mx->ntlsa++;
			mx->tlsa_state = TLSA_USABLE;
		}
	}
	if (--r->pending == 0)
		finish(rs, r);
}

static int
mx_is_local(const struct rspawn *rs, const struct rreq *r,
    const struct rmx *mx)
{
	size_t	k;

	for (k = 0; k < mx->n4; k++)
		if (policy_is_local(rs, AF_INET, mx->v4[k], r->nh.port))
			return 1;
	for (k = 0; k < mx->n6; k++)
		if (policy_is_local(rs, AF_INET6, mx->v6[k], r->nh.port))
			return 1;
	return 0;
}

/* The address records of every MX host are in. */
static void
addrs_done(struct rspawn *rs, struct rreq *r)
{
	struct rmx	*mx;
	char		 name[DNS_NAME_MAX + 16];
	size_t		 i, n = r->nmx;
	int		 dane;

	/* an MX host with one of our addresses is this host */
	for (i = 0; i < n; i++) {
		if (!mx_is_local(rs, r, &r->mx[i]))
			continue;
		while (i > 0 && r->mx[i - 1].pref == r->mx[i].pref)
			i--;
		n = i;
		break;
	}
	if (n == 0) {
		fail(r, 'D', "5.4.6", 0, "mail for %s loops back to myself",
		    r->nh.host);
		finish(rs, r);
		return;
	}
	r->nmx = n;
	dane = r->level == TLS_LEVEL_DANE && dns_trusts_ad(rs->dns) &&
	    (r->mx_secure || !r->nh.mx || r->implicit);
	if (r->level == TLS_LEVEL_DANE && !dns_trusts_ad(rs->dns) &&
	    !rs->warned_ad) {
		log_warnx("TLS level dane needs a validating resolver on "
		    "loopback (dns_resolver); falling back to may");
		rs->warned_ad = 1;
	}
	r->pending++;
	for (i = 0; dane && i < r->nmx; i++) {
		mx = &r->mx[i];
		/* the host's own records must be validated too */
		if ((mx->n4 > 0 && !mx->sec4) || (mx->n6 > 0 && !mx->sec6) ||
		    mx->n4 + mx->n6 == 0) {
			mx->tlsa_state = TLSA_INSECURE;
			continue;
		}
		(void)snprintf(name, sizeof(name), "_%u._tcp.%s", r->nh.port,
		    mx->name);
		mx->tlsa_state = TLSA_PENDING;
		dns_query(rs->dns, name, DNS_T_TLSA, tlsa_cb, cb_new(rs, r, mx));
	}
	if (--r->pending == 0)
		finish(rs, r);
}

static void
host_add(struct rreq *r, struct rmx *mx, int family, const void *a,
    int level)
{
	struct smtp_host	*h = &r->host[r->nhost++];
	size_t			 i;

	memset(h, 0, sizeof(*h));
	strlcpy(h->name, mx->name, sizeof(h->name));
	(void)inet_ntop(family, a, h->addr, sizeof(h->addr));
	h->port = r->nh.port;
	h->level = level;
	if (level == TLS_LEVEL_DANE) {
		for (i = 0; i < mx->ntlsa; i++)
			h->tlsa[i] = mx->tlsa[i];
		h->ntlsa = mx->ntlsa;
	}
	mx->used = 1;
}

/* The level a host gets from the destination's level and its TLSA. */
static int
host_level(const struct rreq *r, const struct rmx *mx)
{
	if (r->level != TLS_LEVEL_DANE)
		return r->level;
	switch (mx->tlsa_state) {
	case TLSA_USABLE:
		return TLS_LEVEL_DANE;
	case TLSA_UNUSABLE:
		return TLS_LEVEL_ENCRYPT;
	case TLSA_FAILED:
		return -1;
	default:
		return TLS_LEVEL_MAY;
	}
}

/* The lookups are over (or failed): the host list, then the next step. */
static void
finish(struct rspawn *rs, struct rreq *r)
{
	struct rmx	*mx;
	size_t		 i, k;
	int		 level, temp = 0, dropped = 0;

	if (r->fail != 0 || r->pending > 0) {
		if (r->pending == 0)
			req_resolved(rs, r);
		return;
	}
	if ((r->host = calloc(rs->addr_limit, sizeof(*r->host))) == NULL)
		fatal("out of memory");
	for (i = 0; i < r->nmx && r->nhost < rs->addr_limit; i++) {
		mx = &r->mx[i];
		if (mx->st4 == DNS_TEMP || mx->st6 == DNS_TEMP)
			temp = 1;
		if ((level = host_level(r, mx)) == -1) {
			dropped = 1;
			continue;
		}
		for (k = 0; k < mx->n6 && r->nhost < rs->addr_limit; k++)
			host_add(r, mx, AF_INET6, mx->v6[k], level);
		for (k = 0; k < mx->n4 && r->nhost < rs->addr_limit; k++)
			host_add(r, mx, AF_INET, mx->v4[k], level);
	}
	if (r->nhost == 0) {
		if (dropped)
			fail(r, 'Z', "4.7.5", 1, "TLSA lookup error for the MX "
			    "hosts of %s", r->nh.host);
		else if (temp || !r->implicit)
			fail(r, 'Z', "4.4.3", 1, "Host or domain name not found. "
			    "Name service error for name=%s type=A: Host not "
			    "found, try again", r->mx[0].name);
		else
			fail(r, 'D', "5.4.4", 0, "Host or domain name not found. "
			    "Name service error for name=%s type=A: Host not "
			    "found", r->mx[0].name);
	}
	req_resolved(rs, r);
}

void
resolve_start(struct rspawn *rs, struct rreq *r)
{
	unsigned char	 a[16];
	struct rmx	 mx;
	int		 family;

	if (r->nh.literal) {
		family = inet_pton(AF_INET, r->nh.host, a) == 1 ? AF_INET :
		    AF_INET6;
		if (family == AF_INET6 && inet_pton(AF_INET6, r->nh.host, a)
		    != 1) {
			fail(r, 'D', "5.1.2", 0, "bad address %s", r->nh.host);
			req_resolved(rs, r);
			return;
		}
		if (policy_is_local(rs, family, a, r->nh.port)) {
			fail(r, 'D', "5.4.6", 0, "mail for [%s]:%u loops back "
			    "to myself", r->nh.host, r->nh.port);
			req_resolved(rs, r);
			return;
		}
		if ((r->host = calloc(1, sizeof(*r->host))) == NULL)
			fatal("out of memory");
		memset(&mx, 0, sizeof(mx));
		strlcpy(mx.name, r->nh.host, sizeof(mx.name));
		/* no DNS, no DANE: an address has no TLSA records */
		host_add(r, &mx, family, a, r->level == TLS_LEVEL_DANE ?
		    TLS_LEVEL_MAY : r->level);
		req_resolved(rs, r);
		return;
	}
	if (!r->nh.mx) {
		if (is_myhostname(rs, r->nh.host)) {
			fail(r, 'D', "5.4.6", 0, "mail for %s loops back to "
			    "myself", r->nh.host);
			req_resolved(rs, r);
			return;
		}
		if ((r->mx = calloc(1, sizeof(*r->mx))) == NULL)
			fatal("out of memory");
		strlcpy(r->mx[0].name, r->nh.host, sizeof(r->mx[0].name));
		r->mx[0].req = r;
		r->nmx = 1;
		addrs_start(rs, r);
		return;
	}
	dns_query(rs->dns, r->nh.host, DNS_T_MX, mx_cb, cb_new(rs, r, NULL));
}
