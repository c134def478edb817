/*
 * table_int.h: what table.c (loading, sorting, lookups) and
 * table_parse.c (the line formats and the string arena) share; private
 * to lib/conf.
 *
 * Trust: private to lib/conf; see table.c and table_parse.c.
 */
#ifndef FACTEUR_TABLE_INT_H
#define FACTEUR_TABLE_INT_H
#include <stddef.h>

#include "table.h"

#define TABLE_FILE_MAX	(256L * 1024 * 1024)	/* bytes in one table file */
#define TABLE_UID_MAX	4294967294LL

struct table_ent {
	size_t	key, val;	/* offsets into arena */
	size_t	line;
};

struct table {
	enum table_format	 fmt;
	char			*arena;
	size_t			 alen, acap;
	struct table_ent	*ents;
	size_t			 n, cap;
};

struct table_parse {
	const char	*name;
	conf_error_fn	*errfn;
	void		*arg;
	size_t		 nerr;
	struct table	*t;
	/* an alias being read, continued by lines that start with a blank */
	int		 pending, skip_cont;
	size_t		 pline, pklen, pvlen;
	char		 pkey[TABLE_LINE_MAX + 1], pval[TABLE_LINE_MAX + 1];
};

void	table_error(struct table_parse *, size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	table_lower(int c);
/* 1 when the keys of t are matched ASCII case-insensitively. */
int	table_nocase(const struct table *);
/* Wipes and frees an arena of cap bytes. */
void	table_arena_free(const struct table *, char *a, size_t cap);
/* One line of the file; -1 to stop reading (too many entries, memory). */
int	table_line(struct table_parse *, const char *s, size_t len,
	    size_t line);
/* Stores the alias being read, if any; 0 or -1. */
int	table_alias_flush(struct table_parse *);

#endif
