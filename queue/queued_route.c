/*
 * queued_route: where the mail of a domain goes.  A recipient in
 * local_domains, or in a domain that transport_file routes to `local`,
 * is delivered here (queued_resolve.c); every other one is routed here:
 * the first transport_file entry that matches its domain (the domain
 * itself, then `.parent` for each parent domain, then `*`) says smtp or
 * relay to a nexthop, or error:text; without an entry, or with an entry
 * that names no nexthop, mail goes to relayhost when it is set, else to
 * the domain's MX hosts.  A domain literal (user@[192.0.2.1]) goes to
 * that address.  The nexthop is the destination queued_remote.c
 * schedules by (concurrency, backoff) and rspawn delivers to.
 *
 * transport_file is read at start, again at every queue scan when it
 * changed, and its entries are all checked when it is read: a table with
 * a bad entry is refused as a whole (at start queued exits; later the
 * old table stays), so a typo never sends mail somewhere unintended.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "queued.h"
#include "smtp_policy.h"
#include "table.h"
#include "table_ref.h"

static struct table_ref	 transport_ref;

static void
route_conf_err(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

/* Every entry of t must be a valid transport; 0 or -1 (logged). */
static int
transport_check(const struct table *t, const char *path)
{
	struct transport_entry	 e;
	const char		*key, *val, *why;
	size_t			 i;
	int			 bad = 0;

	for (i = 0; table_entry(t, i, &key, &val) == 0; i++)
		if (transport_parse(val, &e, &why) == -1) {
			log_warnx("%s: entry \"%.64s\": %s", path, key, why);
			bad = 1;
		}
	return bad ? -1 : 0;
}

int
route_conf_check(const struct conf *c, char *err, size_t errlen)
{
	struct smtp_nexthop	 nh;
	const char		*why, *relay = conf_str(c, "relayhost");

	if (relay[0] != '\0' && smtp_nexthop_parse(relay, &nh, &why) == -1) {
		(void)snprintf(err, errlen, "relayhost \"%s\": %s", relay, why);
		return -1;
	}
	return 0;
}

int
route_reload(struct queued *q, const struct conf *c)
{
	const char	*path = conf_str(c, "transport_file");
	int		 r;

	r = table_ref_refresh_check(&transport_ref, path, TABLE_ADDRS,
	    route_conf_err, NULL, transport_check);
	q->transport = transport_ref.t;
	if (r == -1) {
		log_warnx("transport_file %s not loaded", path);
		return -1;
	}
	if (r == 1)
		log_debug("transport_file loaded from %s, %zu entries", path,
		    table_count(transport_ref.t));
	return 0;
}

/* The transport_file value for domain, or NULL. */
static const char *
transport_find(const struct queued *q, const char *domain)
{
	char		 key[NEXTHOP_HOST_MAX + 2];
	const char	*v, *p;

	if (q->transport == NULL)
		return NULL;
	if ((v = table_get(q->transport, domain)) != NULL)
		return v;
	for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.')) {
		if (strlen(p) >= sizeof(key))
			continue;
		strlcpy(key, p, sizeof(key));
		if ((v = table_get(q->transport, key)) != NULL)
			return v;
	}
	return table_get(q->transport, "*");
}

int
route_is_local(struct queued *q, const char *domain)
{
	struct transport_entry	 e;
	const char		*v, *why;

	if (conf_is_local_domain(q->conf, domain))
		return 1;
	if (domain[0] == '[')
		return 0;
	v = transport_find(q, domain);
	return v != NULL && transport_parse(v, &e, &why) == 0 &&
	    e.kind == TRANSPORT_LOCAL;
}

int
route_lookup(struct queued *q, const char *rcpt, struct route *r)
{
	struct transport_entry	 e;
	struct smtp_nexthop	 nh;
	const char		*at, *domain, *v, *why, *relay;
	char			 lit[NEXTHOP_TEXT_MAX + 1];
	size_t			 n;

	memset(r, 0, sizeof(*r));
	if ((at = strrchr(rcpt, '@')) == NULL || at[1] == '\0') {
		r->kind = ROUTE_ERROR;
		(void)snprintf(r->text, sizeof(r->text), "5.1.3 no domain in "
		    "the address");
		return 0;
	}
	domain = at + 1;
	if (domain[0] == '[') {
		/* a domain literal: [192.0.2.1] or [IPv6:2001:db8::1] */
		n = strlen(domain);
		if (n >= sizeof(lit) || domain[n - 1] != ']' ||
		    smtp_nexthop_parse(domain, &nh, &why) == -1 ||
		    !nh.literal) {
			r->kind = ROUTE_ERROR;
			(void)snprintf(r->text, sizeof(r->text), "5.1.2 bad "
			    "address literal %.64s", domain);
			return 0;
		}
		r->kind = ROUTE_SMTP;
		smtp_nexthop_format(&nh, r->nexthop, sizeof(r->nexthop));
		return 0;
	}
	e.kind = TRANSPORT_SMTP;
	e.nexthop[0] = '\0';
	if ((v = transport_find(q, domain)) != NULL &&
	    transport_parse(v, &e, &why) == -1) {
		/* checked at load time: cannot happen; defer all the same */
		r->kind = ROUTE_TEMP;
		(void)snprintf(r->text, sizeof(r->text), "4.3.5 transport_file "
		    "entry for %.64s: %s", domain, why);
		return 0;
	}
	switch (e.kind) {
	case TRANSPORT_ERROR:
		r->kind = ROUTE_ERROR;
		strlcpy(r->text, e.error, sizeof(r->text));
		return 0;
	case TRANSPORT_LOCAL:
		/* resolved as local when the message was loaded; a table
		 * changed since then: this recipient goes the old way */
		r->kind = ROUTE_TEMP;
		(void)snprintf(r->text, sizeof(r->text), "4.3.5 %.64s became "
		    "local in transport_file; retried", domain);
		return 0;
	case TRANSPORT_SMTP:
		break;
	}
	r->kind = ROUTE_SMTP;
	if (e.nexthop[0] != '\0') {
		strlcpy(r->nexthop, e.nexthop, sizeof(r->nexthop));
		return 0;
	}
	relay = conf_str(q->conf, "relayhost");
	if (relay[0] != '\0' && smtp_nexthop_parse(relay, &nh, &why) == 0) {
		smtp_nexthop_format(&nh, r->nexthop, sizeof(r->nexthop));
		return 0;
	}
	if (strchr(domain, ':') != NULL) {
		r->kind = ROUTE_ERROR;
		(void)snprintf(r->text, sizeof(r->text), "5.1.2 bad destination "
		    "domain %.64s", domain);
		return 0;
	}
	if (smtp_nexthop_parse(domain, &nh, &why) == -1 || !nh.mx) {
		r->kind = ROUTE_ERROR;
		(void)snprintf(r->text, sizeof(r->text), "5.1.2 bad destination "
		    "domain %.64s: %s", domain, why);
		return 0;
	}
	smtp_nexthop_format(&nh, r->nexthop, sizeof(r->nexthop));
	return 0;
}
