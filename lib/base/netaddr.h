/*
 * netaddr: numeric IP addresses and CIDR blocks, for lists such as
 * mynetworks.  Forms: "192.0.2.1", "192.0.2.0/24", "2001:db8::/32",
 * "[2001:db8::]/32".  Names are never looked up.  An IPv4-mapped IPv6
 * client address (::ffff:a.b.c.d) matches as the IPv4 address it is.
 *
 * Trust: see netaddr.c.
 */
#ifndef FACTEUR_NETADDR_H
#define FACTEUR_NETADDR_H

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

#endif
