/*
 * lspawn_alias: a job for the |commands and /files of an alias.  queued
 * sends user ":NAME" and, as the extension, the :include: file FILE the
 * targets are in ("" for NAME's own entry) (queue/queued_alias.c); it
 * never says what to run nor as whom.  lspawn, as root, reads
 * aliases_file itself, expands NAME's own entry again (names that are
 * aliases are not followed: those are other jobs), and reads the
 * :include: files it leads to, each one with the privileges Postfix's
 * local(8) reads it with: those of the aliases file for a file named in
 * the entry, those of the including file for one named in an :include:
 * file.  The targets of FILE (or of the entry) are the job's, and they
 * run as the owner of the file that names them, or as default_privs when
 * that owner is root (local(8), DELIVERY RIGHTS): never as root, and
 * never as a uid below first_valid_uid other than default_privs'.
 * allow_mail_to_commands and allow_mail_to_files ("alias" for the entry,
 * "include" for an :include: file) decide which targets count; a refused
 * one bounces the job after the others are delivered.
 *
 * A file is opened as another user by switching lspawn's effective ids
 * around the open(2) only (lspawn is single-threaded): setgroups to the
 * one gid, setegid, seteuid, then back to root and its groups; a failure
 * to switch back is fatal.
 *
 * Trust: aliases_file is root's; :include: files are their owners' and
 * are read with at most those owners' rights, split by alias_item.c.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alias_item.h"
#include "aliases.h"
#include "log.h"
#include "lroute.h"
#include "lspawn.h"
#include "table_ref.h"

#define ALIAS_GROUPS_MAX	256	/* lspawn's own supplementary groups */

struct alias_id {
	uid_t	uid;
	gid_t	gid;
	int	default_privs;
};

struct alias_check {
	struct lspawn		*ls;
	struct job		*j;
	struct local_job	*lj;
	const char		*source;	/* NULL: the entry itself */
	struct alias_id		 aliases_id;	/* for the entry's targets */
	struct alias_id		 source_id;	/* for the job's targets */
	int			 source_seen;
	struct {
		char		*path;
		struct alias_id	 id;
	}			 inc[ALIASES_DEPTH_MAX * 4];
	size_t			 ninc;
	int			 failed;	/* memory */
};

static struct table_ref	 alias_table;

/*
 * aliases_file, loaded again when it changed (a file with errors leaves
 * the table read before, as in queued), and its owner in st; NULL when
 * there is none.
 */
static const struct table *
alias_table_get(struct lspawn *ls, struct stat *st)
{
	const char	*path = conf_str(ls->conf, "aliases_file");

	if (path[0] == '\0')
		return NULL;
	if (table_ref_refresh(&alias_table, path, TABLE_ALIASES, NULL,
	    NULL) == -1)
		log_warnx("aliases_file %s not loaded again", path);
	if (stat(path, st) == -1)
		return NULL;
	return alias_table.t;
}

/* default_privs' identity; -1 when it does not exist or is root. */
static int
alias_default_privs(struct lspawn *ls, struct alias_id *id)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(conf_str(ls->conf, "default_privs"))) == NULL ||
	    pw->pw_uid == 0)
		return -1;
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	id->default_privs = 1;
	return 0;
}

/* The identity for a file owned by uid: it, or default_privs for root. */
static int
alias_owner(struct lspawn *ls, uid_t uid, struct alias_id *id)
{
	struct passwd	*pw;

	if (uid == 0 || (pw = getpwuid(uid)) == NULL)
		return alias_default_privs(ls, id);
	id->uid = uid;
	id->gid = pw->pw_gid;
	id->default_privs = 0;
	return 0;
}

/* open(2) as id (lspawn keeps root around it); -1 with errno. */
static int
alias_open_as(struct lspawn *ls, const char *path, const struct alias_id *id)
{
	static gid_t	 groups[ALIAS_GROUPS_MAX];
	static int	 ngroups = -1;
	int		 fd, saved;

	if (!ls->root)
		return open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (ngroups == -1 &&
	    (ngroups = getgroups(ALIAS_GROUPS_MAX, groups)) == -1)
		fatal("getgroups");
	if (setgroups(1, &id->gid) == -1 || setegid(id->gid) == -1 ||
	    seteuid(id->uid) == -1)
		fatal("cannot take uid %lu to read %s", (unsigned long)id->uid,
		    path);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	saved = errno;
	if (seteuid(0) == -1 || setegid(0) == -1 ||
	    setgroups((size_t)ngroups, groups) == -1)
		fatal("cannot become root again");
	errno = saved;
	return fd;
}

static const struct alias_id *
alias_include_id(const struct alias_check *c, const char *from)
{
	size_t	i;

	if (from == NULL)
		return &c->aliases_id;
	for (i = 0; i < c->ninc; i++)
		if (strcmp(c->inc[i].path, from) == 0)
			return &c->inc[i].id;
	return NULL;
}

static int
alias_include(void *arg, const char *alias, const char *from,
    const char *path, char **text, const char **why)
{
	struct alias_check	*c = arg;
	const struct alias_id	*reader;
	struct alias_id		 owner;
	struct stat		 st;
	int			 fd;

	if ((reader = alias_include_id(c, from)) == NULL ||
	    c->ninc >= sizeof(c->inc) / sizeof(c->inc[0])) {
		*why = "too many :include: files";
		return -1;
	}
	if ((fd = alias_open_as(c->ls, path, reader)) == -1) {
		log_warn("%s: alias %s: :include: file %s as uid %lu",
		    c->j->id, alias, path, (unsigned long)reader->uid);
		*why = "cannot open an :include: file";
		return -1;
	}
	if (fstat(fd, &st) == -1 || alias_file_read(fd, text, why) == -1) {
		if (*why == NULL)
			*why = "cannot read an :include: file";
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	if (alias_owner(c->ls, st.st_uid, &owner) == -1) {
		*why = "default_privs is root or no account";
		return -1;
	}
	if ((c->inc[c->ninc].path = strdup(path)) == NULL) {
		c->failed = 1;
		*why = "out of memory";
		return -1;
	}
	c->inc[c->ninc++].id = owner;
	if (c->source != NULL && strcmp(path, c->source) == 0) {
		c->source_seen = 1;
		c->source_id = owner;
	}
	return 0;
}

static int
alias_target(void *arg, const struct alias_target *t)
{
	struct alias_check	*c = arg;
	struct local_job	*lj = c->lj;
	struct local_target	*nt;
	int			 cmd = t->kind == ALIAS_COMMAND;

	if (t->kind == ALIAS_ADDRESS)
		return 0;		/* queued made jobs of those */
	if ((c->source == NULL) != (t->include == NULL) ||
	    (c->source != NULL && strcmp(c->source, t->include) != 0))
		return 0;		/* another job's */
	if (!lroute_allowed(c->ls->conf, cmd, c->source != NULL ? "include" :
	    "alias")) {
		if (lj->refused[0] == '\0')
			(void)snprintf(lj->refused, sizeof(lj->refused),
			    "5.7.1 mail to %s is not allowed in %s (%s)",
			    cmd ? "a command" : "a file", c->source != NULL ?
			    "an :include: file" : "the aliases file", cmd ?
			    "allow_mail_to_commands" : "allow_mail_to_files");
		return 0;
	}
	if (lj->ntarget >= LOCAL_TARGETS_MAX)
		return 0;
	nt = reallocarray(lj->target, lj->ntarget + 1, sizeof(*nt));
	if (nt == NULL) {
		c->failed = 1;
		return 1;
	}
	lj->target = nt;
	if ((nt[lj->ntarget].value = strdup(t->value)) == NULL) {
		c->failed = 1;
		return 1;
	}
	nt[lj->ntarget++].kind = cmd ? '|' : '/';
	return 0;
}

static void
alias_check_free(struct alias_check *c)
{
	size_t	i;

	for (i = 0; i < c->ninc; i++)
		free(c->inc[i].path);
}

/* Expands NAME's entry; fills lj's targets and c's identities. */
static int
alias_expand(struct alias_check *c, const struct table *t, const char *name,
    struct job_result *res)
{
	const struct aliases_how how = { alias_target, alias_include, c,
	    ALIASES_ONE_LEVEL };
	const char	*why = NULL;

	if (aliases_expand(t, name, &how, &why) <= 0 || c->failed)
		return result_set(res, c->failed ? 'Z' : 'D', "%s alias %s: %s",
		    c->failed ? "4.3.0" : "5.3.0", name, c->failed ?
		    "out of memory" : why != NULL ? why : "no longer an alias");
	if (c->source != NULL && !c->source_seen)
		return result_set(res, 'D', "5.3.0 alias %s no longer leads to "
		    ":include: file %s", name, c->source);
	if (c->lj->ntarget == 0 && c->lj->refused[0] == '\0')
		return result_set(res, 'D', "5.3.0 alias %s has no command or "
		    "file %s any more", name, c->source != NULL ? "there" :
		    "in its entry");
	return 0;
}

int
alias_prepare(struct lspawn *ls, struct job *j, struct job_result *res)
{
	struct alias_check	 c;
	struct local_job	*lj;
	const struct alias_id	*id;
	const struct table	*t;
	struct stat		 st;
	struct passwd		*pw;
	int			 rc = -1;

	memset(&c, 0, sizeof(c));
	if ((t = alias_table_get(ls, &st)) == NULL)
		return result_set(res, 'Z', "4.3.0 cannot read aliases_file");
	if (alias_owner(ls, st.st_uid, &c.aliases_id) == -1)
		return result_set(res, 'Z', "4.3.5 default_privs %s is root or "
		    "no account", conf_str(ls->conf, "default_privs"));
	if ((lj = calloc(1, sizeof(*lj))) == NULL)
		return result_set(res, 'Z', "4.3.0 out of memory");
	j->local = lj;
	j->kind = JOB_LOCAL;
	c.ls = ls;
	c.j = j;
	c.lj = lj;
	c.source = j->ext[0] != '\0' ? j->ext : NULL;
	c.source_id = c.aliases_id;
	if (alias_expand(&c, t, j->user + 1, res) == -1)
		goto done;
	if (lj->ntarget == 0) {
		result_set(res, 'D', "%s", lj->refused);
		goto done;
	}
	id = &c.source_id;
	if (id->uid == 0 || (!id->default_privs && ls->root &&
	    (long long)id->uid < ls->first_valid_uid)) {
		result_set(res, 'D', "5.7.1 the owner of %s has a uid below "
		    "first_valid_uid", c.source != NULL ? c.source :
		    "aliases_file");
		goto done;
	}
	lj->conf = ls->conf;
	lj->id = j->id;
	lj->sender = j->sender;
	lj->rcpt = j->rcpt;
	lj->ext = "";
	lj->alias = 1;
	lj->uid = ls->root ? id->uid : getuid();
	lj->gid = ls->root ? id->gid : getgid();
	lj->spool_gid = lj->gid;
	(void)strlcpy(lj->user, j->user + 1, sizeof(lj->user));
	(void)strlcpy(lj->home, "/", sizeof(lj->home));
	if ((pw = getpwuid(lj->uid)) != NULL && pw->pw_dir != NULL &&
	    pw->pw_dir[0] == '/')
		(void)strlcpy(lj->home, pw->pw_dir, sizeof(lj->home));
	route_shell(lj->uid, lj->shell, sizeof(lj->shell));
	j->uid = lj->uid;
	j->gid = lj->gid;
	rc = 0;
done:
	alias_check_free(&c);
	return rc;
}
