/*
 * users: the passwd-file users table and system accounts, as one lookup.
 * `user:{SCHEME}hash:uid:gid:gecos:home:extra`; uid and gid may be empty
 * (then the configured virtual uid/gid apply, see facteur.conf(5)).
 *
 * An entry with an empty (or missing) uid or gid field comes back with
 * uid == (uid_t)-1 and gid == (gid_t)-1: "no owner of its own, use the
 * account named by virtual_user".  A passwd-file is loaded once per path
 * and loaded again when its inode, size or mtime change, so a long-running
 * caller may call users_lookup for every delivery.
 *
 * Trust: see users.c.
 */
#ifndef FACTEUR_USERS_H
#define FACTEUR_USERS_H
#include <sys/types.h>

/* A user name may be an address (user@domain, as in a Dovecot passwd-file
 * of virtual mailbox domains). */
#define USER_NAME_MAX	255
#define USER_PATH_MAX	1024

struct user_entry {
	char	name[USER_NAME_MAX + 1];
	uid_t	uid;
	gid_t	gid;
	char	home[USER_PATH_MAX];
	char	hash[512];	/* "" for system accounts (PAM checks those) */
	int	system;		/* 1 if it came from getpwnam(3) */
};

/*
 * Looks `name` up in the passwd-file at `path` (skipped when path is NULL
 * or ""), then, when use_system, in the system accounts.  Returns 1 found,
 * 0 not found, -1 error (the table could not be read).
 */
int	users_lookup(const char *path, int use_system, const char *name,
	    struct user_entry *);

/*
 * A system account only (getpwnam_r(3), the one reentrant passwd lookup
 * of facteur): 1 found (e filled, no hash), 0 not found, -1 error
 * (logged).
 */
int	users_system_lookup(const char *name, struct user_entry *);

/*
 * Frees every cached passwd-file table, wiping it first (the values hold
 * password hashes).  The tables' memory is never inherited by a child
 * (MADV_DONTFORK, lib/conf/table.c), and a forked child forgets the cache
 * instead of reading it; lspawn's delivery workers and smtpd's processes
 * still call this first, so that nothing of it is left.
 */
void	users_cache_wipe(void);

#endif
