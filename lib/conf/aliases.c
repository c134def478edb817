/*
 * aliases: expands a local name through the aliases table, depth first,
 * into final targets (addresses with a domain, or local names that are no
 * alias).  Loops, too deep or too wide expansions and the forms facteur
 * does not deliver to (|command, /file, :include:) fail the whole
 * expansion with a reason, so the caller can bounce the recipient.
 *
 * Trust: the aliases table (root's file, parsed strictly by table.c);
 * the name looked up may be a stranger's and is only compared.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aliases.h"

#define ALIASES_TARGET_MAX	1000	/* octets in one target, as QUEUE_ADDR_MAX */

struct aliases_run {
	const struct table	*t;
	int			(*cb)(void *, const char *);
	void			*arg;
	const char		**why;
	const char		*stack[ALIASES_DEPTH_MAX];	/* names being expanded */
	size_t			 depth;
	char			*seen[ALIASES_EXPAND_MAX];	/* targets given to cb */
	size_t			 nseen;
};

static int
aliases_fail(struct aliases_run *r, const char *why)
{
	*r->why = why;
	return -1;
}

/* Gives target to the callback once, however many paths lead to it. */
static int
aliases_emit(struct aliases_run *r, const char *target)
{
	size_t	i;

	for (i = 0; i < r->nseen; i++)
		if (strcmp(r->seen[i], target) == 0)
			return 0;
	if (r->nseen >= ALIASES_EXPAND_MAX)
		return aliases_fail(r, "alias expansion too wide");
	if ((r->seen[r->nseen] = strdup(target)) == NULL)
		return aliases_fail(r, "out of memory expanding an alias");
	r->nseen++;
	if (r->cb(r->arg, target) != 0)
		return aliases_fail(r, "alias expansion stopped by the caller");
	return 0;
}

static int	aliases_walk(struct aliases_run *, const char *);

static int
aliases_item(struct aliases_run *r, const char *name, const char *item)
{
	size_t	i;

	if (item[0] == '|')
		return aliases_fail(r, "unsupported alias form |command");
	if (item[0] == '/')
		return aliases_fail(r, "unsupported alias form /file");
	if (strncasecmp(item, ":include:", 9) == 0)
		return aliases_fail(r, "unsupported alias form :include:");
	if (item[0] == '"')
		return aliases_fail(r, "unsupported alias form \"quoted\"");
	/* Targets are separated by commas; a blank inside is a mistake. */
	if (strpbrk(item, " \t") != NULL)
		return aliases_fail(r, "blank inside an alias target");
	/* \name: the local user itself, never expanded further */
	if (item[0] == '\\') {
		if (item[1] == '\0' || strchr(item + 1, '@') != NULL)
			return aliases_fail(r, "bad alias target \\");
		return aliases_emit(r, item + 1);
	}
	if (strchr(item, '@') != NULL)
		return aliases_emit(r, item);
	/* `root: root` and `list: list, x` mean the local user itself. */
	if (strcasecmp(item, name) == 0)
		return aliases_emit(r, item);
	for (i = 0; i < r->depth; i++)
		if (strcasecmp(item, r->stack[i]) == 0)
			return aliases_fail(r, "alias loop");
	if (table_get(r->t, item) == NULL)
		return aliases_emit(r, item);
	if (r->depth >= ALIASES_DEPTH_MAX)
		return aliases_fail(r, "alias expansion too deep");
	return aliases_walk(r, item);
}

/* Expands alias `name` (which is in the table) item by item. */
static int
aliases_walk(struct aliases_run *r, const char *name)
{
	char		 item[ALIASES_TARGET_MAX + 1];
	const char	*v, *s, *e;
	size_t		 n;
	int		 rc = 0;

	if ((v = table_get(r->t, name)) == NULL)
		return 0;
	r->stack[r->depth++] = name;
	for (s = v; rc == 0 && *s != '\0'; s = *e == ',' ? e + 1 : e) {
		while (*s == ' ' || *s == '\t')
			s++;
		if ((e = strchr(s, ',')) == NULL)
			e = s + strlen(s);
		n = (size_t)(e - s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n == 0)
			continue;
		if (n > ALIASES_TARGET_MAX) {
			rc = aliases_fail(r, "alias target too long");
			break;
		}
		memcpy(item, s, n);
		item[n] = '\0';
		rc = aliases_item(r, name, item);
	}
	r->depth--;
	return rc;
}

int
aliases_expand(const struct table *t, const char *name,
    int (*cb)(void *arg, const char *target), void *arg, const char **why)
{
	struct aliases_run	*r;
	const char		*unused;
	size_t			 i;
	int			 rc;

	if (why == NULL)
		why = &unused;
	if (t == NULL || *name == '\0' || table_get(t, name) == NULL)
		return 0;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		*why = "out of memory expanding an alias";
		return -1;
	}
	r->t = t;
	r->cb = cb;
	r->arg = arg;
	r->why = why;
	rc = aliases_walk(r, name);
	if (rc == 0 && r->nseen == 0) {
		*why = "alias expands to no target";
		rc = -1;
	} else if (rc == 0)
		rc = (int)r->nseen;
	for (i = 0; i < r->nseen; i++)
		free(r->seen[i]);
	free(r);
	return rc;
}
