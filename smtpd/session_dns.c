/*
 * session_dns: the client's host name for the Received header, when
 * smtpd_reverse_lookup is on.  c-ares asks only the resolver named by
 * dns_resolver, or 127.0.0.1 when it is empty (the session is chrooted,
 * away from /etc/resolv.conf; /etc/hosts is never read), a PTR lookup then a
 * forward lookup of the name: the name is used only when it maps back to
 * the client's address and is a plain LDH host name; otherwise it stays
 * empty and the header shows the address alone.  Runs in the session,
 * after the chroot and the uid change.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ares.h>
#include <ctype.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "smtpd.h"

#define DNS_TIMEOUT_MS	3000	/* per try; two tries per query */
/* ares.h's macros shift a signed 1 into the sign bit: do it unsigned. */
#define DNS_READABLE(bits, i)	(((unsigned)(bits) >> (i)) & 1U)
#define DNS_WRITABLE(bits, i)	(((unsigned)(bits) >> \
				    ((i) + ARES_GETSOCK_MAXNUM)) & 1U)

struct dns_query {
	int		 done;
	int		 family;
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} addr;
	char		 name[256];
	int		 confirmed;
};

static int
dns_name_ok(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '-' && c != '.')
			return 0;
	}
	return 1;
}

static void
dns_ptr_cb(void *arg, int status, int timeouts, struct hostent *he)
{
	struct dns_query	*q = arg;

	(void)timeouts;
	q->done = 1;
	if (status != ARES_SUCCESS || he == NULL || he->h_name == NULL ||
	    !dns_name_ok(he->h_name))
		return;
	(void)strlcpy(q->name, he->h_name, sizeof(q->name));
}

static void
dns_fwd_cb(void *arg, int status, int timeouts, struct hostent *he)
{
	struct dns_query	*q = arg;
	size_t			 len;
	char			**a;

	(void)timeouts;
	q->done = 1;
	if (status != ARES_SUCCESS || he == NULL || he->h_addrtype != q->family)
		return;
	len = q->family == AF_INET ? sizeof(q->addr.v4) : sizeof(q->addr.v6);
	for (a = he->h_addr_list; a != NULL && *a != NULL; a++)
		if ((size_t)he->h_length == len && memcmp(*a, &q->addr, len) == 0)
			q->confirmed = 1;
}

/* Runs the channel until the query is done (c-ares enforces timeouts). */
static void
dns_wait(ares_channel ch, struct dns_query *q)
{
	ares_socket_t	 socks[ARES_GETSOCK_MAXNUM];
	struct pollfd	 pfd[ARES_GETSOCK_MAXNUM];
	struct timeval	 tv, *tvp;
	int		 bits, i, n, r, ms;

	while (!q->done) {
		bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
		for (i = n = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			if (!DNS_READABLE(bits, i) &&
			    !DNS_WRITABLE(bits, i))
				continue;
			pfd[n].fd = socks[i];
			pfd[n].events = (DNS_READABLE(bits, i) ?
			    POLLIN : 0) | (DNS_WRITABLE(bits, i) ?
			    POLLOUT : 0);
			pfd[n].revents = 0;
			n++;
		}
		if (n == 0)
			break;
		tvp = ares_timeout(ch, NULL, &tv);
		ms = tvp == NULL ? DNS_TIMEOUT_MS :
		    (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
		r = poll(pfd, (nfds_t)n, ms);
		if (r == -1)
			continue;
		if (r == 0) {
			ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < n; i++)
			ares_process_fd(ch, (pfd[i].revents & (POLLIN |
			    POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
			    (pfd[i].revents & POLLOUT) ? pfd[i].fd :
			    ARES_SOCKET_BAD);
	}
}

void
session_dns_reverse(const char *resolver, const char *addr, char *out, size_t outlen)
{
	struct ares_options	 o;
	ares_channel		 ch;
	struct dns_query	 q;
	char			 lookups[] = "b";
	size_t			 alen;
	int			 r;

	out[0] = '\0';
	memset(&q, 0, sizeof(q));
	if (inet_pton(AF_INET, addr, &q.addr.v4) == 1) {
		q.family = AF_INET;
		alen = sizeof(q.addr.v4);
	} else if (inet_pton(AF_INET6, addr, &q.addr.v6) == 1) {
		q.family = AF_INET6;
		alen = sizeof(q.addr.v6);
	} else
		return;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return;
	memset(&o, 0, sizeof(o));
	o.timeout = DNS_TIMEOUT_MS;
	o.tries = 2;
	o.lookups = lookups;
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	if (ares_init_options(&ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_LOOKUPS | ARES_OPT_FLAGS) != ARES_SUCCESS) {
		log_warnx("dns: c-ares initialisation failed");
		return;
	}
	if (resolver[0] == '\0')
		resolver = "127.0.0.1";
	if ((r = ares_set_servers_ports_csv(ch, resolver)) != ARES_SUCCESS) {
		log_warnx("dns: bad dns_resolver %s: %s", resolver,
		    ares_strerror(r));
		goto out;
	}
	ares_gethostbyaddr(ch, &q.addr, (int)alen, q.family, dns_ptr_cb, &q);
	dns_wait(ch, &q);
	if (q.name[0] == '\0')
		goto out;
	q.done = 0;
	ares_gethostbyname(ch, q.name, q.family, dns_fwd_cb, &q);
	dns_wait(ch, &q);
	if (q.confirmed)
		(void)strlcpy(out, q.name, outlen);
	else
		log_info("%s: name %s does not map back to the address", addr,
		    q.name);
out:
	ares_destroy(ch);
	ares_library_cleanup();
}
