/*
 * smtp_policy: transport_file values and TLS level names; see
 * smtp_policy.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp_policy.h"

static const char *const tls_levels[] = { "none", "may", "encrypt", "verify",
	"dane" };

int
tls_level_parse(const char *word)
{
	size_t	i;

	for (i = 0; i < sizeof(tls_levels) / sizeof(tls_levels[0]); i++)
		if (strcasecmp(word, tls_levels[i]) == 0)
			return (int)i;
	return -1;
}

const char *
tls_level_name(enum tls_level l)
{
	if ((size_t)l >= sizeof(tls_levels) / sizeof(tls_levels[0]))
		return "?";
	return tls_levels[l];
}

/* 1 when s starts with a 5.x.y code followed by a blank or the end. */
static int
has_code(const char *s)
{
	size_t	i = 2, k, part;

	if (s[0] != '5' || s[1] != '.')
		return 0;
	for (part = 0; part < 2; part++) {
		for (k = 0; k < 3 && s[i] >= '0' && s[i] <= '9'; k++)
			i++;
		if (k == 0)
			return 0;
		if (part == 0 && s[i++] != '.')
			return 0;
	}
	return s[i] == ' ' || s[i] == '\0';
}

int
transport_parse(const char *value, struct transport_entry *e,
    const char **why)
{
	struct smtp_nexthop	 nh;
	const char		*colon, *rest;
	size_t			 n;

	memset(e, 0, sizeof(*e));
	colon = strchr(value, ':');
	n = colon != NULL ? (size_t)(colon - value) : strlen(value);
	rest = colon != NULL ? colon + 1 : "";
	if (n == 5 && strncasecmp(value, "local", 5) == 0) {
		if (*rest != '\0') {
			*why = "local takes no nexthop";
			return -1;
		}
		e->kind = TRANSPORT_LOCAL;
		return 0;
	}
	if (n == 5 && strncasecmp(value, "error", 5) == 0) {
		e->kind = TRANSPORT_ERROR;
		if (strlen(rest) > TRANSPORT_TEXT_MAX) {
			*why = "error text too long";
			return -1;
		}
		if (*rest == '\0')
			rest = "mail for this destination is refused";
		(void)snprintf(e->error, sizeof(e->error), "%s%s",
		    has_code(rest) ? "" : "5.0.0 ", rest);
		return 0;
	}
	if ((n == 4 && strncasecmp(value, "smtp", 4) == 0) ||
	    (n == 5 && strncasecmp(value, "relay", 5) == 0)) {
		e->kind = TRANSPORT_SMTP;
		if (*rest == '\0')
			return 0;
		if (smtp_nexthop_parse(rest, &nh, why) == -1)
			return -1;
		smtp_nexthop_format(&nh, e->nexthop, sizeof(e->nexthop));
		return 0;
	}
	*why = "unknown transport (smtp, relay, local or error)";
	return -1;
}
