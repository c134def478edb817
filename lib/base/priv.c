/*
 * priv: dropping root for good, checked at every step.  The order matters:
 * chroot while still root, then the supplementary groups, the gids and the
 * uids (setresuid last, since it takes away the right to do the rest), and
 * finally a check that the real, effective and saved ids all changed and
 * that setuid(0) now fails.  In priv_drop any failure is fatal: a process
 * that is half dropped must not read a byte from a client; priv_setids
 * says -1 and its caller must end the process.  When not started as root
 * (tests, the embedded default) nothing changes and that is logged once.
 *
 * Trust: the ids the caller gives (looked up by the caller as root); the
 * kernel's answers are checked after each step.
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

/*
 * The ids really are (uid, gid) everywhere, and root cannot come back.
 * 0, or -1 with *why set.
 */
static int
priv_verify(uid_t uid, gid_t gid, const char **why)
{
	uid_t	 ru, eu, su;
	gid_t	 rg, eg, sg, groups[2];
	int	 n;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1) {
		*why = "getresuid";
		return -1;
	}
	if (ru != uid || eu != uid || su != uid ||
	    rg != gid || eg != gid || sg != gid) {
		*why = "ids did not change";
		return -1;
	}
	if ((n = getgroups(2, groups)) == -1 || n != 1 || groups[0] != gid) {
		*why = "supplementary groups did not change";
		return -1;
	}
	if (setuid(0) != -1 || seteuid(0) != -1) {
		*why = "uid 0 could be regained";
		return -1;
	}
	if (gid != 0 && (setgid(0) != -1 || setegid(0) != -1)) {
		*why = "gid 0 could be regained";
		return -1;
	}
	return 0;
}

int
priv_setids(uid_t uid, gid_t gid)
{
	const char	*why;

	if (uid == 0) {
		log_warnx("priv: refusing to drop to uid 0");
		errno = EPERM;
		return -1;
	}
	if (setgroups(1, &gid) == -1) {
		log_warn("priv: setgroups %ld", (long)gid);
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		log_warn("priv: setresgid %ld", (long)gid);
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		log_warn("priv: setresuid %ld", (long)uid);
		return -1;
	}
	if (priv_verify(uid, gid, &why) == -1) {
		log_warnx("priv: %s", why);
		errno = EPERM;
		return -1;
	}
	return 0;
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
	if (priv_setids(uid, gid) == -1)
		fatalx("priv: cannot drop to uid %ld", (long)uid);
}
