/*
 * queued_resolve.h: what queued_resolve.c (recipients to jobs: domains,
 * users, extensions) and queued_alias.c (aliases in their full form,
 * virtual alias maps) share while one message's recipients are resolved.
 * Private to those two files.
 */
#ifndef FACTEUR_QUEUED_RESOLVE_H
#define FACTEUR_QUEUED_RESOLVE_H
#include <sys/tree.h>

#include "queued.h"

struct seen {
	RB_ENTRY(seen)	 entry;
	char		 key[];
};
RB_HEAD(seen_tree, seen);

struct resolve {
	struct queued	*q;
	struct queue_state *st;
	struct seen_tree seen;
	const char	*orig;		/* envelope recipient being resolved */
	const char	*name;		/* local name being expanded */
	const char	*addr;		/* its address, NULL when alias-made */
	int		 depth;
	const char	*why;		/* first failure, NULL when none */
	char		 whybuf[256];	/* for a failure's text made here */
};

/* Rewrites of one address through aliases and virtual aliases. */
#define RESOLVE_NO_VIRTUAL	0x01	/* a virtual alias's own address */

/* queued_resolve.c */
void	resolve_fail(struct resolve *, const char *why);
/* One job (user "" for a non-local address), once per message. */
void	resolve_job(struct resolve *, const char *kind, const char *rcpt,
	    const char *user, const char *ext);
void	resolve_addr(struct resolve *, const char *addr, int flags);
/* A final local name (a user, maybe with an extension). */
void	resolve_user(struct resolve *, const char *name, const char *rcpt);

/* queued_alias.c */
/*
 * Expands local part `local` through the aliases table (local, then the
 * user part of a local+ext), making jobs of what it finds.  1 when it is
 * an alias, 0 when not; failures go to resolve_fail.
 */
int	alias_resolve(struct resolve *, const char *local, const char *addr);
/*
 * Rewrites addr through virtual_alias_maps: 1 when found (its targets
 * resolved in turn), 0 when not; failures go to resolve_fail.
 */
int	valias_resolve(struct resolve *, const char *addr);

#endif
