/*
 * lspawn_route: where a user's job goes, once lspawn_job.c found the
 * user.  A plain Maildir delivery goes to the user's delivery worker
 * (lspawn_pool.c), a long-lived process that only writes Maildirs (in
 * a sandbox that forbids executing anything, lib/sandbox).  Everything
 * else is a local delivery child's (local.c), a process forked for this
 * job alone, as the user:
 *
 *   - a ~/.forward (or ~/.forward<delimiter><extension>) that exists:
 *     lspawn only lstat()s the names, as root, and reads nothing; the
 *     child opens the file as the user and decides whether to follow it
 *     (so a file that lspawn cannot see as root, on a home mounted with
 *     root squashed, also sends the job to a child);
 *   - mailbox_format = mbox: the mailbox is mail_spool_directory/USER,
 *     with locks; the spool's group is given to the child as its saved
 *     gid when the spool is group- and not world-writable (Debian's
 *     /var/mail, root:mail 2775), as Postfix does; a spool that neither
 *     the user nor the spool's group can write is refused;
 *   - mailbox_command set.
 * A user of a virtual_mailbox_domains domain always goes to a worker: no
 * .forward, no mbox, no command (as Postfix's virtual(8)).
 *
 * Trust: the job's values were checked by lspawn_job.c; what is in the
 * user's home is the user's and is only looked at with lstat here.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "lspawn.h"

#define ROUTE_PWBUF	16384

void
route_shell(uid_t uid, char *shell, size_t n)
{
	struct passwd	 pw, *res = NULL;
	char		*buf;

	(void)strlcpy(shell, "/bin/sh", n);
	if ((buf = malloc(ROUTE_PWBUF)) == NULL)
		return;
	if (getpwuid_r(uid, &pw, buf, ROUTE_PWBUF, &res) == 0 && res != NULL &&
	    pw.pw_shell != NULL && pw.pw_shell[0] == '/')
		(void)strlcpy(shell, pw.pw_shell, n);
	explicit_bzero(buf, ROUTE_PWBUF);
	free(buf);
}

void
route_local_free(struct local_job *lj)
{
	size_t	i;

	if (lj == NULL)
		return;
	for (i = 0; i < lj->ntarget; i++)
		free(lj->target[i].value);
	free(lj->target);
	free(lj);
}

/* 1 when name exists in home (or cannot be told: a child looks). */
static int
route_exists(const char *home, const char *name)
{
	char		path[4096];
	struct stat	st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", home, name) >=
	    sizeof(path))
		return 1;
	if (lstat(path, &st) == 0)
		return 1;
	return errno != ENOENT && errno != ENOTDIR;
}

/* A ~/.forward the child must look at: .forward, or .forward<d><ext>. */
static int
route_forward(const struct lspawn *ls, const struct job *j, const char *home)
{
	const char	*d;
	char		 name[1100];

	if (route_exists(home, ".forward"))
		return 1;
	if (j->ext[0] == '\0' || strchr(j->ext, '/') != NULL)
		return 0;
	for (d = conf_str(ls->conf, "recipient_delimiter"); *d != '\0'; d++)
		if ((size_t)snprintf(name, sizeof(name), ".forward%c%s", *d,
		    j->ext) < sizeof(name) && route_exists(home, name))
			return 1;
	return 0;
}

/* mail_spool_directory/USER and the gid its dotlock is made with. */
static int
route_spool(struct lspawn *ls, const struct job *j, struct local_job *lj,
    struct job_result *res)
{
	const char	*spool = conf_str(ls->conf, "mail_spool_directory");
	struct stat	 st;

	if (spool[0] != '/' || j->user[0] == '.')
		return result_set(res, 'D', "5.3.5 no mbox spool for user %s",
		    j->user);
	if ((size_t)snprintf(lj->mailbox, sizeof(lj->mailbox), "%s/%s", spool,
	    j->user) >= sizeof(lj->mailbox))
		return result_set(res, 'D', "5.3.0 mailbox path too long");
	if (stat(spool, &st) == -1 || !S_ISDIR(st.st_mode))
		return result_set(res, 'Z', "4.3.5 mail_spool_directory %s: %s",
		    spool, errno != 0 ? strerror(errno) : "not a directory");
	lj->spool_gid = lj->gid;
	if (!ls->root || (st.st_mode & S_IWOTH) != 0)
		return 0;
	if ((st.st_mode & S_IWGRP) == 0) {
		log_warnx("%s: mail_spool_directory %s is writable neither by "
		    "everyone (sticky, 1777) nor by its group (2775, as "
		    "Debian's /var/mail); no mbox delivery", j->id, spool);
		return result_set(res, 'Z', "4.3.5 mail_spool_directory is "
		    "not writable by the recipient or its group");
	}
	lj->spool_gid = st.st_gid;
	return 0;
}

int
route_user(struct lspawn *ls, struct job *j, const struct target *t,
    struct job_result *res)
{
	struct local_job	*lj;
	int			 mbox, command, forward;

	j->kind = JOB_WORKER;
	if (t->vmailbox)
		return 0;
	mbox = strcmp(conf_str(ls->conf, "mailbox_format"), "mbox") == 0;
	command = conf_str(ls->conf, "mailbox_command")[0] != '\0';
	forward = route_forward(ls, j, t->home);
	if (!mbox && !command && !forward)
		return 0;
	if ((lj = calloc(1, sizeof(*lj))) == NULL)
		return result_set(res, 'Z', "4.3.0 out of memory");
	j->local = lj;
	lj->conf = ls->conf;
	lj->id = j->id;
	lj->sender = j->sender;
	lj->rcpt = j->rcpt;
	lj->ext = j->ext;
	lj->uid = t->uid;
	lj->gid = t->gid;
	lj->spool_gid = t->gid;
	lj->forward = 1;
	lj->mbox = mbox;
	(void)strlcpy(lj->user, j->user, sizeof(lj->user));
	(void)strlcpy(lj->home, t->home, sizeof(lj->home));
	route_shell(t->uid, lj->shell, sizeof(lj->shell));
	if (mbox && route_spool(ls, j, lj, res) == -1)
		return -1;
	if (!mbox)
		(void)strlcpy(lj->mailbox, t->maildir, sizeof(lj->mailbox));
	j->kind = JOB_LOCAL;
	return 0;
}
