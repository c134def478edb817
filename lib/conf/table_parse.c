/*
 * table_parse: the line formats of lib/conf's tables (aliases,
 * passwd-file, list, map) and the one string arena each table's keys and
 * values live in.  It trusts nothing of the file: every line is checked
 * for its format's shape, length (TABLE_LINE_MAX) and control bytes, each
 * error is reported with its line, and a passwd-file's arena (password
 * hashes) gets pages a fork does not copy and that are wiped when freed.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table_int.h"

void
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

int
table_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Keys matched ASCII case-insensitively (stored in lower case). */
int
table_nocase(const struct table *t)
{
	return t->fmt == TABLE_ALIASES || t->fmt == TABLE_ADDRS ||
	    t->fmt == TABLE_SECRETS;
}

/* A passwd-file's or a secrets table's arena (hashes, passwords). */
static int
table_secret(const struct table *t)
{
	return t->fmt == TABLE_PASSWD || t->fmt == TABLE_SECRETS;
}

/*
 * A passwd-file's arena holds password hashes, a secrets table's relay
 * passwords: it gets pages of its own that a fork does not copy
 * (MADV_DONTFORK) and a core dump leaves out, so that no child of a
 * process holding the table (a session, a delivery, an SMTP client) has
 * them in its memory, and none pays for copying them.  Other tables use
 * malloc.
 */
static char *
table_arena_alloc(const struct table *t, size_t n)
{
	void	*p;

	if (!table_secret(t))
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
void
table_arena_free(const struct table *t, char *a, size_t cap)
{
	if (a == NULL)
		return;
	explicit_bzero(a, cap);
	if (table_secret(t))
		(void)munmap(a, cap);
	else
		free(a);
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

int
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
int
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
	case TABLE_ADDRS:
	case TABLE_SECRETS:
		return table_line_word(p, s, len, line);
	}
	return 0;
}
