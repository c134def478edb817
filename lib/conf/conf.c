/*
 * conf: reads facteur.conf into one typed slot per row of conf_keys.
 * Parsing reports every error of the file as "FILE:LINE: problem" before
 * giving up; a key not in the file takes its default, parsed by the same
 * code as a written value (conf_value.c).  The lookups are in
 * conf_lookup.c.
 *
 * Trust: the file is the administrator's, but a set-id caller checks
 * whose it is first (enqueue.c); every line and value is parsed
 * strictly, whatever its origin.
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

#include "conf.h"
#include "conf_int.h"
#include "fdio.h"
#include "log.h"

#ifndef FACTEUR_CONF_DEFAULT
#define FACTEUR_CONF_DEFAULT	"/etc/facteur/facteur.conf"
#endif

#define CONF_MSG_MAX	(PATH_MAX + 512)

struct conf_parse {
	const char	*name;
	conf_error_fn	*errfn;
	void		*arg;
	size_t		 nerr;
	conf_error_fn	*warnfn;	/* NULL: warnings go to errfn */
};

static void conf_error(struct conf_parse *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void conf_warning(struct conf_parse *, size_t, const char *, ...)
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

static void __attribute__((format(printf, 5, 6)))
conf_report(conf_error_fn *errfn, void *arg, const char *name, size_t line,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_vreport(errfn, arg, name, line, fmt, ap);
	va_end(ap);
}

/* Reported like an error ("FILE:LINE: warning: ..."), not counted. */
static void
conf_warning(struct conf_parse *p, size_t line, const char *fmt, ...)
{
	char	w[CONF_MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	if (vsnprintf(w, sizeof(w), fmt, ap) < 0)
		(void)strlcpy(w, "warning", sizeof(w));
	va_end(ap);
	conf_report(p->warnfn != NULL ? p->warnfn : p->errfn, p->arg, p->name,
	    line, "%s%s", CONF_WARNING, w);
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
		/* The last value counts, as in Postfix's main.cf. */
		conf_warning(p, lineno, "%s set again (first at line %zu); "
		    "this value counts", conf_keys[i].name, c->vals[i].line);
		conf_val_clear(&c->vals[i]);
		c->vals[i].line = 0;
	}
	memcpy(value, vs, (size_t)(ve - vs));
	value[ve - vs] = '\0';
	if (conf_value_parse(&conf_keys[i], value, &c->vals[i], err,
	    sizeof(err)) == -1) {
		conf_val_clear(&c->vals[i]);
		conf_error(p, lineno, "%s", err);
		/* a later line of the key is still a repeat */
		c->vals[i].line = lineno;
		return;
	}
	c->vals[i].line = lineno;
}

struct conf *
conf_load_buf(const char *data, size_t len, const char *name,
    conf_error_fn *errfn, void *arg)
{
	return conf_load_buf_warn(data, len, name, errfn, NULL, arg);
}

struct conf *
conf_load_buf_warn(const char *data, size_t len, const char *name,
    conf_error_fn *errfn, conf_error_fn *warnfn, void *arg)
{
	struct conf_parse	 p = { name, errfn, arg, 0, warnfn };
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

int
conf_read_text(const char *path, conf_error_fn *errfn, void *arg,
    char **text, size_t *textlen)
{
	struct conf_parse	 p = { path, errfn, arg, 0, NULL };
	struct stat		 st;
	char			*data, *shrunk;
	size_t			 len;
	ssize_t			 r;
	int			 fd, saved;

	/* O_NONBLOCK: a FIFO put in the file's place must not hang us. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		conf_error(&p, 0, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		(void)close(fd);
		conf_error(&p, 0, "%s", strerror(saved));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)close(fd);
		conf_error(&p, 0, "not a regular file");
		return -1;
	}
	if ((data = malloc(CONF_FILE_MAX + 1)) == NULL) {
		(void)close(fd);
		conf_error(&p, 0, "out of memory");
		return -1;
	}
	/* Read one byte past the limit to tell a too large file. */
	if ((r = fd_read_full(fd, data, CONF_FILE_MAX + 1)) == -1) {
		saved = errno;
		free(data);
		(void)close(fd);
		conf_error(&p, 0, "read: %s", strerror(saved));
		return -1;
	}
	len = (size_t)r;
	(void)close(fd);	/* read-only: nothing to lose */
	if (len > CONF_FILE_MAX) {
		free(data);
		conf_error(&p, 0, "file larger than %d bytes", CONF_FILE_MAX);
		return -1;
	}
	/* Keep only what was read (never NULL for an empty file). */
	if ((shrunk = realloc(data, len + 1)) != NULL)
		data = shrunk;
	data[len] = '\0';
	*text = data;
	*textlen = len;
	return 0;
}

struct conf *
conf_load(const char *path, conf_error_fn *errfn, void *arg)
{
	return conf_load_warn(path, errfn, NULL, arg);
}

struct conf *
conf_load_warn(const char *path, conf_error_fn *errfn, conf_error_fn *warnfn,
    void *arg)
{
	struct conf	*c;
	char		*data;
	size_t		 len;

	if (conf_read_text(path, errfn, arg, &data, &len) == -1)
		return NULL;
	c = conf_load_buf_warn(data, len, path, errfn, warnfn, arg);
	free(data);
	return c;
}

struct conf *
conf_defaults(void)
{
	struct conf_parse	 p = { "defaults", NULL, NULL, 0, NULL };
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
