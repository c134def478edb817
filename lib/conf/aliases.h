/*
 * aliases: sendmail-style alias expansion over a TABLE_ALIASES table, in
 * aliases(5)'s full form: a value is a list of items (lib/conf/
 * alias_item.h): local names and addresses, |commands, /files and
 * :include: files.
 *
 * Expansion is depth first.  A local name that is an alias is expanded
 * in turn; a name that is not, an address with a domain, a \name, a
 * command and a file are final targets.  A name that lists itself
 * (`root: root`) is final.  An :include: file is read through the
 * caller's function (the caller opens it with the privileges it means to
 * read with) and its items are expanded as the alias's own; each command
 * and file target says which alias holds it and from which :include:
 * file, because a command runs with the privileges of the file that
 * names it (docs/architecture.md, "Local routing").
 *
 * Trust: see aliases.c.
 */
#ifndef FACTEUR_ALIASES_H
#define FACTEUR_ALIASES_H
#include <stddef.h>
#include "table.h"

#define ALIASES_DEPTH_MAX	10	/* nested aliases and :include: files */
#define ALIASES_EXPAND_MAX	1000	/* targets from one recipient */

enum alias_kind { ALIAS_ADDRESS, ALIAS_COMMAND, ALIAS_FILE };

struct alias_target {
	enum alias_kind	 kind;
	const char	*value;		/* name or address; command; path */
	int		 self;		/* \name: the local user itself */
	const char	*alias;		/* the alias whose entry leads to it */
	const char	*include;	/* its :include: file, or NULL */
};

/* Do not expand names that are aliases (one alias's own targets only). */
#define ALIASES_ONE_LEVEL	0x01

struct aliases_how {
	/* Each final target, once; nonzero stops the expansion. */
	int	(*target)(void *arg, const struct alias_target *);
	/*
	 * Reads :include: file path, named in alias's entry (from NULL) or
	 * in the :include: file from: 0 and *text (malloc'd, freed by the
	 * expansion), or -1 with *why.  NULL: :include: is refused.
	 */
	int	(*include)(void *arg, const char *alias, const char *from,
		    const char *path, char **text, const char **why);
	void	*arg;
	int	 flags;
};

/*
 * Expands local name `name`.  Returns the number of targets, 0 when name
 * is no alias, -1 with *why on a loop, a too deep or too wide expansion,
 * a malformed item, or an :include: file that cannot be read.
 */
int	aliases_expand(const struct table *, const char *name,
	    const struct aliases_how *, const char **why);

#endif
