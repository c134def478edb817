/*
 * monitor_relay: the facts relay control is decided from.  The monitor
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
#include "netaddr.h"
#include "smtpd.h"

int
monitor_relay_conf_check(const struct conf *c, char *err, size_t errlen)
{
	const char *const	*w;
	struct netaddr		 n;
	size_t			 nw, i;

	w = conf_list(c, "mynetworks", &nw);
	for (i = 0; i < nw; i++)
		if (netaddr_parse(w[i], &n) == -1) {
			(void)snprintf(err, errlen,
			    "mynetworks: not an address or CIDR block: %s",
			    w[i]);
			return -1;
		}
	return 0;
}

int
monitor_relay_mynetworks(const struct conf *c, const char *addr)
{
	const char *const	*w;
	size_t			 nw;

	w = conf_list(c, "mynetworks", &nw);
	return netaddr_list_match(w, nw, addr);
}

int
monitor_relay_domain_local(const struct conf *c, const char *domain)
{
	if (domain[0] == '\0' || domain[0] == '[')
		return 0;
	return conf_is_local_domain(c, domain);
}

int
monitor_relay_local_trick(const char *local)
{
	return strpbrk(local, "@%!") != NULL;
}
