/*
 * table: lookup tables beside facteur.conf, loaded whole into memory.
 * Limits: TABLE_LINE_MAX bytes per logical line, TABLE_ENTRIES_MAX entries.
 * Errors are reported as "FILE:LINE: problem" like conf.
 *
 *  TABLE_ALIASES  sendmail aliases(5): `name: value, value`; a line that
 *                 starts with a blank continues the previous one; keys are
 *                 matched ASCII case-insensitively.
 *  TABLE_PASSWD   passwd-file: `user:{SCHEME}hash:uid:gid:gecos:home:extra`
 *                 (Dovecot's format); the key is the user name, the value
 *                 the whole line.
 *  TABLE_LIST     one word per line (e.g. local domains); value is "".
 *  TABLE_MAP      `key value` separated by blanks.
 *  TABLE_ADDRS    as TABLE_MAP, keys (addresses, `@domain`, domains,
 *                 nexthops) matched ASCII case-insensitively:
 *                 virtual_alias_maps, transport_file, the TLS policy table.
 *  TABLE_SECRETS  as TABLE_ADDRS, for values that are secrets (relay
 *                 passwords): kept like passwd-file hashes, in memory a
 *                 fork does not copy and a core dump leaves out, wiped
 *                 when freed.
 *
 * '#' at the start of a line is a comment in every format.
 *
 * Trust: see table.c and table_parse.c.
 */
#ifndef FACTEUR_TABLE_H
#define FACTEUR_TABLE_H
#include <stddef.h>
#include "conf.h"

#define TABLE_LINE_MAX		8192
#define TABLE_ENTRIES_MAX	1000000

enum table_format { TABLE_ALIASES, TABLE_PASSWD, TABLE_LIST, TABLE_MAP,
	TABLE_ADDRS, TABLE_SECRETS };

struct table;

struct table	*table_load(const char *path, enum table_format,
		    conf_error_fn *errfn, void *arg);
void		 table_free(struct table *);
/* The value for key, or NULL. */
const char	*table_get(const struct table *, const char *key);
size_t		 table_count(const struct table *);
/* Entry i (0 <= i < table_count) in key order: 0, or -1 past the end. */
int		 table_entry(const struct table *, size_t i, const char **key,
		    const char **value);

#endif
