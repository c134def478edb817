/*
 * queued_alias: the aliases table in its full form and
 * virtual_alias_maps, as queued resolves a message's recipients
 * (queued_resolve.c), and the reloading of virtual_alias_maps.
 *
 * Aliases (lib/conf/aliases.c): names and addresses become jobs as
 * before.  A |command or /file target of alias NAME, in its entry or in
 * an :include: file FILE its entry leads to, becomes one job per (NAME,
 * FILE): user ":NAME" (':' is in no user name), extension FILE (empty
 * for the entry itself), recipient the alias's address.  lspawn expands
 * NAME again, as root, to find the commands and files and whose
 * privileges they run with (deliver/lspawn_alias.c): queued never says
 * what to run nor as whom, only "deliver to the commands and files of
 * NAME", which any sender can ask by mailing NAME.  allow_mail_to_commands
 * and allow_mail_to_files are applied here already, so that a refused
 * target bounces at once with its reason; lspawn applies them again.
 * :include: files are read here as the queue's owner (their addresses
 * are jobs like any others), and a file that cannot be read fails the
 * recipient.
 *
 * Virtual aliases (lib/route/lroute.c): an address of any domain found in
 * virtual_alias_maps is replaced by its targets, each resolved again; a
 * target that is the address itself is final (delivered, not looked up
 * again).  Loops end at ALIASES_DEPTH_MAX.
 *
 * Trust: the tables are the administrator's; :include: files are
 * anyone's (lib/conf/alias_item.c checks them); recipients are a
 * stranger's and only looked up.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alias_item.h"
#include "aliases.h"
#include "log.h"
#include "lroute.h"
#include "queue_env.h"
#include "queued_resolve.h"
#include "table_ref.h"
#include "users.h"

#define VALIAS_OUT_MAX	(64 * 1024)	/* octets of one entry's targets */

/* A |command or /file of an alias: a job for lspawn to expand again. */
static void
alias_job(struct resolve *r, const struct alias_target *t)
{
	char		 user[USER_NAME_MAX + 2], rcpt[QUEUE_ADDR_MAX + 1];
	const char	*what = t->kind == ALIAS_COMMAND ? "a command" :
			    "a file";
	size_t		 i;
	int		 n;

	if (!lroute_allowed(r->q->conf, t->kind == ALIAS_COMMAND,
	    t->include != NULL ? "include" : "alias")) {
		(void)snprintf(r->whybuf, sizeof(r->whybuf), "5.7.1 mail to "
		    "%s is not allowed in %s (%s)", what, t->include != NULL ?
		    "an :include: file" : "the aliases file", t->kind ==
		    ALIAS_COMMAND ? "allow_mail_to_commands" :
		    "allow_mail_to_files");
		resolve_fail(r, r->whybuf);
		return;
	}
	n = snprintf(user, sizeof(user), ":%s", t->alias);
	if (n < 0 || (size_t)n > USER_NAME_MAX) {
		resolve_fail(r, "5.3.0 alias name too long for a command or "
		    "file delivery");
		return;
	}
	for (i = 0; user[i] != '\0'; i++)
		user[i] = (char)tolower((unsigned char)user[i]);
	if (r->addr != NULL && strcasecmp(t->alias, r->name) == 0)
		(void)strlcpy(rcpt, r->addr, sizeof(rcpt));
	else if ((n = snprintf(rcpt, sizeof(rcpt), "%s@%s", t->alias,
	    conf_myhostname(r->q->conf))) < 0 || (size_t)n >= sizeof(rcpt)) {
		resolve_fail(r, "5.1.3 address too long");
		return;
	}
	resolve_job(r, "a", rcpt, user, t->include != NULL ? t->include : "");
}

static int
alias_target(void *arg, const struct alias_target *t)
{
	struct resolve	*r = arg;
	const char	*at;

	if (t->kind != ALIAS_ADDRESS) {
		alias_job(r, t);
		return 0;
	}
	if (t->self || (at = strrchr(t->value, '@')) == NULL) {
		resolve_user(r, t->value, NULL);
		return 0;
	}
	/* name@localdomain where name is the alias itself: final, no loop */
	if ((size_t)(at - t->value) == strlen(r->name) &&
	    strncasecmp(t->value, r->name, (size_t)(at - t->value)) == 0 &&
	    route_is_local(r->q, at + 1)) {
		resolve_user(r, r->name, t->value);
		return 0;
	}
	resolve_addr(r, t->value, 0);
	return 0;
}

/* An :include: file, read as the queue's owner. */
static int
alias_include(void *arg, const char *alias, const char *from,
    const char *path, char **text, const char **why)
{
	struct resolve	*r = arg;
	int		 fd, saved;

	(void)from;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		saved = errno;
		log_warnx("%s: alias %s: cannot open :include: file %s: %s",
		    r->st->id, alias, path, strerror(saved));
		*why = "cannot open an :include: file";
		return -1;
	}
	if (alias_file_read(fd, text, why) == -1) {
		log_warnx("%s: alias %s: :include: file %s: %s", r->st->id,
		    alias, path, *why);
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	return 0;
}

static int
alias_expand(struct resolve *r, const char *name, const char **why)
{
	const struct aliases_how how = { alias_target, alias_include, r, 0 };

	return aliases_expand(r->q->aliases, name, &how, why);
}

int
alias_resolve(struct resolve *r, const char *local, const char *addr)
{
	char		 base[QUEUE_ADDR_MAX + 1];
	const char	*why = NULL, *saved = r->name, *saved_addr = r->addr;
	const char	*ext;
	size_t		 ulen;
	char		 delim;
	int		 n;

	if (r->q->aliases == NULL)
		return 0;
	r->name = local;
	r->addr = addr;
	n = alias_expand(r, local, &why);
	ulen = lroute_split(r->q->conf, local, &ext, &delim);
	if (n == 0 && ext != NULL) {
		(void)strlcpy(base, local, sizeof(base));
		base[ulen] = '\0';
		r->name = base;
		n = alias_expand(r, base, &why);
	}
	r->name = saved;
	r->addr = saved_addr;
	if (n == -1) {
		(void)snprintf(r->whybuf, sizeof(r->whybuf), "%s %s",
		    why != NULL && strstr(why, "loop") != NULL ? "5.4.6" :
		    "5.3.0", why != NULL ? why : "alias expansion failed");
		resolve_fail(r, r->whybuf);
	}
	return n != 0;
}

int
valias_resolve(struct resolve *r, const char *addr)
{
	const char	*why = NULL, *t;
	char		*out;
	size_t		 n, i;
	int		 k;

	if (r->q->valias == NULL)
		return 0;
	if ((out = malloc(VALIAS_OUT_MAX)) == NULL) {
		resolve_fail(r, "4.3.0 out of memory");
		return 1;
	}
	k = lroute_virtual(r->q->conf, r->q->valias, addr, out,
	    VALIAS_OUT_MAX, &n, &why);
	if (k == -1) {
		(void)snprintf(r->whybuf, sizeof(r->whybuf), "5.3.0 %s", why);
		resolve_fail(r, r->whybuf);
	}
	for (i = 0, t = out; k == 1 && i < n; i++, t += strlen(t) + 1)
		resolve_addr(r, t, strcasecmp(t, addr) == 0 ?
		    RESOLVE_NO_VIRTUAL : 0);
	free(out);
	return k != 0;
}

static void
valias_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

int
valias_reload(struct queued *q, const struct conf *c)
{
	static struct table_ref	 ref;
	const char		*path = conf_str(c, "virtual_alias_maps");
	int			 r;

	r = table_ref_refresh(&ref, path, TABLE_ADDRS, valias_error, NULL);
	q->valias = ref.t;
	if (r == -1) {
		log_warnx("virtual_alias_maps %s not loaded", path);
		return -1;
	}
	if (r == 1)
		log_debug("virtual_alias_maps loaded from %s, %zu entries",
		    path, table_count(ref.t));
	return 0;
}
