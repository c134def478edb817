/*
 * table_ref: a table that a long-running process keeps loaded and loads
 * again when its file changes (a new inode, size or modification time):
 * the aliases, virtual alias and transport tables of queued, the
 * aliases table of lspawn.  Stat first, load second: a change made while
 * the file is read leaves the old stat and is picked up at the next
 * refresh.
 *
 * Trust: see table.c (the file is parsed strictly; a file with any error
 * is not used, and the table loaded before stays).
 */
#ifndef FACTEUR_TABLE_REF_H
#define FACTEUR_TABLE_REF_H
#include <sys/types.h>

#include <limits.h>
#include <time.h>

#include "table.h"

struct table_ref {
	struct table	*t;		/* NULL: none loaded */
	char		 path[PATH_MAX];
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
};

/*
 * Loads path into r when it is not loaded yet or its file changed; an
 * empty path frees the table (r->t NULL).  1 when loaded anew, 0 when
 * unchanged (or none), -1 when the file cannot be read or has errors
 * (reported through errfn): r keeps the table it had.
 */
int	table_ref_refresh(struct table_ref *, const char *path,
	    enum table_format, conf_error_fn *errfn, void *arg);
/*
 * The same, for a table whose entries must also pass check (0, or -1
 * after reporting why): a table that does not is not used either.
 */
int	table_ref_refresh_check(struct table_ref *, const char *path,
	    enum table_format, conf_error_fn *errfn, void *arg,
	    int (*check)(const struct table *, const char *path));
void	table_ref_free(struct table_ref *);

#endif
