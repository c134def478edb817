/*
 * maildir_list_int: what the files of the Maildir listing share and no
 * other module may use: maildir_list.c (the compact index, scanning cur/
 * and new/), maildir_name.c (file names, flags, UIDLs, paths),
 * maildir_sizes.c (wire sizes and their cache) and maildir_msg.c (one
 * listed message: open, flag, remove, following renames).
 */
#ifndef FACTEUR_MAILDIR_LIST_INT_H
#define FACTEUR_MAILDIR_LIST_INT_H
#include <stddef.h>

#include "maildir_list.h"

/* maildir_name.c */
int	maildir_list_path(char *out, size_t n, const char *dir,
	    const char *sub, const char *name);
size_t	maildir_name_unique_len(const char *name);
/* ",W=<digits>" in the unique part: 1 and *size, else 0. */
int	maildir_name_wire_size(const char *name, size_t ulen, size_t *size);
unsigned long long maildir_name_sec(const char *name);
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

#endif
