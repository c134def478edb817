/*
 * lroute: domain classes, address extensions and virtual alias lookups,
 * the same for queued, lspawn and smtpd's monitor (see lroute.h).
 *
 * Trust: the configuration and the virtual table are the administrator's
 * (parsed strictly by conf.c and table.c); the addresses looked up may be
 * a stranger's and are only compared and copied within their limits.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lroute.h"

#define LROUTE_ADDR_MAX	1000	/* octets of an address (QUEUE_ADDR_MAX) */

static int
lroute_list_has(const struct conf *c, const char *key, const char *domain)
{
	char	d[LROUTE_ADDR_MAX + 1];
	size_t	n = strlen(domain);

	if (n == 0 || n > LROUTE_ADDR_MAX)
		return 0;
	memcpy(d, domain, n + 1);
	if (d[n - 1] == '.')
		d[n - 1] = '\0';
	return conf_list_has(c, key, d);
}

enum lroute_class
lroute_class(const struct conf *c, const char *domain)
{
	if (domain[0] == '\0' || conf_is_local_domain(c, domain))
		return LROUTE_LOCAL;
	if (lroute_list_has(c, "virtual_alias_domains", domain))
		return LROUTE_VALIAS;
	if (lroute_list_has(c, "virtual_mailbox_domains", domain))
		return LROUTE_VMAILBOX;
	return LROUTE_OTHER;
}

size_t
lroute_split(const struct conf *c, const char *local, const char **ext,
    char *delim)
{
	const char	*delims = conf_str(c, "recipient_delimiter");
	size_t		 n;

	*ext = NULL;
	*delim = '\0';
	if (delims[0] == '\0' || local[0] == '\0')
		return strlen(local);
	n = 1 + strcspn(local + 1, delims);
	if (local[n] == '\0')
		return n;
	*delim = local[n];
	*ext = local + n + 1;
	return n;
}

/* 1 when the local part s[0..n) holds an extension already. */
static int
lroute_has_ext(const struct conf *c, const char *s, size_t n)
{
	const char	*delims = conf_str(c, "recipient_delimiter");
	size_t		 i;

	for (i = 1; i < n; i++)
		if (strchr(delims, s[i]) != NULL)
			return 1;
	return 0;
}

/* Appends target s[0..n) to out, with DELIM EXT put before its '@'. */
static int
lroute_put(char *out, size_t outsz, size_t *used, const char *s, size_t n,
    const struct conf *c, const char *ext, char delim)
{
	const char	*at = memchr(s, '@', n);
	size_t		 local = at != NULL ? (size_t)(at - s) : n, add = 0;

	if (ext != NULL && local > 0 && !lroute_has_ext(c, s, local))
		add = 1 + strlen(ext);
	if (n + add > LROUTE_ADDR_MAX || *used + n + add + 1 > outsz)
		return -1;
	memcpy(out + *used, s, local);
	*used += local;
	if (add > 0) {
		out[(*used)++] = delim;
		memcpy(out + *used, ext, add - 1);
		*used += add - 1;
	}
	memcpy(out + *used, s + local, n - local);
	*used += n - local;
	out[(*used)++] = '\0';
	return 0;
}

/* The targets of value, carrying ext over; see lroute_virtual. */
static int
lroute_targets(const struct conf *c, const char *value, const char *ext,
    char delim, char *out, size_t outsz, size_t *n, const char **why)
{
	const char	*s = value;
	size_t		 used = 0, len;

	*n = 0;
	for (;;) {
		s += strspn(s, ", \t");
		if (*s == '\0')
			break;
		len = strcspn(s, ", \t");
		if (*n >= LROUTE_TARGETS_MAX) {
			*why = "too many targets in virtual_alias_maps";
			return -1;
		}
		if (lroute_put(out, outsz, &used, s, len, c, ext, delim) ==
		    -1) {
			*why = "virtual_alias_maps target too long";
			return -1;
		}
		(*n)++;
		s += len;
	}
	if (*n == 0) {
		*why = "virtual_alias_maps entry without a target";
		return -1;
	}
	return 1;
}

int
lroute_virtual(const struct conf *c, const struct table *t, const char *addr,
    char *out, size_t outsz, size_t *n, const char **why)
{
	char		 key[LROUTE_ADDR_MAX + 2];
	const char	*at, *ext, *v;
	size_t		 ulen, alen = strlen(addr);
	char		 delim;

	*n = 0;
	if (t == NULL || alen > LROUTE_ADDR_MAX ||
	    (at = strrchr(addr, '@')) == NULL || at == addr || at[1] == '\0')
		return 0;
	if ((v = table_get(t, addr)) != NULL)
		return lroute_targets(c, v, NULL, '\0', out, outsz, n, why);
	memcpy(key, addr, (size_t)(at - addr));
	key[at - addr] = '\0';
	ulen = lroute_split(c, key, &ext, &delim);
	if (ext != NULL) {
		/* user@domain; the extension goes to the targets */
		(void)snprintf(key + ulen, sizeof(key) - ulen, "%s", at);
		if ((v = table_get(t, key)) != NULL) {
			memcpy(key, addr, (size_t)(at - addr));
			key[at - addr] = '\0';
			return lroute_targets(c, v, key + ulen + 1, delim, out,
			    outsz, n, why);
		}
	}
	if ((v = table_get(t, at)) == NULL)
		return 0;
	memcpy(key, addr, (size_t)(at - addr));
	key[at - addr] = '\0';
	ext = NULL;
	(void)lroute_split(c, key, &ext, &delim);
	return lroute_targets(c, v, ext, delim, out, outsz, n, why);
}

struct table *
lroute_virtual_load(const struct conf *c, conf_error_fn *errfn, void *arg,
    int *failed)
{
	const char	*path = conf_str(c, "virtual_alias_maps");
	struct table	*t;

	*failed = 0;
	if (path[0] == '\0')
		return NULL;
	if ((t = table_load(path, TABLE_ADDRS, errfn, arg)) == NULL)
		*failed = 1;
	return t;
}

static int
lroute_words_ok(const struct conf *c, const char *key, char *err,
    size_t errsz)
{
	const char *const	*w;
	size_t			 n, i;

	w = conf_list(c, key, &n);
	for (i = 0; i < n; i++)
		if (strcmp(w[i], "alias") != 0 &&
		    strcmp(w[i], "forward") != 0 &&
		    strcmp(w[i], "include") != 0) {
			(void)snprintf(err, errsz, "%s: %s is not alias, "
			    "forward or include", key, w[i]);
			return -1;
		}
	return 0;
}

int
lroute_conf_check(const struct conf *c, char *err, size_t errsz)
{
	const char *const	*w;
	const char		*fmt = conf_str(c, "mailbox_format");
	const char		*d = conf_str(c, "recipient_delimiter");
	size_t			 n, i;

	if (strcmp(fmt, "maildir") != 0 && strcmp(fmt, "mbox") != 0) {
		(void)snprintf(err, errsz, "mailbox_format must be maildir or "
		    "mbox, not %s", fmt);
		return -1;
	}
	if (strpbrk(d, " \t@\"\\,") != NULL || strlen(d) > 8) {
		(void)snprintf(err, errsz, "recipient_delimiter: at most 8 "
		    "characters, none of them a blank, @, \", \\ or a comma");
		return -1;
	}
	if (lroute_words_ok(c, "allow_mail_to_commands", err, errsz) == -1 ||
	    lroute_words_ok(c, "allow_mail_to_files", err, errsz) == -1)
		return -1;
	w = conf_list(c, "virtual_alias_domains", &n);
	for (i = 0; i < n; i++)
		if (conf_is_local_domain(c, w[i]) ||
		    conf_list_has(c, "virtual_mailbox_domains", w[i])) {
			(void)snprintf(err, errsz, "%s is in virtual_alias_"
			    "domains and in local_domains or virtual_mailbox_"
			    "domains", w[i]);
			return -1;
		}
	w = conf_list(c, "virtual_mailbox_domains", &n);
	for (i = 0; i < n; i++)
		if (conf_is_local_domain(c, w[i])) {
			(void)snprintf(err, errsz, "%s is in virtual_mailbox_"
			    "domains and in local_domains", w[i]);
			return -1;
		}
	return 0;
}

int
lroute_allowed(const struct conf *c, int commands, const char *where)
{
	return conf_list_has(c, commands ? "allow_mail_to_commands" :
	    "allow_mail_to_files", where);
}
