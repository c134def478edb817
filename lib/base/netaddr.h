/*
 * netaddr: numeric IP addresses and CIDR blocks, for lists such as
 * mynetworks.  Forms: "192.0.2.1", "192.0.2.0/24", "2001:db8::/32",
 * "[2001:db8::]/32".  Names are never looked up.  An IPv4-mapped IPv6
 * client address (::ffff:a.b.c.d) matches as the IPv4 address it is.
 * And the key that says which client an address is (netaddr_client_key).
 *
 * Trust: see netaddr.c.
 */
#ifndef FACTEUR_NETADDR_H
#define FACTEUR_NETADDR_H
#include <stddef.h>

struct netaddr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	unsigned	 bits;		/* prefix length */
};

/* 0, or -1 if word is not an address or CIDR block. */
int	netaddr_parse(const char *word, struct netaddr *);
/* 1 if the numeric address addr (a client's) lies in the block. */
int	netaddr_match(const struct netaddr *, const char *addr);
/* 1 if addr lies in any block of words[0..n); malformed words never match. */
int	netaddr_list_match(const char *const *words, unsigned long n,
	    const char *addr);

/*
 * Who a client is, for per-client limits and records: '4' and the IPv4
 * address (an IPv4-mapped IPv6 address is the IPv4 client it stands
 * for), or '6' and the IPv6 address with every bit past the first
 * v6_prefix cleared, since one host or site is given a whole /64
 * (client_ipv6_prefix).  Two clients are the same when their keys are
 * equal.  The key's length, or 0 when addr is not a numeric address.
 */
#define NETADDR_KEY_MAX	17
struct sockaddr;
size_t	netaddr_client_key(const char *addr, unsigned v6_prefix,
	    unsigned char key[NETADDR_KEY_MAX]);
/* The same from a socket address (AF_INET or AF_INET6; else 0). */
size_t	netaddr_client_key_sa(const struct sockaddr *, unsigned v6_prefix,
	    unsigned char key[NETADDR_KEY_MAX]);

#endif
