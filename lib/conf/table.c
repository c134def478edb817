/*
 * table: loads a lookup table file (aliases, passwd-file, list, map) whole
 * into memory as a sorted array of key/value offsets into one string
 * arena, so a lookup is a binary search (tables of 100,000 entries are
 * normal).  Every error of the file is reported as "FILE:LINE: problem";
 * a table with any error is not loaded at all.
 */
#include <sys/mman.h>
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

static void table_error(struct table_parse *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
table_error(struct table_parse *p, size_t line, const char *fmt, ...)
{
	va_list	ap;

	p->nerr++;
	va_start(ap, fmt);
	conf_vreport(p->errfn, p->arg, p->name, line, fmt, ap);
	va_end(ap);
}

static int
table_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int
table_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * A passwd-file's arena holds password hashes: it gets pages of its own
 * that a fork does not copy (MADV_DONTFORK) and a core dump leaves out,
 * so that no child of a process holding the users table (a session, a
 * delivery) has the hashes in its memory, and none pays for copying
 * them.  Other tables use malloc.
 */
static char *
table_arena_alloc(const struct table *t, size_t n)
{
	void	*p;

	if (t->fmt != TABLE_PASSWD && t->fmt != TABLE_SECRETS)
		return malloc(n);
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, n, MADV_DONTFORK) == -1) {
		(void)munmap(p, n);
		return NULL;
	}
	(void)madvise(p, n, MADV_DONTDUMP);
	return p;
}

/* Wipes and frees an arena of cap bytes. */
static void
table_arena_free(const struct table *t, char *a, size_t cap)
{
	if (a == NULL)
		return;
	explicit_bzero(a, cap);
	if (t->fmt == TABLE_PASSWD || t->fmt == TABLE_SECRETS)
		(void)munmap(a, cap);
	else
		free(a);
}

/* Keys matched ASCII case-insensitively (stored in lower case). */
static int
table_nocase(const struct table *t)
{
	return t->fmt == TABLE_ALIASES || t->fmt == TABLE_DOMAINS ||
	    t->fmt == TABLE_SECRETS;
}

static int
table_arena_add(struct table *t, const char *s, size_t n, int lower,
    size_t *off)
{
	char	*na;
	size_t	 ncap, i;

	if (n >= SIZE_MAX / 2 - t->alen)
		return -1;
	if (t->alen + n + 1 > t->acap) {
		ncap = t->acap == 0 ? 4096 : t->acap;
		while (ncap < t->alen + n + 1)
			ncap *= 2;
		/* Not realloc: the old arena may hold password hashes. */
		if ((na = table_arena_alloc(t, ncap)) == NULL)
			return -1;
		if (t->arena != NULL) {
			memcpy(na, t->arena, t->alen);
			table_arena_free(t, t->arena, t->acap);
		}
		t->arena = na;
		t->acap = ncap;
	}
	*off = t->alen;
	for (i = 0; i < n; i++)
		t->arena[t->alen + i] = lower ? (char)table_lower(s[i]) : s[i];
	t->arena[t->alen + n] = '\0';
	t->alen += n + 1;
	return 0;
}

static int
table_add(struct table_parse *p, size_t line, const char *k, size_t klen,
    const char *v, size_t vlen)
{
	struct table		*t = p->t;
	struct table_ent	*ne, e;

	if (t->n >= TABLE_ENTRIES_MAX) {
		table_error(p, line, "more than %d entries", TABLE_ENTRIES_MAX);
		return -1;
	}
	if (t->n == t->cap) {
		ne = reallocarray(t->ents, t->cap == 0 ? 256 : t->cap * 2,
		    sizeof(*ne));
		if (ne == NULL)
			goto nomem;
		t->ents = ne;
		t->cap = t->cap == 0 ? 256 : t->cap * 2;
	}
	e.line = line;
	if (table_arena_add(t, k, klen, table_nocase(t), &e.key) == -1 ||
	    table_arena_add(t, v, vlen, 0, &e.val) == -1)
		goto nomem;
	t->ents[t->n++] = e;
	return 0;
nomem:
	table_error(p, line, "out of memory");
	return -1;
}

static int
table_alias_flush(struct table_parse *p)
{
	int	r = 0;

	if (!p->pending)
		return 0;
	p->pending = 0;
	if (p->pvlen == 0)
		table_error(p, p->pline, "empty value for alias \"%.64s\"",
		    p->pkey);
	else
		r = table_add(p, p->pline, p->pkey, p->pklen, p->pval, p->pvlen);
	return r;
}

/* Trims blanks off both ends of s[0..*n); returns the new start. */
static const char *
table_trim(const char *s, size_t *n)
{
	while (*n > 0 && table_blank(*s)) {
		s++;
		(*n)--;
	}
	while (*n > 0 && table_blank(s[*n - 1]))
		(*n)--;
	return s;
}

static int
table_has_blank(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (table_blank(s[i]))
			return 1;
	return 0;
}

static int
table_line_alias(struct table_parse *p, const char *s, size_t len,
    size_t line)
{
	const char	*colon, *k, *v;
	size_t		 klen, vlen;

	if (table_blank(*s)) {
		if (p->skip_cont)
			return 0;
		if (!p->pending) {
			table_error(p, line, "continuation line without an "
			    "alias before it");
			return 0;
		}
		v = table_trim(s, &len);
		if (p->pvlen + 1 + len > TABLE_LINE_MAX) {
			table_error(p, p->pline, "alias \"%.64s\" longer than "
			    "%d bytes", p->pkey, TABLE_LINE_MAX);
			p->pending = 0;
			p->skip_cont = 1;
			return 0;
		}
		if (p->pvlen > 0)
			p->pval[p->pvlen++] = ' ';
		memcpy(p->pval + p->pvlen, v, len);
		p->pvlen += len;
		p->pval[p->pvlen] = '\0';
		return 0;
	}
	if (table_alias_flush(p) == -1)
		return -1;
	p->skip_cont = 1;
	if ((colon = memchr(s, ':', len)) == NULL) {
		table_error(p, line, "missing ':' (lines are name: value)");
		return 0;
	}
	klen = (size_t)(colon - s);
	k = table_trim(s, &klen);
	if (klen == 0) {
		table_error(p, line, "empty name before ':'");
		return 0;
	}
	if (table_has_blank(k, klen)) {
		table_error(p, line, "blank in alias name");
		return 0;
	}
	vlen = len - (size_t)(colon + 1 - s);
	v = table_trim(colon + 1, &vlen);
	memcpy(p->pkey, k, klen);
	p->pkey[klen] = '\0';
	p->pklen = klen;
	memcpy(p->pval, v, vlen);
	p->pval[vlen] = '\0';
	p->pvlen = vlen;
	p->pline = line;
	p->pending = 1;
	p->skip_cont = 0;
	return 0;
}

/* 1 if s[0..n) is empty or a decimal id in 0..TABLE_UID_MAX. */
static int
table_id_ok(const char *s, size_t n)
{
	long long	v = 0;
	size_t		i;

	if (n > 10)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v <= TABLE_UID_MAX;
}

static int
table_line_passwd(struct table_parse *p, const char *s, size_t len,
    size_t line)
{
	const char	*f[7];
	size_t		 fl[7], nf = 0, i;
	const char	*q = s, *end = s + len, *c;

	/* user:password:uid:gid:gecos:home:extra; extra may hold ':'. */
	while (nf < 7) {
		c = nf < 6 ? memchr(q, ':', (size_t)(end - q)) : NULL;
		f[nf] = q;
		fl[nf] = (size_t)((c == NULL ? end : c) - q);
		nf++;
		if (c == NULL)
			break;
		q = c + 1;
	}
	if (fl[0] == 0) {
		table_error(p, line, "empty user name");
		return 0;
	}
	if (table_has_blank(f[0], fl[0])) {
		table_error(p, line, "blank in user name");
		return 0;
	}
	if (nf < 2) {
		table_error(p, line, "missing password field (lines are "
		    "user:password:uid:gid:gecos:home:extra)");
		return 0;
	}
	for (i = 2; i < 4 && i < nf; i++)
		if (!table_id_ok(f[i], fl[i])) {
			table_error(p, line, "%s must be a number up to %lld "
			    "or empty", i == 2 ? "uid" : "gid", TABLE_UID_MAX);
			return 0;
		}
	if (nf > 5 && fl[5] > 0 && f[5][0] != '/') {
		table_error(p, line, "home must be an absolute path or empty");
		return 0;
	}
	return table_add(p, line, f[0], fl[0], s, len);
}

static int
table_line_word(struct table_parse *p, const char *s, size_t len,
    size_t line)
{
	const char	*k, *v;
	size_t		 klen, vlen;

	k = table_trim(s, &len);
	for (klen = 0; klen < len && !table_blank(k[klen]); klen++)
		;
	vlen = len - klen;
	v = table_trim(k + klen, &vlen);
	if (p->t->fmt == TABLE_LIST) {
		if (vlen > 0) {
			table_error(p, line, "more than one word on the line");
			return 0;
		}
		return table_add(p, line, k, klen, "", 0);
	}
	if (vlen == 0) {
		table_error(p, line, "missing value after \"%.*s\"",
		    klen > 64 ? 64 : (int)klen, k);
		return 0;
	}
	return table_add(p, line, k, klen, v, vlen);
}

/* Returns -1 to stop reading (too many entries, no memory). */
static int
table_line(struct table_parse *p, const char *s, size_t len, size_t line)
{
	size_t	i;

	/* A new alias ends the one before, even when the new one is bad. */
	if (p->t->fmt == TABLE_ALIASES && len > 0 && !table_blank(s[0]) &&
	    s[0] != '#' && table_alias_flush(p) == -1)
		return -1;
	if (len > TABLE_LINE_MAX) {
		table_error(p, line, "line longer than %d bytes", TABLE_LINE_MAX);
		p->pending = 0;
		p->skip_cont = 1;
		return 0;
	}
	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f) {
			table_error(p, line, "control byte in line");
			p->pending = 0;
			p->skip_cont = 1;
			return 0;
		}
	for (i = 0; i < len && table_blank(s[i]); i++)
		;
	if (i == len || s[i] == '#')
		return 0;
	switch (p->t->fmt) {
	case TABLE_ALIASES:
		return table_line_alias(p, s, len, line);
	case TABLE_PASSWD:
		return table_line_passwd(p, s, len, line);
	case TABLE_LIST:
	case TABLE_MAP:
	case TABLE_DOMAINS:
	case TABLE_SECRETS:
		return table_line_word(p, s, len, line);
	}
	return 0;
}

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
