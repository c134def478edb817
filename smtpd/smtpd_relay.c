/*
 * smtpd_relay: the facts relay control is decided from.  The monitor
 * accepts a recipient in a remote domain only for a client that
 * authenticated or whose address is in mynetworks (a list of CIDR blocks,
 * IPv4 and IPv6; empty by default, so nobody relays by address).  An
 * address literal is never a local domain, and a local part that routes
 * elsewhere (user%remote, remote!user, "user@remote") is a relay attempt
 * whatever its domain: such paths are refused, never rewritten.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "smtpd.h"

struct relay_net {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	unsigned	 bits;
};

/* "a.b.c.d/n", "a.b.c.d", "x::y/n" or "[x::y]/n": 0, or -1 if malformed. */
static int
relay_net_parse(const char *word, struct relay_net *n)
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
		if (*slash == '\0')
			return -1;
		n->bits = (unsigned)strtonum(slash, 0, max, &errstr);
		if (errstr != NULL)
			return -1;
	}
	return 0;
}

static int
relay_net_match(const struct relay_net *n, int family,
    const unsigned char *addr)
{
	unsigned	 full = n->bits / 8, rest = n->bits % 8;

	if (family != n->family)
		return 0;
	if (memcmp(n->addr, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((n->addr[full] ^ addr[full]) & (0xffU << (8 - rest)) & 0xffU)
	    == 0;
}

int
relay_mynetworks_check(const struct conf *c, char *err, size_t errlen)
{
	const char *const	*w;
	struct relay_net	 n;
	size_t			 nw, i;

	w = conf_list(c, "mynetworks", &nw);
	for (i = 0; i < nw; i++)
		if (relay_net_parse(w[i], &n) == -1) {
			(void)snprintf(err, errlen,
			    "mynetworks: not an address or CIDR block: %s",
			    w[i]);
			return -1;
		}
	return 0;
}

int
relay_in_mynetworks(const struct conf *c, const char *addr)
{
	const char *const	*w;
	struct relay_net	 n;
	unsigned char		 a[16];
	size_t			 nw, i;
	int			 family;

	if (inet_pton(AF_INET, addr, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, addr, a) == 1) {
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0,
		    0, 0, 0, 0, 0xff, 0xff };

		family = AF_INET6;
		/* ::ffff:a.b.c.d is the IPv4 client it stands for. */
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			memmove(a, a + 12, 4);
			family = AF_INET;
		}
	} else
		return 0;
	w = conf_list(c, "mynetworks", &nw);
	for (i = 0; i < nw; i++)
		if (relay_net_parse(w[i], &n) == 0 &&
		    relay_net_match(&n, family, a))
			return 1;
	return 0;
}

int
relay_domain_local(const struct conf *c, const char *domain)
{
	if (domain[0] == '\0' || domain[0] == '[')
		return 0;
	return conf_is_local_domain(c, domain);
}

int
relay_local_trick(const char *local)
{
	return strpbrk(local, "@%!") != NULL;
}
