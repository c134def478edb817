/*
 * priv: dropping privileges, checked at every step.
 * When the process is not root, nothing is changed and the fact is logged
 * once (tests and the embedded default run unprivileged).
 *
 * Trust: see priv.c.
 */
#ifndef FACTEUR_PRIV_H
#define FACTEUR_PRIV_H
#include <stddef.h>
#include <sys/types.h>

int	priv_is_root(void);
/* 0 and the ids, or -1 when the user does not exist. */
int	priv_lookup(const char *user, uid_t *, gid_t *);
/*
 * A directory fit to chroot into: an absolute path whose every component
 * is a directory owned by root and writable by no one else (a directory
 * above it may be world-writable if it is sticky, as /tmp is: no one can
 * then rename root's entries in it).  Otherwise whoever can write there
 * could put files, devices or links in the jail, or swap the directory
 * for one of their own, before the chroot or between chroots (as OpenSSH
 * checks ChrootDirectory).  0, or -1 with the reason in err.
 */
int	priv_chroot_check(const char *dir, char *err, size_t errlen);
/*
 * chroot(chroot_dir) when not NULL (and chdir("/")), setgroups to just gid,
 * setresgid, setresuid, then verifies that uid 0 cannot be regained.
 * fatal() on any failure: a half-dropped process must not go on; a
 * chroot_dir that fails priv_chroot_check is such a failure.
 */
void	priv_drop(uid_t, gid_t, const char *chroot_dir);
/*
 * As root: setgroups to just gid, setresgid, setresuid, and the same
 * checks as priv_drop, without a chroot.  0, or -1 (logged): the caller
 * must then end the process without touching anything.
 */
int	priv_setids(uid_t, gid_t);
/* Looks the user up and drops to it; no-op (logged once) when not root. */
void	priv_drop_user(const char *user, const char *chroot_dir);

#endif
