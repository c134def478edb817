/*
 * table: loads a lookup table file (aliases, passwd-file, list, map) whole
 * into memory as a sorted array of key/value offsets into one string
 * arena, so a lookup is a binary search (tables of 100,000 entries are
 * normal); the lines themselves are table_parse.c's.  Every error of the
 * file is reported as "FILE:LINE: problem"; a table with any error is not
 * loaded at all.  It trusts the file for nothing but its bytes: a file
 * that is not regular, larger than TABLE_FILE_MAX, or that changes while
 * it is read is refused, and the copy read is wiped (it may hold hashes).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "table_int.h"

static int
table_ent_cmp(const void *a, const void *b, void *arg)
{
	const struct table_ent	*x = a, *y = b;
	const char		*arena = arg;
	int			 r;

	if ((r = strcmp(arena + x->key, arena + y->key)) != 0)
		return r;
	return x->line < y->line ? -1 : x->line > y->line;
}

struct table_dup {
	size_t	line, first, key;
};

static int
table_dup_cmp(const void *a, const void *b)
{
	const struct table_dup	*x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sorts the entries and reports repeated keys in line order. */
static void
table_sort(struct table_parse *p)
{
	struct table		*t = p->t;
	struct table_dup	*d = NULL, *nd;
	size_t			 nd_n = 0, nd_cap = 0, i, first = 0;

	if (t->n == 0)
		return;
	qsort_r(t->ents, t->n, sizeof(*t->ents), table_ent_cmp, t->arena);
	for (i = 1; i < t->n; i++) {
		if (strcmp(t->arena + t->ents[i].key,
		    t->arena + t->ents[i - 1].key) != 0) {
			first = i;
			continue;
		}
		if (nd_n == nd_cap) {
			nd = reallocarray(d, nd_cap == 0 ? 16 : nd_cap * 2,
			    sizeof(*d));
			if (nd == NULL) {
				table_error(p, 0, "out of memory");
				free(d);
				return;
			}
			d = nd;
			nd_cap = nd_cap == 0 ? 16 : nd_cap * 2;
		}
		d[nd_n].line = t->ents[i].line;
		d[nd_n].first = t->ents[first].line;
		d[nd_n].key = t->ents[i].key;
		nd_n++;
	}
	if (nd_n > 0)
		qsort(d, nd_n, sizeof(*d), table_dup_cmp);
	for (i = 0; i < nd_n; i++)
		table_error(p, d[i].line, "duplicate key \"%.64s\" (first at "
		    "line %zu)", t->arena + d[i].key, d[i].first);
	free(d);
}

static struct table *
table_parse_buf(const char *data, size_t len, const char *name,
    enum table_format fmt, conf_error_fn *errfn, void *arg)
{
	struct table_parse	*p;
	struct table		*t;
	const char		*s, *nl, *end = data + len;
	size_t			 line = 0;
	int			 stop = 0;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		struct table_parse	 q = { name, errfn, arg, 0, NULL, 0, 0,
		    0, 0, 0, "", "" };

		free(t);
		table_error(&q, 0, "out of memory");
		return NULL;
	}
	t->fmt = fmt;
	p->name = name;
	p->errfn = errfn;
	p->arg = arg;
	p->t = t;
	for (s = data; s < end && !stop; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		if (table_line(p, s, (size_t)(nl - s), ++line) == -1)
			stop = 1;
	}
	if (!stop) {
		(void)table_alias_flush(p);
		table_sort(p);
	}
	if (p->nerr > 0) {
		explicit_bzero(p, sizeof(*p));
		free(p);
		table_free(t);
		return NULL;
	}
	explicit_bzero(p, sizeof(*p));
	free(p);
	return t;
}

struct table *
table_load(const char *path, enum table_format fmt, conf_error_fn *errfn,
    void *arg)
{
	struct table_parse	 p = { path, errfn, arg, 0, NULL, 0, 0, 0, 0,
	    0, "", "" };
	struct table		*t;
	struct stat		 st;
	char			*data;
	size_t			 len, want;
	ssize_t			 r;
	int			 fd, saved;

	/* O_NONBLOCK: a FIFO put in the file's place must not hang us. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		table_error(&p, 0, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		(void)close(fd);
		table_error(&p, 0, "%s", strerror(saved));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)close(fd);
		table_error(&p, 0, "not a regular file");
		return NULL;
	}
	if (st.st_size > TABLE_FILE_MAX) {
		(void)close(fd);
		table_error(&p, 0, "file larger than %ld bytes", TABLE_FILE_MAX);
		return NULL;
	}
	/* One byte more than the size, to see a file that grew meanwhile. */
	want = (size_t)st.st_size + 1;
	if ((data = malloc(want)) == NULL) {
		(void)close(fd);
		table_error(&p, 0, "out of memory");
		return NULL;
	}
	if ((r = fd_read_full(fd, data, want)) == -1) {
		saved = errno;
		explicit_bzero(data, want);
		free(data);
		(void)close(fd);
		table_error(&p, 0, "read: %s", strerror(saved));
		return NULL;
	}
	len = (size_t)r;
	(void)close(fd);	/* read-only: nothing to lose */
	if (len == want) {
		explicit_bzero(data, want);
		free(data);
		table_error(&p, 0, "file changed while it was read");
		return NULL;
	}
	t = table_parse_buf(data, len, path, fmt, errfn, arg);
	/* The file may be a passwd-file: leave no copy of its hashes. */
	explicit_bzero(data, want);
	free(data);
	return t;
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	/* passwd-file values hold password hashes */
	table_arena_free(t, t->arena, t->acap);
	free(t->ents);
	free(t);
}

const char *
table_get(const struct table *t, const char *key)
{
	char		 low[TABLE_LINE_MAX + 1];
	size_t		 lo = 0, hi, mid, n, i;
	int		 r;

	if (t == NULL || t->n == 0)
		return NULL;
	if (table_nocase(t)) {
		if ((n = strlen(key)) > TABLE_LINE_MAX)
			return NULL;
		for (i = 0; i <= n; i++)
			low[i] = (char)table_lower(key[i]);
		key = low;
	}
	hi = t->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = strcmp(key, t->arena + t->ents[mid].key);
		if (r == 0)
			return t->arena + t->ents[mid].val;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t
table_count(const struct table *t)
{
	return t == NULL ? 0 : t->n;
}

int
table_entry(const struct table *t, size_t i, const char **key,
    const char **value)
{
	if (t == NULL || i >= t->n)
		return -1;
	*key = t->arena + t->ents[i].key;
	*value = t->arena + t->ents[i].val;
	return 0;
}
