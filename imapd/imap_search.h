/*
 * imap_search.h: what the two halves of SEARCH share: the program of
 * nodes imap_search_keys.c makes of the keys and imap_search.c runs
 * against each message.
 */
#ifndef FACTEUR_IMAP_SEARCH_H
#define FACTEUR_IMAP_SEARCH_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imapsession.h"

struct mime_search;

#define SEARCH_NODES_MAX	1024	/* keys of one search */
#define SEARCH_STRING_MAX	(64 * 1024)	/* octets of a search string */
#define SEARCH_TEXT_MAX		(64 * 1024 * 1024)	/* text held at once */

enum skind {
	SK_ALL, SK_AND, SK_OR, SK_NOT, SK_FLAG, SK_NOFLAG, SK_KEYWORD,
	SK_UNKEYWORD, SK_NEW, SK_OLD, SK_RECENT, SK_SEQ, SK_UID,
	SK_LARGER, SK_SMALLER, SK_BEFORE, SK_ON, SK_SINCE, SK_SENTBEFORE,
	SK_SENTON, SK_SENTSINCE, SK_SAVEDBEFORE, SK_SAVEDON, SK_SAVEDSINCE,
	SK_SAVEDATESUPPORTED, SK_HEADER, SK_BODY, SK_TEXT, SK_NONE
};

struct snode {
	enum skind	 kind;
	uint32_t	 a, b;		/* AND: first child, count; OR/NOT */
	uint8_t		 flag;
	uint32_t	 kw;		/* KEYWORD bit (0: unknown keyword) */
	uint64_t	 num;
	long		 day;		/* yyyymmdd */
	struct imap_seq	 set;
	const char	*field, *str;
	size_t		 flen, slen;
	char		*fname;		/* field, NUL-ended */
	struct mime_search *ms;		/* the string, prepared */
};

struct sprog {
	struct imap_session *s;
	struct snode	 n[SEARCH_NODES_MAX];
	size_t		 nn;
	uint32_t	 list[SEARCH_NODES_MAX];	/* AND children */
	size_t		 nlist;
	const char	*why;
};

/*
 * Parses the keys from a (to the end of its siblings) into p: the root
 * node (an AND), or UINT32_MAX with p->why (a BAD; "[BADCHARSET ..." for
 * a string that is not UTF-8).
 */
uint32_t search_parse(struct sprog *p, const struct imap_arg *a);
/* Frees what the nodes hold. */
void	search_free(struct sprog *p);
/* yyyymmdd of a time, in the local time zone. */
long	search_day_of(time_t);
/* yyyymmdd of an RFC 5322 date (0 when there is none to read). */
long	search_rfc5322_day(const char *v, size_t n);

#endif
