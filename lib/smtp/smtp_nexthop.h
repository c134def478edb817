/*
 * smtp_nexthop: where remote delivery sends mail for a destination, as
 * written in relayhost, in transport_file entries (smtp:NEXTHOP) and on
 * the pipe between queued and rspawn; Postfix's syntax:
 *
 *   example.org            the MX hosts of example.org, port 25
 *   example.org:2525       the same on port 2525
 *   [mail.example.org]     that host's own addresses, no MX lookup
 *   [mail.example.org]:587
 *   [192.0.2.1]:25, [2001:db8::1], [ipv6:2001:db8::1]   addresses
 *
 * Names are host names (LDH labels, at most 253 octets; folded to lower
 * case); an address outside brackets is refused (it would be looked up as
 * a name); a port is 1 to 65535.  Pure functions, unit tested.
 */
#ifndef FACTEUR_SMTP_NEXTHOP_H
#define FACTEUR_SMTP_NEXTHOP_H
#include <stddef.h>

#define NEXTHOP_HOST_MAX	253
#define NEXTHOP_TEXT_MAX	(NEXTHOP_HOST_MAX + 2 + 5 + 6)	/* [ipv6:..]:port */

struct smtp_nexthop {
	char		 host[NEXTHOP_HOST_MAX + 1];	/* name or address */
	unsigned	 port;		/* 25 unless given */
	int		 mx;		/* 1: look up host's MX records */
	int		 literal;	/* host is an IP address (mx is 0) */
};

/*
 * 1 when name is a host name: LDH labels of 1 to 63 octets (no hyphen at
 * either end) separated by single dots, at most 253 octets, no final dot.
 */
int	smtp_hostname_ok(const char *name);
/* 0, or -1 with *why (a static string). */
int	smtp_nexthop_parse(const char *s, struct smtp_nexthop *,
	    const char **why);
/* The canonical text ("example.org", "[mx.example.org]:587"). */
void	smtp_nexthop_format(const struct smtp_nexthop *, char *out,
	    size_t size);

#endif
