/*
 * facteur_chroot: the chroot directories a configuration makes the
 * programs use, checked as the programs will check them before they
 * chroot (priv_chroot_check: root's all the way down, writable by no one
 * else).  The master refuses to start, and refuses a reload, when one of
 * them is unfit; `facteurctl check` names it.  Only a key whose service
 * listens is checked (an unused default need not exist; a service whose
 * program is not installed is not offered), and only as root: not
 * started as root, no program chroots.  smtp_chroot is used by rspawn,
 * which queued always starts: it is checked whenever rspawn is installed.
 *
 * A program that gets a chroot of its own adds a row here.
 *
 * Trust: the configuration is the administrator's; the directories are
 * checked, not trusted.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "facteur.h"
#include "priv.h"

struct chroot_use {
	const char	*key;		/* the chroot key */
	const char	*program;	/* in program_dir */
	const char	*used_by[5];	/* listen keys that need it; NULL ends;
					   none: whenever the program is there */
};

static const struct chroot_use chroot_uses[] = {
	{ "smtpd_chroot", "smtpd", { "smtp_listen", "submission_listen",
	    "smtps_listen", NULL } },
	{ "login_chroot", "pop3d", { "pop3_listen", "pop3s_listen", NULL } },
	{ "login_chroot", "imapd", { "imap_listen", "imaps_listen", NULL } },
	{ "smtp_chroot", "rspawn", { NULL } },
	{ NULL, NULL, { NULL } }
};

/* A service of u listens (and its program is there to be started). */
static int
chroot_used(const struct conf *conf, const struct chroot_use *u)
{
	char	 path[PATH_MAX];
	size_t	 n;
	int	 i, r;

	r = snprintf(path, sizeof(path), "%s/%s", conf_str(conf,
	    "program_dir"), u->program);
	if (r < 0 || (size_t)r >= sizeof(path) || access(path, X_OK) == -1)
		return 0;	/* the master does not listen for it */
	if (u->used_by[0] == NULL)
		return 1;	/* queued starts it whatever listens */
	for (i = 0; u->used_by[i] != NULL; i++) {
		(void)conf_list(conf, u->used_by[i], &n);
		if (n > 0)
			return 1;
	}
	return 0;
}

int
chroot_check_all(const struct conf *conf, void (*report)(void *,
    const char *), void *arg)
{
	const struct chroot_use	*u, *v;
	const char		*dir;
	char			 err[PATH_MAX + 64], msg[2 * PATH_MAX + 128];
	int			 bad = 0, seen;

	if (!priv_is_root())
		return 0;
	for (u = chroot_uses; u->key != NULL; u++) {
		/* a key used by two rows is checked (and named) once */
		for (seen = 0, v = chroot_uses; v < u; v++)
			if (strcmp(v->key, u->key) == 0 && chroot_used(conf, v))
				seen = 1;
		if (seen)
			continue;
		dir = conf_str(conf, u->key);
		/* login_chroot may be empty: no chroot (login_split) */
		if (!chroot_used(conf, u) ||
		    (dir[0] == '\0' && strcmp(u->key, "login_chroot") == 0))
			continue;
		if (priv_chroot_check(dir, err, sizeof(err)) == 0)
			continue;
		(void)snprintf(msg, sizeof(msg), "%s: %s %s is unfit for a "
		    "chroot: %s", conf_path(conf), u->key, dir, err);
		report(arg, msg);
		bad++;
	}
	return bad;
}
