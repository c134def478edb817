/*
 * dns: c-ares under rspawn's poll loop, with a cache of answers by TTL;
 * the rules are in dns.h.
 */
#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ares.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dns.h"
#include "fdio.h"

/* ares.h's macros shift a signed 1 into the sign bit: do it unsigned. */
#define DNS_READABLE(bits, i)	(((unsigned)(bits) >> (i)) & 1U)
#define DNS_WRITABLE(bits, i)	(((unsigned)(bits) >> \
				    ((i) + ARES_GETSOCK_MAXNUM)) & 1U)

struct dns_waiter {
	TAILQ_ENTRY(dns_waiter)	 entry;
	dns_cb			*cb;
	void			*arg;
};
TAILQ_HEAD(dns_waiters, dns_waiter);

/* One question in flight, or an answer waiting for dns_process. */
struct dns_q {
	RB_ENTRY(dns_q)		 by_key;	/* in d->inflight */
	TAILQ_ENTRY(dns_q)	 ready;
	struct dns		*d;
	char			 name[DNS_NAME_MAX + 1];
	int			 type;
	int			 inflight;
	struct dns_waiters	 waiters;
	struct dns_result	 res;
	struct dns_rr		*rr;		/* res.rr, owned */
	char			 error[128];
};

struct dns_entry {
	RB_ENTRY(dns_entry)	 by_key;
	RB_ENTRY(dns_entry)	 by_expiry;
	char			 name[DNS_NAME_MAX + 1];
	int			 type;
	enum dns_status		 status;
	int			 secure;
	long long		 expires;	/* monotonic seconds */
	struct dns_rr		*rr;
	size_t			 nrr;
};

RB_HEAD(dns_qs, dns_q);
RB_HEAD(dns_keys, dns_entry);
RB_HEAD(dns_expiry, dns_entry);
TAILQ_HEAD(dns_readyq, dns_q);

struct dns {
	ares_channel		 ch;
	int			 trust_ad;
	struct dns_qs		 inflight;
	struct dns_readyq	 readyq;
	struct dns_keys		 cache;
	struct dns_expiry	 expiry;
	size_t			 ncache;
	size_t			 npending;
};

static int
key_cmp(const char *an, int at, const char *bn, int bt)
{
	int	r;

	if ((r = strcasecmp(an, bn)) != 0)
		return r;
	return at < bt ? -1 : at > bt;
}

static int
q_cmp(struct dns_q *a, struct dns_q *b)
{
	return key_cmp(a->name, a->type, b->name, b->type);
}

static int
entry_cmp(struct dns_entry *a, struct dns_entry *b)
{
	return key_cmp(a->name, a->type, b->name, b->type);
}

static int
expiry_cmp(struct dns_entry *a, struct dns_entry *b)
{
	if (a->expires != b->expires)
		return a->expires < b->expires ? -1 : 1;
	return a < b ? -1 : a > b;
}

RB_PROTOTYPE(dns_qs, dns_q, by_key, q_cmp)
RB_PROTOTYPE(dns_keys, dns_entry, by_key, entry_cmp)
RB_PROTOTYPE(dns_expiry, dns_entry, by_expiry, expiry_cmp)
RB_GENERATE(dns_qs, dns_q, by_key, q_cmp)
RB_GENERATE(dns_keys, dns_entry, by_key, entry_cmp)
RB_GENERATE(dns_expiry, dns_entry, by_expiry, expiry_cmp)

static long long
now_s(void)
{
	return fd_now_ms() / 1000;
}

/* 1 when the address text (with an optional :port or [..]:port) is
 * a loopback address. */
static int
addr_loopback(int family, const void *addr)
{
	const unsigned char	*a = addr;
	static const unsigned char one[16] = { [15] = 1 };

	if (family == AF_INET)
		return a[0] == 127;
	return family == AF_INET6 && memcmp(a, one, 16) == 0;
}

static int
servers_loopback(ares_channel ch)
{
	struct ares_addr_port_node	*s, *all = NULL;
	int				 ok;

	if (ares_get_servers_ports(ch, &all) != ARES_SUCCESS)
		return 0;
	ok = all != NULL;
	for (s = all; s != NULL; s = s->next)
		if (!addr_loopback(s->family, &s->addr))
			ok = 0;
	ares_free_data(all);
	return ok;
}

struct dns *
dns_new(const char *servers, int timeout_ms, char *err, size_t errlen)
{
	struct ares_options	 o;
	struct dns		*d;
	char			 lookups[] = "b";
	int			 r;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	RB_INIT(&d->inflight);
	RB_INIT(&d->cache);
	RB_INIT(&d->expiry);
	TAILQ_INIT(&d->readyq);
	if ((r = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		(void)snprintf(err, errlen, "c-ares: %s", ares_strerror(r));
		free(d);
		return NULL;
	}
	memset(&o, 0, sizeof(o));
	o.timeout = timeout_ms / 2 > 0 ? timeout_ms / 2 : 1;
	o.tries = 2;
	o.lookups = lookups;
	/* SERVFAIL and REFUSED answers come to dns_answered, which says so */
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES |
	    ARES_FLAG_NOCHECKRESP;
	if ((r = ares_init_options(&d->ch, &o, ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES | ARES_OPT_LOOKUPS | ARES_OPT_FLAGS)) !=
	    ARES_SUCCESS) {
		(void)snprintf(err, errlen, "c-ares: %s", ares_strerror(r));
		ares_library_cleanup();
		free(d);
		return NULL;
	}
	if (servers[0] != '\0' &&
	    (r = ares_set_servers_ports_csv(d->ch, servers)) != ARES_SUCCESS) {
		(void)snprintf(err, errlen, "dns_resolver \"%s\": %s", servers,
		    ares_strerror(r));
		dns_free(d);
		return NULL;
	}
	d->trust_ad = servers_loopback(d->ch);
	return d;
}

static void
entry_free(struct dns_entry *e)
{
	size_t	i;

	for (i = 0; i < e->nrr; i++)
		free(e->rr[i].data);
	free(e->rr);
	free(e);
}

static void
entry_drop(struct dns *d, struct dns_entry *e)
{
	RB_REMOVE(dns_keys, &d->cache, e);
	RB_REMOVE(dns_expiry, &d->expiry, e);
	d->ncache--;
	entry_free(e);
}

static void
q_free(struct dns_q *q)
{
	struct dns_waiter	*w;
	size_t			 i;

	while ((w = TAILQ_FIRST(&q->waiters)) != NULL) {
		TAILQ_REMOVE(&q->waiters, w, entry);
		free(w);
	}
	for (i = 0; q->rr != NULL && i < q->res.nrr; i++)
		free(q->rr[i].data);
	free(q->rr);
	free(q);
}

void
dns_free(struct dns *d)
{
	struct dns_entry	*e;
	struct dns_q		*q;

	if (d == NULL)
		return;
	/* pending callbacks are dropped: the caller is going away */
	ares_destroy(d->ch);
	while ((q = TAILQ_FIRST(&d->readyq)) != NULL) {
		TAILQ_REMOVE(&d->readyq, q, ready);
		q_free(q);
	}
	while ((e = RB_MIN(dns_keys, &d->cache)) != NULL)
		entry_drop(d, e);
	ares_library_cleanup();
	free(d);
}

int
dns_trusts_ad(const struct dns *d)
{
	return d->trust_ad;
}

size_t
dns_pending(const struct dns *d)
{
	return d->npending;
}

/* A copy of n records (TLSA data too); NULL when n is 0 or no memory. */
static struct dns_rr *
rr_copy(const struct dns_rr *rr, size_t n, int *nomem)
{
	struct dns_rr	*c;
	size_t		 i;

	*nomem = 0;
	if (n == 0)
		return NULL;
	if ((c = reallocarray(NULL, n, sizeof(*c))) == NULL) {
		*nomem = 1;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		c[i] = rr[i];
		c[i].data = NULL;
		if (rr[i].data == NULL)
			continue;
		if ((c[i].data = malloc(rr[i].dlen)) == NULL) {
			while (i-- > 0)
				free(c[i].data);
			free(c);
			*nomem = 1;
			return NULL;
		}
		memcpy(c[i].data, rr[i].data, rr[i].dlen);
	}
	return c;
}

static void
cache_put(struct dns *d, const struct dns_q *q, uint32_t ttl)
{
	struct dns_entry	*e, *old, key;
	int			 nomem;

	if (ttl == 0)
		return;
	if (ttl > DNS_CACHE_TTL_MAX)
		ttl = DNS_CACHE_TTL_MAX;
	strlcpy(key.name, q->name, sizeof(key.name));
	key.type = q->type;
	if ((old = RB_FIND(dns_keys, &d->cache, &key)) != NULL)
		entry_drop(d, old);
	while (d->ncache >= DNS_CACHE_MAX)
		entry_drop(d, RB_MIN(dns_expiry, &d->expiry));
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	strlcpy(e->name, q->name, sizeof(e->name));
	e->type = q->type;
	e->status = q->res.status;
	e->secure = q->res.secure;
	e->expires = now_s() + ttl;
	e->nrr = q->res.nrr;
	e->rr = rr_copy(q->rr, q->res.nrr, &nomem);
	if (nomem) {
		free(e);
		return;
	}
	RB_INSERT(dns_keys, &d->cache, e);
	RB_INSERT(dns_expiry, &d->expiry, e);
	d->ncache++;
}

/* c-ares is done with a question: read the answer, then queue it. */
static void
dns_answered(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct dns_q		*q = arg;
	struct dns		*d = q->d;
	struct dns_answer	*a = NULL;
	const char		*why;
	int			 nomem;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION)
		return;		/* dns_free: nobody waits any more */
	RB_REMOVE(dns_qs, &d->inflight, q);
	q->inflight = 0;
	q->res.status = DNS_TEMP;
	q->res.error = q->error;
	if (status != ARES_SUCCESS || abuf == NULL || alen <= 0) {
		(void)snprintf(q->error, sizeof(q->error), "%s",
		    status == ARES_ETIMEOUT ? "timed out" :
		    status == ARES_ESERVFAIL ? "server failure" :
		    status == ARES_EREFUSED ? "refused" :
		    status == ARES_ECONNREFUSED ? "no server answers" :
		    ares_strerror(status));
		goto queue;
	}
	if ((a = malloc(sizeof(*a))) == NULL) {
		(void)snprintf(q->error, sizeof(q->error), "out of memory");
		goto queue;
	}
	if (dns_answer_parse(abuf, (size_t)alen, q->name, q->type, a,
	    &why) == -1) {
		(void)snprintf(q->error, sizeof(q->error), "malformed answer: "
		    "%s", why);
		free(a);
		a = NULL;
		goto queue;
	}
	if (a->rcode == DNS_R_NXDOMAIN)
		q->res.status = DNS_NXDOMAIN;
	else if (a->rcode == DNS_R_NOERROR)
		q->res.status = DNS_OK;
	else {
		(void)snprintf(q->error, sizeof(q->error), "%s",
		    a->rcode == DNS_R_SERVFAIL ? "server failure" :
		    a->rcode == 5 ? "refused" : "error answer");
		goto queue;
	}
	q->res.secure = a->ad && d->trust_ad;
	q->rr = rr_copy(a->rr, a->nrr, &nomem);
	if (nomem) {
		q->res.status = DNS_TEMP;
		(void)snprintf(q->error, sizeof(q->error), "out of memory");
		goto queue;
	}
	q->res.nrr = a->nrr;
	q->res.rr = q->rr;
	q->res.error = NULL;
	cache_put(d, q, a->ttl);
queue:
	if (a != NULL) {
		dns_answer_free(a);
		free(a);
	}
	TAILQ_INSERT_TAIL(&d->readyq, q, ready);
}

static struct dns_q *
q_new(struct dns *d, const char *name, int type, dns_cb *cb, void *arg)
{
	struct dns_q		*q;
	struct dns_waiter	*w;

	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (w = calloc(1, sizeof(*w))) == NULL) {
		free(q);
		return NULL;
	}
	q->d = d;
	strlcpy(q->name, name, sizeof(q->name));
	q->type = type;
	TAILQ_INIT(&q->waiters);
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&q->waiters, w, entry);
	d->npending++;
	return q;
}

/* A result made here (a cache hit, an error before sending). */
static void
q_ready_now(struct dns *d, struct dns_q *q, enum dns_status st,
    const char *error)
{
	q->res.status = st;
	if (error != NULL) {
		(void)snprintf(q->error, sizeof(q->error), "%s", error);
		q->res.error = q->error;
	}
	TAILQ_INSERT_TAIL(&d->readyq, q, ready);
}

void
dns_query(struct dns *d, const char *name, int type, dns_cb *cb, void *arg)
{
	struct dns_entry	 ekey, *e;
	struct dns_q		 qkey, *q, *other;
	struct dns_waiter	*w;
	unsigned char		 qbuf[DNS_QUERY_MAX];
	size_t			 qlen;
	int			 nomem;

	if ((q = q_new(d, name, type, cb, arg)) == NULL) {
		/* no memory even for the answer: say so through a static */
		static struct dns_result oom = { DNS_TEMP, 0, NULL, 0,
		    "out of memory", 0 };

		cb(arg, &oom);
		return;
	}
	if (strlen(name) > DNS_NAME_MAX) {
		q_ready_now(d, q, DNS_TEMP, "name too long");
		return;
	}
	strlcpy(ekey.name, name, sizeof(ekey.name));
	ekey.type = type;
	if ((e = RB_FIND(dns_keys, &d->cache, &ekey)) != NULL) {
		if (e->expires > now_s()) {
			q->rr = rr_copy(e->rr, e->nrr, &nomem);
			if (nomem) {
				q_ready_now(d, q, DNS_TEMP, "out of memory");
				return;
			}
			q->res.rr = q->rr;
			q->res.nrr = e->nrr;
			q->res.secure = e->secure;
			q->res.cached = 1;
			q_ready_now(d, q, e->status, NULL);
			return;
		}
		entry_drop(d, e);
	}
	strlcpy(qkey.name, name, sizeof(qkey.name));
	qkey.type = type;
	if ((other = RB_FIND(dns_qs, &d->inflight, &qkey)) != NULL) {
		/* the same question is on its way: wait for its answer */
		w = TAILQ_FIRST(&q->waiters);
		TAILQ_REMOVE(&q->waiters, w, entry);
		TAILQ_INSERT_TAIL(&other->waiters, w, entry);
		q_free(q);
		return;
	}
	if (dns_query_build(name, type, qbuf, sizeof(qbuf), &qlen) == -1) {
		q_ready_now(d, q, DNS_TEMP, "not a name that can be asked");
		return;
	}
	q->inflight = 1;
	RB_INSERT(dns_qs, &d->inflight, q);
	ares_send(d->ch, qbuf, (int)qlen, dns_answered, q);
}

size_t
dns_pollfds(struct dns *d, struct pollfd *pfd, size_t max)
{
	ares_socket_t	 socks[ARES_GETSOCK_MAXNUM];
	int		 bits, i;
	size_t		 n = 0;

	bits = ares_getsock(d->ch, socks, ARES_GETSOCK_MAXNUM);
	for (i = 0; i < ARES_GETSOCK_MAXNUM && n < max; i++) {
		if (!DNS_READABLE(bits, i) && !DNS_WRITABLE(bits, i))
			continue;
		pfd[n].fd = socks[i];
		pfd[n].events = (DNS_READABLE(bits, i) ? POLLIN : 0) |
		    (DNS_WRITABLE(bits, i) ? POLLOUT : 0);
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

int
dns_timeout_ms(struct dns *d)
{
	struct timeval	 tv, *tvp;

	if (!TAILQ_EMPTY(&d->readyq))
		return 0;
	if (RB_EMPTY(&d->inflight))
		return -1;
	if ((tvp = ares_timeout(d->ch, NULL, &tv)) == NULL)
		return 1000;
	return (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
}

void
dns_process(struct dns *d, const struct pollfd *pfd, size_t n)
{
	struct dns_waiter	*w;
	struct dns_q		*q;
	size_t			 i;
	int			 any = 0;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		any = 1;
		ares_process_fd(d->ch, (pfd[i].revents & (POLLIN | POLLERR |
		    POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
		    (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
	}
	/* timeouts and retries */
	if (!any && !RB_EMPTY(&d->inflight))
		ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	while ((q = TAILQ_FIRST(&d->readyq)) != NULL) {
		TAILQ_REMOVE(&d->readyq, q, ready);
		while ((w = TAILQ_FIRST(&q->waiters)) != NULL) {
			TAILQ_REMOVE(&q->waiters, w, entry);
			d->npending--;
			w->cb(w->arg, &q->res);
			free(w);
		}
		q_free(q);
	}
}
