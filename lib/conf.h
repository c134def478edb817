/*
 * conf: facteur.conf, `key = value` lines.  '#' starts a comment line;
 * blank lines are ignored; a value runs to the end of the line with
 * surrounding blanks removed.  Every key is declared once in conf_keys.c
 * (name, type, default, limits, one line of documentation) and documented
 * in facteur.conf(5); an unknown key, a malformed or out-of-range value or
 * a repeated key is an error reported as "FILE:LINE: problem".  All errors
 * of a file are reported, not only the first.
 *
 * Value syntax by type: STR any text without control bytes; INT a decimal
 * number; SIZE a number with an optional k, m or g suffix (powers of 1024);
 * TIME a number with an optional s, m, h, d or w suffix (seconds); BOOL
 * yes/no/true/false/on/off/1/0; LIST words separated by commas and/or blanks.
 */
#ifndef FACTEUR_CONF_H
#define FACTEUR_CONF_H
#include <stddef.h>

enum conf_type { CONF_STR, CONF_INT, CONF_SIZE, CONF_TIME, CONF_BOOL, CONF_LIST };

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	const char	*def;		/* default as it would be written */
	long long	 min, max;	/* for INT, SIZE, TIME */
	const char	*doc;
};

extern const struct conf_key conf_keys[];	/* ends with name == NULL */

struct conf;

typedef void conf_error_fn(void *arg, const char *msg);

/* NULL (after reporting every error through errfn) or the config. */
struct conf	*conf_load(const char *path, conf_error_fn *errfn, void *arg);
/* Every key at its default. */
struct conf	*conf_defaults(void);
void		 conf_free(struct conf *);
const char	*conf_path(const struct conf *);	/* "" for defaults */

/* Lookups abort with fatalx() on a key missing from conf_keys (a bug). */
const char	*conf_str(const struct conf *, const char *key);
long long	 conf_int(const struct conf *, const char *key);	/* INT/SIZE/TIME */
int		 conf_bool(const struct conf *, const char *key);
/* NULL-terminated array of words, valid as long as the conf. */
const char *const *conf_list(const struct conf *, const char *key, size_t *n);
/* 1 if `word` is in the LIST key (ASCII case-insensitive), else 0. */
int		 conf_list_has(const struct conf *, const char *key, const char *word);

/*
 * Finds the config file path the way every program does: an explicit path
 * (-C) first, then $FACTEUR_CONF when use_env, then FACTEUR_CONF_DEFAULT.
 */
const char	*conf_find_path(const char *explicit_path, int use_env);

#endif
