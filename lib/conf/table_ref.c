/*
 * table_ref: a table kept loaded and loaded again when its file changes
 * (see table_ref.h).
 *
 * Trust: see table.c.
 */
#include <sys/stat.h>

#include <string.h>

#include "table_ref.h"

int
table_ref_refresh(struct table_ref *r, const char *path,
    enum table_format fmt, conf_error_fn *errfn, void *arg)
{
	return table_ref_refresh_check(r, path, fmt, errfn, arg, NULL);
}

int
table_ref_refresh_check(struct table_ref *r, const char *path,
    enum table_format fmt, conf_error_fn *errfn, void *arg,
    int (*check)(const struct table *, const char *path))
{
	struct table	*t;
	struct stat	 st;

	if (path[0] == '\0') {
		table_ref_free(r);
		return 0;
	}
	if (strlen(path) >= sizeof(r->path) || stat(path, &st) == -1)
		return -1;
	if (r->t != NULL && strcmp(path, r->path) == 0 &&
	    st.st_dev == r->dev && st.st_ino == r->ino &&
	    st.st_size == r->size && st.st_mtim.tv_sec == r->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == r->mtime.tv_nsec)
		return 0;
	if ((t = table_load(path, fmt, errfn, arg)) == NULL)
		return -1;
	if (check != NULL && check(t, path) == -1) {
		table_free(t);
		return -1;
	}
	table_free(r->t);
	r->t = t;
	(void)strlcpy(r->path, path, sizeof(r->path));
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->size = st.st_size;
	r->mtime = st.st_mtim;
	return 1;
}

void
table_ref_free(struct table_ref *r)
{
	table_free(r->t);
	memset(r, 0, sizeof(*r));
}
