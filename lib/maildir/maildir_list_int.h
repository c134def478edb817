/*
 * maildir_list_int: what the files of the Maildir listing share and no
 * other module may use: maildir_list.c (the compact index, scanning cur/
 * and new/), maildir_name.c (file names, flags, UIDLs, paths),
 * maildir_sizes.c (wire sizes and their cache) and maildir_msg.c (one
 * listed message: open, flag, remove, following renames).
 *
 * Trust: private to lib/maildir; see maildir_list.c.
 */
#ifndef FACTEUR_MAILDIR_LIST_INT_H
#define FACTEUR_MAILDIR_LIST_INT_H
#include <stddef.h>

#include "maildir_list.h"
#include "maildir_name.h"

/* maildir_name.c (the rest is maildir_name.h's) */
int	maildir_name_add_flag(const char *name, size_t ulen, char flag,
	    char *out, size_t outlen);

/* maildir_list.c: gives message i the name (in the names block). */
int	maildir_list_set_name(struct maildir_list *, size_t i,
	    const char *name);

/*
 * maildir_sizes.c: replaces each message's size on disk with its wire
 * size, and saves the size cache when it learnt something.  0 or -1.
 */
int	maildir_sizes_fill(struct maildir_list *);

/* One record of the size cache, pointing into the cache's bytes. */
struct maildir_size_rec {
	const char	*u;		/* the unique name, not NUL-ended */
	size_t		 ulen;
	long long	 raw;		/* the file's size on disk */
	long long	 size;		/* its wire size */
};

/*
 * Parses the size cache's bytes ("unique\0rawsize\0size\0" records,
 * sizes of 1..18 digits) into *recs, sorted by unique name: 0, or -1
 * when malformed.  The caller frees *recs; p must outlive it.
 */
int	maildir_sizes_parse(const char *p, size_t len,
	    struct maildir_size_rec **recs, size_t *n);

#endif
