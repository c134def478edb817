/*
 * monitor_local: whether a recipient is one facteur delivers, the
 * monitor's side of RCPT, with the rules queued resolves by
 * (lib/route/lroute.h), so that 250 is said to exactly the recipients
 * the queue can deliver:
 *
 *   an address found in virtual_alias_maps (any domain): yes;
 *   another address of a virtual_alias_domains domain: no such user;
 *   a virtual_mailbox_domains domain: the users_file entry user@domain,
 *     the extension (recipient_delimiter) dropped;
 *   a local domain: the aliases table (local part, then the user part
 *     of a user+ext), then the users (the user part, as given, then in
 *     lower case); root, daemons and other system ids below
 *     first_valid_uid are no user;
 *   any other domain: not for this file (relay control decides).
 *
 * Trust: the local part and domain come from the session (checked for
 * length and control bytes by monitor.c) and are only looked up.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "lroute.h"
#include "smtpd_monitor.h"
#include "users.h"

#define LOCAL_ADDR_MAX	(ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2)

/* 1: a user; 0: none; *temp set when the users table cannot be read. */
static int
local_user(const struct monitor *m, const char *name, int system,
    int *temp)
{
	struct user_entry	 ue;
	int			 r;

	if (strlen(name) > USER_NAME_MAX)
		return 0;
	r = users_lookup(conf_str(m->conf, "users_file"), system &&
	    conf_bool(m->conf, "system_users"), name, &ue);
	explicit_bzero(ue.hash, sizeof(ue.hash));
	if (r == -1) {
		log_warnx("users lookup of %s failed", name);
		*temp = 1;
		return 0;
	}
	if (r == 0)
		return 0;
	/* root, daemons and other system ids never receive mail directly. */
	if (ue.uid < (uid_t)conf_int(m->conf, "first_valid_uid") && ue.system)
		return 0;
	return 1;
}

/* A user named name (as given, then in lower case). */
static int
local_user_any_case(const struct monitor *m, const char *name, int *temp)
{
	char	lower[LOCAL_ADDR_MAX + 1];
	size_t	i;

	if (local_user(m, name, 1, temp))
		return 1;
	for (i = 0; name[i] != '\0' && i < LOCAL_ADDR_MAX; i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[i] = '\0';
	return strcmp(lower, name) != 0 && !*temp &&
	    local_user(m, lower, 1, temp);
}

static const char *
local_domain_rcpt(const struct monitor *m, const char *local)
{
	char		 base[LOCAL_ADDR_MAX + 1];
	const char	*ext;
	size_t		 n;
	char		 delim;
	int		 temp = 0;

	if (m->aliases_broken)
		return "TEMP";
	n = lroute_split(m->conf, local, &ext, &delim);
	(void)snprintf(base, sizeof(base), "%.*s", (int)n, local);
	if (m->aliases != NULL && (table_get(m->aliases, local) != NULL ||
	    (ext != NULL && table_get(m->aliases, base) != NULL)))
		return "OK";
	if (local_user_any_case(m, base, &temp))
		return "OK";
	return temp ? "TEMP" : "NOUSER";
}

static const char *
local_vmailbox_rcpt(const struct monitor *m, const char *local,
    const char *domain)
{
	char		 key[LOCAL_ADDR_MAX + 1];
	const char	*ext;
	size_t		 n, i;
	char		 delim;
	int		 temp = 0;

	n = lroute_split(m->conf, local, &ext, &delim);
	if ((size_t)snprintf(key, sizeof(key), "%.*s@%s", (int)n, local,
	    domain) >= sizeof(key))
		return "NOUSER";
	for (i = 0; key[i] != '\0'; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	if (local_user(m, key, 0, &temp))
		return "OK";
	return temp ? "TEMP" : "NOUSER";
}

const char *
monitor_local_rcpt(const struct monitor *m, const char *local,
    const char *domain)
{
	char		 addr[LOCAL_ADDR_MAX + 1], out[LOCAL_ADDR_MAX * 2];
	const char	*why = NULL;
	size_t		 n;

	if (domain[0] != '\0') {
		if (m->valias_broken)
			return "TEMP";
		(void)snprintf(addr, sizeof(addr), "%s@%s", local, domain);
		/* a virtual alias whose targets do not fit still exists */
		if (lroute_virtual(m->conf, m->valias, addr, out, sizeof(out),
		    &n, &why) != 0)
			return "OK";
	}
	switch (lroute_class(m->conf, domain)) {
	case LROUTE_VALIAS:
		return "NOUSER";
	case LROUTE_VMAILBOX:
		return local_vmailbox_rcpt(m, local, domain);
	case LROUTE_LOCAL:
		return local_domain_rcpt(m, local);
	default:
		return NULL;
	}
}
