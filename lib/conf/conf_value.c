/*
 * conf_value: parses one value of facteur.conf by the type of its key
 * (conf.h gives the syntax of each type): numbers with their size or time
 * suffix and range, booleans, word lists.  The same code parses a written
 * value and a default.
 *
 * Trust: none: every value is checked against its key's type and limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "conf_int.h"

void
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

int
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
