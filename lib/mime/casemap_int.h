/*
 * casemap_int: the generated table (casemap_table.c, mk/gen_casemap.pl)
 * that casemap.c alone reads.
 *
 * Trust: constant data, generated; nothing from outside.
 */
#ifndef FACTEUR_CASEMAP_INT_H
#define FACTEUR_CASEMAP_INT_H
#include <stddef.h>
#include <stdint.h>

extern const size_t	casemap_count;
extern const uint32_t	casemap_keys[];		/* sorted */
extern const uint32_t	casemap_index[];	/* pool offset << 5 | length */
extern const uint32_t	casemap_pool[];

#endif
