/*
 * smtp_nexthop: the nexthop syntax of relayhost and transport_file; see
 * smtp_nexthop.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp_nexthop.h"

static int
ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

int
smtp_hostname_ok(const char *name)
{
	size_t	 n = strlen(name), i, label = 0;

	if (n == 0 || n > NEXTHOP_HOST_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (name[i] == '.') {
			if (label == 0 || name[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!ldh((unsigned char)name[i]) || (label == 0 &&
		    name[i] == '-') || ++label > 63)
			return 0;
	}
	return label > 0 && name[n - 1] != '-';
}

static int
is_address(const char *s)
{
	unsigned char	a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static int
port_parse(const char *s, unsigned *port)
{
	unsigned long	v = 0;
	size_t		i;

	if (s[0] == '\0' || s[0] == '0' || strlen(s) > 5)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

int
smtp_nexthop_parse(const char *s, struct smtp_nexthop *nh, const char **why)
{
	char		 host[NEXTHOP_HOST_MAX + 8];
	const char	*end, *portp = NULL;
	size_t		 n, i;

	memset(nh, 0, sizeof(*nh));
	nh->port = 25;
	if (strlen(s) > NEXTHOP_TEXT_MAX) {
		*why = "nexthop too long";
		return -1;
	}
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL) {
			*why = "missing ']'";
			return -1;
		}
		n = (size_t)(end - s - 1);
		if (n == 0 || n >= sizeof(host)) {
			*why = "empty or too long host in brackets";
			return -1;
		}
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (end[1] == ':')
			portp = end + 2;
		else if (end[1] != '\0') {
			*why = "text after ']'";
			return -1;
		}
		if (strncasecmp(host, "ipv6:", 5) == 0)
			memmove(host, host + 5, strlen(host + 5) + 1);
		nh->mx = 0;
	} else {
		end = strchr(s, ':');
		n = end != NULL ? (size_t)(end - s) : strlen(s);
		if (n == 0 || n >= sizeof(host)) {
			*why = "empty or too long host";
			return -1;
		}
		memcpy(host, s, n);
		host[n] = '\0';
		if (end != NULL)
			portp = end + 1;
		if (is_address(host)) {
			*why = "an IP address must be written in brackets";
			return -1;
		}
		nh->mx = 1;
	}
	if (portp != NULL && port_parse(portp, &nh->port) == -1) {
		*why = "bad port";
		return -1;
	}
	if (!nh->mx && is_address(host)) {
		nh->literal = 1;
		strlcpy(nh->host, host, sizeof(nh->host));
		return 0;
	}
	for (i = 0; host[i] != '\0'; i++)
		if (host[i] >= 'A' && host[i] <= 'Z')
			host[i] = (char)(host[i] + ('a' - 'A'));
	/* one final dot is the root: "example.org." is "example.org" */
	if ((n = strlen(host)) > 1 && host[n - 1] == '.')
		host[n - 1] = '\0';
	if (!smtp_hostname_ok(host)) {
		*why = "not a host name";
		return -1;
	}
	strlcpy(nh->host, host, sizeof(nh->host));
	return 0;
}

void
smtp_nexthop_format(const struct smtp_nexthop *nh, char *out, size_t size)
{
	char	port[8] = "";

	if (nh->port != 25)
		(void)snprintf(port, sizeof(port), ":%u", nh->port);
	if (nh->mx)
		(void)snprintf(out, size, "%s%s", nh->host, port);
	else
		(void)snprintf(out, size, "[%s]%s", nh->host, port);
}
