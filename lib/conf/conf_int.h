/*
 * conf_int: what the files of the configuration module (conf.c,
 * conf_value.c, conf_lookup.c) share and no other module may use: the
 * structure behind struct conf and the helpers between the files.
 *
 * Trust: private to lib/conf; see conf.c.
 */
#ifndef FACTEUR_CONF_INT_H
#define FACTEUR_CONF_INT_H
#include <stddef.h>

#include "conf.h"

#define CONF_HOST_MAX	255

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

static inline int
conf_blank(int c)
{
	return c == ' ' || c == '\t';
}

static inline int
conf_ctl(int c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

/* The row of conf_keys named by the n bytes at key, or SIZE_MAX. */
size_t	conf_key_index(const char *key, size_t n);

/*
 * Parses value s (control bytes already refused) for key k into v.
 * 0, or -1 with a message in err.
 */
int	conf_value_parse(const struct conf_key *k, const char *s,
	    struct conf_val *v, char *err, size_t errsz);
/* Frees what v holds and zeroes it. */
void	conf_val_clear(struct conf_val *v);

#endif
