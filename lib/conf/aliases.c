/*
 * aliases: expands a local name through the aliases table, depth first,
 * into final targets (see aliases.h).  Loops (through aliases or
 * :include: files), too deep or too wide expansions, malformed items and
 * :include: files that cannot be read fail the whole expansion with a
 * reason, so that the caller can bounce the recipient.
 *
 * Trust: the aliases table (root's file, parsed strictly by table.c); the
 * :include: files are anyone's and are split by alias_item.c; the name
 * looked up may be a stranger's and is only compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alias_item.h"
#include "aliases.h"

struct aliases_level {
	const char	*name;		/* alias name or :include: path */
	int		 include;	/* 1: an :include: file */
};

struct aliases_run {
	const struct table	*t;
	const struct aliases_how *how;
	const char		**why;
	struct aliases_level	 stack[ALIASES_DEPTH_MAX + 1];
	size_t			 depth;
	char			*seen[ALIASES_EXPAND_MAX];	/* given */
	size_t			 nseen;
};

static int
aliases_fail(struct aliases_run *r, const char *why)
{
	*r->why = why;
	return -1;
}

/* Gives a target to the callback once, however many paths lead to it. */
static int
aliases_emit(struct aliases_run *r, const struct alias_target *t)
{
	char	*key;
	size_t	 i;
	int	 n;

	if (t->kind == ALIAS_ADDRESS)
		n = asprintf(&key, "a%s", t->value);
	else
		n = asprintf(&key, "%c%s\001%s\001%s", t->kind ==
		    ALIAS_COMMAND ? 'c' : 'f', t->alias, t->include != NULL ?
		    t->include : "", t->value);
	if (n == -1)
		return aliases_fail(r, "out of memory expanding an alias");
	for (i = 0; i < r->nseen; i++)
		if (strcmp(r->seen[i], key) == 0) {
			free(key);
			return 0;
		}
	if (r->nseen >= ALIASES_EXPAND_MAX) {
		free(key);
		return aliases_fail(r, "alias expansion too wide");
	}
	r->seen[r->nseen++] = key;
	if (r->how->target(r->how->arg, t) != 0)
		return aliases_fail(r, "alias expansion stopped by the caller");
	return 0;
}

static int	aliases_walk(struct aliases_run *, const char *);
static int	aliases_text(struct aliases_run *, const char *alias,
		    const char *include, const char *text, int file);

static int
aliases_push(struct aliases_run *r, const char *name, int include)
{
	size_t	i;

	for (i = 0; i < r->depth; i++)
		if (r->stack[i].include == include && (include ?
		    strcmp(name, r->stack[i].name) == 0 :
		    strcasecmp(name, r->stack[i].name) == 0))
			return aliases_fail(r, include ? ":include: loop" :
			    "alias loop");
	if (r->depth >= ALIASES_DEPTH_MAX)
		return aliases_fail(r, "alias expansion too deep");
	r->stack[r->depth].name = name;
	r->stack[r->depth].include = include;
	r->depth++;
	return 0;
}

/* A bare local name found in alias's entry or one of its includes. */
static int
aliases_name(struct aliases_run *r, const char *alias, const char *name)
{
	struct alias_target	 t = { ALIAS_ADDRESS, name, 0, alias, NULL };

	/* `root: root` and `list: list, x` mean the local user itself. */
	if (strcasecmp(name, alias) == 0 ||
	    (r->how->flags & ALIASES_ONE_LEVEL) ||
	    table_get(r->t, name) == NULL)
		return aliases_emit(r, &t);
	return aliases_walk(r, name);
}

static int
aliases_include(struct aliases_run *r, const char *alias,
    const char *from, const char *path)
{
	const char	*why = NULL;
	char		*text = NULL;
	int		 rc;

	if (r->how->include == NULL)
		return aliases_fail(r, "unsupported alias form :include:");
	if (aliases_push(r, path, 1) == -1)
		return -1;
	if (r->how->include(r->how->arg, alias, from, path, &text, &why) ==
	    -1) {
		free(text);
		r->depth--;
		return aliases_fail(r, why != NULL ? why :
		    "cannot read an :include: file");
	}
	rc = aliases_text(r, alias, path, text, 1);
	free(text);
	r->depth--;
	return rc;
}

/* The items of alias's entry (include NULL) or of an :include: file. */
static int
aliases_text(struct aliases_run *r, const char *alias, const char *include,
    const char *text, int file)
{
	struct alias_items	 it;
	struct alias_target	 t;
	enum alias_item_kind	 kind;
	char			 item[ALIAS_ITEM_MAX + 1];
	const char		*value, *why = NULL;
	int			 n, rc = 0;

	alias_items_init(&it, text, file);
	while (rc == 0) {
		n = alias_items_next(&it, item, sizeof(item), &kind, &value,
		    &why);
		if (n == 0)
			break;
		if (n == -1)
			return aliases_fail(r, why);
		memset(&t, 0, sizeof(t));
		t.value = value;
		t.alias = alias;
		t.include = include;
		switch (kind) {
		case ALIAS_ITEM_ADDRESS:
			if (strchr(value, '@') != NULL) {
				t.kind = ALIAS_ADDRESS;
				rc = aliases_emit(r, &t);
			} else
				rc = aliases_name(r, alias, value);
			break;
		case ALIAS_ITEM_SELF:
			t.kind = ALIAS_ADDRESS;
			t.self = 1;
			rc = aliases_emit(r, &t);
			break;
		case ALIAS_ITEM_COMMAND:
			t.kind = ALIAS_COMMAND;
			rc = aliases_emit(r, &t);
			break;
		case ALIAS_ITEM_FILE:
			t.kind = ALIAS_FILE;
			rc = aliases_emit(r, &t);
			break;
		case ALIAS_ITEM_INCLUDE:
			rc = aliases_include(r, alias, include, value);
			break;
		}
	}
	return rc;
}

/* Expands alias `name` (which is in the table). */
static int
aliases_walk(struct aliases_run *r, const char *name)
{
	const char	*v;
	int		 rc;

	if ((v = table_get(r->t, name)) == NULL)
		return 0;
	if (aliases_push(r, name, 0) == -1)
		return -1;
	rc = aliases_text(r, name, NULL, v, 0);
	r->depth--;
	return rc;
}

int
aliases_expand(const struct table *t, const char *name,
    const struct aliases_how *how, const char **why)
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
	r->how = how;
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
