/*
 * rspawn_policy: what rspawn reads before it chroots, beyond
 * facteur.conf:
 *
 *   smtp_tls_policy_file     `destination level` lines; a destination is
 *                            a nexthop as written ([mx.example.org]:587),
 *                            a domain, or .domain for its subdomains
 *   smtp_sasl_password_file  `nexthop user:password` lines, the relay
 *                            credentials: the file must belong to root
 *                            (to rspawn's user when not started as root)
 *                            and be unreadable by group and others, or
 *                            rspawn does not start.  It is kept in pages
 *                            that a fork does not copy (TABLE_SECRETS):
 *                            an SMTP client gets its destination's
 *                            credential, copied for it, and nothing else.
 *   the listening addresses  smtp_listen, submission_listen,
 *                            smtps_listen (a `*` or `[::]` stands for
 *                            every address of this host's interfaces):
 *                            an MX host that is one of them, on the same
 *                            port, is this host (mail loops back).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "priv.h"
#include "rspawn.h"
#include "smtp_policy.h"
#include "table.h"

static void
policy_err(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

static void
local_add(struct rspawn *rs, int family, const void *addr, unsigned port)
{
	struct rlocal	*l;

	if (rs->nlocal >= RSPAWN_LOCAL_MAX)
		return;
	l = &rs->local[rs->nlocal++];
	memset(l, 0, sizeof(*l));
	l->family = family;
	memcpy(l->addr, addr, family == AF_INET ? 4 : 16);
	l->port = port;
}

/* Every address of every interface, with port. */
static void
local_all(struct rspawn *rs, unsigned port, int v6_too)
{
	struct ifaddrs	*ifa, *i;

	if (getifaddrs(&ifa) == -1) {
		log_warn("getifaddrs");
		return;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			local_add(rs, AF_INET, &((struct sockaddr_in *)
			    (void *)i->ifa_addr)->sin_addr, port);
		else if (i->ifa_addr->sa_family == AF_INET6 && v6_too)
			local_add(rs, AF_INET6, &((struct sockaddr_in6 *)
			    (void *)i->ifa_addr)->sin6_addr, port);
	}
	freeifaddrs(ifa);
}

/* One listen word: "addr:port", "*:port", "[v6]:port", "port". */
static void
local_word(struct rspawn *rs, const char *w)
{
	char		 host[64];
	const char	*colon;
	unsigned char	 a[16];
	long		 port;
	char		*end;
	size_t		 n;

	if ((colon = strrchr(w, ':')) == NULL) {
		port = strtol(w, &end, 10);
		if (*end == '\0' && port > 0 && port < 65536)
			local_all(rs, (unsigned)port, 1);
		return;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port <= 0 || port > 65535)
		return;
	n = (size_t)(colon - w);
	if (n >= 2 && w[0] == '[' && w[n - 1] == ']') {
		w++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return;
	memcpy(host, w, n);
	host[n] = '\0';
	if (strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0)
		local_all(rs, (unsigned)port, strcmp(host, "*") == 0);
	else if (strcmp(host, "::") == 0)
		local_all(rs, (unsigned)port, 1);
	else if (inet_pton(AF_INET, host, a) == 1)
		local_add(rs, AF_INET, a, (unsigned)port);
	else if (inet_pton(AF_INET6, host, a) == 1)
		local_add(rs, AF_INET6, a, (unsigned)port);
}

static void
secrets_load(struct rspawn *rs, const char *path)
{
	struct stat	 sb;
	uid_t		 owner = priv_is_root() ? 0 : geteuid();

	if (stat(path, &sb) == -1)
		fatal("smtp_sasl_password_file %s", path);
	if (sb.st_uid != owner || (sb.st_mode & 077) != 0)
		fatalx("smtp_sasl_password_file %s must belong to %s and not "
		    "be readable or writable by group or others (mode 0600)",
		    path, owner == 0 ? "root" : "this user");
	if ((rs->secrets = table_load(path, TABLE_SECRETS, policy_err,
	    NULL)) == NULL)
		fatalx("smtp_sasl_password_file %s has errors", path);
}

static void
policy_table_load(struct rspawn *rs, const char *path)
{
	const char	*key, *val;
	size_t		 i;
	int		 bad = 0;

	if ((rs->policy = table_load(path, TABLE_ADDRS, policy_err,
	    NULL)) == NULL)
		fatalx("smtp_tls_policy_file %s has errors", path);
	for (i = 0; table_entry(rs->policy, i, &key, &val) == 0; i++)
		if (tls_level_parse(val) == -1) {
			log_warnx("%s: \"%.64s\": \"%.64s\" is not none, may, "
			    "encrypt, verify or dane", path, key, val);
			bad = 1;
		}
	if (bad)
		fatalx("smtp_tls_policy_file %s has errors", path);
}

void
policy_load(struct rspawn *rs)
{
	static const char *const keys[] = { "smtp_listen",
	    "submission_listen", "smtps_listen" };
	const char *const	*w;
	const char		*p;
	size_t			 i, k, n;

	if ((p = conf_str(rs->conf, "smtp_tls_policy_file"))[0] != '\0')
		policy_table_load(rs, p);
	if ((p = conf_str(rs->conf, "smtp_sasl_password_file"))[0] != '\0')
		secrets_load(rs, p);
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		w = conf_list(rs->conf, keys[k], &n);
		for (i = 0; i < n; i++)
			local_word(rs, w[i]);
	}
}

int
policy_tls_level(const struct rspawn *rs, const struct smtp_nexthop *nh)
{
	char		 key[NEXTHOP_TEXT_MAX + 2];
	const char	*v, *p;

	if (rs->policy == NULL)
		return rs->default_level;
	smtp_nexthop_format(nh, key, sizeof(key));
	if ((v = table_get(rs->policy, key)) != NULL ||
	    (v = table_get(rs->policy, nh->host)) != NULL)
		return tls_level_parse(v);
	for (p = strchr(nh->host, '.'); p != NULL; p = strchr(p + 1, '.'))
		if ((v = table_get(rs->policy, p)) != NULL)
			return tls_level_parse(v);
	return rs->default_level;
}

int
policy_credential(const struct rspawn *rs, const struct smtp_nexthop *nh,
    char *out, size_t n)
{
	struct smtp_nexthop	 bare;
	char			 key[NEXTHOP_TEXT_MAX + 2];
	const char		*v;

	if (rs->secrets == NULL)
		return 0;
	smtp_nexthop_format(nh, key, sizeof(key));
	if ((v = table_get(rs->secrets, key)) == NULL) {
		bare = *nh;
		bare.port = 25;
		smtp_nexthop_format(&bare, key, sizeof(key));
		v = table_get(rs->secrets, key);
	}
	if (v == NULL)
		v = table_get(rs->secrets, nh->host);
	if (v == NULL || strchr(v, ':') == NULL || strlen(v) >= n)
		return 0;
	strlcpy(out, v, n);
	return 1;
}

int
policy_is_local(const struct rspawn *rs, int family,
    const unsigned char *addr, unsigned port)
{
	size_t	i;

	for (i = 0; i < rs->nlocal; i++)
		if (rs->local[i].family == family && rs->local[i].port ==
		    port && memcmp(rs->local[i].addr, addr, family == AF_INET ?
		    4 : 16) == 0)
			return 1;
	return 0;
}
