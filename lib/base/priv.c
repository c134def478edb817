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
 * A chroot directory is checked first (priv_chroot_check): root's, all
 * the way down, and writable by no one else.
 *
 * Trust: the ids the caller gives (looked up by the caller as root); the
 * kernel's answers are checked after each step; a chroot directory is
 * checked, not trusted.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
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

/* One component (path[0..len)): 0, or -1 with the reason in err. */
static int
priv_chroot_component(const char *path, int last, char *err, size_t errlen)
{
	struct stat	 st;

	if (stat(path, &st) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(void)snprintf(err, errlen, "%s is not a directory", path);
		return -1;
	}
	if (st.st_uid != 0) {
		(void)snprintf(err, errlen, "%s is owned by uid %ld, not root",
		    path, (long)st.st_uid);
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (last || !(st.st_mode & S_ISVTX))) {
		(void)snprintf(err, errlen, "%s is writable by %s (mode %04o)",
		    path, st.st_mode & S_IWOTH ? "others" : "its group",
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
priv_chroot_check(const char *dir, char *err, size_t errlen)
{
	char	 path[PATH_MAX];
	size_t	 i, n;

	if (dir[0] != '/') {
		(void)snprintf(err, errlen, "%s is not an absolute path", dir);
		return -1;
	}
	if ((n = strlcpy(path, dir, sizeof(path))) >= sizeof(path)) {
		(void)snprintf(err, errlen, "path too long");
		return -1;
	}
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	/* "/", then each prefix ending before a '/', then the whole. */
	if (priv_chroot_component("/", n == 1, err, errlen) == -1)
		return -1;
	for (i = 1; i < n; i++) {
		if (path[i] != '/' || path[i - 1] == '/')
			continue;
		path[i] = '\0';
		if (priv_chroot_component(path, 0, err, errlen) == -1)
			return -1;
		path[i] = '/';
	}
	if (n > 1 && priv_chroot_component(path, 1, err, errlen) == -1)
		return -1;
	return 0;
}

void
priv_drop(uid_t uid, gid_t gid, const char *chroot_dir)
{
	char	 err[PATH_MAX + 64];

	if (priv_skip())
		return;
	if (uid == 0)
		fatalx("priv: refusing to drop to uid 0");
	if (chroot_dir != NULL) {
		if (priv_chroot_check(chroot_dir, err, sizeof(err)) == -1)
			fatalx("priv: not chrooting to %s: %s", chroot_dir,
			    err);
		if (chroot(chroot_dir) == -1)
			fatal("priv: chroot %s", chroot_dir);
		if (chdir("/") == -1)
			fatal("priv: chdir / in %s", chroot_dir);
	}
	if (priv_setids(uid, gid) == -1)
		fatalx("priv: cannot drop to uid %ld", (long)uid);
}
