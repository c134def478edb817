/*
 * priv: dropping root for good, checked at every step.  The order matters:
 * chroot while still root, then the supplementary groups, the gids and the
 * uids (setresuid last, since it takes away the right to do the rest), and
 * finally a check that the real, effective and saved ids all changed and
 * that setuid(0) now fails.  Any failure is fatal: a process that is half
 * dropped must not read a byte from a client.  When not started as root
 * (tests, the embedded default) nothing changes and that is logged once.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

static int	priv_warned;

int
priv_is_root(void)
{
	return geteuid() == 0;
}

static int
priv_skip(void)
{
	if (priv_is_root())
		return 0;
	if (!priv_warned) {
		log_info("not running as root: privileges not changed");
		priv_warned = 1;
	}
	return 1;
}

/* The ids really are (uid, gid) everywhere, and root cannot come back. */
static void
priv_verify(uid_t uid, gid_t gid)
{
	uid_t	 ru, eu, su;
	gid_t	 rg, eg, sg, groups[2];
	int	 n;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		fatal("priv: getresuid");
	if (ru != uid || eu != uid || su != uid ||
	    rg != gid || eg != gid || sg != gid)
		fatalx("priv: ids did not change");
	if ((n = getgroups(2, groups)) == -1)
		fatal("priv: getgroups");
	if (n != 1 || groups[0] != gid)
		fatalx("priv: supplementary groups did not change");
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("priv: uid 0 could be regained");
	if (gid != 0 && (setgid(0) != -1 || setegid(0) != -1))
		fatalx("priv: gid 0 could be regained");
}

void
priv_drop(uid_t uid, gid_t gid, const char *chroot_dir)
{
	if (priv_skip())
		return;
	if (uid == 0)
		fatalx("priv: refusing to drop to uid 0");
	if (chroot_dir != NULL) {
		if (chroot(chroot_dir) == -1)
			fatal("priv: chroot %s", chroot_dir);
		if (chdir("/") == -1)
			fatal("priv: chdir / in %s", chroot_dir);
	}
	if (setgroups(1, &gid) == -1)
		fatal("priv: setgroups %ld", (long)gid);
	if (setresgid(gid, gid, gid) == -1)
		fatal("priv: setresgid %ld", (long)gid);
	if (setresuid(uid, uid, uid) == -1)
		fatal("priv: setresuid %ld", (long)uid);
	priv_verify(uid, gid);
}

