/*
 * priv_user: the same by user name, looked up in the passwd database
 * (NSS).  Apart from priv.c so that a program linked statically that is
 * handed its ids (smtpsession) does not link getpwnam.
 *
 * Trust: the passwd database (NSS), read as root.
 */
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <sys/types.h>

#include "log.h"
#include "priv.h"

int
priv_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;

	if (user == NULL || *user == '\0') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno == 0)
			errno = ENOENT;
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}


void
priv_drop_user(const char *user, const char *chroot_dir)
{
	uid_t	 uid;
	gid_t	 gid;

	if (!priv_is_root()) {
		priv_drop(0, 0, chroot_dir);	/* logs that nothing changes */
		return;
	}
	if (priv_lookup(user, &uid, &gid) == -1)
		fatalx("priv: no such user: %s", user != NULL ? user : "(null)");
	priv_drop(uid, gid, chroot_dir);
}
