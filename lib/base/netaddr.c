/*
 * netaddr: numeric IP addresses and CIDR blocks (see netaddr.h).
 *
 * Trust: addresses and blocks are parsed strictly; nothing is resolved.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

int
netaddr_parse(const char *word, struct netaddr *n)
{
	char		 tmp[INET6_ADDRSTRLEN + 8], *slash, *a = tmp;
	const char	*errstr = NULL;
	unsigned	 max;
	size_t		 len;

	if (strlcpy(tmp, word, sizeof(tmp)) >= sizeof(tmp))
		return -1;
	if ((slash = strchr(tmp, '/')) != NULL)
		*slash++ = '\0';
	if (a[0] == '[') {
		a++;
		len = strlen(a);
		if (len == 0 || a[len - 1] != ']')
			return -1;
		a[len - 1] = '\0';
	}
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, a, n->addr) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, a, n->addr) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else
		return -1;
	n->bits = max;
	if (slash != NULL) {
		/* digits only: strtonum alone would take " 8" or "+8" */
		if (*slash == '\0' || strspn(slash, "0123456789") !=
		    strlen(slash))
			return -1;
		n->bits = (unsigned)strtonum(slash, 0, max, &errstr);
		if (errstr != NULL)
			return -1;
	}
	return 0;
}

/* The client address as family and bytes; -1 if it is not numeric. */
static int
netaddr_client(const char *addr, unsigned char a[16], int *family)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff };

	if (inet_pton(AF_INET, addr, a) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, a) != 1)
		return -1;
	*family = AF_INET6;
	/* ::ffff:a.b.c.d is the IPv4 client it stands for. */
	if (memcmp(a, mapped, sizeof(mapped)) == 0) {
		memmove(a, a + 12, 4);
		*family = AF_INET;
	}
	return 0;
}

static int
netaddr_match_bytes(const struct netaddr *n, int family,
    const unsigned char *a)
{
	unsigned	 full = n->bits / 8, rest = n->bits % 8;

	if (family != n->family)
		return 0;
	if (memcmp(n->addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((n->addr[full] ^ a[full]) & (0xffU << (8 - rest)) & 0xffU)
	    == 0;
}

int
netaddr_match(const struct netaddr *n, const char *addr)
{
	unsigned char	 a[16];
	int		 family;

	if (netaddr_client(addr, a, &family) == -1)
		return 0;
	return netaddr_match_bytes(n, family, a);
}

int
netaddr_list_match(const char *const *words, unsigned long n,
    const char *addr)
{
	struct netaddr	 net;
	unsigned char	 a[16];
	unsigned long	 i;
	int		 family;

	if (netaddr_client(addr, a, &family) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (netaddr_parse(words[i], &net) == 0 &&
		    netaddr_match_bytes(&net, family, a))
			return 1;
	return 0;
}

/* The key of family/bytes a (see netaddr.h). */
static size_t
netaddr_key(int family, const unsigned char *a, unsigned v6_prefix,
    unsigned char *key)
{
	unsigned	 i;

	if (family == AF_INET) {
		key[0] = '4';
		memcpy(key + 1, a, 4);
		return 5;
	}
	if (v6_prefix > 128)
		v6_prefix = 128;
	key[0] = '6';
	for (i = 0; i < 16; i++) {
		if (v6_prefix >= 8 * (i + 1))
			key[1 + i] = a[i];
		else if (v6_prefix > 8 * i)
			key[1 + i] = a[i] & (unsigned char)(0xffU <<
			    (8 * (i + 1) - v6_prefix));
		else
			key[1 + i] = 0;
	}
	return 17;
}

size_t
netaddr_client_key(const char *addr, unsigned v6_prefix,
    unsigned char key[NETADDR_KEY_MAX])
{
	unsigned char	 a[16];
	int		 family;

	if (netaddr_client(addr, a, &family) == -1)
		return 0;
	return netaddr_key(family, a, v6_prefix, key);
}

size_t
netaddr_client_key_sa(const struct sockaddr *sa, unsigned v6_prefix,
    unsigned char key[NETADDR_KEY_MAX])
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff };
	const unsigned char	*a;

	if (sa->sa_family == AF_INET)
		return netaddr_key(AF_INET, (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    v6_prefix, key);
	if (sa->sa_family != AF_INET6)
		return 0;
	a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
	if (memcmp(a, mapped, sizeof(mapped)) == 0)
		return netaddr_key(AF_INET, a + 12, v6_prefix, key);
	return netaddr_key(AF_INET6, a, v6_prefix, key);
}
