/*
 * conf: reads facteur.conf into one typed slot per row of conf_keys and
 * answers lookups.  Parsing reports every error of the file as
 * "FILE:LINE: problem" before giving up; a key not in the file takes its
 * default, parsed by the same code as a written value.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "log.h"

#ifndef FACTEUR_CONF_DEFAULT
#define FACTEUR_CONF_DEFAULT	"/etc/facteur/facteur.conf"
#endif

#define CONF_HOST_MAX	255
#define CONF_MSG_MAX	(PATH_MAX + 512)

struct conf_val {
	char	 *str;		/* the value as written, blanks trimmed */
	long long num;		/* INT, SIZE, TIME; 0/1 for BOOL */
	char	**list;		/* LIST: NULL-terminated words */
	size_t	  nlist;
	size_t	  line;		/* line it was set at; 0 when not set */
};

/* Lazily computed values; the conf is const to its readers. */
struct conf_cache {
	char	host[CONF_HOST_MAX + 1];
	int	host_done;
};

struct conf {
	char			*path;
	size_t			 nkeys;
	struct conf_val		*vals;
	struct conf_cache	*cache;
};

struct conf_parse {
	const char	*name;
	conf_error_fn	*errfn;
	void		*arg;
	size_t		 nerr;
};

static void conf_error(struct conf_parse *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The one place that formats "FILE:LINE: problem" (or "FILE: problem" for
 * line 0) and hands it to an error callback; tables use it too.
 */
void
conf_vreport(conf_error_fn *errfn, void *arg, const char *name, size_t line,
    const char *fmt, va_list ap)
{
	char	what[CONF_MSG_MAX], msg[CONF_MSG_MAX];
	int	n;

	n = vsnprintf(what, sizeof(what), fmt, ap);
	if (n < 0)
		(void)strlcpy(what, "error", sizeof(what));
	/* A message cut short at CONF_MSG_MAX is still worth reporting. */
	if (line > 0)
		n = snprintf(msg, sizeof(msg), "%s:%zu: %s", name, line, what);
	else
		n = snprintf(msg, sizeof(msg), "%s: %s", name, what);
	if (n < 0)
		(void)strlcpy(msg, what, sizeof(msg));
	if (errfn != NULL)
		errfn(arg, msg);
}

static void
conf_error(struct conf_parse *p, size_t line, const char *fmt, ...)
{
	va_list	ap;

	p->nerr++;
	va_start(ap, fmt);
	conf_vreport(p->errfn, p->arg, p->name, line, fmt, ap);
	va_end(ap);
}

static int
conf_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int
conf_ctl(int c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

static size_t
conf_key_index(const char *key, size_t n)
{
	size_t	i;

	for (i = 0; conf_keys[i].name != NULL; i++)
		if (strlen(conf_keys[i].name) == n &&
		    memcmp(conf_keys[i].name, key, n) == 0)
			return i;
	return SIZE_MAX;
}

static const struct conf_val *
conf_val_get(const struct conf *c, const char *key, enum conf_type want,
    int numeric)
{
	size_t	i;

	i = conf_key_index(key, strlen(key));
	if (i == SIZE_MAX || i >= c->nkeys)
		fatalx("conf: no key %s", key);
	if (numeric) {
		if (conf_keys[i].type != CONF_INT &&
		    conf_keys[i].type != CONF_SIZE &&
		    conf_keys[i].type != CONF_TIME)
			fatalx("conf: key %s is not a number", key);
	} else if (conf_keys[i].type != want)
		fatalx("conf: key %s has another type", key);
	return &c->vals[i];
}

static void
conf_val_clear(struct conf_val *v)
{
	size_t	i;

	free(v->str);
	if (v->list != NULL) {
		for (i = 0; i < v->nlist; i++)
			free(v->list[i]);
		free(v->list);
	}
	memset(v, 0, sizeof(*v));
}

/* Parses a decimal number with an optional sign into *out; *end after it. */
static int
conf_number(const char *s, long long *out, const char **end)
{
	long long	v = 0;
	int		neg = 0, digits = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, *s - '0', &v))
			return -1;
	}
	if (digits == 0)
		return -1;
	*out = neg ? -v : v;
	*end = s;
	return 0;
}

static int
conf_suffix(enum conf_type type, const char *suf, long long *mult)
{
	static const struct { char c; long long m; } sizes[] = {
		{ 'k', 1024LL }, { 'm', 1024LL * 1024 },
		{ 'g', 1024LL * 1024 * 1024 }, { 0, 0 } };
	static const struct { char c; long long m; } times[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 }, { 0, 0 } };
	int	c, i;

	*mult = 1;
	if (*suf == '\0')
		return 0;
	if (type == CONF_INT || suf[1] != '\0')
		return -1;
	c = *suf;
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	if (type == CONF_SIZE) {
		for (i = 0; sizes[i].c != 0; i++)
			if (sizes[i].c == c) {
				*mult = sizes[i].m;
				return 0;
			}
	} else {
		for (i = 0; times[i].c != 0; i++)
			if (times[i].c == c) {
				*mult = times[i].m;
				return 0;
			}
	}
	return -1;
}

static int
conf_bool_parse(const char *s, long long *out)
{
	static const char *yes[] = { "yes", "true", "on", "1", NULL };
	static const char *no[] = { "no", "false", "off", "0", NULL };
	int	i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	return -1;
}

/* Replaces v->str with the words joined by ", ": no tab, one spelling. */
static int
conf_list_join(struct conf_val *v, char *err, size_t errsz)
{
	char	*s;
	size_t	 n = 1, i;

	for (i = 0; i < v->nlist; i++)
		n += strlen(v->list[i]) + 2;
	if ((s = malloc(n)) == NULL) {
		(void)snprintf(err, errsz, "out of memory");
		return -1;
	}
	s[0] = '\0';
	for (i = 0; i < v->nlist; i++) {
		if (i > 0)
			(void)strlcat(s, ", ", n);
		(void)strlcat(s, v->list[i], n);
	}
	free(v->str);
	v->str = s;
	return 0;
}

static int
conf_list_parse(const char *s, struct conf_val *v, char *err, size_t errsz)
{
	const char	*p = s, *w;
	size_t		 n;
	char		**nl;

	for (;;) {
		while (*p == ',' || conf_blank(*p))
			p++;
		if (*p == '\0')
			break;
		for (w = p; *p != '\0' && *p != ',' && !conf_blank(*p); p++)
			;
		n = (size_t)(p - w);
		nl = reallocarray(v->list, v->nlist + 2, sizeof(*nl));
		if (nl == NULL)
			goto nomem;
		v->list = nl;
		if ((v->list[v->nlist] = strndup(w, n)) == NULL)
			goto nomem;
		v->list[++v->nlist] = NULL;
	}
	if (v->list == NULL) {
		if ((v->list = calloc(1, sizeof(*v->list))) == NULL)
			goto nomem;
	}
	return conf_list_join(v, err, errsz);
nomem:
	(void)snprintf(err, errsz, "out of memory");
	return -1;
}

/*
 * Parses value s (control bytes already refused) for key k into v.
 * 0, or -1 with a message in err.
 */
static int
conf_value_parse(const struct conf_key *k, const char *s, struct conf_val *v,
    char *err, size_t errsz)
{
	const char	*end, *unit;
	long long	 num, mult;

	if ((v->str = strdup(s)) == NULL) {
		(void)snprintf(err, errsz, "out of memory");
		return -1;
	}
	switch (k->type) {
	case CONF_STR:
		if (strchr(s, '\t') != NULL) {
			(void)snprintf(err, errsz,
			    "control byte (tab) in value of %s", k->name);
			return -1;
		}
		return 0;
	case CONF_LIST:
		return conf_list_parse(s, v, err, errsz);
	case CONF_BOOL:
		if (conf_bool_parse(s, &v->num) == -1) {
			(void)snprintf(err, errsz, "bad boolean \"%.100s\" for "
			    "%s (use yes or no)", s, k->name);
			return -1;
		}
		return 0;
	case CONF_INT:
	case CONF_SIZE:
	case CONF_TIME:
		break;
	}
	unit = k->type == CONF_SIZE ? " octets" :
	    k->type == CONF_TIME ? " seconds" : "";
	if (conf_number(s, &num, &end) == -1) {
		(void)snprintf(err, errsz, "bad number \"%.100s\" for %s",
		    s, k->name);
		return -1;
	}
	if (conf_suffix(k->type, end, &mult) == -1) {
		(void)snprintf(err, errsz, "bad suffix \"%.100s\" for %s (%s)",
		    end, k->name, k->type == CONF_SIZE ? "use k, m or g" :
		    k->type == CONF_TIME ? "use s, m, h, d or w" :
		    "a plain decimal number");
		return -1;
	}
	if (__builtin_mul_overflow(num, mult, &v->num) ||
	    v->num < k->min || v->num > k->max) {
		(void)snprintf(err, errsz, "%s = %.100s out of range "
		    "(%lld to %lld%s)", k->name, s, k->min, k->max, unit);
		return -1;
	}
	return 0;
}

static struct conf *
conf_alloc(const char *path)
{
	struct conf	*c;
	size_t		 n;

	for (n = 0; conf_keys[n].name != NULL; n++)
		;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->nkeys = n;
	if ((c->path = strdup(path)) == NULL ||
	    (c->vals = calloc(n == 0 ? 1 : n, sizeof(*c->vals))) == NULL ||
	    (c->cache = calloc(1, sizeof(*c->cache))) == NULL) {
		conf_free(c);
		return NULL;
	}
	return c;
}

/* Gives every key not set by the file its default. */
static int
conf_fill_defaults(struct conf *c, struct conf_parse *p)
{
	char	err[CONF_MSG_MAX];
	size_t	i;

	for (i = 0; i < c->nkeys; i++) {
		if (c->vals[i].line != 0)
			continue;
		conf_val_clear(&c->vals[i]);
		if (conf_value_parse(&conf_keys[i], conf_keys[i].def,
		    &c->vals[i], err, sizeof(err)) == -1) {
			conf_error(p, 0, "default of %s: %s",
			    conf_keys[i].name, err);
			return -1;
		}
	}
	return 0;
}

static void
conf_parse_line(struct conf *c, struct conf_parse *p, const char *s,
    size_t len, size_t lineno)
{
	char		 value[CONF_LINE_MAX + 1], err[CONF_MSG_MAX];
	const char	*eq, *ks, *ke, *vs, *ve, *q;
	size_t		 i, klen;

	if (len > CONF_LINE_MAX) {
		conf_error(p, lineno, "line longer than %d bytes",
		    CONF_LINE_MAX);
		return;
	}
	for (ks = s; ks < s + len && conf_blank(*ks); ks++)
		;
	if (ks == s + len || *ks == '#')
		return;
	if ((eq = memchr(s, '=', len)) == NULL) {
		conf_error(p, lineno, "missing '=' (lines are key = value)");
		return;
	}
	for (ke = eq; ke > ks && conf_blank(ke[-1]); ke--)
		;
	klen = (size_t)(ke - ks);
	if (klen == 0) {
		conf_error(p, lineno, "empty key before '='");
		return;
	}
	for (q = ks; q < ke; q++)
		if (conf_ctl(*q)) {
			conf_error(p, lineno, "control byte in key");
			return;
		}
	if ((i = conf_key_index(ks, klen)) == SIZE_MAX || i >= c->nkeys) {
		conf_error(p, lineno, "unknown key \"%.*s\"",
		    klen > 64 ? 64 : (int)klen, ks);
		return;
	}
	for (vs = eq + 1; vs < s + len && conf_blank(*vs); vs++)
		;
	for (ve = s + len; ve > vs && conf_blank(ve[-1]); ve--)
		;
	for (q = vs; q < ve; q++)
		if (conf_ctl(*q) && !(*q == '\t' &&
		    conf_keys[i].type == CONF_LIST)) {
			conf_error(p, lineno, "control byte in value of %s",
			    conf_keys[i].name);
			return;
		}
	if (c->vals[i].line != 0) {
		conf_error(p, lineno, "duplicate key %s (first set at line %zu)",
		    conf_keys[i].name, c->vals[i].line);
		return;
	}
	memcpy(value, vs, (size_t)(ve - vs));
	value[ve - vs] = '\0';
	if (conf_value_parse(&conf_keys[i], value, &c->vals[i], err,
	    sizeof(err)) == -1) {
		conf_val_clear(&c->vals[i]);
		conf_error(p, lineno, "%s", err);
		/* Keep later duplicates from looking like the first. */
		c->vals[i].line = lineno;
		return;
	}
	c->vals[i].line = lineno;
}

struct conf *
conf_load_buf(const char *data, size_t len, const char *name,
    conf_error_fn *errfn, void *arg)
{
	struct conf_parse	 p = { name, errfn, arg, 0 };
	struct conf		*c;
	const char		*s, *nl, *end = data + len;
	size_t			 lineno = 0;

	if (len > CONF_FILE_MAX) {
		conf_error(&p, 0, "file larger than %d bytes", CONF_FILE_MAX);
		return NULL;
	}
	if ((c = conf_alloc(name)) == NULL) {
		conf_error(&p, 0, "out of memory");
		return NULL;
	}
	for (s = data; s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		conf_parse_line(c, &p, s, (size_t)(nl - s), ++lineno);
	}
	if (p.nerr == 0)
		(void)conf_fill_defaults(c, &p);
	if (p.nerr > 0) {
		conf_free(c);
		return NULL;
	}
	return c;
}

struct conf *
conf_load(const char *path, conf_error_fn *errfn, void *arg)
{
	struct conf_parse	 p = { path, errfn, arg, 0 };
	struct conf		*c;
	struct stat		 st;
	char			*data;
	size_t			 len;
	ssize_t			 r;
	int			 fd, saved;

	/* O_NONBLOCK: a FIFO put in the file's place must not hang us. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		conf_error(&p, 0, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		(void)close(fd);
		conf_error(&p, 0, "%s", strerror(saved));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)close(fd);
		conf_error(&p, 0, "not a regular file");
		return NULL;
	}
	if ((data = malloc(CONF_FILE_MAX + 1)) == NULL) {
		(void)close(fd);
		conf_error(&p, 0, "out of memory");
		return NULL;
	}
	/* Read one byte past the limit to tell a too large file. */
	if ((r = fd_read_full(fd, data, CONF_FILE_MAX + 1)) == -1) {
		saved = errno;
		free(data);
		(void)close(fd);
		conf_error(&p, 0, "read: %s", strerror(saved));
		return NULL;
	}
	len = (size_t)r;
	(void)close(fd);	/* read-only: nothing to lose */
	if (len > CONF_FILE_MAX) {
		free(data);
		conf_error(&p, 0, "file larger than %d bytes", CONF_FILE_MAX);
		return NULL;
	}
	c = conf_load_buf(data, len, path, errfn, arg);
	free(data);
	return c;
}

struct conf *
conf_defaults(void)
{
	struct conf_parse	 p = { "defaults", NULL, NULL, 0 };
	struct conf		*c;

	if ((c = conf_alloc("")) == NULL)
		return NULL;
	if (conf_fill_defaults(c, &p) == -1)
		fatalx("conf: a default in conf_keys does not parse");
	return c;
}

void
conf_free(struct conf *c)
{
	size_t	i;

	if (c == NULL)
		return;
	if (c->vals != NULL)
		for (i = 0; i < c->nkeys; i++)
			conf_val_clear(&c->vals[i]);
	free(c->vals);
	free(c->cache);
	free(c->path);
	free(c);
}

const char *
conf_path(const struct conf *c)
{
	return c->path;
}

const char *
conf_str(const struct conf *c, const char *key)
{
	size_t	i;

	i = conf_key_index(key, strlen(key));
	if (i == SIZE_MAX || i >= c->nkeys)
		fatalx("conf: no key %s", key);
	return c->vals[i].str;
}

long long
conf_int(const struct conf *c, const char *key)
{
	return conf_val_get(c, key, CONF_INT, 1)->num;
}

int
conf_bool(const struct conf *c, const char *key)
{
	return conf_val_get(c, key, CONF_BOOL, 0)->num != 0;
}

const char *const *
conf_list(const struct conf *c, const char *key, size_t *n)
{
	const struct conf_val	*v;

	v = conf_val_get(c, key, CONF_LIST, 0);
	if (n != NULL)
		*n = v->nlist;
	return (const char *const *)v->list;
}

int
conf_list_has(const struct conf *c, const char *key, const char *word)
{
	const struct conf_val	*v;
	size_t			 i;

	v = conf_val_get(c, key, CONF_LIST, 0);
	for (i = 0; i < v->nlist; i++)
		if (strcasecmp(v->list[i], word) == 0)
			return 1;
	return 0;
}

static int
conf_host_ok(const char *h)
{
	if (*h == '\0')
		return 0;
	for (; *h != '\0'; h++)
		if (conf_ctl(*h) || *h == ' ')
			return 0;
	return 1;
}

const char *
conf_myhostname(const struct conf *c)
{
	struct conf_cache	*cc = c->cache;
	const char		*h;
	char			 name[CONF_HOST_MAX + 1];

	if (cc->host_done)
		return cc->host;
	h = conf_str(c, "myhostname");
	if (*h != '\0' && strlen(h) <= CONF_HOST_MAX)
		(void)strlcpy(cc->host, h, sizeof(cc->host));
	else if (gethostname(name, sizeof(name)) == 0 &&
	    memchr(name, '\0', sizeof(name)) != NULL && conf_host_ok(name))
		(void)strlcpy(cc->host, name, sizeof(cc->host));
	else
		(void)strlcpy(cc->host, "localhost", sizeof(cc->host));
	cc->host_done = 1;
	return cc->host;
}

/* Compares a and b ASCII case-insensitively, one trailing dot ignored. */
static int
conf_domain_eq(const char *a, const char *b)
{
	size_t	na = strlen(a), nb = strlen(b);

	if (na > 0 && a[na - 1] == '.')
		na--;
	if (nb > 0 && b[nb - 1] == '.')
		nb--;
	return na == nb && na > 0 && strncasecmp(a, b, na) == 0;
}

int
conf_is_local_domain(const struct conf *c, const char *domain)
{
	const char *const	*w;
	size_t			 n, i;

	w = conf_list(c, "local_domains", &n);
	for (i = 0; i < n; i++) {
		if (strcmp(w[i], "$myhostname") == 0) {
			if (conf_domain_eq(conf_myhostname(c), domain))
				return 1;
		} else if (conf_domain_eq(w[i], domain))
			return 1;
	}
	return 0;
}

const char *
conf_find_path(const char *explicit_path, int use_env)
{
	const char	*e;

	if (explicit_path != NULL && *explicit_path != '\0')
		return explicit_path;
	/* secure_getenv: a set-id caller never takes the path from its user. */
	if (use_env && (e = secure_getenv("FACTEUR_CONF")) != NULL && *e != '\0')
		return e;
	return FACTEUR_CONF_DEFAULT;
}
