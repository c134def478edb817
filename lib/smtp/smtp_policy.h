/*
 * smtp_policy: the values of the remote delivery's tables, read by queued
 * (transport_file, relayhost), rspawn (smtp_tls_policy_file,
 * smtp_tls_security_level) and `facteurctl check`, so that all three
 * agree on what is valid.
 *
 * transport_file values (facteur.conf(5)):
 *   smtp:NEXTHOP, relay:NEXTHOP   deliver by SMTP to NEXTHOP
 *                                 (lib/smtp/smtp_nexthop.h)
 *   smtp, smtp:, relay, relay:    by SMTP, to the default nexthop (relayhost,
 *                                 or the recipient's domain)
 *   local, local:                 the domain is delivered here
 *   error:TEXT, error             bounce at once with TEXT (a leading
 *                                 5.x.y code is kept, else 5.0.0 is put)
 *
 * TLS levels: none, may, encrypt, verify, dane.
 */
#ifndef FACTEUR_SMTP_POLICY_H
#define FACTEUR_SMTP_POLICY_H
#include <stddef.h>
#include "smtp_nexthop.h"

#define TRANSPORT_TEXT_MAX	400	/* octets of an error: text */

enum transport_kind { TRANSPORT_SMTP, TRANSPORT_LOCAL, TRANSPORT_ERROR };

struct transport_entry {
	enum transport_kind	 kind;
	char			 nexthop[NEXTHOP_TEXT_MAX + 1];	/* "": default */
	char			 error[TRANSPORT_TEXT_MAX + 16];	/* "5.x.y text" */
};

/* 0, or -1 with *why. */
int	transport_parse(const char *value, struct transport_entry *,
	    const char **why);

enum tls_level { TLS_LEVEL_NONE, TLS_LEVEL_MAY, TLS_LEVEL_ENCRYPT,
	TLS_LEVEL_VERIFY, TLS_LEVEL_DANE };

/* The level named by word (ASCII case-insensitive), or -1. */
int	tls_level_parse(const char *word);
const char *tls_level_name(enum tls_level);

#endif
