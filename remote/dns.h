/*
 * dns: rspawn's resolver.  c-ares sends every query to the servers of
 * dns_resolver (or, when it is empty, of /etc/resolv.conf, read once at
 * start before the chroot; /etc/hosts is never read), with its own
 * retries and timeouts; dns_wire.c reads the answers.  Answers are cached
 * for their TTL (at most DNS_CACHE_TTL_MAX), negative answers (NXDOMAIN,
 * no record of the type) for their SOA's TTL (RFC 2308); failures
 * (SERVFAIL, timeouts, a malformed answer) are not cached.  The cache
 * holds at most DNS_CACHE_MAX answers; when full, the one that expires
 * first goes.  A second question for a name and type already asked waits
 * for the same answer instead of asking again.
 *
 * The AD bit is believed (dns_result.secure) only when every server is a
 * loopback address: a validating resolver on the host, as Postfix's DANE
 * support requires; from anywhere else it could be forged on the way.
 *
 * Callbacks run only from dns_process, never from inside dns_query, so a
 * caller may start several queries in a row without being re-entered.
 */
#ifndef FACTEUR_DNS_H
#define FACTEUR_DNS_H
#include <poll.h>
#include <stddef.h>

#include "dns_wire.h"

#define DNS_CACHE_MAX		10000	/* answers kept */
#define DNS_CACHE_TTL_MAX	86400	/* seconds an answer is kept at most */
#define DNS_PFD_MAX		16	/* descriptors c-ares may use at once */

enum dns_status {
	DNS_OK,		/* rcode NOERROR: rr[0..nrr) (maybe none: NODATA) */
	DNS_NXDOMAIN,	/* the name does not exist */
	DNS_TEMP	/* SERVFAIL, timeout, refused, no server, bad answer */
};

struct dns_result {
	enum dns_status		 status;
	int			 secure;	/* AD set, from a loopback server */
	const struct dns_rr	*rr;
	size_t			 nrr;
	const char		*error;		/* DNS_TEMP: why, in words */
	int			 cached;	/* came from the cache */
};

typedef void	dns_cb(void *arg, const struct dns_result *);

struct dns;

/*
 * servers: dns_resolver ("IP[:port], ..."; "" for /etc/resolv.conf);
 * timeout_ms: the longest wait for one answer, both tries.  NULL with the
 * reason in err.
 */
struct dns	*dns_new(const char *servers, int timeout_ms, char *err,
		    size_t errlen);
void		 dns_free(struct dns *);
/* 1 when AD bits are believed (every server on loopback). */
int		 dns_trusts_ad(const struct dns *);
/* Asks for name and type; cb(arg, result) runs later from dns_process. */
void		 dns_query(struct dns *, const char *name, int type, dns_cb *,
		    void *arg);
/* The descriptors to poll (at most max); how many. */
size_t		 dns_pollfds(struct dns *, struct pollfd *, size_t max);
/* After poll: c-ares reads what came, timeouts run, callbacks are made. */
void		 dns_process(struct dns *, const struct pollfd *, size_t n);
/* ms until dns_process must run (0 when results wait), -1 for never. */
int		 dns_timeout_ms(struct dns *);
/* Questions waiting for an answer. */
size_t		 dns_pending(const struct dns *);

#endif
