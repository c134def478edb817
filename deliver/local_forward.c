/*
 * local_forward: a user's ~/.forward, read by the local delivery child
 * as that user (local.c dropped to it first).  The file tried first is
 * ~/.forward<delimiter><extension> when the address had an extension,
 * then ~/.forward, as Postfix's default forward_path.
 *
 * A .forward is followed only when it is safe, as sendmail requires: a
 * regular file (not a symbolic link), owned by the user or root, not
 * writable by its group or others, in a home directory owned by the user
 * or root and not writable by its group or others.  Otherwise it is
 * ignored, with a log line, and the mail goes to the mailbox: whoever
 * else could write it must not steer the user's mail.  A .forward that
 * cannot be opened for another reason than its absence defers the mail.
 *
 * Its items (lib/conf/alias_item.h) become a plan: |commands and /files
 * (if allow_mail_to_commands and allow_mail_to_files list "forward", or
 * "include" for those of an :include: file, read as the user), the
 * user's own name or address (\user, user, user@a-local-domain: the
 * mailbox too), and every other name or address (forwarded: a bare name
 * gets @myhostname).  An empty .forward counts as none.
 *
 * Trust: the file is the user's own, so it can only steer the user's own
 * mail; it is parsed with every limit of alias_item.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alias_item.h"
#include "aliases.h"
#include "local.h"
#include "lroute.h"

struct fwd_read {
	const struct local_job	*lj;
	struct local_plan	*plan;
	struct local_result	*res;
	const char		*stack[ALIASES_DEPTH_MAX];
	size_t			 depth;
	size_t			 n;		/* targets so far */
};

static int
fwd_push(char ***v, size_t *n, const char *s)
{
	char	**nv;

	if ((nv = reallocarray(*v, *n + 1, sizeof(**v))) == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

static void
fwd_refuse(struct local_plan *p, const char *text)
{
	if (p->refused[0] == '\0')
		(void)strlcpy(p->refused, text, sizeof(p->refused));
}

/* 1 when name or address means the user itself. */
static int
fwd_is_self(const struct local_job *lj, const char *v, int self_form)
{
	const char	*at = strrchr(v, '@'), *ext;
	char		 local[ALIAS_ITEM_MAX + 1];
	size_t		 n;
	char		 delim;

	if (self_form || at == NULL)
		return strcasecmp(v, lj->user) == 0;
	if (!conf_is_local_domain(lj->conf, at + 1))
		return 0;
	memcpy(local, v, (size_t)(at - v));
	local[at - v] = '\0';
	n = lroute_split(lj->conf, local, &ext, &delim);
	local[n] = '\0';
	return strcasecmp(local, lj->user) == 0;
}

static int	fwd_text(struct fwd_read *, const char *text, int include);

/* An :include: file named in the .forward, read as the user. */
static int
fwd_include(struct fwd_read *f, const char *path)
{
	const char	*why = NULL;
	char		*text = NULL;
	size_t		 i;
	int		 fd, rc;

	for (i = 0; i < f->depth; i++)
		if (strcmp(f->stack[i], path) == 0) {
			fwd_refuse(f->plan, "5.4.6 :include: loop in .forward");
			return 0;
		}
	if (f->depth >= ALIASES_DEPTH_MAX) {
		fwd_refuse(f->plan, "5.4.6 :include: files nested too deep");
		return 0;
	}
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) ==
	    -1 || alias_file_read(fd, &text, &why) == -1) {
		local_log(f->lj, "to=<%s>: cannot read :include: file %s: %s",
		    f->lj->rcpt, path, why != NULL ? why : strerror(errno));
		if (fd != -1)
			(void)close(fd);
		local_set(f->res, 'Z', "4.3.0 cannot read :include: file %s",
		    path);
		return -1;
	}
	(void)close(fd);
	f->stack[f->depth++] = path;
	rc = fwd_text(f, text, 1);
	f->depth--;
	free(text);
	return rc;
}

/* The items of a .forward (include 0) or of an :include: file. */
static int
fwd_text(struct fwd_read *f, const char *text, int include)
{
	struct alias_items	 it;
	enum alias_item_kind	 kind;
	struct local_plan	*p = f->plan;
	char			 item[ALIAS_ITEM_MAX + 1];
	char			 addr[2 * ALIAS_ITEM_MAX];
	const char		*value, *why = NULL;
	const char		*where = include ? "include" : "forward";
	int			 n, rc = 0, cmd;

	alias_items_init(&it, text, 1);
	while (rc == 0 && (n = alias_items_next(&it, item, sizeof(item),
	    &kind, &value, &why)) != 0) {
		if (n == -1) {
			local_log(f->lj, "to=<%s>: .forward: %s", f->lj->rcpt,
			    why);
			fwd_refuse(p, "5.3.0 malformed .forward");
			break;
		}
		if (++f->n > LOCAL_TARGETS_MAX) {
			fwd_refuse(p, "5.3.0 too many targets in .forward");
			break;
		}
		switch (kind) {
		case ALIAS_ITEM_INCLUDE:
			rc = fwd_include(f, value);
			break;
		case ALIAS_ITEM_COMMAND:
		case ALIAS_ITEM_FILE:
			cmd = kind == ALIAS_ITEM_COMMAND;
			if (!lroute_allowed(f->lj->conf, cmd, where)) {
				char t[LOCAL_TEXT_MAX];

				(void)snprintf(t, sizeof(t), "5.7.1 mail to "
				    "%s is not allowed in %s (%s)", cmd ?
				    "a command" : "a file", include ?
				    "an :include: file" : ".forward", cmd ?
				    "allow_mail_to_commands" :
				    "allow_mail_to_files");
				fwd_refuse(p, t);
				break;
			}
			rc = cmd ? fwd_push(&p->command, &p->ncommand, value) :
			    fwd_push(&p->file, &p->nfile, value);
			break;
		case ALIAS_ITEM_SELF:
		case ALIAS_ITEM_ADDRESS:
			if (fwd_is_self(f->lj, value, kind ==
			    ALIAS_ITEM_SELF)) {
				p->self = 1;
				break;
			}
			if (strchr(value, '@') == NULL)
				(void)snprintf(addr, sizeof(addr), "%s@%s",
				    value, conf_myhostname(f->lj->conf));
			else
				(void)strlcpy(addr, value, sizeof(addr));
			rc = fwd_push(&p->address, &p->naddress, addr);
			break;
		}
	}
	return rc;
}

/*
 * Opens one candidate .forward: the descriptor, -1 when absent or
 * ignored (logged), -2 on a failure that defers (res set).
 */
static int
fwd_open(const struct local_job *lj, const char *path,
    struct local_result *res)
{
	struct stat	 st, dst;
	int		 fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return -1;
	if (fd == -1 && errno == ELOOP) {
		local_log(lj, "to=<%s>: ignoring %s: a symbolic link",
		    lj->rcpt, path);
		return -1;
	}
	if (fd == -1) {
		local_set(res, 'Z', "4.3.0 cannot open %s: %s", path,
		    strerror(errno));
		return -2;
	}
	if (fstat(fd, &st) == -1 || stat(lj->home, &dst) == -1) {
		local_set(res, 'Z', "4.3.0 cannot stat %s: %s", path,
		    strerror(errno));
		(void)close(fd);
		return -2;
	}
	if (!S_ISREG(st.st_mode)) {
		local_log(lj, "to=<%s>: ignoring %s: not a regular file",
		    lj->rcpt, path);
	} else if (st.st_uid != lj->uid && st.st_uid != 0) {
		local_log(lj, "to=<%s>: ignoring %s: owned by uid %lu, not by "
		    "the user or root", lj->rcpt, path,
		    (unsigned long)st.st_uid);
	} else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		local_log(lj, "to=<%s>: ignoring %s: writable by its group or "
		    "others", lj->rcpt, path);
	} else if ((dst.st_uid != lj->uid && dst.st_uid != 0) ||
	    (dst.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		local_log(lj, "to=<%s>: ignoring %s: its directory is writable "
		    "by others than the user", lj->rcpt, path);
	} else
		return fd;
	(void)close(fd);
	return -1;
}

int
local_forward_read(const struct local_job *lj, struct local_plan *plan,
    struct local_result *res)
{
	struct fwd_read	 f;
	const char	*ext, *at, *why = NULL, *path = NULL;
	char		 paths[2][LOCAL_PATH_MAX], local[ALIAS_ITEM_MAX + 1];
	char		*text = NULL;
	size_t		 n, i, np = 0;
	char		 delim;
	int		 fd = -1, rc;

	memset(plan, 0, sizeof(*plan));
	if (lj->ext[0] != '\0' && (at = strrchr(lj->rcpt, '@')) != NULL &&
	    (size_t)(at - lj->rcpt) < sizeof(local)) {
		memcpy(local, lj->rcpt, (size_t)(at - lj->rcpt));
		local[at - lj->rcpt] = '\0';
		(void)lroute_split(lj->conf, local, &ext, &delim);
		if (ext != NULL && (n = (size_t)snprintf(paths[np],
		    sizeof(paths[np]), "%s/.forward%c%s", lj->home, delim,
		    lj->ext)) < sizeof(paths[np]) && strchr(lj->ext, '/') ==
		    NULL)
			np++;
	}
	if ((size_t)snprintf(paths[np], sizeof(paths[np]), "%s/.forward",
	    lj->home) < sizeof(paths[np]))
		np++;
	for (i = 0; i < np && fd == -1; i++) {
		if ((fd = fwd_open(lj, paths[i], res)) == -2)
			return -1;
		path = paths[i];
	}
	if (fd == -1)
		return 0;
	if (alias_file_read(fd, &text, &why) == -1) {
		(void)close(fd);
		local_set(res, 'Z', "4.3.0 cannot read %s: %s", path, why);
		return -1;
	}
	(void)close(fd);
	memset(&f, 0, sizeof(f));
	f.lj = lj;
	f.plan = plan;
	f.res = res;
	f.stack[f.depth++] = path;
	rc = fwd_text(&f, text, 0);
	free(text);
	if (rc == -1) {
		if (res->status == '\0')
			local_set(res, 'Z', "4.3.0 out of memory reading %s",
			    path);
		local_plan_free(plan);
		return -1;
	}
	if (plan->ncommand + plan->nfile + plan->naddress == 0 && !plan->self &&
	    plan->refused[0] == '\0') {
		local_log(lj, "to=<%s>: %s is empty; delivering to the mailbox",
		    lj->rcpt, path);
		return 0;
	}
	local_log(lj, "to=<%s>: following %s", lj->rcpt, path);
	return 1;
}

void
local_plan_free(struct local_plan *p)
{
	size_t	i;

	for (i = 0; i < p->ncommand; i++)
		free(p->command[i]);
	for (i = 0; i < p->nfile; i++)
		free(p->file[i]);
	for (i = 0; i < p->naddress; i++)
		free(p->address[i]);
	free(p->command);
	free(p->file);
	free(p->address);
	memset(p, 0, sizeof(*p));
}
