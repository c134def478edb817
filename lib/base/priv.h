/*
 * priv: dropping privileges, checked at every step.
 * When the process is not root, nothing is changed and the fact is logged
 * once (tests and the embedded default run unprivileged).
 *
 * Trust: see priv.c.
 */
#ifndef FACTEUR_PRIV_H
#define FACTEUR_PRIV_H
#include <sys/types.h>

int	priv_is_root(void);
/* 0 and the ids, or -1 when the user does not exist. */
int	priv_lookup(const char *user, uid_t *, gid_t *);
/*
 * chroot(chroot_dir) when not NULL (and chdir("/")), setgroups to just gid,
 * setresgid, setresuid, then verifies that uid 0 cannot be regained.
 * fatal() on any failure: a half-dropped process must not go on.
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
