/*
 * aliases: sendmail-style alias expansion over a TABLE_ALIASES table.
 * A value is a comma-separated list of addresses or local names.  Forms
 * facteur does not deliver to yet (|command, /file, :include:) are
 * reported as such so the caller can fail the recipient with a reason.
 *
 * Trust: see aliases.c.
 */
#ifndef FACTEUR_ALIASES_H
#define FACTEUR_ALIASES_H
#include <stddef.h>
#include "table.h"

#define ALIASES_DEPTH_MAX	10	/* nested expansion */
#define ALIASES_EXPAND_MAX	1000	/* addresses from one recipient */

/*
 * Expands local name `name` recursively.  Calls cb for each final target
 * (a local name that is no alias, or an address with a domain).  A name
 * that expands to itself (`root: root`) is final.  Returns the number of
 * targets, 0 when name is no alias, -1 with *why on a loop, a too deep or
 * too wide expansion, or an unsupported form.
 */
int	aliases_expand(const struct table *, const char *name,
	    int (*cb)(void *arg, const char *target), void *arg,
	    const char **why);

#endif
