/*
 * facteur_chroot: the chroot directories a configuration makes the
 * programs use, checked as the programs will check them before they
 * chroot (priv_chroot_check: root's all the way down, writable by no one
 * else).  The master refuses to start, and refuses a reload, when one of
 * them is unfit; `facteurctl check` names it.  Only a key whose service
 * is configured is checked (an unused default need not exist), and only
 * as root: not started as root, no program chroots.
 *
 * A program that gets a chroot of its own adds a row here.
 *
 * Trust: the configuration is the administrator's; the directories are
 * checked, not trusted.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "facteur.h"
#include "priv.h"

struct chroot_use {
	const char	*key;		/* the chroot key */
	const char	*used_by[5];	/* listen keys that need it; NULL ends */
};

static const struct chroot_use chroot_uses[] = {
	{ "smtpd_chroot", { "smtp_listen", "submission_listen",
	    "smtps_listen", NULL } },
	{ "login_chroot", { "pop3_listen", "pop3s_listen", "imap_listen",
	    "imaps_listen", NULL } },
	{ NULL, { NULL } }
};

static int
chroot_used(const struct conf *conf, const struct chroot_use *u)
{
	size_t	 n;
	int	 i;

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
	const struct chroot_use	*u;
	const char		*dir;
	char			 err[PATH_MAX + 64], msg[2 * PATH_MAX + 128];
	int			 bad = 0;

	if (!priv_is_root())
		return 0;
	for (u = chroot_uses; u->key != NULL; u++) {
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
