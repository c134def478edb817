/*
 * conf_lookup: answers the questions programs ask of a loaded facteur.conf:
 * a key's value by type, the host's name and whether a domain is local.
 * A key missing from conf_keys, or asked for as another type, is a bug and
 * aborts.
 *
 * Trust: a configuration conf.c loaded and checked.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "conf_int.h"
#include "log.h"

size_t
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
